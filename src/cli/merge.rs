//! `accept-rec merge`: several recordings (hosts, or a rotation's files) into one, by time.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;

use super::open_recording;
use super::output_file::{OutputArgs, command_line};
use crate::analysis::{MergePlan, Source, merge_into};
use crate::format::{Recording, Writer, WriterOptions};

#[derive(Args, Debug)]
pub struct MergeCommand {
    /// The recordings to merge, in any order.
    #[arg(required = true, value_name = "RECORDING")]
    inputs: Vec<PathBuf>,
    #[command(flatten)]
    out: OutputArgs,
    /// Fail on a truncated or damaged input instead of reading what is readable.
    #[arg(long)]
    strict: bool,
}

pub fn run(args: MergeCommand) -> Result<()> {
    let recordings: Vec<Recording> =
        args.inputs.iter().map(|path| open_recording(path, args.strict)).collect::<Result<_>>()?;
    let labels: Vec<String> = args.inputs.iter().map(|p| p.display().to_string()).collect();
    let sources: Vec<Source<'_>> = recordings.iter().zip(&labels).map(|(r, l)| Source::new(r, l)).collect();
    let plan = MergePlan::new(&sources, command_line())?;
    let (file, output) = args.out.create(&args.inputs)?;
    let writer = Writer::new(file, &plan.header, WriterOptions::default())
        .with_context(|| args.out.output.display().to_string())?;
    let (file, outcome) = merge_into(&sources, &plan, writer)?;
    output.keep(file)?;
    eprintln!(
        "accept-rec: merged {} events and {} dropped-event records from {} recordings ({} hosts) into {}",
        outcome.events_written,
        outcome.loss_records,
        sources.len(),
        plan.header.hosts.len(),
        args.out.output.display()
    );
    Ok(())
}

//! `accept-rec filter`: copy the events that pass a filter into a new recording.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;

use super::output_file::{OutputArgs, command_line};
use super::{FilterArgs, open_recording};
use crate::analysis::{Source, filter_into, filtered_header};
use crate::format::{Writer, WriterOptions};

#[derive(Args, Debug)]
pub struct FilterCommand {
    /// The recording to read.
    #[arg(value_name = "RECORDING")]
    input: PathBuf,
    #[command(flatten)]
    out: OutputArgs,
    /// Fail on a truncated or damaged input instead of reading what is readable.
    #[arg(long)]
    strict: bool,
    #[command(flatten)]
    filters: FilterArgs,
}

pub fn run(args: FilterCommand) -> Result<()> {
    let spec = args.filters.to_spec()?;
    let recording = open_recording(&args.input, args.strict)?;
    let label = args.input.display().to_string();
    let source = Source::new(&recording, &label);
    let (file, output) = args.out.create(std::slice::from_ref(&args.input))?;
    let header = filtered_header(&source, &spec, command_line());
    let writer = Writer::new(file, &header, WriterOptions::default())
        .with_context(|| args.out.output.display().to_string())?;
    let (file, outcome) = filter_into(&source, &spec, writer)?;
    output.keep(file)?;
    eprintln!(
        "accept-rec: wrote {} of {} events to {} (decoded {} blocks, skipped {})",
        outcome.events_written,
        recording.event_count(),
        args.out.output.display(),
        outcome.scan.blocks_decoded,
        outcome.scan.blocks_skipped
    );
    Ok(())
}

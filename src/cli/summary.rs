//! `accept-rec summary`: who accepted what, from where, how often, and what failed.

use std::io::Write;
use std::num::NonZeroUsize;
use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, ValueEnum};

use super::{FilterArgs, open_recording};
use crate::analysis::summary_render::{Breakdown, render_text};
use crate::analysis::{ScanStats, Source, Summary, SummaryOptions, summarize};
use crate::format::{FilterSpec, Recording};

/// Rows per ranked table in text output when `--top` is not given.
const DEFAULT_TOP: usize = 10;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SummaryFormat {
    /// Aligned tables for people.
    Text,
    /// Stable JSON; save it to use as a `diff` baseline.
    Json,
}

#[derive(Args, Debug)]
pub struct SummaryCommand {
    /// Recordings to summarize together, e.g. the files of one rotation.
    #[arg(required = true, value_name = "RECORDING")]
    inputs: Vec<PathBuf>,
    /// Show one breakdown: listener, process, peer, network, family, errno, second or minute
    /// (JSON always holds every breakdown; second and minute set its rate buckets).
    #[arg(long, value_name = "WHAT")]
    by: Option<Breakdown>,
    /// Rows per ranked table (text: default 10). With --format json it cuts the
    /// lists too, and such a summary cannot serve as a diff baseline.
    #[arg(long, value_name = "N")]
    top: Option<usize>,
    #[arg(long, value_enum, default_value_t = SummaryFormat::Text)]
    format: SummaryFormat,
    /// Threads that decode blocks (default: one per CPU).
    #[arg(long, value_name = "N")]
    threads: Option<NonZeroUsize>,
    /// Fail on a truncated or damaged input instead of reading what is readable.
    #[arg(long)]
    strict: bool,
    /// Say on stderr how many blocks were decoded and how many the time range skipped.
    #[arg(long)]
    scan_stats: bool,
    #[command(flatten)]
    filters: FilterArgs,
}

pub fn run(args: SummaryCommand) -> Result<()> {
    let spec = args.filters.to_spec()?;
    let options = SummaryOptions {
        bucket_seconds: args.by.and_then(Breakdown::bucket_seconds),
        threads: threads(args.threads),
    };
    let (summary, scan) = summarize_files(&args.inputs, args.strict, &spec, &options)?;
    if args.scan_stats {
        eprintln!("accept-rec: {}", super::replay::scan_line(&scan));
    }
    let text = match args.format {
        SummaryFormat::Text => render_text(&summary, args.by, args.top.unwrap_or(DEFAULT_TOP)),
        SummaryFormat::Json => match args.top {
            Some(n) => summary.top(n).to_json(),
            None => summary.to_json(),
        },
    };
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(())
}

/// `--threads`, or one per CPU.
pub fn threads(requested: Option<NonZeroUsize>) -> usize {
    requested.or_else(|| std::thread::available_parallelism().ok()).map_or(1, NonZeroUsize::get)
}

/// Opens `paths` and summarizes them as one set; also says how much was read.
pub fn summarize_files(
    paths: &[PathBuf],
    strict: bool,
    spec: &FilterSpec,
    options: &SummaryOptions,
) -> Result<(Summary, ScanStats)> {
    let recordings: Vec<Recording> =
        paths.iter().map(|path| open_recording(path, strict)).collect::<Result<_>>()?;
    let labels: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    let sources: Vec<Source<'_>> = recordings.iter().zip(&labels).map(|(r, l)| Source::new(r, l)).collect();
    Ok(summarize(&sources, spec, options)?)
}

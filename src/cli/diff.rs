//! `accept-rec diff`: does this run accept like the baseline did? Exit 0 when
//! it does (within the tolerance), 1 when it does not, 2 on errors.

use std::fs::File;
use std::io::{Read, Write};
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};

use super::FilterArgs;
use super::summary::{summarize_files, threads};
use crate::analysis::diff_render::{render_markdown, render_text};
use crate::analysis::{Summary, SummaryOptions, Tolerance, compare};
use crate::format::FilterSpec;
use crate::format::frame::MAGIC;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    Text,
    Json,
    /// For a pull-request comment.
    Markdown,
}

#[derive(Args, Debug)]
pub struct DiffCommand {
    /// The reference: a recording, or a summary saved with `summary --format json`.
    #[arg(value_name = "BASELINE")]
    baseline: PathBuf,
    /// The run to check: a recording, several (one rotation), or a saved summary.
    #[arg(required = true, value_name = "CURRENT")]
    current: Vec<PathBuf>,
    /// How far a listener's counts may move: a percentage of the baseline (10%) or a number of events (5).
    #[arg(long, default_value = "10%", value_name = "PCT%|N")]
    tolerance: Tolerance,
    #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
    format: DiffFormat,
    /// Threads that decode blocks (default: one per CPU).
    #[arg(long, value_name = "N")]
    threads: Option<NonZeroUsize>,
    /// Fail on a truncated or damaged input instead of reading what is readable.
    #[arg(long)]
    strict: bool,
    /// Applied to recordings; a saved summary was filtered when it was made.
    #[command(flatten)]
    filters: FilterArgs,
}

pub fn run(args: DiffCommand) -> Result<ExitCode> {
    let spec = args.filters.to_spec()?;
    let options = SummaryOptions { bucket_seconds: None, threads: threads(args.threads) };
    let load = |paths: &[PathBuf]| load_side(paths, args.strict, &spec, &options);
    let baseline = load(std::slice::from_ref(&args.baseline))?;
    let current = load(&args.current)?;
    let report =
        compare(&baseline, &current, args.tolerance).with_context(|| args.baseline.display().to_string())?;
    let text = match args.format {
        DiffFormat::Text => render_text(&report),
        DiffFormat::Json => report.to_json(),
        DiffFormat::Markdown => render_markdown(&report),
    };
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(if report.same { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// One side of the diff: a saved summary, or recordings summarized now.
fn load_side(
    paths: &[PathBuf],
    strict: bool,
    spec: &FilterSpec,
    options: &SummaryOptions,
) -> Result<Summary> {
    let saved: Vec<&PathBuf> = paths.iter().filter(|p| !is_recording(p).unwrap_or(true)).collect();
    match (saved.as_slice(), paths.len()) {
        ([], _) => Ok(summarize_files(paths, strict, spec, options)?.0),
        ([path], 1) => read_summary(path),
        _ => bail!("give either recordings or one saved summary per side, not a mix"),
    }
}

/// Whether the file starts with the recording magic (the alternative being summary JSON).
fn is_recording(path: &Path) -> Result<bool> {
    let mut start = [0u8; MAGIC.len()];
    let mut file = File::open(path)?;
    let n = file.read(&mut start)?;
    Ok(n == MAGIC.len() && start == MAGIC)
}

fn read_summary(path: &Path) -> Result<Summary> {
    let text = std::fs::read_to_string(path).with_context(|| format!("{}: cannot read", path.display()))?;
    if !text.trim_start().starts_with('{') {
        bail!(
            "{}: neither a recording nor a summary saved with `accept-rec summary --format json`",
            path.display()
        );
    }
    Summary::from_json(&text).with_context(|| path.display().to_string())
}

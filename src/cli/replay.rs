//! `accept-rec replay`: print the events of one or more recordings.

use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;

use super::{FilterArgs, open_recording};
use crate::analysis::ScanStats;
use crate::format::block::BlockDecoder;
use crate::output::{self, EventFormat};

#[derive(Args, Debug)]
pub struct ReplayArgs {
    /// Recordings, in order (e.g. a rotated set).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    #[arg(long, value_enum, default_value = "table")]
    format: EventFormat,
    /// Treat a truncated or damaged file as an error.
    #[arg(long)]
    strict: bool,
    /// Say on stderr how many blocks were decoded and how many the time range skipped.
    #[arg(long)]
    scan_stats: bool,
    #[command(flatten)]
    filter: FilterArgs,
}

pub fn run(args: &ReplayArgs) -> Result<()> {
    let spec = args.filter.to_spec()?;
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut decoder = BlockDecoder::new()?;
    let mut events = Vec::new();
    let mut scan = ScanStats::default();
    for (i, path) in args.files.iter().enumerate() {
        let recording = open_recording(path, args.strict)?;
        let header = &recording.header;
        let matcher = spec.resolve(&header.clock, header.clock.to_ts(header.started_wall_ns as i128));
        let mut sink = output::sink(args.format, header);
        if i == 0 {
            sink.begin(&mut out)?;
        }
        for block in &recording.blocks {
            if !matcher.overlaps(block.meta.min_ts, block.meta.max_ts) {
                scan.blocks_skipped += 1;
                continue;
            }
            events.clear();
            recording
                .decode_block(block, &mut decoder, &mut events)
                .with_context(|| path.display().to_string())?;
            scan.blocks_decoded += 1;
            scan.events_decoded += events.len() as u64;
            for event in events.iter().filter(|e| matcher.matches(e)) {
                scan.events_matched += 1;
                sink.event(&mut out, event)?;
            }
        }
    }
    out.flush()?;
    if args.scan_stats {
        eprintln!("accept-rec: {}", scan_line(&scan));
    }
    Ok(())
}

/// `decoded 6 of 611 blocks (skipped 605), 98304 events decoded, 91234 matched`.
pub fn scan_line(scan: &ScanStats) -> String {
    format!(
        "decoded {} of {} blocks (skipped {}), {} events decoded, {} matched",
        scan.blocks_decoded,
        scan.blocks_decoded + scan.blocks_skipped,
        scan.blocks_skipped,
        scan.events_decoded,
        scan.events_matched
    )
}

//! `accept-rec replay`: print the events of one or more recordings.

use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;

use super::{FilterArgs, open_recording};
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
    #[command(flatten)]
    filter: FilterArgs,
}

pub fn run(args: &ReplayArgs) -> Result<()> {
    let spec = args.filter.to_spec()?;
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut decoder = BlockDecoder::new()?;
    let mut events = Vec::new();
    for (i, path) in args.files.iter().enumerate() {
        let recording = open_recording(path, args.strict)?;
        let header = &recording.header;
        let matcher = spec.resolve(&header.clock, header.clock.to_ts(header.started_wall_ns as i128));
        let mut sink = output::sink(args.format, header);
        if i == 0 {
            sink.begin(&mut out)?;
        }
        for block in recording.blocks.iter().filter(|b| matcher.overlaps(b.meta.min_ts, b.meta.max_ts)) {
            events.clear();
            recording
                .decode_block(block, &mut decoder, &mut events)
                .with_context(|| path.display().to_string())?;
            for event in events.iter().filter(|e| matcher.matches(e)) {
                sink.event(&mut out, event)?;
            }
        }
    }
    out.flush()?;
    Ok(())
}

//! Counts the events in a `.trc` recording with the crate's own reader, so
//! `bench/run.sh` measures what is really in the file rather than trusting
//! the recorder's summary line or the shape of `accept-rec info` output.
//!
//! ```text
//! trc_count FILE [PID]
//! trc_count events=600000 socket_accept=300000 pid_accepts=300000 lost=0 ending=finished
//! ```
//!
//! `pid_accepts` counts successful `socket_accept` events of process `PID`
//! (0 when no PID is given); `lost` is the kernel drops the file records.
//! Every event is decoded, so a damaged block shows up as `ending=corrupt`.

use std::path::PathBuf;
use std::process::ExitCode;

use accept_rec::format::{Ending, EventKind, Recording};
use anyhow::{Context, bail};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("trc_count: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn run() -> anyhow::Result<()> {
    let mut args = std::env::args_os().skip(1);
    let Some(path) = args.next().map(PathBuf::from) else {
        bail!("usage: trc_count FILE [PID]");
    };
    let pid: Option<u32> = match args.next() {
        Some(arg) => {
            let text = arg.to_string_lossy();
            Some(text.parse().with_context(|| format!("PID must be a number, not {text:?}"))?)
        }
        None => None,
    };
    let recording = Recording::open(&path).with_context(|| format!("opening {}", path.display()))?;

    let (mut events, mut accepts, mut pid_accepts) = (0u64, 0u64, 0u64);
    let mut decode_error = None;
    for event in recording.events() {
        let event = match event {
            Ok(event) => event,
            Err(e) => {
                decode_error = Some(e);
                break;
            }
        };
        events += 1;
        if event.kind == EventKind::SocketAccept {
            accepts += 1;
            if Some(event.ctx.pid) == pid && event.ret >= 0 {
                pid_accepts += 1;
            }
        }
    }
    let lost = match (&recording.stats, recording.losses.last()) {
        (Some(stats), _) => stats.lost,
        (None, Some(loss)) => loss.lost_total,
        (None, None) => 0,
    };
    let ending = match (&decode_error, &recording.ending) {
        (Some(_), _) | (None, Ending::Corrupt(_)) => "corrupt",
        (None, Ending::Finished) => "finished",
        (None, Ending::Unfinished) => "unfinished",
        (None, Ending::Truncated { .. }) => "truncated",
    };
    println!(
        "trc_count events={events} socket_accept={accepts} pid_accepts={pid_accepts} lost={lost} ending={ending}"
    );
    if let Some(e) = decode_error {
        eprintln!("trc_count: {}: stopped at a damaged block: {e}", path.display());
    }
    Ok(())
}

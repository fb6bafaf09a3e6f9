//! `accept-rec record`: options → [`RecordOptions`], then one summary line.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Args;

use super::FilterArgs;
use crate::capture::session::{RecordError, RecordOptions, record};
use crate::capture::{CaptureConfig, HookChoice, check_environment};
use crate::format::{EventKind, WriterOptions};

#[derive(Args, Debug)]
pub struct RecordArgs {
    /// The recording to write (created 0600; never replaced without --force).
    #[arg(short, long)]
    output: PathBuf,
    /// Replace an existing output file.
    #[arg(long)]
    force: bool,
    /// Events to capture (both by default).
    #[arg(long, value_delimiter = ',', default_value = "socket_accept,security_socket_accept")]
    events: Vec<String>,
    /// Stop after this long (e.g. 30s, 5m).
    #[arg(long, value_parser = humantime::parse_duration)]
    duration: Option<Duration>,
    /// Stop after this many events.
    #[arg(long)]
    count: Option<u64>,
    /// Ring-buffer size (e.g. 8M); rounded up to a power of two.
    #[arg(long, default_value = "8M", value_parser = parse_size)]
    ring_size: u64,
    /// How to hook security_socket_accept: auto tries fentry, kprobe, then tracepoint.
    #[arg(long, default_value = "auto")]
    hook: HookChoice,
    /// Also record accepts that fail with EAGAIN (floods on epoll servers).
    #[arg(long)]
    include_eagain: bool,
    /// Longest time an event waits in memory before it is written (at most 1s).
    #[arg(long, default_value = "1s", value_parser = humantime::parse_duration)]
    flush_interval: Duration,
    /// Start a new file after this many bytes (e.g. 100M).
    #[arg(long, value_parser = parse_size)]
    rotate_size: Option<u64>,
    /// Start a new file after this long (e.g. 1h).
    #[arg(long, value_parser = humantime::parse_duration)]
    rotate_time: Option<Duration>,
    /// With rotation: keep only the newest N files.
    #[arg(long)]
    max_files: Option<u32>,
    /// Switch to this user once the programs are attached (like tcpdump -Z).
    #[arg(long)]
    user: Option<String>,
    /// Events per block (tuning; see format-spec.md).
    #[arg(long, default_value_t = WriterOptions::default().block_events, hide = true)]
    block_events: usize,
    /// zstd level (tuning; see format-spec.md).
    #[arg(long, default_value_t = WriterOptions::default().zstd_level, hide = true)]
    zstd_level: i32,
    #[command(flatten)]
    filter: FilterArgs,
}

pub fn run(args: &RecordArgs) -> Result<()> {
    check_environment()?;
    let mut events = 0;
    for name in &args.events {
        let kind = EventKind::from_name(name).with_context(|| {
            format!("unknown event {name:?}; use socket_accept or security_socket_accept")
        })?;
        events |= kind.bit();
    }
    if args.max_files.is_some() && args.rotate_size.is_none() && args.rotate_time.is_none() {
        bail!("--max-files needs --rotate-size or --rotate-time");
    }
    if args.flush_interval > Duration::from_secs(1) {
        bail!("--flush-interval must be at most 1s: a killed recorder loses at most that much");
    }
    let ring_size = u32::try_from(args.ring_size.max(4096).next_power_of_two())
        .ok()
        .filter(|s| *s <= 1 << 30)
        .context("--ring-size must be at most 1G")?;
    let opts = RecordOptions {
        output: args.output.clone(),
        force: args.force,
        capture: CaptureConfig {
            events,
            filter: args.filter.to_spec()?,
            ring_size,
            hook: args.hook,
            include_eagain: args.include_eagain,
        },
        duration: args.duration,
        count: args.count,
        flush_interval: args.flush_interval.max(Duration::from_millis(10)),
        writer: WriterOptions { block_events: args.block_events, zstd_level: args.zstd_level },
        rotate_size: args.rotate_size,
        rotate_time: args.rotate_time,
        max_files: args.max_files,
        user: args.user.clone(),
        command_line: std::env::args().collect(),
    };
    let mut announce = |capture: &crate::capture::Capture, path: &std::path::Path| {
        let hooks: Vec<String> =
            capture.hooks().iter().map(|h| format!("{} via {}", h.event, h.hook)).collect();
        eprintln!("accept-rec: recording to {} ({}); Ctrl-C to stop", path.display(), hooks.join(", "));
    };
    match record(&opts, &mut announce) {
        Ok(s) => {
            let per_event = if s.events > 0 { s.bytes as f64 / s.events as f64 } else { 0.0 };
            let files =
                if s.files.len() > 1 { format!(" in {} files", s.files.len()) } else { String::new() };
            eprintln!(
                "accept-rec: {} events, {} dropped, {} bytes{files}, {per_event:.2} bytes/event",
                s.events, s.lost, s.bytes
            );
            Ok(())
        }
        Err(RecordError::Write(failure)) => {
            let s = &failure.summary;
            eprintln!("accept-rec: {} events captured, {} dropped before the failure", s.events, s.lost);
            Err(RecordError::Write(failure).into())
        }
        Err(e) => Err(e.into()),
    }
}

/// `8M`, `100M`, `1G`, `4096`, `64k`.
fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let (digits, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u64 = digits.parse().map_err(|_| format!("{s:?} is not a size like 8M"))?;
    let shift = match unit.to_ascii_uppercase().trim_end_matches("IB").trim_end_matches('B') {
        "" => 0,
        "K" => 10,
        "M" => 20,
        "G" => 30,
        _ => return Err(format!("{s:?}: unknown unit; use K, M or G")),
    };
    n.checked_mul(1 << shift).ok_or_else(|| format!("{s:?} is too large"))
}

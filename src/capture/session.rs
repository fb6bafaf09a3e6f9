//! A recording session: drain the ring buffer on a timer, apply the
//! user-space part of the filter, write blocks at least every flush
//! interval, record kernel drops as they happen, rotate files, and stop
//! cleanly on a signal, a duration or a count.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};

use super::{Capture, CaptureConfig, CaptureError, host_info, privileges, time_anchor};
use crate::format::file::{create_private, rotated_path};
use crate::format::{AcceptEvent, FormatError, Header, Stats, Writer, WriterOptions};

/// Everything `record` needs.
#[derive(Clone, Debug)]
pub struct RecordOptions {
    pub output: PathBuf,
    pub force: bool,
    pub capture: CaptureConfig,
    pub duration: Option<Duration>,
    /// Stop after this many events are written.
    pub count: Option<u64>,
    pub flush_interval: Duration,
    pub writer: WriterOptions,
    pub rotate_size: Option<u64>,
    pub rotate_time: Option<Duration>,
    /// Keep only the newest N files of a rotation set.
    pub max_files: Option<u32>,
    /// Switch to this user after attaching.
    pub user: Option<String>,
    pub command_line: Vec<String>,
}

/// What a finished session did.
#[derive(Debug, Default)]
pub struct RecordSummary {
    /// Events that passed the filter (written, or lost to a write failure).
    pub events: u64,
    /// Events in files already finished by rotation.
    pub events_in_closed_files: u64,
    pub lost: u64,
    pub filtered: u64,
    pub bytes: u64,
    pub files: Vec<PathBuf>,
}

/// Why a session failed part-way, with what it managed to keep.
#[derive(Debug, thiserror::Error)]
#[error(
    "writing {path} failed: {source}; the file is valid up to its last complete block; \
     {unwritten} captured events were not written"
)]
pub struct WriteFailure {
    pub path: String,
    pub source: FormatError,
    pub unwritten: u64,
    pub summary: RecordSummary,
}

/// Errors of [`record`].
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error(transparent)]
    Capture(#[from] CaptureError),
    #[error(transparent)]
    Write(Box<WriteFailure>),
    #[error("{path}: {source}")]
    Create { path: String, source: std::io::Error },
}

/// One open output file.
struct Output {
    path: PathBuf,
    writer: Writer<std::fs::File>,
    opened: Instant,
}

/// Runs a recording until a signal, `duration` or `count`; `ready` is called
/// once the programs are attached (and privileges dropped).
pub fn record(
    opts: &RecordOptions,
    ready: &mut dyn FnMut(&Capture, &Path),
) -> Result<RecordSummary, RecordError> {
    let stop = Arc::new(AtomicBool::new(false));
    let rotate_now = Arc::new(AtomicBool::new(false));
    install_signals(&stop, &rotate_now)?;

    let mut capture = Capture::start(&opts.capture)?;
    let clock = time_anchor();
    let started_wall_ns = wall_now();
    let mut header = Header {
        created_by: format!("accept-rec {}", env!("CARGO_PKG_VERSION")),
        command_line: opts.command_line.clone(),
        started_wall_ns,
        clock,
        hosts: vec![host_info(&opts.output.display().to_string())],
        events: opts.capture.events,
        hooks: capture.hooks(),
        filter: opts.capture.filter.to_string(),
        ring_size: opts.capture.ring_size.into(),
        flush_interval_ms: opts.flush_interval.as_millis() as u32,
        include_eagain: opts.capture.include_eagain,
        rotation_seq: 0,
        derived_from: Vec::new(),
    };
    let matcher = opts.capture.filter.resolve(&clock, clock.to_ts(started_wall_ns as i128));
    let rotating = opts.rotate_size.is_some() || opts.rotate_time.is_some();
    let mut summary = RecordSummary::default();
    let mut out = open_output(opts, &header, rotating, &mut summary)?;

    match &opts.user {
        Some(user) => privileges::drop_to_user(user)?,
        None => privileges::drop_capabilities()?,
    }
    ready(&capture, &out.path);

    let deadline = opts.duration.map(|d| Instant::now() + d);
    let mut last_flush = Instant::now();
    let mut lost_seen = 0u64;
    let mut pending_error: Option<FormatError> = None;
    loop {
        let stopping = stop.load(Ordering::Relaxed)
            || deadline.is_some_and(|d| Instant::now() >= d)
            || opts.count.is_some_and(|n| summary.events >= n);
        if !stopping {
            capture.wait(Duration::from_millis(10))?;
        }
        capture.drain(&mut |event: AcceptEvent| {
            if pending_error.is_some() || opts.count.is_some_and(|n| summary.events >= n) {
                return;
            }
            if !matcher.matches(&event) {
                summary.filtered += 1;
                return;
            }
            summary.events += 1;
            if let Err(e) = out.writer.push(event) {
                pending_error = Some(e);
            }
        })?;
        let lost = capture.dropped()?;
        if lost > lost_seen && pending_error.is_none() {
            if let Err(e) = out.writer.record_loss(boot_now(&clock), lost - lost_seen) {
                pending_error = Some(e);
            }
            lost_seen = lost;
        }
        if pending_error.is_none() && last_flush.elapsed() >= opts.flush_interval {
            if let Err(e) = out.writer.flush() {
                pending_error = Some(e);
            }
            last_flush = Instant::now();
        }
        if let Some(source) = pending_error.take() {
            return Err(write_failure(out, source, summary));
        }
        if stopping {
            break;
        }
        let size_due = opts.rotate_size.is_some_and(|max| out.writer.bytes_written() >= max);
        let time_due = opts.rotate_time.is_some_and(|t| out.opened.elapsed() >= t);
        if rotating && (size_due || time_due || rotate_now.swap(false, Ordering::Relaxed)) {
            summary.bytes += finish(out, &clock, &mut summary)?;
            header.rotation_seq += 1;
            header.started_wall_ns = wall_now();
            out = open_output(opts, &header, true, &mut summary)?;
        }
    }
    summary.lost = lost_seen;
    summary.bytes += finish(out, &clock, &mut summary)?;
    Ok(summary)
}

fn install_signals(stop: &Arc<AtomicBool>, rotate_now: &Arc<AtomicBool>) -> Result<(), RecordError> {
    let register = || -> std::io::Result<()> {
        // A second SIGINT exits at once (code 130); the file keeps its valid prefix.
        signal_hook::flag::register_conditional_shutdown(SIGINT, 130, Arc::clone(stop))?;
        signal_hook::flag::register(SIGINT, Arc::clone(stop))?;
        signal_hook::flag::register(SIGTERM, Arc::clone(stop))?;
        signal_hook::flag::register(SIGHUP, Arc::clone(rotate_now))?;
        Ok(())
    };
    register().map_err(|e| {
        RecordError::Capture(CaptureError::Privileges(format!("installing signal handlers: {e}")))
    })
}

fn open_output(
    opts: &RecordOptions,
    header: &Header,
    rotating: bool,
    summary: &mut RecordSummary,
) -> Result<Output, RecordError> {
    let seq = header.rotation_seq;
    let path = if rotating { rotated_path(&opts.output, seq) } else { opts.output.clone() };
    let create_err = |source| RecordError::Create { path: path.display().to_string(), source };
    let file = create_private(&path, opts.force).map_err(create_err)?;
    let writer = Writer::new(file, header, opts.writer).map_err(|e| match e {
        FormatError::Io(io) => create_err(io),
        other => create_err(std::io::Error::other(other.to_string())),
    })?;
    if let Some(keep) = opts.max_files.filter(|_| rotating) {
        if seq >= keep {
            // Best effort: the oldest file may already have been moved away.
            let _ = std::fs::remove_file(rotated_path(&opts.output, seq - keep));
        }
    }
    summary.files.push(path.clone());
    Ok(Output { path, writer, opened: Instant::now() })
}

/// Finishes one file; returns its size.
fn finish(
    out: Output,
    clock: &crate::format::TimeAnchor,
    summary: &mut RecordSummary,
) -> Result<u64, RecordError> {
    let filtered = summary.filtered;
    let stats = Stats { end_ts_ns: boot_now(clock), end_wall_ns: wall_now(), filtered, ..Stats::default() };
    let path = out.path.display().to_string();
    let on_disk: u64 = out.writer.stats().events.iter().sum();
    let pending = out.writer.pending() as u64;
    match out.writer.finish(stats) {
        Ok(file) => {
            summary.events_in_closed_files += on_disk + pending;
            Ok(file.metadata().map(|m| m.len()).unwrap_or(0))
        }
        Err(source) => {
            // The last block may or may not have reached the file; count it as lost.
            let unwritten = summary.events.saturating_sub(summary.events_in_closed_files + on_disk);
            let summary = std::mem::take(summary);
            Err(RecordError::Write(Box::new(WriteFailure { path, source, unwritten, summary })))
        }
    }
}

/// A write failed part-way: everything matched but not yet in a file is lost.
fn write_failure(out: Output, source: FormatError, summary: RecordSummary) -> RecordError {
    let written: u64 = out.writer.stats().events.iter().sum();
    let unwritten = summary.events.saturating_sub(summary.events_in_closed_files + written);
    RecordError::Write(Box::new(WriteFailure {
        path: out.path.display().to_string(),
        source,
        unwritten,
        summary,
    }))
}

fn wall_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0)
}

/// The event clock (CLOCK_BOOTTIME) now; from the wall clock if that fails.
fn boot_now(clock: &crate::format::TimeAnchor) -> u64 {
    match nix::time::clock_gettime(nix::time::ClockId::CLOCK_BOOTTIME) {
        Ok(t) => t.tv_sec() as u64 * 1_000_000_000 + t.tv_nsec() as u64,
        Err(_) => clock.to_ts(wall_now() as i128),
    }
}

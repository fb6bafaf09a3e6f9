//! `accept-rec info`: what a recording is: where and how it was made, which
//! hooks ran, what it holds, and what was lost.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use serde::Serialize;

use super::open_recording;
use crate::format::block::{BLOCK_HEADER_LEN, BlockDecoder};
use crate::format::filter::format_rfc3339;
use crate::format::{Ending, EventKind, Header, Recording, frame};

#[derive(Args, Debug)]
pub struct InfoArgs {
    file: PathBuf,
    #[arg(long, value_enum, default_value = "text")]
    format: TextOrJson,
    /// Treat a truncated or damaged file as an error.
    #[arg(long)]
    strict: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TextOrJson {
    Text,
    Json,
}

#[derive(Serialize)]
struct Info<'a> {
    file: String,
    format_version: String,
    header: &'a Header,
    start: String,
    end: Option<String>,
    duration_s: Option<f64>,
    status: String,
    events: u64,
    socket_accept: u64,
    security_socket_accept: u64,
    lost: u64,
    loss_frames: usize,
    blocks: usize,
    indexed: bool,
    file_bytes: u64,
    bytes_per_event: f64,
    compression_ratio: f64,
}

pub fn run(args: &InfoArgs) -> Result<()> {
    let recording = open_recording(&args.file, args.strict)?;
    let info = gather(&args.file, &recording)?;
    match args.format {
        TextOrJson::Json => println!("{}", serde_json::to_string_pretty(&info)?),
        TextOrJson::Text => print_text(&info),
    }
    Ok(())
}

fn gather<'a>(path: &std::path::Path, recording: &'a Recording) -> Result<Info<'a>> {
    let header = &recording.header;
    let counts = match recording.stats {
        Some(stats) if matches!(recording.ending, Ending::Finished) => stats.events,
        _ => count_by_decoding(recording).with_context(|| path.display().to_string())?,
    };
    let (mut raw, mut packed) = (0u64, 0u64);
    for block in &recording.blocks {
        raw += u64::from(block.meta.raw_len);
        if let Ok(f) = frame::read_at(recording.bytes(), block.offset) {
            packed += (f.body.len() - BLOCK_HEADER_LEN) as u64;
        }
    }
    let events = counts[0] + counts[1];
    let file_bytes = recording.bytes().len() as u64;
    let end_wall =
        recording.stats.map(|s| s.end_wall_ns as i128).filter(|ns| *ns > 0).or_else(|| {
            recording.blocks.iter().map(|b| b.meta.max_ts).max().map(|ts| header.clock.to_wall(ts))
        });
    let status = match &recording.ending {
        Ending::Finished => "finished".to_string(),
        Ending::Unfinished => "not finished (recorder killed or still running)".to_string(),
        Ending::Truncated { offset, events } => format!("truncated at byte {offset} after {events} events"),
        Ending::Corrupt(e) => format!("damaged: {e}"),
    };
    Ok(Info {
        file: path.display().to_string(),
        format_version: format!("{}.{}", recording.version.0, recording.version.1),
        header,
        start: format_rfc3339(header.started_wall_ns as i128),
        end: end_wall.map(format_rfc3339),
        duration_s: end_wall.map(|end| (end - header.started_wall_ns as i128) as f64 / 1e9),
        status,
        events,
        socket_accept: counts[EventKind::SocketAccept as usize],
        security_socket_accept: counts[EventKind::SecuritySocketAccept as usize],
        lost: recording.losses.iter().fold(0u64, |total, l| total.saturating_add(l.lost)),
        loss_frames: recording.losses.len(),
        blocks: recording.blocks.len(),
        indexed: recording.indexed,
        file_bytes,
        bytes_per_event: if events > 0 { file_bytes as f64 / events as f64 } else { 0.0 },
        compression_ratio: if packed > 0 { raw as f64 / packed as f64 } else { 0.0 },
    })
}

fn count_by_decoding(recording: &Recording) -> Result<[u64; 2]> {
    let mut counts = [0u64; 2];
    let mut decoder = BlockDecoder::new()?;
    let mut events = Vec::new();
    for block in &recording.blocks {
        events.clear();
        recording.decode_block(block, &mut decoder, &mut events)?;
        for e in &events {
            counts[e.kind as usize] += 1;
        }
    }
    Ok(counts)
}

fn print_text(i: &Info) {
    let h = i.header;
    println!("file            {}", i.file);
    println!("format          v{} ({})", i.format_version, i.status);
    println!("created by      {}", h.created_by);
    println!("command         {}", h.command_line.join(" "));
    for (n, host) in h.hosts.iter().enumerate() {
        let label = if h.hosts.len() > 1 { format!("host[{n}]") } else { "host".to_string() };
        println!("{label:<15} {} (kernel {}, boot {})", host.hostname, host.kernel_release, host.boot_id);
    }
    println!("start           {}", i.start);
    if let (Some(end), Some(d)) = (&i.end, i.duration_s) {
        println!("end             {end} ({d:.3} s)");
    }
    for hook in &h.hooks {
        println!("hook            {:<23} {} ({})", hook.event.name(), hook.hook, hook.detail);
    }
    let filter = if h.filter.is_empty() { "none" } else { &h.filter };
    println!("filter          {filter}");
    if h.ring_size > 0 {
        println!("ring buffer     {} KiB, flush every {} ms", h.ring_size / 1024, h.flush_interval_ms);
    }
    if !h.derived_from.is_empty() {
        println!("derived from    {}", h.derived_from.join(", "));
    }
    println!(
        "events          {} (socket_accept {}, security_socket_accept {})",
        i.events, i.socket_accept, i.security_socket_accept
    );
    println!("kernel drops    {} in {} loss frames", i.lost, i.loss_frames);
    println!(
        "blocks          {} ({})",
        i.blocks,
        if i.indexed { "footer index" } else { "scanned; no index" }
    );
    println!(
        "size            {} bytes, {:.2} bytes/event, compression {:.1}x",
        i.file_bytes, i.bytes_per_event, i.compression_ratio
    );
}

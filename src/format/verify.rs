//! Full verification and recovery: walk every frame from the start, check
//! every checksum, decode every block, and say where the first problem is.

use std::io::Write;

use super::block::BlockDecoder;
use super::error::{FormatError, Result};
use super::frame::{self, FrameFault, FrameType, PREAMBLE_LEN};
use super::reader::Recording;
use super::records::{self, Index, IndexEntry, IndexTrailer, Loss, Stats};

/// What `verify` found.
#[derive(Debug, Default)]
pub struct Report {
    pub frames: u64,
    pub blocks: u64,
    pub events: [u64; 2],
    pub losses: u64,
    pub lost: u64,
    pub unknown_frames: u64,
    pub has_stats: bool,
    pub has_index: bool,
    /// Bytes that belong to whole, valid frames (including the preamble).
    pub good_bytes: u64,
    /// Event-time gaps between consecutive blocks longer than a flush interval
    /// with kernel drops in them: `(from_ts, to_ts, lost)`.
    pub loss_windows: Vec<(u64, u64, u64)>,
    /// The first problem, with its byte offset.
    pub first_error: Option<FormatError>,
}

/// Checks every byte of `recording`.
pub fn verify(recording: &Recording) -> Report {
    let mut report = Report::default();
    let bytes = recording.bytes();
    let mut decoder = match BlockDecoder::new() {
        Ok(decoder) => decoder,
        Err(e) => {
            report.first_error = Some(e);
            return report;
        }
    };
    let mut events = Vec::new();
    let mut offset = PREAMBLE_LEN as u64;
    let mut last_block_end_ts = None;
    report.good_bytes = offset;
    while offset < bytes.len() as u64 {
        let frame = match frame::read_at(bytes, offset) {
            Ok(frame) => frame,
            Err(FrameFault::Truncated) => {
                let total = report.events.iter().sum();
                report.first_error = Some(FormatError::Truncated { offset, events: total });
                break;
            }
            Err(FrameFault::Bad(e)) => {
                report.first_error = Some(e);
                break;
            }
        };
        report.frames += 1;
        let checked = match frame.kind {
            FrameType::EventBlock => {
                events.clear();
                decoder.decode(frame.body, offset, &mut events).map(|meta| {
                    report.blocks += 1;
                    for e in &events {
                        report.events[e.kind as usize] += 1;
                    }
                    last_block_end_ts = Some(meta.max_ts);
                })
            }
            FrameType::Loss => records::from_bytes::<Loss>(frame.body, frame.kind, offset).map(|loss| {
                report.losses += 1;
                // Counts come from the file: a hostile one can make them sum past u64.
                report.lost = report.lost.saturating_add(loss.lost);
                report.loss_windows.push((last_block_end_ts.unwrap_or(0), loss.ts_ns, loss.lost));
            }),
            FrameType::Stats => records::from_bytes::<Stats>(frame.body, frame.kind, offset).map(|_| {
                report.has_stats = true;
            }),
            FrameType::Index => records::from_bytes::<Index>(frame.body, frame.kind, offset).map(|_| {
                report.has_index = true;
            }),
            FrameType::Header if offset == PREAMBLE_LEN as u64 => Ok(()),
            FrameType::Header => {
                Err(FormatError::Malformed { offset, kind: "header", what: "a second header".into() })
            }
            FrameType::IndexTrailer => Ok(()),
            FrameType::Unknown(_) => {
                report.unknown_frames += 1;
                Ok(())
            }
        };
        if let Err(e) = checked {
            report.first_error = Some(e);
            break;
        }
        offset = frame.end();
        report.good_bytes = offset;
    }
    report
}

/// What `recover` kept and dropped.
#[derive(Debug, Default)]
pub struct Recovered {
    pub blocks: u64,
    pub events: u64,
    pub losses: u64,
    /// Blocks whose frames were sound but whose contents did not decode.
    pub bad_blocks: u64,
}

/// Writes the readable prefix of `recording` to `out` as a finished file:
/// the original preamble and header, then every block that decodes, every
/// loss frame and every frame of unknown type, in their order, then a fresh
/// stats frame, index and trailer.
pub fn recover<W: Write>(recording: &Recording, mut out: W) -> Result<(W, Recovered)> {
    let bytes = recording.bytes();
    let mut frames = frame::walk(bytes, PREAMBLE_LEN as u64);
    let header_end = match frames.next() {
        Some(Ok(f)) if f.kind == FrameType::Header => f.end(),
        _ => return Err(FormatError::MissingHeader { offset: PREAMBLE_LEN as u64 }),
    };
    out.write_all(&bytes[..header_end as usize])?;
    let mut written = header_end;
    let mut result = Recovered::default();
    let mut index = Index::default();
    let mut stats = Stats { end_ts_ns: 0, ..recording.stats.unwrap_or_default() };
    (stats.events, stats.lost, stats.blocks) = ([0, 0], 0, 0);
    let mut decoder = BlockDecoder::new()?;
    let mut events = Vec::new();
    for f in frames.map_while(|item| item.ok()) {
        match f.kind {
            FrameType::EventBlock => {
                events.clear();
                let Ok(meta) = decoder.decode(f.body, f.offset, &mut events) else {
                    result.bad_blocks += 1;
                    continue;
                };
                index.blocks.push(IndexEntry {
                    offset: written,
                    min_ts: meta.min_ts,
                    max_ts: meta.max_ts,
                    events: meta.events,
                });
                for e in &events {
                    stats.events[e.kind as usize] += 1;
                }
                stats.end_ts_ns = stats.end_ts_ns.max(meta.max_ts);
                stats.blocks += 1;
                result.blocks += 1;
                result.events += events.len() as u64;
            }
            FrameType::Loss => {
                let Ok(loss) = records::from_bytes::<Loss>(f.body, f.kind, f.offset) else { continue };
                index.losses.push(written);
                stats.lost = stats.lost.saturating_add(loss.lost);
                result.losses += 1;
            }
            FrameType::Unknown(_) => {}
            _ => continue,
        }
        let raw = &bytes[f.offset as usize..f.end() as usize];
        out.write_all(raw)?;
        written += raw.len() as u64;
    }
    let mut tail = Vec::new();
    index.stats_offset = written;
    frame::encode(&mut tail, FrameType::Stats, &records::to_bytes(&stats));
    let index_offset = written + tail.len() as u64;
    let index = records::to_bytes(&index);
    if index.len() as u64 <= frame::MAX_FRAME_BODY {
        frame::encode(&mut tail, FrameType::Index, &index);
        frame::encode(&mut tail, FrameType::IndexTrailer, &records::to_bytes(&IndexTrailer { index_offset }));
    }
    out.write_all(&tail)?;
    out.flush()?;
    Ok((out, result))
}

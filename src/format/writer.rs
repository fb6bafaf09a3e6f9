//! Writes `.trc` files append-only: preamble and header, then event blocks and
//! loss frames as they come, then stats, index and trailer on `finish`.
//!
//! Nothing already written is ever rewritten, so a writer killed at any point
//! leaves a file that is readable up to its last whole frame.

use std::io::Write;

use super::block::{BlockEncoder, MAX_WRITER_BLOCK_EVENTS};
use super::error::{FormatError, Result};
use super::event::AcceptEvent;
use super::frame::{self, FrameType};
use super::header::Header;
use super::records::{self, Index, IndexEntry, IndexTrailer, Loss, Stats};

/// Block size and compression level; the defaults were chosen by measurement
/// (format-spec.md, "Choosing block size and level").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WriterOptions {
    /// A block is written once this many events are pending.
    pub block_events: usize,
    pub zstd_level: i32,
}

impl Default for WriterOptions {
    fn default() -> Self {
        WriterOptions { block_events: 16384, zstd_level: 1 }
    }
}

/// An open recording being written.
#[derive(Debug)]
pub struct Writer<W: Write> {
    out: W,
    opts: WriterOptions,
    encoder: BlockEncoder,
    pending: Vec<AcceptEvent>,
    /// Scratch for the frame under construction.
    buf: Vec<u8>,
    body: Vec<u8>,
    offset: u64,
    index: Index,
    stats: Stats,
    /// Set after an I/O error: the file's tail is unknown, so nothing more is appended.
    failed: bool,
}

impl<W: Write> Writer<W> {
    /// Writes the preamble and the header frame.
    pub fn new(out: W, header: &Header, opts: WriterOptions) -> Result<Writer<W>> {
        let block_events = opts.block_events.clamp(1, MAX_WRITER_BLOCK_EVENTS);
        let mut writer = Writer {
            out,
            opts: WriterOptions { block_events, ..opts },
            encoder: BlockEncoder::new(opts.zstd_level)?,
            pending: Vec::with_capacity(block_events),
            buf: Vec::new(),
            body: Vec::new(),
            offset: 0,
            index: Index::default(),
            stats: Stats::default(),
            failed: false,
        };
        writer.buf.extend_from_slice(&frame::preamble());
        frame::encode(&mut writer.buf, FrameType::Header, &records::to_bytes(header));
        writer.write_buf()?;
        Ok(writer)
    }

    /// Queues one event; writes a block when enough are pending.
    pub fn push(&mut self, event: AcceptEvent) -> Result<()> {
        self.pending.push(event);
        if self.pending.len() >= self.opts.block_events { self.write_block() } else { Ok(()) }
    }

    /// Events queued but not yet in the file.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Writes whatever is pending as a block and flushes the output, so a
    /// crash from here on loses nothing queued so far.
    pub fn flush(&mut self) -> Result<()> {
        self.write_block()?;
        self.out.flush()?;
        Ok(())
    }

    /// Records kernel drops noticed at `ts_ns`. Pending events go first, so
    /// the loss frame sits after the events seen before it.
    pub fn record_loss(&mut self, ts_ns: u64, lost: u64) -> Result<()> {
        if lost == 0 {
            return Ok(());
        }
        self.write_block()?;
        let loss = Loss { ts_ns, lost, lost_total: self.stats.lost.saturating_add(lost) };
        let offset = self.offset;
        frame::encode(&mut self.buf, FrameType::Loss, &records::to_bytes(&loss));
        self.write_buf()?;
        self.stats.lost = loss.lost_total;
        self.index.losses.push(offset);
        Ok(())
    }

    /// Counts so far: events per kind, drops and blocks written.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// Bytes in the file so far.
    pub fn bytes_written(&self) -> u64 {
        self.offset
    }

    /// Writes the last block, the stats frame (`stats`' end time and filtered
    /// count are the caller's; the counts are the writer's own), the index
    /// and its trailer, and hands back the output.
    pub fn finish(mut self, stats: Stats) -> Result<W> {
        self.write_block()?;
        self.stats.end_ts_ns = stats.end_ts_ns;
        self.stats.end_wall_ns = stats.end_wall_ns;
        self.stats.filtered = stats.filtered;
        self.index.stats_offset = self.offset;
        frame::encode(&mut self.buf, FrameType::Stats, &records::to_bytes(&self.stats));
        self.write_buf()?;
        // The index is optional: one too large for a frame (about 600k blocks,
        // a week at one block a second) is left out, and readers scan instead.
        let index = records::to_bytes(&self.index);
        if index.len() as u64 <= frame::MAX_FRAME_BODY {
            let index_offset = self.offset;
            frame::encode(&mut self.buf, FrameType::Index, &index);
            let trailer = records::to_bytes(&IndexTrailer { index_offset });
            frame::encode(&mut self.buf, FrameType::IndexTrailer, &trailer);
            self.write_buf()?;
        }
        self.out.flush()?;
        Ok(self.out)
    }

    fn write_block(&mut self) -> Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        self.body.clear();
        let meta = self.encoder.encode(&mut self.pending, &mut self.body)?;
        let offset = self.offset;
        frame::encode(&mut self.buf, FrameType::EventBlock, &self.body);
        // On failure the events stay pending: the caller can tell how many never reached the file.
        self.write_buf()?;
        for event in self.pending.drain(..) {
            self.stats.events[event.kind as usize] += 1;
        }
        self.index.blocks.push(IndexEntry {
            offset,
            min_ts: meta.min_ts,
            max_ts: meta.max_ts,
            events: meta.events,
        });
        self.stats.blocks += 1;
        Ok(())
    }

    /// Writes the scratch buffer with one `write_all`, so each frame reaches
    /// the kernel whole or not at all as far as this process can tell.
    fn write_buf(&mut self) -> Result<()> {
        if self.failed {
            return Err(FormatError::Io(std::io::Error::other("an earlier write failed")));
        }
        let result = self.out.write_all(&self.buf);
        if result.is_err() {
            self.failed = true;
        } else {
            self.offset += self.buf.len() as u64;
        }
        self.buf.clear();
        Ok(result?)
    }
}

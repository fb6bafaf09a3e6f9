//! Opens recordings: maps the file, reads the header, and finds the blocks,
//! from the footer index when the file has a good one, else by scanning.
//!
//! Parsing works on a `&[u8]`, so a memory map is read with no copies.

use std::fs::File;
use std::path::Path;

use super::block::{self, BlockDecoder, BlockMeta};
use super::error::{FormatError, Result};
use super::event::AcceptEvent;
use super::frame::{self, Frame, FrameFault, FrameType, PREAMBLE_LEN};
use super::header::Header;
use super::records::{self, Index, IndexTrailer, Loss, Stats, TRAILER_LEN};

/// A recording's bytes: mapped from a file, or owned.
#[derive(Debug)]
enum Bytes {
    Mapped(memmap2::Mmap),
    Owned(Vec<u8>),
}

impl std::ops::Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Mapped(map) => map,
            Bytes::Owned(vec) => vec,
        }
    }
}

/// One event block: where it is and what its header says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockRef {
    pub offset: u64,
    pub meta: BlockMeta,
}

/// How the readable part of a file ends.
#[derive(Debug)]
pub enum Ending {
    /// A finished file: stats, index and trailer are present.
    Finished,
    /// The bytes stop cleanly after a whole frame, but the writer never
    /// finished (it was killed, or is still writing).
    Unfinished,
    /// The bytes stop inside a frame: what a writer killed mid-write leaves.
    Truncated { offset: u64, events: u64 },
    /// A damaged frame; nothing after it was read.
    Corrupt(FormatError),
}

/// An opened recording: its header and the layout of its frames.
#[derive(Debug)]
pub struct Recording {
    bytes: Bytes,
    pub version: (u16, u16),
    pub header: Header,
    pub blocks: Vec<BlockRef>,
    pub losses: Vec<Loss>,
    pub stats: Option<Stats>,
    pub ending: Ending,
    /// Whether the block list came from the footer index rather than a scan.
    pub indexed: bool,
    /// Frames of types this version does not know, skipped.
    pub unknown_frames: u64,
}

impl Recording {
    /// Maps and opens the file at `path`.
    pub fn open(path: &Path) -> Result<Recording> {
        let file = File::open(path)?;
        let len = file.metadata()?.len();
        if len == 0 {
            return Recording::from_vec(Vec::new());
        }
        // SAFETY: the map is read-only. A recording that another process
        // truncates while we read it can raise SIGBUS; the same holds for
        // every mmap-based reader (pcap, perf) and is accepted here.
        let map = unsafe { memmap2::Mmap::map(&file)? };
        Recording::parse(Bytes::Mapped(map))
    }

    /// Opens a recording held in memory.
    pub fn from_vec(bytes: Vec<u8>) -> Result<Recording> {
        Recording::parse(Bytes::Owned(bytes))
    }

    /// The whole file.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Events in all readable blocks, from the block headers.
    pub fn event_count(&self) -> u64 {
        self.blocks.iter().map(|b| u64::from(b.meta.events)).sum()
    }

    /// Decodes one block, appending its events to `out`.
    pub fn decode_block(
        &self,
        block: &BlockRef,
        decoder: &mut BlockDecoder,
        out: &mut Vec<AcceptEvent>,
    ) -> Result<BlockMeta> {
        let frame =
            frame::read_at(&self.bytes, block.offset).map_err(|fault| fault_error(fault, block.offset, 0))?;
        if frame.kind != FrameType::EventBlock {
            let what = format!("expected an event block, found a {} frame", frame.kind.name());
            return Err(FormatError::Malformed { offset: block.offset, kind: "index", what });
        }
        let meta = decoder.decode(frame.body, block.offset, out)?;
        if meta != block.meta {
            let what = "the block header disagrees with the index".to_string();
            return Err(FormatError::Malformed { offset: block.offset, kind: "event block", what });
        }
        Ok(meta)
    }

    /// Every event, block by block, in file order.
    pub fn events(&self) -> Events<'_> {
        Events { recording: self, next_block: 0, decoder: None, buf: Vec::new(), pos: 0, failed: false }
    }

    fn parse(bytes: Bytes) -> Result<Recording> {
        let version = frame::check_preamble(&bytes)?;
        let first = PREAMBLE_LEN as u64;
        let header_frame = frame::read_at(&bytes, first).map_err(|fault| fault_error(fault, first, 0))?;
        if header_frame.kind != FrameType::Header {
            return Err(FormatError::MissingHeader { offset: first });
        }
        let header: Header = records::from_bytes(header_frame.body, FrameType::Header, first)?;
        let header_end = header_frame.end();
        let mut recording = Recording {
            bytes,
            version,
            header,
            blocks: Vec::new(),
            losses: Vec::new(),
            stats: None,
            ending: Ending::Unfinished,
            indexed: false,
            unknown_frames: 0,
        };
        if !recording.load_index() {
            recording.scan(header_end);
        }
        Ok(recording)
    }

    /// Uses the footer index if the file ends with a sound one.
    fn load_index(&mut self) -> bool {
        match self.read_index() {
            Some((index, losses, stats)) => {
                self.blocks = index;
                self.losses = losses;
                self.stats = Some(stats);
                self.ending = Ending::Finished;
                self.indexed = true;
                true
            }
            None => false,
        }
    }

    fn read_index(&self) -> Option<(Vec<BlockRef>, Vec<Loss>, Stats)> {
        let bytes: &[u8] = &self.bytes;
        let trailer_at = bytes.len().checked_sub(TRAILER_LEN)? as u64;
        let trailer = frame::read_at(bytes, trailer_at).ok()?;
        if trailer.kind != FrameType::IndexTrailer || trailer.end() != bytes.len() as u64 {
            return None;
        }
        let IndexTrailer { index_offset } =
            records::from_bytes(trailer.body, FrameType::IndexTrailer, trailer_at).ok()?;
        let index_frame = frame::read_at(bytes, index_offset).ok()?;
        if index_frame.kind != FrameType::Index || index_frame.end() != trailer_at {
            return None;
        }
        let index: Index = records::from_bytes(index_frame.body, FrameType::Index, index_offset).ok()?;
        let offsets = index.blocks.iter().map(|entry| entry.offset);
        let block_frames = frames_in_order(bytes, offsets, FrameType::EventBlock, index_offset)?;
        let mut blocks = Vec::with_capacity(index.blocks.len());
        for (entry, frame) in index.blocks.iter().zip(block_frames) {
            // The index does not repeat raw lengths; take them from the block headers.
            let meta = block::read_meta(frame.body, entry.offset).ok()?;
            if (meta.events, meta.min_ts, meta.max_ts) != (entry.events, entry.min_ts, entry.max_ts) {
                return None;
            }
            blocks.push(BlockRef { offset: entry.offset, meta });
        }
        let losses = frames_in_order(bytes, index.losses.iter().copied(), FrameType::Loss, index_offset)?
            .into_iter()
            .map(|f| records::from_bytes(f.body, FrameType::Loss, f.offset).ok())
            .collect::<Option<Vec<Loss>>>()?;
        let stats_frame =
            frame::read_at(bytes, index.stats_offset).ok().filter(|f| f.kind == FrameType::Stats)?;
        let stats = records::from_bytes(stats_frame.body, FrameType::Stats, index.stats_offset).ok()?;
        Some((blocks, losses, stats))
    }

    /// Walks every frame from `offset` to the end or to the first bad byte.
    fn scan(&mut self, offset: u64) {
        let len = self.bytes.len() as u64;
        let bytes: &[u8] = &self.bytes;
        let (mut blocks, mut losses, mut stats, mut unknown) = (Vec::new(), Vec::new(), None, 0);
        let mut ending = Ending::Unfinished;
        for item in frame::walk(bytes, offset) {
            let frame = match item {
                Ok(frame) => frame,
                Err((offset, fault)) => {
                    let events = blocks.iter().map(|b: &BlockRef| u64::from(b.meta.events)).sum();
                    ending = match fault_error(fault, offset, events) {
                        FormatError::Truncated { offset, events } => Ending::Truncated { offset, events },
                        other => Ending::Corrupt(other),
                    };
                    break;
                }
            };
            let offset = frame.offset;
            let parsed = match frame.kind {
                FrameType::EventBlock => block::read_meta(frame.body, offset).map(|meta| {
                    blocks.push(BlockRef { offset, meta });
                }),
                FrameType::Loss => {
                    records::from_bytes(frame.body, frame.kind, offset).map(|l| losses.push(l))
                }
                FrameType::Stats => {
                    records::from_bytes(frame.body, frame.kind, offset).map(|s| stats = Some(s))
                }
                FrameType::Index | FrameType::IndexTrailer => Ok(()),
                FrameType::Header => Err(FormatError::Malformed {
                    offset,
                    kind: "header",
                    what: "a second header frame".into(),
                }),
                FrameType::Unknown(_) => {
                    unknown += 1;
                    Ok(())
                }
            };
            if let Err(error) = parsed {
                ending = Ending::Corrupt(error);
                break;
            }
            if frame.kind == FrameType::IndexTrailer && frame.end() == len {
                ending = Ending::Finished;
            }
        }
        (self.blocks, self.losses, self.stats, self.unknown_frames, self.ending) =
            (blocks, losses, stats, unknown, ending);
    }
}

/// The frames of type `kind` at `offsets`, which must lie between the header
/// and `end`, in file order, each after the end of the one before. So no
/// index can make the reader checksum the same bytes twice (one 16 MiB frame
/// listed a million times would take hours): reading an index costs at
/// most one pass over the file for its blocks and one for its losses.
fn frames_in_order(
    bytes: &[u8],
    offsets: impl IntoIterator<Item = u64>,
    kind: FrameType,
    end: u64,
) -> Option<Vec<Frame<'_>>> {
    let mut free_from = PREAMBLE_LEN as u64 + 1;
    offsets
        .into_iter()
        .map(|offset| {
            if offset < free_from || offset >= end {
                return None;
            }
            let frame = frame::read_at(bytes, offset).ok().filter(|f| f.kind == kind)?;
            free_from = frame.end();
            Some(frame)
        })
        .collect()
}

fn fault_error(fault: FrameFault, offset: u64, events: u64) -> FormatError {
    match fault {
        FrameFault::Truncated => FormatError::Truncated { offset, events },
        FrameFault::Bad(error) => error,
    }
}

/// Iterator over a recording's events; see [`Recording::events`].
#[derive(Debug)]
pub struct Events<'a> {
    recording: &'a Recording,
    next_block: usize,
    decoder: Option<BlockDecoder>,
    buf: Vec<AcceptEvent>,
    pos: usize,
    failed: bool,
}

impl Iterator for Events<'_> {
    type Item = Result<AcceptEvent>;

    fn next(&mut self) -> Option<Self::Item> {
        while self.pos == self.buf.len() {
            let block = self.recording.blocks.get(self.next_block)?;
            if self.failed {
                return None;
            }
            self.next_block += 1;
            self.buf.clear();
            self.pos = 0;
            let decoder = match &mut self.decoder {
                Some(decoder) => decoder,
                None => match BlockDecoder::new() {
                    Ok(decoder) => self.decoder.insert(decoder),
                    Err(e) => return self.fail(e),
                },
            };
            if let Err(e) = self.recording.decode_block(block, decoder, &mut self.buf) {
                return self.fail(e);
            }
        }
        let event = std::mem::take(&mut self.buf[self.pos]);
        self.pos += 1;
        Some(Ok(event))
    }
}

impl Events<'_> {
    fn fail(&mut self, error: FormatError) -> Option<Result<AcceptEvent>> {
        self.failed = true;
        Some(Err(error))
    }
}

//! Event blocks: a batch of events stored column by column (bincode), then
//! compressed as one independent zstd frame.
//!
//! Columns, not rows, because neighbouring values of one field are alike:
//! timestamps become small deltas and a thread's context becomes one table
//! row, which is what lets zstd reach a few bytes per event.

use rustc_hash::FxHashMap;

use super::columns::{self, Columns, Decoded, addr_row, context_row};
use super::error::{FormatError, Result};
use super::event::{AcceptEvent, EventFlags, EventKind, PeerCred, ProcessContext, SockAddr};
use super::records;

/// Bytes before the compressed payload.
pub const BLOCK_HEADER_LEN: usize = 28;
/// The only payload encoding of format v1.
pub const ENCODING_COLUMNAR: u8 = 1;
/// Decompression bombs stop here, whatever the header claims: a header that
/// claims more is refused before anything is allocated, and a payload is
/// decompressed into a buffer reserved for `raw_len` bytes, at most this.
///
/// # What one block can make the reader allocate
///
/// Beyond the file's own bytes (mapped, or the caller's `Vec`), a
/// [`BlockDecoder`] decoding a block of `n` events holds at most:
///
/// | what | bytes | n = 2^20 |
/// | --- | --- | --- |
/// | the payload buffer, kept for the next block | largest `raw_len` so far ≤ `MAX_BLOCK_RAW` | 64 MiB |
/// | the 15 per-event columns | 50 `n` | 50 MiB |
/// | the context table, ≤ `n` rows | 56 `n` | 56 MiB |
/// | the address table, ≤ 2`n` entries | 32 · 2`n`, plus one allocation of 16 + len ≤ 124 bytes per unix path | 64 MiB + paths |
/// | the decoded events, appended to the caller's `Vec` | 160 `n` | 160 MiB |
///
/// Column lengths are checked before anything is read into them
/// (`columns.rs`), so a block cannot claim more than this and send less.
/// Every row must also fit in the payload (`raw_len` ≤ 64 MiB holds 50 bytes
/// per event, 56 per context row, at least 4 per address and 12 + len per
/// unix path), which keeps the sum well under the column-by-column maximum:
/// the worst block is 2^20 events with two empty addresses each and the
/// rest of its 64 MiB spent on empty unix paths, about 362 MiB in all
/// (`fuzz/examples/block_memory.rs` decodes it: RSS grows by 362 MiB).
/// Nothing outlives the block but the payload buffer and the events. The
/// other frames allocate at most about six times their body, which
/// `MAX_FRAME_BODY` caps at 16 MiB: a header of 1.8 million one-byte strings
/// takes 100 MiB while it is read.
pub const MAX_BLOCK_RAW: u64 = 64 << 20;
/// Most events one block may hold.
pub const MAX_BLOCK_EVENTS: u32 = 1 << 20;
/// Most events a writer puts in one block: even incompressible events (two
/// 108-byte unix paths and a new context each, under 400 bytes) then stay
/// well inside [`super::frame::MAX_FRAME_BODY`].
pub const MAX_WRITER_BLOCK_EVENTS: usize = 32768;
/// On-disk flag bit: the peer credential columns hold a value.
const FLAG_HAS_PEER: u8 = 1 << 7;

/// What the block header says, readable without decompressing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BlockMeta {
    pub events: u32,
    pub raw_len: u32,
    pub min_ts: u64,
    pub max_ts: u64,
}

/// Turns batches of events into block frame bodies. Keeps its buffers and
/// zstd context between blocks.
pub struct BlockEncoder {
    compressor: zstd::bulk::Compressor<'static>,
    contexts: FxHashMap<ProcessContext, u32>,
    addrs: FxHashMap<SockAddr, u32>,
    /// Neighbouring events mostly share a thread and a listener: remember the
    /// last table rows to skip most hash lookups.
    last_ctx: Option<(ProcessContext, u32)>,
    last_addr: [Option<(SockAddr, u32)>; 2],
    cols: Columns,
}

impl std::fmt::Debug for BlockEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlockEncoder").finish_non_exhaustive()
    }
}

impl BlockEncoder {
    pub fn new(zstd_level: i32) -> Result<BlockEncoder> {
        Ok(BlockEncoder {
            compressor: zstd::bulk::Compressor::new(zstd_level)?,
            contexts: FxHashMap::default(),
            addrs: FxHashMap::default(),
            last_ctx: None,
            last_addr: [None, None],
            cols: Columns::default(),
        })
    }

    /// Sorts `events` by time and appends the block body to `out`.
    pub fn encode(&mut self, events: &mut [AcceptEvent], out: &mut Vec<u8>) -> Result<BlockMeta> {
        if events.is_empty() || events.len() > MAX_BLOCK_EVENTS as usize {
            return Err(FormatError::InvalidEvent(format!("a block holds 1..={MAX_BLOCK_EVENTS} events")));
        }
        events.sort_by_key(|e| e.ts_ns);
        self.contexts.clear();
        self.addrs.clear();
        self.last_ctx = None;
        self.last_addr = [None, None];
        self.cols.clear();
        let min_ts = events[0].ts_ns;
        let mut prev_ts = min_ts;
        for event in events.iter() {
            self.push(event, event.ts_ns - prev_ts);
            prev_ts = event.ts_ns;
        }
        let raw = records::to_bytes(&self.cols);
        if raw.len() as u64 > MAX_BLOCK_RAW {
            return Err(FormatError::InvalidEvent(format!("block of {} bytes is over the limit", raw.len())));
        }
        let meta =
            BlockMeta { events: events.len() as u32, raw_len: raw.len() as u32, min_ts, max_ts: prev_ts };
        out.extend_from_slice(&meta.events.to_le_bytes());
        out.extend_from_slice(&meta.raw_len.to_le_bytes());
        out.extend_from_slice(&meta.min_ts.to_le_bytes());
        out.extend_from_slice(&meta.max_ts.to_le_bytes());
        out.extend_from_slice(&[ENCODING_COLUMNAR, 0, 0, 0]);
        out.extend_from_slice(&self.compressor.compress(&raw)?);
        if out.len() as u64 > super::frame::MAX_FRAME_BODY {
            return Err(FormatError::InvalidEvent(format!(
                "a block of {} bytes is over the frame limit",
                out.len()
            )));
        }
        Ok(meta)
    }

    fn push(&mut self, e: &AcceptEvent, ts_delta: u64) {
        let ctx = match &self.last_ctx {
            Some((last, i)) if *last == e.ctx => *i,
            _ => {
                let next = self.contexts.len() as u32;
                let i = *self.contexts.entry(e.ctx).or_insert_with(|| {
                    self.cols.contexts.push(context_row(&e.ctx));
                    next
                });
                self.last_ctx = Some((e.ctx, i));
                i
            }
        };
        let local = self.addr_index(&e.local, 0);
        let remote = self.addr_index(&e.remote, 1);
        let c = &mut self.cols;
        c.kind.push(e.kind as u8);
        c.ts_delta.push(ts_delta);
        c.ctx.push(ctx);
        c.sockfd.push(e.sockfd);
        c.fd.push(e.fd);
        c.ret.push(e.ret);
        c.sock_type.push(e.sock_type);
        c.local.push(local);
        c.local_port.push(e.local.port().unwrap_or(0));
        c.remote.push(remote);
        c.remote_port.push(e.remote.port().unwrap_or(0));
        let peer = e.peer.unwrap_or(PeerCred { pid: 0, uid: 0 });
        c.peer_pid.push(peer.pid);
        c.peer_uid.push(peer.uid);
        let has_peer = if e.peer.is_some() { FLAG_HAS_PEER } else { 0 };
        c.flags.push((e.flags.0 & !FLAG_HAS_PEER) | has_peer);
        c.source.push(e.source);
    }

    /// The table row of `addr` without its port; `side` picks the last-row cache.
    fn addr_index(&mut self, addr: &SockAddr, side: usize) -> u32 {
        let key = addr.without_port();
        if let Some((last, i)) = &self.last_addr[side] {
            if *last == key {
                return *i;
            }
        }
        let i = match self.addrs.get(&key) {
            Some(i) => *i,
            None => {
                let i = self.cols.addrs.len() as u32;
                self.cols.addrs.push(addr_row(&key));
                self.addrs.insert(key.clone(), i);
                i
            }
        };
        self.last_addr[side] = Some((key, i));
        i
    }
}

/// Reads the block header of an event block frame body.
pub fn read_meta(body: &[u8], offset: u64) -> Result<BlockMeta> {
    let malformed = |what: String| FormatError::Malformed { offset, kind: "event block", what };
    if body.len() < BLOCK_HEADER_LEN {
        return Err(malformed(format!("{} bytes is shorter than the block header", body.len())));
    }
    let u32_at = |i: usize| u32::from_le_bytes([body[i], body[i + 1], body[i + 2], body[i + 3]]);
    let u64_at = |i: usize| u64::from(u32_at(i)) | (u64::from(u32_at(i + 4)) << 32);
    let meta = BlockMeta { events: u32_at(0), raw_len: u32_at(4), min_ts: u64_at(8), max_ts: u64_at(16) };
    if body[24] != ENCODING_COLUMNAR {
        return Err(malformed(format!("unknown payload encoding {}", body[24])));
    }
    if meta.events == 0 || meta.events > MAX_BLOCK_EVENTS {
        return Err(malformed(format!("event count {} is outside 1..={MAX_BLOCK_EVENTS}", meta.events)));
    }
    if u64::from(meta.raw_len) > MAX_BLOCK_RAW {
        return Err(FormatError::BlockTooLarge { offset, raw_len: meta.raw_len.into(), max: MAX_BLOCK_RAW });
    }
    if meta.min_ts > meta.max_ts {
        return Err(malformed(format!("time range {}..{} runs backwards", meta.min_ts, meta.max_ts)));
    }
    Ok(meta)
}

/// Decodes event block bodies. Keeps its zstd context and buffer between blocks.
pub struct BlockDecoder {
    decompressor: zstd::bulk::Decompressor<'static>,
    raw: Vec<u8>,
}

impl std::fmt::Debug for BlockDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlockDecoder").finish_non_exhaustive()
    }
}

impl BlockDecoder {
    pub fn new() -> Result<BlockDecoder> {
        Ok(BlockDecoder { decompressor: zstd::bulk::Decompressor::new()?, raw: Vec::new() })
    }

    /// Decodes the block frame body found at `offset`, appending its events to `out`.
    pub fn decode(&mut self, body: &[u8], offset: u64, out: &mut Vec<AcceptEvent>) -> Result<BlockMeta> {
        let meta = read_meta(body, offset)?;
        let raw_len = meta.raw_len as usize;
        self.raw.clear();
        // Exactly: `reserve` may round up, past the limit. zstd writes at
        // most the buffer's capacity, which an earlier block may have left
        // larger than this one's raw_len, but never past MAX_BLOCK_RAW; and
        // it touches only the pages it writes, where zeroing raw_len bytes
        // first would let a 40-byte block claiming 64 MiB cost a 64 MiB memset.
        self.raw.reserve_exact(raw_len);
        let n = self
            .decompressor
            .decompress_to_buffer(&body[BLOCK_HEADER_LEN..], &mut self.raw)
            .map_err(|e| FormatError::Decompress { offset, what: e.to_string() })?;
        if n != raw_len {
            let what = format!("payload is {n} bytes, header says {raw_len}");
            return Err(FormatError::Decompress { offset, what });
        }
        let cols = columns::decode(&self.raw, meta.events as usize, offset)?;
        // A block is read whole or not at all: no events from a block that fails.
        let start = out.len();
        if let Err(error) = rebuild(&cols, &meta, offset, out) {
            out.truncate(start);
            return Err(error);
        }
        Ok(meta)
    }

    /// Bytes held for decompressed payloads.
    #[cfg(test)]
    pub(crate) fn raw_capacity(&self) -> usize {
        self.raw.capacity()
    }
}

fn rebuild(c: &Decoded, meta: &BlockMeta, offset: u64, out: &mut Vec<AcceptEvent>) -> Result<()> {
    let malformed = |what: String| FormatError::Malformed { offset, kind: "event block", what };
    let n = meta.events as usize;
    // columns::decode saw to it that every per-event column has n entries.
    let row = |table: &[SockAddr], i: u32, port: u16| -> Result<SockAddr> {
        let addr =
            table.get(i as usize).ok_or_else(|| malformed(format!("address index {i} out of range")))?;
        Ok(with_port(addr, port))
    };
    if c.ts_delta.first() != Some(&0) {
        return Err(malformed("the first event's time is not the block's min_ts".into()));
    }
    out.reserve_exact(n);
    let mut ts = meta.min_ts;
    for i in 0..n {
        ts = ts
            .checked_add(c.ts_delta[i])
            .filter(|t| *t <= meta.max_ts)
            .ok_or_else(|| malformed(format!("event {i}'s timestamp is outside the block's range")))?;
        let kind = EventKind::from_code(c.kind[i])
            .ok_or_else(|| malformed(format!("unknown event kind {}", c.kind[i])))?;
        let ctx = *c
            .contexts
            .get(c.ctx[i] as usize)
            .ok_or_else(|| malformed(format!("context index {} out of range", c.ctx[i])))?;
        let flags = c.flags[i];
        out.push(AcceptEvent {
            kind,
            ts_ns: ts,
            ctx,
            sockfd: c.sockfd[i],
            fd: c.fd[i],
            ret: c.ret[i],
            sock_type: c.sock_type[i],
            local: row(&c.addrs, c.local[i], c.local_port[i])?,
            remote: row(&c.addrs, c.remote[i], c.remote_port[i])?,
            peer: (flags & FLAG_HAS_PEER != 0).then_some(PeerCred { pid: c.peer_pid[i], uid: c.peer_uid[i] }),
            flags: EventFlags(flags & !FLAG_HAS_PEER),
            source: c.source[i],
        });
    }
    if ts != meta.max_ts {
        return Err(malformed("the last event's time is not the block's max_ts".into()));
    }
    Ok(())
}

fn with_port(addr: &SockAddr, port: u16) -> SockAddr {
    match addr {
        SockAddr::Inet { addr, .. } => SockAddr::Inet { addr: *addr, port },
        SockAddr::Inet6 { addr, flowinfo, scope_id, .. } => {
            SockAddr::Inet6 { addr: *addr, port, flowinfo: *flowinfo, scope_id: *scope_id }
        }
        other => other.clone(),
    }
}

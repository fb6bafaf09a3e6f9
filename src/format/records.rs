//! The small frame bodies (loss, stats, index, trailer) and the one bincode
//! configuration every body uses: bincode 1.x, fixed-width integers,
//! little-endian, trailing bytes allowed so later minor versions can append
//! fields.

use bincode::Options;
use serde::de::{DeserializeOwned, DeserializeSeed};
use serde::{Deserialize, Serialize};

use super::error::{FormatError, Result};
use super::frame::FrameType;

fn options(limit: u64) -> impl Options {
    bincode::DefaultOptions::new()
        .with_fixint_encoding()
        .with_little_endian()
        .allow_trailing_bytes()
        .with_limit(limit)
}

/// Serializes a frame body.
pub fn to_bytes<T: Serialize>(value: &T) -> Vec<u8> {
    // Serializing plain data into a Vec cannot fail; the limit is the frame cap.
    options(u64::MAX).serialize(value).unwrap_or_default()
}

/// Deserializes a frame body; no allocation can exceed the body's own size.
pub fn from_bytes<T: DeserializeOwned>(body: &[u8], kind: FrameType, offset: u64) -> Result<T> {
    options(body.len() as u64).deserialize(body).map_err(|e| FormatError::Malformed {
        offset,
        kind: kind.name(),
        what: e.to_string(),
    })
}

/// Deserializes a frame body through `seed`, under the same size limit.
pub fn from_bytes_seed<'a, S: DeserializeSeed<'a>>(
    body: &'a [u8],
    seed: S,
    kind: FrameType,
    offset: u64,
) -> Result<S::Value> {
    options(body.len() as u64).deserialize_seed(seed, body).map_err(|e| FormatError::Malformed {
        offset,
        kind: kind.name(),
        what: e.to_string(),
    })
}

/// Kernel drops seen since the previous loss frame, written as they happen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Loss {
    /// Event-clock time when the drops were noticed.
    pub ts_ns: u64,
    /// Events lost since the previous loss frame.
    pub lost: u64,
    /// Events lost since recording started.
    pub lost_total: u64,
}

/// Written once, by a writer that finished cleanly.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// Event-clock time when recording stopped.
    pub end_ts_ns: u64,
    pub end_wall_ns: u64,
    /// Events written, per [`super::EventKind`] code: `[socket_accept, security_socket_accept]`.
    pub events: [u64; 2],
    /// Kernel ring-buffer drops.
    pub lost: u64,
    /// Events captured but rejected by the user-space part of the filter.
    pub filtered: u64,
    pub blocks: u64,
}

/// Where one event block is and what it holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexEntry {
    /// Offset of the block's frame.
    pub offset: u64,
    pub min_ts: u64,
    pub max_ts: u64,
    pub events: u32,
}

/// The optional footer: where everything is, so a reader need not scan.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Index {
    /// Every event block, in file order.
    pub blocks: Vec<IndexEntry>,
    /// Offsets of every loss frame, in file order.
    pub losses: Vec<u64>,
    /// Offset of the stats frame.
    pub stats_offset: u64,
}

/// The last frame of a finished file: where its index frame starts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexTrailer {
    pub index_offset: u64,
}

/// Trailer frame size: 12 bytes of framing around an 8-byte body.
pub const TRAILER_LEN: usize = 20;

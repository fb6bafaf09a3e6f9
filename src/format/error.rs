//! Everything that can be wrong with a recording's bytes, each with the byte
//! offset where it was found. The caller adds the file name.

use std::io;

/// A problem reading or writing a `.trc` file.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    #[error(transparent)]
    Io(#[from] io::Error),
    #[error("not an accept-rec recording (bad magic at byte 0)")]
    BadMagic,
    #[error(
        "format version {major}.{minor} is newer than this accept-rec reads ({supported}.x); upgrade accept-rec"
    )]
    UnsupportedVersion { major: u16, minor: u16, supported: u16 },
    #[error("file too short for a header ({len} bytes); was the recorder killed before it wrote one?")]
    TooShort { len: usize },
    #[error("truncated at byte {offset} after {events} events")]
    Truncated { offset: u64, events: u64 },
    #[error("frame at byte {offset} claims {len} body bytes, more than the {max}-byte limit")]
    FrameTooLarge { offset: u64, len: u64, max: u64 },
    #[error(
        "checksum mismatch in {kind} frame at byte {offset} (stored {stored:#010x}, computed {computed:#010x})"
    )]
    Checksum { offset: u64, kind: &'static str, stored: u32, computed: u32 },
    #[error("malformed {kind} frame at byte {offset}: {what}")]
    Malformed { offset: u64, kind: &'static str, what: String },
    #[error("the first frame (byte {offset}) is not a header frame")]
    MissingHeader { offset: u64 },
    #[error("event block at byte {offset} would expand to {raw_len} bytes, over the {max}-byte limit")]
    BlockTooLarge { offset: u64, raw_len: u64, max: u64 },
    #[error("event block at byte {offset} does not decompress: {what}")]
    Decompress { offset: u64, what: String },
    #[error("the writer was given an invalid event: {0}")]
    InvalidEvent(String),
}

impl FormatError {
    /// The byte offset the error points at, when it has one.
    pub fn offset(&self) -> Option<u64> {
        match self {
            FormatError::BadMagic => Some(0),
            FormatError::Truncated { offset, .. }
            | FormatError::FrameTooLarge { offset, .. }
            | FormatError::Checksum { offset, .. }
            | FormatError::Malformed { offset, .. }
            | FormatError::MissingHeader { offset }
            | FormatError::BlockTooLarge { offset, .. }
            | FormatError::Decompress { offset, .. } => Some(*offset),
            _ => None,
        }
    }
}

pub type Result<T, E = FormatError> = std::result::Result<T, E>;

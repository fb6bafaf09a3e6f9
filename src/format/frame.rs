//! The frame layer: `type u32 | length u32 | body | crc32c u32`, little-endian.
//!
//! Every frame is self-delimiting and checksummed, so a reader can skip types
//! it does not know and can stop cleanly at the first damaged byte.

use super::error::{FormatError, Result};

/// `\x89TRC\r\n\x1a\n`: the high bit catches 7-bit transfers, CR LF catches
/// newline translation, and ^Z stops `type` on DOS, as in PNG.
pub const MAGIC: [u8; 8] = *b"\x89TRC\r\n\x1a\n";
pub const VERSION_MAJOR: u16 = 1;
pub const VERSION_MINOR: u16 = 0;
/// Magic, major, minor, flags.
pub const PREAMBLE_LEN: usize = 16;
/// Type and length before the body, checksum after it.
pub const FRAME_OVERHEAD: usize = 12;
/// No frame body may be larger: bounds what a reader trusts a length field with.
pub const MAX_FRAME_BODY: u64 = 16 << 20;

/// Frame type codes. Readers skip codes they do not know.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameType {
    Header,
    EventBlock,
    Loss,
    Stats,
    Index,
    IndexTrailer,
    Unknown(u32),
}

impl FrameType {
    pub fn code(self) -> u32 {
        match self {
            FrameType::Header => 1,
            FrameType::EventBlock => 2,
            FrameType::Loss => 3,
            FrameType::Stats => 4,
            FrameType::Index => 5,
            FrameType::IndexTrailer => 6,
            FrameType::Unknown(code) => code,
        }
    }

    pub fn from_code(code: u32) -> FrameType {
        match code {
            1 => FrameType::Header,
            2 => FrameType::EventBlock,
            3 => FrameType::Loss,
            4 => FrameType::Stats,
            5 => FrameType::Index,
            6 => FrameType::IndexTrailer,
            other => FrameType::Unknown(other),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            FrameType::Header => "header",
            FrameType::EventBlock => "event block",
            FrameType::Loss => "loss",
            FrameType::Stats => "stats",
            FrameType::Index => "index",
            FrameType::IndexTrailer => "index trailer",
            FrameType::Unknown(_) => "unknown",
        }
    }
}

/// The bytes a file starts with.
pub fn preamble() -> [u8; PREAMBLE_LEN] {
    let mut out = [0u8; PREAMBLE_LEN];
    out[..8].copy_from_slice(&MAGIC);
    out[8..10].copy_from_slice(&VERSION_MAJOR.to_le_bytes());
    out[10..12].copy_from_slice(&VERSION_MINOR.to_le_bytes());
    // 12..16: flags, all reserved and zero in v1.
    out
}

/// Checks the preamble and returns the file's (major, minor) version.
pub fn check_preamble(bytes: &[u8]) -> Result<(u16, u16)> {
    if bytes.is_empty() {
        return Err(FormatError::TooShort { len: 0 });
    }
    if bytes.len() < 8 || bytes[..8] != MAGIC {
        return Err(FormatError::BadMagic);
    }
    if bytes.len() < PREAMBLE_LEN {
        return Err(FormatError::TooShort { len: bytes.len() });
    }
    let major = u16::from_le_bytes([bytes[8], bytes[9]]);
    let minor = u16::from_le_bytes([bytes[10], bytes[11]]);
    if major != VERSION_MAJOR {
        return Err(FormatError::UnsupportedVersion { major, minor, supported: VERSION_MAJOR });
    }
    Ok((major, minor))
}

/// Appends one whole frame to `out`.
pub fn encode(out: &mut Vec<u8>, kind: FrameType, body: &[u8]) {
    let start = out.len();
    out.extend_from_slice(&kind.code().to_le_bytes());
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(body);
    let crc = crc32c::crc32c(&out[start..]);
    out.extend_from_slice(&crc.to_le_bytes());
}

/// A checked frame inside a recording's bytes.
#[derive(Clone, Copy, Debug)]
pub struct Frame<'a> {
    pub kind: FrameType,
    /// Byte offset of the frame's first byte (its type field).
    pub offset: u64,
    pub body: &'a [u8],
}

impl Frame<'_> {
    /// Offset just past this frame.
    pub fn end(&self) -> u64 {
        self.offset + (FRAME_OVERHEAD + self.body.len()) as u64
    }
}

/// Why a frame could not be read at some offset.
#[derive(Debug)]
pub enum FrameFault {
    /// The bytes stop inside the frame: what a killed writer leaves.
    Truncated,
    /// The frame is present but wrong.
    Bad(FormatError),
}

/// Reads and verifies the frame starting at `offset` of `file`.
pub fn read_at(file: &[u8], offset: u64) -> std::result::Result<Frame<'_>, FrameFault> {
    let start = usize::try_from(offset).map_err(|_| FrameFault::Truncated)?;
    let rest = file.get(start..).ok_or(FrameFault::Truncated)?;
    if rest.len() < 8 {
        return Err(FrameFault::Truncated);
    }
    let code = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]);
    let len = u32::from_le_bytes([rest[4], rest[5], rest[6], rest[7]]) as u64;
    let kind = FrameType::from_code(code);
    if len > MAX_FRAME_BODY {
        return Err(FrameFault::Bad(FormatError::FrameTooLarge { offset, len, max: MAX_FRAME_BODY }));
    }
    let total = FRAME_OVERHEAD + len as usize;
    if rest.len() < total {
        return Err(FrameFault::Truncated);
    }
    let stored = u32::from_le_bytes([rest[total - 4], rest[total - 3], rest[total - 2], rest[total - 1]]);
    let computed = crc32c::crc32c(&rest[..total - 4]);
    if stored != computed {
        let kind = kind.name();
        return Err(FrameFault::Bad(FormatError::Checksum { offset, kind, stored, computed }));
    }
    Ok(Frame { kind, offset, body: &rest[8..total - 4] })
}

/// Walks frames from `offset` to the end of `file`, stopping after the first
/// fault (which it yields with its offset).
pub fn walk(file: &[u8], offset: u64) -> Walk<'_> {
    Walk { file, offset, done: false }
}

/// Iterator returned by [`walk`].
#[derive(Debug)]
pub struct Walk<'a> {
    file: &'a [u8],
    offset: u64,
    done: bool,
}

impl<'a> Iterator for Walk<'a> {
    type Item = std::result::Result<Frame<'a>, (u64, FrameFault)>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.offset >= self.file.len() as u64 {
            return None;
        }
        match read_at(self.file, self.offset) {
            Ok(frame) => {
                self.offset = frame.end();
                Some(Ok(frame))
            }
            Err(fault) => {
                self.done = true;
                Some(Err((self.offset, fault)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_checksum() {
        let mut buf = preamble().to_vec();
        encode(&mut buf, FrameType::Loss, b"hello");
        let frame = read_at(&buf, PREAMBLE_LEN as u64).unwrap();
        assert_eq!(frame.kind, FrameType::Loss);
        assert_eq!(frame.body, b"hello");
        assert_eq!(frame.end(), buf.len() as u64);
        let last = buf.len() - 6;
        buf[last] ^= 1;
        assert!(matches!(read_at(&buf, 16), Err(FrameFault::Bad(FormatError::Checksum { offset: 16, .. }))));
        assert!(matches!(read_at(&buf[..20], 16), Err(FrameFault::Truncated)));
    }

    #[test]
    fn preamble_versions() {
        assert_eq!(check_preamble(&preamble()).unwrap(), (1, 0));
        let mut future = preamble();
        future[8] = 2;
        assert!(matches!(check_preamble(&future), Err(FormatError::UnsupportedVersion { major: 2, .. })));
        future[8] = 1;
        future[10] = 7;
        assert_eq!(check_preamble(&future).unwrap(), (1, 7));
        assert!(matches!(check_preamble(b"GARBAGE!xxxxxxxx"), Err(FormatError::BadMagic)));
    }
}

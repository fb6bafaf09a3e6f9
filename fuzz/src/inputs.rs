//! Turns fuzz input into reader input. Random bytes almost never carry a
//! right CRC-32C or a zstd frame, so the targets that aim past those checks
//! build them here: the fuzzer mutates what lies behind them.
//!
//! `examples/materialize.rs` runs the same functions, so a crash input can be
//! saved as the file or block body the reader actually saw.

use accept_rec::format::block::{BLOCK_HEADER_LEN, ENCODING_COLUMNAR};
use accept_rec::format::frame::{self, FRAME_OVERHEAD, FrameType, MAX_FRAME_BODY, PREAMBLE_LEN};
use accept_rec::format::records::{self, IndexTrailer, TRAILER_LEN};

use crate::samples;

/// What a target hands the reader.
#[derive(Debug)]
pub enum ReaderInput {
    /// A whole recording.
    File(Vec<u8>),
    /// The body of an event block frame.
    Block(Vec<u8>),
}

/// `header`: the input is a header frame body, framed after a valid preamble
/// and followed by the blocks of a real recording.
pub fn header_file(data: &[u8]) -> Vec<u8> {
    let sample = &samples::samples()[0].bytes;
    let first = frame::read_at(sample, PREAMBLE_LEN as u64).expect("sample header");
    let mut out = frame::preamble().to_vec();
    frame::encode(&mut out, FrameType::Header, data);
    out.extend_from_slice(&sample[first.end() as usize..]);
    out
}

/// `frame` and `recording`: the first byte's low bit asks for every frame's
/// checksum to be made right, so the rest of the input reaches the parsers.
pub fn flagged_file(data: &[u8]) -> Vec<u8> {
    let Some((flags, rest)) = data.split_first() else { return Vec::new() };
    let mut file = rest.to_vec();
    if flags & 1 != 0 {
        fix_checksums(&mut file);
    }
    file
}

/// Rewrites the checksum of every frame that fits, walking from the header
/// by the length fields as they are.
pub fn fix_checksums(file: &mut [u8]) {
    let mut at = PREAMBLE_LEN;
    while let Some(len_bytes) = file.get(at + 4..at + 8) {
        let len = u32::from_le_bytes(len_bytes.try_into().expect("4 bytes")) as u64;
        if len > MAX_FRAME_BODY {
            return;
        }
        let end = at + FRAME_OVERHEAD + len as usize;
        if end > file.len() {
            return;
        }
        let crc = crc32c::crc32c(&file[at..end - 4]);
        file[end - 4..end].copy_from_slice(&crc.to_le_bytes());
        at = end;
    }
}

/// `block`, first byte even: the rest is a block frame body as is.
/// First byte odd: the rest is `events u32, min_ts u64, max_ts u64` and then
/// an uncompressed columnar payload, which is compressed and given a header
/// whose `raw_len` is right.
pub fn block_body(data: &[u8]) -> Vec<u8> {
    let Some((mode, rest)) = data.split_first() else { return Vec::new() };
    if mode & 1 == 0 || rest.len() < 20 {
        return rest.to_vec();
    }
    let (meta, payload) = rest.split_at(20);
    build_block(meta, payload)
}

/// A block body from a 20-byte `events, min_ts, max_ts` and a raw payload.
pub fn build_block(meta: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut body = Vec::with_capacity(BLOCK_HEADER_LEN + payload.len());
    body.extend_from_slice(&meta[..4]);
    body.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    body.extend_from_slice(&meta[4..20]);
    body.extend_from_slice(&[ENCODING_COLUMNAR, 0, 0, 0]);
    body.extend_from_slice(&zstd::bulk::compress(payload, 1).expect("compress"));
    body
}

/// `index`: the first byte picks a finished sample; the rest replaces its
/// index frame body. With the first byte's high bit set, the last 8 bytes
/// are the trailer's index offset instead of the right one.
pub fn index_file(data: &[u8]) -> Vec<u8> {
    let Some((pick, rest)) = data.split_first() else { return Vec::new() };
    let finished = samples::finished();
    let sample = &finished[usize::from(pick & 0x7f) % finished.len()].bytes;
    let index_at = index_offset(sample);
    let (body, trailer_offset) = match rest.len().checked_sub(8) {
        Some(split) if pick & 0x80 != 0 => {
            let offset = u64::from_le_bytes(rest[split..].try_into().expect("8 bytes"));
            (&rest[..split], offset)
        }
        _ => (rest, index_at),
    };
    let mut file = sample[..index_at as usize].to_vec();
    frame::encode(&mut file, FrameType::Index, body);
    let trailer = IndexTrailer { index_offset: trailer_offset };
    frame::encode(&mut file, FrameType::IndexTrailer, &records::to_bytes(&trailer));
    file
}

/// Where a finished sample's index frame starts, from its trailer.
pub fn index_offset(file: &[u8]) -> u64 {
    let trailer = frame::read_at(file, (file.len() - TRAILER_LEN) as u64).expect("sample trailer");
    u64::from_le_bytes(trailer.body[..8].try_into().expect("8 bytes"))
}

/// The reader input a target builds from fuzz input, by target name.
pub fn reader_input(target: &str, data: &[u8]) -> Option<ReaderInput> {
    Some(match target {
        "header" => ReaderInput::File(header_file(data)),
        "frame" | "recording" => ReaderInput::File(flagged_file(data)),
        "block" => ReaderInput::Block(block_body(data)),
        "index" => ReaderInput::File(index_file(data)),
        _ => return None,
    })
}

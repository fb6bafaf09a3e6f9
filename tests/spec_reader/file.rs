//! The file layer of format-spec.md: preamble, frames, the footer index
//! (sections 11 and 14.2), scanning (14.3) and endings (14.4).

use super::decoder::{self, BlockHeader, Cursor, Event, Header, Index, Loss, Result, Stats};

const MAGIC: &[u8; 8] = b"\x89TRC\r\n\x1a\n";
const MAX_FRAME_BODY: u64 = 16 << 20;

/// A checked frame: its type, offset and body.
#[derive(Clone, Copy, Debug)]
pub struct Frame<'a> {
    pub kind: u32,
    pub offset: u64,
    pub body: &'a [u8],
}

impl Frame<'_> {
    pub fn end(&self) -> u64 {
        self.offset + 12 + self.body.len() as u64
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum Fault {
    Truncated,
    Corrupt(String),
}

/// Section 5: type, length, body, CRC-32C over all three.
pub fn read_frame(file: &[u8], offset: u64) -> std::result::Result<Frame<'_>, Fault> {
    let rest = usize::try_from(offset).ok().and_then(|o| file.get(o..)).ok_or(Fault::Truncated)?;
    if rest.len() < 8 {
        return Err(Fault::Truncated);
    }
    let kind = u32::from_le_bytes(rest[0..4].try_into().expect("4"));
    let len = u64::from(u32::from_le_bytes(rest[4..8].try_into().expect("4")));
    if len > MAX_FRAME_BODY {
        return Err(Fault::Corrupt(format!("frame length {len} at {offset}")));
    }
    let total = 12 + len as usize;
    if rest.len() < total {
        return Err(Fault::Truncated);
    }
    let stored = u32::from_le_bytes(rest[total - 4..total].try_into().expect("4"));
    if crc32c::crc32c(&rest[..total - 4]) != stored {
        return Err(Fault::Corrupt(format!("checksum at {offset}")));
    }
    Ok(Frame { kind, offset, body: &rest[8..total - 4] })
}

#[derive(Debug, PartialEq, Eq)]
pub enum Ending {
    Finished,
    Unfinished,
    Truncated { offset: u64, events: u64 },
    Corrupt { offset: u64 },
}

/// Everything a reader learns from a file.
#[derive(Debug)]
pub struct File {
    pub version: (u16, u16),
    pub header: Header,
    /// Event block offsets and headers, in file order.
    pub blocks: Vec<(u64, BlockHeader)>,
    pub losses: Vec<Loss>,
    pub stats: Option<Stats>,
    pub index: Option<Index>,
    pub ending: Ending,
    pub unknown_frames: u64,
}

impl File {
    pub fn open(bytes: &[u8]) -> Result<File> {
        if bytes.len() < 8 || &bytes[..8] != MAGIC {
            return Err("not a recording".into());
        }
        if bytes.len() < 16 {
            return Err("too short".into());
        }
        let version = (u16::from_le_bytes([bytes[8], bytes[9]]), u16::from_le_bytes([bytes[10], bytes[11]]));
        if version.0 != 1 {
            return Err(format!("major version {}", version.0));
        }
        let first = read_frame(bytes, 16).map_err(|f| format!("header frame: {f:?}"))?;
        if first.kind != 1 {
            return Err("first frame is not a header".into());
        }
        let header = decoder::header(&mut Cursor::new(first.body))?;
        let mut file = File {
            version,
            header,
            blocks: Vec::new(),
            losses: Vec::new(),
            stats: None,
            index: None,
            ending: Ending::Unfinished,
            unknown_frames: 0,
        };
        if !file.use_index(bytes) {
            file.scan(bytes, first.end());
        }
        Ok(file)
    }

    /// Section 14.2: all of the index or none of it.
    fn use_index(&mut self, bytes: &[u8]) -> bool {
        let Some(found) = sound_index(bytes) else { return false };
        (self.blocks, self.losses, self.stats) = (found.0, found.1, Some(found.2));
        self.index = Some(found.3);
        self.ending = Ending::Finished;
        true
    }

    /// Section 14.3.
    fn scan(&mut self, bytes: &[u8], mut offset: u64) {
        while offset < bytes.len() as u64 {
            let frame = match read_frame(bytes, offset) {
                Ok(frame) => frame,
                Err(Fault::Truncated) => {
                    let events = self.blocks.iter().map(|(_, h)| u64::from(h.events)).sum();
                    self.ending = Ending::Truncated { offset, events };
                    return;
                }
                Err(Fault::Corrupt(_)) => return self.ending = Ending::Corrupt { offset },
            };
            let kept = match frame.kind {
                1 => Err("second header".to_string()),
                2 => decoder::block_header(frame.body).map(|h| self.blocks.push((offset, h))),
                3 => decoder::loss(frame.body).map(|l| self.losses.push(l)),
                4 => decoder::stats(frame.body).map(|s| self.stats = Some(s)),
                5 | 6 => Ok(()),
                _ => {
                    self.unknown_frames += 1;
                    Ok(())
                }
            };
            if kept.is_err() {
                return self.ending = Ending::Corrupt { offset };
            }
            offset = frame.end();
            if frame.kind == 6 && offset == bytes.len() as u64 {
                self.ending = Ending::Finished;
            }
        }
    }

    /// Every event of every listed block, in file order.
    pub fn events(&self, bytes: &[u8]) -> Result<Vec<Event>> {
        let mut all = Vec::new();
        for (offset, listed) in &self.blocks {
            let frame = read_frame(bytes, *offset).map_err(|f| format!("block at {offset}: {f:?}"))?;
            let (header, events) = decoder::block(frame.body)?;
            if header != *listed {
                return Err(format!("block at {offset} changed"));
            }
            all.extend(events);
        }
        Ok(all)
    }
}

type Found = (Vec<(u64, BlockHeader)>, Vec<Loss>, Stats, Index);

fn sound_index(bytes: &[u8]) -> Option<Found> {
    let len = bytes.len() as u64;
    let trailer = read_frame(bytes, len.checked_sub(20)?).ok()?;
    if trailer.kind != 6 || trailer.body.len() != 8 || trailer.end() != len {
        return None;
    }
    let index_offset = Cursor::new(trailer.body).u64().ok()?;
    let frame = read_frame(bytes, index_offset).ok()?;
    if frame.kind != 5 || frame.end() != len - 20 {
        return None;
    }
    let index = decoder::index(frame.body).ok()?;
    let mut blocks = Vec::new();
    let mut previous = 0;
    for &(offset, min_ts, max_ts, events) in &index.blocks {
        if offset <= 16 || offset >= index_offset || offset <= previous || min_ts > max_ts {
            return None;
        }
        previous = offset;
        let header = decoder::block_header(read_frame(bytes, offset).ok()?.body).ok()?;
        if (header.events, header.min_ts, header.max_ts) != (events, min_ts, max_ts) {
            return None;
        }
        blocks.push((offset, header));
    }
    let frame_of = |offset: u64, kind: u32| read_frame(bytes, offset).ok().filter(|f| f.kind == kind);
    let losses =
        index.losses.iter().map(|o| decoder::loss(frame_of(*o, 3)?.body).ok()).collect::<Option<_>>()?;
    let stats = decoder::stats(frame_of(index.stats_offset, 4)?.body).ok()?;
    Some((blocks, losses, stats, index))
}

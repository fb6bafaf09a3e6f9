//! A `.trc` decoder written from format-spec.md alone: hand-written
//! little-endian parsing, `crc32c` for the frame checksum and `zstd` for
//! the block payload. It shares no code with `accept_rec::format`, so when
//! both agree on a file, the spec describes what the crate writes.

use std::fmt;

pub type Result<T> = std::result::Result<T, String>;

const MAX_BLOCK_RAW: u64 = 64 << 20;
const MAX_BLOCK_EVENTS: u32 = 1 << 20;
const HAS_PEER: u8 = 0x80;

/// Little-endian reads over one body; every length is checked against what is left.
pub struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub fn new(bytes: &'a [u8]) -> Cursor<'a> {
        Cursor { bytes, pos: 0 }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n).filter(|e| *e <= self.bytes.len());
        let end = end.ok_or_else(|| format!("body ends at {} reading {n} bytes", self.pos))?;
        let out = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        Ok(self.take(N)?.try_into().expect("N bytes"))
    }

    pub fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }
    pub fn u16(&mut self) -> Result<u16> {
        self.array().map(u16::from_le_bytes)
    }
    pub fn u32(&mut self) -> Result<u32> {
        self.array().map(u32::from_le_bytes)
    }
    pub fn u64(&mut self) -> Result<u64> {
        self.array().map(u64::from_le_bytes)
    }

    pub fn bool(&mut self) -> Result<bool> {
        match self.u8()? {
            0 => Ok(false),
            1 => Ok(true),
            other => Err(format!("bool byte {other}")),
        }
    }

    /// A sequence count, believed only as far as the bytes left can hold it.
    pub fn count(&mut self, min_item: usize) -> Result<usize> {
        let n = self.u64()?;
        let left = (self.bytes.len() - self.pos) as u64;
        if n.saturating_mul(min_item as u64) > left {
            return Err(format!("count {n} cannot fit in {left} bytes"));
        }
        Ok(n as usize)
    }

    pub fn bytes(&mut self) -> Result<Vec<u8>> {
        let n = self.count(1)?;
        Ok(self.take(n)?.to_vec())
    }

    pub fn string(&mut self) -> Result<String> {
        String::from_utf8(self.bytes()?).map_err(|e| e.to_string())
    }

    pub fn vec<T>(
        &mut self,
        min_item: usize,
        mut item: impl FnMut(&mut Self) -> Result<T>,
    ) -> Result<Vec<T>> {
        let n = self.count(min_item)?;
        (0..n).map(|_| item(self)).collect()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Anchor {
    pub boot_ns: u64,
    pub wall_ns: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Host {
    pub hostname: String,
    pub kernel_release: String,
    pub boot_id: String,
    pub anchor: Anchor,
    pub label: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hook {
    pub event: u32,
    pub hook: String,
    pub detail: String,
}

/// Section 6, field by field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    pub created_by: String,
    pub command_line: Vec<String>,
    pub started_wall_ns: u64,
    pub clock: Anchor,
    pub hosts: Vec<Host>,
    pub events: u32,
    pub hooks: Vec<Hook>,
    pub filter: String,
    pub ring_size: u64,
    pub flush_interval_ms: u32,
    pub include_eagain: bool,
    pub rotation_seq: u32,
    pub derived_from: Vec<String>,
}

fn anchor(c: &mut Cursor) -> Result<Anchor> {
    Ok(Anchor { boot_ns: c.u64()?, wall_ns: c.u64()? })
}

pub fn header(c: &mut Cursor) -> Result<Header> {
    Ok(Header {
        created_by: c.string()?,
        command_line: c.vec(8, Cursor::string)?,
        started_wall_ns: c.u64()?,
        clock: anchor(c)?,
        hosts: c.vec(56, |c| {
            Ok(Host {
                hostname: c.string()?,
                kernel_release: c.string()?,
                boot_id: c.string()?,
                anchor: anchor(c)?,
                label: c.string()?,
            })
        })?,
        events: c.u32()?,
        hooks: c.vec(20, |c| {
            let event = c.u32()?;
            if event > 1 {
                return Err(format!("hook event kind {event}"));
            }
            Ok(Hook { event, hook: c.string()?, detail: c.string()? })
        })?,
        filter: c.string()?,
        ring_size: c.u64()?,
        flush_interval_ms: c.u32()?,
        include_eagain: c.bool()?,
        rotation_seq: c.u32()?,
        derived_from: c.vec(8, Cursor::string)?,
    })
}

/// An address as section 7.4 and step 5 of 7.7 rebuild it.
#[derive(Clone, PartialEq, Eq)]
pub enum Addr {
    None,
    Inet { addr: [u8; 4], port: u16 },
    Inet6 { addr: [u8; 16], port: u16, flowinfo: u32, scope_id: u32 },
    Unix(Vec<u8>),
    Other(u16),
}

impl fmt::Debug for Addr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Addr::None => f.write_str("None"),
            Addr::Inet { addr, port } => write!(f, "{}:{port}", std::net::Ipv4Addr::from(*addr)),
            Addr::Inet6 { addr, port, flowinfo, scope_id } => {
                write!(f, "[{}]:{port} flow {flowinfo} scope {scope_id}", std::net::Ipv6Addr::from(*addr))
            }
            Addr::Unix(path) => write!(f, "unix {:?}", String::from_utf8_lossy(path)),
            Addr::Other(family) => write!(f, "AF_{family}"),
        }
    }
}

fn addr_row(c: &mut Cursor) -> Result<Addr> {
    Ok(match c.u32()? {
        0 => Addr::None,
        1 => Addr::Inet { addr: c.array()?, port: 0 },
        2 => Addr::Inet6 { addr: c.array()?, port: 0, flowinfo: c.u32()?, scope_id: c.u32()? },
        3 => {
            let mut path = c.bytes()?;
            if path.len() > 108 {
                return Err(format!("unix path of {} bytes", path.len()));
            }
            if path.first().is_some_and(|b| *b != 0) {
                if let Some(nul) = path.iter().position(|b| *b == 0) {
                    path.truncate(nul);
                }
            }
            Addr::Unix(path)
        }
        4 => Addr::Other(c.u16()?),
        other => return Err(format!("address variant {other}")),
    })
}

fn with_port(addr: &Addr, new_port: u16) -> Addr {
    match addr.clone() {
        Addr::Inet { addr, .. } => Addr::Inet { addr, port: new_port },
        Addr::Inet6 { addr, flowinfo, scope_id, .. } => {
            Addr::Inet6 { addr, port: new_port, flowinfo, scope_id }
        }
        other => other,
    }
}

/// One event, every field as section 7.7 defines it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub kind: u8,
    pub ts: u64,
    /// pid, tid, ppid, uid, gid.
    pub ids: [u32; 5],
    pub comm: [u8; 16],
    pub cgroup_id: u64,
    /// mnt, pid, net.
    pub ns: [u32; 3],
    pub sockfd: i32,
    pub fd: i32,
    pub ret: i32,
    pub sock_type: u16,
    pub local: Addr,
    pub remote: Addr,
    pub peer: Option<(u32, u32)>,
    pub flags: u8,
    pub source: u16,
}

/// The 28-byte block header of section 7.1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockHeader {
    pub events: u32,
    pub raw_len: u32,
    pub min_ts: u64,
    pub max_ts: u64,
}

pub fn block_header(body: &[u8]) -> Result<BlockHeader> {
    if body.len() < 28 {
        return Err("block body shorter than 28 bytes".into());
    }
    let mut c = Cursor::new(body);
    let h = BlockHeader { events: c.u32()?, raw_len: c.u32()?, min_ts: c.u64()?, max_ts: c.u64()? };
    if c.u8()? != 1 {
        return Err("payload encoding is not 1".into());
    }
    if h.events == 0 || h.events > MAX_BLOCK_EVENTS || u64::from(h.raw_len) > MAX_BLOCK_RAW {
        return Err(format!("block header out of range: {h:?}"));
    }
    if h.min_ts > h.max_ts {
        return Err("min_ts > max_ts".into());
    }
    Ok(h)
}

/// Decompresses a block's payload into exactly `raw_len` bytes.
pub fn payload(body: &[u8]) -> Result<(BlockHeader, Vec<u8>)> {
    let h = block_header(body)?;
    let mut raw = Vec::with_capacity(h.raw_len as usize);
    let n = zstd::bulk::Decompressor::new()
        .and_then(|mut d| d.decompress_to_buffer(&body[28..], &mut raw))
        .map_err(|e| e.to_string())?;
    if n != h.raw_len as usize {
        return Err(format!("payload is {n} bytes, raw_len says {}", h.raw_len));
    }
    Ok((h, raw))
}

/// Decodes one event block body (section 7) into its events.
pub fn block(body: &[u8]) -> Result<(BlockHeader, Vec<Event>)> {
    let (h, raw) = payload(body)?;
    let c = &mut Cursor::new(&raw);
    let contexts = c.vec(56, |c| {
        let ids = [c.u32()?, c.u32()?, c.u32()?, c.u32()?, c.u32()?];
        let comm: [u8; 16] = c.array()?;
        let cgroup_id = c.u64()?;
        Ok((ids, comm, cgroup_id, [c.u32()?, c.u32()?, c.u32()?]))
    })?;
    let addrs = c.vec(4, addr_row)?;
    let n = h.events as usize;
    let mut column = |size: usize| -> Result<Vec<u8>> {
        let len = c.count(size)?;
        if len != n {
            return Err(format!("a column has {len} entries for {n} events"));
        }
        Ok(c.take(len * size)?.to_vec())
    };
    let kind = column(1)?;
    let [ts_delta, ctx, sockfd, fd, ret, sock_type, local, local_port, remote, remote_port] =
        [8, 4, 4, 4, 4, 2, 4, 2, 4, 2].map(&mut column);
    let [peer_pid, peer_uid, flags, source] = [4, 4, 1, 2].map(&mut column);
    let (ts_delta, ctx, sockfd, fd, ret) = (ts_delta?, ctx?, sockfd?, fd?, ret?);
    let (sock_type, local, local_port, remote, remote_port) =
        (sock_type?, local?, local_port?, remote?, remote_port?);
    let (peer_pid, peer_uid, flags, source) = (peer_pid?, peer_uid?, flags?, source?);
    let u16_at = |col: &[u8], i: usize| u16::from_le_bytes([col[2 * i], col[2 * i + 1]]);
    let u32_at = |col: &[u8], i: usize| u32::from_le_bytes(col[4 * i..4 * i + 4].try_into().expect("4"));
    let u64_at = |col: &[u8], i: usize| u64::from_le_bytes(col[8 * i..8 * i + 8].try_into().expect("8"));
    let table_addr = |i: u32, port: u16| {
        addrs.get(i as usize).map(|a| with_port(a, port)).ok_or_else(|| format!("address index {i}"))
    };
    if n > 0 && u64_at(&ts_delta, 0) != 0 {
        return Err("ts_delta[0] is not 0".into());
    }
    let mut events = Vec::with_capacity(n);
    let mut ts = h.min_ts;
    for i in 0..n {
        ts = ts.checked_add(u64_at(&ts_delta, i)).filter(|t| *t <= h.max_ts).ok_or("ts out of range")?;
        if kind[i] > 1 {
            return Err(format!("kind {}", kind[i]));
        }
        let (ids, comm, cgroup_id, ns) = *contexts
            .get(u32_at(&ctx, i) as usize)
            .ok_or_else(|| format!("context index {}", u32_at(&ctx, i)))?;
        if i + 1 == n && ts != h.max_ts {
            return Err("the last ts is not max_ts".into());
        }
        events.push(Event {
            kind: kind[i],
            ts,
            ids,
            comm,
            cgroup_id,
            ns,
            sockfd: u32_at(&sockfd, i) as i32,
            fd: u32_at(&fd, i) as i32,
            ret: u32_at(&ret, i) as i32,
            sock_type: u16_at(&sock_type, i),
            local: table_addr(u32_at(&local, i), u16_at(&local_port, i))?,
            remote: table_addr(u32_at(&remote, i), u16_at(&remote_port, i))?,
            peer: (flags[i] & HAS_PEER != 0).then(|| (u32_at(&peer_pid, i), u32_at(&peer_uid, i))),
            flags: flags[i] & !HAS_PEER,
            source: u16_at(&source, i),
        });
    }
    Ok((h, events))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Loss {
    pub ts_ns: u64,
    pub lost: u64,
    pub lost_total: u64,
}

pub fn loss(body: &[u8]) -> Result<Loss> {
    let c = &mut Cursor::new(body);
    Ok(Loss { ts_ns: c.u64()?, lost: c.u64()?, lost_total: c.u64()? })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stats {
    pub end_ts_ns: u64,
    pub end_wall_ns: u64,
    pub events: [u64; 2],
    pub lost: u64,
    pub filtered: u64,
    pub blocks: u64,
}

pub fn stats(body: &[u8]) -> Result<Stats> {
    let c = &mut Cursor::new(body);
    Ok(Stats {
        end_ts_ns: c.u64()?,
        end_wall_ns: c.u64()?,
        events: [c.u64()?, c.u64()?],
        lost: c.u64()?,
        filtered: c.u64()?,
        blocks: c.u64()?,
    })
}

/// Section 10; entries are (offset, min_ts, max_ts, events).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Index {
    pub blocks: Vec<(u64, u64, u64, u32)>,
    pub losses: Vec<u64>,
    pub stats_offset: u64,
}

pub fn index(body: &[u8]) -> Result<Index> {
    let c = &mut Cursor::new(body);
    Ok(Index {
        blocks: c.vec(28, |c| Ok((c.u64()?, c.u64()?, c.u64()?, c.u32()?)))?,
        losses: c.vec(8, Cursor::u64)?,
        stats_offset: c.u64()?,
    })
}

//! The columnar payload inside an event block: its rows and columns, and
//! reading it back within what the block header allows.
//!
//! The payload is hostile input that decompresses to as much as
//! [`MAX_BLOCK_RAW`](super::block::MAX_BLOCK_RAW) bytes, and a row can take
//! far more memory than bytes on disk (an empty address row is 4 bytes
//! there, 32 in memory). So every column's length is checked against the
//! block's event count before anything is allocated for it, and table rows
//! become the reader's own types as they are read.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use serde::de::{self, DeserializeSeed, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use super::error::Result;
use super::event::{Comm, ProcessContext, SockAddr, UnixPath};
use super::frame::FrameType;
use super::records;

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(super) struct ContextRow {
    pid: u32,
    tid: u32,
    ppid: u32,
    uid: u32,
    gid: u32,
    comm: [u8; 16],
    cgroup_id: u64,
    mnt_ns: u32,
    pid_ns: u32,
    net_ns: u32,
}

/// An address without its port; ports live in their own columns.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(super) enum AddrRow {
    #[default]
    None,
    Inet([u8; 4]),
    Inet6 {
        addr: [u8; 16],
        flowinfo: u32,
        scope_id: u32,
    },
    Unix(#[serde(deserialize_with = "unix_path")] Vec<u8>),
    Other(u16),
}

/// The payload, field order as in format-spec.md. Every per-event column has
/// one entry per event, in timestamp order. The encoder fills the tables
/// with rows; the decoder reads them straight into `C` and `A`.
#[derive(Clone, Debug, Default, Serialize)]
pub(super) struct Columns<C = ContextRow, A = AddrRow> {
    pub contexts: Vec<C>,
    pub addrs: Vec<A>,
    pub kind: Vec<u8>,
    pub ts_delta: Vec<u64>,
    pub ctx: Vec<u32>,
    pub sockfd: Vec<i32>,
    pub fd: Vec<i32>,
    pub ret: Vec<i32>,
    pub sock_type: Vec<u16>,
    pub local: Vec<u32>,
    pub local_port: Vec<u16>,
    pub remote: Vec<u32>,
    pub remote_port: Vec<u16>,
    pub peer_pid: Vec<u32>,
    pub peer_uid: Vec<u32>,
    pub flags: Vec<u8>,
    pub source: Vec<u16>,
}

impl<C, A> Columns<C, A> {
    /// Empties every table and column, keeping their allocations.
    pub fn clear(&mut self) {
        let Columns {
            contexts,
            addrs,
            kind,
            ts_delta,
            ctx,
            sockfd,
            fd,
            ret,
            sock_type,
            local,
            local_port,
            remote,
            remote_port,
            peer_pid,
            peer_uid,
            flags,
            source,
        } = self;
        contexts.clear();
        addrs.clear();
        kind.clear();
        ts_delta.clear();
        ctx.clear();
        sockfd.clear();
        fd.clear();
        ret.clear();
        sock_type.clear();
        local.clear();
        local_port.clear();
        remote.clear();
        remote_port.clear();
        peer_pid.clear();
        peer_uid.clear();
        flags.clear();
        source.clear();
    }
}

/// Columns as the decoder holds them.
pub(super) type Decoded = Columns<ProcessContext, SockAddr>;

/// Reads a payload for a block of `events` events. Each context row is used
/// by at least one event and each address row by at least one end of one,
/// so a table longer than that is refused as soon as its length is read.
pub(super) fn decode(raw: &[u8], events: usize, offset: u64) -> Result<Decoded> {
    records::from_bytes_seed(raw, ColumnsSeed { events }, FrameType::EventBlock, offset)
}

pub(super) fn context_row(c: &ProcessContext) -> ContextRow {
    ContextRow {
        pid: c.pid,
        tid: c.tid,
        ppid: c.ppid,
        uid: c.uid,
        gid: c.gid,
        comm: c.comm.0,
        cgroup_id: c.cgroup_id,
        mnt_ns: c.mnt_ns,
        pid_ns: c.pid_ns,
        net_ns: c.net_ns,
    }
}

pub(super) fn addr_row(a: &SockAddr) -> AddrRow {
    match a {
        SockAddr::None => AddrRow::None,
        SockAddr::Inet { addr, .. } => AddrRow::Inet(addr.octets()),
        SockAddr::Inet6 { addr, flowinfo, scope_id, .. } => {
            AddrRow::Inet6 { addr: addr.octets(), flowinfo: *flowinfo, scope_id: *scope_id }
        }
        SockAddr::Unix(path) => AddrRow::Unix(path.as_bytes().to_vec()),
        SockAddr::Other { family } => AddrRow::Other(*family),
    }
}

fn process_context(r: ContextRow) -> Result<ProcessContext, String> {
    Ok(ProcessContext {
        pid: r.pid,
        tid: r.tid,
        ppid: r.ppid,
        uid: r.uid,
        gid: r.gid,
        comm: Comm(r.comm),
        cgroup_id: r.cgroup_id,
        mnt_ns: r.mnt_ns,
        pid_ns: r.pid_ns,
        net_ns: r.net_ns,
    })
}

fn sock_addr(r: AddrRow) -> Result<SockAddr, String> {
    Ok(match r {
        AddrRow::None => SockAddr::None,
        AddrRow::Inet(a) => SockAddr::Inet { addr: Ipv4Addr::from(a), port: 0 },
        AddrRow::Inet6 { addr, flowinfo, scope_id } => {
            SockAddr::Inet6 { addr: Ipv6Addr::from(addr), port: 0, flowinfo, scope_id }
        }
        AddrRow::Unix(path) => SockAddr::Unix(UnixPath::new(&path)),
        AddrRow::Other(family) => SockAddr::Other { family },
    })
}

/// A unix path is at most `sun_path`'s 108 bytes.
fn unix_path<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
    d.deserialize_seq(Column { name: "unix path", len: Len::AtMost(UnixPath::MAX_LEN), convert: Ok })
}

/// How many entries a column may have.
#[derive(Clone, Copy, Debug)]
enum Len {
    Exactly(usize),
    AtMost(usize),
}

/// One column: its length is checked before its entries are read, and each
/// entry is converted as it is read.
struct Column<R, T> {
    name: &'static str,
    len: Len,
    convert: fn(R) -> Result<T, String>,
}

impl<'de, R: Deserialize<'de>, T> DeserializeSeed<'de> for Column<R, T> {
    type Value = Vec<T>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<T>, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, R: Deserialize<'de>, T> Visitor<'de> for Column<R, T> {
    type Value = Vec<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "the {} column", self.name)
    }

    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<Vec<T>, S::Error> {
        let name = self.name;
        let len =
            seq.size_hint().ok_or_else(|| de::Error::custom(format!("the {name} column has no length")))?;
        let fits = match self.len {
            Len::Exactly(n) => len == n,
            Len::AtMost(n) => len <= n,
        };
        if !fits {
            let want = match self.len {
                Len::Exactly(n) => format!("not {n}"),
                Len::AtMost(n) => format!("more than {n}"),
            };
            return Err(de::Error::custom(format!("the {name} column has {len} entries, {want}")));
        }
        let mut out = Vec::with_capacity(len);
        while let Some(entry) = seq.next_element::<R>()? {
            if out.len() == len {
                return Err(de::Error::custom(format!("the {name} column runs past its length")));
            }
            out.push((self.convert)(entry).map_err(de::Error::custom)?);
        }
        Ok(out)
    }
}

/// The whole payload of a block of `events` events.
struct ColumnsSeed {
    events: usize,
}

/// Fields of [`Columns`], for bincode's tuple form of a struct.
const FIELDS: usize = 17;

impl<'de> DeserializeSeed<'de> for ColumnsSeed {
    type Value = Decoded;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Decoded, D::Error> {
        d.deserialize_tuple(FIELDS, self)
    }
}

fn per_event<T>(name: &'static str, events: usize) -> Column<T, T> {
    Column { name, len: Len::Exactly(events), convert: Ok }
}

fn next<'de, S: SeqAccess<'de>, R: Deserialize<'de>, T>(
    seq: &mut S,
    column: Column<R, T>,
) -> Result<Vec<T>, S::Error> {
    let name = column.name;
    seq.next_element_seed(column)?
        .ok_or_else(|| de::Error::custom(format!("the payload ends before the {name} column")))
}

impl<'de> Visitor<'de> for ColumnsSeed {
    type Value = Decoded;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "the columns of {} events", self.events)
    }

    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<Decoded, S::Error> {
        let n = self.events;
        // Fields are read in the order written, which is the payload's order.
        Ok(Columns {
            contexts: next(
                &mut seq,
                Column { name: "context", len: Len::AtMost(n), convert: process_context },
            )?,
            addrs: next(&mut seq, Column { name: "address", len: Len::AtMost(2 * n), convert: sock_addr })?,
            kind: next(&mut seq, per_event("kind", n))?,
            ts_delta: next(&mut seq, per_event("ts_delta", n))?,
            ctx: next(&mut seq, per_event("ctx", n))?,
            sockfd: next(&mut seq, per_event("sockfd", n))?,
            fd: next(&mut seq, per_event("fd", n))?,
            ret: next(&mut seq, per_event("ret", n))?,
            sock_type: next(&mut seq, per_event("sock_type", n))?,
            local: next(&mut seq, per_event("local", n))?,
            local_port: next(&mut seq, per_event("local_port", n))?,
            remote: next(&mut seq, per_event("remote", n))?,
            remote_port: next(&mut seq, per_event("remote_port", n))?,
            peer_pid: next(&mut seq, per_event("peer_pid", n))?,
            peer_uid: next(&mut seq, per_event("peer_uid", n))?,
            flags: next(&mut seq, per_event("flags", n))?,
            source: next(&mut seq, per_event("source", n))?,
        })
    }
}

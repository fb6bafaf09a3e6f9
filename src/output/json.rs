//! `--format json`: one flat object per line, keys documented in the README.

use std::io::{self, Write};

use serde::Serialize;

use super::{EventSink, host_names};
use crate::format::errno::errno_name;
use crate::format::{AcceptEvent, EventFlags, Header, SockAddr, TimeAnchor};

/// Writes JSON lines.
#[derive(Debug)]
pub struct JsonLines {
    clock: TimeAnchor,
    hosts: Vec<String>,
}

impl JsonLines {
    pub fn new(header: &Header) -> JsonLines {
        JsonLines { clock: header.clock, hosts: host_names(header) }
    }
}

#[derive(Serialize)]
struct Line<'a> {
    event: &'static str,
    /// Wall clock, ns since the Unix epoch.
    ts_ns: i128,
    /// The raw event clock (CLOCK_BOOTTIME of the recording host).
    boot_ns: u64,
    host: &'a str,
    pid: u32,
    tid: u32,
    ppid: u32,
    uid: u32,
    gid: u32,
    comm: &'a str,
    cgroup_id: u64,
    mnt_ns: u32,
    pid_ns: u32,
    net_ns: u32,
    sockfd: i32,
    fd: i32,
    ret: i32,
    errno: Option<String>,
    sock_type: u16,
    local_addr: Option<Addr>,
    remote_addr: Option<Addr>,
    peer: Option<Peer>,
    local_port_from_listener: bool,
}

#[derive(Serialize)]
struct Peer {
    pid: u32,
    uid: u32,
}

/// An address as the README documents it.
#[derive(Serialize)]
pub(super) struct Addr {
    family: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    addr: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    port: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<String>,
}

pub(super) fn addr(a: &SockAddr) -> Option<Addr> {
    let mut out = Addr { family: a.family_name(), addr: None, port: None, path: None };
    match a {
        SockAddr::None => return None,
        SockAddr::Inet { addr, port } => (out.addr, out.port) = (Some(addr.to_string()), Some(*port)),
        SockAddr::Inet6 { addr, port, .. } => (out.addr, out.port) = (Some(addr.to_string()), Some(*port)),
        SockAddr::Unix(path) => out.path = Some(path.to_string()),
        SockAddr::Other { .. } => {}
    }
    Some(out)
}

impl EventSink for JsonLines {
    fn event(&mut self, out: &mut dyn Write, e: &AcceptEvent) -> io::Result<()> {
        let comm = e.ctx.comm.to_string_lossy();
        let line = Line {
            event: e.kind.name(),
            ts_ns: self.clock.to_wall(e.ts_ns),
            boot_ns: e.ts_ns,
            host: self.hosts.get(e.source as usize).map_or("", String::as_str),
            pid: e.ctx.pid,
            tid: e.ctx.tid,
            ppid: e.ctx.ppid,
            uid: e.ctx.uid,
            gid: e.ctx.gid,
            comm: &comm,
            cgroup_id: e.ctx.cgroup_id,
            mnt_ns: e.ctx.mnt_ns,
            pid_ns: e.ctx.pid_ns,
            net_ns: e.ctx.net_ns,
            sockfd: e.sockfd,
            fd: e.fd,
            ret: e.ret,
            errno: e.errno().map(errno_name),
            sock_type: e.sock_type,
            local_addr: addr(&e.local),
            remote_addr: addr(&e.remote),
            peer: e.peer.map(|p| Peer { pid: p.pid, uid: p.uid }),
            local_port_from_listener: e.flags.has(EventFlags::LOCAL_PORT_FROM_LISTENER),
        };
        serde_json::to_writer(&mut *out, &line)?;
        out.write_all(b"\n")
    }
}

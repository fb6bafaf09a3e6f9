//! Kernel record → [`AcceptEvent`]: the only place that knows both
//! `bpf/accept.h` and the format's event model.
//!
//! Keeping this a pure function over the skeleton's `accept_event` lets the
//! kernel side change its layout without the files changing with it, and lets
//! the mapping be tested without a kernel.

use std::mem::size_of;
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::format::event::family::{AF_INET, AF_INET6, AF_UNIX};
use crate::format::{AcceptEvent, Comm, EventFlags, EventKind, PeerCred, ProcessContext, SockAddr, UnixPath};

use super::skel::types::{accept_addr, accept_event};

/// `ACCEPT_PEER_KNOWN` in `bpf/accept.h`.
const PEER_KNOWN: u8 = 1;

/// Copies one ring-buffer record out as the kernel's struct, or `None` if the
/// record is too short to be one (a kernel/user-space build mismatch).
pub(crate) fn decode(record: &[u8]) -> Option<accept_event> {
    if record.len() < size_of::<accept_event>() {
        return None;
    }
    // SAFETY: the length was checked, `read_unaligned` needs no alignment, and
    // `accept_event` is plain integers and integer arrays, valid for any bytes.
    Some(unsafe { std::ptr::read_unaligned(record.as_ptr().cast::<accept_event>()) })
}

/// The format's event for one kernel record; `None` for an unknown event kind.
pub(crate) fn to_accept_event(raw: &accept_event) -> Option<AcceptEvent> {
    let kind = EventKind::from_code(raw.kind)?;
    Some(AcceptEvent {
        kind,
        ts_ns: raw.ts_ns,
        ctx: ProcessContext {
            pid: raw.pid,
            tid: raw.tid,
            ppid: raw.ppid,
            uid: raw.uid,
            gid: raw.gid,
            comm: Comm(raw.comm.map(|c| c as u8)),
            cgroup_id: raw.cgroup_id,
            mnt_ns: raw.mnt_ns,
            pid_ns: raw.pid_ns,
            net_ns: raw.net_ns,
        },
        sockfd: raw.sockfd,
        fd: raw.fd,
        ret: raw.ret,
        sock_type: raw.sock_type,
        local: to_sock_addr(&raw.local),
        remote: to_sock_addr(&raw.remote),
        peer: (raw.peer_known == PEER_KNOWN).then_some(PeerCred { pid: raw.peer_pid, uid: raw.peer_uid }),
        flags: EventFlags(raw.flags),
        source: 0,
    })
}

fn to_sock_addr(addr: &accept_addr) -> SockAddr {
    let bytes = &addr.bytes;
    match addr.family {
        0 => SockAddr::None,
        AF_INET => {
            SockAddr::Inet { addr: Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3]), port: addr.port }
        }
        AF_INET6 => {
            let mut octets = [0u8; 16];
            octets.copy_from_slice(&bytes[..16]);
            SockAddr::Inet6 {
                addr: Ipv6Addr::from(octets),
                port: addr.port,
                flowinfo: addr.flowinfo,
                scope_id: addr.scope_id,
            }
        }
        AF_UNIX => {
            let len = usize::from(addr.path_len).min(UnixPath::MAX_LEN);
            SockAddr::Unix(UnixPath::new(&bytes[..len]))
        }
        family => SockAddr::Other { family },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inet4(ip: [u8; 4], port: u16) -> accept_addr {
        let mut addr = accept_addr { family: AF_INET, port, ..Default::default() };
        addr.bytes[..4].copy_from_slice(&ip);
        addr
    }

    fn unix(path: &[u8]) -> accept_addr {
        let mut addr = accept_addr { family: AF_UNIX, path_len: path.len() as u16, ..Default::default() };
        addr.bytes[..path.len()].copy_from_slice(path);
        addr
    }

    fn raw_socket_accept() -> accept_event {
        let mut comm = [0i8; 16];
        for (dst, src) in comm.iter_mut().zip(b"server") {
            *dst = *src as i8;
        }
        accept_event {
            ts_ns: 123_456_789,
            cgroup_id: 42,
            pid: 100,
            tid: 101,
            ppid: 1,
            uid: 1000,
            gid: 1001,
            mnt_ns: 4026531841,
            pid_ns: 4026531836,
            net_ns: 4026531840,
            sockfd: 3,
            fd: 5,
            ret: 5,
            sock_type: 1,
            kind: 0,
            comm,
            local: inet4([127, 0, 0, 1], 8080),
            remote: inet4([10, 1, 2, 3], 50000),
            ..Default::default()
        }
    }

    #[test]
    fn socket_accept_maps_every_field() {
        let event = to_accept_event(&raw_socket_accept()).unwrap();
        let expected = AcceptEvent {
            kind: EventKind::SocketAccept,
            ts_ns: 123_456_789,
            ctx: ProcessContext {
                pid: 100,
                tid: 101,
                ppid: 1,
                uid: 1000,
                gid: 1001,
                comm: Comm::new(b"server"),
                cgroup_id: 42,
                mnt_ns: 4026531841,
                pid_ns: 4026531836,
                net_ns: 4026531840,
            },
            sockfd: 3,
            fd: 5,
            ret: 5,
            sock_type: 1,
            local: SockAddr::Inet { addr: Ipv4Addr::new(127, 0, 0, 1), port: 8080 },
            remote: SockAddr::Inet { addr: Ipv4Addr::new(10, 1, 2, 3), port: 50000 },
            peer: None,
            flags: EventFlags(0),
            source: 0,
        };
        assert_eq!(event, expected);
    }

    #[test]
    fn ipv4_mapped_ipv6_stays_ipv6() {
        let mut raw = raw_socket_accept();
        raw.local =
            accept_addr { family: AF_INET6, port: 443, flowinfo: 7, scope_id: 2, ..Default::default() };
        raw.local.bytes[..16].copy_from_slice(&"::ffff:127.0.0.1".parse::<Ipv6Addr>().unwrap().octets());
        let event = to_accept_event(&raw).unwrap();
        assert_eq!(
            event.local,
            SockAddr::Inet6 {
                addr: "::ffff:127.0.0.1".parse().unwrap(),
                port: 443,
                flowinfo: 7,
                scope_id: 2
            }
        );
    }

    #[test]
    fn unix_paths_abstract_unnamed_and_peer() {
        let mut raw = raw_socket_accept();
        raw.local = unix(b"/run/app.sock\0");
        raw.remote = unix(b"");
        raw.peer_known = PEER_KNOWN;
        raw.peer_pid = 77;
        raw.peer_uid = 0;
        let event = to_accept_event(&raw).unwrap();
        assert_eq!(event.local, SockAddr::Unix(UnixPath::new(b"/run/app.sock")));
        assert!(matches!(&event.remote, SockAddr::Unix(p) if p.is_unnamed()));
        assert_eq!(event.peer, Some(PeerCred { pid: 77, uid: 0 }));

        raw.local = unix(b"\0name\0with-nul");
        let event = to_accept_event(&raw).unwrap();
        assert!(
            matches!(&event.local, SockAddr::Unix(p) if p.is_abstract() && p.as_bytes() == b"\0name\0with-nul")
        );
    }

    #[test]
    fn failed_security_and_other_family() {
        let mut raw = raw_socket_accept();
        raw.kind = 1;
        raw.fd = -1;
        raw.ret = 0;
        raw.sockfd = -1;
        raw.flags = EventFlags::SOCKFD_UNKNOWN;
        raw.remote = accept_addr::default();
        raw.local = accept_addr { family: 40, ..Default::default() };
        let event = to_accept_event(&raw).unwrap();
        assert_eq!(event.kind, EventKind::SecuritySocketAccept);
        assert_eq!(event.local, SockAddr::Other { family: 40 });
        assert_eq!(event.remote, SockAddr::None);
        assert!(event.flags.has(EventFlags::SOCKFD_UNKNOWN));
        assert_eq!((event.sockfd, event.fd, event.ret), (-1, -1, 0));
    }

    #[test]
    fn unknown_kind_and_short_records_are_rejected() {
        let mut raw = raw_socket_accept();
        raw.kind = 9;
        assert_eq!(to_accept_event(&raw), None);
        assert!(decode(&[0u8; 16]).is_none());
    }

    #[test]
    fn decode_reads_the_kernel_layout() {
        let raw = raw_socket_accept();
        // SAFETY: viewing a plain-integer struct as bytes, as the ring buffer hands it over.
        let bytes = unsafe {
            std::slice::from_raw_parts((&raw as *const accept_event).cast::<u8>(), size_of::<accept_event>())
        };
        // Offsets fixed by bpf/accept.h; a mismatch means the C and Rust views differ.
        assert_eq!(size_of::<accept_event>(), 352);
        assert_eq!(std::mem::offset_of!(accept_event, comm), 80);
        assert_eq!(std::mem::offset_of!(accept_event, local), 96);
        assert_eq!(std::mem::offset_of!(accept_event, remote), 224);
        let decoded = decode(bytes).unwrap();
        assert_eq!(to_accept_event(&decoded), to_accept_event(&raw));
    }
}

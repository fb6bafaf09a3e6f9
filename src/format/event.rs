//! The recorded event as the file format defines it.
//!
//! The kernel's struct never reaches the disk: capture converts it into
//! [`AcceptEvent`], and the block codec decides the bytes. A change on the
//! kernel side therefore cannot silently change what files contain.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// Which of the two Tracee events this is. The discriminant is the on-disk code.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[repr(u8)]
pub enum EventKind {
    /// accept/accept4 returned.
    #[default]
    SocketAccept = 0,
    /// The LSM check before the accept waits for a connection.
    SecuritySocketAccept = 1,
}

impl EventKind {
    pub const ALL: [EventKind; 2] = [EventKind::SocketAccept, EventKind::SecuritySocketAccept];

    /// The Tracee event name.
    pub fn name(self) -> &'static str {
        match self {
            EventKind::SocketAccept => "socket_accept",
            EventKind::SecuritySocketAccept => "security_socket_accept",
        }
    }

    pub fn from_name(name: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.name() == name)
    }

    pub fn from_code(code: u8) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| *k as u8 == code)
    }

    /// Bit of this kind in an event mask (header `events` field, kernel config).
    pub fn bit(self) -> u32 {
        1 << self as u8
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

/// A task's `comm`: up to 15 bytes, NUL padded, not necessarily UTF-8.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Comm(pub [u8; 16]);

impl Comm {
    /// Builds a comm from bytes, truncating to 15 bytes like the kernel does.
    pub fn new(name: &[u8]) -> Comm {
        let mut raw = [0u8; 16];
        let n = name.iter().take(15).take_while(|b| **b != 0).count();
        raw[..n].copy_from_slice(&name[..n]);
        Comm(raw)
    }

    pub fn as_bytes(&self) -> &[u8] {
        let n = self.0.iter().position(|b| *b == 0).unwrap_or(16);
        &self.0[..n]
    }

    pub fn to_string_lossy(&self) -> String {
        String::from_utf8_lossy(self.as_bytes()).into_owned()
    }
}

impl fmt::Debug for Comm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.to_string_lossy())
    }
}

impl fmt::Display for Comm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.to_string_lossy())
    }
}

/// Who did the accept: the process context Tracee attaches to every event.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProcessContext {
    /// Thread group id as seen from the initial pid namespace.
    pub pid: u32,
    pub tid: u32,
    /// `real_parent`'s thread group id.
    pub ppid: u32,
    pub uid: u32,
    pub gid: u32,
    pub comm: Comm,
    /// cgroup v2 id (the inode number of the cgroup's directory).
    pub cgroup_id: u64,
    /// Namespace inode numbers, as in `/proc/PID/ns/*`.
    pub mnt_ns: u32,
    pub pid_ns: u32,
    pub net_ns: u32,
}

/// Linux address family numbers used on disk.
pub mod family {
    pub const AF_UNIX: u16 = 1;
    pub const AF_INET: u16 = 2;
    pub const AF_INET6: u16 = 10;
}

/// An AF_UNIX socket path. A leading NUL marks an abstract name; an empty
/// path is an unnamed socket.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct UnixPath(Arc<[u8]>);

impl UnixPath {
    /// The longest `sun_path`.
    pub const MAX_LEN: usize = 108;

    /// Takes `sun_path` bytes. A filesystem path ends at its first NUL; an
    /// abstract name keeps every byte. Longer input is truncated to 108 bytes.
    pub fn new(raw: &[u8]) -> UnixPath {
        let raw = &raw[..raw.len().min(Self::MAX_LEN)];
        let len = match raw.first() {
            Some(0) => raw.len(),
            _ => raw.iter().position(|b| *b == 0).unwrap_or(raw.len()),
        };
        UnixPath(Arc::from(&raw[..len]))
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    pub fn is_abstract(&self) -> bool {
        self.0.first() == Some(&0)
    }

    pub fn is_unnamed(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for UnixPath {
    /// Abstract names print as `@name`, like `ss` and `netstat` show them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_abstract() {
            write!(f, "@{}", String::from_utf8_lossy(&self.0[1..]))
        } else {
            f.write_str(&String::from_utf8_lossy(&self.0))
        }
    }
}

impl fmt::Debug for UnixPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.to_string())
    }
}

/// A socket address as recorded.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SockAddr {
    /// No address: not applicable, or the kernel had none.
    #[default]
    None,
    Inet {
        addr: Ipv4Addr,
        port: u16,
    },
    /// Also carries IPv4-mapped addresses of dual-stack sockets, unchanged.
    Inet6 {
        addr: Ipv6Addr,
        port: u16,
        flowinfo: u32,
        scope_id: u32,
    },
    Unix(UnixPath),
    /// A family we do not decode (AF_VSOCK, AF_TIPC, ...): kept, never guessed at.
    Other {
        family: u16,
    },
}

impl SockAddr {
    /// The Linux `AF_*` number, 0 for [`SockAddr::None`].
    pub fn family(&self) -> u16 {
        match self {
            SockAddr::None => 0,
            SockAddr::Inet { .. } => family::AF_INET,
            SockAddr::Inet6 { .. } => family::AF_INET6,
            SockAddr::Unix(_) => family::AF_UNIX,
            SockAddr::Other { family } => *family,
        }
    }

    pub fn family_name(&self) -> String {
        match self.family() {
            family::AF_UNIX => "AF_UNIX".into(),
            family::AF_INET => "AF_INET".into(),
            family::AF_INET6 => "AF_INET6".into(),
            40 => "AF_VSOCK".into(),
            n => format!("AF_{n}"),
        }
    }

    pub fn port(&self) -> Option<u16> {
        match self {
            SockAddr::Inet { port, .. } | SockAddr::Inet6 { port, .. } => Some(*port),
            _ => None,
        }
    }

    pub fn ip(&self) -> Option<std::net::IpAddr> {
        match self {
            SockAddr::Inet { addr, .. } => Some((*addr).into()),
            SockAddr::Inet6 { addr, .. } => Some((*addr).into()),
            _ => None,
        }
    }

    /// The same address with its port set to 0; used to tell a host from an endpoint.
    pub fn without_port(&self) -> SockAddr {
        match self {
            SockAddr::Inet { addr, .. } => SockAddr::Inet { addr: *addr, port: 0 },
            SockAddr::Inet6 { addr, flowinfo, scope_id, .. } => {
                SockAddr::Inet6 { addr: *addr, port: 0, flowinfo: *flowinfo, scope_id: *scope_id }
            }
            other => other.clone(),
        }
    }
}

impl fmt::Display for SockAddr {
    /// `127.0.0.1:80`, `[::1]:80`, `/run/x.sock`, `@abstract`, `(unnamed)`, `-`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SockAddr::None => f.write_str("-"),
            SockAddr::Inet { addr, port } => write!(f, "{addr}:{port}"),
            SockAddr::Inet6 { addr, port, .. } => write!(f, "[{addr}]:{port}"),
            SockAddr::Unix(path) if path.is_unnamed() => f.write_str("(unnamed)"),
            SockAddr::Unix(path) => write!(f, "{path}"),
            SockAddr::Other { .. } => f.write_str(&self.family_name()),
        }
    }
}

/// The connecting peer's credentials, known for AF_UNIX (SO_PEERCRED).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PeerCred {
    pub pid: u32,
    pub uid: u32,
}

/// Per-event flags (a bit set; see format-spec.md, "Event flags").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventFlags(pub u8);

impl EventFlags {
    /// The accepted socket had local port 0 (reset before accept returned);
    /// the port shown is the listener's.
    pub const LOCAL_PORT_FROM_LISTENER: u8 = 1 << 0;
    /// `sockfd` could not be known (e.g. an accept not made by accept(2)/accept4(2)).
    pub const SOCKFD_UNKNOWN: u8 = 1 << 1;

    pub fn has(self, bit: u8) -> bool {
        self.0 & bit != 0
    }
}

/// One recorded event.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct AcceptEvent {
    pub kind: EventKind,
    /// CLOCK_BOOTTIME nanoseconds; the header's time anchor converts to wall clock.
    pub ts_ns: u64,
    pub ctx: ProcessContext,
    /// The listening socket's fd, as in Tracee; -1 when unknown.
    pub sockfd: i32,
    /// The accepted socket's fd; -1 when none (failed accept, security event).
    pub fd: i32,
    /// The syscall's return value: the new fd, or -errno. 0 for security events.
    pub ret: i32,
    /// `SOCK_STREAM`, `SOCK_SEQPACKET`, ...; 0 when unknown.
    pub sock_type: u16,
    pub local: SockAddr,
    pub remote: SockAddr,
    pub peer: Option<PeerCred>,
    pub flags: EventFlags,
    /// Index into the header's source list; 0 except in merged recordings.
    pub source: u16,
}

impl AcceptEvent {
    /// The errno of a failed accept.
    pub fn errno(&self) -> Option<i32> {
        (self.ret < 0).then(|| -self.ret)
    }
}

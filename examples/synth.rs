//! Writes a large synthetic recording for `bench/replay.sh`: a busy host's
//! accepts over a few minutes, made with the format's own `Writer`, so the
//! offline commands can be timed on realistic data without a capture.
//!
//! ```text
//! synth OUT [EVENTS] [SEED]        defaults: 10000000 events, seed 1
//! ```
//!
//! The mix: ~60 services (one to four processes of 1 to 16 accepting
//! threads each, some in containers with their own namespaces) on ~150
//! listeners, IPv4, IPv6, IPv4-mapped, unix paths and abstract names; peers
//! drawn with a heavy skew from ~100k IPv4 hosts in ~400 /24s, IPv6 hosts
//! in 50 /64s, and loopback; each connection is a `security_socket_accept`
//! then its `socket_accept` a few microseconds later; a few percent fail
//! (EAGAIN, EMFILE, ECONNABORTED); the rate idles at ~25k connections/s with
//! bursts of 5 to 15 times that. The same seed always gives the same bytes.

use std::fs::File;
use std::io::BufWriter;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;
use std::process::ExitCode;

use accept_rec::format::{
    AcceptEvent, Comm, EventFlags, EventKind, Header, HookInfo, HostInfo, PeerCred, ProcessContext, SockAddr,
    Stats, TimeAnchor, UnixPath, Writer, WriterOptions,
};
use anyhow::{Context, bail};

/// 2026-01-01T00:00:00Z, at boot time 1000 s.
const ANCHOR: TimeAnchor = TimeAnchor { boot_ns: 1_000_000_000_000, wall_ns: 1_767_225_600_000_000_000 };
const SERVICES: usize = 60;
const IDLE_CONNECTIONS_PER_SEC: u64 = 25_000;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("synth: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn run() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(path) = args.first().map(PathBuf::from) else {
        bail!("usage: synth OUT [EVENTS] [SEED]");
    };
    let number = |i: usize, default: u64| -> anyhow::Result<u64> {
        args.get(i).map_or(Ok(default), |s| s.parse().with_context(|| format!("{s:?} is not a number")))
    };
    let (events, seed) = (number(1, 10_000_000)?, number(2, 1)?);
    let file = File::create(&path).with_context(|| path.display().to_string())?;
    let mut host = Host::new(seed);
    let header = header(&path, host.ts);
    let mut writer = Writer::new(BufWriter::with_capacity(1 << 20, file), &header, WriterOptions::default())?;
    let mut written = 0;
    while written < events {
        for event in host.connection() {
            if written < events {
                writer.push(event)?;
                written += 1;
            }
        }
    }
    let end_ts = host.ts + 1_000_000;
    let end_wall = ANCHOR.to_wall(end_ts) as u64;
    writer.finish(Stats { end_ts_ns: end_ts, end_wall_ns: end_wall, ..Stats::default() })?;
    let seconds = (host.ts - Host::START_TS) as f64 / 1e9;
    eprintln!("synth: wrote {written} events over {seconds:.1} s to {}", path.display());
    Ok(())
}

fn header(path: &std::path::Path, start_ts: u64) -> Header {
    let hook = |event, hook: &str| HookInfo { event, hook: hook.into(), detail: "synthetic".into() };
    Header {
        created_by: concat!("accept-rec synth ", env!("CARGO_PKG_VERSION")).into(),
        command_line: std::env::args().collect(),
        started_wall_ns: ANCHOR.to_wall(start_ts) as u64,
        clock: ANCHOR,
        hosts: vec![HostInfo {
            hostname: "synth-host".into(),
            kernel_release: "6.18.0-synth".into(),
            boot_id: "00000000-0000-4000-8000-000000000001".into(),
            anchor: ANCHOR,
            label: path.display().to_string(),
        }],
        events: EventKind::SocketAccept.bit() | EventKind::SecuritySocketAccept.bit(),
        hooks: vec![hook(EventKind::SocketAccept, "fexit"), hook(EventKind::SecuritySocketAccept, "fentry")],
        flush_interval_ms: 1000,
        include_eagain: true,
        ..Header::default()
    }
}

/// xorshift64*: reproducible without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// 0..n, small values far more likely (roughly Zipf-like).
    fn skewed(&mut self, n: u64) -> u64 {
        let u = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        ((u * u * u * n as f64) as u64).min(n - 1)
    }

    fn percent(&mut self) -> u64 {
        self.below(100)
    }
}

const NAMES: [&str; 24] = [
    "nginx",
    "envoy",
    "haproxy",
    "postgres",
    "redis-server",
    "sshd",
    "node",
    "java",
    "python3",
    "gunicorn",
    "php-fpm",
    "dockerd",
    "containerd",
    "kubelet",
    "systemd",
    "memcached",
    "mysqld",
    "grpc-server",
    "prometheus",
    "grafana",
    "consul",
    "vault",
    "etcd",
    "coredns",
];

struct Listener {
    addr: SockAddr,
    sock_type: u16,
    sockfd: i32,
    /// Unix listeners know their peer's credentials.
    unix: bool,
}

struct Service {
    threads: Vec<ProcessContext>,
    listeners: Vec<Listener>,
    next_fd: i32,
}

struct Host {
    rng: Rng,
    services: Vec<Service>,
    ts: u64,
    /// Connections per second right now, and when that changes.
    rate: u64,
    rate_until: u64,
}

impl Host {
    const START_TS: u64 = ANCHOR.boot_ns + 5_000_000_000;

    fn new(seed: u64) -> Host {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ seed.wrapping_mul(0x1000_0000_01b3));
        let services = (0..SERVICES).map(|i| service(&mut rng, i)).collect();
        Host { rng, services, ts: Host::START_TS, rate: IDLE_CONNECTIONS_PER_SEC, rate_until: Host::START_TS }
    }

    /// The two events of the next connection, or one for an accept that
    /// failed before waiting (EAGAIN on a non-blocking listener).
    fn connection(&mut self) -> Vec<AcceptEvent> {
        self.advance_clock();
        let rng = &mut self.rng;
        let service = &mut self.services[rng.skewed(SERVICES as u64) as usize];
        let ctx = service.threads[rng.below(service.threads.len() as u64) as usize];
        let listener = &service.listeners[rng.skewed(service.listeners.len() as u64) as usize];
        let security = AcceptEvent {
            kind: EventKind::SecuritySocketAccept,
            ts_ns: self.ts,
            ctx,
            sockfd: listener.sockfd,
            fd: -1,
            ret: 0,
            sock_type: listener.sock_type,
            local: listener.addr.clone(),
            ..AcceptEvent::default()
        };
        let roll = rng.below(1000);
        let failure = match roll {
            0..25 => Some(libc::EAGAIN),
            25..27 => Some(libc::EMFILE),
            27 => Some(libc::ECONNABORTED),
            _ => None,
        };
        let ts_ns = self.ts + 1_500 + rng.below(20_000);
        let accept = match failure {
            Some(errno) => {
                AcceptEvent { kind: EventKind::SocketAccept, ts_ns, fd: -1, ret: -errno, ..security.clone() }
            }
            None => {
                let fd = service.next_fd;
                service.next_fd = if fd > 900 { 10 } else { fd + 1 + rng.below(3) as i32 };
                let (remote, peer) = peer(rng, listener);
                // Rarely the accepted socket's port was reset and the listener's is shown.
                let flags = if roll == 999 { EventFlags::LOCAL_PORT_FROM_LISTENER } else { 0 };
                AcceptEvent {
                    kind: EventKind::SocketAccept,
                    ts_ns,
                    fd,
                    ret: fd,
                    remote,
                    peer,
                    flags: EventFlags(flags),
                    ..security.clone()
                }
            }
        };
        if failure == Some(libc::EAGAIN) { vec![accept] } else { vec![security, accept] }
    }

    /// Exponential-ish gaps at the current rate; bursts come and go.
    fn advance_clock(&mut self) {
        if self.ts >= self.rate_until {
            let burst = self.rng.percent() < 15;
            let (rate, seconds_x10) = if burst {
                (IDLE_CONNECTIONS_PER_SEC * (5 + self.rng.below(11)), 2 + self.rng.below(28))
            } else {
                (
                    IDLE_CONNECTIONS_PER_SEC / 2 + self.rng.below(IDLE_CONNECTIONS_PER_SEC),
                    10 + self.rng.below(50),
                )
            };
            self.rate = rate;
            self.rate_until = self.ts + seconds_x10 * 100_000_000;
        }
        let mean_gap = 1_000_000_000 / self.rate;
        let u = (self.rng.next() >> 11) as f64 / (1u64 << 53) as f64;
        self.ts += 1 + (-(1.0 - u).ln() * mean_gap as f64) as u64;
    }
}

fn service(rng: &mut Rng, i: usize) -> Service {
    let name = match NAMES.get(i) {
        Some(name) => (*name).to_string(),
        None => format!("app-{i:02}"),
    };
    let in_container = rng.percent() < 60;
    let (mnt_ns, pid_ns, net_ns) = if in_container {
        let base = 4_026_532_000 + 8 * i as u32;
        (base, base + 1, base + 2)
    } else {
        (4_026_531_841, 4_026_531_836, 4_026_531_840)
    };
    let uid = if rng.percent() < 30 { 0 } else { 100 + i as u32 };
    let processes = 1 + rng.below(4) as u32;
    let mut threads = Vec::new();
    for p in 0..processes {
        let pid = 1_000 + 400 * i as u32 + 50 * p;
        for t in 0..1 + rng.below(16) as u32 {
            threads.push(ProcessContext {
                pid,
                tid: pid + t,
                ppid: if p == 0 { 1 } else { 1_000 + 400 * i as u32 },
                uid,
                gid: uid,
                comm: Comm::new(name.as_bytes()),
                cgroup_id: 0x2000 + i as u64,
                mnt_ns,
                pid_ns,
                net_ns,
            });
        }
    }
    let listeners = (0..1 + rng.below(4)).map(|j| listener(rng, i, j as usize, &name)).collect();
    Service { threads, listeners, next_fd: 10 }
}

fn listener(rng: &mut Rng, service: usize, j: usize, name: &str) -> Listener {
    let port = [80, 443, 8080, 8443, 5432, 6379, 22, 9090, 3000, 2379][(service + j) % 10] + j as u16;
    let sockfd = 3 + j as i32;
    let inet6 = |addr: Ipv6Addr| SockAddr::Inet6 { addr, port, flowinfo: 0, scope_id: 0 };
    let (addr, unix) = match rng.below(10) {
        0..=3 => {
            (SockAddr::Inet { addr: Ipv4Addr::new(10, 0, (service / 8) as u8, 5 + j as u8), port }, false)
        }
        4 => (SockAddr::Inet { addr: Ipv4Addr::LOCALHOST, port }, false),
        5 => (inet6(Ipv6Addr::new(0x2001, 0xdb8, 0, service as u16, 0, 0, 0, 5)), false),
        6 => (inet6(Ipv4Addr::new(10, 0, 0, 5).to_ipv6_mapped()), false),
        7 => (inet6(Ipv6Addr::LOCALHOST), false),
        8 => (SockAddr::Unix(UnixPath::new(format!("/run/{name}/{name}-{j}.sock").as_bytes())), true),
        _ => (SockAddr::Unix(UnixPath::new(format!("\0{name}.control.{j}").as_bytes())), true),
    };
    let sock_type = if unix && rng.percent() < 30 { 5 } else { 1 };
    Listener { addr, sock_type, sockfd, unix }
}

/// A client of `listener`: its address (unix peers are unnamed) and, for
/// unix sockets, its credentials.
fn peer(rng: &mut Rng, listener: &Listener) -> (SockAddr, Option<PeerCred>) {
    if listener.unix {
        let cred =
            PeerCred { pid: 20_000 + rng.skewed(3_000) as u32, uid: [0, 33, 1000][rng.below(3) as usize] };
        return (SockAddr::Unix(UnixPath::new(b"")), Some(cred));
    }
    let port = 32_768 + rng.below(28_232) as u16;
    let host = rng.skewed(100_000) as u32;
    let v4 = Ipv4Addr::new(
        [10, 172, 192, 100][(host % 4) as usize],
        (host / 4 % 100) as u8,
        (host / 400 % 250) as u8,
        1 + (host % 251) as u8,
    );
    match &listener.addr {
        SockAddr::Inet { addr, .. } if addr.is_loopback() => {
            (SockAddr::Inet { addr: Ipv4Addr::LOCALHOST, port }, None)
        }
        SockAddr::Inet { .. } => (SockAddr::Inet { addr: v4, port }, None),
        SockAddr::Inet6 { addr, .. } if addr.is_loopback() => {
            (SockAddr::Inet6 { addr: Ipv6Addr::LOCALHOST, port, flowinfo: 0, scope_id: 0 }, None)
        }
        SockAddr::Inet6 { addr, .. } if addr.to_ipv4_mapped().is_some() => {
            (SockAddr::Inet6 { addr: v4.to_ipv6_mapped(), port, flowinfo: 0, scope_id: 0 }, None)
        }
        _ => {
            let net = rng.skewed(50) as u16;
            let iface = rng.skewed(1 << 20);
            let addr = Ipv6Addr::new(0x2001, 0xdb8, 0x100 + net, 0, 0, 0, (iface >> 16) as u16, iface as u16);
            (SockAddr::Inet6 { addr, port, flowinfo: rng.below(4) as u32, scope_id: 0 }, None)
        }
    }
}

//! A synthetic workload with known numbers, and helpers that write it into
//! in-memory recordings.
//!
//! The workload, in seconds after the start (see `Workload::events`):
//! - nginx (uid 33, two threads) accepts 40 on 10.0.0.1:80 at 0..=39 from
//!   192.168.1.10..=13 (10 each), then fails 3x EMFILE (40.5..42.5) and
//!   2x ECONNABORTED (43.5, 44.5);
//! - sshd accepts 5 on 10.0.0.1:22 from 203.0.113.7 at 10.25, 20.25, ..,
//!   50.25, each after a security check on 0.0.0.0:22 at 10.2, 20.2, ..;
//! - app-server accepts 6 on /run/app.sock at 5.5, 10.5, .., 30.5;
//! - envoy accepts 4 on [::ffff:10.0.0.1]:8080 from ::ffff:192.168.2.20 at
//!   1.75..=4.75, and 3 on [2001:db8::1]:443 at 50.1, 51.1, 52.1 from
//!   2001:db8:1::5, 2001:db8:1::6 and 2001:db8:2::9;
//! - redis-server accepts from 127.0.0.1 on 127.0.0.1:6379 at 55 and 56, and
//!   from ::1 on [::1]:6379 at 57.
//!
//! 71 events: 61 accepted, 5 failed, 5 security checks.

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::format::*;

/// 2026-01-01T00:00:00Z.
pub const WALL_START: u64 = 1_767_225_600_000_000_000;
pub const SEC: u64 = 1_000_000_000;

/// What differs between two runs of the same workload: identities and timing, not behaviour.
#[derive(Clone, Copy, Debug)]
pub struct Run {
    pub pid_base: u32,
    pub fd_base: i32,
    /// Added to every client port.
    pub port_seed: u16,
    /// CLOCK_BOOTTIME at the start.
    pub boot_start: u64,
    /// Wall clock at the start.
    pub wall_start: u64,
    /// Nanoseconds added to the i-th event's time, times i: timing noise.
    pub jitter_ns: u64,
}

impl Default for Run {
    fn default() -> Self {
        Run {
            pid_base: 1000,
            fd_base: 10,
            port_seed: 0,
            boot_start: 5_000 * SEC,
            wall_start: WALL_START,
            jitter_ns: 0,
        }
    }
}

pub fn v4(a: [u8; 4], port: u16) -> SockAddr {
    SockAddr::Inet { addr: Ipv4Addr::from(a), port }
}

pub fn v6(addr: &str, port: u16) -> SockAddr {
    SockAddr::Inet6 { addr: addr.parse::<Ipv6Addr>().unwrap(), port, flowinfo: 0, scope_id: 0 }
}

impl Run {
    pub fn pid(&self, n: u32) -> u32 {
        self.pid_base + n
    }

    /// Event-clock timestamp of `ms` milliseconds after the start.
    pub fn ts(&self, ms: u64) -> u64 {
        self.boot_start + ms * 1_000_000
    }

    pub fn clock(&self) -> TimeAnchor {
        TimeAnchor { boot_ns: self.boot_start, wall_ns: self.wall_start }
    }

    pub fn header(&self, hostname: &str) -> Header {
        Header {
            created_by: "test".into(),
            started_wall_ns: self.wall_start,
            clock: self.clock(),
            hosts: vec![HostInfo {
                hostname: hostname.into(),
                kernel_release: "6.8.0".into(),
                boot_id: format!("boot-{hostname}-{}", self.boot_start),
                anchor: self.clock(),
                label: String::new(),
            }],
            events: EventKind::SocketAccept.bit() | EventKind::SecuritySocketAccept.bit(),
            hooks: vec![HookInfo {
                event: EventKind::SocketAccept,
                hook: "fexit".into(),
                detail: "x".into(),
            }],
            ..Header::default()
        }
    }

    /// One event of process `n` (comm `comm`) at `ms`.
    #[allow(clippy::too_many_arguments)]
    pub fn event(
        &self,
        n: u32,
        comm: &str,
        ms: u64,
        kind: EventKind,
        ret: i32,
        local: SockAddr,
        remote: SockAddr,
    ) -> AcceptEvent {
        let pid = self.pid(n);
        let fd = if kind == EventKind::SocketAccept && ret >= 0 { self.fd_base + ms as i32 % 50 } else { -1 };
        AcceptEvent {
            kind,
            ts_ns: self.ts(ms),
            ctx: ProcessContext {
                pid,
                tid: pid,
                ppid: 1,
                uid: 0,
                gid: 0,
                comm: Comm::new(comm.as_bytes()),
                cgroup_id: 100 + u64::from(n),
                mnt_ns: 4026531840,
                pid_ns: 4026531836,
                net_ns: 4026531833,
            },
            sockfd: 3,
            fd,
            ret: if ret >= 0 { fd.max(0) } else { ret },
            sock_type: 1,
            local,
            remote,
            peer: None,
            flags: EventFlags::default(),
            source: 0,
        }
    }

    fn client_port(&self, i: u64) -> u16 {
        40_000 + i as u16 * 7 + self.port_seed
    }

    /// The workload described at the top of this file, in time order.
    pub fn events(&self) -> Vec<AcceptEvent> {
        let accept = EventKind::SocketAccept;
        let mut events = Vec::new();
        let server = [10, 0, 0, 1];
        for i in 0..40u64 {
            let mut e = self.event(
                1,
                "nginx",
                i * 1000,
                accept,
                0,
                v4(server, 80),
                v4([192, 168, 1, 10 + (i % 4) as u8], self.client_port(i)),
            );
            e.ctx.uid = 33;
            e.ctx.tid = if i % 2 == 1 { self.pid(10) } else { self.pid(1) };
            events.push(e);
        }
        for (i, errno) in [24, 24, 24, 103, 103].into_iter().enumerate() {
            let mut e = self.event(
                1,
                "nginx",
                40_500 + i as u64 * 1000,
                accept,
                -errno,
                v4(server, 80),
                SockAddr::None,
            );
            e.ctx.uid = 33;
            events.push(e);
        }
        for i in 0..5u64 {
            let check = EventKind::SecuritySocketAccept;
            events.push(self.event(2, "sshd", 10_200 + i * 10_000, check, 0, v4([0; 4], 22), SockAddr::None));
            let remote = v4([203, 0, 113, 7], self.client_port(100 + i));
            events.push(self.event(2, "sshd", 10_250 + i * 10_000, accept, 0, v4(server, 22), remote));
        }
        for i in 0..6u64 {
            let mut e =
                self.event(3, "app-server", 5_500 + i * 5000, accept, 0, unix("/run/app.sock"), unix(""));
            e.peer = Some(PeerCred { pid: self.pid(50), uid: 1000 });
            events.push(e);
        }
        for i in 0..4u64 {
            let remote = v6("::ffff:192.168.2.20", self.client_port(200 + i));
            events.push(self.event(
                4,
                "envoy",
                1_750 + i * 1000,
                accept,
                0,
                v6("::ffff:10.0.0.1", 8080),
                remote,
            ));
        }
        for (i, peer) in ["2001:db8:1::5", "2001:db8:1::6", "2001:db8:2::9"].into_iter().enumerate() {
            let remote = v6(peer, self.client_port(300 + i as u64));
            let mut e =
                self.event(4, "envoy", 50_100 + i as u64 * 1000, accept, 0, v6("2001:db8::1", 443), remote);
            // Flow labels differ per connection; a listener is still one listener.
            if let SockAddr::Inet6 { flowinfo, .. } = &mut e.local {
                *flowinfo = 0x1234 + i as u32;
            }
            events.push(e);
        }
        for (i, ms) in [55_000, 56_000].into_iter().enumerate() {
            let remote = v4([127, 0, 0, 1], self.client_port(400 + i as u64));
            events.push(self.event(5, "redis-server", ms, accept, 0, v4([127, 0, 0, 1], 6379), remote));
        }
        events.push(self.event(
            5,
            "redis-server",
            57_000,
            accept,
            0,
            v6("::1", 6379),
            v6("::1", self.client_port(402)),
        ));
        events.sort_by_key(|e| e.ts_ns);
        for (i, e) in events.iter_mut().enumerate() {
            e.ts_ns += i as u64 * self.jitter_ns;
        }
        events
    }
}

pub fn unix(path: &str) -> SockAddr {
    SockAddr::Unix(UnixPath::new(path.as_bytes()))
}

/// Writes `events` in order, `block_events` to a block, with `losses` (ts, lost) interleaved by time.
pub fn write(header: &Header, events: &[AcceptEvent], block_events: usize, losses: &[(u64, u64)]) -> Vec<u8> {
    let opts = WriterOptions { block_events, zstd_level: 1 };
    let mut writer = Writer::new(Vec::new(), header, opts).unwrap();
    let mut losses = losses.iter().peekable();
    for e in events {
        while let Some((ts, lost)) = losses.next_if(|(ts, _)| *ts < e.ts_ns) {
            writer.record_loss(*ts, *lost).unwrap();
        }
        writer.push(e.clone()).unwrap();
    }
    for (ts, lost) in losses {
        writer.record_loss(*ts, *lost).unwrap();
    }
    let end = events.last().map_or(0, |e| e.ts_ns);
    writer.finish(Stats { end_ts_ns: end, ..Stats::default() }).unwrap()
}

/// The workload of `run` as a finished recording with 8 events per block.
pub fn recording(run: &Run) -> Recording {
    Recording::from_vec(write(&run.header("web-1"), &run.events(), 8, &[])).unwrap()
}

/// Every event of a recording, in file order.
pub fn read_all(recording: &Recording) -> Vec<AcceptEvent> {
    recording.events().collect::<Result<_, _>>().unwrap()
}

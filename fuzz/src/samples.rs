//! Valid recordings made by the real `Writer`: the starting points of the
//! seed corpora and of the `index` target.

use std::cell::RefCell;
use std::io::Write;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::rc::Rc;
use std::sync::OnceLock;

use accept_rec::format::frame::{self, FrameType};
use accept_rec::format::{
    AcceptEvent, Comm, EventFlags, EventKind, Header, HookInfo, HostInfo, PeerCred, ProcessContext, SockAddr,
    Stats, TimeAnchor, UnixPath, Writer, WriterOptions,
};

/// A recording and how it was made.
#[derive(Debug)]
pub struct Sample {
    pub name: &'static str,
    pub bytes: Vec<u8>,
    /// Whether it ends with stats, index and trailer.
    pub finished: bool,
}

/// Every sample, built once.
pub fn samples() -> &'static [Sample] {
    static SAMPLES: OnceLock<Vec<Sample>> = OnceLock::new();
    SAMPLES.get_or_init(build_samples)
}

/// The finished samples, which have a footer index.
pub fn finished() -> Vec<&'static Sample> {
    samples().iter().filter(|s| s.finished).collect()
}

fn build_samples() -> Vec<Sample> {
    let mut out = Vec::new();
    let mut add = |name, bytes, finished| out.push(Sample { name, bytes, finished });
    add("small-blocks-losses", record(&events(50, 1), 7, &[(10, 5), (30, 2)], true), true);
    add("one-block", record(&events(120, 2), 4096, &[], true), true);
    add("mid-blocks-unfinished", record(&events(200, 3), 64, &[(100, 9)], false), false);
    add("empty-finished", record(&[], 16, &[], true), true);
    add("one-event-blocks", record(&events(6, 4), 1, &[(3, 1)], true), true);
    let mut unknown = record(&events(40, 5), 16, &[], false);
    frame::encode(&mut unknown, FrameType::Unknown(77), b"a frame type from a later minor version");
    add("unknown-frame-unfinished", unknown, false);
    let full = record(&events(60, 6), 20, &[], false);
    add("truncated", full[..full.len() - 37].to_vec(), false);
    out
}

/// Writes `events` in blocks of `block_events`, with `losses` as
/// `(after this many events, lost)`. An unfinished file is what a writer
/// leaves when it is killed after a flush.
pub fn record(events: &[AcceptEvent], block_events: usize, losses: &[(usize, u64)], finish: bool) -> Vec<u8> {
    let shared = SharedBuf::default();
    let opts = WriterOptions { block_events, zstd_level: 3 };
    let mut writer = Writer::new(shared.clone(), &header(), opts).expect("writer");
    for (i, event) in events.iter().enumerate() {
        for (_, lost) in losses.iter().filter(|(at, _)| *at == i) {
            writer.record_loss(event.ts_ns, *lost).expect("loss");
        }
        writer.push(event.clone()).expect("push");
    }
    if finish {
        let end = events.iter().map(|e| e.ts_ns).max().unwrap_or(0);
        writer.finish(Stats { end_ts_ns: end, filtered: 3, ..Stats::default() }).expect("finish");
    } else {
        writer.flush().expect("flush");
        drop(writer);
    }
    shared.0.take()
}

/// A `Write` whose bytes outlive the writer that was dropped without finishing.
#[derive(Clone, Default)]
struct SharedBuf(Rc<RefCell<Vec<u8>>>);

impl Write for SharedBuf {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A header with every field set.
pub fn header() -> Header {
    let anchor = TimeAnchor { boot_ns: 1_000_000, wall_ns: 1_700_000_000_000_000_000 };
    Header {
        created_by: "accept-rec fuzz seeds".into(),
        command_line: vec!["accept-rec".into(), "record".into(), "-o".into(), "x.trc".into()],
        started_wall_ns: anchor.wall_ns,
        clock: anchor,
        hosts: vec![HostInfo {
            hostname: "fuzzhost".into(),
            kernel_release: "6.8.0".into(),
            boot_id: "0f0e0d0c-0b0a-0908-0706-050403020100".into(),
            anchor,
            label: "x.trc".into(),
        }],
        events: 3,
        hooks: vec![
            HookInfo { event: EventKind::SocketAccept, hook: "fexit".into(), detail: "do_accept".into() },
            HookInfo {
                event: EventKind::SecuritySocketAccept,
                hook: "fentry".into(),
                detail: "security_socket_accept".into(),
            },
        ],
        filter: "port 80".into(),
        ring_size: 1 << 20,
        flush_interval_ms: 1000,
        include_eagain: true,
        rotation_seq: 2,
        derived_from: vec!["a.trc".into()],
    }
}

/// `n` events with every kind of address, peer credentials and flags,
/// from a fixed pseudo-random sequence.
pub fn events(n: usize, seed: u64) -> Vec<AcceptEvent> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    (0..n)
        .map(|i| {
            let r = next();
            let kind = if r & 1 == 0 { EventKind::SocketAccept } else { EventKind::SecuritySocketAccept };
            AcceptEvent {
                kind,
                ts_ns: 2_000_000 + i as u64 * 1_000 + r % 700,
                ctx: ProcessContext {
                    pid: 100 + (r % 3) as u32,
                    tid: 100 + (r % 5) as u32,
                    ppid: 1,
                    uid: (r % 2) as u32 * 1000,
                    gid: 0,
                    comm: Comm::new(if r % 3 == 0 { b"nginx" } else { b"sshd" }),
                    cgroup_id: 4242,
                    mnt_ns: 4026531840,
                    pid_ns: 4026531836,
                    net_ns: 4026531992,
                },
                sockfd: 3,
                fd: 4 + (i % 9) as i32,
                ret: if r % 11 == 0 { -11 } else { 4 + (i % 9) as i32 },
                sock_type: 1,
                local: addr(r >> 8),
                remote: addr(r >> 24),
                peer: (r % 4 == 0).then_some(PeerCred { pid: 7, uid: 1000 }),
                flags: EventFlags((r >> 40) as u8 & 3),
                source: 0,
            }
        })
        .collect()
}

fn addr(r: u64) -> SockAddr {
    let port = (r >> 16) as u16;
    match r % 6 {
        0 => SockAddr::None,
        1 | 2 => SockAddr::Inet { addr: Ipv4Addr::new(10, 0, 0, (r >> 4) as u8 & 7), port },
        3 => SockAddr::Inet6 { addr: Ipv6Addr::LOCALHOST, port, flowinfo: 0, scope_id: (r >> 5) as u32 & 1 },
        4 => SockAddr::Unix(UnixPath::new(if r & 64 == 0 { b"/run/app.sock" } else { b"\0abstract" })),
        _ => SockAddr::Other { family: 40 },
    }
}

//! Event-block codec throughput: encode and decode one realistic block of
//! 16384 events (the writer's default size) at the default zstd level.
//!
//! `cargo bench --bench block_codec` runs that pair quickly. With
//! `ACCEPT_REC_BENCH_GRID=1` it also sweeps block sizes 1024..65536 and zstd
//! levels 1, 3, 6 and 9 and prints the bytes per event of each pair: the
//! measurements behind format-spec.md, "Choosing block size and level".
//!
//! Times are the benchmark thread's CPU time, not wall time: on a shared
//! two-core machine, compilers and other benchmarks inflate wall time but
//! barely touch this.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use accept_rec::format::block::{BlockDecoder, BlockEncoder};
use accept_rec::format::{
    AcceptEvent, Comm, EventFlags, EventKind, PeerCred, ProcessContext, SockAddr, Stats, UnixPath, Writer,
    WriterOptions,
};
use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::{BenchmarkId, Criterion, Throughput};
use nix::time::{ClockId, clock_gettime};

const DEFAULT_BLOCK: usize = 16384;
const DEFAULT_LEVEL: i32 = 3;
const GRID_BLOCKS: [usize; 4] = [1024, 4096, 16384, 65536];
const GRID_LEVELS: [i32; 4] = [1, 3, 6, 9];
/// Events per grid iteration: one 65536 block, or 64 blocks of 1024.
const GRID_EVENTS: usize = 65536;
/// Events written per grid pair to measure the file size.
const SIZE_EVENTS: usize = 1 << 20;

/// CPU time of the calling thread, which is the one criterion runs the routine on.
struct ThreadCpuTime {
    /// Only lends its duration formatter.
    wall: WallTime,
}

fn thread_cpu_now() -> Duration {
    clock_gettime(ClockId::CLOCK_THREAD_CPUTIME_ID).map(Duration::from).expect("CLOCK_THREAD_CPUTIME_ID")
}

impl Measurement for ThreadCpuTime {
    type Intermediate = Duration;
    type Value = Duration;

    fn start(&self) -> Duration {
        thread_cpu_now()
    }
    fn end(&self, start: Duration) -> Duration {
        thread_cpu_now().saturating_sub(start)
    }
    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }
    fn zero(&self) -> Duration {
        Duration::ZERO
    }
    fn to_f64(&self, value: &Duration) -> f64 {
        value.as_nanos() as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        self.wall.formatter()
    }
}

type Bench = Criterion<ThreadCpuTime>;

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

    fn percent(&mut self) -> u64 {
        self.below(100)
    }
}

fn context(pid: u32, tid: u32, uid: u32, comm: &str) -> ProcessContext {
    ProcessContext {
        pid,
        tid,
        ppid: 1,
        uid,
        gid: uid,
        comm: Comm::new(comm.as_bytes()),
        cgroup_id: 0x1_0000 + u64::from(pid),
        mnt_ns: 4_026_531_841,
        pid_ns: 4_026_531_836,
        net_ns: 4_026_531_840,
    }
}

/// A benchmark-like capture: one server with four accepting threads taking
/// ~150k connections/s from local client threads on ephemeral ports, each
/// accept seen as `security_socket_accept` then `socket_accept`; mixed in are
/// IPv6 and v4-mapped clients, a unix-socket daemon with peer credentials,
/// sshd accepting from other hosts, an AF_VSOCK listener and EAGAIN failures.
struct Workload {
    rng: Rng,
    ts: u64,
    port: u16,
    fds: [i32; 4],
    queued: Option<AcceptEvent>,
}

impl Workload {
    fn new() -> Workload {
        Workload {
            rng: Rng(0x9e37_79b9_7f4a_7c15),
            ts: 12_345_678_901_234,
            port: 40_000,
            fds: [20; 4],
            queued: None,
        }
    }

    fn events(n: usize) -> Vec<AcceptEvent> {
        let mut workload = Workload::new();
        (0..n).map(|_| workload.next_event()).collect()
    }

    fn next_event(&mut self) -> AcceptEvent {
        if let Some(event) = self.queued.take() {
            return event;
        }
        // ~150k accepts/s: 6.7 us apart on average, jittered.
        self.ts += 1_000 + self.rng.below(11_333);
        let accept = self.accept();
        let security = AcceptEvent {
            kind: EventKind::SecuritySocketAccept,
            ts_ns: self.ts,
            fd: -1,
            ret: 0,
            remote: SockAddr::None,
            peer: None,
            flags: EventFlags(0),
            ..accept.clone()
        };
        self.queued = Some(AcceptEvent { ts_ns: self.ts + 800 + self.rng.below(2_200), ..accept });
        security
    }

    /// The `socket_accept` of the next connection, time not yet set.
    fn accept(&mut self) -> AcceptEvent {
        let roll = self.rng.percent();
        let thread = self.rng.below(4) as usize;
        let base = AcceptEvent {
            kind: EventKind::SocketAccept,
            ctx: context(4242, 4242 + thread as u32, 33, "accept-srv"),
            sockfd: 6,
            sock_type: 1,
            ..AcceptEvent::default()
        };
        let fd = self.new_fd(thread);
        let client_port = self.ephemeral_port();
        let lo4 = Ipv4Addr::LOCALHOST;
        match roll {
            0..90 => AcceptEvent {
                fd,
                ret: fd,
                local: SockAddr::Inet { addr: lo4, port: 8080 },
                remote: SockAddr::Inet { addr: lo4, port: client_port },
                ..base
            },
            90..94 => {
                let client = if roll < 92 { Ipv6Addr::LOCALHOST } else { lo4.to_ipv6_mapped() };
                let server = if roll < 92 { Ipv6Addr::LOCALHOST } else { lo4.to_ipv6_mapped() };
                AcceptEvent {
                    sockfd: 7,
                    fd,
                    ret: fd,
                    local: SockAddr::Inet6 { addr: server, port: 8080, flowinfo: 0, scope_id: 0 },
                    remote: SockAddr::Inet6 { addr: client, port: client_port, flowinfo: 0, scope_id: 0 },
                    ..base
                }
            }
            94..96 => AcceptEvent {
                ctx: context(990, 990, 0, "app-daemon"),
                sockfd: 5,
                fd: 9,
                ret: 9,
                local: SockAddr::Unix(UnixPath::new(b"/run/app.sock")),
                remote: SockAddr::Unix(UnixPath::new(b"")),
                peer: Some(PeerCred { pid: 7000 + self.rng.below(8) as u32, uid: 1000 }),
                ..base
            },
            96..99 => {
                let host = self.rng.below(16) as u8;
                AcceptEvent {
                    ctx: context(812, 812, 0, "sshd"),
                    sockfd: 3,
                    fd: 4,
                    ret: 4,
                    local: SockAddr::Inet { addr: Ipv4Addr::new(10, 0, 0, 5), port: 22 },
                    remote: SockAddr::Inet { addr: Ipv4Addr::new(10, 0, 1, 10 + host), port: client_port },
                    ..base
                }
            }
            99 if self.rng.percent() < 50 => AcceptEvent {
                ctx: context(1500, 1500, 0, "vsock-agent"),
                sockfd: 4,
                fd: 8,
                ret: 8,
                local: SockAddr::Other { family: 40 },
                remote: SockAddr::Other { family: 40 },
                ..base
            },
            _ => AcceptEvent {
                fd: -1,
                ret: -libc::EAGAIN,
                local: SockAddr::Inet { addr: lo4, port: 8080 },
                ..base
            },
        }
    }

    /// Each thread's new fds cycle through a small range as connections close.
    fn new_fd(&mut self, thread: usize) -> i32 {
        let fd = self.fds[thread];
        self.fds[thread] = if fd >= 84 { 20 } else { fd + 1 + self.rng.below(2) as i32 };
        fd
    }

    /// Linux hands out connect ports in steps of two with occasional jumps.
    fn ephemeral_port(&mut self) -> u16 {
        let step = if self.rng.percent() < 5 { 2 + 2 * self.rng.below(64) as u16 } else { 2 };
        self.port = if self.port >= 60_999 - step { 32_768 + (self.port % 2) } else { self.port + step };
        self.port
    }
}

fn encode_blocks(encoder: &mut BlockEncoder, events: &mut [AcceptEvent], block: usize, out: &mut Vec<u8>) {
    out.clear();
    for chunk in events.chunks_mut(block) {
        encoder.encode(chunk, out).expect("encode");
    }
}

/// Encoded blocks of `events`, one body per block.
fn encoded_bodies(events: &mut [AcceptEvent], block: usize, level: i32) -> Vec<Vec<u8>> {
    let mut encoder = BlockEncoder::new(level).expect("encoder");
    events
        .chunks_mut(block)
        .map(|chunk| {
            let mut body = Vec::new();
            encoder.encode(chunk, &mut body).expect("encode");
            body
        })
        .collect()
}

fn decode_blocks(decoder: &mut BlockDecoder, bodies: &[Vec<u8>], out: &mut Vec<AcceptEvent>) {
    out.clear();
    for body in bodies {
        decoder.decode(body, 0, out).expect("decode");
    }
}

fn bench_pair(c: &mut Bench, group: &str, events: &[AcceptEvent], block: usize, level: i32) {
    let mut g = c.benchmark_group(group);
    g.throughput(Throughput::Elements(events.len() as u64));
    let id = format!("{block}/{level}");
    let mut encoder = BlockEncoder::new(level).expect("encoder");
    let mut input = events.to_vec();
    let mut out = Vec::new();
    g.bench_function(BenchmarkId::new("encode", &id), |b| {
        b.iter(|| encode_blocks(&mut encoder, &mut input, block, &mut out))
    });
    let bodies = encoded_bodies(&mut input, block, level);
    let mut decoder = BlockDecoder::new().expect("decoder");
    let mut decoded = Vec::with_capacity(events.len());
    g.bench_function(BenchmarkId::new("decode", &id), |b| {
        b.iter(|| decode_blocks(&mut decoder, &bodies, &mut decoded))
    });
    g.finish();
}

fn default_block(c: &mut Bench) {
    let events = Workload::events(DEFAULT_BLOCK);
    bench_pair(c, "block_codec", &events, DEFAULT_BLOCK, DEFAULT_LEVEL);
}

/// Whole-file bytes per event, so frame, header and index overhead count.
fn file_bytes_per_event(events: &[AcceptEvent], block: usize, level: i32) -> f64 {
    let opts = WriterOptions { block_events: block, zstd_level: level };
    let mut writer = Writer::new(Vec::new(), &Default::default(), opts).expect("writer");
    for event in events {
        writer.push(event.clone()).expect("push");
    }
    let bytes = writer.finish(Stats::default()).expect("finish");
    bytes.len() as f64 / events.len() as f64
}

fn grid(c: &mut Bench) {
    let sized = Workload::events(SIZE_EVENTS);
    let raw_per_event = {
        let mut encoder = BlockEncoder::new(1).expect("encoder");
        let mut chunk = sized[..DEFAULT_BLOCK].to_vec();
        let meta = encoder.encode(&mut chunk, &mut Vec::new()).expect("encode");
        f64::from(meta.raw_len) / DEFAULT_BLOCK as f64
    };
    println!("grid: uncompressed columnar payload {raw_per_event:.1} bytes/event at 16384 events/block");
    for block in GRID_BLOCKS {
        for level in GRID_LEVELS {
            let per_event = file_bytes_per_event(&sized, block, level);
            println!("grid: block {block:>5} level {level}: {per_event:.3} file bytes/event");
        }
    }
    let events = &sized[..GRID_EVENTS];
    for block in GRID_BLOCKS {
        for level in GRID_LEVELS {
            bench_pair(c, "grid", events, block, level);
        }
    }
}

fn main() {
    let mut c = Criterion::default()
        .with_measurement(ThreadCpuTime { wall: WallTime })
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    default_block(&mut c);
    if std::env::var_os("ACCEPT_REC_BENCH_GRID").is_some() {
        grid(&mut c);
    }
    c.final_summary();
}

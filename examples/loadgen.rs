//! Loopback accept-loop load generator for the recording-overhead benchmark
//! (`bench/run.sh`).
//!
//! One server thread, named `loadgen-srv` so tracers can filter on `comm`,
//! blocks in `accept4(2)` (or plain `accept(2)` with `--accept plain`) and
//! closes every accepted socket at once. `--clients` threads connect to it as
//! fast as they can. Each client socket sets `SO_LINGER {on, 0}` before it is
//! closed, so the close sends a RST and leaves no TIME_WAIT behind, and the
//! clients never run more than [`WINDOW`] connections ahead of the server, so
//! the listen queue never overflows into SYN retransmits.
//!
//! Traffic only ever goes to 127.0.0.1 or ::1. The run stops by itself after
//! `--connections` accepts or `--max-seconds`, whichever comes first, and then
//! prints one `key=value` line on stdout:
//!
//! ```text
//! loadgen connections=300000 seconds=1.93 rate=155000 server_pid=1234 ... cpu_seconds=3.80
//! ```
//!
//! Exit codes: 0 for a complete run, 2 when the run was cut short (time cap
//! or failed connects; the line is still printed), 1 for a setup error.

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Condvar, Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Parser, ValueEnum};
use nix::errno::Errno;
use nix::sys::socket::{self, sockopt};
use nix::sys::time::{TimeVal, TimeValLike};

/// How many connections the clients may be ahead of the server. Far below
/// the kernel's default `somaxconn` (4096), so no SYN is ever dropped.
const WINDOW: u64 = 1024;

/// The server wakes waiting clients once per this many accepts: often enough
/// that the listen queue never drains, rarely enough to stay off its hot path.
const NOTIFY_EVERY: u64 = 64;

/// How long a blocking accept waits before the server re-checks its deadline.
const ACCEPT_TIMEOUT_MS: i64 = 100;

/// Extra time, past `--max-seconds`, granted to clients stuck in `connect`.
const CLIENT_GRACE: Duration = Duration::from_secs(2);

#[derive(Debug, Parser)]
#[command(about = "Drive a loopback accept loop at the machine's maximum rate")]
struct Args {
    /// Total connections to make and accept.
    #[arg(long, default_value_t = 300_000, value_parser = clap::value_parser!(u64).range(1..))]
    connections: u64,
    /// Client threads that connect to the server.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=256))]
    clients: u16,
    /// Hard cap on the run's duration, in seconds.
    #[arg(long, default_value_t = 60.0)]
    max_seconds: f64,
    /// Port to listen on; 0 picks an ephemeral port.
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Use ::1 instead of 127.0.0.1.
    #[arg(long)]
    v6: bool,
    /// Which system call the server accepts with.
    #[arg(long, value_enum, default_value_t = AcceptCall::Accept4)]
    accept: AcceptCall,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum AcceptCall {
    /// `accept4(2)`, through std's `TcpListener::accept`.
    Accept4,
    /// Plain `accept(2)`, through `nix::sys::socket::accept`.
    Plain,
}

/// Flow control between the clients and the server: counts of connection
/// slots claimed, connected, settled (accepted by the server, or failed to
/// connect), and a condition variable for clients a full window ahead.
#[derive(Debug)]
struct Window {
    total: u64,
    deadline: Instant,
    claimed: AtomicU64,
    connected: AtomicU64,
    accepted: AtomicU64,
    failed: AtomicU64,
    clients_left: AtomicUsize,
    waiters: AtomicUsize,
    lock: Mutex<()>,
    room: Condvar,
}

impl Window {
    fn new(total: u64, deadline: Instant, clients: usize) -> Self {
        Window {
            total,
            deadline,
            claimed: AtomicU64::new(0),
            connected: AtomicU64::new(0),
            accepted: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            clients_left: AtomicUsize::new(clients),
            waiters: AtomicUsize::new(0),
            lock: Mutex::new(()),
            room: Condvar::new(),
        }
    }

    fn settled(&self) -> u64 {
        self.accepted.load(SeqCst) + self.failed.load(SeqCst)
    }

    /// Slot `n` may connect once fewer than `WINDOW` earlier slots are open.
    fn has_room(&self, n: u64) -> bool {
        n < self.settled() + WINDOW
    }

    /// Blocks until slot `n` may connect; false if the deadline passed first.
    fn wait_for_room(&self, n: u64) -> bool {
        if self.has_room(n) {
            return true;
        }
        let mut guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        // Registering before the re-check pairs with the server's increment
        // then load (both SeqCst), so a wakeup cannot slip between them.
        self.waiters.fetch_add(1, SeqCst);
        let ok = loop {
            if self.has_room(n) {
                break true;
            }
            if Instant::now() >= self.deadline {
                break false;
            }
            let wait = self.room.wait_timeout(guard, Duration::from_millis(10));
            guard = wait.unwrap_or_else(|e| e.into_inner()).0;
        };
        self.waiters.fetch_sub(1, SeqCst);
        ok
    }

    /// Called by the server after each accept.
    fn on_accept(&self) {
        let done = self.accepted.fetch_add(1, SeqCst) + 1;
        if done % NOTIFY_EVERY == 0 && self.waiters.load(SeqCst) > 0 {
            drop(self.lock.lock().unwrap_or_else(|e| e.into_inner()));
            self.room.notify_all();
        }
    }

    /// The server is done once every slot has been accepted or has failed,
    /// or once every client has stopped and its connections were accepted.
    fn server_done(&self) -> bool {
        // Read `clients_left` first: a client counts its connects before it
        // leaves, so `connected` is final once that reaches zero.
        let stopped = self.clients_left.load(SeqCst) == 0;
        self.settled() >= self.total || (stopped && self.accepted.load(SeqCst) >= self.connected.load(SeqCst))
    }
}

/// What the server thread saw.
#[derive(Debug)]
struct ServerReport {
    accepted: u64,
    aborted: u64,
    finished: Instant,
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("loadgen: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn run(args: Args) -> anyhow::Result<ExitCode> {
    if !(args.max_seconds > 0.0 && args.max_seconds.is_finite()) {
        bail!("--max-seconds must be a positive number of seconds");
    }
    // Shared with the server thread, and kept here until the end, so that a
    // server stopping at the deadline never makes late clients see ECONNREFUSED.
    let listener = Arc::new(listen(args.v6, args.port)?);
    let addr = listener.local_addr().context("reading the listener's address")?;
    let start = Instant::now();
    let window = Arc::new(Window::new(
        args.connections,
        start + Duration::from_secs_f64(args.max_seconds),
        usize::from(args.clients),
    ));

    let server = {
        let window = Arc::clone(&window);
        let listener = Arc::clone(&listener);
        thread::Builder::new()
            .name("loadgen-srv".into())
            .spawn(move || serve(&listener, args.accept, &window))
            .context("spawning the server thread")?
    };
    let (done_tx, done_rx) = mpsc::channel();
    for i in 0..args.clients {
        let window = Arc::clone(&window);
        let done_tx = done_tx.clone();
        thread::Builder::new()
            .name(format!("loadgen-cli{i}"))
            .spawn(move || {
                let result = connect_loop(addr, &window);
                window.clients_left.fetch_sub(1, SeqCst);
                // The receiver outlives every client unless main gave up on them.
                let _ = done_tx.send(result);
            })
            .context("spawning a client thread")?;
    }
    drop(done_tx);

    let report = server.join().map_err(|_| anyhow::anyhow!("the server thread panicked"))??;
    let mut first_error = None;
    let mut clients_stuck = false;
    for _ in 0..args.clients {
        let left = window.deadline.saturating_duration_since(Instant::now()) + CLIENT_GRACE;
        match done_rx.recv_timeout(left) {
            Ok(Ok(())) => {}
            Ok(Err(e)) => first_error = first_error.or(Some(e)),
            Err(_) => {
                clients_stuck = true;
                break;
            }
        }
    }

    let seconds = report.finished.duration_since(start).as_secs_f64();
    let failed = window.failed.load(SeqCst);
    let complete = report.accepted + report.aborted == args.connections
        && failed == 0
        && first_error.is_none()
        && !clients_stuck;
    if let Some(e) = &first_error {
        eprintln!("loadgen: a client stopped early ({failed} connects failed in all): {e}");
    }
    if clients_stuck {
        eprintln!("loadgen: clients still connecting after the time cap; giving up on them");
    }
    println!(
        "loadgen connections={} seconds={:.3} rate={:.0} server_pid={} accept={} clients={} \
         requested={} accept_errors={} connect_errors={} complete={} cpu_seconds={}",
        report.accepted,
        seconds,
        report.accepted as f64 / seconds.max(1e-9),
        std::process::id(),
        match args.accept {
            AcceptCall::Accept4 => "accept4",
            AcceptCall::Plain => "plain",
        },
        args.clients,
        args.connections,
        report.aborted,
        failed,
        u8::from(complete),
        own_cpu_seconds().map_or_else(|| "-".to_string(), |cpu| format!("{cpu:.2}")),
    );
    Ok(if complete {
        ExitCode::SUCCESS
    } else {
        eprintln!("loadgen: run cut short; see the counts above");
        ExitCode::from(2)
    })
}

/// Binds a loopback listener with the largest backlog the kernel allows and
/// a receive timeout, so a blocking accept returns now and then to let the
/// server notice its deadline.
fn listen(v6: bool, port: u16) -> anyhow::Result<TcpListener> {
    let addr = if v6 {
        SocketAddr::from((Ipv6Addr::LOCALHOST, port))
    } else {
        SocketAddr::from((Ipv4Addr::LOCALHOST, port))
    };
    // std sets SO_REUSEADDR; listening again on a listening socket is how
    // Linux changes its backlog (-1 means `net.core.somaxconn`).
    let listener = TcpListener::bind(addr).with_context(|| format!("binding {addr}; is the port in use?"))?;
    socket::listen(&listener, socket::Backlog::MAXALLOWABLE).context("raising the backlog")?;
    let timeout = TimeVal::milliseconds(ACCEPT_TIMEOUT_MS);
    socket::setsockopt(&listener, sockopt::ReceiveTimeout, &timeout).context("setting SO_RCVTIMEO")?;
    Ok(listener)
}

/// The server loop: accept, close, repeat, until every slot is settled or
/// the deadline passes.
fn serve(listener: &TcpListener, call: AcceptCall, window: &Window) -> anyhow::Result<ServerReport> {
    let mut accepted = 0;
    let mut aborted = 0;
    while !window.server_done() && Instant::now() < window.deadline {
        match accept_and_close(listener, call) {
            Ok(()) => accepted += 1,
            // The peer's RST beat us to it; the slot is used up all the same.
            Err(Errno::ECONNABORTED) => aborted += 1,
            Err(Errno::EAGAIN | Errno::EINTR) => continue,
            Err(e) => return Err(e).context("accepting a connection"),
        }
        window.on_accept();
    }
    Ok(ServerReport { accepted, aborted, finished: Instant::now() })
}

fn accept_and_close(listener: &TcpListener, call: AcceptCall) -> Result<(), Errno> {
    match call {
        // Dropping the stream closes it.
        AcceptCall::Accept4 => listener.accept().map(drop).map_err(errno_of),
        AcceptCall::Plain => {
            let fd = socket::accept(listener.as_raw_fd())?;
            nix::unistd::close(fd)
        }
    }
}

/// User plus system CPU time of this whole process so far, from
/// `/proc/self/stat`, so the benchmark can tell its own load from other
/// processes competing for the same cores.
fn own_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name may hold spaces and parens; fields resume after its last ')'.
    let mut fields = stat.get(stat.rfind(')')? + 2..)?.split(' ');
    // Counting from the state, field 3, utime and stime are fields 14 and 15.
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    let ticks = nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK).ok()??;
    Some((utime + stime) as f64 / ticks as f64)
}

fn errno_of(e: io::Error) -> Errno {
    e.raw_os_error().map_or(Errno::EIO, Errno::from_raw)
}

/// One client: claim a slot, wait for room in the window, connect, close
/// with a RST, until the slots run out or the deadline passes. A loopback
/// connect should never fail, so the first error stops this client.
fn connect_loop(addr: SocketAddr, window: &Window) -> Result<(), String> {
    let rst_on_close = libc::linger { l_onoff: 1, l_linger: 0 };
    while Instant::now() < window.deadline {
        let n = window.claimed.fetch_add(1, SeqCst);
        if n >= window.total || !window.wait_for_room(n) {
            break;
        }
        let stream = TcpStream::connect(addr).map_err(|e| {
            window.failed.fetch_add(1, SeqCst);
            format!("connecting to {addr}: {e}")
        })?;
        window.connected.fetch_add(1, SeqCst);
        socket::setsockopt(&stream, sockopt::Linger, &rst_on_close)
            .map_err(|e| format!("setting SO_LINGER: {e}"))?;
    }
    Ok(())
}

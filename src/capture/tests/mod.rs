//! Real-kernel tests: each starts its own [`Capture`] filtered to this
//! process, makes loopback connections on a named thread, and checks every
//! field of the events that thread produced.
//!
//! Tests run in parallel threads of one process and every capture sees them
//! all, so each test looks only at events from the thread it started.

mod cost;
mod failures;
mod inet;
mod ring;
mod unix;

use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::thread;

use nix::time::{ClockId, clock_gettime};

use super::{Capture, CaptureConfig};
use crate::format::{AcceptEvent, Comm, EventFlags, EventKind, FilterSpec, ProcessContext, SockAddr};

/// `SOCK_STREAM`.
const SOCK_STREAM: u16 = 1;

/// A capture of both events from this process only.
fn capture_own_process(tweak: impl FnOnce(&mut CaptureConfig)) -> Capture {
    let mut cfg = CaptureConfig {
        filter: FilterSpec { pids: vec![std::process::id()], ..FilterSpec::default() },
        ring_size: 1 << 20,
        ..CaptureConfig::default()
    };
    tweak(&mut cfg);
    match Capture::start(&cfg) {
        Ok(capture) => capture,
        Err(err) => panic!("starting the capture: {err:#} ({err:?})"),
    }
}

/// What a scenario thread saw, to compare the events against.
struct Run<T> {
    tid: u32,
    comm: &'static str,
    /// CLOCK_BOOTTIME before and after the scenario: every event is inside.
    started_ns: u64,
    ended_ns: u64,
    out: T,
}

/// Runs `scenario` on a thread named `comm` (the name becomes the thread's comm).
fn on_named_thread<T: Send + 'static>(
    comm: &'static str,
    scenario: impl FnOnce() -> T + Send + 'static,
) -> Run<T> {
    let started_ns = boot_ns();
    let handle = thread::Builder::new()
        .name(comm.to_string())
        .spawn(move || (nix::unistd::gettid().as_raw() as u32, scenario()))
        .unwrap();
    let (tid, out) = handle.join().unwrap();
    Run { tid, comm, started_ns, ended_ns: boot_ns(), out }
}

fn boot_ns() -> u64 {
    let ts = clock_gettime(ClockId::CLOCK_BOOTTIME).unwrap();
    ts.tv_sec() as u64 * 1_000_000_000 + ts.tv_nsec() as u64
}

/// Every event of `run`'s thread available now. The kernel submits before the
/// syscall returns, so one drain after the thread ended sees them all.
fn events_of<T>(capture: &mut Capture, run: &Run<T>) -> Vec<AcceptEvent> {
    let mut events = Vec::new();
    capture.drain(&mut |event| events.push(event)).unwrap();
    events.retain(|event| event.ctx.tid == run.tid);
    for event in &events {
        assert!(
            (run.started_ns..=run.ended_ns).contains(&event.ts_ns),
            "timestamp {} outside the scenario's {}..={}",
            event.ts_ns,
            run.started_ns,
            run.ended_ns
        );
    }
    assert_eq!(capture.dropped().unwrap(), 0);
    assert_eq!(capture.malformed(), 0);
    events
}

/// The context every event from `run`'s thread must carry.
fn expected_context<T>(run: &Run<T>) -> ProcessContext {
    ProcessContext {
        pid: std::process::id(),
        tid: run.tid,
        ppid: nix::unistd::getppid().as_raw() as u32,
        uid: nix::unistd::getuid().as_raw(),
        gid: nix::unistd::getgid().as_raw(),
        comm: Comm::new(run.comm.as_bytes()),
        cgroup_id: own_cgroup_id(),
        mnt_ns: namespace_inode("mnt"),
        pid_ns: namespace_inode("pid"),
        net_ns: namespace_inode("net"),
    }
}

fn namespace_inode(name: &str) -> u32 {
    std::fs::metadata(format!("/proc/self/ns/{name}")).unwrap().ino() as u32
}

/// The inode of this process's cgroup v2 directory, which is its cgroup id.
fn own_cgroup_id() -> u64 {
    let cgroups = std::fs::read_to_string("/proc/self/cgroup").unwrap();
    let path = cgroups.lines().find_map(|line| line.strip_prefix("0::")).expect("a cgroup v2 entry");
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    // Fields: id parent dev root mountpoint opts ... - fstype source superopts
    let mount_point = mountinfo
        .lines()
        .find(|line| line.split(" - ").nth(1).is_some_and(|tail| tail.starts_with("cgroup2 ")))
        .and_then(|line| line.split(' ').nth(4))
        .expect("a cgroup2 mount");
    let dir = PathBuf::from(mount_point).join(path.trim_start_matches('/'));
    std::fs::metadata(dir).unwrap().ino()
}

/// The security_socket_accept event for `listener_fd` bound to `local`.
fn expected_security<T>(run: &Run<T>, listener_fd: i32, local: SockAddr) -> AcceptEvent {
    AcceptEvent {
        kind: EventKind::SecuritySocketAccept,
        ctx: expected_context(run),
        sockfd: listener_fd,
        fd: -1,
        ret: 0,
        sock_type: SOCK_STREAM,
        local,
        remote: SockAddr::None,
        peer: None,
        flags: EventFlags(0),
        ..AcceptEvent::default()
    }
}

/// A successful socket_accept of `fd` from `listener_fd`.
fn expected_accept<T>(
    run: &Run<T>,
    listener_fd: i32,
    fd: i32,
    local: SockAddr,
    remote: SockAddr,
) -> AcceptEvent {
    AcceptEvent {
        kind: EventKind::SocketAccept,
        ctx: expected_context(run),
        sockfd: listener_fd,
        fd,
        ret: fd,
        sock_type: SOCK_STREAM,
        local,
        remote,
        ..AcceptEvent::default()
    }
}

/// Compares everything but the timestamp, which `events_of` range-checked.
fn assert_events(actual: &[AcceptEvent], expected: &[AcceptEvent]) {
    let actual: Vec<AcceptEvent> =
        actual.iter().map(|event| AcceptEvent { ts_ns: 0, ..event.clone() }).collect();
    assert_eq!(actual, expected);
}

/// One security_socket_accept then one socket_accept, in time order.
fn assert_accept_pair(actual: &[AcceptEvent], security: AcceptEvent, accept: AcceptEvent) {
    assert_events(actual, &[security, accept]);
    assert!(actual[0].ts_ns <= actual[1].ts_ns);
}

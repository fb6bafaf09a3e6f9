//! Not a check: measures what each BPF program run costs, from the kernel's
//! own statistics. Run with
//! `cargo test --release --lib bpf_cost -- --ignored --nocapture`.
//! It turns on kernel.bpf_stats_enabled for its duration.

use std::net::{TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::time::Instant;

use libbpf_rs::AsRawLibbpf;

use super::*;

const STATS_SYSCTL: &str = "/proc/sys/kernel/bpf_stats_enabled";
const ACCEPTS: usize = 20_000;
/// Drain this often, like a reader on a 10 ms timer would at ~100k accepts/s.
const DRAIN_EVERY: usize = 1000;

/// run_time_ns and run_cnt of a loaded program, from /proc/self/fdinfo.
fn run_stats(prog: &libbpf_rs::ProgramMut<'_>) -> (u64, u64) {
    // SAFETY: the program is loaded, so libbpf holds a valid fd for it.
    let fd = unsafe { libbpf_rs::libbpf_sys::bpf_program__fd(prog.as_libbpf_object().as_ptr()) };
    let info = std::fs::read_to_string(format!("/proc/self/fdinfo/{fd}")).unwrap();
    let field = |name: &str| {
        info.lines().find_map(|line| line.strip_prefix(name)).and_then(|v| v.trim().parse().ok()).unwrap_or(0)
    };
    (field("run_time_ns:"), field("run_cnt:"))
}

#[test]
#[ignore = "measurement; changes a sysctl"]
fn bpf_cost_per_event() {
    let previous = std::fs::read_to_string(STATS_SYSCTL).unwrap();
    std::fs::write(STATS_SYSCTL, "1").unwrap();
    // Unfiltered, so every run does the full work; other processes' accepts count too.
    let mut capture = Capture::start(&CaptureConfig::default()).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let (mut events, mut drain_time) = (0, std::time::Duration::ZERO);
    for i in 0..ACCEPTS {
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let linger = libc::linger { l_onoff: 1, l_linger: 0 };
        nix::sys::socket::setsockopt(&client, nix::sys::socket::sockopt::Linger, &linger).unwrap();
        let _ = listener.accept().unwrap();
        if i % DRAIN_EVERY == DRAIN_EVERY - 1 {
            let started = Instant::now();
            events += capture.drain(&mut |event| assert!(event.ctx.tid != 0)).unwrap();
            drain_time += started.elapsed();
        }
    }
    let progs = &capture.loaded.skel.progs;
    for (name, prog) in
        [("sys_enter_accept4", &progs.enter_accept4), ("sys_exit_accept4", &progs.exit_accept4)]
    {
        let (ns, runs) = run_stats(prog);
        println!("{name}: {runs} runs, {} ns/run", ns / runs.max(1));
    }
    println!(
        "user space: {events} events, {} ns/event to drain; {} dropped; listener fd {}",
        drain_time.as_nanos() / events.max(1) as u128,
        capture.dropped().unwrap(),
        listener.as_raw_fd()
    );
    std::fs::write(STATS_SYSCTL, previous.trim()).unwrap();
}

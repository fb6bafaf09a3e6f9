//! The ring as the reader sees it: forced wakeups end a wait early, a full
//! ring counts drops, and an accept already blocked when capture starts is
//! still recorded, without its listening fd.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::*;

/// A capture of one thread name only, with a small ring.
fn capture_comm(comm: &str, ring_size: u32) -> Capture {
    capture_own_process(|cfg| {
        cfg.filter.comms = vec![comm.into()];
        cfg.ring_size = ring_size;
    })
}

/// `count` loopback accepts; each gives two records.
fn accept_many(count: usize) -> impl FnOnce() + Send + 'static {
    move || {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        for _ in 0..count {
            let _client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
            listener.accept().unwrap();
        }
    }
}

#[test]
fn forced_wakeup_ends_a_wait_early() {
    // 16 KiB ring: the reader is woken once 4 KiB (about 11 records) are unread.
    let mut capture = capture_comm("acc-wake", 16 << 10);
    let started = Instant::now();
    capture.wait(Duration::from_millis(50)).unwrap();
    assert!(started.elapsed() >= Duration::from_millis(40), "woke with nothing to read");

    let run = on_named_thread("acc-wake", accept_many(8));
    let started = Instant::now();
    capture.wait(Duration::from_secs(5)).unwrap();
    assert!(started.elapsed() < Duration::from_secs(1), "no wakeup past the threshold");
    assert_eq!(events_of(&mut capture, &run).len(), 16);
}

#[test]
fn a_full_ring_counts_drops() {
    // One page holds 11 records of 352 bytes plus an 8-byte header each.
    let mut capture = capture_comm("acc-drop", 4096);
    let run = on_named_thread("acc-drop", accept_many(20));
    let mut drained = 0;
    capture.drain(&mut |event| drained += usize::from(event.ctx.tid == run.tid)).unwrap();
    let dropped = capture.dropped().unwrap();
    assert_eq!((drained, dropped), (11, 29));
}

/// Which syscall a thread is blocked in, from /proc (the first field).
fn blocked_in(tid: u32) -> Option<i64> {
    let text = std::fs::read_to_string(format!("/proc/self/task/{tid}/syscall")).ok()?;
    text.split(' ').next()?.parse().ok()
}

#[test]
fn accept_blocked_before_capture_is_recorded_without_sockfd() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let listener_addr = listener.local_addr().unwrap();
    let (tid_tx, tid_rx) = mpsc::channel();
    let started_ns = boot_ns();
    let server = thread::Builder::new()
        .name("acc-early".into())
        .spawn(move || {
            tid_tx.send(nix::unistd::gettid().as_raw() as u32).unwrap();
            let (stream, _) = listener.accept().unwrap();
            (stream.as_raw_fd(), stream.local_addr().unwrap())
        })
        .unwrap();
    let tid = tid_rx.recv().unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while blocked_in(tid) != Some(libc::SYS_accept4) {
        assert!(Instant::now() < deadline, "the server thread never blocked in accept4");
        thread::sleep(Duration::from_millis(5));
    }

    let mut capture = capture_own_process(|_| {});
    let client = TcpStream::connect(listener_addr).unwrap();
    let (fd, local) = server.join().unwrap();
    let run = Run { tid, comm: "acc-early", started_ns, ended_ns: boot_ns(), out: () };
    let events = events_of(&mut capture, &run);

    let inet = |addr: SocketAddr| match addr {
        SocketAddr::V4(v4) => SockAddr::Inet { addr: *v4.ip(), port: v4.port() },
        SocketAddr::V6(_) => unreachable!("IPv4 only here"),
    };
    let mut accept = expected_accept(&run, -1, fd, inet(local), inet(client.local_addr().unwrap()));
    accept.flags = EventFlags(EventFlags::SOCKFD_UNKNOWN);
    // No security_socket_accept: the hook ran before the capture began.
    assert_events(&events, &[accept]);
}

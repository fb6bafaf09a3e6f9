//! Failed accepts (EAGAIN recorded only on request), kernel-side filters,
//! and what the hook choice reports.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;

use super::*;
use crate::capture::HookChoice;

fn would_block_once() -> (i32, SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let err = listener.accept().unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock);
    (listener.as_raw_fd(), listener.local_addr().unwrap())
}

fn inet(addr: SocketAddr) -> SockAddr {
    match addr {
        SocketAddr::V4(v4) => SockAddr::Inet { addr: *v4.ip(), port: v4.port() },
        SocketAddr::V6(_) => unreachable!("IPv4 listeners only here"),
    }
}

#[test]
fn eagain_is_suppressed_by_default() {
    let mut capture = capture_own_process(|_| {});
    let run = on_named_thread("acc-eagain-off", would_block_once);
    let (listener_fd, addr) = run.out;
    let events = events_of(&mut capture, &run);
    // The LSM hook still ran; only the failed socket_accept is left out.
    assert_events(&events, &[expected_security(&run, listener_fd, inet(addr))]);
}

#[test]
fn eagain_is_recorded_when_asked() {
    let mut capture = capture_own_process(|cfg| cfg.include_eagain = true);
    let run = on_named_thread("acc-eagain-on", would_block_once);
    let (listener_fd, addr) = run.out;
    let events = events_of(&mut capture, &run);
    let failed = AcceptEvent {
        kind: EventKind::SocketAccept,
        ctx: expected_context(&run),
        sockfd: listener_fd,
        fd: -1,
        ret: -libc::EAGAIN,
        sock_type: SOCK_STREAM,
        local: inet(addr),
        ..AcceptEvent::default()
    };
    assert_accept_pair(&events, expected_security(&run, listener_fd, inet(addr)), failed);
}

/// Ports and comms are checked in the kernel: only the listener on the
/// wanted port, accepted by the thread with the wanted name, is recorded.
#[test]
fn kernel_filters_on_port_and_comm() {
    let wanted = TcpListener::bind("127.0.0.1:0").unwrap();
    let other = TcpListener::bind("127.0.0.1:0").unwrap();
    let wanted_port = wanted.local_addr().unwrap().port();
    let mut capture = capture_own_process(|cfg| {
        cfg.filter.ports = vec![wanted_port];
        cfg.filter.comms = vec!["acc-filter-yes".into()];
    });
    let accept_both = |wanted: TcpListener, other: TcpListener| {
        move || {
            for listener in [&wanted, &other] {
                let _client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
                listener.accept().unwrap();
            }
            (wanted.as_raw_fd(), wanted.local_addr().unwrap())
        }
    };
    let yes = on_named_thread("acc-filter-yes", accept_both(wanted, other));
    let events = events_of(&mut capture, &yes);
    assert_eq!(events.len(), 2, "{events:#?}");
    assert!(events.iter().all(|event| event.sockfd == yes.out.0 && event.local.port() == Some(wanted_port)));

    let (again, other_again) =
        (TcpListener::bind(yes.out.1).unwrap(), TcpListener::bind("127.0.0.1:0").unwrap());
    let no = on_named_thread("acc-filter-no", accept_both(again, other_again));
    assert_eq!(events_of(&mut capture, &no), Vec::new());
}

#[test]
fn hooks_describe_every_enabled_event() {
    let capture = capture_own_process(|_| {});
    let hooks = capture.hooks();
    assert_eq!(hooks.len(), 2);
    assert_eq!(hooks[0].event, EventKind::SocketAccept);
    assert_eq!(
        (hooks[0].hook.as_str(), hooks[0].detail.as_str()),
        ("tracepoint", "tracepoint syscalls/sys_exit_accept{,4}")
    );
    assert_eq!(hooks[1].event, EventKind::SecuritySocketAccept);
    // Whichever hook won, the detail starts with its attach point and names
    // why each stronger hook was not used.
    let expected_prefix = match hooks[1].hook.as_str() {
        "fentry" => "fentry security_socket_accept",
        "kprobe" => "kprobe security_socket_accept; fentry: ",
        "tracepoint" => "tracepoint syscalls/sys_enter_accept{,4}; fentry: ",
        other => panic!("unexpected hook {other}"),
    };
    assert!(hooks[1].detail.starts_with(expected_prefix), "{:?}", hooks[1]);

    let only_accept = capture_own_process(|cfg| {
        cfg.events = EventKind::SocketAccept.bit();
        cfg.hook = HookChoice::Tracepoint;
    });
    assert_eq!(only_accept.hooks().len(), 1);
}

#[test]
fn hook_choice_parses_and_rejects() {
    assert_eq!("kprobe".parse::<HookChoice>().unwrap(), HookChoice::Kprobe);
    assert_eq!("auto".parse::<HookChoice>().unwrap().to_string(), "auto");
    let err = "uprobe".parse::<HookChoice>().unwrap_err().to_string();
    assert!(err.contains("use auto, fentry, kprobe or tracepoint"), "{err}");
}

//! TCP over IPv4, IPv6 and a dual-stack listener, plain accept(2) and
//! accept4(2), and a connection reset before accept returned.

use std::net::{Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::Duration;

use super::*;

fn sock_addr(addr: SocketAddr) -> SockAddr {
    match addr {
        SocketAddr::V4(v4) => SockAddr::Inet { addr: *v4.ip(), port: v4.port() },
        SocketAddr::V6(v6) => SockAddr::Inet6 {
            addr: *v6.ip(),
            port: v6.port(),
            flowinfo: v6.flowinfo(),
            scope_id: v6.scope_id(),
        },
    }
}

/// The listener and accepted ends of one loopback connection.
struct Accepted {
    listener_fd: i32,
    fd: i32,
    listener_addr: SocketAddr,
    /// The accepted socket's own address, as getsockname reports it.
    local: SocketAddr,
    client: SocketAddr,
}

/// Accepts one connection from `client_to` on `listener`, with plain accept(2)
/// when `plain` is set, else with std's accept4(2).
fn accept_one(listener: TcpListener, client_to: SocketAddr, plain: bool) -> Accepted {
    let client = TcpStream::connect(client_to).unwrap();
    let (fd, local) = if plain {
        let raw = nix::sys::socket::accept(listener.as_raw_fd()).unwrap();
        // SAFETY: accept(2) just returned this fd and nothing else owns it.
        let stream = TcpStream::from(unsafe { OwnedFd::from_raw_fd(raw) });
        (raw, stream.local_addr().unwrap())
    } else {
        let (stream, _) = listener.accept().unwrap();
        (stream.as_raw_fd(), stream.local_addr().unwrap())
    };
    Accepted {
        listener_fd: listener.as_raw_fd(),
        fd,
        listener_addr: listener.local_addr().unwrap(),
        local,
        client: client.local_addr().unwrap(),
    }
}

fn check_tcp(comm: &'static str, bind_to: &'static str, plain: bool) {
    let mut capture = capture_own_process(|_| {});
    let run = on_named_thread(comm, move || {
        let listener = TcpListener::bind(bind_to).unwrap();
        let to = listener.local_addr().unwrap();
        accept_one(listener, to, plain)
    });
    let seen = &run.out;
    let events = events_of(&mut capture, &run);
    assert_accept_pair(
        &events,
        expected_security(&run, seen.listener_fd, sock_addr(seen.listener_addr)),
        expected_accept(&run, seen.listener_fd, seen.fd, sock_addr(seen.local), sock_addr(seen.client)),
    );
}

#[test]
fn tcp_ipv4_plain_accept() {
    check_tcp("acc-tcp4", "127.0.0.1:0", true);
}

#[test]
fn tcp_ipv6_accept4() {
    check_tcp("acc-tcp6", "[::1]:0", false);
}

/// A `[::]` listener with IPV6_V6ONLY off, reached over 127.0.0.1: the
/// accepted socket is AF_INET6 with IPv4-mapped addresses, and stays so.
#[test]
fn dual_stack_listener_gives_ipv4_mapped_addresses() {
    let mut capture = capture_own_process(|_| {});
    let run = on_named_thread("acc-dual", || {
        let listener = dual_stack_listener();
        let port = listener.local_addr().unwrap().port();
        accept_one(listener, SocketAddr::from(([127, 0, 0, 1], port)), false)
    });
    let seen = &run.out;
    let mapped: Ipv6Addr = "::ffff:127.0.0.1".parse().unwrap();
    assert_eq!(seen.local.ip(), mapped);
    // The IPv4 client, as the IPv6 server socket sees it.
    let client = SockAddr::Inet6 { addr: mapped, port: seen.client.port(), flowinfo: 0, scope_id: 0 };
    let events = events_of(&mut capture, &run);
    assert_accept_pair(
        &events,
        expected_security(&run, seen.listener_fd, sock_addr(seen.listener_addr)),
        expected_accept(&run, seen.listener_fd, seen.fd, sock_addr(seen.local), client),
    );
}

/// The client resets the connection while it waits in the accept queue: the
/// accepted socket has lost its local port, so the listener's is recorded.
#[test]
fn reset_before_accept_takes_the_listeners_port() {
    let mut capture = capture_own_process(|_| {});
    let run = on_named_thread("acc-reset", || {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let client_addr = client.local_addr().unwrap();
        // Wait until the connection is in the accept queue, then reset it.
        let mut ready = libc::pollfd { fd: listener.as_raw_fd(), events: libc::POLLIN, revents: 0 };
        // SAFETY: one valid pollfd.
        assert_eq!(unsafe { libc::poll(&mut ready, 1, 2000) }, 1);
        nix::sys::socket::setsockopt(
            &client,
            nix::sys::socket::sockopt::Linger,
            &libc::linger { l_onoff: 1, l_linger: 0 },
        )
        .unwrap();
        drop(client);
        // The RST is processed in softirq context; give it a moment.
        std::thread::sleep(Duration::from_millis(50));
        let (mut stream, _) = listener.accept().unwrap();
        // Proves the reset reached the queued connection before accept returned.
        let read = std::io::Read::read(&mut stream, &mut [0u8; 1]);
        assert_eq!(read.unwrap_err().kind(), std::io::ErrorKind::ConnectionReset);
        Accepted {
            listener_fd: listener.as_raw_fd(),
            fd: stream.as_raw_fd(),
            listener_addr: listener.local_addr().unwrap(),
            local: stream.local_addr().unwrap(),
            client: client_addr,
        }
    });
    let seen = &run.out;
    let events = events_of(&mut capture, &run);
    let mut accept = expected_accept(
        &run,
        seen.listener_fd,
        seen.fd,
        sock_addr(seen.listener_addr),
        sock_addr(seen.client),
    );
    accept.flags = EventFlags(EventFlags::LOCAL_PORT_FROM_LISTENER);
    assert_accept_pair(
        &events,
        expected_security(&run, seen.listener_fd, sock_addr(seen.listener_addr)),
        accept,
    );
}

/// `[::]:0` with IPV6_V6ONLY explicitly off, whatever net.ipv6.bindv6only says.
fn dual_stack_listener() -> TcpListener {
    // SAFETY: plain socket calls on a fd we own, with correctly sized arguments.
    unsafe {
        let fd = libc::socket(libc::AF_INET6, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
        assert!(fd >= 0);
        let listener = TcpListener::from(OwnedFd::from_raw_fd(fd));
        let off: libc::c_int = 0;
        let int_len = size_of::<libc::c_int>() as libc::socklen_t;
        let opt = (&off as *const libc::c_int).cast();
        assert_eq!(libc::setsockopt(fd, libc::IPPROTO_IPV6, libc::IPV6_V6ONLY, opt, int_len), 0);
        let mut any: libc::sockaddr_in6 = std::mem::zeroed();
        any.sin6_family = libc::AF_INET6 as libc::sa_family_t;
        let addr_len = size_of::<libc::sockaddr_in6>() as libc::socklen_t;
        assert_eq!(libc::bind(fd, (&any as *const libc::sockaddr_in6).cast(), addr_len), 0);
        assert_eq!(libc::listen(fd, 8), 0);
        listener
    }
}

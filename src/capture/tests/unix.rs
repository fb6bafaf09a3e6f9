//! AF_UNIX by filesystem path (plain accept(2)) and by abstract name
//! (accept4(2)): names, the unnamed peer, and SO_PEERCRED.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixListener, UnixStream};

use super::*;
use crate::format::{PeerCred, UnixPath};

struct Accepted {
    listener_fd: i32,
    fd: i32,
}

fn accept_one(listener: &UnixListener, connect_to: &SocketAddr, plain: bool) -> Accepted {
    let _client = UnixStream::connect_addr(connect_to).unwrap();
    let fd = if plain {
        let raw = nix::sys::socket::accept(listener.as_raw_fd()).unwrap();
        // SAFETY: accept(2) just returned this fd and nothing else owns it;
        // dropping the OwnedFd closes it.
        drop(unsafe { OwnedFd::from_raw_fd(raw) });
        raw
    } else {
        listener.accept().unwrap().0.as_raw_fd()
    };
    Accepted { listener_fd: listener.as_raw_fd(), fd }
}

fn check_unix(comm: &'static str, name: Vec<u8>, plain: bool) {
    let dir = tempfile::tempdir().unwrap();
    let addr = match name.first() {
        Some(0) => SocketAddr::from_abstract_name(&name[1..]).unwrap(),
        _ => SocketAddr::from_pathname(dir.path().join(std::str::from_utf8(&name).unwrap())).unwrap(),
    };
    let recorded_name = match addr.as_pathname() {
        Some(path) => path.as_os_str().as_encoded_bytes().to_vec(),
        None => name.clone(),
    };
    let mut capture = capture_own_process(|_| {});
    let run = on_named_thread(comm, move || {
        let listener = UnixListener::bind_addr(&addr).unwrap();
        accept_one(&listener, &addr, plain)
    });
    let local = SockAddr::Unix(UnixPath::new(&recorded_name));
    let events = events_of(&mut capture, &run);
    let mut accept = expected_accept(
        &run,
        run.out.listener_fd,
        run.out.fd,
        local.clone(),
        SockAddr::Unix(UnixPath::new(b"")),
    );
    accept.peer = Some(PeerCred { pid: std::process::id(), uid: nix::unistd::geteuid().as_raw() });
    assert_accept_pair(&events, expected_security(&run, run.out.listener_fd, local), accept);
}

#[test]
fn unix_path_plain_accept() {
    check_unix("acc-unix-path", b"listener.sock".to_vec(), true);
}

#[test]
fn unix_abstract_accept4() {
    let name = format!("\0accept-rec-test-{}", std::process::id());
    check_unix("acc-unix-abs", name.into_bytes(), false);
}

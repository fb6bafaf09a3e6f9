//! Real-kernel capture: record while this process opens loopback
//! connections, then check every field of both recorded events against what
//! the test knows. Each test names its accepting thread, so the kernel-side
//! `--comm` filter keeps parallel tests apart.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::os::linux::net::SocketAddrExt;
use std::os::unix::fs::MetadataExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::thread;

use serde_json::{Value, json};

use crate::support::{Recorder, replay_json, run_ok};

/// What the accepting thread saw.
struct Accepted {
    tid: u64,
    listen_fd: i64,
    fd: i64,
}

/// Runs `accept` on a thread named `comm` (its kernel comm), returning what it saw.
fn on_named_thread(
    comm: &str,
    accept: impl FnOnce() -> (i64, i64) + Send + 'static,
) -> thread::JoinHandle<Accepted> {
    thread::Builder::new()
        .name(comm.to_string())
        .spawn(move || {
            let tid = nix::unistd::gettid().as_raw() as u64;
            let (listen_fd, fd) = accept();
            Accepted { tid, listen_fd, fd }
        })
        .unwrap()
}

fn ns_inode(name: &str) -> u64 {
    std::fs::metadata(format!("/proc/self/ns/{name}")).unwrap().ino()
}

fn cgroup_id() -> u64 {
    let text = std::fs::read_to_string("/proc/self/cgroup").unwrap();
    let path = text.lines().find_map(|l| l.strip_prefix("0::")).expect("cgroup v2");
    std::fs::metadata(format!("/sys/fs/cgroup{path}")).unwrap().ino()
}

/// Checks the process context every event carries.
fn assert_context(e: &Value, comm: &str, tid: u64) {
    assert_eq!(e["pid"], json!(std::process::id()), "{e}");
    assert_eq!(e["tid"], json!(tid), "{e}");
    assert_eq!(e["ppid"], json!(nix::unistd::getppid().as_raw()), "{e}");
    assert_eq!(e["uid"], json!(nix::unistd::getuid().as_raw()), "{e}");
    assert_eq!(e["gid"], json!(nix::unistd::getgid().as_raw()), "{e}");
    assert_eq!(e["comm"], json!(comm), "{e}");
    assert_eq!(e["cgroup_id"], json!(cgroup_id()), "{e}");
    assert_eq!(e["mnt_ns"], json!(ns_inode("mnt")), "{e}");
    assert_eq!(e["pid_ns"], json!(ns_inode("pid")), "{e}");
    assert_eq!(e["net_ns"], json!(ns_inode("net")), "{e}");
    assert!(e["ts_ns"].as_i64().unwrap() > 1_700_000_000_000_000_000, "wall-clock ns: {e}");
}

fn inet(addr: SocketAddr) -> Value {
    let family = if addr.is_ipv4() { "AF_INET" } else { "AF_INET6" };
    json!({"family": family, "addr": addr.ip().to_string(), "port": addr.port()})
}

/// Records one accept of a connection to `listener` from `connect_to`, and
/// returns the two events (security check first) with what the test knows.
fn record_tcp(
    comm: &str,
    listener: TcpListener,
    connect_to: SocketAddr,
    plain_accept: bool,
) -> (Vec<Value>, Accepted, SocketAddr) {
    let dir = tempfile::tempdir().unwrap();
    let recorder = Recorder::start(&dir.path().join("r.trc"), &["--comm", comm]);
    let server = on_named_thread(comm, move || {
        let listen_fd = listener.as_raw_fd();
        let fd = if plain_accept {
            let fd = nix::sys::socket::accept(listen_fd).expect("accept(2)");
            thread::sleep(std::time::Duration::from_millis(50));
            nix::unistd::close(fd).unwrap();
            fd
        } else {
            let (stream, _) = listener.accept().expect("accept4(2)");
            stream.as_raw_fd()
        };
        (listen_fd as i64, fd as i64)
    });
    let client = TcpStream::connect(connect_to).unwrap();
    let accepted = server.join().unwrap();
    let client_addr = client.local_addr().unwrap();
    let (status, stderr) = recorder.stop();
    assert!(status.success(), "{stderr}");
    let events = replay_json(&dir.path().join("r.trc"), &[]);
    (events, accepted, client_addr)
}

/// The assertions shared by every TCP case.
fn check_tcp_pair(events: &[Value], comm: &str, a: &Accepted, listener: Value, local: Value, remote: Value) {
    assert_eq!(events.len(), 2, "{events:#?}");
    let (check, accept) = (&events[0], &events[1]);
    assert_eq!(check["event"], "security_socket_accept");
    assert_context(check, comm, a.tid);
    assert_eq!(check["sockfd"], json!(a.listen_fd));
    assert_eq!(check["local_addr"], listener);
    assert_eq!(check["remote_addr"], Value::Null);
    assert_eq!(check["fd"], json!(-1));

    assert_eq!(accept["event"], "socket_accept");
    assert_context(accept, comm, a.tid);
    assert_eq!(accept["sockfd"], json!(a.listen_fd));
    assert_eq!(accept["fd"], json!(a.fd));
    assert_eq!(accept["ret"], json!(a.fd));
    assert_eq!(accept["errno"], Value::Null);
    assert_eq!(accept["local_addr"], local);
    assert_eq!(accept["remote_addr"], remote);
    assert_eq!(accept["sock_type"], json!(1), "SOCK_STREAM");
    assert_eq!(accept["local_port_from_listener"], json!(false));
    assert!(check["boot_ns"].as_u64() <= accept["boot_ns"].as_u64());
}

#[test]
fn tcp_ipv4_accept4() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (events, a, client) = record_tcp("ar-v4", listener, addr, false);
    check_tcp_pair(&events, "ar-v4", &a, inet(addr), inet(addr), inet(client));
}

#[test]
fn tcp_ipv4_plain_accept() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (events, a, client) = record_tcp("ar-v4-plain", listener, addr, true);
    check_tcp_pair(&events, "ar-v4-plain", &a, inet(addr), inet(addr), inet(client));
}

#[test]
fn tcp_ipv6_loopback() {
    let listener = TcpListener::bind("[::1]:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (events, a, client) = record_tcp("ar-v6", listener, addr, false);
    check_tcp_pair(&events, "ar-v6", &a, inet(addr), inet(addr), inet(client));
}

#[test]
fn dual_stack_listener_reached_over_ipv4() {
    let listener = TcpListener::bind("[::]:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (events, a, client) =
        record_tcp("ar-mapped", listener, SocketAddr::from(([127, 0, 0, 1], port)), true);
    let mapped = |port: u16| json!({"family": "AF_INET6", "addr": "::ffff:127.0.0.1", "port": port});
    let any = json!({"family": "AF_INET6", "addr": "::", "port": port});
    check_tcp_pair(&events, "ar-mapped", &a, any, mapped(port), mapped(client.port()));
}

/// Records one AF_UNIX accept on a listener bound by `bind`.
fn record_unix(comm: &str, listener: UnixListener, connect: impl FnOnce() -> UnixStream, path: &str) {
    let dir = tempfile::tempdir().unwrap();
    let recorder = Recorder::start(&dir.path().join("u.trc"), &["--comm", comm]);
    let server = on_named_thread(comm, move || {
        let (stream, _) = listener.accept().expect("accept4(2)");
        (listener.as_raw_fd() as i64, stream.as_raw_fd() as i64)
    });
    let client = connect();
    let a = server.join().unwrap();
    drop(client);
    let (status, stderr) = recorder.stop();
    assert!(status.success(), "{stderr}");
    let events = replay_json(&dir.path().join("u.trc"), &[]);
    assert_eq!(events.len(), 2, "{events:#?}");
    let unix = |p: &str| json!({"family": "AF_UNIX", "path": p});
    let (check, accept) = (&events[0], &events[1]);
    assert_eq!(check["event"], "security_socket_accept");
    assert_context(check, comm, a.tid);
    assert_eq!(check["sockfd"], json!(a.listen_fd));
    assert_eq!(check["local_addr"], unix(path));
    assert_eq!(accept["event"], "socket_accept");
    assert_context(accept, comm, a.tid);
    assert_eq!(accept["sockfd"], json!(a.listen_fd));
    assert_eq!((&accept["fd"], &accept["ret"]), (&json!(a.fd), &json!(a.fd)));
    assert_eq!(accept["local_addr"], unix(path));
    assert_eq!(accept["remote_addr"], unix(""), "the client is unbound");
    let me = json!({"pid": std::process::id(), "uid": nix::unistd::getuid().as_raw()});
    assert_eq!(accept["peer"], me, "SO_PEERCRED of the connecting process");
}

#[test]
fn unix_socket_by_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sock");
    let listener = UnixListener::bind(&path).unwrap();
    let connect_path = path.clone();
    record_unix(
        "ar-unix",
        listener,
        move || UnixStream::connect(connect_path).unwrap(),
        path.to_str().unwrap(),
    );
}

#[test]
fn unix_socket_abstract_name() {
    let name = format!("accept-rec-test-{}", std::process::id());
    let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
    let listener = UnixListener::bind_addr(&addr).unwrap();
    record_unix(
        "ar-abstract",
        listener,
        move || UnixStream::connect_addr(&addr).unwrap(),
        &format!("@{name}"),
    );
}

#[test]
fn info_names_the_hooks_and_counts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("i.trc");
    let recorder = Recorder::start(&path, &["--comm", "ar-info"]);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = on_named_thread("ar-info", move || {
        for _ in 0..3 {
            drop(listener.accept().unwrap());
        }
        (0, 0)
    });
    let clients: Vec<_> = (0..3).map(|_| TcpStream::connect(addr).unwrap()).collect();
    server.join().unwrap();
    drop(clients);
    let (status, stderr) = recorder.stop();
    assert!(status.success());
    assert!(stderr.contains("accept-rec: 6 events, 0 dropped"), "{stderr}");
    let info: Value =
        serde_json::from_str(&run_ok(&["info", path.to_str().unwrap(), "--format", "json"])).unwrap();
    assert_eq!((info["socket_accept"].as_u64(), info["security_socket_accept"].as_u64()), (Some(3), Some(3)));
    assert_eq!(info["lost"], json!(0));
    assert_eq!(info["status"], "finished");
    let hooks = info["header"]["hooks"].as_array().unwrap();
    assert_eq!(hooks.len(), 2, "{hooks:?}");
    let text = run_ok(&["info", path.to_str().unwrap()]);
    assert!(text.contains("hook            socket_accept"), "{text}");
    assert!(text.contains("hook            security_socket_accept"), "{text}");
    assert!(text.contains("filter          --comm ar-info"), "{text}");
}

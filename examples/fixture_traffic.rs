//! Makes a small, known set of loopback accepts for the fixture recordings
//! (`fixtures/make.sh`): `fixture_traffic inet|inet6|unix`. The accepting
//! thread is named `fixture-srv`, so the recorder can filter on it.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr as UnixAddr, UnixListener, UnixStream};
use std::thread;

fn serve<L: Send + 'static>(listener: L, n: usize, accept: fn(&L)) -> thread::JoinHandle<()> {
    thread::Builder::new()
        .name("fixture-srv".into())
        .spawn(move || {
            for _ in 0..n {
                accept(&listener);
            }
        })
        .expect("spawn the server thread")
}

fn tcp(bind: &str, connect: Option<SocketAddr>, n: usize) {
    let listener = TcpListener::bind(bind).expect("bind");
    let addr = connect.unwrap_or_else(|| listener.local_addr().expect("local_addr"));
    let port = listener.local_addr().expect("local_addr").port();
    let server = serve(listener, n, |l| drop(l.accept().expect("accept")));
    for _ in 0..n {
        let mut to = addr;
        to.set_port(port);
        drop(TcpStream::connect(to).expect("connect"));
    }
    server.join().expect("server");
}

fn main() {
    let which = std::env::args().nth(1).unwrap_or_default();
    match which.as_str() {
        "inet" => tcp("127.0.0.1:0", None, 3),
        "inet6" => {
            tcp("[::1]:0", None, 2);
            // A dual-stack listener reached over IPv4: addresses come out IPv4-mapped.
            tcp("[::]:0", Some("127.0.0.1:0".parse().expect("addr")), 2);
        }
        "unix" => {
            let dir = std::env::temp_dir().join(format!("fixture-{}", std::process::id()));
            std::fs::create_dir_all(&dir).expect("dir");
            let path = dir.join("fixture.sock");
            let listener = UnixListener::bind(&path).expect("bind path");
            let server = serve(listener, 2, |l| drop(l.accept().expect("accept")));
            for _ in 0..2 {
                drop(UnixStream::connect(&path).expect("connect"));
            }
            server.join().expect("server");
            std::fs::remove_dir_all(&dir).expect("cleanup");
            let name = UnixAddr::from_abstract_name(b"accept-rec-fixture").expect("abstract name");
            let listener = UnixListener::bind_addr(&name).expect("bind abstract");
            let server = serve(listener, 2, |l| drop(l.accept().expect("accept")));
            for _ in 0..2 {
                drop(UnixStream::connect_addr(&name).expect("connect"));
            }
            server.join().expect("server");
        }
        "flood" => tcp("127.0.0.1:0", None, 2000),
        _ => {
            eprintln!("usage: fixture_traffic inet|inet6|unix|flood");
            std::process::exit(2);
        }
    }
}

//! Running the real binary: a recorder in the background, and commands whose
//! output the tests read.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::Value;

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_accept-rec")
}

/// Runs `accept-rec ARGS` to completion.
pub fn run(args: &[&str]) -> Output {
    Command::new(bin()).args(args).output().expect("run accept-rec")
}

/// Runs `accept-rec ARGS` and returns stdout, failing the test on a non-zero exit.
pub fn run_ok(args: &[&str]) -> String {
    let out = run(args);
    assert!(out.status.success(), "accept-rec {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// `replay --format json`, parsed.
pub fn replay_json(file: &Path, extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["replay", file.to_str().unwrap(), "--format", "json"];
    args.extend_from_slice(extra);
    run_ok(&args).lines().map(|l| serde_json::from_str(l).expect("a JSON line")).collect()
}

/// A running `accept-rec record`.
pub struct Recorder {
    child: Child,
    stderr_lines: mpsc::Receiver<String>,
}

impl Recorder {
    /// Starts recording into `path` and waits until the programs are attached.
    pub fn start(path: &Path, extra: &[&str]) -> Recorder {
        let mut child = Command::new(bin())
            .args(["record", "-o", path.to_str().unwrap()])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the recorder");
        let (tx, rx) = mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut seen = Vec::new();
        loop {
            match rx.recv_timeout(Duration::from_secs(30)) {
                Ok(line) if line.contains("recording to") => break,
                Ok(line) => seen.push(line),
                Err(_) => panic!("the recorder did not start: {seen:?}; status {:?}", child.try_wait()),
            }
        }
        Recorder { child, stderr_lines: rx }
    }

    pub fn pid(&self) -> Pid {
        Pid::from_raw(self.child.id() as i32)
    }

    pub fn signal(&self, signal: Signal) {
        kill(self.pid(), signal).expect("signal the recorder");
    }

    /// Waits for exit and returns the status and everything it wrote on stderr.
    pub fn wait(mut self) -> (ExitStatus, String) {
        let status = self.child.wait().expect("wait for the recorder");
        let mut text = String::new();
        while let Ok(line) = self.stderr_lines.recv_timeout(Duration::from_secs(5)) {
            text.push_str(&line);
            text.push('\n');
        }
        (status, text)
    }

    /// SIGINT, then wait.
    pub fn stop(self) -> (ExitStatus, String) {
        self.signal(Signal::SIGINT);
        self.wait()
    }
}

/// Reads a whole file.
pub fn read(path: &Path) -> Vec<u8> {
    let mut bytes = Vec::new();
    std::fs::File::open(path).and_then(|mut f| f.read_to_end(&mut bytes)).expect("read file");
    bytes
}

/// Accepts `n` loopback TCP connections on a thread named `comm`, closing
/// each at once; returns when all are done.
pub fn churn(comm: &str, n: usize) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = std::thread::Builder::new()
        .name(comm.to_string())
        .spawn(move || {
            for _ in 0..n {
                drop(listener.accept().unwrap());
            }
        })
        .unwrap();
    for _ in 0..n {
        let stream = std::net::TcpStream::connect(addr).unwrap();
        // No TIME_WAIT pile-up: RST on close.
        let _ = nix::sys::socket::setsockopt(
            &stream,
            nix::sys::socket::sockopt::Linger,
            &nix::libc::linger { l_onoff: 1, l_linger: 0 },
        );
    }
    server.join().unwrap();
}

/// `info --format json`, parsed.
pub fn info_json(file: &Path) -> Value {
    serde_json::from_str(&run_ok(&["info", file.to_str().unwrap(), "--format", "json"])).expect("info JSON")
}

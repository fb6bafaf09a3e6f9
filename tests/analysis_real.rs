//! Analysis on real recordings: the recorder captures a workload that a child
//! process runs (so two runs differ in pids and ephemeral ports, as in CI),
//! then summary, diff and the filters are checked against what is known.

use std::net::{TcpListener, TcpStream};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

use crate::support::{Recorder, replay_json, run, run_ok};

/// Fixed ports, so two runs of one workload have the same listeners.
const PORT_A: u16 = 39157;
const PORT_B: u16 = 39158;

/// Accepts `n` connections on `port` on a thread named `ar-work`.
fn serve(port: u16, n: usize) {
    let listener = TcpListener::bind(("127.0.0.1", port)).expect("bind a fixed test port");
    let server = std::thread::Builder::new()
        .name("ar-work".into())
        .spawn(move || (0..n).for_each(|_| drop(listener.accept().unwrap())))
        .unwrap();
    (0..n).for_each(|_| drop(TcpStream::connect(("127.0.0.1", port)).unwrap()));
    server.join().unwrap();
}

/// Runs in a child process (see `run_workload`): the workload named by AR_WORKLOAD.
#[test]
#[ignore = "run by record_workload in a child process"]
fn workload_child() {
    match std::env::var("AR_WORKLOAD").as_deref() {
        Ok("one-listener") => serve(PORT_A, 20),
        Ok("two-listeners") => {
            serve(PORT_A, 20);
            serve(PORT_B, 5);
        }
        Err(_) => {} // run directly: nothing to do
        Ok(other) => panic!("unknown workload {other:?}"),
    }
}

/// Records the named workload, run by a child process, into `path`.
fn record_workload(path: &Path, workload: &str) {
    let recorder = Recorder::start(path, &["--comm", "ar-work"]);
    let status = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "analysis_real::workload_child", "--ignored", "--quiet"])
        .env("AR_WORKLOAD", workload)
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let (status, stderr) = recorder.stop();
    assert!(status.success(), "{stderr}");
}

#[test]
fn summary_diff_on_real_runs() {
    // One test, so the fixed ports are never used twice at once.
    let dir = tempfile::tempdir().unwrap();
    let [a, b, c] = ["a", "b", "c"].map(|n| dir.path().join(format!("{n}.trc")));
    record_workload(&a, "one-listener");
    record_workload(&b, "one-listener");
    record_workload(&c, "two-listeners");

    let summary: Value =
        serde_json::from_str(&run_ok(&["summary", a.to_str().unwrap(), "--format", "json"])).unwrap();
    let text = serde_json::to_string(&summary).unwrap();
    assert!(text.contains(&format!("127.0.0.1:{PORT_A}")), "{text}");
    let totals = &summary["totals"];
    assert_eq!(totals, &json!({"events": 40, "accepts": 20, "failed": 0, "security_checks": 20}), "{totals}");

    let pids = |f: &Path| replay_json(f, &[])[0]["pid"].clone();
    assert_ne!(pids(&a), pids(&b), "two runs, two processes");
    let same = run(&["diff", a.to_str().unwrap(), b.to_str().unwrap()]);
    assert_eq!(same.status.code(), Some(0), "{}", String::from_utf8_lossy(&same.stdout));

    let changed = run(&["diff", a.to_str().unwrap(), c.to_str().unwrap()]);
    let report = String::from_utf8_lossy(&changed.stdout);
    assert_eq!(changed.status.code(), Some(1), "{report}");
    assert!(report.contains(&format!("127.0.0.1:{PORT_B}")), "names the new listener: {report}");

    // A committed summary works as the baseline too.
    let baseline = dir.path().join("baseline.json");
    std::fs::write(&baseline, run_ok(&["summary", a.to_str().unwrap(), "--format", "json"])).unwrap();
    assert_eq!(run(&["diff", baseline.to_str().unwrap(), b.to_str().unwrap()]).status.code(), Some(0));
    assert_eq!(run(&["diff", baseline.to_str().unwrap(), c.to_str().unwrap()]).status.code(), Some(1));
}

/// A recording with IPv4, IPv6 and unix accepts and EAGAIN failures, all on
/// threads named `ar-filt`.
fn mixed_recording(path: &Path) -> (u16, u16) {
    let recorder = Recorder::start(path, &["--comm", "ar-filt", "--include-eagain"]);
    let v4 = TcpListener::bind("127.0.0.1:0").unwrap();
    let v6 = TcpListener::bind("[::1]:0").unwrap();
    let (p4, p6) = (v4.local_addr().unwrap().port(), v6.local_addr().unwrap().port());
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("f.sock");
    let unix = UnixListener::bind(&sock).unwrap();
    let path2 = sock.clone();
    let server = std::thread::Builder::new()
        .name("ar-filt".into())
        .spawn(move || {
            (0..3).for_each(|_| drop(v4.accept().unwrap()));
            (0..2).for_each(|_| drop(v6.accept().unwrap()));
            drop(unix.accept().unwrap());
            v4.set_nonblocking(true).unwrap();
            assert!(v4.accept().is_err(), "EAGAIN");
        })
        .unwrap();
    (0..3).for_each(|_| drop(TcpStream::connect(("127.0.0.1", p4)).unwrap()));
    (0..2).for_each(|_| drop(TcpStream::connect(("::1", p6)).unwrap()));
    drop(UnixStream::connect(&path2).unwrap());
    server.join().unwrap();
    let (status, stderr) = recorder.stop();
    assert!(status.success(), "{stderr}");
    (p4, p6)
}

#[test]
fn every_filter_option_on_a_real_recording() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mixed.trc");
    let (p4, p6) = mixed_recording(&file);
    let all = replay_json(&file, &[]);
    // 6 accepts + 1 EAGAIN, each after its security check.
    assert_eq!(all.len(), 14, "{all:#?}");
    let count = |args: &[&str]| replay_json(&file, args).len();
    let me = std::process::id().to_string();
    let tid = all[0]["tid"].to_string();
    let uid = all[0]["uid"].to_string();
    let cgroup = all[0]["cgroup_id"].to_string();
    let (p4s, p6s) = (p4.to_string(), p6.to_string());
    let rport =
        all.iter().find(|e| e["event"] == "socket_accept").unwrap()["remote_addr"]["port"].to_string();
    let cases: Vec<(Vec<&str>, usize)> = vec![
        (vec!["--event", "socket_accept"], 7),
        (vec!["--event", "security_socket_accept"], 7),
        (vec!["--pid", &me], 14),
        (vec!["--pid", "1"], 0),
        (vec!["--tid", &tid], 14),
        (vec!["--comm", "ar-*"], 14),
        (vec!["--comm", "ar-fil?"], 14),
        (vec!["--comm", "nginx"], 0),
        (vec!["--uid", &uid], 14),
        (vec!["--cgroup", &cgroup], 14),
        (vec!["--port", &p4s], 8),
        (vec!["--lport", &p6s], 4),
        (vec!["--rport", &rport], 1),
        (vec!["--laddr", "127.0.0.0/8"], 8),
        (vec!["--laddr", "::1/128"], 4),
        (vec!["--raddr", "127.0.0.1"], 3),
        (vec!["--family", "inet"], 8),
        (vec!["--family", "inet6"], 4),
        (vec!["--family", "unix"], 2),
        (vec!["--failed"], 1),
        (vec!["--ok"], 13),
        (vec!["--failed", "--event", "socket_accept", "--family", "inet"], 1),
    ];
    for (args, expected) in &cases {
        assert_eq!(count(args), *expected, "replay {args:?}");
    }
    // Time ranges: the first event's own time, and a window after everything.
    let first = all[0]["ts_ns"].as_i64().unwrap();
    let secs = first / 1_000_000_000;
    let stamp = |s: i64| {
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(s as u64);
        humantime::format_rfc3339_seconds(t).to_string()
    };
    assert_eq!(count(&["--until", &stamp(secs - 1)]), 0);
    assert_eq!(count(&["--since", &stamp(secs)]), 14);
    assert_eq!(count(&["--since", "+1h"]), 0);
    assert_eq!(count(&["--since", "+0s", "--until", "+1h"]), 14);
    // The same filter language through `filter`: a valid recording of the subset.
    let subset = dir.path().join("v6.trc");
    run_ok(&["filter", file.to_str().unwrap(), "-o", subset.to_str().unwrap(), "--family", "inet6"]);
    assert_eq!(replay_json(&subset, &[]).len(), 4);
}

//! Recording under stress and faults, against the real kernel: a killed
//! recorder, a double Ctrl-C, a full disk, a flooded ring, privilege drop,
//! and the output file's safety rules.

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
use serde_json::json;

use crate::support::{Recorder, bin, churn, info_json, read, replay_json, run};

#[test]
fn sigkill_loses_at_most_the_last_flush_interval() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("killed.trc");
    let recorder = Recorder::start(&path, &["--comm", "ar-kill"]);
    // Accept steadily; remember when each accept returned.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let times = Arc::new(std::sync::Mutex::new(Vec::new()));
    let (stop2, times2) = (stop.clone(), times.clone());
    let server = std::thread::Builder::new()
        .name("ar-kill".into())
        .spawn(move || {
            while !stop2.load(Ordering::Relaxed) {
                if listener.accept().is_ok() {
                    times2.lock().unwrap().push(Instant::now());
                }
            }
        })
        .unwrap();
    let start = Instant::now();
    while start.elapsed() < Duration::from_millis(2500) {
        drop(std::net::TcpStream::connect(addr).unwrap());
        std::thread::sleep(Duration::from_millis(2));
    }
    recorder.signal(Signal::SIGKILL);
    let killed_at = Instant::now();
    stop.store(true, Ordering::Relaxed);
    drop(std::net::TcpStream::connect(addr));
    server.join().unwrap();
    let (status, _) = recorder.wait();
    assert_eq!(status.code(), None, "killed by a signal");

    let out = run(&["replay", path.to_str().unwrap(), "--format", "json", "--event", "socket_accept"]);
    assert!(out.status.success(), "a killed recording still replays");
    let warning = String::from_utf8_lossy(&out.stderr);
    assert!(warning.contains("not finished") || warning.contains("truncated"), "{warning}");
    let recorded = out.stdout.iter().filter(|b| **b == b'\n').count();
    let times = times.lock().unwrap();
    // A flush every second: everything accepted over 1 s (plus poll slack) before the kill is on disk.
    let must_have =
        times.iter().filter(|t| killed_at.duration_since(**t) > Duration::from_millis(1300)).count();
    assert!(must_have > 100, "the workload ran: {must_have}");
    assert!(
        recorded >= must_have && recorded <= times.len(),
        "{recorded} recorded, {must_have}..={} expected",
        times.len()
    );
    let strict = run(&["replay", path.to_str().unwrap(), "--strict"]);
    assert_eq!(strict.status.code(), Some(2), "--strict refuses an unfinished file");
}

#[test]
fn a_second_sigint_exits_at_once_leaving_a_valid_prefix() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("twice.trc");
    let recorder = Recorder::start(&path, &["--comm", "ar-twice"]);
    churn("ar-twice", 50);
    recorder.signal(Signal::SIGINT);
    recorder.signal(Signal::SIGINT);
    let (status, stderr) = recorder.wait();
    assert!(matches!(status.code(), Some(130) | Some(0)), "{status:?} {stderr}");
    let out = run(&["info", path.to_str().unwrap()]);
    assert!(out.status.success(), "the prefix opens: {}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn a_full_disk_stops_cleanly_and_keeps_what_was_written() {
    let dir = tempfile::tempdir().unwrap();
    let mount = dir.path().join("tiny");
    std::fs::create_dir(&mount).unwrap();
    let ok =
        Command::new("mount").args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"]).arg(&mount).status().unwrap();
    assert!(ok.success(), "mount a 64 KiB tmpfs");
    let path = mount.join("full.trc");
    let recorder = Recorder::start(&path, &["--comm", "ar-full", "--flush-interval", "50ms"]);
    for _ in 0..40 {
        churn("ar-full", 500);
        if recorder_exited(&recorder) {
            break;
        }
    }
    let (status, stderr) = if recorder_exited(&recorder) { recorder.wait() } else { recorder.stop() };
    let _ = Command::new("umount").arg("-l").arg(&mount).status();
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("No space left on device"), "{stderr}");
    assert!(stderr.contains("captured events were not written"), "{stderr}");
    assert!(stderr.contains("valid up to its last complete block"), "{stderr}");
}

fn recorder_exited(recorder: &Recorder) -> bool {
    std::fs::read_to_string(format!("/proc/{}/stat", recorder.pid())).map_or(true, |s| s.contains(") Z "))
}

#[test]
fn a_flood_through_a_tiny_ring_counts_every_drop() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flood.trc");
    let recorder = Recorder::start(&path, &["--comm", "ar-flood", "--ring-size", "4K"]);
    let connections = 3000;
    churn("ar-flood", connections);
    std::thread::sleep(Duration::from_millis(100));
    let (status, stderr) = recorder.stop();
    assert!(status.success(), "{stderr}");
    let info = info_json(&path);
    let lost = info["lost"].as_u64().unwrap();
    let events = info["events"].as_u64().unwrap();
    assert!(lost > 0, "a 4 KiB ring must overflow: {info}");
    assert!(info["loss_frames"].as_u64().unwrap() > 0);
    assert_eq!(events + lost, 2 * connections as u64, "every event is recorded or counted as lost");
    assert!(stderr.contains(&format!("{events} events, {lost} dropped")), "{stderr}");
    let text = String::from_utf8(run(&["info", path.to_str().unwrap()]).stdout).unwrap();
    assert!(text.contains(&format!("kernel drops    {lost}")), "{text}");
}

#[test]
fn recording_continues_after_dropping_to_nobody() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nobody.trc");
    let recorder = Recorder::start(&path, &["--comm", "ar-nobody", "--user", "nobody"]);
    let status = std::fs::read_to_string(format!("/proc/{}/status", recorder.pid())).unwrap();
    let uid_line = status.lines().find(|l| l.starts_with("Uid:")).unwrap().to_string();
    let caps = status.lines().find(|l| l.starts_with("CapEff:")).unwrap().to_string();
    churn("ar-nobody", 20);
    let (exit, stderr) = recorder.stop();
    assert!(exit.success(), "{stderr}");
    assert!(uid_line.split_whitespace().skip(1).all(|uid| uid == "65534"), "{uid_line}");
    assert!(caps.ends_with("0000000000000000"), "{caps}");
    assert_eq!(info_json(&path)["events"], json!(40));
}

#[test]
fn without_user_every_capability_is_dropped_after_attach() {
    let dir = tempfile::tempdir().unwrap();
    let recorder = Recorder::start(&dir.path().join("caps.trc"), &["--comm", "ar-caps"]);
    let status = std::fs::read_to_string(format!("/proc/{}/status", recorder.pid())).unwrap();
    churn("ar-caps", 5);
    let (exit, _) = recorder.stop();
    assert!(exit.success());
    let caps = status.lines().find(|l| l.starts_with("CapEff:")).unwrap();
    assert!(caps.ends_with("0000000000000000"), "{caps}");
    assert_eq!(info_json(&dir.path().join("caps.trc"))["events"], json!(10));
}

#[test]
fn output_is_private_exclusive_and_never_follows_symlinks() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.trc");
    let recorder = Recorder::start(&path, &["--comm", "ar-private", "--duration", "100ms"]);
    let (status, _) = recorder.wait();
    assert!(status.success());
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    let before = read(&path);

    let again = run(&["record", "-o", path.to_str().unwrap(), "--duration", "100ms"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists; pass --force"));
    assert_eq!(read(&path), before, "an existing file is left alone");

    let target = dir.path().join("victim");
    std::fs::write(&target, b"precious").unwrap();
    let link = dir.path().join("link.trc");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    for extra in [&[][..], &["--force"][..]] {
        let out =
            run(&[&["record", "-o", link.to_str().unwrap(), "--duration", "100ms"][..], extra].concat());
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains("is a symlink"), "{out:?}");
    }
    assert_eq!(std::fs::read(&target).unwrap(), b"precious");
}

#[test]
fn without_privileges_the_error_says_what_is_missing() {
    // A copy of the binary that user nobody can reach: the build tree may sit
    // under a private directory (a CI checkout in a 0700 temp dir).
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let copy = dir.path().join("accept-rec");
    std::fs::copy(bin(), &copy).unwrap();
    let out = Command::new(&copy)
        .args(["record", "-o", dir.path().join("x.trc").to_str().unwrap()])
        .uid(65534)
        .gid(65534)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("CAP_BPF") && stderr.contains("CAP_PERFMON"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
}

#[test]
fn failed_accepts_carry_their_errno_and_eagain_is_opt_in() {
    let dir = tempfile::tempdir().unwrap();
    for (name, extra) in [("default", &[][..]), ("eagain", &["--include-eagain"][..])] {
        let path = dir.path().join(format!("{name}.trc"));
        let recorder = Recorder::start(&path, &[&["--comm", "ar-eagain"][..], extra].concat());
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let tries = Arc::new(AtomicU64::new(0));
        let t = tries.clone();
        std::thread::Builder::new()
            .name("ar-eagain".into())
            .spawn(move || {
                for _ in 0..3 {
                    assert_eq!(listener.accept().unwrap_err().kind(), std::io::ErrorKind::WouldBlock);
                    t.fetch_add(1, Ordering::Relaxed);
                }
            })
            .unwrap()
            .join()
            .unwrap();
        let (status, _) = recorder.stop();
        assert!(status.success());
        let failed = replay_json(&path, &["--failed"]);
        if name == "default" {
            assert!(failed.is_empty(), "{failed:?}");
        } else {
            assert_eq!(failed.len(), 3, "{failed:?}");
            for e in &failed {
                assert_eq!((&e["ret"], &e["errno"], &e["fd"]), (&json!(-11), &json!("EAGAIN"), &json!(-1)));
                assert_eq!(e["local_addr"]["family"], "AF_INET", "the listener's address: {e}");
            }
        }
    }
}

fn rotated(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("rot."))
        .collect();
    files.sort();
    files
}

#[test]
fn rotation_makes_self_contained_files_that_merge_back_to_the_whole() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("rot.trc");
    let recorder =
        Recorder::start(&base, &["--comm", "ar-rotate", "--rotate-size", "1K", "--flush-interval", "20ms"]);
    for _ in 0..10 {
        churn("ar-rotate", 100);
        std::thread::sleep(Duration::from_millis(60));
    }
    let (status, stderr) = recorder.stop();
    assert!(status.success(), "{stderr}");
    let files = rotated(dir.path());
    assert!(files.len() >= 3, "{files:?}");
    assert!(stderr.contains(&format!("in {} files", files.len())), "{stderr}");
    let mut total = 0;
    for (seq, file) in files.iter().enumerate() {
        assert!(file.ends_with(format!("rot.{seq:03}.trc")), "{file:?}");
        let info = info_json(file);
        assert_eq!(info["status"], "finished", "each file is finished on its own");
        assert_eq!(info["header"]["rotation_seq"], json!(seq));
        assert_eq!(info["header"]["hooks"].as_array().unwrap().len(), 2, "each file has its own metadata");
        total += info["events"].as_u64().unwrap();
    }
    assert_eq!(total, 2000, "1000 accepts, two events each, none lost between files");
    let merged = dir.path().join("all.trc");
    let mut args = vec!["merge".to_string()];
    args.extend(files.iter().map(|f| f.to_str().unwrap().to_string()));
    args.extend(["-o".to_string(), merged.to_str().unwrap().to_string()]);
    let out = run(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(info_json(&merged)["events"], json!(2000));
    assert_eq!(replay_json(&merged, &["--event", "socket_accept"]).len(), 1000);
}

#[test]
fn sighup_rotates_and_max_files_keeps_the_newest() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("rot.trc");
    let recorder = Recorder::start(&base, &["--comm", "ar-hup", "--rotate-time", "1h", "--max-files", "2"]);
    for _ in 0..3 {
        churn("ar-hup", 5);
        recorder.signal(Signal::SIGHUP);
        std::thread::sleep(Duration::from_millis(200));
    }
    let (status, stderr) = recorder.stop();
    assert!(status.success(), "{stderr}");
    let names: Vec<String> =
        rotated(dir.path()).iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
    assert_eq!(names, ["rot.002.trc", "rot.003.trc"], "four files made, the newest two kept");
}

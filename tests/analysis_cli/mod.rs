//! `filter`, `summary`, `diff` and `merge` as a user runs them: exit codes,
//! output files and what reaches stdout and stderr.

use std::net::Ipv4Addr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use accept_rec::format::{
    AcceptEvent, Comm, Header, HostInfo, ProcessContext, Recording, SockAddr, Stats, TimeAnchor, Writer,
    WriterOptions, frame,
};

const WALL_START: u64 = 1_767_225_600_000_000_000;

fn accept_rec(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_accept-rec")).args(args).current_dir(dir).output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// nginx on :80 and sshd on :22, 300 events over 30 s; `pid_base` and the
/// clock vary per run; `extra` adds python3 on :9090.
fn write_run(path: &Path, pid_base: u32, boot_start: u64, extra: bool) {
    let clock = TimeAnchor { boot_ns: boot_start, wall_ns: WALL_START };
    let header = Header {
        created_by: "test".into(),
        started_wall_ns: WALL_START,
        clock,
        events: 3,
        hosts: vec![HostInfo { hostname: format!("host-{pid_base}"), anchor: clock, ..HostInfo::default() }],
        ..Header::default()
    };
    let file = std::fs::File::create(path).unwrap();
    let mut writer = Writer::new(file, &header, WriterOptions { block_events: 32, zstd_level: 1 }).unwrap();
    for i in 0..300u64 {
        let (comm, port) = match i % 3 {
            0 => ("sshd", 22),
            _ if extra && i % 10 == 1 => ("python3", 9090),
            _ => ("nginx", 80),
        };
        let ret = if i % 50 == 7 { -24 } else { 10 + (i % 40) as i32 };
        writer
            .push(AcceptEvent {
                ts_ns: boot_start + i * 100_000_000,
                ctx: ProcessContext {
                    pid: pid_base + u32::from(port),
                    tid: pid_base,
                    comm: Comm::new(comm.as_bytes()),
                    ..ProcessContext::default()
                },
                fd: ret,
                ret,
                local: SockAddr::Inet { addr: Ipv4Addr::new(10, 0, 0, 1), port },
                remote: SockAddr::Inet {
                    addr: Ipv4Addr::new(192, 168, 1, (i % 7) as u8 + 1),
                    port: 30_000 + (i as u16) + pid_base as u16,
                },
                ..AcceptEvent::default()
            })
            .unwrap();
    }
    writer.finish(Stats::default()).unwrap();
}

struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    fn new() -> Scratch {
        let scratch = Scratch { dir: tempfile::tempdir().unwrap() };
        write_run(&scratch.path("base.trc"), 1000, 5_000_000_000_000, false);
        write_run(&scratch.path("same.trc"), 7000, 9_999_000_000_000, false);
        write_run(&scratch.path("new.trc"), 3000, 7_000_000_000_000, true);
        scratch
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn run(&self, args: &[&str]) -> Output {
        accept_rec(args, self.dir.path())
    }
}

#[test]
fn diff_exit_codes() {
    let s = Scratch::new();
    let same = s.run(&["diff", "base.trc", "same.trc"]);
    assert_eq!(same.status.code(), Some(0), "{}{}", stdout(&same), stderr(&same));
    assert!(stdout(&same).starts_with("same within tolerance (10%)"));

    let different = s.run(&["diff", "base.trc", "new.trc"]);
    assert_eq!(different.status.code(), Some(1), "{}", stderr(&different));
    let text = stdout(&different);
    assert!(text.lines().any(|l| l.contains("new listener") && l.contains("10.0.0.1:9090")), "{text}");

    let missing = s.run(&["diff", "base.trc", "nothing-here.trc"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).starts_with("accept-rec: nothing-here.trc"), "{}", stderr(&missing));
}

#[test]
fn a_saved_summary_is_a_baseline() {
    let s = Scratch::new();
    let saved = s.run(&["summary", "base.trc", "--format", "json"]);
    assert_eq!(saved.status.code(), Some(0));
    std::fs::write(s.path("base.json"), &saved.stdout).unwrap();
    assert_eq!(s.run(&["diff", "base.json", "same.trc"]).status.code(), Some(0));
    let markdown = s.run(&["diff", "base.json", "new.trc", "--format", "markdown"]);
    assert_eq!(markdown.status.code(), Some(1));
    assert!(stdout(&markdown).contains("| new listener | `10.0.0.1:9090` |"), "{}", stdout(&markdown));

    let cut = s.run(&["summary", "base.trc", "--format", "json", "--top", "1"]);
    std::fs::write(s.path("cut.json"), &cut.stdout).unwrap();
    let refused = s.run(&["diff", "cut.json", "same.trc"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(stderr(&refused).contains("without --top"), "{}", stderr(&refused));

    std::fs::write(s.path("notes.txt"), "hello").unwrap();
    let neither = s.run(&["diff", "notes.txt", "same.trc"]);
    assert_eq!(neither.status.code(), Some(2));
    assert!(stderr(&neither).contains("neither a recording nor a summary"), "{}", stderr(&neither));
}

#[test]
fn summary_text_and_filters() {
    let s = Scratch::new();
    let out = s.run(&["summary", "base.trc", "--by", "listener", "--threads", "3"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("Events       300 (accepted 294, failed 6, security checks 0)"), "{text}");
    assert!(text.contains("  10.0.0.1:80  AF_INET       196       4       0  nginx[1080]\n"), "{text}");
    let filtered = stdout(&s.run(&["summary", "base.trc", "--comm", "ssh*", "--until", "+9.95s"]));
    assert!(filtered.contains("Events       34 (accepted 33, failed 1"), "{filtered}");
    let bad = s.run(&["summary", "base.trc", "--by", "colour"]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn filter_writes_a_private_new_file_and_refuses_to_clobber() {
    let s = Scratch::new();
    let out = s.run(&["filter", "base.trc", "-o", "ssh.trc", "--comm", "sshd"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let mode = std::fs::metadata(s.path("ssh.trc")).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let recording = Recording::open(&s.path("ssh.trc")).unwrap();
    assert_eq!(recording.event_count(), 100);
    assert_eq!(recording.header.derived_from, ["base.trc"]);
    assert_eq!(recording.header.filter, "--comm sshd");

    let again = s.run(&["filter", "base.trc", "-o", "ssh.trc", "--comm", "nginx"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(stderr(&again).contains("already exists; pass --force"), "{}", stderr(&again));
    let forced = s.run(&["filter", "base.trc", "-o", "ssh.trc", "--comm", "nginx", "--force"]);
    assert_eq!(forced.status.code(), Some(0));
    assert_eq!(Recording::open(&s.path("ssh.trc")).unwrap().event_count(), 200);

    let onto_input = s.run(&["filter", "base.trc", "-o", "base.trc", "--force"]);
    assert_eq!(onto_input.status.code(), Some(2));
    assert!(stderr(&onto_input).contains("is also an input"), "{}", stderr(&onto_input));
    assert_eq!(Recording::open(&s.path("base.trc")).unwrap().event_count(), 300);

    std::os::unix::fs::symlink(s.path("elsewhere.trc"), s.path("link.trc")).unwrap();
    let through_link = s.run(&["filter", "base.trc", "-o", "link.trc", "--force"]);
    assert_eq!(through_link.status.code(), Some(2));
    assert!(stderr(&through_link).contains("is a symlink"), "{}", stderr(&through_link));
    assert!(!s.path("elsewhere.trc").exists());
}

/// A copy of `base.trc` whose last block claims one byte less than it
/// expands to: the index and checksums still read, but decoding that block fails.
fn damage_last_block(from: &Path, to: &Path) {
    let bytes = std::fs::read(from).unwrap();
    let last = Recording::from_vec(bytes.clone()).unwrap().blocks.last().unwrap().offset;
    let frame = frame::read_at(&bytes, last).unwrap();
    let mut body = frame.body.to_vec();
    let raw_len = u32::from_le_bytes(body[4..8].try_into().unwrap());
    body[4..8].copy_from_slice(&(raw_len - 1).to_le_bytes());
    let mut damaged = bytes[..last as usize].to_vec();
    frame::encode(&mut damaged, frame.kind, &body);
    damaged.extend_from_slice(&bytes[frame.end() as usize..]);
    std::fs::write(to, damaged).unwrap();
}

#[test]
fn a_failed_command_leaves_no_output() {
    let s = Scratch::new();
    damage_last_block(&s.path("base.trc"), &s.path("damaged.trc"));
    for args in [
        &["filter", "damaged.trc", "-o", "out.trc"][..],
        &["merge", "damaged.trc", "same.trc", "-o", "out.trc"],
    ] {
        let out = s.run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(stderr(&out).contains("damaged.trc: event block at byte"), "{}", stderr(&out));
        assert!(!s.path("out.trc").exists(), "{args:?} left its output behind");
    }
    let summary = s.run(&["summary", "damaged.trc"]);
    assert_eq!(summary.status.code(), Some(2));
    // A time range that skips the damaged block never decodes it.
    let early = s.run(&["summary", "damaged.trc", "--until", "+5s"]);
    assert_eq!(early.status.code(), Some(0), "{}", stderr(&early));
}

#[test]
fn merge_then_summarize() {
    let s = Scratch::new();
    let out = s.run(&["merge", "base.trc", "new.trc", "-o", "all.trc"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let merged = Recording::open(&s.path("all.trc")).unwrap();
    assert_eq!(merged.event_count(), 600);
    let labels: Vec<&str> = merged.header.hosts.iter().map(|h| h.label.as_str()).collect();
    assert_eq!(labels, ["base.trc", "new.trc"]);
    let summary = stdout(&s.run(&["summary", "all.trc", "--by", "process"]));
    assert!(summary.contains("Hosts        host-1000, host-3000"), "{summary}");
    assert!(summary.contains("python3"), "{summary}");
}

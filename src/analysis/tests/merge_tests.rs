//! `merge_into`: events of several clocks end up in one clock, in wall-clock
//! order, each tagged with its host.

use super::workload::*;
use crate::analysis::AnalysisError;
use crate::analysis::merge::{MergePlan, merge_into};
use crate::analysis::source::Source;
use crate::format::{AcceptEvent, Ending, EventKind, Header, Recording, Writer, WriterOptions};

fn merged(sources: &[Source<'_>]) -> Recording {
    let plan = MergePlan::new(sources, vec!["accept-rec".into(), "merge".into()]).unwrap();
    let writer =
        Writer::new(Vec::new(), &plan.header, WriterOptions { block_events: 16, zstd_level: 1 }).unwrap();
    let (bytes, outcome) = merge_into(sources, &plan, writer).unwrap();
    let recording = Recording::from_vec(bytes).unwrap();
    assert_eq!(outcome.events_written, recording.event_count());
    recording
}

/// Host B's clock: booted long after host A's, with its wall clock half a second later.
fn host_b() -> Run {
    Run { pid_base: 9000, boot_start: 77 * SEC, wall_start: WALL_START + SEC / 2, ..Run::default() }
}

fn wall_of(recording: &Recording, e: &AcceptEvent) -> i128 {
    recording.header.clock.to_wall(e.ts_ns)
}

#[test]
fn two_hosts_interleave_by_wall_clock() {
    let a = Run::default();
    let b = host_b();
    let rec_a = recording(&a);
    let rec_b = Recording::from_vec(write(&b.header("web-2"), &b.events(), 8, &[])).unwrap();
    let out = merged(&[Source::new(&rec_a, "a.trc"), Source::new(&rec_b, "b.trc")]);
    assert!(matches!(out.ending, Ending::Finished));
    let header = &out.header;
    assert_eq!(header.clock.boot_ns, 0);
    assert!(header.clock.wall_ns < WALL_START && WALL_START - header.clock.wall_ns <= 2 * SEC);
    assert_eq!(header.clock.wall_ns % SEC, 0);
    assert_eq!(header.started_wall_ns, WALL_START);
    assert_eq!(header.derived_from, ["a.trc", "b.trc"]);
    let hosts: Vec<(&str, &str)> =
        header.hosts.iter().map(|h| (h.hostname.as_str(), h.label.as_str())).collect();
    assert_eq!(hosts, [("web-1", "a.trc"), ("web-2", "b.trc")]);
    assert_eq!(header.hosts[1].anchor, b.clock(), "each host keeps its own anchor");

    let events = read_all(&out);
    assert_eq!(events.len(), 142);
    assert!(events.windows(2).all(|w| w[0].ts_ns <= w[1].ts_ns), "merged file is in time order");
    // Every event keeps its wall-clock time, and its source names its host.
    let mut from_a: Vec<i128> = Vec::new();
    let mut from_b: Vec<i128> = Vec::new();
    for e in &events {
        match e.source {
            0 => from_a.push(wall_of(&out, e)),
            1 => from_b.push(wall_of(&out, e)),
            other => panic!("source {other}"),
        }
    }
    let walls =
        |run: &Run| -> Vec<i128> { run.events().iter().map(|e| run.clock().to_wall(e.ts_ns)).collect() };
    assert_eq!(from_a, walls(&a));
    assert_eq!(from_b, walls(&b));
    // A's nginx accept at 0 s comes before B's at 0.5 s, which comes before A's at 1 s.
    let first: Vec<(u16, i128)> =
        events.iter().take(3).map(|e| (e.source, wall_of(&out, e) - WALL_START as i128)).collect();
    assert_eq!(first, [(0, 0), (1, 500_000_000), (0, 1_000_000_000)]);
}

#[test]
fn rotated_files_of_one_boot_share_a_host() {
    let run = Run::default();
    let events = run.events();
    let header = run.header("web-1");
    let first = Recording::from_vec(write(&header, &events[..40], 8, &[(run.ts(3_000), 4)])).unwrap();
    let second_header = Header { rotation_seq: 1, started_wall_ns: run.wall_start + 30 * SEC, ..header };
    let second =
        Recording::from_vec(write(&second_header, &events[40..], 8, &[(run.ts(50_000), 6)])).unwrap();
    // Given out of order: the merge sorts by time, not by argument order.
    let out = merged(&[Source::new(&second, "run.1.trc"), Source::new(&first, "run.0.trc")]);
    assert_eq!(out.header.hosts.len(), 1);
    assert_eq!(out.header.hosts[0].label, "run.1.trc, run.0.trc");
    let merged_events = read_all(&out);
    assert!(merged_events.iter().all(|e| e.source == 0));
    let walls: Vec<i128> = merged_events.iter().map(|e| wall_of(&out, e)).collect();
    let expected: Vec<i128> = events.iter().map(|e| run.clock().to_wall(e.ts_ns)).collect();
    assert_eq!(walls, expected);
    // Losses and stats add up.
    let stats = out.stats.unwrap();
    assert_eq!((stats.lost, stats.events), (10, [66, 5]));
    let losses: Vec<(i128, u64)> =
        out.losses.iter().map(|l| (out.header.clock.to_wall(l.ts_ns), l.lost)).collect();
    assert_eq!(losses, [(run.clock().to_wall(run.ts(3_000)), 4), (run.clock().to_wall(run.ts(50_000)), 6)]);
}

#[test]
fn overlapping_blocks_within_a_source_are_ordered() {
    // Blocks written out of time order, as a recorder's late events can produce.
    let run = Run::default();
    let mut events = run.events();
    events.reverse();
    let rec = Recording::from_vec(write(&run.header("web-1"), &events, 5, &[])).unwrap();
    let out = merged(&[Source::new(&rec, "r.trc")]);
    let got = read_all(&out);
    assert!(got.windows(2).all(|w| w[0].ts_ns <= w[1].ts_ns));
    assert_eq!(got.len(), 71);
}

#[test]
fn merged_files_merge_again_keeping_their_hosts() {
    let a = Run::default();
    let b = host_b();
    let rec_a = recording(&a);
    let rec_b = Recording::from_vec(write(&b.header("web-2"), &b.events(), 8, &[])).unwrap();
    let ab = merged(&[Source::new(&rec_a, "a.trc"), Source::new(&rec_b, "b.trc")]);
    let c = Run { boot_start: 1, wall_start: WALL_START - 3_600 * SEC, ..Run::default() };
    let rec_c = Recording::from_vec(write(&c.header("db-1"), &c.events(), 8, &[])).unwrap();
    let abc = merged(&[Source::new(&ab, "ab.trc"), Source::new(&rec_c, "c.trc")]);
    let hosts: Vec<(&str, &str)> =
        abc.header.hosts.iter().map(|h| (h.hostname.as_str(), h.label.as_str())).collect();
    assert_eq!(hosts, [("web-1", "a.trc"), ("web-2", "b.trc"), ("db-1", "c.trc")]);
    let events = read_all(&abc);
    assert_eq!(events.len(), 213);
    // db-1 recorded an hour earlier, so its events come first.
    assert!(events[..71].iter().all(|e| e.source == 2));
    let security =
        events.iter().filter(|e| e.kind == EventKind::SecuritySocketAccept && e.source == 1).count();
    assert_eq!(security, 5);
}

#[test]
fn nothing_to_merge() {
    assert!(matches!(MergePlan::new(&[], Vec::new()), Err(AnalysisError::NoInputs)));
}

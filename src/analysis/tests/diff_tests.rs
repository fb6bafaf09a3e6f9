//! Diff: two runs of one workload are the same whatever their pids, fds,
//! client ports and timing; a new listener, process, peer network or errno,
//! or a count beyond the tolerance, makes them different.

use super::workload::*;
use crate::analysis::diff::{Tolerance, compare};
use crate::analysis::diff_render::{render_markdown, render_text};
use crate::analysis::source::Source;
use crate::analysis::summary::Summary;
use crate::analysis::summary_builder::{SummaryOptions, summarize};
use crate::analysis::{AnalysisError, DiffReport};
use crate::format::{AcceptEvent, EventKind, FilterSpec, Recording, SockAddr};

/// A second run of the workload: other pids, fds, client ports, clocks and timing.
fn other_run() -> Run {
    Run {
        pid_base: 73_000,
        fd_base: 200,
        port_seed: 3_333,
        boot_start: 912_345 * SEC + 17,
        wall_start: WALL_START + 86_400 * SEC + 123_456_789,
        jitter_ns: 1_000_003,
    }
}

fn summary(run: &Run, events: &[AcceptEvent]) -> Summary {
    let recording = Recording::from_vec(write(&run.header("ci-runner"), events, 16, &[])).unwrap();
    let source = Source::new(&recording, "current.trc");
    summarize(&[source], &FilterSpec::default(), &SummaryOptions::default()).unwrap().0
}

fn baseline() -> Summary {
    let run = Run::default();
    summary(&run, &run.events())
}

fn diff(current: &Summary, tolerance: &str) -> DiffReport {
    compare(&baseline(), current, tolerance.parse().unwrap()).unwrap()
}

#[test]
fn same_workload_different_identities_and_timing() {
    let run = other_run();
    let current = summary(&run, &run.events());
    assert_ne!(current.processes[0].pids, baseline().processes[0].pids);
    let report = diff(&current, "0");
    assert!(report.same, "{}", render_text(&report));
    assert_eq!(report.change_count(), 0);
    assert!(report.notes.is_empty(), "{:?}", report.notes);
    assert!(render_text(&report).starts_with("same within tolerance (0 events)"));
}

fn with_python_listener(run: &Run) -> Vec<AcceptEvent> {
    let mut events = run.events();
    for i in 0..3 {
        let remote = v4([192, 168, 1, 10], 50_000 + i);
        let local = v4([10, 0, 0, 1], 9090);
        events.push(run.event(
            6,
            "python3",
            20_000 + u64::from(i),
            EventKind::SocketAccept,
            0,
            local,
            remote,
        ));
    }
    events.sort_by_key(|e| e.ts_ns);
    events
}

#[test]
fn a_listener_on_a_new_port_is_named() {
    let run = other_run();
    let report = diff(&summary(&run, &with_python_listener(&run)), "10%");
    assert!(!report.same);
    assert_eq!(report.listeners_added.len(), 1);
    let added = &report.listeners_added[0];
    assert_eq!(
        (added.listener.as_str(), added.processes.as_slice(), added.accepts),
        ("10.0.0.1:9090", &["python3".to_string()][..], 3)
    );
    assert_eq!(report.processes_added.len(), 1);
    assert_eq!(report.processes_added[0].comm, "python3");
    assert!(report.listeners_removed.is_empty() && report.processes_removed.is_empty());
    assert!(report.new_peer_networks.is_empty(), "192.168.1.0/24 was already a peer network");
    let text = render_text(&report);
    assert!(text.starts_with("different: 2 changes beyond tolerance (10%)\n"), "{text}");
    assert!(text.contains("  new listener  10.0.0.1:9090  AF_INET, by python3: 3 accepted\n"), "{text}");
    let markdown = render_markdown(&report);
    assert!(
        markdown.contains("| new listener | `10.0.0.1:9090` | AF_INET, by python3: 3 accepted |"),
        "{markdown}"
    );
}

#[test]
fn a_vanished_listener_and_process() {
    let run = other_run();
    let events: Vec<AcceptEvent> =
        run.events().into_iter().filter(|e| e.ctx.comm.as_bytes() != b"redis-server").collect();
    let report = diff(&summary(&run, &events), "10%");
    let gone: Vec<&str> = report.listeners_removed.iter().map(|l| l.listener.as_str()).collect();
    assert_eq!(gone, ["127.0.0.1:6379", "[::1]:6379"]);
    assert_eq!(report.processes_removed[0].comm, "redis-server");
    assert_eq!(report.change_count(), 3);
}

#[test]
fn counts_within_and_beyond_tolerance() {
    let run = other_run();
    // Six more nginx accepts: 40 -> 46 is +15%, six events.
    let mut events = run.events();
    for i in 0..6u64 {
        let remote = v4([192, 168, 1, 11], 60_000 + i as u16);
        events.push(run.event(
            1,
            "nginx",
            39_100 + i,
            EventKind::SocketAccept,
            0,
            v4([10, 0, 0, 1], 80),
            remote,
        ));
    }
    events.sort_by_key(|e| e.ts_ns);
    let current = summary(&run, &events);
    for (tolerance, same) in [("10%", false), ("15%", true), ("20%", true), ("5", false), ("6", true)] {
        let report = diff(&current, tolerance);
        assert_eq!(report.same, same, "--tolerance {tolerance}");
    }
    let report = diff(&current, "10%");
    let change = &report.count_changes[0];
    assert_eq!(
        (change.listener.as_str(), change.count.as_str(), change.baseline, change.current),
        ("10.0.0.1:80", "accepted", 40, 46)
    );
    let text = render_text(&report);
    assert!(text.contains("  count changed  10.0.0.1:80  accepted 40 -> 46 (+15%)\n"), "{text}");
}

#[test]
fn new_errnos_and_peer_networks() {
    let run = other_run();
    let mut events = run.events();
    let local = v4([10, 0, 0, 1], 80);
    events.push(run.event(1, "nginx", 30_100, EventKind::SocketAccept, -4, local.clone(), SockAddr::None));
    events.push(run.event(
        1,
        "nginx",
        30_200,
        EventKind::SocketAccept,
        0,
        local.clone(),
        v4([198, 51, 100, 4], 41_000),
    ));
    // Another loopback address is not a new network: loopback is one.
    events.push(run.event(
        5,
        "redis-server",
        30_300,
        EventKind::SocketAccept,
        0,
        v4([127, 0, 0, 1], 6379),
        v4([127, 0, 0, 2], 41_001),
    ));
    events.sort_by_key(|e| e.ts_ns);
    let report = diff(&summary(&run, &events), "10%");
    let errnos: Vec<&str> = report.new_failures.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(errnos, ["EINTR"]);
    let networks: Vec<&str> = report.new_peer_networks.iter().map(|n| n.network.as_str()).collect();
    assert_eq!(networks, ["198.51.100.0/24"]);
    // redis' one extra accept on 127.0.0.1:6379 is 2 -> 3 (+50%) and nginx's failures 5 -> 6 (+20%).
    assert_eq!(report.count_changes.len(), 2);
}

#[test]
fn a_saved_summary_is_a_baseline() {
    let saved = Summary::from_json(&baseline().to_json()).unwrap();
    let run = other_run();
    let same = compare(&saved, &summary(&run, &run.events()), Tolerance::default()).unwrap();
    assert!(same.same);
    let different =
        compare(&saved, &summary(&run, &with_python_listener(&run)), Tolerance::default()).unwrap();
    assert_eq!(different.listeners_added[0].listener, "10.0.0.1:9090");
    let json = different.to_json();
    assert!(json.contains("\"same\": false") && json.contains("\"listener\": \"10.0.0.1:9090\""), "{json}");
}

#[test]
fn a_truncated_baseline_is_refused() {
    let truncated = baseline().top(3);
    let err = compare(&truncated, &baseline(), Tolerance::default()).unwrap_err();
    assert!(matches!(err, AnalysisError::TruncatedBaseline(3)));
}

#[test]
fn drops_and_filter_differences_are_noted() {
    let mut current = baseline();
    current.drops.lost = 12;
    current.filter = "--comm nginx".into();
    let report = diff(&current, "10%");
    assert!(report.same);
    assert_eq!(report.notes.len(), 2, "{:?}", report.notes);
    assert!(render_text(&report).contains("note: the current run lost 12 events"));
}

#[test]
fn tolerance_parsing() {
    assert_eq!("10%".parse::<Tolerance>(), Ok(Tolerance::Percent(10.0)));
    assert_eq!("2.5%".parse::<Tolerance>(), Ok(Tolerance::Percent(2.5)));
    assert_eq!("5".parse::<Tolerance>(), Ok(Tolerance::Count(5)));
    for bad in ["", "-5", "ten", "-1%", "inf%", "5 %%"] {
        assert!(bad.parse::<Tolerance>().is_err(), "{bad:?}");
    }
    assert!(Tolerance::Percent(10.0).allows(100, 110));
    assert!(!Tolerance::Percent(10.0).allows(100, 111));
    assert!(!Tolerance::Percent(50.0).allows(0, 1));
    assert!(Tolerance::Count(1).allows(0, 1));
}

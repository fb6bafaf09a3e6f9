//! Summary numbers of the synthetic workload, worked out by hand from its
//! description in `workload.rs`.

use super::workload::*;
use crate::analysis::source::Source;
use crate::analysis::summary::*;
use crate::analysis::summary_builder::{SummaryOptions, peer_network, summarize};
use crate::analysis::summary_render::{Breakdown, render_text};
use crate::format::{FilterSpec, Recording};

fn summary_of(recording: &Recording) -> Summary {
    summarize(&[Source::new(recording, "run.trc")], &FilterSpec::default(), &SummaryOptions::default())
        .unwrap()
        .0
}

fn workload_summary() -> Summary {
    summary_of(&recording(&Run::default()))
}

#[test]
fn totals_span_and_drops() {
    let s = workload_summary();
    assert_eq!(s.kind, SUMMARY_KIND);
    assert_eq!(s.sources, ["run.trc"]);
    assert_eq!(s.hosts, ["web-1"]);
    assert_eq!(s.captured_events, ["socket_accept", "security_socket_accept"]);
    assert_eq!(s.totals, Totals { events: 71, accepts: 61, failed: 5, security_checks: 5 });
    let span = s.span.clone().unwrap();
    assert_eq!(span.first_ns, WALL_START);
    assert_eq!(span.first, "2026-01-01T00:00:00.000000000Z");
    assert_eq!(span.last_ns, WALL_START + 57 * SEC);
    assert_eq!(span.duration_ns, 57 * SEC);
    assert_eq!(s.drops, Drops::default());
}

#[test]
fn listeners_with_their_processes() {
    let s = workload_summary();
    let rows: Vec<(&str, &str, u64, u64, u64)> = s
        .listeners
        .iter()
        .map(|l| (l.listener.as_str(), l.family.as_str(), l.accepts, l.failed, l.security_checks))
        .collect();
    assert_eq!(
        rows,
        [
            ("10.0.0.1:80", "AF_INET", 40, 5, 0),
            ("/run/app.sock", "AF_UNIX", 6, 0, 0),
            ("0.0.0.0:22", "AF_INET", 0, 0, 5),
            ("10.0.0.1:22", "AF_INET", 5, 0, 0),
            ("[::ffff:10.0.0.1]:8080", "AF_INET6", 4, 0, 0),
            ("[2001:db8::1]:443", "AF_INET6", 3, 0, 0),
            ("127.0.0.1:6379", "AF_INET", 2, 0, 0),
            ("[::1]:6379", "AF_INET6", 1, 0, 0),
        ]
    );
    let nginx = &s.listeners[0].processes;
    assert_eq!(nginx.len(), 1);
    assert_eq!(
        (nginx[0].comm.as_str(), nginx[0].pids.as_slice(), nginx[0].events),
        ("nginx", &[1001][..], 45)
    );
}

#[test]
fn processes() {
    let s = workload_summary();
    let rows: Vec<(&str, u64, u64, u64, usize)> = s
        .processes
        .iter()
        .map(|p| (p.comm.as_str(), p.accepts, p.failed, p.security_checks, p.listeners.len()))
        .collect();
    assert_eq!(
        rows,
        [
            ("nginx", 40, 5, 0, 1),
            ("sshd", 5, 0, 5, 2),
            ("envoy", 7, 0, 0, 2),
            ("app-server", 6, 0, 0, 1),
            ("redis-server", 3, 0, 0, 2)
        ]
    );
    assert_eq!(s.processes[1].pids, [1002]);
    assert_eq!(s.processes[1].listeners, ["0.0.0.0:22", "10.0.0.1:22"]);
}

#[test]
fn peers_networks_failures_families() {
    let s = workload_summary();
    let peers: Vec<(&str, u64)> = s.peers.iter().map(|p| (p.peer.as_str(), p.accepts)).collect();
    assert_eq!(
        peers,
        [
            ("192.168.1.10", 10),
            ("192.168.1.11", 10),
            ("192.168.1.12", 10),
            ("192.168.1.13", 10),
            ("203.0.113.7", 5),
            // IPv4-mapped peers are shown as IPv4.
            ("192.168.2.20", 4),
            ("127.0.0.1", 2),
            ("::1", 1),
            ("2001:db8:1::5", 1),
            ("2001:db8:1::6", 1),
            ("2001:db8:2::9", 1),
        ]
    );
    let networks: Vec<(&str, u64)> =
        s.peer_networks.iter().map(|n| (n.network.as_str(), n.accepts)).collect();
    assert_eq!(
        networks,
        [
            ("192.168.1.0/24", 40),
            ("203.0.113.0/24", 5),
            ("192.168.2.0/24", 4),
            ("loopback", 3),
            ("2001:db8:1::/64", 2),
            ("2001:db8:2::/64", 1),
        ]
    );
    let failures: Vec<(i32, &str, u64)> =
        s.failures.iter().map(|f| (f.errno, f.name.as_str(), f.count)).collect();
    assert_eq!(failures, [(24, "EMFILE", 3), (103, "ECONNABORTED", 2)]);
    let families: Vec<(&str, u64)> = s.families.iter().map(|f| (f.family.as_str(), f.events)).collect();
    assert_eq!(families, [("AF_INET", 57), ("AF_INET6", 8), ("AF_UNIX", 6)]);
}

#[test]
fn rate_per_second_with_its_peak() {
    let s = workload_summary();
    assert_eq!(s.rate.bucket_seconds, 1);
    assert_eq!(s.rate.buckets.len(), 58); // seconds 0..=57, empty ones included
    assert_eq!(s.rate.buckets.iter().map(|b| b.events).sum::<u64>(), 71);
    assert_eq!(s.rate.buckets.iter().map(|b| b.accepts).sum::<u64>(), 61);
    // Second 10: nginx, sshd and app-server each accept once (the security check is not an accept).
    let peak = s.rate.peak.clone().unwrap();
    assert_eq!((peak.start.as_str(), peak.accepts, peak.events), ("2026-01-01T00:00:10Z", 3, 4));
    assert_eq!(s.rate.buckets[10], peak);
    let quiet = &s.rate.buckets[45]; // between the last failure (44.5) and the IPv6 accepts (50.1)
    assert_eq!((quiet.events, quiet.accepts), (0, 0));
}

#[test]
fn minute_buckets() {
    let recording = recording(&Run::default());
    let options = SummaryOptions { bucket_seconds: Some(60), threads: 2 };
    let s = summarize(&[Source::new(&recording, "run.trc")], &FilterSpec::default(), &options).unwrap().0;
    assert_eq!(s.rate.bucket_seconds, 60);
    assert_eq!(s.rate.buckets.len(), 1);
    assert_eq!((s.rate.buckets[0].events, s.rate.buckets[0].accepts, s.rate.buckets[0].failed), (71, 61, 5));
}

#[test]
fn drops_come_from_loss_records_in_range() {
    let run = Run::default();
    let bytes = write(&run.header("web-1"), &run.events(), 8, &[(run.ts(5_000), 7), (run.ts(50_000), 2)]);
    let recording = Recording::from_vec(bytes).unwrap();
    let s = summary_of(&recording);
    assert_eq!(s.drops, Drops { lost: 9, loss_records: 2, filtered_at_capture: 0 });
    let spec = FilterSpec { until: Some("+10s".parse().unwrap()), ..Default::default() };
    let s = summarize(&[Source::new(&recording, "r")], &spec, &SummaryOptions::default()).unwrap().0;
    assert_eq!((s.drops.lost, s.drops.loss_records), (7, 1));
    assert_eq!(s.filter, "--until +10s");
}

#[test]
fn rotated_files_add_up_and_relative_times_count_from_the_first() {
    let run = Run::default();
    let events = run.events();
    let header = run.header("web-1");
    let first = Recording::from_vec(write(&header, &events[..30], 8, &[])).unwrap();
    let second_header =
        crate::format::Header { started_wall_ns: run.wall_start + 20 * SEC, rotation_seq: 1, ..header };
    let second = Recording::from_vec(write(&second_header, &events[30..], 8, &[])).unwrap();
    let sources = [Source::new(&first, "run.0.trc"), Source::new(&second, "run.1.trc")];
    let (whole, _) = summarize(&sources, &FilterSpec::default(), &SummaryOptions::default()).unwrap();
    let mut expected = workload_summary();
    expected.sources = vec!["run.0.trc".into(), "run.1.trc".into()];
    assert_eq!(whole, expected);
    // +50s is 50 s after the first file's start, not the second's.
    let spec = FilterSpec { since: Some("+50s".parse().unwrap()), ..Default::default() };
    let (late, _) = summarize(&sources, &spec, &SummaryOptions::default()).unwrap();
    assert_eq!(late.totals.events, 8);
}

#[test]
fn json_round_trips_and_is_stable() {
    let s = workload_summary();
    let json = s.to_json();
    assert_eq!(Summary::from_json(&json).unwrap(), s);
    assert_eq!(workload_summary().to_json(), json);
    assert!(json.starts_with("{\n  \"kind\": \"accept-rec summary\",\n  \"version\": 1,"));
    assert!(!json.contains("truncated_to"));
    let top = s.top(2);
    assert_eq!((top.listeners.len(), top.peers.len(), top.truncated_to), (2, 2, Some(2)));
    assert_eq!(Summary::from_json(&top.to_json()).unwrap(), top);
}

#[test]
fn foreign_json_is_refused() {
    assert!(
        Summary::from_json("{\"kind\": \"something else\"}")
            .unwrap_err()
            .to_string()
            .contains("not a saved summary")
    );
    assert!(Summary::from_json("[1, 2]").is_err());
    let future = workload_summary().to_json().replace("\"version\": 1", "\"version\": 99");
    assert!(Summary::from_json(&future).unwrap_err().to_string().contains("version 99"));
}

#[test]
fn network_grouping() {
    let net = |ip: &str| peer_network(ip.parse().unwrap());
    assert_eq!(net("10.1.2.3"), "10.1.2.0/24");
    assert_eq!(net("::ffff:10.1.2.3"), "10.1.2.0/24");
    assert_eq!(net("127.0.0.53"), "loopback");
    assert_eq!(net("::1"), "loopback");
    assert_eq!(net("2001:db8:aa:bb:1:2:3:4"), "2001:db8:aa:bb::/64");
}

#[test]
fn text_is_aligned_and_complete() {
    let s = workload_summary();
    let text = render_text(&s, None, 3);
    assert!(text.contains("Events       71 (accepted 61, failed 5, security checks 5)"), "{text}");
    assert!(text.contains("Listeners (top 3 of 8)"), "{text}");
    assert!(text.contains("  10.0.0.1:80    AF_INET        40       5       0  nginx[1001]\n"), "{text}");
    assert!(text.contains("EMFILE (24)"), "{text}");
    assert!(text.contains("peak 3 accepts in the second from 2026-01-01T00:00:10Z"), "{text}");
    assert!(text.lines().all(|l| l == l.trim_end()));
    let networks = render_text(&s, Some(Breakdown::Network), 10);
    assert!(
        networks.contains("Peer networks\n  NETWORK          ACCEPTED\n  192.168.1.0/24         40\n"),
        "{networks}"
    );
    assert!(!networks.contains("Listeners"));
}

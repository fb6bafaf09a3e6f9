//! Every filter option, on the synthetic workload, through the same path
//! the commands use: anchored spec, per-recording matcher, block selection.

use super::workload::*;
use crate::analysis::source::{Source, anchor_relative_times};
use crate::analysis::{BlockSelection, ScanStats};
use crate::format::filter::{Cidr, Outcome, TimeBound, parse_family};
use crate::format::{EventKind, FilterSpec};

fn matching(spec: &FilterSpec) -> (usize, ScanStats) {
    let run = Run::default();
    let recording = recording(&run);
    let source = Source::new(&recording, "run.trc");
    let anchored = anchor_relative_times(spec, recording.header.started_wall_ns);
    let matcher = source.matcher(&anchored);
    // The plain matcher over every event agrees with the block-selecting reader.
    assert_eq!(read_all(&recording), run.events());
    let direct = read_all(&recording).iter().filter(|e| matcher.matches(e)).count();
    let selection = BlockSelection::new(&recording, &matcher);
    let mut events = selection.matching_events(&matcher);
    let via_blocks = events.by_ref().map(Result::unwrap).count();
    assert_eq!(direct, via_blocks, "{spec}");
    (via_blocks, events.stats())
}

fn count(spec: FilterSpec) -> usize {
    matching(&spec).0
}

fn cidrs(list: &[&str]) -> Vec<Cidr> {
    list.iter().map(|c| c.parse().unwrap()).collect()
}

fn time(s: &str) -> Option<TimeBound> {
    Some(s.parse().unwrap())
}

#[test]
fn empty_filter_passes_everything() {
    assert_eq!(count(FilterSpec::default()), 71);
}

#[test]
fn event_kinds() {
    assert_eq!(count(FilterSpec { events: vec![EventKind::SecuritySocketAccept], ..Default::default() }), 5);
    assert_eq!(count(FilterSpec { events: vec![EventKind::SocketAccept], ..Default::default() }), 66);
}

#[test]
fn process_identity() {
    let run = Run::default();
    assert_eq!(count(FilterSpec { pids: vec![run.pid(2)], ..Default::default() }), 10);
    assert_eq!(count(FilterSpec { pids: vec![run.pid(2), run.pid(5)], ..Default::default() }), 13);
    // nginx's second thread took the odd-numbered accepts.
    assert_eq!(count(FilterSpec { tids: vec![run.pid(10)], ..Default::default() }), 20);
    assert_eq!(count(FilterSpec { uids: vec![33], ..Default::default() }), 45);
    assert_eq!(count(FilterSpec { cgroups: vec![103], ..Default::default() }), 6);
}

#[test]
fn comm_exact_and_glob() {
    let comms = |list: &[&str]| {
        count(FilterSpec { comms: list.iter().map(|c| c.to_string()).collect(), ..Default::default() })
    };
    assert_eq!(comms(&["envoy"]), 7);
    assert_eq!(comms(&["ngin*"]), 45);
    assert_eq!(comms(&["?shd"]), 10);
    assert_eq!(comms(&["*-server"]), 9);
    assert_eq!(comms(&["envoy", "redis*"]), 10);
    assert_eq!(comms(&["nginx?"]), 0);
    assert_eq!(comms(&["*"]), 71);
}

#[test]
fn ports() {
    assert_eq!(count(FilterSpec { ports: vec![22], ..Default::default() }), 10);
    assert_eq!(count(FilterSpec { lports: vec![6379], ..Default::default() }), 3);
    assert_eq!(count(FilterSpec { lports: vec![80, 443], ..Default::default() }), 48);
    // The first nginx client port is 40000; it appears as a remote port only.
    assert_eq!(count(FilterSpec { rports: vec![40_000], ..Default::default() }), 1);
    assert_eq!(count(FilterSpec { lports: vec![40_000], ..Default::default() }), 0);
    assert_eq!(count(FilterSpec { ports: vec![40_000], ..Default::default() }), 1);
}

#[test]
fn addresses_and_ipv4_mapped() {
    let laddr = |list: &[&str]| count(FilterSpec { laddrs: cidrs(list), ..Default::default() });
    let raddr = |list: &[&str]| count(FilterSpec { raddrs: cidrs(list), ..Default::default() });
    // 10.0.0.0/8 also matches envoy's dual-stack [::ffff:10.0.0.1]:8080.
    assert_eq!(laddr(&["10.0.0.0/8"]), 45 + 5 + 4);
    assert_eq!(laddr(&["10.0.0.1"]), 54);
    assert_eq!(laddr(&["2001:db8::/32"]), 3);
    assert_eq!(raddr(&["192.168.0.0/16"]), 40 + 4);
    assert_eq!(raddr(&["192.168.1.12/32"]), 10);
    assert_eq!(raddr(&["::1"]), 1);
    assert_eq!(raddr(&["127.0.0.0/8", "::1/128"]), 3);
    assert_eq!(raddr(&["2001:db8:1::/64"]), 2);
    // Unix sockets and failed accepts have no IP address, so an address filter drops them.
    assert_eq!(raddr(&["0.0.0.0/0"]), 40 + 5 + 4 + 2);
}

#[test]
fn families() {
    let family = |names: &[&str]| {
        count(FilterSpec {
            families: names.iter().map(|n| parse_family(n).unwrap()).collect(),
            ..Default::default()
        })
    };
    assert_eq!(family(&["inet"]), 57);
    assert_eq!(family(&["inet6"]), 8);
    assert_eq!(family(&["unix"]), 6);
    assert_eq!(family(&["inet", "unix"]), 63);
}

#[test]
fn outcome() {
    assert_eq!(count(FilterSpec { outcome: Outcome::Failed, ..Default::default() }), 5);
    // Security checks return 0, so they count as ok.
    assert_eq!(count(FilterSpec { outcome: Outcome::Ok, ..Default::default() }), 66);
}

#[test]
fn time_range_absolute() {
    // 2026-01-01T00:00:50Z is 50 s after the start: sshd 50.2 and 50.25, envoy 50.1-52.1, redis 55-57.
    assert_eq!(count(FilterSpec { since: time("2026-01-01T00:00:50Z"), ..Default::default() }), 8);
    // The same instant written with an offset.
    assert_eq!(count(FilterSpec { since: time("2026-01-01T01:00:50+01:00"), ..Default::default() }), 8);
    // --until is inclusive: the 57 s redis accept is the last event.
    assert_eq!(count(FilterSpec { until: time("2026-01-01T00:00:56.999999999Z"), ..Default::default() }), 70);
    assert_eq!(count(FilterSpec { until: time("2026-01-01T00:00:57Z"), ..Default::default() }), 71);
    let both = FilterSpec {
        since: time("2026-01-01T00:00:40Z"),
        until: time("2026-01-01T00:00:45Z"),
        ..Default::default()
    };
    assert_eq!(count(both), 7);
}

#[test]
fn time_range_relative() {
    // Up to and including 10 s: nginx 0..=10, envoy 1.75-4.75, app 5.5.
    assert_eq!(count(FilterSpec { until: time("+10s"), ..Default::default() }), 16);
    // 40.2 and 40.25 (sshd), then the five nginx failures.
    assert_eq!(count(FilterSpec { since: time("+40s"), until: time("+45s"), ..Default::default() }), 7);
    assert_eq!(count(FilterSpec { since: time("+1h"), ..Default::default() }), 0);
}

#[test]
fn options_combine() {
    let run = Run::default();
    let spec = FilterSpec {
        comms: vec!["nginx".into()],
        outcome: Outcome::Failed,
        since: time("+42s"),
        ..Default::default()
    };
    assert_eq!(count(spec), 3);
    let spec =
        FilterSpec { pids: vec![run.pid(4)], raddrs: cidrs(&["192.168.2.0/24"]), ..Default::default() };
    assert_eq!(count(spec), 4);
}

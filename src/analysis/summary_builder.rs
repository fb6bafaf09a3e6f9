//! Building a [`Summary`]: a per-thread tally of events, merged across
//! threads and recordings, then sorted into rows.
//!
//! Everything time-related is kept in wall-clock nanoseconds, so tallies of
//! recordings with different clocks (rotated files, several hosts) merge.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::error::AnalysisError;
use super::scan::{BlockSelection, ScanStats};
use super::source::{Source, anchor_relative_times, set_start_wall_ns};
use super::summary::{
    Drops, ErrnoRow, FamilyRow, ListenerRow, MAX_LISTED_PIDS, NetworkRow, PeerRow, ProcessRef, ProcessRow,
    Rate, RateBucket, SUMMARY_KIND, SUMMARY_VERSION, Summary, TimeSpan, Totals,
};
use super::summary_tally::Tally;
use crate::format::errno::errno_name;
use crate::format::filter::{Matcher, format_rfc3339};
use crate::format::{EventKind, FilterSpec, SockAddr, TimeAnchor};

/// Recordings spanning at most this long get per-second rate buckets, longer ones per-minute.
pub const PER_SECOND_UP_TO_SECS: u64 = 600;

/// How to build a summary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SummaryOptions {
    /// Rate bucket width; `None` picks seconds or minutes from the time span.
    pub bucket_seconds: Option<u64>,
    /// Threads that decode blocks.
    pub threads: usize,
}

impl Default for SummaryOptions {
    fn default() -> Self {
        SummaryOptions { bucket_seconds: None, threads: 1 }
    }
}

/// Summarizes the events of `sources` that pass `spec`.
pub fn summarize(
    sources: &[Source<'_>],
    spec: &FilterSpec,
    options: &SummaryOptions,
) -> Result<(Summary, ScanStats), AnalysisError> {
    let spec_anchored = anchor_relative_times(spec, set_start_wall_ns(sources));
    let matchers: Vec<Matcher> = sources.iter().map(|s| s.matcher(&spec_anchored)).collect();
    let selections: Vec<BlockSelection<'_>> =
        sources.iter().zip(&matchers).map(|(s, m)| BlockSelection::new(s.recording, m)).collect();
    let bucket_ns =
        options.bucket_seconds.unwrap_or_else(|| auto_bucket_seconds(&selections, &matchers)).max(1)
            * 1_000_000_000;
    let mut total = Tally::new(TimeAnchor::default(), bucket_ns);
    let mut stats = ScanStats::default();
    for ((source, matcher), selection) in sources.iter().zip(&matchers).zip(&selections) {
        let clock = source.recording.header.clock;
        let (tally, scanned) = selection
            .fold(matcher, options.threads, || Tally::new(clock, bucket_ns), Tally::add, Tally::merge)
            .map_err(AnalysisError::reading(source.label))?;
        total.merge(tally);
        stats.add(scanned);
    }
    let mut summary = into_summary(total);
    describe_sources(&mut summary, sources, &matchers, spec);
    Ok((summary, stats))
}

/// Per second for short recordings, per minute for long ones, judged from the block index.
fn auto_bucket_seconds(selections: &[BlockSelection<'_>], matchers: &[Matcher]) -> u64 {
    let walls = selections.iter().zip(matchers).filter_map(|(selection, matcher)| {
        let (min, max) = selection.ts_range()?;
        let clock = selection.recording().header.clock;
        Some((clock.to_wall(min.max(matcher.since_ts)), clock.to_wall(max.min(matcher.until_ts))))
    });
    let (first, last) = walls.fold((i128::MAX, i128::MIN), |(a, b), (min, max)| (a.min(min), b.max(max)));
    if last <= first || last - first <= i128::from(PER_SECOND_UP_TO_SECS) * 1_000_000_000 { 1 } else { 60 }
}

fn describe_sources(summary: &mut Summary, sources: &[Source<'_>], matchers: &[Matcher], spec: &FilterSpec) {
    summary.sources = sources.iter().map(|s| s.label.to_string()).collect();
    let mut hosts = BTreeSet::new();
    let mut captured = BTreeSet::new();
    for (source, matcher) in sources.iter().zip(matchers) {
        let recording = source.recording;
        let header = &recording.header;
        hosts.extend(header.hosts.iter().map(|h| h.hostname.clone()).filter(|h| !h.is_empty()));
        captured.extend(EventKind::ALL.into_iter().filter(|k| header.captures(*k)));
        summary.include_eagain |= header.include_eagain;
        for loss in &recording.losses {
            if (matcher.since_ts..=matcher.until_ts).contains(&loss.ts_ns) {
                summary.drops.lost = summary.drops.lost.saturating_add(loss.lost);
                summary.drops.loss_records += 1;
            }
        }
        summary.drops.filtered_at_capture += recording.stats.map_or(0, |s| s.filtered);
    }
    summary.hosts = hosts.into_iter().collect();
    summary.captured_events = captured.into_iter().map(|k| k.name().to_string()).collect();
    summary.filter = spec.to_string();
}

/// Sorts a finished tally into the rows of a summary (its metadata is filled in by the caller).
fn into_summary(tally: Tally) -> Summary {
    let mut listeners: Vec<ListenerRow> = tally
        .listeners
        .into_iter()
        .map(|(addr, tally)| {
            let mut processes: Vec<ProcessRef> = tally
                .owners
                .into_iter()
                .map(|(comm, (pids, events))| ProcessRef {
                    comm: comm.to_string_lossy(),
                    pid_count: pids.len() as u64,
                    pids: pids.into_iter().take(MAX_LISTED_PIDS).collect(),
                    events,
                })
                .collect();
            processes.sort_by(|a, b| b.events.cmp(&a.events).then_with(|| a.comm.cmp(&b.comm)));
            ListenerRow {
                listener: addr.to_string(),
                family: addr.family_name(),
                accepts: tally.counts.accepts,
                failed: tally.counts.failed,
                security_checks: tally.counts.security_checks,
                processes,
            }
        })
        .collect();
    listeners.sort_by(|a, b| {
        let total = |r: &ListenerRow| r.accepts + r.failed + r.security_checks;
        total(b).cmp(&total(a)).then_with(|| a.listener.cmp(&b.listener))
    });
    let mut processes: Vec<(u64, ProcessRow)> = tally
        .processes
        .into_iter()
        .map(|(comm, tally)| {
            let row = ProcessRow {
                comm: comm.to_string_lossy(),
                pid_count: tally.pids.len() as u64,
                pids: tally.pids.into_iter().take(MAX_LISTED_PIDS).collect(),
                accepts: tally.counts.accepts,
                failed: tally.counts.failed,
                security_checks: tally.counts.security_checks,
                listeners: tally.listeners.iter().map(SockAddr::to_string).collect(),
            };
            (tally.counts.total(), row)
        })
        .collect();
    processes.sort_by(|(a_total, a), (b_total, b)| b_total.cmp(a_total).then_with(|| a.comm.cmp(&b.comm)));
    let mut networks: HashMap<String, u64> = HashMap::new();
    for (ip, accepts) in &tally.peers {
        *networks.entry(peer_network(*ip)).or_default() += accepts;
    }
    let mut peers: Vec<(IpAddr, u64)> = tally.peers.into_iter().collect();
    peers.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let mut failures: Vec<ErrnoRow> = tally
        .errnos
        .into_iter()
        .map(|(errno, count)| ErrnoRow { errno, name: errno_name(errno), count })
        .collect();
    failures.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.errno.cmp(&b.errno)));
    let mut families: Vec<FamilyRow> = tally
        .families
        .into_iter()
        .map(|(family, events)| FamilyRow { family: SockAddr::Other { family }.family_name(), events })
        .collect();
    families.sort_by(|a, b| b.events.cmp(&a.events).then_with(|| a.family.cmp(&b.family)));
    let span = (tally.first_wall <= tally.last_wall).then(|| TimeSpan {
        first_ns: wall_u64(tally.first_wall),
        first: format_rfc3339(tally.first_wall),
        last_ns: wall_u64(tally.last_wall),
        last: format_rfc3339(tally.last_wall),
        duration_ns: wall_u64(tally.last_wall - tally.first_wall),
    });
    Summary {
        kind: SUMMARY_KIND.to_string(),
        version: SUMMARY_VERSION,
        sources: Vec::new(),
        hosts: Vec::new(),
        filter: String::new(),
        captured_events: Vec::new(),
        include_eagain: false,
        span,
        totals: Totals {
            events: tally.counts.total(),
            accepts: tally.counts.accepts,
            failed: tally.counts.failed,
            security_checks: tally.counts.security_checks,
        },
        drops: Drops::default(),
        listeners,
        processes: processes.into_iter().map(|(_, row)| row).collect(),
        peers: peers.into_iter().map(|(ip, accepts)| PeerRow { peer: ip.to_string(), accepts }).collect(),
        peer_networks: ranked(networks)
            .into_iter()
            .map(|(network, accepts)| NetworkRow { network, accepts })
            .collect(),
        failures,
        families,
        rate: rate(&tally.buckets, tally.bucket_ns),
        truncated_to: None,
    }
}

/// The network a peer belongs to: `loopback`, an IPv4 /24 or an IPv6 /64.
/// IPv4-mapped IPv6 addresses count as IPv4.
pub fn peer_network(ip: IpAddr) -> String {
    match ip.to_canonical() {
        ip if ip.is_loopback() => "loopback".to_string(),
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            format!("{}/24", Ipv4Addr::new(a, b, c, 0))
        }
        IpAddr::V6(v6) => {
            let prefix = u128::from(v6) & !((1u128 << 64) - 1);
            format!("{}/64", Ipv6Addr::from(prefix))
        }
    }
}

fn rate(buckets: &BTreeMap<i128, [u64; 3]>, bucket_ns: u64) -> Rate {
    let width = i128::from(bucket_ns);
    let (Some(first), Some(last)) = (buckets.keys().next(), buckets.keys().next_back()) else {
        return Rate { bucket_seconds: bucket_ns / 1_000_000_000, ..Rate::default() };
    };
    let rows: Vec<RateBucket> = (*first..=*last)
        .map(|n| {
            let [events, accepts, failed] = buckets.get(&n).copied().unwrap_or_default();
            let start = n * width;
            RateBucket {
                start_ns: wall_u64(start),
                start: format_rfc3339_seconds(start),
                events,
                accepts,
                failed,
            }
        })
        .collect();
    let peak = rows.iter().filter(|b| b.accepts > 0).fold(None::<&RateBucket>, |best, b| match best {
        Some(best) if best.accepts >= b.accepts => Some(best),
        _ => Some(b),
    });
    Rate { bucket_seconds: bucket_ns / 1_000_000_000, peak: peak.cloned(), buckets: rows }
}

fn format_rfc3339_seconds(wall_ns: i128) -> String {
    let secs = wall_ns.div_euclid(1_000_000_000).clamp(0, i128::from(u64::MAX)) as u64;
    humantime::format_rfc3339_seconds(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs))
        .to_string()
}

fn wall_u64(ns: i128) -> u64 {
    ns.clamp(0, i128::from(u64::MAX)) as u64
}

/// `(key, count)` pairs, largest count first, then by key.
fn ranked(map: HashMap<String, u64>) -> Vec<(String, u64)> {
    let mut rows: Vec<(String, u64)> = map.into_iter().collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    rows
}

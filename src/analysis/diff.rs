//! Comparing two runs for CI: behaviour, not noise.
//!
//! Both sides are [`Summary`] values, so the baseline can be a recording or a
//! saved summary. A summary already leaves out what changes from run to run
//! (pids, fds, timestamps, client ports); what is compared is the set of
//! listeners, the processes that accept, the peer networks, the errnos, and
//! per-listener counts within a tolerance.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::error::AnalysisError;
use super::summary::{ErrnoRow, ListenerRow, NetworkRow, ProcessRow, Summary};

/// How far a count may move before it counts as a change.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tolerance {
    /// Percent of the baseline count (`10%`).
    Percent(f64),
    /// An absolute number of events (`5`).
    Count(u64),
}

impl Default for Tolerance {
    fn default() -> Self {
        Tolerance::Percent(10.0)
    }
}

impl Tolerance {
    /// Whether going from `baseline` to `current` stays within the tolerance.
    pub fn allows(self, baseline: u64, current: u64) -> bool {
        let change = baseline.abs_diff(current);
        match self {
            Tolerance::Count(n) => change <= n,
            Tolerance::Percent(p) => change as f64 <= baseline as f64 * p / 100.0,
        }
    }
}

impl FromStr for Tolerance {
    type Err = String;

    fn from_str(s: &str) -> Result<Tolerance, String> {
        let bad = || format!("{s:?} is not a tolerance; use a percentage (10%) or an event count (5)");
        match s.strip_suffix('%') {
            Some(p) => {
                let p: f64 = p.trim().parse().map_err(|_| bad())?;
                if p.is_finite() && p >= 0.0 { Ok(Tolerance::Percent(p)) } else { Err(bad()) }
            }
            None => s.trim().parse().map(Tolerance::Count).map_err(|_| bad()),
        }
    }
}

impl fmt::Display for Tolerance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Tolerance::Percent(p) => write!(f, "{p}%"),
            Tolerance::Count(n) => write!(f, "{n} events"),
        }
    }
}

/// What changed between a baseline and a current run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DiffReport {
    /// No changes beyond the tolerance.
    pub same: bool,
    pub tolerance: Tolerance,
    pub listeners_added: Vec<ListenerChange>,
    pub listeners_removed: Vec<ListenerChange>,
    pub processes_added: Vec<ProcessChange>,
    pub processes_removed: Vec<ProcessChange>,
    pub new_peer_networks: Vec<NetworkRow>,
    pub new_failures: Vec<ErrnoRow>,
    /// Per-listener counts that moved more than the tolerance allows.
    pub count_changes: Vec<CountChange>,
    /// Caveats that do not make the runs differ: drops, different filters or captured events.
    pub notes: Vec<String>,
}

/// A listener only one side has.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListenerChange {
    pub listener: String,
    pub family: String,
    /// Names of the processes seen on it.
    pub processes: Vec<String>,
    pub accepts: u64,
    pub failed: u64,
    pub security_checks: u64,
}

/// A process name only one side has.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessChange {
    pub comm: String,
    pub listeners: Vec<String>,
    pub accepts: u64,
    pub failed: u64,
}

/// A count on a listener both sides have.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountChange {
    pub listener: String,
    /// `accepted`, `failed` or `security_checks`.
    pub count: String,
    pub baseline: u64,
    pub current: u64,
}

impl DiffReport {
    /// Number of changes beyond the tolerance.
    pub fn change_count(&self) -> usize {
        self.listeners_added.len()
            + self.listeners_removed.len()
            + self.processes_added.len()
            + self.processes_removed.len()
            + self.new_peer_networks.len()
            + self.new_failures.len()
            + self.count_changes.len()
    }

    pub fn to_json(&self) -> String {
        let mut json = serde_json::to_string_pretty(self).unwrap_or_default();
        json.push('\n');
        json
    }
}

/// Compares `current` against `baseline`.
pub fn compare(
    baseline: &Summary,
    current: &Summary,
    tolerance: Tolerance,
) -> Result<DiffReport, AnalysisError> {
    if let Some(n) = baseline.truncated_to {
        return Err(AnalysisError::TruncatedBaseline(n));
    }
    let base_listeners = by_key(&baseline.listeners, |l| &l.listener);
    let cur_listeners = by_key(&current.listeners, |l| &l.listener);
    let base_procs = by_key(&baseline.processes, |p| &p.comm);
    let cur_procs = by_key(&current.processes, |p| &p.comm);
    let base_networks: BTreeSet<&str> = baseline.peer_networks.iter().map(|n| n.network.as_str()).collect();
    let base_errnos: BTreeSet<i32> = baseline.failures.iter().map(|f| f.errno).collect();

    let mut count_changes = Vec::new();
    for (key, cur) in &cur_listeners {
        let Some(base) = base_listeners.get(key) else { continue };
        for (count, b, c) in [
            ("accepted", base.accepts, cur.accepts),
            ("failed", base.failed, cur.failed),
            ("security_checks", base.security_checks, cur.security_checks),
        ] {
            if !tolerance.allows(b, c) {
                count_changes.push(CountChange {
                    listener: key.to_string(),
                    count: count.into(),
                    baseline: b,
                    current: c,
                });
            }
        }
    }
    let mut report = DiffReport {
        same: false,
        tolerance,
        listeners_added: only_in(&cur_listeners, &base_listeners).map(listener_change).collect(),
        listeners_removed: only_in(&base_listeners, &cur_listeners).map(listener_change).collect(),
        processes_added: only_in(&cur_procs, &base_procs).map(process_change).collect(),
        processes_removed: only_in(&base_procs, &cur_procs).map(process_change).collect(),
        new_peer_networks: current
            .peer_networks
            .iter()
            .filter(|n| !base_networks.contains(n.network.as_str()))
            .cloned()
            .collect(),
        new_failures: current.failures.iter().filter(|f| !base_errnos.contains(&f.errno)).cloned().collect(),
        count_changes,
        notes: notes(baseline, current),
    };
    report.same = report.change_count() == 0;
    Ok(report)
}

fn by_key<'a, T>(rows: &'a [T], key: impl Fn(&'a T) -> &'a String) -> BTreeMap<&'a str, &'a T> {
    rows.iter().map(|row| (key(row).as_str(), row)).collect()
}

/// Rows of `a` whose key `b` lacks, in key order.
fn only_in<'a, T>(
    a: &'a BTreeMap<&'a str, &'a T>,
    b: &'a BTreeMap<&'a str, &'a T>,
) -> impl Iterator<Item = &'a T> + 'a {
    a.iter().filter(|(key, _)| !b.contains_key(*key)).map(|(_, row)| *row)
}

fn listener_change(row: &ListenerRow) -> ListenerChange {
    ListenerChange {
        listener: row.listener.clone(),
        family: row.family.clone(),
        processes: row.processes.iter().map(|p| p.comm.clone()).collect(),
        accepts: row.accepts,
        failed: row.failed,
        security_checks: row.security_checks,
    }
}

fn process_change(row: &ProcessRow) -> ProcessChange {
    ProcessChange {
        comm: row.comm.clone(),
        listeners: row.listeners.clone(),
        accepts: row.accepts,
        failed: row.failed,
    }
}

fn notes(baseline: &Summary, current: &Summary) -> Vec<String> {
    let mut notes = Vec::new();
    for (side, s) in [("baseline", baseline), ("current", current)] {
        if s.drops.lost > 0 {
            notes.push(format!(
                "the {side} run lost {} events to full ring buffers; its counts are low",
                s.drops.lost
            ));
        }
    }
    if baseline.filter != current.filter {
        notes.push(format!(
            "the sides were filtered differently: baseline {:?}, current {:?}",
            baseline.filter, current.filter
        ));
    }
    if baseline.captured_events != current.captured_events {
        notes.push(format!(
            "the recorders captured different events: baseline {}, current {}",
            list_or_none(&baseline.captured_events),
            list_or_none(&current.captured_events)
        ));
    }
    if baseline.include_eagain != current.include_eagain {
        notes.push("only one side captured accepts that failed with EAGAIN".into());
    }
    notes
}

fn list_or_none(items: &[String]) -> String {
    if items.is_empty() { "none".into() } else { items.join(",") }
}

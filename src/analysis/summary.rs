//! The answer to "what accepted what": [`Summary`], a plain data value that
//! serializes to stable JSON and reads back, so a saved summary can serve as
//! a `diff` baseline.
//!
//! Stability: fields keep this order, every list is sorted (largest count
//! first, then by name), and there are no floats or maps, so one recording
//! always gives byte-identical JSON. Building one: `summary_builder`.

use serde::{Deserialize, Serialize};

use super::error::AnalysisError;

/// The `kind` field every summary carries; `diff` recognises saved summaries by it.
pub const SUMMARY_KIND: &str = "accept-rec summary";
/// Bumped when a field changes meaning; new fields may appear without a bump.
pub const SUMMARY_VERSION: u32 = 1;
/// Process rows list at most this many pids; `pid_count` has the full number.
pub const MAX_LISTED_PIDS: usize = 16;

/// Everything `summary` reports about a set of recordings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Always [`SUMMARY_KIND`].
    pub kind: String,
    pub version: u32,
    /// The recordings summarized (their labels, usually paths).
    pub sources: Vec<String>,
    /// Host names of the recording machines, deduplicated.
    pub hosts: Vec<String>,
    /// The filter applied while summarizing, in command-line form.
    pub filter: String,
    /// The event kinds the recorders captured (from the headers).
    pub captured_events: Vec<String>,
    /// Whether any recorder captured failed accepts with EAGAIN.
    pub include_eagain: bool,
    /// First and last matching event; `None` when nothing matched.
    pub span: Option<TimeSpan>,
    pub totals: Totals,
    pub drops: Drops,
    pub listeners: Vec<ListenerRow>,
    pub processes: Vec<ProcessRow>,
    /// Remote addresses of successful accepts, without ports.
    pub peers: Vec<PeerRow>,
    /// The same peers grouped: /24 for IPv4, /64 for IPv6, `loopback` for both loopbacks.
    pub peer_networks: Vec<NetworkRow>,
    /// Failed accepts by errno.
    pub failures: Vec<ErrnoRow>,
    /// Events by the local address's family.
    pub families: Vec<FamilyRow>,
    pub rate: Rate,
    /// Set when the ranked lists were cut to the top N rows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub truncated_to: Option<usize>,
}

/// Wall-clock times of the first and last matching events.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeSpan {
    /// Nanoseconds since the Unix epoch.
    pub first_ns: u64,
    /// The same instant in RFC 3339 (UTC).
    pub first: String,
    pub last_ns: u64,
    pub last: String,
    pub duration_ns: u64,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    /// Every matching event.
    pub events: u64,
    /// `socket_accept` that returned a new fd.
    pub accepts: u64,
    /// `socket_accept` that returned an error.
    pub failed: u64,
    /// `security_socket_accept` events.
    pub security_checks: u64,
}

/// Events the recorders could not deliver.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Drops {
    /// Events the kernel dropped (ring buffer full) inside the time range;
    /// drops cannot be attributed to a process, so other filters do not apply.
    pub lost: u64,
    /// Loss records those drops were reported in.
    pub loss_records: u64,
    /// Events rejected by the recorders' own user-space filters.
    pub filtered_at_capture: u64,
}

/// One local endpoint that accepted: `10.0.0.1:80`, `[::1]:443`, `/run/app.sock`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListenerRow {
    pub listener: String,
    pub family: String,
    pub accepts: u64,
    pub failed: u64,
    pub security_checks: u64,
    /// The processes whose events name this endpoint.
    pub processes: Vec<ProcessRef>,
}

/// A process seen on a listener.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessRef {
    pub comm: String,
    /// The smallest [`MAX_LISTED_PIDS`] pids.
    pub pids: Vec<u32>,
    pub pid_count: u64,
    pub events: u64,
}

/// One process name and what it accepted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessRow {
    pub comm: String,
    pub pids: Vec<u32>,
    pub pid_count: u64,
    pub accepts: u64,
    pub failed: u64,
    pub security_checks: u64,
    pub listeners: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerRow {
    pub peer: String,
    pub accepts: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkRow {
    pub network: String,
    pub accepts: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrnoRow {
    pub errno: i32,
    pub name: String,
    pub count: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FamilyRow {
    pub family: String,
    pub events: u64,
}

/// Events over time, in wall-clock buckets aligned to whole seconds or minutes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rate {
    pub bucket_seconds: u64,
    /// Every bucket from the first event's to the last's, empty ones included.
    pub buckets: Vec<RateBucket>,
    /// The bucket with the most accepts (the earliest such).
    pub peak: Option<RateBucket>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateBucket {
    pub start_ns: u64,
    pub start: String,
    pub events: u64,
    pub accepts: u64,
    pub failed: u64,
}

impl Summary {
    /// Pretty JSON with a trailing newline, ready to save as a baseline.
    pub fn to_json(&self) -> String {
        // Plain structs of strings and integers always serialize.
        let mut json = serde_json::to_string_pretty(self).unwrap_or_default();
        json.push('\n');
        json
    }

    /// Reads a summary saved by [`Summary::to_json`].
    pub fn from_json(text: &str) -> Result<Summary, AnalysisError> {
        #[derive(Deserialize)]
        struct Probe {
            kind: Option<String>,
            version: Option<u32>,
        }
        let bad = |e: serde_json::Error| AnalysisError::BadSummary(e.to_string());
        let probe: Probe = serde_json::from_str(text).map_err(bad)?;
        if probe.kind.as_deref() != Some(SUMMARY_KIND) {
            return Err(AnalysisError::BadSummary(format!(
                "no \"kind\": \"{SUMMARY_KIND}\" field; make one with `accept-rec summary --format json`"
            )));
        }
        match probe.version {
            Some(SUMMARY_VERSION) => serde_json::from_str(text).map_err(bad),
            other => {
                Err(AnalysisError::SummaryVersion { found: other.unwrap_or(0), supported: SUMMARY_VERSION })
            }
        }
    }

    /// A copy whose listener, process, peer and peer-network lists keep only
    /// their first `n` rows.
    pub fn top(&self, n: usize) -> Summary {
        let mut cut = self.clone();
        let mut truncated = false;
        truncated |= truncate(&mut cut.listeners, n);
        truncated |= truncate(&mut cut.processes, n);
        truncated |= truncate(&mut cut.peers, n);
        truncated |= truncate(&mut cut.peer_networks, n);
        if truncated {
            cut.truncated_to = Some(n);
        }
        cut
    }
}

fn truncate<T>(rows: &mut Vec<T>, n: usize) -> bool {
    let longer = rows.len() > n;
    rows.truncate(n);
    longer
}

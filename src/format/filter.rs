//! The one filter language, shared by `record` (pushed into the kernel where it
//! can be), `replay`, `filter`, `summary` and `diff`, and stored in headers.
//!
//! This module holds the filter's data and its per-event predicate. Time
//! bounds are kept unresolved until a recording's clock is known.

use std::net::IpAddr;

use super::event::EventKind;

/// Whether an accept succeeded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Outcome {
    #[default]
    Any,
    Ok,
    Failed,
}

/// A point in time as the user wrote it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeBound {
    /// Wall-clock nanoseconds since the Unix epoch (RFC 3339 input).
    Wall(i128),
    /// Nanoseconds after the recording's first event (`+5s`).
    FromStart(u64),
}

/// An address prefix, `10.0.0.0/8` or `::1/128`; a bare address is a full-length prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Cidr {
    pub addr: IpAddr,
    pub prefix: u8,
}

/// Every filter option; empty lists mean "any".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FilterSpec {
    pub events: Vec<EventKind>,
    pub pids: Vec<u32>,
    pub tids: Vec<u32>,
    /// Exact names or globs with `*` and `?`.
    pub comms: Vec<String>,
    pub uids: Vec<u32>,
    pub cgroups: Vec<u64>,
    /// Either side's port.
    pub ports: Vec<u16>,
    pub lports: Vec<u16>,
    pub rports: Vec<u16>,
    pub laddrs: Vec<Cidr>,
    pub raddrs: Vec<Cidr>,
    /// `AF_*` numbers of the local address.
    pub families: Vec<u16>,
    pub outcome: Outcome,
    pub since: Option<TimeBound>,
    pub until: Option<TimeBound>,
}

impl FilterSpec {
    pub fn is_empty(&self) -> bool {
        *self == FilterSpec::default()
    }

    /// Whether the filter lets this kind of event through.
    pub fn wants(&self, kind: EventKind) -> bool {
        self.events.is_empty() || self.events.contains(&kind)
    }
}

/// Matches `text` against a glob with `*` (any run) and `?` (one byte).
pub fn glob_match(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == b'?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if let Some((sp, st)) = star {
            p = sp + 1;
            t = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|b| *b == b'*')
}

//! The recordings a question is asked of, and how one filter is resolved
//! against each of them.
//!
//! A relative time such as `+5s` counts from the start of the whole set (the
//! earliest `started_wall_ns`), so in a rotated set it means one instant,
//! not one per file.

use crate::format::filter::{Matcher, TimeBound};
use crate::format::{FilterSpec, Recording};

/// A recording and the name it goes by in errors and provenance (usually its path).
#[derive(Clone, Copy, Debug)]
pub struct Source<'r> {
    pub recording: &'r Recording,
    pub label: &'r str,
}

impl<'r> Source<'r> {
    pub fn new(recording: &'r Recording, label: &'r str) -> Source<'r> {
        Source { recording, label }
    }

    /// The matcher for this recording of a set whose relative times were
    /// already anchored with [`anchor_relative_times`].
    pub fn matcher(&self, spec: &FilterSpec) -> Matcher {
        let header = &self.recording.header;
        spec.resolve(&header.clock, header.clock.to_ts(i128::from(header.started_wall_ns)))
    }
}

/// Wall-clock start of a set of recordings: the earliest start among them.
pub fn set_start_wall_ns(sources: &[Source<'_>]) -> u64 {
    sources.iter().map(|s| s.recording.header.started_wall_ns).min().unwrap_or(0)
}

/// Rewrites `+DURATION` bounds as wall-clock times counted from `start_wall_ns`.
pub fn anchor_relative_times(spec: &FilterSpec, start_wall_ns: u64) -> FilterSpec {
    let anchor = |bound: Option<TimeBound>| {
        bound.map(|b| match b {
            TimeBound::FromStart(ns) => TimeBound::Wall(i128::from(start_wall_ns) + i128::from(ns)),
            wall => wall,
        })
    };
    FilterSpec { since: anchor(spec.since), until: anchor(spec.until), ..spec.clone() }
}

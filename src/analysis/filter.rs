//! `filter`: a new, valid recording holding the events of one recording that
//! pass a filter, with a header that says where they came from.
//!
//! The clock, hosts, hooks and capture settings are the source's, so the
//! derived file reads like the original; relative times (`+5s`) are stored
//! as the wall-clock times they meant.

use std::io::Write;

use super::error::AnalysisError;
use super::scan::{BlockSelection, ScanStats};
use super::source::{Source, anchor_relative_times};
use crate::format::{FilterSpec, Header, Stats, Writer};

/// What `filter_into` did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FilterOutcome {
    pub events_written: u64,
    /// Loss records inside the time range, copied across.
    pub losses_copied: u64,
    pub scan: ScanStats,
}

/// The header for the subset of `source` that passes `spec`.
pub fn filtered_header(source: &Source<'_>, spec: &FilterSpec, command_line: Vec<String>) -> Header {
    let original = &source.recording.header;
    let anchored = anchor_relative_times(spec, original.started_wall_ns).to_string();
    let filter = match (original.filter.is_empty(), anchored.is_empty()) {
        (true, _) => anchored,
        (false, true) => original.filter.clone(),
        // Events passed both: the recorder's filter, then this one.
        (false, false) => format!("{} && {anchored}", original.filter),
    };
    Header {
        created_by: concat!("accept-rec ", env!("CARGO_PKG_VERSION")).to_string(),
        command_line,
        filter,
        ring_size: 0,
        rotation_seq: 0,
        derived_from: vec![source.label.to_string()],
        ..original.clone()
    }
}

/// Writes the events of `source` that pass `spec`, and the loss records of
/// its time range, through `writer`, then finishes the file.
///
/// `writer` must have been made with [`filtered_header`]'s header. Only
/// blocks that overlap the time range are decoded.
pub fn filter_into<W: Write>(
    source: &Source<'_>,
    spec: &FilterSpec,
    mut writer: Writer<W>,
) -> Result<(W, FilterOutcome), AnalysisError> {
    let recording = source.recording;
    let matcher = source.matcher(&anchor_relative_times(spec, recording.header.started_wall_ns));
    let selection = BlockSelection::new(recording, &matcher);
    let in_range = |ts: u64| (matcher.since_ts..=matcher.until_ts).contains(&ts);
    let mut losses = recording.losses.iter().filter(|l| in_range(l.ts_ns)).peekable();
    let mut outcome = FilterOutcome::default();
    let mut last_ts = None;
    let mut events = selection.matching_events(&matcher);
    for event in &mut events {
        let event = event.map_err(AnalysisError::reading(source.label))?;
        // A loss frame goes after the events seen before the drops were noticed.
        while let Some(loss) = losses.next_if(|l| l.ts_ns < event.ts_ns) {
            writer.record_loss(loss.ts_ns, loss.lost).map_err(AnalysisError::Output)?;
            outcome.losses_copied += 1;
        }
        last_ts = Some(event.ts_ns);
        writer.push(event).map_err(AnalysisError::Output)?;
        outcome.events_written += 1;
    }
    outcome.scan = events.stats();
    for loss in losses {
        writer.record_loss(loss.ts_ns, loss.lost).map_err(AnalysisError::Output)?;
        outcome.losses_copied += 1;
    }
    let source_stats = recording.stats.unwrap_or_default();
    let end_ts = match recording.stats {
        Some(stats) => stats.end_ts_ns.min(matcher.until_ts),
        None => last_ts.unwrap_or(0),
    };
    let rejected = recording.event_count().saturating_sub(outcome.events_written);
    let stats = Stats {
        end_ts_ns: end_ts,
        end_wall_ns: recording.header.clock.to_wall(end_ts).clamp(0, i128::from(u64::MAX)) as u64,
        filtered: source_stats.filtered + rejected,
        ..Stats::default()
    };
    let out = writer.finish(stats).map_err(AnalysisError::Output)?;
    Ok((out, outcome))
}

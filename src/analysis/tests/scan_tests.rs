//! Block selection: a time range decodes only the blocks it overlaps, and
//! folding on several threads gives the one-thread answer.

use super::workload::*;
use crate::analysis::BlockSelection;
use crate::analysis::source::{Source, anchor_relative_times};
use crate::analysis::summary_builder::{SummaryOptions, summarize};
use crate::format::FilterSpec;
use crate::format::filter::TimeBound;

#[test]
fn a_time_range_skips_blocks_it_does_not_overlap() {
    let run = Run::default();
    let recording = recording(&run);
    assert!(recording.indexed);
    assert_eq!(recording.blocks.len(), 9); // 71 events, 8 to a block
    let spec = FilterSpec { since: Some("+44s".parse().unwrap()), ..Default::default() };
    let source = Source::new(&recording, "run.trc");
    let matcher = source.matcher(&anchor_relative_times(&spec, recording.header.started_wall_ns));
    let selection = BlockSelection::new(&recording, &matcher);
    let mut events = selection.matching_events(&matcher);
    let matched: Vec<_> = events.by_ref().map(Result::unwrap).collect();
    let stats = events.stats();
    assert_eq!(matched.len(), 9);
    // Events from 44 s on are the last nine: the last block (events 64..71) and the end of the one before.
    let overlapping = recording.blocks.iter().filter(|b| b.meta.max_ts >= run.ts(44_000)).count();
    assert_eq!(overlapping, 2);
    assert_eq!(stats.blocks_decoded, 2);
    assert_eq!(stats.blocks_skipped, 7);
    assert_eq!(stats.events_decoded, 15);
    assert_eq!(stats.events_matched, 9);
}

#[test]
fn a_range_outside_the_recording_decodes_nothing() {
    let recording = recording(&Run::default());
    let spec = FilterSpec { until: Some(TimeBound::Wall(i128::from(WALL_START) - 1)), ..Default::default() };
    let source = Source::new(&recording, "run.trc");
    let (summary, stats) = summarize(&[source], &spec, &SummaryOptions::default()).unwrap();
    assert_eq!(stats.blocks_decoded, 0);
    assert_eq!(stats.blocks_skipped, 9);
    assert_eq!(summary.totals.events, 0);
    assert_eq!(summary.span, None);
}

#[test]
fn summaries_do_not_depend_on_thread_count() {
    let recording = recording(&Run::default());
    let source = Source::new(&recording, "run.trc");
    let one =
        summarize(&[source], &FilterSpec::default(), &SummaryOptions { threads: 1, bucket_seconds: None })
            .unwrap();
    for threads in [2, 3, 4, 16] {
        let many =
            summarize(&[source], &FilterSpec::default(), &SummaryOptions { threads, bucket_seconds: None })
                .unwrap();
        assert_eq!(many.0.to_json(), one.0.to_json(), "{threads} threads");
        assert_eq!(many.1, one.1);
    }
}

#[test]
fn parallel_fold_merges_in_block_order() {
    let run = Run::default();
    let recording = recording(&run);
    let source = Source::new(&recording, "run.trc");
    let matcher = source.matcher(&FilterSpec::default());
    let selection = BlockSelection::new(&recording, &matcher);
    let (timestamps, stats) = selection
        .fold(&matcher, 4, Vec::new, |v: &mut Vec<u64>, e| v.push(e.ts_ns), |a, b| a.extend(b))
        .unwrap();
    let expected: Vec<u64> = run.events().iter().map(|e| e.ts_ns).collect();
    assert_eq!(timestamps, expected);
    assert_eq!(stats.blocks_decoded, 9);
}

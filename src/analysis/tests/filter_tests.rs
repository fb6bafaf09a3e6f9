//! `filter_into`: the output is a valid recording holding exactly the
//! matching events, and its header says where it came from.

use super::workload::*;
use crate::analysis::filter::{filter_into, filtered_header};
use crate::analysis::source::Source;
use crate::format::filter::{Outcome, TimeBound};
use crate::format::{Ending, FilterSpec, Header, Recording, Writer, WriterOptions};

fn filtered(source: &Recording, spec: &FilterSpec) -> (Recording, crate::analysis::FilterOutcome) {
    let source = Source::new(source, "/data/run.trc");
    let header = filtered_header(&source, spec, vec!["accept-rec".into(), "filter".into()]);
    let writer = Writer::new(Vec::new(), &header, WriterOptions::default()).unwrap();
    let (bytes, outcome) = filter_into(&source, spec, writer).unwrap();
    (Recording::from_vec(bytes).unwrap(), outcome)
}

#[test]
fn header_records_provenance_and_keeps_the_source_context() {
    let run = Run::default();
    let source = recording(&run);
    let spec = FilterSpec { comms: vec!["ngin*".into()], outcome: Outcome::Failed, ..Default::default() };
    let (out, outcome) = filtered(&source, &spec);
    let header = &out.header;
    assert_eq!(header.derived_from, ["/data/run.trc"]);
    assert_eq!(header.filter, "--comm ngin* --failed");
    assert_eq!(header.command_line, ["accept-rec", "filter"]);
    assert!(header.created_by.starts_with("accept-rec "));
    let kept = Header {
        created_by: source.header.created_by.clone(),
        command_line: source.header.command_line.clone(),
        filter: String::new(),
        derived_from: Vec::new(),
        ..header.clone()
    };
    assert_eq!(kept, source.header, "clock, hosts, hooks and settings are the source's");
    assert!(matches!(out.ending, Ending::Finished) && out.indexed);
    assert_eq!(outcome.events_written, 5);
    let events = read_all(&out);
    assert_eq!(events.len(), 5);
    assert!(events.iter().all(|e| e.ret < 0 && e.ctx.comm.as_bytes() == b"nginx"));
    let stats = out.stats.unwrap();
    assert_eq!((stats.events, stats.filtered), ([5, 0], 66));
}

#[test]
fn events_are_unchanged_and_in_order() {
    let run = Run::default();
    let source = recording(&run);
    let spec = FilterSpec { families: vec![2], ..Default::default() };
    let (out, _) = filtered(&source, &spec);
    let expected: Vec<_> = run.events().into_iter().filter(|e| e.local.family() == 2).collect();
    assert_eq!(read_all(&out), expected);
}

#[test]
fn relative_times_are_stored_as_wall_clock_and_blocks_are_skipped() {
    let run = Run::default();
    let source = recording(&run);
    let spec = FilterSpec { since: Some(TimeBound::FromStart(44 * SEC)), ..Default::default() };
    let (out, outcome) = filtered(&source, &spec);
    assert_eq!(out.header.filter, "--since 2026-01-01T00:00:44.000000000Z");
    assert_eq!(outcome.events_written, 9);
    assert_eq!((outcome.scan.blocks_decoded, outcome.scan.blocks_skipped), (2, 7));
}

#[test]
fn losses_in_range_are_copied_and_earlier_filters_kept() {
    let run = Run::default();
    let header = Header { filter: "--port 22,80".into(), ..run.header("web-1") };
    let bytes =
        write(&header, &run.events(), 8, &[(run.ts(5_000), 7), (run.ts(50_000), 2), (run.ts(90_000), 1)]);
    let source = Recording::from_vec(bytes).unwrap();
    let spec = FilterSpec {
        since: Some(TimeBound::FromStart(30 * SEC)),
        until: Some(TimeBound::FromStart(60 * SEC)),
        ..Default::default()
    };
    let (out, outcome) = filtered(&source, &spec);
    assert_eq!(outcome.losses_copied, 1);
    assert_eq!(out.losses.len(), 1);
    assert_eq!((out.losses[0].ts_ns, out.losses[0].lost), (run.ts(50_000), 2));
    assert_eq!(out.stats.unwrap().lost, 2);
    assert!(
        out.header.filter.starts_with("--port 22,80 && --since 2026-01-01T00:00:30"),
        "{}",
        out.header.filter
    );
}

#[test]
fn an_empty_result_is_still_a_valid_file() {
    let source = recording(&Run::default());
    let spec = FilterSpec { pids: vec![4242], ..Default::default() };
    let (out, outcome) = filtered(&source, &spec);
    assert_eq!(outcome.events_written, 0);
    assert!(matches!(out.ending, Ending::Finished));
    assert_eq!(out.event_count(), 0);
}

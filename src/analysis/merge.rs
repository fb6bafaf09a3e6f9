//! `merge`: several recordings (hosts, or the files of a rotation) as one,
//! in timestamp order.
//!
//! Each source's timestamps are in its own clock, so they are re-based into
//! one domain anchored just before the earliest source: `{boot_ns: 0,
//! wall_ns: W0}`, where an event's timestamp becomes its wall-clock time
//! minus W0. Every source host stays in `header.hosts`, and each event's
//! `source` names its host there.
//!
//! Order: blocks are opened in order of their (re-based) first timestamp and
//! an event is written only once no unopened block can hold an earlier one,
//! so memory holds the overlapping blocks, not whole files.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::io::Write;

use super::error::AnalysisError;
use super::source::Source;
use crate::format::block::BlockDecoder;
use crate::format::{AcceptEvent, BlockRef, Header, HookInfo, HostInfo, Stats, TimeAnchor, Writer};

const NS_PER_SEC: i128 = 1_000_000_000;

/// The merged header and how each source maps into it.
#[derive(Clone, Debug)]
pub struct MergePlan {
    /// The header to create the output `Writer` with.
    pub header: Header,
    /// Per source: add this to a timestamp to re-base it.
    shifts: Vec<i128>,
    /// Per source: its host index -> the merged host index.
    host_maps: Vec<Vec<u16>>,
}

/// What `merge_into` did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MergeOutcome {
    pub events_written: u64,
    pub loss_records: u64,
    pub lost: u64,
}

impl MergePlan {
    /// Works out the common clock and host list of `sources`.
    pub fn new(sources: &[Source<'_>], command_line: Vec<String>) -> Result<MergePlan, AnalysisError> {
        if sources.is_empty() {
            return Err(AnalysisError::NoInputs);
        }
        let starts = sources.iter().map(|s| s.recording.header.started_wall_ns).filter(|w| *w > 0);
        let firsts = sources.iter().filter_map(|s| {
            let min_ts = s.recording.blocks.iter().map(|b| b.meta.min_ts).min()?;
            Some(s.recording.header.clock.to_wall(min_ts))
        });
        let earliest = starts.map(i128::from).chain(firsts).min().unwrap_or(0);
        // One second before the earliest instant, on a whole second: readable, and never negative.
        let w0 = ((earliest - NS_PER_SEC).div_euclid(NS_PER_SEC) * NS_PER_SEC).max(0);
        let clock = TimeAnchor { boot_ns: 0, wall_ns: w0 as u64 };
        let shifts = sources
            .iter()
            .map(|s| {
                let c = s.recording.header.clock;
                i128::from(c.wall_ns) - i128::from(c.boot_ns) - w0
            })
            .collect();
        let (hosts, host_maps) = merge_hosts(sources)?;
        let headers: Vec<&Header> = sources.iter().map(|s| &s.recording.header).collect();
        let mut hooks: Vec<HookInfo> = Vec::new();
        for hook in headers.iter().flat_map(|h| &h.hooks) {
            if !hooks.contains(hook) {
                hooks.push(hook.clone());
            }
        }
        let started_wall_ns =
            headers.iter().map(|h| h.started_wall_ns).filter(|w| *w > 0).min().unwrap_or(clock.wall_ns);
        let header = Header {
            created_by: concat!("accept-rec ", env!("CARGO_PKG_VERSION")).to_string(),
            command_line,
            started_wall_ns,
            clock,
            hosts,
            events: headers.iter().fold(0, |bits, h| bits | h.events),
            hooks,
            filter: merged_filter(sources),
            ring_size: 0,
            flush_interval_ms: headers.iter().map(|h| h.flush_interval_ms).max().unwrap_or(0),
            include_eagain: headers.iter().any(|h| h.include_eagain),
            rotation_seq: 0,
            derived_from: sources.iter().map(|s| s.label.to_string()).collect(),
        };
        Ok(MergePlan { header, shifts, host_maps })
    }

    fn rebase(&self, source: usize, ts: u64) -> u64 {
        (i128::from(ts) + self.shifts[source]).clamp(0, i128::from(u64::MAX)) as u64
    }

    fn host(&self, source: usize, host: u16) -> u16 {
        let map = &self.host_maps[source];
        map.get(usize::from(host)).or(map.first()).copied().unwrap_or(0)
    }
}

/// Hosts of every source, one entry per (hostname, boot) when the boot id is
/// known, so the files of one rotation share an entry; labelled with the files.
fn merge_hosts(sources: &[Source<'_>]) -> Result<(Vec<HostInfo>, Vec<Vec<u16>>), AnalysisError> {
    let mut hosts: Vec<HostInfo> = Vec::new();
    let mut maps = Vec::with_capacity(sources.len());
    for source in sources {
        let header = &source.recording.header;
        let own = if header.hosts.is_empty() {
            vec![HostInfo { anchor: header.clock, ..HostInfo::default() }]
        } else {
            header.hosts.clone()
        };
        // A single-host file is labelled by its path; a merged file's hosts keep theirs.
        let relabel = own.len() == 1;
        let mut map = Vec::with_capacity(own.len());
        for mut host in own {
            if relabel || host.label.is_empty() {
                host.label = source.label.to_string();
            }
            let same = |h: &HostInfo| {
                !h.boot_id.is_empty() && h.boot_id == host.boot_id && h.hostname == host.hostname
            };
            let index = match hosts.iter().position(same) {
                Some(i) => {
                    let label = &mut hosts[i].label;
                    if !label.split(", ").any(|l| l == host.label) {
                        label.push_str(", ");
                        label.push_str(&host.label);
                    }
                    i
                }
                None => {
                    hosts.push(host);
                    hosts.len() - 1
                }
            };
            map.push(u16::try_from(index).map_err(|_| AnalysisError::TooManyHosts(index + 1))?);
        }
        maps.push(map);
    }
    Ok((hosts, maps))
}

/// The sources' common filter, or each one's with its file name.
fn merged_filter(sources: &[Source<'_>]) -> String {
    let first = &sources[0].recording.header.filter;
    if sources.iter().all(|s| &s.recording.header.filter == first) {
        return first.clone();
    }
    let parts: Vec<String> = sources
        .iter()
        .map(|s| {
            format!(
                "{}: {}",
                s.label,
                if s.recording.header.filter.is_empty() { "(none)" } else { &s.recording.header.filter }
            )
        })
        .collect();
    parts.join("; ")
}

/// An event waiting in the merge, ordered by time, then source, then file order.
#[derive(Debug)]
struct Pending {
    key: (u64, usize, u64),
    event: AcceptEvent,
}

impl PartialEq for Pending {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}
impl Eq for Pending {}
impl PartialOrd for Pending {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Pending {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key.cmp(&other.key)
    }
}

/// Writes every event and loss record of `sources`, re-based and in time
/// order, through `writer` (made with `plan.header`), then finishes the file.
pub fn merge_into<W: Write>(
    sources: &[Source<'_>],
    plan: &MergePlan,
    mut writer: Writer<W>,
) -> Result<(W, MergeOutcome), AnalysisError> {
    let mut blocks: Vec<(u64, usize, &BlockRef)> = sources
        .iter()
        .enumerate()
        .flat_map(|(i, s)| s.recording.blocks.iter().map(move |b| (i, b)))
        .map(|(i, b)| (plan.rebase(i, b.meta.min_ts), i, b))
        .collect();
    blocks.sort_by_key(|(min_ts, source, block)| (*min_ts, *source, block.offset));
    let mut losses: Vec<(u64, usize, u64)> = sources
        .iter()
        .enumerate()
        .flat_map(|(i, s)| s.recording.losses.iter().map(move |l| (i, l)))
        .map(|(i, l)| (plan.rebase(i, l.ts_ns), i, l.lost))
        .collect();
    losses.sort_unstable();
    let mut losses = losses.into_iter().peekable();

    let mut decoder = BlockDecoder::new().map_err(AnalysisError::Output)?;
    let mut buf = Vec::new();
    let mut heap: BinaryHeap<Reverse<Pending>> = BinaryHeap::new();
    let mut next_block = blocks.iter().peekable();
    let mut seq = vec![0u64; sources.len()];
    let mut outcome = MergeOutcome::default();
    loop {
        // Open the next block while it may hold an event no later than the earliest waiting one.
        let open_next = match (next_block.peek(), heap.peek()) {
            (None, _) => false,
            (Some(_), None) => true,
            (Some((min_ts, _, _)), Some(Reverse(earliest))) => *min_ts <= earliest.key.0,
        };
        if open_next {
            let Some((_, source, block)) = next_block.next() else { break };
            buf.clear();
            sources[*source]
                .recording
                .decode_block(block, &mut decoder, &mut buf)
                .map_err(AnalysisError::reading(sources[*source].label))?;
            for mut event in buf.drain(..) {
                event.ts_ns = plan.rebase(*source, event.ts_ns);
                event.source = plan.host(*source, event.source);
                seq[*source] += 1;
                heap.push(Reverse(Pending { key: (event.ts_ns, *source, seq[*source]), event }));
            }
            continue;
        }
        let Some(Reverse(Pending { event, .. })) = heap.pop() else { break };
        while let Some((ts, _, lost)) = losses.next_if(|(ts, _, _)| *ts < event.ts_ns) {
            writer.record_loss(ts, lost).map_err(AnalysisError::Output)?;
            outcome.loss_records += 1;
            outcome.lost = outcome.lost.saturating_add(lost);
        }
        writer.push(event).map_err(AnalysisError::Output)?;
        outcome.events_written += 1;
    }
    for (ts, _, lost) in losses {
        writer.record_loss(ts, lost).map_err(AnalysisError::Output)?;
        outcome.loss_records += 1;
        outcome.lost = outcome.lost.saturating_add(lost);
    }
    let out = writer.finish(merged_stats(sources, plan)).map_err(AnalysisError::Output)?;
    Ok((out, outcome))
}

/// The end time is the latest source's; the filtered counts add up. The
/// writer counts events and drops itself.
fn merged_stats(sources: &[Source<'_>], plan: &MergePlan) -> Stats {
    let mut stats = Stats::default();
    for (i, source) in sources.iter().enumerate() {
        let recording = source.recording;
        let end_ts = match recording.stats {
            Some(s) => s.end_ts_ns,
            None => recording.blocks.iter().map(|b| b.meta.max_ts).max().unwrap_or(0),
        };
        stats.end_ts_ns = stats.end_ts_ns.max(plan.rebase(i, end_ts));
        stats.filtered += recording.stats.map_or(0, |s| s.filtered);
    }
    stats.end_wall_ns = plan.header.clock.to_wall(stats.end_ts_ns).clamp(0, i128::from(u64::MAX)) as u64;
    stats
}

//! Reading only the blocks a question needs: the footer index (or the scan
//! that replaces it) gives each block's time range, so blocks outside a
//! filter's time range are never decompressed. Decoding the rest can be
//! spread over threads, each with its own decoder, with results merged in
//! block order so the answer does not depend on the thread count.

use crate::format::block::BlockDecoder;
use crate::format::filter::Matcher;
use crate::format::{AcceptEvent, BlockRef, FormatError, Recording};

/// How much of a recording a question touched.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ScanStats {
    /// Blocks whose time range overlaps the filter's, and so were decompressed.
    pub blocks_decoded: u64,
    /// Blocks left compressed because the time range excludes them.
    pub blocks_skipped: u64,
    pub events_decoded: u64,
    /// Events that passed the whole filter.
    pub events_matched: u64,
}

impl ScanStats {
    /// Adds another scan's counts, e.g. another recording's of the same set.
    pub fn add(&mut self, other: ScanStats) {
        self.blocks_decoded += other.blocks_decoded;
        self.blocks_skipped += other.blocks_skipped;
        self.events_decoded += other.events_decoded;
        self.events_matched += other.events_matched;
    }
}

/// The blocks of one recording that can hold events inside a matcher's time range.
#[derive(Clone, Debug)]
pub struct BlockSelection<'r> {
    recording: &'r Recording,
    blocks: Vec<&'r BlockRef>,
}

impl<'r> BlockSelection<'r> {
    /// Selects by each block's `[min_ts, max_ts]`, read from the index, never from the events.
    pub fn new(recording: &'r Recording, matcher: &Matcher) -> BlockSelection<'r> {
        let blocks =
            recording.blocks.iter().filter(|b| matcher.overlaps(b.meta.min_ts, b.meta.max_ts)).collect();
        BlockSelection { recording, blocks }
    }

    pub fn recording(&self) -> &'r Recording {
        self.recording
    }

    /// The selected blocks, in file order.
    pub fn blocks(&self) -> &[&'r BlockRef] {
        &self.blocks
    }

    /// Blocks the time range excludes.
    pub fn skipped(&self) -> u64 {
        (self.recording.blocks.len() - self.blocks.len()) as u64
    }

    /// Events in the selected blocks, from the block headers.
    pub fn event_count(&self) -> u64 {
        self.blocks.iter().map(|b| u64::from(b.meta.events)).sum()
    }

    /// Earliest and latest timestamp the selected blocks can hold.
    pub fn ts_range(&self) -> Option<(u64, u64)> {
        let min = self.blocks.iter().map(|b| b.meta.min_ts).min()?;
        let max = self.blocks.iter().map(|b| b.meta.max_ts).max()?;
        Some((min, max))
    }

    /// The matching events one by one, in file order, decoding lazily.
    pub fn matching_events<'a>(&'a self, matcher: &'a Matcher) -> MatchingEvents<'a> {
        MatchingEvents {
            recording: self.recording,
            blocks: self.blocks.clone().into_iter(),
            matcher,
            decoder: None,
            buf: Vec::new(),
            pos: 0,
            stats: ScanStats { blocks_skipped: self.skipped(), ..ScanStats::default() },
            failed: false,
        }
    }

    /// Folds every matching event into an accumulator, on up to `threads`
    /// threads.
    ///
    /// The selected blocks are cut into one contiguous run per thread; each
    /// thread folds its run into its own `init()` value with its own decoder,
    /// and `merge` then receives those values in block order. The first
    /// decoding error, in block order, is returned.
    pub fn fold<T, Init, Fold, Merge>(
        &self,
        matcher: &Matcher,
        threads: usize,
        init: Init,
        fold: Fold,
        mut merge: Merge,
    ) -> Result<(T, ScanStats), FormatError>
    where
        T: Send,
        Init: Fn() -> T + Sync,
        Fold: Fn(&mut T, &AcceptEvent) + Sync,
        Merge: FnMut(&mut T, T),
    {
        let runs = split_runs(&self.blocks, threads.max(1));
        let fold_run = |run: &[&BlockRef]| fold_blocks(self.recording, run, matcher, &init, &fold);
        let results: Vec<Result<(T, ScanStats), FormatError>> = if runs.len() <= 1 {
            runs.iter().map(|run| fold_run(run)).collect()
        } else {
            std::thread::scope(|scope| {
                let handles: Vec<_> = runs.iter().map(|run| scope.spawn(|| fold_run(run))).collect();
                handles
                    .into_iter()
                    .map(|handle| handle.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
                    .collect()
            })
        };
        let mut total = init();
        let mut stats = ScanStats { blocks_skipped: self.skipped(), ..ScanStats::default() };
        for result in results {
            let (value, run_stats) = result?;
            merge(&mut total, value);
            stats.add(run_stats);
        }
        Ok((total, stats))
    }
}

/// Cuts `blocks` into at most `threads` contiguous runs of about equal event counts.
fn split_runs<'a, 'r>(blocks: &'a [&'r BlockRef], threads: usize) -> Vec<&'a [&'r BlockRef]> {
    let total: u64 = blocks.iter().map(|b| u64::from(b.meta.events)).sum();
    let share = total.div_ceil(threads as u64).max(1);
    let mut runs = Vec::with_capacity(threads);
    let (mut start, mut events) = (0, 0u64);
    for (i, block) in blocks.iter().enumerate() {
        events += u64::from(block.meta.events);
        if events >= share && runs.len() + 1 < threads {
            runs.push(&blocks[start..=i]);
            (start, events) = (i + 1, 0);
        }
    }
    if start < blocks.len() {
        runs.push(&blocks[start..]);
    }
    runs
}

fn fold_blocks<T>(
    recording: &Recording,
    blocks: &[&BlockRef],
    matcher: &Matcher,
    init: &impl Fn() -> T,
    fold: &impl Fn(&mut T, &AcceptEvent),
) -> Result<(T, ScanStats), FormatError> {
    let mut decoder = BlockDecoder::new()?;
    let mut buf = Vec::new();
    let mut value = init();
    let mut stats = ScanStats::default();
    for block in blocks {
        buf.clear();
        recording.decode_block(block, &mut decoder, &mut buf)?;
        stats.blocks_decoded += 1;
        stats.events_decoded += buf.len() as u64;
        for event in buf.iter().filter(|e| matcher.matches(e)) {
            stats.events_matched += 1;
            fold(&mut value, event);
        }
    }
    Ok((value, stats))
}

/// Iterator over the matching events of a [`BlockSelection`]; stops after
/// the first error.
#[derive(Debug)]
pub struct MatchingEvents<'a> {
    recording: &'a Recording,
    blocks: std::vec::IntoIter<&'a BlockRef>,
    matcher: &'a Matcher,
    decoder: Option<BlockDecoder>,
    buf: Vec<AcceptEvent>,
    pos: usize,
    stats: ScanStats,
    failed: bool,
}

impl MatchingEvents<'_> {
    /// What has been read so far.
    pub fn stats(&self) -> ScanStats {
        self.stats
    }

    fn next_block(&mut self) -> Option<Result<(), FormatError>> {
        let block = self.blocks.next()?;
        let decoder = match &mut self.decoder {
            Some(decoder) => decoder,
            None => match BlockDecoder::new() {
                Ok(decoder) => self.decoder.insert(decoder),
                Err(e) => return Some(Err(e)),
            },
        };
        self.buf.clear();
        self.pos = 0;
        if let Err(e) = self.recording.decode_block(block, decoder, &mut self.buf) {
            return Some(Err(e));
        }
        self.stats.blocks_decoded += 1;
        self.stats.events_decoded += self.buf.len() as u64;
        Some(Ok(()))
    }
}

impl Iterator for MatchingEvents<'_> {
    type Item = Result<AcceptEvent, FormatError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        loop {
            while self.pos < self.buf.len() {
                let event = std::mem::take(&mut self.buf[self.pos]);
                self.pos += 1;
                if self.matcher.matches(&event) {
                    self.stats.events_matched += 1;
                    return Some(Ok(event));
                }
            }
            match self.next_block()? {
                Ok(()) => {}
                Err(e) => {
                    self.failed = true;
                    return Some(Err(e));
                }
            }
        }
    }
}

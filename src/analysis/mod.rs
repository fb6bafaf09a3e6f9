//! Questions asked of recordings offline: which blocks to read, summaries,
//! diffs between runs, and derived recordings (filtered subsets, merges).
//!
//! Pure library code over the format's readers and writers: no files are
//! opened here and nothing touches libbpf. The CLI opens inputs and outputs
//! and hands in `Recording`s and `Writer`s.

pub mod diff;
pub mod diff_render;
pub mod error;
pub mod filter;
pub mod merge;
pub mod scan;
pub mod source;
pub mod summary;
pub mod summary_builder;
pub mod summary_render;
mod summary_tally;
pub mod table;

pub use diff::{DiffReport, Tolerance, compare};
pub use error::AnalysisError;
pub use filter::{FilterOutcome, filter_into, filtered_header};
pub use merge::{MergeOutcome, MergePlan, merge_into};
pub use scan::{BlockSelection, MatchingEvents, ScanStats};
pub use source::Source;
pub use summary::Summary;
pub use summary_builder::{SummaryOptions, summarize};

#[cfg(test)]
mod tests;

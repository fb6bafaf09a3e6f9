//! Questions asked of recordings offline: which blocks to read, summaries,
//! diffs between runs, and derived recordings (filtered subsets, merges).
//!
//! Pure library code over the format's readers and writers: no files are
//! opened here and nothing touches libbpf. The CLI opens inputs and outputs
//! and hands in `Recording`s and `Writer`s.

pub mod errno;
pub mod error;
pub mod scan;
pub mod source;

pub use error::AnalysisError;
pub use scan::{BlockSelection, MatchingEvents, ScanStats};
pub use source::Source;

#[cfg(test)]
mod tests;

//! Tests of the analysis layer on synthetic recordings written in memory.

mod diff_tests;
mod filter_tests;
mod matcher_tests;
mod merge_tests;
mod scan_tests;
mod summary_tests;
mod workload;

//! Tests of the analysis layer on synthetic recordings written in memory.

mod matcher_tests;
mod scan_tests;
mod summary_tests;
mod workload;

//! Tests of the analysis layer on synthetic recordings written in memory.

mod matcher_tests;
mod workload;

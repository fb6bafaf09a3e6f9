//! Shared by the fuzz targets and the seed tools: valid recordings to start
//! from (`samples`), fuzz input turned into reader input (`inputs`), and the
//! promises every reader entry point must keep on any input (`checks`).

pub mod checks;
pub mod inputs;
pub mod samples;

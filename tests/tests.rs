//! The integration tests, one binary.

mod spec_reader;

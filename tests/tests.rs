//! Integration tests: the real `accept-rec` binary, found through
//! `CARGO_BIN_EXE_accept-rec`, run on recordings written here.

mod analysis_cli;

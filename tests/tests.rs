//! The integration tests, one binary: they drive the real `accept-rec`
//! command (found through `CARGO_BIN_EXE_accept-rec`), and the capture tests
//! record the real kernel (they need root, which CI has). `spec_reader`
//! checks format-spec.md with an independent decoder.

mod analysis_cli;
mod analysis_real;
mod capture;
mod golden;
mod reliability;
mod spec_reader;
mod support;

//! The integration tests, one binary: they drive the real `accept-rec`
//! command, and the capture tests record the real kernel (they need root,
//! which CI has). `spec_reader` checks format-spec.md with an independent
//! decoder.

mod capture;
mod reliability;
mod spec_reader;
mod support;

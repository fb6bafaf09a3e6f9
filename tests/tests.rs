//! The integration tests, one binary: they drive the real `accept-rec`
//! command, and the capture tests record the real kernel (they need root,
//! which CI has).

mod capture;
// Shared helpers; the capture tests do not use every one yet.
#[allow(dead_code)]
mod support;

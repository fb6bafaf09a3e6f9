//! accept-rec: record Linux socket-accept events with eBPF into `.trc`
//! files, and question those files offline.
//!
//! Layering is one-way: `cli → {capture, analysis, output} → format`.

pub mod analysis;
pub mod capture;
pub mod cli;
pub mod format;
pub mod output;

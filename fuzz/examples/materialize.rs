//! Saves what a target handed the reader for one fuzz input, as a file a
//! regression test can read:
//!
//!     cargo +nightly run --manifest-path fuzz/Cargo.toml --example materialize -- \
//!         block fuzz/artifacts/block/crash-... fixtures/fuzz-regressions/NAME
//!
//! Block targets write `NAME.block` (a block frame body), the others
//! `NAME.trc` (a whole recording).

use std::process::ExitCode;

use accept_rec_fuzz::inputs::{self, ReaderInput};

fn main() -> std::io::Result<ExitCode> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [target, artifact, out] = &args[..] else {
        eprintln!("usage: materialize TARGET ARTIFACT OUT-WITHOUT-EXTENSION");
        return Ok(ExitCode::from(2));
    };
    let data = std::fs::read(artifact)?;
    let Some(input) = inputs::reader_input(target, &data) else {
        eprintln!("unknown target {target}");
        return Ok(ExitCode::from(2));
    };
    let (path, bytes) = match input {
        ReaderInput::File(bytes) => (format!("{out}.trc"), bytes),
        ReaderInput::Block(body) => (format!("{out}.block"), body),
    };
    std::fs::write(&path, bytes)?;
    println!("{path}");
    Ok(ExitCode::SUCCESS)
}

//! The `accept-rec` command: parse, dispatch, print errors once, pick the exit code.

use std::io;
use std::process::ExitCode;

fn main() -> ExitCode {
    match accept_rec::cli::run() {
        Ok(code) => code,
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("accept-rec: {error:#}");
            // 2, not 1: `diff` uses 1 for "recordings differ".
            ExitCode::from(2)
        }
    }
}

/// `accept-rec replay x.trc | head` ends quietly.
fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error
        .chain()
        .any(|e| e.downcast_ref::<io::Error>().is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe))
}

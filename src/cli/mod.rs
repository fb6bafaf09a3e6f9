//! The command line: clap definitions and one small file per subcommand.
//! Glue only: the work happens in `capture`, `analysis`, `output` and `format`.

mod filter_args;
mod open;

use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};

pub use filter_args::FilterArgs;
pub use open::open_recording;

#[derive(Parser, Debug)]
#[command(name = "accept-rec", version, about = "Record and replay Linux socket-accept events with eBPF")]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {}

/// Runs the command line; errors come back to `main` to be printed once.
pub fn run() -> Result<ExitCode> {
    let cli = Cli::parse();
    match cli.command {}
}

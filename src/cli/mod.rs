//! The command line: clap definitions and one small file per subcommand.
//! Glue only: the work happens in `capture`, `analysis`, `output` and `format`.

mod filter_args;
mod info;
mod open;
mod replay;
mod verify;

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
// Parsed once per run: boxing the large variant would buy nothing.
#[allow(clippy::large_enum_variant)]
enum Command {
    /// Print a recording's events.
    Replay(replay::ReplayArgs),
    /// Describe a recording: host, hooks, times, counts, drops, size.
    Info(info::InfoArgs),
    /// Check every frame, checksum and block of a recording.
    Verify(verify::VerifyArgs),
    /// Rewrite the readable part of a damaged recording as a finished file.
    Recover(verify::RecoverArgs),
}

/// Runs the command line; errors come back to `main` to be printed once.
pub fn run() -> Result<ExitCode> {
    let cli = Cli::parse();
    match cli.command {
        Command::Replay(args) => replay::run(&args).map(|()| ExitCode::SUCCESS),
        Command::Info(args) => info::run(&args).map(|()| ExitCode::SUCCESS),
        Command::Verify(args) => verify::run_verify(&args),
        Command::Recover(args) => verify::run_recover(&args).map(|()| ExitCode::SUCCESS),
    }
}

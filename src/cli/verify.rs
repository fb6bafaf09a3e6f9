//! `accept-rec verify` and `accept-rec recover`: check every byte, and
//! rewrite the readable part of a damaged file.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;

use crate::format::Recording;
use crate::format::file::create_private;
use crate::format::verify::{recover, verify};

#[derive(Args, Debug)]
pub struct VerifyArgs {
    file: PathBuf,
}

#[derive(Args, Debug)]
pub struct RecoverArgs {
    /// The damaged recording.
    file: PathBuf,
    /// Where to write the repaired copy.
    #[arg(short, long)]
    output: PathBuf,
    /// Replace the output if it exists.
    #[arg(long)]
    force: bool,
}

/// Prints the report; exits 1 when anything is wrong.
pub fn run_verify(args: &VerifyArgs) -> Result<ExitCode> {
    let name = args.file.display().to_string();
    let recording = Recording::open(&args.file).with_context(|| name.clone())?;
    let r = verify(&recording);
    println!("{name}: format {}.{}", recording.version.0, recording.version.1);
    println!("  frames        {}", r.frames);
    println!("  event blocks  {}", r.blocks);
    println!(
        "  events        {} (socket_accept {}, security_socket_accept {})",
        r.events[0] + r.events[1],
        r.events[0],
        r.events[1]
    );
    println!("  loss frames   {} ({} events lost)", r.losses, r.lost);
    for (from, to, lost) in &r.loss_windows {
        println!("    gap: {lost} events lost between event times {from} and {to}");
    }
    println!("  stats frame   {}", if r.has_stats { "present" } else { "missing" });
    println!("  footer index  {}", if r.has_index { "present" } else { "missing" });
    if r.unknown_frames > 0 {
        println!("  unknown frames skipped: {}", r.unknown_frames);
    }
    println!("  valid bytes   {} of {}", r.good_bytes, recording.bytes().len());
    match r.first_error {
        None if r.has_stats && r.has_index => {
            println!("  OK");
            Ok(ExitCode::SUCCESS)
        }
        None => {
            println!("  not finished: the recorder did not write its footer; `accept-rec recover` adds one");
            Ok(ExitCode::from(1))
        }
        Some(error) => {
            println!("  first error: {error}");
            Ok(ExitCode::from(1))
        }
    }
}

pub fn run_recover(args: &RecoverArgs) -> Result<()> {
    let name = args.file.display().to_string();
    let recording = Recording::open(&args.file).with_context(|| name.clone())?;
    let out = create_private(&args.output, args.force)?;
    let (_, done) = recover(&recording, out).with_context(|| args.output.display().to_string())?;
    eprintln!(
        "accept-rec: wrote {}: {} events in {} blocks, {} loss frames{}",
        args.output.display(),
        done.events,
        done.blocks,
        done.losses,
        if done.bad_blocks > 0 {
            format!("; dropped {} undecodable blocks", done.bad_blocks)
        } else {
            String::new()
        }
    );
    Ok(())
}

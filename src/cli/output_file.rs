//! Creating the recordings that `filter` and `merge` write: mode 0600, never
//! through a symlink, never over an existing file without `--force`, never
//! over one of the inputs, and removed again if the command fails.

use std::fs::{self, File};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Args;

use crate::format::file::create_private;

/// `-o FILE [--force]` of the commands that write a derived recording.
#[derive(Args, Debug)]
pub struct OutputArgs {
    /// The recording to write (created with mode 0600).
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// Overwrite the output if it exists.
    #[arg(long)]
    pub force: bool,
}

impl OutputArgs {
    /// Creates the output; see [`create_output`].
    pub fn create(&self, inputs: &[PathBuf]) -> Result<(File, NewOutput)> {
        create_output(&self.output, self.force, inputs)
    }
}

/// An output file being written; dropped without [`NewOutput::keep`], it is deleted.
#[derive(Debug)]
pub struct NewOutput {
    path: PathBuf,
    kept: bool,
}

/// Creates `path` for writing. `inputs` are the files being read, which
/// `--force` must not truncate while they are mapped.
fn create_output(path: &Path, force: bool, inputs: &[PathBuf]) -> Result<(File, NewOutput)> {
    if let Ok(existing) = fs::metadata(path) {
        for input in inputs {
            if let Ok(read) = fs::metadata(input) {
                if (read.dev(), read.ino()) == (existing.dev(), existing.ino()) {
                    bail!(
                        "{}: is also an input ({}); write to another file",
                        path.display(),
                        input.display()
                    );
                }
            }
        }
    }
    let file = create_private(path, force)?;
    Ok((file, NewOutput { path: path.to_path_buf(), kept: false }))
}

impl NewOutput {
    /// The file is complete: flush it to disk and keep it.
    pub fn keep(mut self, file: File) -> Result<()> {
        file.sync_all().with_context(|| format!("{}: cannot sync to disk", self.path.display()))?;
        self.kept = true;
        Ok(())
    }
}

impl Drop for NewOutput {
    fn drop(&mut self) {
        if !self.kept {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// This process's command line, for the header of a derived recording.
pub fn command_line() -> Vec<String> {
    std::env::args_os().map(|a| a.to_string_lossy().into_owned()).collect()
}

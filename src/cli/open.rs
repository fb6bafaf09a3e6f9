//! Opening recordings for the analysis commands: the file name goes into
//! every error, and an unfinished or truncated file gets one warning.

use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::format::{Ending, Recording};

/// Opens `path`. A file that ends early (a killed writer) is a warning, or an
/// error with `strict`; a damaged frame is always an error.
pub fn open_recording(path: &Path, strict: bool) -> Result<Recording> {
    let recording = Recording::open(path).with_context(|| path.display().to_string())?;
    let problem = match &recording.ending {
        Ending::Finished => None,
        Ending::Unfinished => Some(format!(
            "{}: not finished (the recorder was killed or is still running); read {} events",
            path.display(),
            recording.event_count()
        )),
        Ending::Truncated { offset, events } => Some(format!(
            "{}: truncated at byte {offset} after {events} events; use `accept-rec verify` for details",
            path.display()
        )),
        Ending::Corrupt(error) => bail!(
            "{}: {error}; the {} events before it are readable: `accept-rec recover` rewrites them as a sound file",
            path.display(),
            recording.event_count()
        ),
    };
    if let Some(problem) = problem {
        if strict {
            bail!("{problem} (--strict)");
        }
        eprintln!("accept-rec: warning: {problem}");
    }
    Ok(recording)
}

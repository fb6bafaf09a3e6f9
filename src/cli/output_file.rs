//! Creating output files safely: recordings reveal a host's network peers,
//! and a root process must not follow a symlink planted in /tmp.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use anyhow::{Context, Result};

/// Creates `path` with mode 0600, refusing to follow a symlink, and refusing
/// to replace an existing file unless `force`.
pub fn create_output(path: &Path, force: bool) -> Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).mode(0o600).custom_flags(libc::O_NOFOLLOW);
    if force {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    options.open(path).with_context(|| match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => {
            format!("{}: is a symlink; refusing to follow it", path.display())
        }
        Ok(_) if !force => format!("{}: already exists; pass --force to replace it", path.display()),
        _ => format!("cannot create {}", path.display()),
    })
}

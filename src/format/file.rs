//! Creating recording files safely. Recordings reveal a host's network
//! peers, and the recorder runs as root: files are private, never replace
//! an existing file unless asked, and never follow a symlink planted in /tmp.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// Creates `path` with mode 0600 and `O_NOFOLLOW`; with `O_EXCL` unless `force`.
pub fn create_private(path: &Path, force: bool) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).mode(0o600).custom_flags(libc::O_NOFOLLOW);
    if force {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    options.open(path).map_err(|e| {
        let why = match std::fs::symlink_metadata(path) {
            Ok(meta) if meta.file_type().is_symlink() => "is a symlink; refusing to follow it".to_string(),
            Ok(_) if !force && e.kind() == io::ErrorKind::AlreadyExists => {
                "already exists; pass --force to replace it".to_string()
            }
            _ => format!("cannot create: {e}"),
        };
        io::Error::new(e.kind(), format!("{}: {why}", path.display()))
    })
}

/// The name of file `seq` of a rotation set: `run.trc` → `run.003.trc`.
pub fn rotated_path(base: &Path, seq: u32) -> std::path::PathBuf {
    let stem = base.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let name = match base.extension() {
        Some(ext) => format!("{stem}.{seq:03}.{}", ext.to_string_lossy()),
        None => format!("{stem}.{seq:03}"),
    };
    base.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotated_names_keep_the_extension() {
        assert_eq!(rotated_path(Path::new("/tmp/run.trc"), 7), Path::new("/tmp/run.007.trc"));
        assert_eq!(rotated_path(Path::new("out"), 12), Path::new("out.012"));
    }

    #[test]
    fn private_files_refuse_symlinks_and_existing_files() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.trc");
        let file = create_private(&path, false).unwrap();
        assert_eq!(file.metadata().unwrap().permissions().mode() & 0o777, 0o600);
        let err = create_private(&path, false).unwrap_err();
        assert!(err.to_string().contains("already exists; pass --force"), "{err}");
        create_private(&path, true).unwrap();
        let link = dir.path().join("link.trc");
        std::os::unix::fs::symlink(dir.path().join("target"), &link).unwrap();
        for force in [false, true] {
            let err = create_private(&link, force).unwrap_err();
            assert!(err.to_string().contains("is a symlink"), "{err}");
        }
        assert!(!dir.path().join("target").exists());
    }
}

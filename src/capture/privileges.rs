//! Giving up privilege once the programs are attached, like tcpdump `-Z`:
//! the ring buffer and maps stay usable through their open file descriptors.

use caps::CapSet;
use nix::unistd::{Gid, Uid, User, setgid, setgroups, setuid};

use super::CaptureError;

/// Switches to `name`'s uid and gid, with no supplementary groups.
pub fn drop_to_user(name: &str) -> Result<(), CaptureError> {
    let fail = |what: String| CaptureError::Privileges(what);
    let user = User::from_name(name)
        .map_err(|e| fail(format!("looking up user {name:?}: {e}")))?
        .ok_or_else(|| fail(format!("no user named {name:?}")))?;
    setgroups(&[user.gid]).map_err(|e| fail(format!("setgroups: {e}")))?;
    setgid(user.gid).map_err(|e| fail(format!("setgid({}): {e}", user.gid)))?;
    setuid(user.uid).map_err(|e| fail(format!("setuid({}): {e}", user.uid)))?;
    // A uid change from root clears the capability sets; make sure of it.
    if Uid::effective().is_root() || Gid::effective() != user.gid {
        return Err(fail(format!("still privileged after switching to {name:?}")));
    }
    drop_capabilities()
}

/// Drops every capability: after attach the recorder only reads its ring
/// buffer and maps and appends to files it created.
pub fn drop_capabilities() -> Result<(), CaptureError> {
    for set in [CapSet::Effective, CapSet::Inheritable, CapSet::Ambient, CapSet::Permitted] {
        caps::clear(None, set)
            .map_err(|e| CaptureError::Privileges(format!("dropping capabilities: {e}")))?;
    }
    Ok(())
}

/// Effective capabilities left, for tests and `--verbose` output.
pub fn effective_capabilities() -> usize {
    caps::read(None, CapSet::Effective).map(|set| set.len()).unwrap_or(0)
}

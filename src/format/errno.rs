//! Names for the errnos an accept can fail with, so reports say `EMFILE`
//! rather than `24`. Linux numbering (x86, arm and most others share it).

/// The symbolic name of a Linux errno, or `E<number>` when it is not one accept returns.
pub fn errno_name(errno: i32) -> String {
    let name = match errno {
        1 => "EPERM",
        4 => "EINTR",
        9 => "EBADF",
        11 => "EAGAIN",
        12 => "ENOMEM",
        14 => "EFAULT",
        22 => "EINVAL",
        23 => "ENFILE",
        24 => "EMFILE",
        62 => "ETIME",
        64 => "ENONET",
        71 => "EPROTO",
        88 => "ENOTSOCK",
        92 => "ENOPROTOOPT",
        95 => "EOPNOTSUPP",
        100 => "ENETDOWN",
        101 => "ENETUNREACH",
        103 => "ECONNABORTED",
        104 => "ECONNRESET",
        105 => "ENOBUFS",
        110 => "ETIMEDOUT",
        112 => "EHOSTDOWN",
        113 => "EHOSTUNREACH",
        // Kernel-internal restart codes, visible to hooks on the syscall's exit.
        512 => "ERESTARTSYS",
        513 => "ERESTARTNOINTR",
        514 => "ERESTARTNOHAND",
        516 => "ERESTART_RESTARTBLOCK",
        n => return format!("E{n}"),
    };
    name.to_string()
}

#[cfg(test)]
mod tests {
    use super::errno_name;

    #[test]
    fn names_match_libc() {
        for (errno, name) in [
            (libc::EAGAIN, "EAGAIN"),
            (libc::EMFILE, "EMFILE"),
            (libc::ENFILE, "ENFILE"),
            (libc::ECONNABORTED, "ECONNABORTED"),
            (libc::EINTR, "EINTR"),
            (libc::ENOBUFS, "ENOBUFS"),
            (libc::EPROTO, "EPROTO"),
            (libc::EPERM, "EPERM"),
        ] {
            assert_eq!(errno_name(errno), name);
        }
        assert_eq!(errno_name(4242), "E4242");
    }
}

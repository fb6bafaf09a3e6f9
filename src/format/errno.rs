//! Names of the errno values an accept can fail with, for people reading output.

/// `EAGAIN` for 11, `errno 999` for numbers not in the table.
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
        71 => "EPROTO",
        88 => "ENOTSOCK",
        95 => "EOPNOTSUPP",
        103 => "ECONNABORTED",
        105 => "ENOBUFS",
        110 => "ETIMEDOUT",
        512 => "ERESTARTSYS",
        513 => "ERESTARTNOINTR",
        514 => "ERESTARTNOHAND",
        516 => "ERESTART_RESTARTBLOCK",
        _ => return format!("errno {errno}"),
    };
    name.to_string()
}

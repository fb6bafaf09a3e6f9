//! Can this process capture at all? Checked up front so that the user gets one
//! line saying what is missing instead of a libbpf error.

use std::path::Path;

use libbpf_rs::MapType;

use super::error::CaptureError;

const VMLINUX_BTF: &str = "/sys/kernel/btf/vmlinux";

/// Capability bits (linux/capability.h).
const CAP_SYS_ADMIN: u32 = 21;
const CAP_PERFMON: u32 = 38;
const CAP_BPF: u32 = 39;

/// Checks privileges, kernel BTF and BPF ring-buffer support, in that order.
pub fn check_environment() -> Result<(), CaptureError> {
    if !has_tracing_capabilities() {
        return Err(CaptureError::NotPrivileged);
    }
    if !Path::new(VMLINUX_BTF).exists() {
        return Err(CaptureError::NoBtf);
    }
    match MapType::RingBuf.is_supported() {
        Ok(true) => Ok(()),
        Ok(false) => Err(CaptureError::BpfUnavailable(
            "this kernel has no BPF ring buffers; needs Linux 5.8 or later".into(),
        )),
        Err(err) => Err(CaptureError::BpfUnavailable(format!(
            "bpf(2) failed ({err}); a container or seccomp profile may be blocking it"
        ))),
    }
}

/// CAP_BPF with CAP_PERFMON, or CAP_SYS_ADMIN which covers both on older kernels.
fn has_tracing_capabilities() -> bool {
    let Some(effective) = effective_capabilities() else {
        return nix::unistd::geteuid().is_root();
    };
    let has = |cap: u32| effective & (1u64 << cap) != 0;
    (has(CAP_BPF) && has(CAP_PERFMON)) || has(CAP_SYS_ADMIN)
}

/// The `CapEff:` mask of /proc/self/status.
fn effective_capabilities() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let hex = status.lines().find_map(|line| line.strip_prefix("CapEff:"))?;
    u64::from_str_radix(hex.trim(), 16).ok()
}

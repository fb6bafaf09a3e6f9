//! Everything that can go wrong while capturing, each said so that the user
//! knows what to do next.

use thiserror::Error;

/// Why a capture could not start or continue.
#[derive(Debug, Error)]
pub enum CaptureError {
    #[error("needs CAP_BPF and CAP_PERFMON (run as root)")]
    NotPrivileged,

    #[error("no kernel BTF at /sys/kernel/btf/vmlinux; needs a kernel built with CONFIG_DEBUG_INFO_BTF=y")]
    NoBtf,

    #[error("BPF is unavailable: {0}")]
    BpfUnavailable(String),

    #[error("invalid capture settings: {0}")]
    InvalidConfig(String),

    /// Every hook that was allowed to run failed; `detail` names each and why.
    #[error("no BPF hook could be attached ({detail}); {hint}")]
    NoHook {
        detail: String,
        /// What to try next.
        hint: &'static str,
        /// What libbpf printed meanwhile (the verifier log tail), for `--verbose` output.
        libbpf_log: Vec<String>,
    },

    #[error("{what}: {source}")]
    Bpf {
        what: &'static str,
        #[source]
        source: libbpf_rs::Error,
    },

    #[error("waiting for ring-buffer data: {0}")]
    Wait(#[source] std::io::Error),

    #[error("reading the ring buffer failed: {0}")]
    Ring(#[source] std::io::Error),

    #[error("giving up privileges failed: {0}")]
    Privileges(String),
}

impl CaptureError {
    pub(crate) fn bpf(what: &'static str) -> impl FnOnce(libbpf_rs::Error) -> CaptureError {
        move |source| CaptureError::Bpf { what, source }
    }
}

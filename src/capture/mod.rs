//! Capturing accept events from the running kernel: load the BPF object,
//! choose the attach strategy, poll the ring buffer, and turn the kernel's
//! records into the format's [`AcceptEvent`]s.
//!
//! The only `unsafe` code of the crate outside the format's mmap lives here.
//! Typical use: [`check_environment`], [`Capture::start`], then loop on
//! [`Capture::wait`] (about 10 ms) and [`Capture::drain`].

mod convert;
mod environment;
mod error;
mod hooks;
mod host;
mod libbpf_log;
pub mod privileges;
mod pushdown;
mod ring;
pub mod session;
mod skel;
#[cfg(test)]
mod tests;

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use libbpf_rs::{MapCore, MapFlags};

use crate::format::{AcceptEvent, EventKind, FilterSpec, HookInfo};

pub use environment::check_environment;
pub use error::CaptureError;
pub use host::{host_info, time_anchor};

use hooks::LoadedSkel;
use pushdown::KernelSettings;
use ring::EventRing;

/// What to capture and how.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaptureConfig {
    /// Bit set of [`EventKind::bit`].
    pub events: u32,
    /// Pushed into the kernel where it fits (pids, exact comms, ports); the
    /// kernel passes a superset, so the caller still applies the full filter.
    pub filter: FilterSpec,
    /// Ring-buffer bytes: a power of two, at least one page.
    pub ring_size: u32,
    pub hook: HookChoice,
    /// Also record accepts that failed with EAGAIN (non-blocking listeners).
    pub include_eagain: bool,
}

impl CaptureConfig {
    /// 8 MiB holds about 24k records: over 100 ms of a busy accept loop.
    pub const DEFAULT_RING_SIZE: u32 = 8 << 20;
}

impl Default for CaptureConfig {
    fn default() -> CaptureConfig {
        CaptureConfig {
            events: EventKind::ALL.iter().fold(0, |mask, kind| mask | kind.bit()),
            filter: FilterSpec::default(),
            ring_size: CaptureConfig::DEFAULT_RING_SIZE,
            hook: HookChoice::Auto,
            include_eagain: false,
        }
    }
}

/// How to hook security_socket_accept. `Auto` tries fentry, then kprobe, then
/// the sys_enter_accept{,4} tracepoints.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum HookChoice {
    #[default]
    Auto,
    Fentry,
    Kprobe,
    Tracepoint,
}

impl HookChoice {
    pub fn name(self) -> &'static str {
        match self {
            HookChoice::Auto => "auto",
            HookChoice::Fentry => "fentry",
            HookChoice::Kprobe => "kprobe",
            HookChoice::Tracepoint => "tracepoint",
        }
    }
}

impl fmt::Display for HookChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for HookChoice {
    type Err = CaptureError;

    fn from_str(text: &str) -> Result<HookChoice, CaptureError> {
        [HookChoice::Auto, HookChoice::Fentry, HookChoice::Kprobe, HookChoice::Tracepoint]
            .into_iter()
            .find(|choice| choice.name() == text)
            .ok_or_else(|| {
                CaptureError::InvalidConfig(format!(
                    "unknown hook `{text}`; use auto, fentry, kprobe or tracepoint"
                ))
            })
    }
}

/// A running capture. Dropping it detaches every program.
///
/// Not `Send`: create it on the thread that polls it.
pub struct Capture {
    // Declaration order is drop order: the reader goes before the maps it reads.
    ring: EventRing,
    loaded: LoadedSkel,
    hooks: Vec<HookInfo>,
}

impl fmt::Debug for Capture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Capture")
            .field("hooks", &self.hooks)
            .field("ring", &self.ring)
            .finish_non_exhaustive()
    }
}

impl Capture {
    /// Checks the environment, loads and attaches the programs. Events are
    /// recorded from the moment this returns.
    pub fn start(cfg: &CaptureConfig) -> Result<Capture, CaptureError> {
        let settings = KernelSettings::from_config(cfg)?;
        check_environment()?;
        let (loaded, hooks) = hooks::load_and_attach(&settings, cfg.hook)?;
        let ring = EventRing::new(&loaded.skel.maps.events, settings.ring_size)?;
        Ok(Capture { ring, loaded, hooks })
    }

    /// How each enabled event is hooked, for the recording's header.
    pub fn hooks(&self) -> Vec<HookInfo> {
        self.hooks.clone()
    }

    /// Sleeps up to `timeout`; returns early when the kernel wakes the reader
    /// because the ring is filling up.
    pub fn wait(&mut self, timeout: Duration) -> Result<(), CaptureError> {
        self.ring.wait(timeout)
    }

    /// Hands every event available now to `sink`, oldest first; returns how many.
    pub fn drain(&mut self, sink: &mut dyn FnMut(AcceptEvent)) -> Result<usize, CaptureError> {
        self.ring.drain(sink)
    }

    /// Events the kernel could not record because the ring was full, so far.
    pub fn dropped(&self) -> Result<u64, CaptureError> {
        let per_cpu = self
            .loaded
            .skel
            .maps
            .dropped
            .lookup_percpu(&0u32.to_ne_bytes(), MapFlags::ANY)
            .map_err(CaptureError::bpf("reading the drop counter"))?
            .unwrap_or_default();
        let count =
            |bytes: &Vec<u8>| bytes.get(..8).and_then(|b| b.try_into().ok()).map_or(0, u64::from_ne_bytes);
        Ok(per_cpu.iter().map(count).sum())
    }

    /// Records that reached user space but could not be read: non-zero means
    /// the BPF object and this program disagree, a bug.
    pub fn malformed(&self) -> u64 {
        self.ring.malformed()
    }
}

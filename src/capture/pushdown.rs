//! What of a [`CaptureConfig`] the kernel checks itself, written into the BPF
//! program's `const volatile` globals before load.
//!
//! The kernel only has to pass a superset of what the full filter wants (the
//! rest is filtered in user space), so anything that does not fit its small
//! fixed tables is simply not pushed down.

use crate::format::{EventKind, FilterSpec};

use super::CaptureConfig;
use super::error::CaptureError;
use super::skel::types::rodata;

/// Table sizes of `bpf/accept.bpf.c` (`MAX_*_FILTERS`).
const MAX_PIDS: usize = 8;
const MAX_COMMS: usize = 4;
const MAX_PORTS: usize = 8;
/// The kernel keeps 15 bytes of a comm plus its NUL.
const COMM_LEN: usize = 16;
/// The kernel rejects ring sizes that are not a power-of-two number of pages.
const PAGE_SIZE: u32 = 4096;

/// The kernel-side settings, validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct KernelSettings {
    pub events: u32,
    pub ring_size: u32,
    /// Each empty list means "any".
    pub pids: Vec<u32>,
    pub comms: Vec<[u8; COMM_LEN]>,
    pub ports: Vec<u16>,
    pub include_eagain: bool,
    /// Unread ring bytes past which a submit wakes the reader.
    pub wake_threshold: u64,
}

impl KernelSettings {
    pub(crate) fn from_config(cfg: &CaptureConfig) -> Result<KernelSettings, CaptureError> {
        let known = EventKind::ALL.iter().fold(0, |mask, kind| mask | kind.bit());
        if cfg.events == 0 || cfg.events & !known != 0 {
            return Err(CaptureError::InvalidConfig(format!(
                "event mask {:#x} must select socket_accept, security_socket_accept or both",
                cfg.events
            )));
        }
        if !cfg.ring_size.is_power_of_two() || cfg.ring_size < PAGE_SIZE {
            return Err(CaptureError::InvalidConfig(format!(
                "ring size {} must be a power of two of at least {PAGE_SIZE} bytes",
                cfg.ring_size
            )));
        }
        Ok(KernelSettings {
            events: cfg.events,
            ring_size: cfg.ring_size,
            pids: pushed_pids(&cfg.filter),
            comms: pushed_comms(&cfg.filter),
            ports: pushed_ports(&cfg.filter),
            include_eagain: cfg.include_eagain,
            // A quarter full leaves the reader three quarters of the ring to catch up in.
            wake_threshold: u64::from(cfg.ring_size / 4),
        })
    }

    pub(crate) fn wants(&self, kind: EventKind) -> bool {
        self.events & kind.bit() != 0
    }

    /// Fills the program's configuration; `security_from_enter` selects the
    /// tracepoint fallback for security_socket_accept.
    pub(crate) fn write_rodata(&self, data: &mut rodata, security_from_enter: bool) {
        data.cfg_events = self.events;
        data.cfg_pid_count = self.pids.len() as u32;
        data.cfg_pids[..self.pids.len()].copy_from_slice(&self.pids);
        data.cfg_comm_count = self.comms.len() as u32;
        for (slot, comm) in data.cfg_comms.iter_mut().zip(&self.comms) {
            *slot = comm.map(|b| b as i8);
        }
        data.cfg_port_count = self.ports.len() as u32;
        data.cfg_ports[..self.ports.len()].copy_from_slice(&self.ports);
        data.cfg_include_eagain = u8::from(self.include_eagain);
        data.cfg_security_from_enter = u8::from(security_from_enter);
        data.cfg_wake_threshold = self.wake_threshold;
    }
}

fn dedup<T: Ord + Copy>(items: impl IntoIterator<Item = T>) -> Vec<T> {
    let mut items: Vec<T> = items.into_iter().collect();
    items.sort_unstable();
    items.dedup();
    items
}

fn pushed_pids(filter: &FilterSpec) -> Vec<u32> {
    let pids = dedup(filter.pids.iter().copied());
    if pids.len() <= MAX_PIDS { pids } else { Vec::new() }
}

/// Exact names only: one glob among them means the kernel cannot decide.
fn pushed_comms(filter: &FilterSpec) -> Vec<[u8; COMM_LEN]> {
    let is_glob = |name: &String| name.bytes().any(|b| b == b'*' || b == b'?');
    if filter.comms.iter().any(is_glob) {
        return Vec::new();
    }
    // The kernel truncates comms to 15 bytes, so a longer name is compared as
    // its first 15: a superset of the exact match user space does.
    let comms = dedup(filter.comms.iter().map(|name| {
        let mut comm = [0u8; COMM_LEN];
        let len = name.len().min(COMM_LEN - 1);
        comm[..len].copy_from_slice(&name.as_bytes()[..len]);
        comm
    }));
    if comms.len() <= MAX_COMMS { comms } else { Vec::new() }
}

/// Every port list names a side that must match, so their union matched
/// against either side passes everything the full filter passes.
fn pushed_ports(filter: &FilterSpec) -> Vec<u16> {
    let ports = dedup(filter.ports.iter().chain(&filter.lports).chain(&filter.rports).copied());
    // Port 0 also stands for "no port" in the kernel's comparison.
    if ports.len() <= MAX_PORTS && !ports.contains(&0) { ports } else { Vec::new() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter() -> FilterSpec {
        FilterSpec::default()
    }

    #[test]
    fn pushes_what_fits_and_drops_what_does_not() {
        let mut f = filter();
        f.pids = vec![5, 3, 5];
        f.comms = vec!["nginx".into(), "a-very-long-process-name".into()];
        f.lports = vec![443];
        f.ports = vec![80, 443];
        assert_eq!(pushed_pids(&f), vec![3, 5]);
        assert_eq!(pushed_comms(&f)[1][..6], *b"nginx\0");
        assert_eq!(&pushed_comms(&f)[0][..], b"a-very-long-pro\0");
        assert_eq!(pushed_ports(&f), vec![80, 443]);

        f.pids = (1..=9).collect();
        f.comms.push("ng*".into());
        f.ports = vec![0];
        assert!(pushed_pids(&f).is_empty());
        assert!(pushed_comms(&f).is_empty());
        assert!(pushed_ports(&f).is_empty());
    }

    #[test]
    fn rejects_bad_event_masks_and_ring_sizes() {
        let mut cfg = CaptureConfig { events: 0, ..CaptureConfig::default() };
        assert!(KernelSettings::from_config(&cfg).is_err());
        cfg.events = 4;
        assert!(KernelSettings::from_config(&cfg).is_err());
        cfg.events = EventKind::SocketAccept.bit();
        cfg.ring_size = 3 << 20;
        assert!(KernelSettings::from_config(&cfg).is_err());
        cfg.ring_size = 1 << 20;
        let settings = KernelSettings::from_config(&cfg).unwrap();
        assert_eq!(settings.wake_threshold, 1 << 18);
        assert!(!settings.wants(EventKind::SecuritySocketAccept));
    }
}

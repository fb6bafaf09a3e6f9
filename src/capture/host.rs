//! Facts about the recording host and its clocks, for the recording's header.

use nix::time::{ClockId, clock_gettime};

use crate::format::{HostInfo, TimeAnchor};

/// Clock samples taken; the tightest pair wins.
const ANCHOR_SAMPLES: usize = 5;

/// Ties CLOCK_BOOTTIME (the event clock) to CLOCK_REALTIME.
///
/// The wall clock is read between two boot-clock reads; the sample whose two
/// boot reads are closest together brackets it tightest, and its midpoint is
/// taken as the boot time of the wall-clock read.
pub fn time_anchor() -> TimeAnchor {
    let mut best = TimeAnchor::default();
    let mut best_gap = u64::MAX;
    for _ in 0..ANCHOR_SAMPLES {
        let before = clock_ns(ClockId::CLOCK_BOOTTIME);
        let wall = clock_ns(ClockId::CLOCK_REALTIME);
        let after = clock_ns(ClockId::CLOCK_BOOTTIME);
        let gap = after.saturating_sub(before);
        if gap < best_gap {
            best_gap = gap;
            best = TimeAnchor { boot_ns: before + gap / 2, wall_ns: wall };
        }
    }
    best
}

/// This host as the header describes it; unknown facts are left empty.
pub fn host_info(label: &str) -> HostInfo {
    let hostname =
        nix::unistd::gethostname().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
    let kernel_release = nix::sys::utsname::uname()
        .map(|uts| uts.release().to_string_lossy().into_owned())
        .unwrap_or_default();
    let boot_id = std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .map(|id| id.trim().to_string())
        .unwrap_or_default();
    HostInfo { hostname, kernel_release, boot_id, anchor: time_anchor(), label: label.to_string() }
}

/// Nanoseconds on `clock`; these clocks cannot fail on Linux, 0 if they somehow do.
fn clock_ns(clock: ClockId) -> u64 {
    clock_gettime(clock).map(|ts| ts.tv_sec() as u64 * 1_000_000_000 + ts.tv_nsec() as u64).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchor_maps_now_to_now() {
        let anchor = time_anchor();
        let wall_now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
        let boot_now = clock_ns(ClockId::CLOCK_BOOTTIME);
        let mapped = anchor.to_wall(boot_now);
        assert!((mapped - wall_now as i128).abs() < 50_000_000, "anchor off by more than 50 ms");
    }

    #[test]
    fn host_info_names_this_host() {
        let info = host_info("run.trc");
        assert_eq!(info.label, "run.trc");
        assert!(!info.kernel_release.is_empty());
        assert_eq!(info.boot_id.len(), 36, "boot_id is a UUID: {:?}", info.boot_id);
    }
}

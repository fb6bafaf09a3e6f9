//! Recording metadata: who recorded what, where, how, and the clock anchor.

use serde::{Deserialize, Serialize};

use super::event::EventKind;

/// Maps the event clock (CLOCK_BOOTTIME ns) to wall-clock time.
///
/// Sampled once at the start of recording; `wall = ts - boot_ns + wall_ns`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeAnchor {
    pub boot_ns: u64,
    /// Nanoseconds since the Unix epoch at `boot_ns`.
    pub wall_ns: u64,
}

impl TimeAnchor {
    /// Wall-clock ns since the epoch of an event timestamp.
    pub fn to_wall(&self, ts_ns: u64) -> i128 {
        ts_ns as i128 - self.boot_ns as i128 + self.wall_ns as i128
    }

    /// Event timestamp of a wall-clock instant, clamped to the clock's range.
    pub fn to_ts(&self, wall_ns: i128) -> u64 {
        (wall_ns - self.wall_ns as i128 + self.boot_ns as i128).clamp(0, u64::MAX as i128) as u64
    }
}

/// One machine the events came from. A plain recording has one; a merge keeps all.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostInfo {
    pub hostname: String,
    /// `uname -r`.
    pub kernel_release: String,
    /// `/proc/sys/kernel/random/boot_id`, which tells two boots of one host apart.
    pub boot_id: String,
    /// This host's own anchor, kept for reference after a merge re-bases times.
    pub anchor: TimeAnchor,
    /// Where the events came from: the output path, or the source file of a merge.
    pub label: String,
}

/// How one event was captured.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HookInfo {
    pub event: EventKind,
    /// `fentry`, `kprobe`, `tracepoint`, ...
    pub hook: String,
    /// The attach point, and why stronger hooks were not used.
    pub detail: String,
}

/// The Header frame's body. A minor version may append fields at the end of
/// this struct only; nested structs are fixed for all of v1 (format-spec.md).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// `accept-rec 0.1.0`.
    pub created_by: String,
    /// The full command line that made the file.
    pub command_line: Vec<String>,
    /// Wall-clock ns when recording (or the derived file) started.
    pub started_wall_ns: u64,
    /// The clock domain of every event timestamp in this file.
    pub clock: TimeAnchor,
    /// Index 0 is the recording host; events name theirs by `source`.
    pub hosts: Vec<HostInfo>,
    /// Bit set of [`EventKind::bit`]: the events that were being captured.
    pub events: u32,
    pub hooks: Vec<HookInfo>,
    /// The filter in command-line form; empty when none.
    pub filter: String,
    /// Ring-buffer bytes; 0 for derived files.
    pub ring_size: u64,
    /// The writer's longest wait before it writes a block.
    pub flush_interval_ms: u32,
    /// Whether failed accepts with EAGAIN were captured.
    pub include_eagain: bool,
    /// Position in a rotation set, from 0; 0 when not rotating.
    pub rotation_seq: u32,
    /// For derived files (filter, merge, recover): the inputs, else empty.
    pub derived_from: Vec<String>,
}

impl Header {
    pub fn captures(&self, kind: EventKind) -> bool {
        self.events & kind.bit() != 0
    }

    pub fn hook_for(&self, kind: EventKind) -> Option<&HookInfo> {
        self.hooks.iter().find(|h| h.event == kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `HookInfo.event` is stored as bincode's enum variant index
    /// (format-spec.md); it must equal the kind's on-disk code.
    #[test]
    fn event_kinds_serialize_as_their_codes() {
        for kind in EventKind::ALL {
            let bytes = crate::format::records::to_bytes(&kind);
            assert_eq!(bytes, u32::from(kind as u8).to_le_bytes(), "{kind}");
        }
    }
}

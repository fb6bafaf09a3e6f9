//! The `.trc` recording format: the event model, the byte-level codec, and
//! the reader and writer. Normative description: `format-spec.md`.
//!
//! Nothing here touches libbpf, and nothing here is `unsafe` except mapping a
//! file into memory.

pub mod event;
pub mod filter;
pub mod header;

pub use event::{AcceptEvent, Comm, EventFlags, EventKind, PeerCred, ProcessContext, SockAddr, UnixPath};
pub use filter::FilterSpec;
pub use header::{Header, HookInfo, HostInfo, TimeAnchor};

//! The `.trc` recording format: the event model, the byte-level codec, and
//! the reader and writer. Normative description: `format-spec.md`.
//!
//! Nothing here touches libbpf, and nothing here is `unsafe` except mapping a
//! file into memory.

pub mod block;
mod columns;
pub mod errno;
pub mod error;
pub mod event;
pub mod file;
pub mod filter;
pub mod frame;
pub mod header;
pub mod reader;
pub mod records;
pub mod verify;
pub mod writer;

pub use error::FormatError;
pub use event::{AcceptEvent, Comm, EventFlags, EventKind, PeerCred, ProcessContext, SockAddr, UnixPath};
pub use filter::FilterSpec;
pub use header::{Header, HookInfo, HostInfo, TimeAnchor};
pub use reader::{BlockRef, Ending, Recording};
pub use records::{Loss, Stats};
pub use writer::{Writer, WriterOptions};

#[cfg(test)]
mod hostile_tests;
#[cfg(test)]
mod tests;

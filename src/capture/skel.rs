//! The skeleton libbpf-cargo generates from `bpf/accept.bpf.c` (see `build.rs`):
//! `AcceptSkelBuilder`, the open and loaded skeletons, and `types::accept_event`,
//! the Rust twin of `bpf/accept.h`.

#![allow(clippy::all, missing_debug_implementations, unsafe_op_in_unsafe_fn)]

include!(concat!(env!("OUT_DIR"), "/accept.skel.rs"));

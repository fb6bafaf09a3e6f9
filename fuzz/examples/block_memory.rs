//! Measures the most memory one block can make the reader take, the bound
//! documented on `MAX_BLOCK_RAW`: builds the worst block there is and
//! decodes it, printing the process's peak RSS before and after.
//!
//!     cargo +nightly run --release --manifest-path fuzz/Cargo.toml --example block_memory
//!
//! The worst block has 2^20 events (the most a block may hold), two empty
//! addresses per event (the most the address table may hold; 4 bytes on
//! disk, 32 in memory), one context, and the rest of its 64 MiB payload
//! spent turning empty addresses into empty unix paths (12 bytes on disk,
//! 32 plus a 16-byte Arc in memory). It is a valid block: every index is in
//! range, so decoding gets all the way to the events.

use accept_rec::format::block::{BlockDecoder, MAX_BLOCK_EVENTS, MAX_BLOCK_RAW};
use accept_rec_fuzz::inputs;

/// A `/proc/self/status` field in kB: `VmRSS` now, `VmHWM` at its peak.
fn status_kb(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let line = status.lines().find(|l| l.starts_with(field)).unwrap_or_default();
    line.split_whitespace().nth(1).and_then(|kb| kb.parse().ok()).unwrap_or(0)
}

fn column(raw: &mut Vec<u8>, n: usize, entry: impl Fn(usize) -> Vec<u8>) {
    raw.extend_from_slice(&(n as u64).to_le_bytes());
    for i in 0..n {
        raw.extend_from_slice(&entry(i));
    }
}

fn worst_payload() -> Vec<u8> {
    let n = MAX_BLOCK_EVENTS as usize;
    let addrs = 2 * n;
    // 17 lengths, 50 bytes per event, one 56-byte context, 4 bytes per empty address.
    let spare = MAX_BLOCK_RAW as usize - 17 * 8 - 50 * n - 56 - 4 * addrs;
    let unix = spare / 8;
    let mut raw = Vec::with_capacity(MAX_BLOCK_RAW as usize);
    column(&mut raw, 1, |_| vec![0; 56]);
    column(&mut raw, addrs, |i| {
        if i < unix { [3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0].to_vec() } else { vec![0; 4] }
    });
    for width in [1, 8, 4, 4, 4, 4, 2] {
        column(&mut raw, n, |_| vec![0; width]);
    }
    column(&mut raw, n, |i| (2 * i as u32).to_le_bytes().to_vec());
    column(&mut raw, n, |_| vec![0; 2]);
    column(&mut raw, n, |i| (2 * i as u32 + 1).to_le_bytes().to_vec());
    for width in [2, 4, 4, 1, 2] {
        column(&mut raw, n, |_| vec![0; width]);
    }
    raw
}

fn main() {
    let payload = worst_payload();
    let mut meta = Vec::new();
    meta.extend_from_slice(&MAX_BLOCK_EVENTS.to_le_bytes());
    meta.extend_from_slice(&[0; 16]);
    let body = inputs::build_block(&meta, &payload);
    drop(payload);
    let before = status_kb("VmRSS");
    println!("block body: {} bytes; RSS before decoding: {} MiB", body.len(), before >> 10);
    let mut decoder = BlockDecoder::new().expect("decoder");
    let mut events = Vec::new();
    let result = decoder.decode(&body, 0, &mut events);
    let peak = status_kb("VmHWM");
    println!("decoded: {:?}, {} events", result.map(|m| m.raw_len), events.len());
    println!("peak RSS {} MiB: {} MiB more than before decoding", peak >> 10, (peak - before) >> 10);
}

//! The frame walk, from the start and from after the preamble, on raw input
//! and (first byte odd) on input whose checksums were made right.
#![no_main]

use accept_rec::format::frame::PREAMBLE_LEN;
use accept_rec_fuzz::{checks, inputs};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let file = inputs::flagged_file(data);
    checks::check_walk(&file, 0);
    checks::check_walk(&file, PREAMBLE_LEN as u64);
});

//! Whole files: open, read every event, verify, recover and read back. The
//! first byte odd makes every frame's checksum right first.
#![no_main]

use accept_rec_fuzz::{checks, inputs};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    checks::check_file(inputs::flagged_file(data));
});

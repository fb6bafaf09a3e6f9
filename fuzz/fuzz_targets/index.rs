//! Finished recordings whose footer index body (and, first byte's high bit
//! set, trailer offset) the fuzzer writes, with right checksums.
#![no_main]

use accept_rec_fuzz::{checks, inputs};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    checks::check_file(inputs::index_file(data));
});

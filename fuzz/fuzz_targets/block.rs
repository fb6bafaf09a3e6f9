//! `BlockDecoder::decode` on arbitrary block bodies (first byte even) and on
//! bodies built around an uncompressed payload the fuzzer mutates (odd).
#![no_main]

use accept_rec_fuzz::{checks, inputs};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    checks::check_block(&inputs::block_body(data));
});

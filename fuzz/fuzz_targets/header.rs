//! The preamble and the header frame: the input is a header frame body,
//! framed with a right checksum; the raw input also goes through the
//! preamble check and the first frame read.
#![no_main]

use accept_rec::format::frame::{self, PREAMBLE_LEN};
use accept_rec_fuzz::{checks, inputs};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = frame::check_preamble(data);
    let _ = frame::read_at(data, PREAMBLE_LEN as u64);
    checks::check_file(inputs::header_file(data));
});

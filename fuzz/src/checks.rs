//! What every reader entry point must do with any input: return, without
//! panicking, a result or an error that points inside the input; and leave
//! a `recover`ed file that reads back clean. `src/format/hostile_tests.rs`
//! checks the same on the committed regression inputs.

use accept_rec::format::block::{BlockDecoder, MAX_BLOCK_EVENTS};
use accept_rec::format::frame::{self, FRAME_OVERHEAD, FrameFault, MAX_FRAME_BODY};
use accept_rec::format::verify::{recover, verify};
use accept_rec::format::{Ending, FormatError, Recording};

use crate::inputs::ReaderInput;

/// Runs `input` through the reader entry points that take it.
pub fn check(input: ReaderInput) {
    match input {
        ReaderInput::File(bytes) => check_file(bytes),
        ReaderInput::Block(body) => check_block(&body),
    }
}

fn assert_within(error: &FormatError, len: u64) {
    if let Some(offset) = error.offset() {
        assert!(offset <= len, "{error} points at byte {offset}, past the end ({len} bytes)");
    }
}

/// Opens, reads every event, verifies and recovers a whole file.
pub fn check_file(bytes: Vec<u8>) {
    let len = bytes.len() as u64;
    let recording = match Recording::from_vec(bytes) {
        Ok(recording) => recording,
        Err(error) => return assert_within(&error, len),
    };
    match &recording.ending {
        Ending::Corrupt(error) => assert_within(error, len),
        Ending::Truncated { offset, .. } => assert!(*offset < len),
        Ending::Finished | Ending::Unfinished => {}
    }
    let promised = recording.event_count();
    let (mut events, mut errors) = (0u64, 0);
    for item in recording.events() {
        match item {
            Ok(_) => events += 1,
            Err(error) => {
                assert_within(&error, len);
                errors += 1;
            }
        }
        assert!(events <= promised, "more events than the block headers hold");
    }
    assert!(errors <= 1, "events() went on after an error");
    if errors == 0 {
        assert_eq!(events, promised);
    }

    let report = verify(&recording);
    assert!(report.good_bytes <= len);
    if let Some(error) = &report.first_error {
        assert_within(error, len);
    }

    match recover(&recording, Vec::new()) {
        Ok((out, recovered)) => {
            let again = Recording::from_vec(out).expect("a recovered file opens");
            assert!(again.indexed && matches!(again.ending, Ending::Finished), "{:?}", again.ending);
            assert_eq!(again.event_count(), recovered.events);
            let report = verify(&again);
            assert!(report.first_error.is_none(), "recovered file: {:?}", report.first_error);
        }
        Err(error) => assert_within(&error, len),
    }
}

/// Decodes a block body twice with one decoder, as the reader reuses it.
pub fn check_block(body: &[u8]) {
    let offset = 4096;
    let mut decoder = BlockDecoder::new().expect("decoder");
    let mut first = Vec::new();
    let result = decoder.decode(body, offset, &mut first);
    match &result {
        Ok(meta) => {
            assert!(meta.events <= MAX_BLOCK_EVENTS);
            assert_eq!(first.len(), meta.events as usize);
            assert!(first.windows(2).all(|w| w[0].ts_ns <= w[1].ts_ns), "events out of order");
            assert!(first.iter().all(|e| (meta.min_ts..=meta.max_ts).contains(&e.ts_ns)));
        }
        Err(error) => {
            assert_eq!(error.offset(), Some(offset), "{error}");
            assert!(first.is_empty(), "a failed decode left {} events behind", first.len());
        }
    }
    let mut second = Vec::new();
    let again = decoder.decode(body, offset, &mut second);
    assert_eq!(result.is_ok(), again.is_ok());
    assert_eq!(first, second);
}

/// Walks the frames of `file` from `start` and checks the walk's promises.
pub fn check_walk(file: &[u8], start: u64) {
    let len = file.len() as u64;
    let mut previous_end = start;
    let mut faults = 0;
    for item in frame::walk(file, start) {
        assert_eq!(faults, 0, "the walk went on after a fault");
        match item {
            Ok(f) => {
                assert_eq!(f.offset, previous_end, "frames are contiguous");
                assert!(f.body.len() as u64 <= MAX_FRAME_BODY);
                assert_eq!(f.end(), f.offset + (FRAME_OVERHEAD + f.body.len()) as u64);
                assert!(f.end() <= len);
                previous_end = f.end();
            }
            Err((offset, fault)) => {
                assert_eq!(offset, previous_end);
                assert!(offset < len);
                if let FrameFault::Bad(error) = fault {
                    assert_eq!(error.offset(), Some(offset));
                }
                faults += 1;
            }
        }
    }
}

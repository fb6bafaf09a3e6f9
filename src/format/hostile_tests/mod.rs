//! The reader against hostile bytes: the fuzz regressions kept in
//! `fixtures/fuzz-regressions/`, and a property test that damages real
//! recordings. Whatever the bytes, the reader returns a recording or an
//! error pointing inside the file, reading events ends, and no block makes it
//! hold more than the limits in `block.rs` allow.

use std::path::Path;

use super::block::{BlockDecoder, MAX_BLOCK_EVENTS, MAX_BLOCK_RAW};
use super::frame::{self, FrameType, PREAMBLE_LEN};
use super::verify::{recover, verify};
use super::*;

mod mutations;

fn assert_within(error: &FormatError, len: u64) {
    if let Some(offset) = error.offset() {
        assert!(offset <= len, "{error} points at byte {offset}, past the end ({len} bytes)");
    }
}

/// What the fuzz targets check (fuzz/src/checks.rs): open, read every
/// event, verify, recover, and read the recovered file back. Returns the
/// errors seen, for the caller to judge.
fn check_file(bytes: Vec<u8>) -> Vec<FormatError> {
    let len = bytes.len() as u64;
    let recording = match Recording::from_vec(bytes) {
        Ok(recording) => recording,
        Err(error) => {
            assert_within(&error, len);
            return vec![error];
        }
    };
    let mut errors = Vec::new();
    match &recording.ending {
        Ending::Truncated { offset, .. } => assert!(*offset < len),
        Ending::Corrupt(error) => assert_within(error, len),
        Ending::Finished | Ending::Unfinished => {}
    }
    let promised = recording.event_count();
    let mut events = 0;
    for item in recording.events() {
        assert!(errors.is_empty(), "events() went on after an error");
        match item {
            Ok(_) => events += 1,
            Err(error) => {
                assert_within(&error, len);
                errors.push(error);
            }
        }
        assert!(events <= promised, "more events than the block headers hold");
    }
    if errors.is_empty() {
        assert_eq!(events, promised);
    }
    let report = verify(&recording);
    assert!(report.good_bytes <= len);
    if let Some(error) = report.first_error {
        assert_within(&error, len);
        errors.push(error);
    }
    let (out, recovered) = recover(&recording, Vec::new()).expect("recover of an opened recording");
    let again = Recording::from_vec(out).expect("a recovered file opens");
    assert!(again.indexed && matches!(again.ending, Ending::Finished), "{:?}", again.ending);
    assert_eq!(again.event_count(), recovered.events);
    assert!(verify(&again).first_error.is_none());
    if let Ending::Corrupt(error) = recording.ending {
        errors.push(error);
    }
    errors
}

/// Decodes a block body twice with one decoder, as the reader reuses it.
fn check_block(body: &[u8]) -> Option<FormatError> {
    let offset = 4096;
    let mut decoder = BlockDecoder::new().unwrap();
    let mut first = Vec::new();
    let result = decoder.decode(body, offset, &mut first);
    assert!(decoder.raw_capacity() as u64 <= MAX_BLOCK_RAW);
    let mut second = Vec::new();
    assert_eq!(result.is_ok(), decoder.decode(body, offset, &mut second).is_ok());
    assert_eq!(first, second);
    match result {
        Ok(meta) => {
            assert!(meta.events <= MAX_BLOCK_EVENTS);
            assert_eq!(first.len(), meta.events as usize);
            assert!(first.iter().all(|e| (meta.min_ts..=meta.max_ts).contains(&e.ts_ns)));
            None
        }
        Err(error) => {
            assert_eq!(error.offset(), Some(offset), "{error}");
            assert!(first.is_empty(), "a failed decode left {} events behind", first.len());
            Some(error)
        }
    }
}

#[test]
fn fuzz_regressions_are_refused_cleanly() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/fuzz-regressions");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        match path.extension().and_then(|e| e.to_str()) {
            Some("trc") => drop(check_file(bytes)),
            Some("block") => drop(check_block(&bytes)),
            Some("md") => continue,
            _ => panic!("{}: regression inputs end in .trc or .block", path.display()),
        }
        seen += 1;
    }
    assert!(seen > 0, "no regression inputs in {}", dir.display());
}

fn regression(name: &str) -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/fuzz-regressions").join(name)).unwrap()
}

/// A 2 KB block of one event whose payload is a table of 16 million empty
/// addresses: 4 bytes each on disk, 32 in memory. It is refused as soon as
/// the table's length is read, before half a gigabyte is allocated for it.
#[test]
fn an_address_table_longer_than_its_block_needs_is_refused_unread() {
    let error = check_block(&regression("block-address-table-16m-entries.block")).expect("refused");
    assert!(error.to_string().contains("the address column has 16777212 entries, more than 2"), "{error}");
}

/// The sizes the memory bound on `MAX_BLOCK_RAW` is computed from.
#[test]
fn the_block_memory_bound_holds_for_these_types() {
    use std::mem::size_of;
    assert_eq!(size_of::<AcceptEvent>(), 160);
    assert_eq!(size_of::<ProcessContext>(), 56);
    assert_eq!(size_of::<SockAddr>(), 32);
}

#[test]
fn loss_counts_that_sum_past_u64_saturate() {
    let recording = Recording::from_vec(regression("recording-lost-count-overflow.trc")).unwrap();
    let report = verify(&recording);
    assert_eq!(report.lost, u64::MAX);
    let (out, _) = recover(&recording, Vec::new()).unwrap();
    assert_eq!(Recording::from_vec(out).unwrap().stats.unwrap().lost, u64::MAX);
}

/// A finished file whose one loss frame has a `body_len`-byte body (bincode
/// allows trailing bytes) and whose index lists that frame `repeats` times.
fn repeated_loss_file(body_len: usize, repeats: usize) -> Vec<u8> {
    let header = Writer::new(Vec::new(), &Header::default(), WriterOptions::default()).unwrap();
    let mut file = header.finish(Stats::default()).unwrap();
    file.truncate(frame::read_at(&file, PREAMBLE_LEN as u64).unwrap().end() as usize);
    let loss_at = file.len() as u64;
    let mut body = records::to_bytes(&Loss { ts_ns: 1, lost: 1, lost_total: 1 });
    body.resize(body_len, 0);
    frame::encode(&mut file, FrameType::Loss, &body);
    let stats_offset = file.len() as u64;
    frame::encode(&mut file, FrameType::Stats, &records::to_bytes(&Stats::default()));
    let index_offset = file.len() as u64;
    let index = records::Index { blocks: Vec::new(), losses: vec![loss_at; repeats], stats_offset };
    frame::encode(&mut file, FrameType::Index, &records::to_bytes(&index));
    frame::encode(
        &mut file,
        FrameType::IndexTrailer,
        &records::to_bytes(&records::IndexTrailer { index_offset }),
    );
    file
}

/// Checksumming is linear in the file only if no index entry sends the
/// reader back over bytes it has read. Listing a 1 MiB frame 100,000 times
/// cost 100 GB of CRC-32C (seconds; with 16 MiB frames, hours); such an
/// index is now refused and the file scanned instead.
#[test]
fn an_index_that_repeats_a_frame_is_not_followed() {
    let file = repeated_loss_file(1 << 20, 100_000);
    let started = std::time::Instant::now();
    let recording = Recording::from_vec(file).unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(2), "took {:?}", started.elapsed());
    assert!(!recording.indexed);
    assert_eq!(recording.losses.len(), 1);
    assert!(matches!(recording.ending, Ending::Finished));
}

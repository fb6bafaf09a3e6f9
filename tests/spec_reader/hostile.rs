//! Damaged payloads behind good checksums: every rule of format-spec.md
//! sections 7 and 15 must reject exactly what the crate rejects, and what
//! both accept must decode to the same events.

use accept_rec::format::{Recording, Stats, Writer, WriterOptions};

use super::decoder;
use super::file::{self, File};

/// The preamble and header frame, and the body of one event block.
fn one_block_file() -> (Vec<u8>, Vec<u8>) {
    let opts = WriterOptions { block_events: 48, zstd_level: 1 };
    let mut writer = Writer::new(Vec::new(), &super::header(), opts).unwrap();
    for event in super::varied_events().into_iter().take(48) {
        writer.push(event).unwrap();
    }
    let bytes = writer.finish(Stats::default()).unwrap();
    let header_end = file::read_frame(&bytes, 16).unwrap().end();
    let block = file::read_frame(&bytes, header_end).unwrap();
    assert_eq!(block.kind, 2);
    (bytes[..header_end as usize].to_vec(), block.body.to_vec())
}

/// An unfinished file: `prefix`, then one block frame around `header` and
/// `payload`, built as section 5 says.
fn with_block(prefix: &[u8], header: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut body = header[..28].to_vec();
    body.extend(zstd::bulk::compress(payload, 1).unwrap());
    let mut out = prefix.to_vec();
    let start = out.len();
    out.extend_from_slice(&2u32.to_le_bytes());
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&body);
    let crc = crc32c::crc32c(&out[start..]);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// Both readers' view of the file's events: the same, or both an error.
fn assert_same_verdict(bytes: &[u8], what: &str) -> bool {
    let ours = File::open(bytes).and_then(|f| f.events(bytes));
    let recording = Recording::from_vec(bytes.to_vec()).unwrap();
    let theirs: Result<Vec<_>, _> = recording.events().collect();
    match (&ours, theirs) {
        (Ok(ours), Ok(theirs)) => {
            let theirs: Vec<_> = theirs.iter().map(super::spec_event).collect();
            assert_eq!(*ours, theirs, "{what}");
        }
        (Err(_), Err(_)) => {}
        (ours, theirs) => panic!("{what}: the spec reader says {ours:?}, the crate says {theirs:?}"),
    }
    ours.is_ok()
}

#[test]
fn every_payload_byte_changed_gets_the_same_verdict() {
    let (prefix, body) = one_block_file();
    let (_, payload) = decoder::payload(&body).unwrap();
    assert!(assert_same_verdict(&with_block(&prefix, &body, &payload), "unchanged"));
    let (mut accepted, mut rejected) = (0, 0);
    for at in 0..payload.len() {
        for change in [0x01u8, 0x80, 0xff] {
            let mut damaged = payload.clone();
            damaged[at] ^= change;
            let what = format!("payload byte {at} ^ {change:#04x}");
            if assert_same_verdict(&with_block(&prefix, &body, &damaged), &what) {
                accepted += 1;
            } else {
                rejected += 1;
            }
        }
    }
    // Both kinds happen: values that are only data, and counts, indices,
    // kinds, variants, lengths and times that break a rule.
    assert!(accepted > 0 && rejected > 0, "{accepted} accepted, {rejected} rejected");
}

#[test]
fn block_header_rules_get_the_same_verdict() {
    let (prefix, body) = one_block_file();
    let (_, payload) = decoder::payload(&body).unwrap();
    let set = |at: usize, value: &[u8]| {
        let mut header = body[..28].to_vec();
        header[at..at + value.len()].copy_from_slice(value);
        header
    };
    let cases = [
        ("raw_len one short", set(4, &(payload.len() as u32 - 1).to_le_bytes())),
        ("raw_len one long", set(4, &(payload.len() as u32 + 1).to_le_bytes())),
        ("raw_len over 64 MiB", set(4, &((64u32 << 20) + 1).to_le_bytes())),
        ("no events", set(0, &0u32.to_le_bytes())),
        ("one event fewer", set(0, &47u32.to_le_bytes())),
        ("too many events", set(0, &((1u32 << 20) + 1).to_le_bytes())),
        ("max_ts below the last event", set(16, &7_200_000_000_000u64.to_le_bytes())),
        ("min_ts above max_ts", set(8, &u64::MAX.to_le_bytes())),
        ("encoding 2", set(24, &[2])),
        ("reserved bytes set", set(25, &[1, 2, 3])),
    ];
    for (what, header) in cases {
        let bytes = with_block(&prefix, &header, &payload);
        let ours = File::open(&bytes).map(|f| f.blocks.len()).unwrap();
        let recording = Recording::from_vec(bytes.clone()).unwrap();
        // Header rules make the scan stop (corrupt); payload rules fail the decode.
        assert_eq!(ours, recording.blocks.len(), "{what}");
        assert_eq!(File::open(&bytes).unwrap().ending, super::spec_ending(&recording.ending), "{what}");
        assert_same_verdict(&bytes, what);
    }
}

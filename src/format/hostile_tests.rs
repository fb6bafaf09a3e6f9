//! The reader against hostile bytes: the fuzz regressions kept in
//! `fixtures/fuzz-regressions/`, and a property test that damages real
//! recordings. Whatever the bytes, the reader returns a recording or an
//! error pointing inside the file, reading events ends, and no block makes it
//! hold more than the limits in `block.rs` allow.

use std::path::Path;

use proptest::prelude::*;
use proptest::sample::Index;

use super::block::{self, BLOCK_HEADER_LEN, BlockDecoder, MAX_BLOCK_EVENTS, MAX_BLOCK_RAW};
use super::frame::{self, FRAME_OVERHEAD, FrameType, MAX_FRAME_BODY, PREAMBLE_LEN};
use super::verify::{recover, verify};
use super::*;

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

// The property test: real recordings, damaged at random.

/// Recordings made by the `Writer`: block sizes from 1 event to all of
/// them, with and without losses, finished, unfinished and truncated.
fn originals() -> &'static [Vec<u8>] {
    static ORIGINALS: std::sync::OnceLock<Vec<Vec<u8>>> = std::sync::OnceLock::new();
    ORIGINALS.get_or_init(|| {
        let truncated = record(100, 32, &[], false);
        vec![
            record(200, 16, &[(50, 3), (120, 7)], true),
            record(300, 128, &[(10, 1)], false),
            record(40, 1, &[], true),
            record(500, 4096, &[], true),
            record(0, 16, &[], true),
            truncated[..truncated.len() - 50].to_vec(),
        ]
    })
}

/// `n` events of every address family, with `losses` as `(before event, lost)`.
fn record(n: usize, block_events: usize, losses: &[(usize, u64)], finish: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let opts = WriterOptions { block_events, zstd_level: 1 };
    let header = Header { created_by: "hostile_tests".into(), events: 3, ..Header::default() };
    let mut writer = Writer::new(&mut out, &header, opts).unwrap();
    for i in 0..n {
        if let Some((_, lost)) = losses.iter().find(|(at, _)| *at == i) {
            writer.record_loss(i as u64 * 1_000, *lost).unwrap();
        }
        writer.push(varied_event(i)).unwrap();
    }
    if finish {
        writer.finish(Stats::default()).unwrap();
    } else {
        // What a writer killed after its last flush leaves.
        writer.flush().unwrap();
    }
    out
}

fn varied_event(i: usize) -> AcceptEvent {
    let port = (i % 5) as u16;
    let addr = |k: usize| match k % 5 {
        0 => SockAddr::None,
        1 => SockAddr::Inet { addr: [10, 0, 0, k as u8].into(), port },
        2 => SockAddr::Inet6 { addr: std::net::Ipv6Addr::LOCALHOST, port, flowinfo: 0, scope_id: 1 },
        3 => SockAddr::Unix(UnixPath::new(format!("/run/{}.sock", k % 3).as_bytes())),
        _ => SockAddr::Other { family: 40 },
    };
    AcceptEvent {
        kind: if i % 2 == 0 { EventKind::SocketAccept } else { EventKind::SecuritySocketAccept },
        ts_ns: i as u64 * 1_000 + 7,
        ctx: ProcessContext { pid: 100 + (i % 3) as u32, comm: Comm::new(b"nginx"), ..Default::default() },
        fd: i as i32,
        local: addr(i),
        remote: addr(i / 3),
        peer: (i % 4 == 0).then_some(PeerCred { pid: 9, uid: 1000 }),
        ..Default::default()
    }
}

/// One way to damage a file. Positions are fractions of what is there.
#[derive(Clone, Debug)]
enum Mutation {
    FlipBit(Index, u8),
    Overwrite(Index, Vec<u8>),
    Truncate(Index),
    Insert(Index, Vec<u8>),
    Delete(Index, usize),
    /// An absurd length written over a frame's length field.
    FrameLength(Index, u32),
    /// An absurd length written over one column's length, in a block
    /// recompressed and reframed around it.
    ColumnLength(Index, Index, u64),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let max_body = MAX_FRAME_BODY as u32;
    let frame_len = prop_oneof![Just(u32::MAX), Just(max_body), Just(max_body + 1), Just(0), any::<u32>()];
    let column_len = prop_oneof![
        Just(u64::MAX),
        Just(1 << 32),
        Just(u64::from(MAX_BLOCK_EVENTS) + 1),
        Just(0),
        any::<u64>()
    ];
    let bytes = |max| proptest::collection::vec(any::<u8>(), 1..max);
    prop_oneof![
        (any::<Index>(), 0u8..8).prop_map(|(at, bit)| Mutation::FlipBit(at, bit)),
        (any::<Index>(), bytes(9)).prop_map(|(at, b)| Mutation::Overwrite(at, b)),
        any::<Index>().prop_map(Mutation::Truncate),
        (any::<Index>(), bytes(64)).prop_map(|(at, b)| Mutation::Insert(at, b)),
        (any::<Index>(), 1usize..256).prop_map(|(at, n)| Mutation::Delete(at, n)),
        (any::<Index>(), frame_len).prop_map(|(at, len)| Mutation::FrameLength(at, len)),
        (any::<Index>(), any::<Index>(), column_len)
            .prop_map(|(b, c, len)| Mutation::ColumnLength(b, c, len)),
    ]
}

/// The whole frames of `file`, from the header on.
fn frames(file: &[u8]) -> Vec<frame::Frame<'_>> {
    frame::walk(file, PREAMBLE_LEN as u64).map_while(Result::ok).collect()
}

/// `file` with the frame at `at` replaced by one of `kind` around `body`.
fn reframe(file: &[u8], at: &frame::Frame<'_>, kind: FrameType, body: &[u8]) -> Vec<u8> {
    let mut out = file[..at.offset as usize].to_vec();
    frame::encode(&mut out, kind, body);
    out.extend_from_slice(&file[at.end() as usize..]);
    out
}

fn u64_at(bytes: &[u8], at: usize) -> Option<usize> {
    u64::from_le_bytes(bytes.get(at..at.checked_add(8)?)?.try_into().ok()?).try_into().ok()
}

/// Where each of the 17 column lengths sits in a payload (format-spec.md):
/// the two tables, then the per-event columns of fixed-width entries. None
/// for a payload an earlier mutation has already broken.
fn column_length_positions(raw: &[u8]) -> Option<Vec<usize>> {
    let mut at = 8usize.checked_add(u64_at(raw, 0)?.checked_mul(56)?)?;
    let mut positions = vec![0, at];
    at += 8;
    for _ in 0..u64_at(raw, positions[1])? {
        let tag = u32::from_le_bytes(raw.get(at..at + 4)?.try_into().ok()?);
        at += 4 + match tag {
            0 => 0,
            1 => 4,
            2 => 24,
            3 => 8usize.checked_add(u64_at(raw, at + 4)?)?,
            _ => 2,
        };
    }
    for width in [1, 8, 4, 4, 4, 4, 2, 4, 2, 4, 2, 4, 4, 1, 2] {
        positions.push(at);
        at = at.checked_add(8)?.checked_add(u64_at(raw, at)?.checked_mul(width)?)?;
    }
    (at == raw.len()).then_some(positions)
}

/// A block body around `payload`, keeping `body`'s event count and times.
fn block_with_payload(body: &[u8], raw_len: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = body[..BLOCK_HEADER_LEN].to_vec();
    out[4..8].copy_from_slice(&raw_len.to_le_bytes());
    out.extend_from_slice(payload);
    out
}

fn apply(file: &mut Vec<u8>, m: &Mutation) {
    let len = file.len().max(1);
    match m {
        Mutation::FlipBit(at, bit) if !file.is_empty() => file[at.index(len)] ^= 1 << bit,
        Mutation::Overwrite(at, bytes) => {
            let at = at.index(len).min(file.len());
            let end = (at + bytes.len()).min(file.len());
            file[at..end].copy_from_slice(&bytes[..end - at]);
        }
        Mutation::Truncate(at) => file.truncate(at.index(len)),
        Mutation::Insert(at, bytes) => drop(file.splice(at.index(len)..at.index(len), bytes.iter().copied())),
        Mutation::Delete(at, n) => drop(file.drain(at.index(len)..(at.index(len) + n).min(file.len()))),
        Mutation::FrameLength(at, value) => {
            let offsets: Vec<u64> = frames(file).iter().map(|f| f.offset).collect();
            if let Some(o) = offsets.get(at.index(offsets.len().max(1))) {
                file[*o as usize + 4..*o as usize + 8].copy_from_slice(&value.to_le_bytes());
            }
        }
        Mutation::ColumnLength(block, column, value) => {
            let all = frames(file);
            let blocks: Vec<_> = all.iter().filter(|f| f.kind == FrameType::EventBlock).collect();
            let Some(target) = blocks.get(block.index(blocks.len().max(1))) else { return };
            let meta = block::read_meta(target.body, target.offset).unwrap();
            let mut raw =
                zstd::bulk::decompress(&target.body[BLOCK_HEADER_LEN..], meta.raw_len as usize).unwrap();
            let Some(positions) = column_length_positions(&raw) else { return };
            let at = positions[column.index(positions.len())];
            raw[at..at + 8].copy_from_slice(&value.to_le_bytes());
            let body = block_with_payload(target.body, meta.raw_len, &zstd::bulk::compress(&raw, 1).unwrap());
            *file = reframe(file, target, FrameType::EventBlock, &body);
        }
        Mutation::FlipBit(..) => {}
    }
}

/// Rewrites every whole frame's checksum, so damage reaches the parsers
/// behind the frame layer.
fn fix_checksums(file: &mut [u8]) {
    let mut at = PREAMBLE_LEN;
    while let Some(len) = file.get(at + 4..at + 8) {
        let end = at + FRAME_OVERHEAD + u32::from_le_bytes(len.try_into().unwrap()) as usize;
        if end > file.len() {
            return;
        }
        let crc = crc32c::crc32c(&file[at..end - 4]);
        file[end - 4..end].copy_from_slice(&crc.to_le_bytes());
        at = end;
    }
}

/// Release runs (CI) take many cases; debug runs, a few.
fn cases(release: u32) -> ProptestConfig {
    ProptestConfig::with_cases(if cfg!(debug_assertions) { release / 16 } else { release })
}

proptest! {
    #![proptest_config(cases(8192))]

    #[test]
    fn damaged_recordings_are_read_or_refused(
        original in any::<Index>(),
        mutations in proptest::collection::vec(mutation(), 1..4),
        checksums in any::<bool>(),
    ) {
        let mut file = originals()[original.index(originals().len())].clone();
        for m in &mutations {
            apply(&mut file, m);
        }
        if checksums {
            fix_checksums(&mut file);
        }
        check_file(file);
    }
}

/// What a bomb's header claims its payload expands to.
#[derive(Clone, Copy, Debug)]
enum Claim {
    /// The replaced block's own raw length: small.
    Original,
    AtLimit,
    OverLimit,
    Max,
}

/// A zstd frame of 128 MiB of zeros: twice what any block may expand to.
fn bomb() -> &'static [u8] {
    static BOMB: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    BOMB.get_or_init(|| {
        use std::io::Write;
        let mut encoder = zstd::stream::Encoder::new(Vec::new(), 1).unwrap();
        for _ in 0..(2 * MAX_BLOCK_RAW) >> 20 {
            encoder.write_all(&[0; 1 << 20]).unwrap();
        }
        encoder.finish().unwrap()
    })
}

proptest! {
    #![proptest_config(cases(96))]

    #[test]
    fn decompression_bombs_are_refused(
        original in any::<Index>(),
        block in any::<Index>(),
        claim in prop_oneof![Just(Claim::Original), Just(Claim::AtLimit), Just(Claim::OverLimit), Just(Claim::Max)],
    ) {
        let file = &originals()[original.index(originals().len())];
        let all = frames(file);
        let blocks: Vec<_> = all.iter().filter(|f| f.kind == FrameType::EventBlock).collect();
        let Some(target) = blocks.get(block.index(blocks.len().max(1))) else { return Ok(()) };
        let raw_len = match claim {
            Claim::Original => block::read_meta(target.body, target.offset).unwrap().raw_len,
            Claim::AtLimit => MAX_BLOCK_RAW as u32,
            Claim::OverLimit => MAX_BLOCK_RAW as u32 + 1,
            Claim::Max => u32::MAX,
        };
        let body = block_with_payload(target.body, raw_len, bomb());
        let refused = |e: &FormatError| matches!(e, FormatError::BlockTooLarge { .. } | FormatError::Decompress { .. });
        // check_block also sees that the decoder's buffer stayed within MAX_BLOCK_RAW.
        let error = check_block(&body).expect("a bomb is refused");
        prop_assert!(refused(&error), "{error}");
        let errors = check_file(reframe(file, target, FrameType::EventBlock, &body));
        prop_assert!(errors.iter().any(refused), "{errors:?}");
    }
}

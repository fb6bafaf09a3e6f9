//! The property test: real recordings, damaged at random, and decompression
//! bombs planted in them. Every case goes through the same checks as the
//! fuzz regressions.

use proptest::prelude::*;
use proptest::sample::Index;

use super::{check_block, check_file};
use crate::format::block::{self, BLOCK_HEADER_LEN, MAX_BLOCK_EVENTS, MAX_BLOCK_RAW};
use crate::format::frame::{self, FRAME_OVERHEAD, FrameType, MAX_FRAME_BODY, PREAMBLE_LEN};
use crate::format::*;

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

//! Round trips through the writer and reader, and what damaged files yield.

use std::net::{Ipv4Addr, Ipv6Addr};

use proptest::prelude::*;

use super::*;

fn arb_addr() -> impl Strategy<Value = SockAddr> {
    prop_oneof![
        Just(SockAddr::None),
        (any::<[u8; 4]>(), any::<u16>())
            .prop_map(|(a, port)| SockAddr::Inet { addr: Ipv4Addr::from(a), port }),
        (any::<[u8; 16]>(), any::<u16>(), any::<u32>(), any::<u32>()).prop_map(
            |(a, port, flowinfo, scope_id)| {
                SockAddr::Inet6 { addr: Ipv6Addr::from(a), port, flowinfo, scope_id }
            }
        ),
        proptest::collection::vec(any::<u8>(), 0..=108).prop_map(|p| SockAddr::Unix(UnixPath::new(&p))),
        any::<u16>().prop_map(|family| SockAddr::Other { family }),
    ]
}

prop_compose! {
    fn arb_event()(
        kind in prop_oneof![Just(EventKind::SocketAccept), Just(EventKind::SecuritySocketAccept)],
        ts_ns in 0u64..1 << 50,
        ids in any::<[u32; 5]>(),
        comm in any::<[u8; 15]>(),
        cgroup_id in any::<u64>(),
        ns in any::<[u32; 3]>(),
        fds in any::<[i32; 3]>(),
        sock_type in any::<u16>(),
        local in arb_addr(),
        remote in arb_addr(),
        peer in proptest::option::of(any::<(u32, u32)>()),
        flags in 0u8..0x80,
        source in any::<u16>(),
    ) -> AcceptEvent {
        AcceptEvent {
            kind, ts_ns,
            ctx: ProcessContext {
                pid: ids[0], tid: ids[1], ppid: ids[2], uid: ids[3], gid: ids[4],
                comm: Comm::new(&comm), cgroup_id, mnt_ns: ns[0], pid_ns: ns[1], net_ns: ns[2],
            },
            sockfd: fds[0], fd: fds[1], ret: fds[2], sock_type, local, remote,
            peer: peer.map(|(pid, uid)| PeerCred { pid, uid }),
            flags: EventFlags(flags), source,
        }
    }
}

fn sample_header() -> Header {
    Header { created_by: "test".into(), events: 3, ..Header::default() }
}

fn write(events: &[AcceptEvent], block_events: usize, finish: bool) -> Vec<u8> {
    let opts = WriterOptions { block_events, zstd_level: 1 };
    let mut writer = Writer::new(Vec::new(), &sample_header(), opts).unwrap();
    for e in events {
        writer.push(e.clone()).unwrap();
    }
    if finish {
        writer.finish(Stats::default()).unwrap()
    } else {
        writer.flush().unwrap();
        unfinished_bytes(writer)
    }
}

fn unfinished_bytes(writer: Writer<Vec<u8>>) -> Vec<u8> {
    // Finishing then cutting the footer off gives the same bytes an
    // unfinished writer has flushed.
    let bytes = writer.finish(Stats::default()).unwrap();
    let recording = Recording::from_vec(bytes.clone()).unwrap();
    let end = recording.blocks.last().map(|b| block_end(&bytes, b.offset)).unwrap_or(0);
    bytes[..end].to_vec()
}

fn block_end(bytes: &[u8], offset: u64) -> usize {
    frame::read_at(bytes, offset).unwrap().end() as usize
}

fn sorted(mut events: Vec<AcceptEvent>) -> Vec<AcceptEvent> {
    events.sort_by_key(|e| e.ts_ns);
    events
}

fn read_all(recording: &Recording) -> Vec<AcceptEvent> {
    recording.events().collect::<Result<_, _>>().unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn events_round_trip(events in proptest::collection::vec(arb_event(), 1..300), block in 1usize..64) {
        let bytes = write(&events, block, true);
        let recording = Recording::from_vec(bytes).unwrap();
        prop_assert!(recording.indexed);
        prop_assert!(matches!(recording.ending, Ending::Finished));
        // Blocks are sorted by time inside; compare per block.
        let mut expected = Vec::new();
        for chunk in events.chunks(block) {
            expected.extend(sorted(chunk.to_vec()));
        }
        prop_assert_eq!(read_all(&recording), expected);
    }
}

fn simple_events(n: usize) -> Vec<AcceptEvent> {
    (0..n)
        .map(|i| AcceptEvent {
            ts_ns: 1_000 + i as u64 * 10,
            fd: i as i32,
            local: SockAddr::Inet { addr: Ipv4Addr::LOCALHOST, port: 80 },
            ..AcceptEvent::default()
        })
        .collect()
}

#[test]
fn every_truncation_yields_the_whole_blocks_before_it() {
    let events = simple_events(100);
    let full = write(&events, 10, false);
    let whole = Recording::from_vec(full.clone()).unwrap();
    assert_eq!(whole.blocks.len(), 10);
    assert!(matches!(whole.ending, Ending::Unfinished));
    let header_end = whole.blocks[0].offset as usize;
    for cut in header_end..full.len() {
        let recording = Recording::from_vec(full[..cut].to_vec()).unwrap();
        let complete = whole.blocks.iter().filter(|b| block_end(&full, b.offset) <= cut).count();
        assert_eq!(recording.blocks.len(), complete, "cut at {cut}");
        assert_eq!(read_all(&recording).len(), complete * 10);
        let at_boundary = whole.blocks.iter().any(|b| b.offset as usize == cut);
        match recording.ending {
            Ending::Truncated { offset, events } => {
                assert!(!at_boundary);
                assert_eq!(events, complete as u64 * 10);
                assert_eq!(offset as usize, whole.blocks[complete].offset as usize);
            }
            Ending::Unfinished => assert!(at_boundary || cut == header_end),
            ref other => panic!("cut at {cut}: {other:?}"),
        }
    }
}

#[test]
fn damaged_bytes_never_panic() {
    let full = write(&simple_events(50), 7, true);
    for i in 0..full.len() {
        for bit in [0x01u8, 0x80] {
            let mut bytes = full.clone();
            bytes[i] ^= bit;
            if let Ok(recording) = Recording::from_vec(bytes) {
                let _ = recording.events().count();
            }
        }
    }
}

#[test]
fn a_lost_index_falls_back_to_scanning() {
    let mut bytes = write(&simple_events(30), 7, true);
    let n = bytes.len();
    bytes[n - 5] ^= 0xff; // inside the trailer's body
    let recording = Recording::from_vec(bytes).unwrap();
    assert!(!recording.indexed);
    assert_eq!(recording.blocks.len(), 5);
    assert_eq!(read_all(&recording).len(), 30);
    assert!(matches!(recording.ending, Ending::Corrupt(FormatError::Checksum { .. })));
}

#[test]
fn losses_and_stats_are_kept() {
    let mut writer = Writer::new(Vec::new(), &sample_header(), WriterOptions::default()).unwrap();
    writer.push(simple_events(1).remove(0)).unwrap();
    writer.record_loss(5_000, 7).unwrap();
    writer.record_loss(6_000, 3).unwrap();
    let bytes = writer.finish(Stats { end_ts_ns: 9_000, filtered: 2, ..Stats::default() }).unwrap();
    let recording = Recording::from_vec(bytes).unwrap();
    assert_eq!(recording.losses.len(), 2);
    assert_eq!(recording.losses[1], Loss { ts_ns: 6_000, lost: 3, lost_total: 10 });
    let stats = recording.stats.unwrap();
    assert_eq!((stats.events, stats.lost, stats.filtered, stats.blocks), ([1, 0], 10, 2, 1));
}

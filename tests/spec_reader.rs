//! Proves format-spec.md: files written by the crate's `Writer` are decoded
//! by `decoder` and `file`, which were written from the spec alone, and both
//! readers must agree on every event, header field, loss, stats and index
//! entry, and on how each damaged file ends.

mod decoder;
mod file;
mod hostile;
mod worked_example;

use std::net::{Ipv4Addr, Ipv6Addr};

use accept_rec::format::{
    AcceptEvent, Comm, Ending, EventFlags, EventKind, Header, HookInfo, HostInfo, PeerCred, ProcessContext,
    Recording, SockAddr, Stats, TimeAnchor, UnixPath, Writer, WriterOptions,
};
use decoder::Addr;
use file::File;

#[test]
fn crc32c_test_vector_and_bitwise_reference() {
    // The bitwise loop of format-spec.md section 5.
    let bitwise = |bytes: &[u8]| {
        let mut crc = 0xFFFF_FFFFu32;
        for b in bytes {
            crc ^= u32::from(*b);
            for _ in 0..8 {
                crc = (crc >> 1) ^ if crc & 1 == 1 { 0x82F6_3B78 } else { 0 };
            }
        }
        crc ^ 0xFFFF_FFFF
    };
    assert_eq!(crc32c::crc32c(b"123456789"), 0xE306_9283);
    assert_eq!(bitwise(b"123456789"), 0xE306_9283);
    let bytes = finished_file();
    assert_eq!(bitwise(&bytes), crc32c::crc32c(&bytes));
}

fn context(pid: u32, comm: &[u8]) -> ProcessContext {
    ProcessContext {
        pid,
        tid: pid + 1,
        ppid: 1,
        uid: 1000,
        gid: 100,
        comm: Comm::new(comm),
        cgroup_id: 0xdead_beef_0000 + u64::from(pid),
        mnt_ns: 4_026_531_841,
        pid_ns: 4_026_531_836,
        net_ns: 4_026_531_840 + pid,
    }
}

fn inet(a: [u8; 4], port: u16) -> SockAddr {
    SockAddr::Inet { addr: Ipv4Addr::from(a), port }
}

fn unix(path: &[u8]) -> SockAddr {
    SockAddr::Unix(UnixPath::new(path))
}

/// Every shape of event the format distinguishes.
fn varied_events() -> Vec<AcceptEvent> {
    let base = AcceptEvent {
        kind: EventKind::SocketAccept,
        ts_ns: 7_200_000_000_000,
        ctx: context(4242, b"nginx"),
        sockfd: 6,
        fd: 12,
        ret: 12,
        sock_type: 1,
        local: inet([127, 0, 0, 1], 8080),
        remote: inet([127, 0, 0, 1], 54321),
        ..AcceptEvent::default()
    };
    let mapped = Ipv4Addr::new(192, 0, 2, 7).to_ipv6_mapped();
    let v6 = "2001:db8::1".parse::<Ipv6Addr>().unwrap();
    let long_path = [b'p'; 120];
    let shapes = vec![
        base.clone(),
        AcceptEvent {
            kind: EventKind::SecuritySocketAccept,
            fd: -1,
            ret: 0,
            remote: SockAddr::None,
            ..base.clone()
        },
        AcceptEvent {
            local: SockAddr::Inet6 { addr: v6, port: 443, flowinfo: 0x12345, scope_id: 2 },
            remote: SockAddr::Inet6 { addr: Ipv6Addr::LOCALHOST, port: 40000, flowinfo: 0, scope_id: 0 },
            ..base.clone()
        },
        AcceptEvent {
            local: SockAddr::Inet6 { addr: mapped, port: 8080, flowinfo: 0, scope_id: 0 },
            remote: SockAddr::Inet6 { addr: mapped, port: 33333, flowinfo: 0, scope_id: 0 },
            ..base.clone()
        },
        AcceptEvent {
            ctx: context(990, b"a-very-long-daemon-name"),
            local: unix(b"/run/app.sock"),
            remote: unix(b""),
            peer: Some(PeerCred { pid: 7001, uid: 0 }),
            sock_type: 5,
            ..base.clone()
        },
        AcceptEvent {
            local: unix(b"\0abstract\0with nul"),
            remote: unix(&long_path),
            peer: Some(PeerCred { pid: u32::MAX, uid: u32::MAX }),
            ..base.clone()
        },
        AcceptEvent {
            local: SockAddr::Other { family: 40 },
            remote: SockAddr::Other { family: 0 },
            ..base.clone()
        },
        AcceptEvent { fd: -1, ret: -11, remote: SockAddr::None, ..base.clone() },
        AcceptEvent { sockfd: -1, flags: EventFlags(EventFlags::SOCKFD_UNKNOWN), ..base.clone() },
        AcceptEvent {
            flags: EventFlags(EventFlags::LOCAL_PORT_FROM_LISTENER | 0x24),
            source: 1,
            ..base.clone()
        },
        AcceptEvent { ctx: ProcessContext { comm: Comm([b'x'; 16]), ..base.ctx }, source: 9, ..base.clone() },
        AcceptEvent { ts_ns: u64::MAX - 1, remote: inet([10, 0, 1, 2], 65535), ..base.clone() },
    ];
    // Repeat the shapes with jittered, partly out-of-order and equal times.
    (0..300u64)
        .map(|i| {
            let shape = &shapes[(i * 7 % shapes.len() as u64) as usize];
            let ts =
                if shape.ts_ns > u64::MAX / 2 { shape.ts_ns } else { shape.ts_ns + (i % 13) * 997 + i / 3 };
            AcceptEvent {
                ts_ns: ts,
                fd: shape.fd.max(-1) + (i % 5) as i32 * shape.fd.signum(),
                ..shape.clone()
            }
        })
        .collect()
}

fn header() -> Header {
    let clock = TimeAnchor { boot_ns: 7_199_000_000_000, wall_ns: 1_767_225_600_000_000_000 };
    Header {
        created_by: "accept-rec 0.1.0".into(),
        command_line: vec!["accept-rec".into(), "record".into(), "--filter".into(), "port 8080".into()],
        started_wall_ns: clock.wall_ns + 5,
        clock,
        hosts: vec![
            HostInfo {
                hostname: "wéb1".into(),
                kernel_release: "6.8.0-45-generic".into(),
                boot_id: "3f1c9e0a-7d55-4b8e-9a41-0c2f6b7d8e90".into(),
                anchor: clock,
                label: "run.trc".into(),
            },
            HostInfo {
                hostname: "db2".into(),
                anchor: TimeAnchor { boot_ns: 1, wall_ns: 2 },
                ..HostInfo::default()
            },
        ],
        events: 3,
        hooks: vec![
            HookInfo { event: EventKind::SocketAccept, hook: "fexit".into(), detail: "do_accept".into() },
            HookInfo { event: EventKind::SecuritySocketAccept, hook: "fentry".into(), detail: "lsm".into() },
        ],
        filter: "port 8080".into(),
        ring_size: 8 << 20,
        flush_interval_ms: 1000,
        include_eagain: true,
        rotation_seq: 2,
        derived_from: vec!["a.trc".into()],
    }
}

/// A finished file with several blocks and loss frames between them.
fn finished_file() -> Vec<u8> {
    let opts = WriterOptions { block_events: 64, zstd_level: 3 };
    let mut writer = Writer::new(Vec::new(), &header(), opts).unwrap();
    for (i, event) in varied_events().into_iter().enumerate() {
        writer.push(event).unwrap();
        if i % 90 == 89 {
            writer.record_loss(7_300_000_000_000 + i as u64, 3 + i as u64).unwrap();
        }
    }
    let end = Stats {
        end_ts_ns: 7_400_000_000_000,
        end_wall_ns: 1_767_225_800_000_000_000,
        filtered: 17,
        ..Stats::default()
    };
    writer.finish(end).unwrap()
}

fn spec_addr(a: &SockAddr) -> Addr {
    match a {
        SockAddr::None => Addr::None,
        SockAddr::Inet { addr, port } => Addr::Inet { addr: addr.octets(), port: *port },
        SockAddr::Inet6 { addr, port, flowinfo, scope_id } => {
            Addr::Inet6 { addr: addr.octets(), port: *port, flowinfo: *flowinfo, scope_id: *scope_id }
        }
        SockAddr::Unix(path) => Addr::Unix(path.as_bytes().to_vec()),
        SockAddr::Other { family } => Addr::Other(*family),
    }
}

fn spec_event(e: &AcceptEvent) -> decoder::Event {
    let c = &e.ctx;
    decoder::Event {
        kind: e.kind as u8,
        ts: e.ts_ns,
        ids: [c.pid, c.tid, c.ppid, c.uid, c.gid],
        comm: c.comm.0,
        cgroup_id: c.cgroup_id,
        ns: [c.mnt_ns, c.pid_ns, c.net_ns],
        sockfd: e.sockfd,
        fd: e.fd,
        ret: e.ret,
        sock_type: e.sock_type,
        local: spec_addr(&e.local),
        remote: spec_addr(&e.remote),
        peer: e.peer.map(|p| (p.pid, p.uid)),
        flags: e.flags.0,
        source: e.source,
    }
}

fn spec_header(h: &Header) -> decoder::Header {
    let anchor = |a: &TimeAnchor| decoder::Anchor { boot_ns: a.boot_ns, wall_ns: a.wall_ns };
    decoder::Header {
        created_by: h.created_by.clone(),
        command_line: h.command_line.clone(),
        started_wall_ns: h.started_wall_ns,
        clock: anchor(&h.clock),
        hosts: h
            .hosts
            .iter()
            .map(|x| decoder::Host {
                hostname: x.hostname.clone(),
                kernel_release: x.kernel_release.clone(),
                boot_id: x.boot_id.clone(),
                anchor: anchor(&x.anchor),
                label: x.label.clone(),
            })
            .collect(),
        events: h.events,
        hooks: h
            .hooks
            .iter()
            .map(|k| decoder::Hook { event: k.event as u32, hook: k.hook.clone(), detail: k.detail.clone() })
            .collect(),
        filter: h.filter.clone(),
        ring_size: h.ring_size,
        flush_interval_ms: h.flush_interval_ms,
        include_eagain: h.include_eagain,
        rotation_seq: h.rotation_seq,
        derived_from: h.derived_from.clone(),
    }
}

fn spec_stats(s: &Stats) -> decoder::Stats {
    decoder::Stats {
        end_ts_ns: s.end_ts_ns,
        end_wall_ns: s.end_wall_ns,
        events: s.events,
        lost: s.lost,
        filtered: s.filtered,
        blocks: s.blocks,
    }
}

fn spec_ending(e: &Ending) -> file::Ending {
    match e {
        Ending::Finished => file::Ending::Finished,
        Ending::Unfinished => file::Ending::Unfinished,
        Ending::Truncated { offset, events } => file::Ending::Truncated { offset: *offset, events: *events },
        Ending::Corrupt(error) => file::Ending::Corrupt { offset: error.offset().expect("an offset") },
    }
}

/// Both readers on the same bytes: everything either can tell must match.
fn assert_agree(bytes: &[u8]) -> (File, Recording) {
    let spec = File::open(bytes).unwrap();
    let crate_view = Recording::from_vec(bytes.to_vec()).unwrap();
    assert_eq!(spec.version, crate_view.version);
    assert_eq!(spec.header, spec_header(&crate_view.header));
    let blocks: Vec<_> =
        crate_view.blocks.iter().map(|b| (b.offset, b.meta.events, b.meta.raw_len)).collect();
    let spec_blocks: Vec<_> = spec.blocks.iter().map(|(o, h)| (*o, h.events, h.raw_len)).collect();
    assert_eq!(spec_blocks, blocks);
    let losses: Vec<_> = crate_view.losses.iter().map(|l| (l.ts_ns, l.lost, l.lost_total)).collect();
    let spec_losses: Vec<_> = spec.losses.iter().map(|l| (l.ts_ns, l.lost, l.lost_total)).collect();
    assert_eq!(spec_losses, losses);
    assert_eq!(spec.stats, crate_view.stats.as_ref().map(spec_stats));
    assert_eq!(spec.ending, spec_ending(&crate_view.ending));
    assert_eq!(spec.index.is_some(), crate_view.indexed);
    assert_eq!(spec.unknown_frames, crate_view.unknown_frames);
    let events: Vec<_> = crate_view.events().map(|e| spec_event(&e.unwrap())).collect();
    assert_eq!(spec.events(bytes).unwrap(), events);
    (spec, crate_view)
}

#[test]
fn a_finished_file_reads_the_same_as_the_crate() {
    let bytes = finished_file();
    let (spec, recording) = assert_agree(&bytes);
    assert_eq!(spec.ending, file::Ending::Finished);
    assert_eq!(spec.header, spec_header(&header()));
    // Blocks are sorted by time inside; the file holds every event written.
    let mut written: Vec<_> = varied_events().iter().map(spec_event).collect();
    let mut read = spec.events(&bytes).unwrap();
    let key = |e: &decoder::Event| (e.ts, format!("{e:?}"));
    written.sort_by_key(key);
    read.sort_by_key(key);
    assert_eq!(read, written);
    // The index lists every block and loss frame and the stats frame.
    let index = spec.index.expect("an index");
    let listed: Vec<_> = index.blocks.iter().map(|b| (b.0, b.1, b.2, b.3)).collect();
    let expected: Vec<_> =
        recording.blocks.iter().map(|b| (b.offset, b.meta.min_ts, b.meta.max_ts, b.meta.events)).collect();
    assert_eq!(listed, expected);
    assert_eq!(index.losses.len(), 3);
    let stats = spec.stats.unwrap();
    assert_eq!(
        (stats.blocks, stats.lost, stats.filtered),
        (index.blocks.len() as u64, 89 + 179 + 269 + 9, 17)
    );
    let frame = file::read_frame(&bytes, index.stats_offset).unwrap();
    assert_eq!(frame.kind, 4);
}

#[test]
fn cut_and_damaged_files_end_the_same_in_both_readers() {
    let bytes = finished_file();
    let header_end = file::read_frame(&bytes, 16).unwrap().end() as usize;
    // Every cut from the end of the header frame on: unfinished at frame
    // boundaries, truncated inside frames, finished only when whole.
    for cut in (header_end..=bytes.len()).step_by(7).chain([bytes.len() - 20, bytes.len() - 1]) {
        assert_agree(&bytes[..cut]);
    }
    // A flipped bit anywhere after the header makes a corrupt (or, in a
    // length field, truncated) ending, or only costs the index.
    for at in (header_end..bytes.len()).step_by(11) {
        let mut damaged = bytes.clone();
        damaged[at] ^= 0x10;
        let spec = File::open(&damaged).unwrap();
        let recording = Recording::from_vec(damaged.clone()).unwrap();
        assert_eq!(spec.ending, spec_ending(&recording.ending), "bit flipped at {at}");
        assert_eq!(spec.blocks.len(), recording.blocks.len(), "bit flipped at {at}");
    }
}

#[test]
fn unknown_frames_are_skipped_by_length() {
    let bytes = finished_file();
    let header_end = file::read_frame(&bytes, 16).unwrap().end() as usize;
    // A frame of type 99 built by hand as section 5 says, after the header.
    let mut unknown = Vec::new();
    unknown.extend_from_slice(&99u32.to_le_bytes());
    unknown.extend_from_slice(&5u32.to_le_bytes());
    unknown.extend_from_slice(b"later");
    let crc = crc32c::crc32c(&unknown);
    unknown.extend_from_slice(&crc.to_le_bytes());
    let mut spliced = bytes[..header_end].to_vec();
    spliced.extend_from_slice(&unknown);
    spliced.extend_from_slice(&bytes[header_end..]);
    // The index's offsets are now off by 21 bytes, so both readers scan.
    let (spec, _) = assert_agree(&spliced);
    assert_eq!(spec.unknown_frames, 1);
    assert!(spec.index.is_none());
    assert_eq!(spec.ending, file::Ending::Finished);
}

//! format-spec.md section 17 shows every byte of a small file: the bytes in
//! the document must be exactly what the writer writes, and must decode, by
//! the spec's own reader, to the event the text describes.

use std::net::Ipv4Addr;

use accept_rec::format::{
    AcceptEvent, Comm, EventKind, Header, HookInfo, HostInfo, ProcessContext, SockAddr, Stats, TimeAnchor,
    Writer, WriterOptions,
};

use super::decoder::{self, Addr};
use super::file::{self, File};

/// The hex dumps of section 17, in order, each checked for contiguous offsets.
fn dumps() -> Vec<Vec<u8>> {
    let spec = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/format-spec.md")).unwrap();
    let start = spec.find("## 17. Worked example").expect("section 17");
    let end = spec[start..].find("## 18.").expect("section 18") + start;
    let blocks: Vec<&str> = spec[start..end].split("```").skip(1).step_by(2).collect();
    blocks
        .iter()
        .map(|block| {
            let mut bytes = Vec::new();
            for line in block.lines().filter(|l| !l.trim().is_empty()) {
                let offset = usize::from_str_radix(&line[..4], 16).expect("hex offset");
                assert_eq!(offset, bytes.len(), "dump line {line:?}");
                let field = &line[6..line.len().min(53)];
                bytes.extend(field.split_whitespace().map(|b| u8::from_str_radix(b, 16).expect("hex byte")));
            }
            bytes
        })
        .collect()
}

fn example() -> (Vec<u8>, AcceptEvent) {
    let clock = TimeAnchor { boot_ns: 7_199_000_000_000, wall_ns: 1_767_225_600_000_000_000 };
    let header = Header {
        created_by: "accept-rec 0.1.0".into(),
        command_line: ["accept-rec", "record", "-o", "ex.trc"].map(String::from).to_vec(),
        started_wall_ns: clock.wall_ns,
        clock,
        hosts: vec![HostInfo {
            hostname: "web1".into(),
            kernel_release: "6.8.0".into(),
            boot_id: "5c2b".into(),
            anchor: clock,
            label: "ex.trc".into(),
        }],
        events: 1,
        hooks: vec![HookInfo {
            event: EventKind::SocketAccept,
            hook: "fexit".into(),
            detail: "do_accept".into(),
        }],
        ring_size: 8 << 20,
        flush_interval_ms: 1000,
        ..Header::default()
    };
    let event = AcceptEvent {
        kind: EventKind::SocketAccept,
        ts_ns: 7_200_000_000_000,
        ctx: ProcessContext {
            pid: 4242,
            tid: 4243,
            ppid: 1,
            uid: 33,
            gid: 33,
            comm: Comm::new(b"nginx"),
            cgroup_id: 0x1234,
            mnt_ns: 4_026_531_841,
            pid_ns: 4_026_531_836,
            net_ns: 4_026_531_840,
        },
        sockfd: 6,
        fd: 12,
        ret: 12,
        sock_type: 1,
        local: SockAddr::Inet { addr: Ipv4Addr::LOCALHOST, port: 8080 },
        remote: SockAddr::Inet { addr: Ipv4Addr::LOCALHOST, port: 54321 },
        ..AcceptEvent::default()
    };
    // The example's zstd bytes were made at level 3 (format-spec.md, section 17).
    let opts = WriterOptions { zstd_level: 3, ..WriterOptions::default() };
    let mut writer = Writer::new(Vec::new(), &header, opts).unwrap();
    writer.push(event.clone()).unwrap();
    let end = Stats {
        end_ts_ns: 7_201_000_000_000,
        end_wall_ns: clock.wall_ns + 2_000_000_000,
        ..Stats::default()
    };
    (writer.finish(end).unwrap(), event)
}

#[test]
fn the_dump_in_the_spec_is_what_the_writer_writes() {
    let [file_dump, payload_dump] = <[Vec<u8>; 2]>::try_from(dumps()).expect("two dumps");
    let (written, event) = example();
    assert_eq!(file_dump.len(), 593);
    assert_eq!(file_dump, written);

    let spec = File::open(&file_dump).unwrap();
    assert_eq!(spec.ending, file::Ending::Finished);
    let events = spec.events(&file_dump).unwrap();
    assert_eq!(events, vec![super::spec_event(&event)]);
    assert_eq!(events[0].local, Addr::Inet { addr: [127, 0, 0, 1], port: 8080 });
    // 2026-01-01T00:00:01Z, by section 16's formula.
    let wall = i128::from(events[0].ts) - i128::from(spec.header.clock.boot_ns)
        + i128::from(spec.header.clock.wall_ns);
    assert_eq!(wall, 1_767_225_601_000_000_000);

    let (offset, _) = spec.blocks[0];
    let block = file::read_frame(&file_dump, offset).unwrap();
    let (_, payload) = decoder::payload(block.body).unwrap();
    assert_eq!(payload, payload_dump);
}

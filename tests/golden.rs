//! Golden tests: the committed fixtures (fixtures/README.md) must read back
//! exactly, and each damaged copy must give its own error.

use std::path::PathBuf;

use serde_json::Value;

use crate::support::{info_json, run, run_ok};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(name)
}

fn replay(name: &str) -> String {
    run_ok(&["replay", fixture(name).to_str().unwrap(), "--format", "json"])
}

fn golden(name: &str) -> Vec<Value> {
    let expected = std::fs::read_to_string(fixture(&format!("{name}.jsonl"))).unwrap();
    assert_eq!(replay(&format!("{name}.trc")), expected, "{name}.trc no longer reads as it did");
    expected.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn field<'a>(events: &'a [Value], key: &str) -> Vec<&'a Value> {
    events.iter().map(|e| &e[key]).collect()
}

#[test]
fn ipv4_fixture() {
    let events = golden("ipv4");
    assert_eq!(events.len(), 6);
    assert!(field(&events, "comm").iter().all(|c| *c == "fixture-srv"));
    for pair in events.chunks(2) {
        assert_eq!(
            (&pair[0]["event"], &pair[1]["event"]),
            (&"security_socket_accept".into(), &"socket_accept".into())
        );
        assert_eq!(pair[1]["local_addr"]["addr"], "127.0.0.1");
        assert_eq!(pair[1]["local_addr"], pair[0]["local_addr"]);
        assert_eq!(pair[1]["sockfd"], pair[0]["sockfd"]);
    }
}

#[test]
fn ipv6_fixture() {
    let events = golden("ipv6");
    let accepts: Vec<&Value> = events.iter().filter(|e| e["event"] == "socket_accept").collect();
    let addrs: Vec<&Value> = accepts.iter().map(|e| &e["remote_addr"]["addr"]).collect();
    assert_eq!(addrs, ["::1", "::1", "::ffff:127.0.0.1", "::ffff:127.0.0.1"]);
    assert!(accepts.iter().all(|e| e["local_addr"]["family"] == "AF_INET6"));
}

#[test]
fn unix_fixture() {
    let events = golden("unix");
    let accepts: Vec<&Value> = events.iter().filter(|e| e["event"] == "socket_accept").collect();
    assert_eq!(accepts.len(), 4);
    assert!(accepts[0]["local_addr"]["path"].as_str().unwrap().ends_with("/fixture.sock"));
    assert_eq!(accepts[3]["local_addr"]["path"], "@accept-rec-fixture");
    for e in &accepts {
        assert_eq!(e["remote_addr"]["path"], "");
        assert_eq!(e["peer"]["pid"], e["pid"], "the fixture connected to itself");
    }
}

#[test]
fn drops_fixture() {
    let events = golden("drops");
    let info = info_json(&fixture("drops.trc"));
    let lost = info["lost"].as_u64().unwrap();
    assert!(lost > 0 && info["loss_frames"].as_u64().unwrap() > 0);
    assert_eq!(events.len() as u64 + lost, 4000, "2000 accepts, two events each");
}

#[test]
fn a_newer_minor_version_reads_like_the_original() {
    assert_eq!(replay("future-minor.trc"), replay("ipv4.trc"));
}

fn fails_with(name: &str, message: &str) {
    let out = run(&["replay", fixture(name).to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
    assert!(stderr.contains(name) && stderr.contains(message), "{name}: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "one clear line: {stderr}");
}

#[test]
fn damaged_fixtures_give_their_own_errors() {
    fails_with("bad-checksum.trc", "checksum mismatch in event block frame at byte 579");
    fails_with("bad-magic.trc", "not an accept-rec recording (bad magic at byte 0)");
    fails_with("future-major.trc", "format version 2.0 is newer than this accept-rec reads (1.x); upgrade");
    fails_with(
        "absurd-length.trc",
        "frame at byte 579 claims 4294967295 body bytes, more than the 16777216-byte limit",
    );
}

#[test]
fn a_truncated_fixture_warns_and_strict_refuses() {
    let path = fixture("truncated-mid-block.trc");
    let out = run(&["replay", path.to_str().unwrap()]);
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("truncated at byte 579 after 0 events"), "{stderr}");
    let strict = run(&["replay", path.to_str().unwrap(), "--strict"]);
    assert_eq!(strict.status.code(), Some(2));
}

#[test]
fn verify_and_recover_on_damaged_fixtures() {
    let ok = run(&["verify", fixture("ipv4.trc").to_str().unwrap()]);
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stdout));
    let bad = run(&["verify", fixture("bad-checksum.trc").to_str().unwrap()]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&bad.stdout)
            .contains("first error: checksum mismatch in event block frame at byte 579")
    );

    let dir = tempfile::tempdir().unwrap();
    let fixed = dir.path().join("fixed.trc");
    let drops = fixture("drops.trc");
    // Cut drops.trc inside its last block, recover it, and get every whole block back.
    let bytes = std::fs::read(&drops).unwrap();
    let cut = dir.path().join("cut.trc");
    std::fs::write(&cut, &bytes[..bytes.len() - 200]).unwrap();
    run_ok(&["recover", cut.to_str().unwrap(), "-o", fixed.to_str().unwrap()]);
    assert!(run(&["verify", fixed.to_str().unwrap()]).status.success());
    let info = info_json(&fixed);
    assert_eq!(info["status"], "finished");
    assert_eq!(info["lost"], info_json(&drops)["lost"], "loss frames are kept");
    let whole: u64 = info_json(&drops)["events"].as_u64().unwrap();
    assert!(info["events"].as_u64().unwrap() <= whole);
}

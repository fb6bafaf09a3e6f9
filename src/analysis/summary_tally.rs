//! The running counts behind a summary: one `Tally` per thread (and per
//! recording), merged in block order and turned into rows by `summary_builder`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;

use crate::format::{AcceptEvent, Comm, EventKind, SockAddr, TimeAnchor};

#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Counts {
    pub(super) accepts: u64,
    pub(super) failed: u64,
    pub(super) security_checks: u64,
}

impl Counts {
    pub(super) fn add(&mut self, event: &AcceptEvent) {
        match (event.kind, event.ret < 0) {
            (EventKind::SecuritySocketAccept, _) => self.security_checks += 1,
            (EventKind::SocketAccept, false) => self.accepts += 1,
            (EventKind::SocketAccept, true) => self.failed += 1,
        }
    }

    pub(super) fn merge(&mut self, other: Counts) {
        self.accepts += other.accepts;
        self.failed += other.failed;
        self.security_checks += other.security_checks;
    }

    pub(super) fn total(&self) -> u64 {
        self.accepts + self.failed + self.security_checks
    }
}

#[derive(Debug, Default)]
pub(super) struct ProcessTally {
    pub(super) pids: BTreeSet<u32>,
    pub(super) counts: Counts,
    pub(super) listeners: BTreeSet<SockAddr>,
}

#[derive(Debug, Default)]
pub(super) struct ListenerTally {
    pub(super) counts: Counts,
    pub(super) owners: HashMap<Comm, (BTreeSet<u32>, u64)>,
}

/// One thread's (or one recording's) running counts.
#[derive(Debug)]
pub(super) struct Tally {
    pub(super) clock: TimeAnchor,
    pub(super) bucket_ns: u64,
    pub(super) counts: Counts,
    pub(super) first_wall: i128,
    pub(super) last_wall: i128,
    pub(super) listeners: HashMap<SockAddr, ListenerTally>,
    pub(super) processes: HashMap<Comm, ProcessTally>,
    pub(super) peers: HashMap<IpAddr, u64>,
    pub(super) errnos: BTreeMap<i32, u64>,
    pub(super) families: BTreeMap<u16, u64>,
    /// Bucket number (wall ns / width) -> [events, accepts, failed].
    pub(super) buckets: BTreeMap<i128, [u64; 3]>,
}

impl Tally {
    pub(super) fn new(clock: TimeAnchor, bucket_ns: u64) -> Tally {
        Tally {
            clock,
            bucket_ns,
            counts: Counts::default(),
            first_wall: i128::MAX,
            last_wall: i128::MIN,
            listeners: HashMap::new(),
            processes: HashMap::new(),
            peers: HashMap::new(),
            errnos: BTreeMap::new(),
            families: BTreeMap::new(),
            buckets: BTreeMap::new(),
        }
    }

    pub(super) fn add(&mut self, event: &AcceptEvent) {
        self.counts.add(event);
        let wall = self.clock.to_wall(event.ts_ns);
        self.first_wall = self.first_wall.min(wall);
        self.last_wall = self.last_wall.max(wall);
        let local = endpoint(&event.local);
        let listener = self.listeners.entry(local.clone()).or_default();
        listener.counts.add(event);
        let owner = listener.owners.entry(event.ctx.comm).or_default();
        owner.0.insert(event.ctx.pid);
        owner.1 += 1;
        let process = self.processes.entry(event.ctx.comm).or_default();
        process.pids.insert(event.ctx.pid);
        process.counts.add(event);
        process.listeners.insert(local);
        let accepted = event.kind == EventKind::SocketAccept && event.ret >= 0;
        if let (true, Some(ip)) = (accepted, event.remote.ip()) {
            *self.peers.entry(ip.to_canonical()).or_default() += 1;
        }
        if let (EventKind::SocketAccept, Some(errno)) = (event.kind, event.errno()) {
            *self.errnos.entry(errno).or_default() += 1;
        }
        *self.families.entry(event.local.family()).or_default() += 1;
        let bucket = self.buckets.entry(wall.div_euclid(i128::from(self.bucket_ns))).or_default();
        bucket[0] += 1;
        bucket[1] += u64::from(accepted);
        bucket[2] += u64::from(event.kind == EventKind::SocketAccept && event.ret < 0);
    }

    pub(super) fn merge(&mut self, other: Tally) {
        self.counts.merge(other.counts);
        self.first_wall = self.first_wall.min(other.first_wall);
        self.last_wall = self.last_wall.max(other.last_wall);
        for (addr, theirs) in other.listeners {
            let ours = self.listeners.entry(addr).or_default();
            ours.counts.merge(theirs.counts);
            for (comm, (pids, events)) in theirs.owners {
                let owner = ours.owners.entry(comm).or_default();
                owner.0.extend(pids);
                owner.1 += events;
            }
        }
        for (comm, theirs) in other.processes {
            let ours = self.processes.entry(comm).or_default();
            ours.pids.extend(theirs.pids);
            ours.counts.merge(theirs.counts);
            ours.listeners.extend(theirs.listeners);
        }
        for (ip, n) in other.peers {
            *self.peers.entry(ip).or_default() += n;
        }
        for (errno, n) in other.errnos {
            *self.errnos.entry(errno).or_default() += n;
        }
        for (family, n) in other.families {
            *self.families.entry(family).or_default() += n;
        }
        for (bucket, theirs) in other.buckets {
            let ours = self.buckets.entry(bucket).or_default();
            (0..3).for_each(|i| ours[i] += theirs[i]);
        }
    }
}

/// A listener's key: its address and port, without IPv6 flow labels that
/// vary per connection.
fn endpoint(addr: &SockAddr) -> SockAddr {
    match addr {
        SockAddr::Inet6 { addr, port, .. } => {
            SockAddr::Inet6 { addr: *addr, port: *port, flowinfo: 0, scope_id: 0 }
        }
        other => other.clone(),
    }
}

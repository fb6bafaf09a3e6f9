//! The one filter language, shared by `record` (pushed into the kernel where it
//! can be), `replay`, `filter`, `summary` and `diff`, and stored in headers.
//!
//! This module holds the filter's data and its per-event predicate. Time
//! bounds are kept unresolved until a recording's clock is known.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use super::event::{AcceptEvent, EventKind, SockAddr, family};
use super::header::TimeAnchor;

/// Whether an accept succeeded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Outcome {
    #[default]
    Any,
    Ok,
    Failed,
}

/// A point in time as the user wrote it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeBound {
    /// Wall-clock nanoseconds since the Unix epoch (RFC 3339 input).
    Wall(i128),
    /// Nanoseconds after the recording's first event (`+5s`).
    FromStart(u64),
}

/// An address prefix, `10.0.0.0/8` or `::1/128`; a bare address is a full-length prefix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Cidr {
    pub addr: IpAddr,
    pub prefix: u8,
}

/// Every filter option; empty lists mean "any".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FilterSpec {
    pub events: Vec<EventKind>,
    pub pids: Vec<u32>,
    pub tids: Vec<u32>,
    /// Exact names or globs with `*` and `?`.
    pub comms: Vec<String>,
    pub uids: Vec<u32>,
    pub cgroups: Vec<u64>,
    /// Either side's port.
    pub ports: Vec<u16>,
    pub lports: Vec<u16>,
    pub rports: Vec<u16>,
    pub laddrs: Vec<Cidr>,
    pub raddrs: Vec<Cidr>,
    /// `AF_*` numbers of the local address.
    pub families: Vec<u16>,
    pub outcome: Outcome,
    pub since: Option<TimeBound>,
    pub until: Option<TimeBound>,
}

impl FilterSpec {
    pub fn is_empty(&self) -> bool {
        *self == FilterSpec::default()
    }

    /// Whether the filter lets this kind of event through.
    pub fn wants(&self, kind: EventKind) -> bool {
        self.events.is_empty() || self.events.contains(&kind)
    }
}

impl fmt::Display for FilterSpec {
    /// The filter in command-line form, as stored in headers.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts: Vec<String> = Vec::new();
        let mut list = |flag: &str, values: Vec<String>| {
            if !values.is_empty() {
                parts.push(format!("--{flag} {}", values.join(",")));
            }
        };
        list("event", self.events.iter().map(|e| e.name().to_string()).collect());
        list("pid", strings(&self.pids));
        list("tid", strings(&self.tids));
        list("comm", self.comms.clone());
        list("uid", strings(&self.uids));
        list("cgroup", strings(&self.cgroups));
        list("port", strings(&self.ports));
        list("lport", strings(&self.lports));
        list("rport", strings(&self.rports));
        list("laddr", strings(&self.laddrs));
        list("raddr", strings(&self.raddrs));
        list("family", self.families.iter().map(|f| family_flag(*f).to_string()).collect());
        match self.outcome {
            Outcome::Any => {}
            Outcome::Ok => parts.push("--ok".into()),
            Outcome::Failed => parts.push("--failed".into()),
        }
        if let Some(t) = self.since {
            parts.push(format!("--since {t}"));
        }
        if let Some(t) = self.until {
            parts.push(format!("--until {t}"));
        }
        f.write_str(&parts.join(" "))
    }
}

fn strings<T: fmt::Display>(values: &[T]) -> Vec<String> {
    values.iter().map(T::to_string).collect()
}

/// A filter whose time bounds are resolved against one recording's clock.
#[derive(Clone, Debug)]
pub struct Matcher {
    spec: FilterSpec,
    /// Inclusive range of event timestamps that pass.
    pub since_ts: u64,
    pub until_ts: u64,
}

impl FilterSpec {
    /// Resolves the time bounds: `clock` converts wall time, and `start_ts`
    /// is where `+5s` counts from (the recording's start).
    pub fn resolve(&self, clock: &TimeAnchor, start_ts: u64) -> Matcher {
        let at = |bound: TimeBound| match bound {
            TimeBound::Wall(ns) => clock.to_ts(ns),
            TimeBound::FromStart(ns) => start_ts.saturating_add(ns),
        };
        Matcher {
            spec: self.clone(),
            since_ts: self.since.map(at).unwrap_or(0),
            until_ts: self.until.map(at).unwrap_or(u64::MAX),
        }
    }
}

impl Matcher {
    /// Whether any event in `[min_ts, max_ts]` can pass: lets readers skip blocks.
    pub fn overlaps(&self, min_ts: u64, max_ts: u64) -> bool {
        min_ts <= self.until_ts && max_ts >= self.since_ts
    }

    pub fn matches(&self, e: &AcceptEvent) -> bool {
        let s = &self.spec;
        let any_of = |list: &[u32], v: u32| list.is_empty() || list.contains(&v);
        let port_in =
            |list: &[u16], addr: &SockAddr| list.is_empty() || addr.port().is_some_and(|p| list.contains(&p));
        let cidr_in = |list: &[Cidr], addr: &SockAddr| {
            list.is_empty() || addr.ip().is_some_and(|ip| list.iter().any(|c| c.contains(ip)))
        };
        e.ts_ns >= self.since_ts
            && e.ts_ns <= self.until_ts
            && s.wants(e.kind)
            && any_of(&s.pids, e.ctx.pid)
            && any_of(&s.tids, e.ctx.tid)
            && any_of(&s.uids, e.ctx.uid)
            && (s.cgroups.is_empty() || s.cgroups.contains(&e.ctx.cgroup_id))
            && (s.comms.is_empty() || s.comms.iter().any(|c| glob_match(c.as_bytes(), e.ctx.comm.as_bytes())))
            && (s.ports.is_empty() || port_in(&s.ports, &e.local) || port_in(&s.ports, &e.remote))
            && port_in(&s.lports, &e.local)
            && port_in(&s.rports, &e.remote)
            && cidr_in(&s.laddrs, &e.local)
            && cidr_in(&s.raddrs, &e.remote)
            && (s.families.is_empty() || s.families.contains(&e.local.family()))
            && match s.outcome {
                Outcome::Any => true,
                Outcome::Ok => e.ret >= 0,
                Outcome::Failed => e.ret < 0,
            }
    }
}

impl Cidr {
    /// Whether `ip` is inside the prefix. IPv4-mapped IPv6 addresses match IPv4 prefixes.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let unmapped = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4),
            IpAddr::V4(_) => None,
        };
        self.contains_exactly(ip) || unmapped.is_some_and(|v4| self.contains_exactly(v4))
    }

    fn contains_exactly(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => prefix_eq(&net.octets(), &ip.octets(), self.prefix),
            (IpAddr::V6(net), IpAddr::V6(ip)) => prefix_eq(&net.octets(), &ip.octets(), self.prefix),
            _ => false,
        }
    }
}

fn prefix_eq(a: &[u8], b: &[u8], prefix: u8) -> bool {
    let (bytes, bits) = ((prefix / 8) as usize, prefix % 8);
    a[..bytes] == b[..bytes] && (bits == 0 || (a[bytes] ^ b[bytes]) >> (8 - bits) == 0)
}

impl FromStr for Cidr {
    type Err = String;

    fn from_str(s: &str) -> Result<Cidr, String> {
        let (addr, prefix) = s.split_once('/').map_or((s, None), |(a, p)| (a, Some(p)));
        let addr: IpAddr = addr.parse().map_err(|_| format!("{s:?} is not an IP address or CIDR prefix"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("{s:?}: the prefix length must be 0..={max}"))?,
        };
        Ok(Cidr { addr, prefix })
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

impl FromStr for TimeBound {
    type Err = String;

    /// `+5s` (after the recording's start), or an RFC 3339 time such as
    /// `2026-11-22T14:00:00Z` or `2026-11-22T15:00:00+01:00`.
    fn from_str(s: &str) -> Result<TimeBound, String> {
        if let Some(rel) = s.strip_prefix('+') {
            let d = humantime::parse_duration(rel).map_err(|e| format!("{s:?}: {e}"))?;
            return Ok(TimeBound::FromStart(d.as_nanos().min(u64::MAX as u128) as u64));
        }
        parse_rfc3339(s).map(TimeBound::Wall).ok_or_else(|| {
            format!("{s:?} is neither +DURATION (e.g. +5s) nor an RFC 3339 time (e.g. 2026-11-22T14:00:00Z)")
        })
    }
}

impl fmt::Display for TimeBound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TimeBound::FromStart(ns) => {
                // `+1m30s`, not `+1m 30s`: one shell word that parses back.
                let text = humantime::format_duration(std::time::Duration::from_nanos(*ns)).to_string();
                write!(f, "+{}", text.replace(' ', ""))
            }
            TimeBound::Wall(ns) => f.write_str(&format_rfc3339(*ns)),
        }
    }
}

/// Parses RFC 3339 with `Z` or a `±HH:MM` offset into ns since the epoch.
fn parse_rfc3339(s: &str) -> Option<i128> {
    let (base, offset_s) = match s.len().checked_sub(6).and_then(|i| s.get(i..)) {
        Some(tail) if (tail.starts_with('+') || tail.starts_with('-')) && tail.as_bytes()[3] == b':' => {
            let sign = if tail.starts_with('-') { -1 } else { 1 };
            let hours: i128 = tail[1..3].parse().ok()?;
            let minutes: i128 = tail[4..6].parse().ok()?;
            (format!("{}Z", &s[..s.len() - 6]), sign * (hours * 3600 + minutes * 60))
        }
        _ => (s.to_string(), 0),
    };
    let t = humantime::parse_rfc3339_weak(&base).ok()?;
    let ns = t.duration_since(std::time::UNIX_EPOCH).ok()?.as_nanos() as i128;
    Some(ns - offset_s * 1_000_000_000)
}

/// Formats ns since the epoch as RFC 3339 UTC with nanoseconds.
pub fn format_rfc3339(wall_ns: i128) -> String {
    let ns = wall_ns.clamp(0, u64::MAX as i128) as u64;
    humantime::format_rfc3339_nanos(std::time::UNIX_EPOCH + std::time::Duration::from_nanos(ns)).to_string()
}

/// Parses `inet`, `inet6` or `unix` (or an `AF_*` name or number).
pub fn parse_family(s: &str) -> Result<u16, String> {
    match s.to_ascii_lowercase().trim_start_matches("af_") {
        "inet" | "ipv4" => Ok(family::AF_INET),
        "inet6" | "ipv6" => Ok(family::AF_INET6),
        "unix" | "local" => Ok(family::AF_UNIX),
        other => other.parse().map_err(|_| format!("unknown family {s:?}; use inet, inet6 or unix")),
    }
}

fn family_flag(f: u16) -> String {
    match f {
        family::AF_INET => "inet".into(),
        family::AF_INET6 => "inet6".into(),
        family::AF_UNIX => "unix".into(),
        n => n.to_string(),
    }
}

/// Matches `text` against a glob with `*` (any run) and `?` (one byte).
pub fn glob_match(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == b'?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, t));
            p += 1;
        } else if let Some((sp, st)) = star {
            p = sp + 1;
            t = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|b| *b == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapped_addresses_match_both_kinds_of_prefix() {
        let mapped: IpAddr = "::ffff:10.0.0.1".parse().unwrap();
        for prefix in ["10.0.0.0/8", "::ffff:10.0.0.1/128", "::ffff:0:0/96"] {
            assert!(prefix.parse::<Cidr>().unwrap().contains(mapped), "{prefix}");
        }
        assert!(!"11.0.0.0/8".parse::<Cidr>().unwrap().contains(mapped));
    }

    #[test]
    fn relative_times_print_as_one_word_that_parses_back() {
        let bound: TimeBound = "+1m30s".parse().unwrap();
        assert_eq!(bound.to_string(), "+1m30s");
        assert_eq!(bound.to_string().parse::<TimeBound>().unwrap(), bound);
    }
}

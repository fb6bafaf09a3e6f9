//! The filter options every command shares, and their translation into a
//! [`FilterSpec`].

use anyhow::{Context, Result, bail};
use clap::Args;

use crate::format::filter::{Cidr, Outcome, TimeBound, parse_family};
use crate::format::{EventKind, FilterSpec};

/// Lists take repeated flags or commas: `--pid 1,2 --pid 3`.
#[derive(Args, Clone, Debug, Default)]
#[command(next_help_heading = "Filters")]
pub struct FilterArgs {
    /// Events to keep: socket_accept, security_socket_accept.
    #[arg(long = "event", value_delimiter = ',', value_name = "NAME")]
    pub events: Vec<String>,
    /// Process (thread group) ids.
    #[arg(long = "pid", value_delimiter = ',')]
    pub pids: Vec<u32>,
    /// Thread ids.
    #[arg(long = "tid", value_delimiter = ',')]
    pub tids: Vec<u32>,
    /// Process names, exact or glob (`nginx*`, `?sshd`).
    #[arg(long = "comm", value_delimiter = ',')]
    pub comms: Vec<String>,
    #[arg(long = "uid", value_delimiter = ',')]
    pub uids: Vec<u32>,
    /// cgroup v2 ids (the inode number of the cgroup's directory).
    #[arg(long = "cgroup", value_delimiter = ',')]
    pub cgroups: Vec<u64>,
    /// Local or remote port.
    #[arg(long = "port", value_delimiter = ',')]
    pub ports: Vec<u16>,
    #[arg(long = "lport", value_delimiter = ',')]
    pub lports: Vec<u16>,
    #[arg(long = "rport", value_delimiter = ',')]
    pub rports: Vec<u16>,
    /// Local address or CIDR prefix (IPv4 prefixes also match IPv4-mapped IPv6).
    #[arg(long = "laddr", value_delimiter = ',', value_name = "CIDR")]
    pub laddrs: Vec<Cidr>,
    #[arg(long = "raddr", value_delimiter = ',', value_name = "CIDR")]
    pub raddrs: Vec<Cidr>,
    /// Address family of the socket: inet, inet6, unix.
    #[arg(long = "family", value_delimiter = ',', value_parser = parse_family)]
    pub families: Vec<u16>,
    /// Only failed accepts.
    #[arg(long, conflicts_with = "ok")]
    pub failed: bool,
    /// Only successful accepts (and security checks).
    #[arg(long)]
    pub ok: bool,
    /// Start of the time range: RFC 3339, or +DURATION after the recording's start.
    #[arg(long, value_name = "TIME")]
    pub since: Option<TimeBound>,
    /// End of the time range (inclusive), same forms as --since.
    #[arg(long, value_name = "TIME")]
    pub until: Option<TimeBound>,
}

impl FilterArgs {
    pub fn to_spec(&self) -> Result<FilterSpec> {
        let events = self
            .events
            .iter()
            .map(|name| {
                EventKind::from_name(name).with_context(|| {
                    format!("unknown event {name:?}; use socket_accept or security_socket_accept")
                })
            })
            .collect::<Result<_>>()?;
        let outcome = match (self.ok, self.failed) {
            (true, _) => Outcome::Ok,
            (_, true) => Outcome::Failed,
            _ => Outcome::Any,
        };
        if let (Some(TimeBound::Wall(a)), Some(TimeBound::Wall(b))) = (self.since, self.until) {
            if a > b {
                bail!("--since is after --until");
            }
        }
        Ok(FilterSpec {
            events,
            pids: self.pids.clone(),
            tids: self.tids.clone(),
            comms: self.comms.clone(),
            uids: self.uids.clone(),
            cgroups: self.cgroups.clone(),
            ports: self.ports.clone(),
            lports: self.lports.clone(),
            rports: self.rports.clone(),
            laddrs: self.laddrs.clone(),
            raddrs: self.raddrs.clone(),
            families: self.families.clone(),
            outcome,
            since: self.since,
            until: self.until,
        })
    }
}

//! A [`Summary`] as aligned, readable text: an overview of every section,
//! or one breakdown in full.

use std::fmt::Write as _;
use std::str::FromStr;
use std::time::Duration;

use super::summary::{ProcessRef, Summary};
use super::table::Table;

/// One breakdown of a summary, as chosen by `summary --by`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Breakdown {
    Listener,
    Process,
    Peer,
    /// Peer networks: /24, /64, loopback.
    Network,
    Family,
    Errno,
    Second,
    Minute,
}

impl Breakdown {
    pub const NAMES: &'static str = "listener, process, peer, network, family, errno, second, minute";

    /// The rate bucket width this breakdown needs, if it is a time series.
    pub fn bucket_seconds(self) -> Option<u64> {
        match self {
            Breakdown::Second => Some(1),
            Breakdown::Minute => Some(60),
            _ => None,
        }
    }
}

impl FromStr for Breakdown {
    type Err = String;

    fn from_str(s: &str) -> Result<Breakdown, String> {
        Ok(match s {
            "listener" => Breakdown::Listener,
            "process" | "comm" => Breakdown::Process,
            "peer" => Breakdown::Peer,
            "network" | "net" => Breakdown::Network,
            "family" => Breakdown::Family,
            "errno" | "error" => Breakdown::Errno,
            "second" => Breakdown::Second,
            "minute" => Breakdown::Minute,
            _ => return Err(format!("unknown breakdown {s:?}; use one of {}", Breakdown::NAMES)),
        })
    }
}

/// The overview (`by = None`) or one breakdown; ranked tables show `top` rows.
pub fn render_text(summary: &Summary, by: Option<Breakdown>, top: usize) -> String {
    let mut out = overview(summary);
    let sections: &[Breakdown] = match &by {
        Some(one) => std::slice::from_ref(one),
        None => {
            &[Breakdown::Listener, Breakdown::Process, Breakdown::Peer, Breakdown::Errno, Breakdown::Family]
        }
    };
    for section in sections {
        out.push('\n');
        out.push_str(&breakdown(summary, *section, top));
    }
    out
}

fn overview(s: &Summary) -> String {
    let mut out = String::new();
    let mut line = |label: &str, value: String| {
        let _ = writeln!(out, "{label:<12} {value}");
    };
    line("Recordings", s.sources.join(", "));
    if !s.hosts.is_empty() {
        line("Hosts", s.hosts.join(", "));
    }
    if !s.filter.is_empty() {
        line("Filter", s.filter.clone());
    }
    match &s.span {
        Some(span) => {
            line("Time span", format!("{} .. {} ({})", span.first, span.last, duration(span.duration_ns)))
        }
        None => line("Time span", "no matching events".into()),
    }
    let t = &s.totals;
    line(
        "Events",
        format!(
            "{} (accepted {}, failed {}, security checks {})",
            t.events, t.accepts, t.failed, t.security_checks
        ),
    );
    let d = &s.drops;
    let records = if d.loss_records == 1 { "record" } else { "records" };
    let mut drops = format!("{} lost in {} loss {records}", d.lost, d.loss_records);
    if d.lost > 0 {
        drops.push_str(" (counts below are lower bounds)");
    }
    if d.filtered_at_capture > 0 {
        let _ = write!(drops, "; {} left out by the recordings' own filters", d.filtered_at_capture);
    }
    line("Drops", drops);
    if let (Some(span), Some(peak)) = (&s.span, &s.rate.peak) {
        let seconds = span.duration_ns as f64 / 1e9;
        let mean =
            if seconds > 0.0 { format!("{:.1} accepts/s", t.accepts as f64 / seconds) } else { "-".into() };
        let unit = bucket_name(s.rate.bucket_seconds);
        line("Rate", format!("mean {mean}, peak {} accepts in the {unit} from {}", peak.accepts, peak.start));
    }
    out
}

fn breakdown(s: &Summary, by: Breakdown, top: usize) -> String {
    let (title, total, table) = match by {
        Breakdown::Listener => {
            let mut table = Table::new(&[
                ("LISTENER", false),
                ("FAMILY", false),
                ("ACCEPTED", true),
                ("FAILED", true),
                ("CHECKS", true),
                ("PROCESSES", false),
            ]);
            for row in s.listeners.iter().take(top) {
                let procs: Vec<String> = row.processes.iter().map(process_ref).collect();
                table.row(vec![
                    row.listener.clone(),
                    row.family.clone(),
                    row.accepts.to_string(),
                    row.failed.to_string(),
                    row.security_checks.to_string(),
                    procs.join(" "),
                ]);
            }
            ("Listeners", s.listeners.len(), table)
        }
        Breakdown::Process => {
            let mut table = Table::new(&[
                ("COMM", false),
                ("PIDS", false),
                ("ACCEPTED", true),
                ("FAILED", true),
                ("CHECKS", true),
                ("LISTENERS", false),
            ]);
            for row in s.processes.iter().take(top) {
                table.row(vec![
                    row.comm.clone(),
                    pid_list(&row.pids, row.pid_count),
                    row.accepts.to_string(),
                    row.failed.to_string(),
                    row.security_checks.to_string(),
                    row.listeners.join(" "),
                ]);
            }
            ("Processes", s.processes.len(), table)
        }
        Breakdown::Peer => {
            let mut table = Table::new(&[("PEER", false), ("ACCEPTED", true)]);
            for row in s.peers.iter().take(top) {
                table.row(vec![row.peer.clone(), row.accepts.to_string()]);
            }
            ("Peers", s.peers.len(), table)
        }
        Breakdown::Network => {
            let mut table = Table::new(&[("NETWORK", false), ("ACCEPTED", true)]);
            for row in s.peer_networks.iter().take(top) {
                table.row(vec![row.network.clone(), row.accepts.to_string()]);
            }
            ("Peer networks", s.peer_networks.len(), table)
        }
        Breakdown::Family => {
            let mut table = Table::new(&[("FAMILY", false), ("EVENTS", true)]);
            for row in s.families.iter().take(top) {
                table.row(vec![row.family.clone(), row.events.to_string()]);
            }
            ("Families", s.families.len(), table)
        }
        Breakdown::Errno => {
            let mut table = Table::new(&[("ERRNO", false), ("FAILED", true)]);
            for row in s.failures.iter().take(top) {
                table.row(vec![format!("{} ({})", row.name, row.errno), row.count.to_string()]);
            }
            ("Failures", s.failures.len(), table)
        }
        Breakdown::Second | Breakdown::Minute => {
            let mut table =
                Table::new(&[("START", false), ("EVENTS", true), ("ACCEPTED", true), ("FAILED", true)]);
            for b in &s.rate.buckets {
                table.row(vec![
                    b.start.clone(),
                    b.events.to_string(),
                    b.accepts.to_string(),
                    b.failed.to_string(),
                ]);
            }
            let title = format!("Per {}", bucket_name(s.rate.bucket_seconds));
            return titled(&title, &table, None);
        }
    };
    let shown = total.min(top);
    titled(title, &table, (shown < total).then(|| format!("top {shown} of {total}")))
}

fn titled(title: &str, table: &Table, note: Option<String>) -> String {
    let mut out = match note {
        Some(note) => format!("{title} ({note})\n"),
        None => format!("{title}\n"),
    };
    if table.is_empty() {
        out.push_str("  (none)\n");
    } else {
        out.push_str(&table.render());
    }
    out
}

fn bucket_name(seconds: u64) -> String {
    match seconds {
        1 => "second".into(),
        60 => "minute".into(),
        n => format!("{n}s"),
    }
}

/// `nginx[1201,1202]`, or `nginx[1201,1202,…](40 pids)` when there are many.
fn process_ref(p: &ProcessRef) -> String {
    format!("{}[{}]", p.comm, pid_list(&p.pids, p.pid_count))
}

fn pid_list(pids: &[u32], count: u64) -> String {
    const SHOWN: usize = 4;
    let list: Vec<String> = pids.iter().take(SHOWN).map(u32::to_string).collect();
    if count as usize > SHOWN { format!("{},… ({count} pids)", list.join(",")) } else { list.join(",") }
}

/// Rounded to milliseconds: `1m 2s 345ms`.
fn duration(ns: u64) -> String {
    if ns == 0 {
        return "0s".into();
    }
    let rounded = Duration::from_millis(ns.div_ceil(1_000_000));
    humantime::format_duration(rounded).to_string()
}

//! A [`DiffReport`] as terminal text, or as Markdown for a pull-request comment.

use std::fmt::Write as _;

use super::diff::{CountChange, DiffReport, ListenerChange, ProcessChange};
use super::table::Table;

/// One change, in words: (what changed, which thing, details).
fn changes(report: &DiffReport) -> Vec<(&'static str, String, String)> {
    let mut rows = Vec::new();
    for l in &report.listeners_added {
        rows.push(("new listener", l.listener.clone(), listener_detail(l)));
    }
    for l in &report.listeners_removed {
        rows.push(("listener gone", l.listener.clone(), listener_detail(l)));
    }
    for p in &report.processes_added {
        rows.push(("new process", p.comm.clone(), process_detail(p)));
    }
    for p in &report.processes_removed {
        rows.push(("process gone", p.comm.clone(), process_detail(p)));
    }
    for n in &report.new_peer_networks {
        rows.push(("new peer network", n.network.clone(), format!("{} accepted", n.accepts)));
    }
    for f in &report.new_failures {
        rows.push((
            "new failure",
            format!("{} ({})", f.name, f.errno),
            format!("{} failed accepts", f.count),
        ));
    }
    for c in &report.count_changes {
        rows.push(("count changed", c.listener.clone(), count_detail(c)));
    }
    rows
}

fn listener_detail(l: &ListenerChange) -> String {
    let mut detail = format!("{}, by {}: {} accepted", l.family, l.processes.join(", "), l.accepts);
    if l.failed > 0 {
        let _ = write!(detail, ", {} failed", l.failed);
    }
    if l.security_checks > 0 {
        let _ = write!(detail, ", {} security checks", l.security_checks);
    }
    detail
}

fn process_detail(p: &ProcessChange) -> String {
    format!("{} accepted, {} failed, on {}", p.accepts, p.failed, p.listeners.join(" "))
}

fn count_detail(c: &CountChange) -> String {
    let change = if c.baseline == 0 {
        "new".to_string()
    } else {
        format!("{:+.0}%", (c.current as f64 - c.baseline as f64) * 100.0 / c.baseline as f64)
    };
    format!("{} {} -> {} ({change})", c.count.replace('_', " "), c.baseline, c.current)
}

fn verdict(report: &DiffReport) -> String {
    match report.change_count() {
        0 => format!("same within tolerance ({})", report.tolerance),
        n => format!(
            "different: {n} change{} beyond tolerance ({})",
            if n == 1 { "" } else { "s" },
            report.tolerance
        ),
    }
}

/// Plain text: a verdict line, one line per change, then notes.
pub fn render_text(report: &DiffReport) -> String {
    let mut out = format!("{}\n", verdict(report));
    let rows = changes(report);
    if !rows.is_empty() {
        let mut table = Table::new(&[("CHANGE", false), ("SUBJECT", false), ("DETAIL", false)]);
        for (what, subject, detail) in rows {
            table.row(vec![what.to_string(), subject, detail]);
        }
        out.push_str(&table.render());
    }
    for note in &report.notes {
        let _ = writeln!(out, "note: {note}");
    }
    out
}

/// GitHub-flavoured Markdown: a heading with the verdict, a table of changes, notes as a list.
pub fn render_markdown(report: &DiffReport) -> String {
    let mark = if report.same { "✅" } else { "❌" };
    let mut out = format!("### {mark} accept-rec diff: {}\n", verdict(report));
    let rows = changes(report);
    if !rows.is_empty() {
        out.push_str("\n| Change | Subject | Detail |\n|---|---|---|\n");
        for (what, subject, detail) in rows {
            let _ = writeln!(out, "| {what} | `{}` | {} |", cell(&subject), cell(&detail));
        }
    }
    if !report.notes.is_empty() {
        out.push('\n');
        for note in &report.notes {
            let _ = writeln!(out, "- {}", cell(note));
        }
    }
    out
}

/// Keeps a table cell one cell: pipes escaped, no line breaks.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('`', "'").replace('\n', " ")
}

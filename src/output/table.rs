//! The default `replay` output: columns like Tracee's table, or CSV.

use std::io::{self, Write};

use super::EventSink;
use crate::format::filter::format_rfc3339;
use crate::format::{AcceptEvent, EventFlags, EventKind, Header, SockAddr, TimeAnchor};

/// Writes `TIME UID COMM PID TID RET EVENT ARGS` rows (UTC times).
#[derive(Debug)]
pub struct Table {
    clock: TimeAnchor,
    csv: bool,
}

impl Table {
    pub fn new(header: &Header, csv: bool) -> Table {
        Table { clock: header.clock, csv }
    }
}

impl EventSink for Table {
    fn begin(&mut self, out: &mut dyn Write) -> io::Result<()> {
        if self.csv {
            writeln!(out, "time,event,uid,comm,pid,tid,ppid,ret,sockfd,fd,local_addr,remote_addr")
        } else {
            writeln!(
                out,
                "{:<15} {:<6} {:<16} {:<7} {:<7} {:<6} {:<22} ARGS",
                "TIME", "UID", "COMM", "PID", "TID", "RET", "EVENT"
            )
        }
    }

    fn event(&mut self, out: &mut dyn Write, e: &AcceptEvent) -> io::Result<()> {
        let time = format_rfc3339(self.clock.to_wall(e.ts_ns));
        let comm = e.ctx.comm.to_string_lossy();
        if self.csv {
            return writeln!(
                out,
                "{time},{},{},{},{},{},{},{},{},{},{},{}",
                e.kind,
                e.ctx.uid,
                csv_field(&comm),
                e.ctx.pid,
                e.ctx.tid,
                e.ctx.ppid,
                e.ret,
                e.sockfd,
                e.fd,
                csv_field(&addr_text(&e.local)),
                csv_field(&addr_text(&e.remote)),
            );
        }
        // 2026-11-22T14:38:11.123456789Z -> 14:38:11.123456
        let clock = time.get(11..26).unwrap_or(&time);
        write!(
            out,
            "{clock:<15} {:<6} {:<16} {:<7} {:<7} {:<6} {:<22} sockfd: {}",
            e.ctx.uid, comm, e.ctx.pid, e.ctx.tid, e.ret, e.kind, e.sockfd
        )?;
        write!(out, ", local_addr: {}", addr_text(&e.local))?;
        if e.kind == EventKind::SocketAccept {
            write!(out, ", remote_addr: {}", addr_text(&e.remote))?;
        }
        if let Some(peer) = e.peer {
            write!(out, ", peer: pid {} uid {}", peer.pid, peer.uid)?;
        }
        if e.flags.has(EventFlags::LOCAL_PORT_FROM_LISTENER) {
            out.write_all(b" (reset before accept)")?;
        }
        out.write_all(b"\n")
    }
}

fn addr_text(a: &SockAddr) -> String {
    a.to_string()
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
}

//! `--format tracee`: Tracee's `trace.Event` JSON, so pipelines built on
//! Tracee's output read our events unchanged.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;
use serde_json::{Value, json};

use super::{EventSink, host_names};
use crate::format::{AcceptEvent, EventKind, Header, SockAddr, TimeAnchor};

/// Writes one Tracee event per line.
#[derive(Debug)]
pub struct TraceeJson {
    clock: TimeAnchor,
    hosts: Vec<String>,
}

impl TraceeJson {
    pub fn new(header: &Header) -> TraceeJson {
        TraceeJson { clock: header.clock, hosts: host_names(header) }
    }
}

/// Tracee's event ids (its `events.ID` enumeration).
fn event_id(kind: EventKind) -> u32 {
    match kind {
        EventKind::SecuritySocketAccept => 737,
        EventKind::SocketAccept => 763,
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TraceeEvent<'a> {
    timestamp: i128,
    thread_start_time: u64,
    processor_id: u32,
    process_id: u32,
    cgroup_id: u64,
    thread_id: u32,
    parent_process_id: u32,
    host_process_id: u32,
    host_thread_id: u32,
    host_parent_process_id: u32,
    user_id: u32,
    mount_namespace: u32,
    pid_namespace: u32,
    process_name: &'a str,
    executable: Value,
    host_name: &'a str,
    container_id: &'a str,
    container: Value,
    kubernetes: Value,
    event_id: String,
    event_name: &'static str,
    args_num: usize,
    return_value: i32,
    syscall: &'static str,
    stack_addresses: Option<Vec<u64>>,
    context_flags: Value,
    args: Vec<Value>,
}

/// Tracee prints socket addresses as string maps.
fn sockaddr(a: &SockAddr) -> Value {
    let mut map = BTreeMap::new();
    map.insert("sa_family", a.family_name());
    match a {
        SockAddr::Inet { addr, port } => {
            map.insert("sin_addr", addr.to_string());
            map.insert("sin_port", port.to_string());
        }
        SockAddr::Inet6 { addr, port, flowinfo, scope_id } => {
            map.insert("sin6_addr", addr.to_string());
            map.insert("sin6_port", port.to_string());
            map.insert("sin6_flowinfo", flowinfo.to_string());
            map.insert("sin6_scopeid", scope_id.to_string());
        }
        SockAddr::Unix(path) => {
            map.insert("sun_path", path.to_string());
        }
        SockAddr::None | SockAddr::Other { .. } => {}
    }
    json!(map)
}

impl EventSink for TraceeJson {
    fn event(&mut self, out: &mut dyn Write, e: &AcceptEvent) -> io::Result<()> {
        let comm = e.ctx.comm.to_string_lossy();
        let mut args = vec![
            json!({"name": "sockfd", "type": "int", "value": e.sockfd}),
            json!({"name": "local_addr", "type": "struct sockaddr*", "value": sockaddr(&e.local)}),
        ];
        if e.kind == EventKind::SocketAccept {
            args.push(
                json!({"name": "remote_addr", "type": "struct sockaddr*", "value": sockaddr(&e.remote)}),
            );
        }
        let event = TraceeEvent {
            timestamp: self.clock.to_wall(e.ts_ns),
            thread_start_time: 0,
            processor_id: 0,
            process_id: e.ctx.pid,
            cgroup_id: e.ctx.cgroup_id,
            thread_id: e.ctx.tid,
            parent_process_id: e.ctx.ppid,
            host_process_id: e.ctx.pid,
            host_thread_id: e.ctx.tid,
            host_parent_process_id: e.ctx.ppid,
            user_id: e.ctx.uid,
            mount_namespace: e.ctx.mnt_ns,
            pid_namespace: e.ctx.pid_ns,
            process_name: &comm,
            executable: json!({"path": ""}),
            host_name: self.hosts.get(e.source as usize).map_or("", String::as_str),
            container_id: "",
            container: json!({}),
            kubernetes: json!({}),
            event_id: event_id(e.kind).to_string(),
            event_name: e.kind.name(),
            args_num: args.len(),
            return_value: e.ret,
            syscall: if e.kind == EventKind::SocketAccept { "accept4" } else { "" },
            stack_addresses: None,
            context_flags: json!({"containerStarted": false, "isCompat": false}),
            args,
        };
        serde_json::to_writer(&mut *out, &event)?;
        out.write_all(b"\n")
    }
}

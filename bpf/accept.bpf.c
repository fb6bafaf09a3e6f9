// SPDX-License-Identifier: (MIT OR Apache-2.0)
/*
 * accept-rec's kernel half: turns accept(2)/accept4(2) and the
 * security_socket_accept LSM hook into accept_event records in a ring buffer.
 *
 * Reads top to bottom: configuration (rodata, set before load), maps,
 * filters, output, the two events, then one-line entry points. The walks
 * through kernel structures live in kernel_read.h. Which security hook
 * program is loaded (fentry, kprobe, or the sys_enter tracepoint fallback)
 * is chosen by user space at run time; see src/capture/hooks.rs.
 */
#include "vmlinux_min.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>
#include "accept.h"
#include "kernel_read.h"

/* GPL-compatible, as bpf_probe_read_kernel requires; matches the crate's MIT. */
char LICENSE[] SEC("license") = "Dual MIT/GPL";

#define EAGAIN 11 /* asm-generic errno, as on x86 and arm64 */
/* Sizes of the filter tables below; user space checks a filter fits. */
#define MAX_PID_FILTERS 8
#define MAX_COMM_FILTERS 4
#define MAX_PORT_FILTERS 8

/* ---- Configuration: written by user space before load, read-only after ---- */

const volatile __u32 cfg_events = 0;           /* bit (1 << ACCEPT_KIND_*) per wanted event */
const volatile __u32 cfg_pid_count = 0;        /* 0 = any process */
const volatile __u32 cfg_pids[MAX_PID_FILTERS] = {};
const volatile __u32 cfg_comm_count = 0;       /* 0 = any comm */
const volatile char cfg_comms[MAX_COMM_FILTERS][ACCEPT_COMM_LEN] = {};
const volatile __u32 cfg_port_count = 0;       /* 0 = any port; else local or remote must match */
const volatile __u16 cfg_ports[MAX_PORT_FILTERS] = {};
const volatile __u8 cfg_include_eagain = 0;    /* record accepts that failed with EAGAIN */
const volatile __u8 cfg_security_from_enter = 0; /* emit security_socket_accept at sys_enter */
const volatile __u64 cfg_wake_threshold = 0;   /* unread ring bytes past which the reader is woken */

/* ---- Maps ---- */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22); /* placeholder; user space sets the real size */
} events SEC(".maps");

/* A thread inside accept(2): sys_enter fills it, sys_exit empties it. */
struct inflight_accept {
	__s32 sockfd;
	__u32 active; /* 1 between sys_enter and sys_exit */
};

/* Task-local storage, not a hash keyed by tid: no size limit to evict by,
 * freed with the thread, and about a tenth of an LRU hash update's cost. */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC); /* required for task storage */
	__type(key, int);
	__type(value, struct inflight_accept);
} inflight SEC(".maps");

/* Records lost because the ring was full; per CPU so counting never contends. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} dropped SEC(".maps");

/* Makes the skeleton generate a Rust type for the record. */
struct accept_event _event = {0};

/* ---- Filters ---- */

static __always_inline bool event_enabled(__u8 kind)
{
	return cfg_events & (1u << kind);
}

static __always_inline bool comm_equal(const char *comm, const volatile char *want)
{
	for (int i = 0; i < ACCEPT_COMM_LEN; i++) {
		if (comm[i] != want[i])
			return false;
		if (comm[i] == 0)
			return true;
	}
	return true;
}

/* The cheap filters, which need only the current task. */
static __always_inline bool task_wanted(__u32 tgid)
{
	if (cfg_pid_count) {
		bool found = false;
		for (int i = 0; i < MAX_PID_FILTERS && i < cfg_pid_count; i++) {
			if (cfg_pids[i] == tgid) {
				found = true;
				break;
			}
		}
		if (!found)
			return false;
	}
	if (cfg_comm_count) {
		char comm[ACCEPT_COMM_LEN] = {};
		bpf_get_current_comm(comm, sizeof(comm));
		for (int i = 0; i < MAX_COMM_FILTERS && i < cfg_comm_count; i++) {
			if (comm_equal(comm, cfg_comms[i]))
				return true;
		}
		return false;
	}
	return true;
}

static __always_inline bool port_wanted(__u16 local_port, __u16 remote_port)
{
	if (!cfg_port_count)
		return true;
	for (int i = 0; i < MAX_PORT_FILTERS && i < cfg_port_count; i++) {
		if (cfg_ports[i] == local_port || cfg_ports[i] == remote_port)
			return true;
	}
	return false;
}

/* ---- Output ---- */

static __always_inline struct accept_event *reserve_event(void)
{
	struct accept_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e) {
		__u32 zero = 0;
		__u64 *count = bpf_map_lookup_elem(&dropped, &zero);

		if (count)
			__sync_fetch_and_add(count, 1);
		return NULL;
	}
	/* Ring memory is not zeroed. Clear every field and both address headers;
	 * address bytes past what family and path_len say are never read, so the
	 * 224 bytes of address payload need no clearing. */
	__builtin_memset(e, 0, offsetof(struct accept_event, local.bytes));
	__builtin_memset(&e->remote, 0, offsetof(struct accept_addr, bytes));
	return e;
}

/* Waking the reader costs more than the event itself (PERF-NOTES.md): the
 * reader drains on a timer, and is woken only when the ring is filling up.
 * Only the record that crosses a multiple of the threshold wakes it: waking
 * on every record past the threshold would cost a wakeup per event exactly
 * when the reader is behind, and if two CPUs race past one multiple without
 * either seeing the crossing, the next multiple still wakes the reader. */
static __always_inline void submit_event(struct accept_event *e)
{
	/* Counts this record too: it was reserved, so the producer moved past it. */
	__u64 avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);
	__u64 threshold = cfg_wake_threshold;
	__u64 flags = BPF_RB_NO_WAKEUP;

	if (threshold && avail >= sizeof(*e) &&
	    avail / threshold != (avail - sizeof(*e)) / threshold)
		flags = BPF_RB_FORCE_WAKEUP;
	bpf_ringbuf_submit(e, flags);
}

/* ---- Events ---- */

/* security_socket_accept on `listener`, whose fd is `sockfd` (-1 if unknown). */
static __always_inline void emit_security_socket_accept(struct socket *listener, __s32 sockfd,
							 __u8 flags)
{
	struct sock *lsk = BPF_CORE_READ(listener, sk);
	struct sock_ends ends = sock_ends_of(lsk);
	struct accept_event *e;

	if (!lsk || !port_wanted(ends.local_port, 0))
		return;
	e = reserve_event();
	if (!e)
		return;
	fill_context(e);
	e->kind = ACCEPT_KIND_SECURITY_SOCKET_ACCEPT;
	e->flags = flags;
	e->sockfd = sockfd;
	e->fd = -1;
	e->sock_type = BPF_CORE_READ(listener, type);
	read_addr(&e->local, lsk, ends.family, false);
	e->local.port = ends.local_port;
	submit_event(e);
}

/* accept returned `ret` (new fd or -errno) for the listener `sockfd` (-1 if unknown). */
static __always_inline void emit_socket_accept(__s32 sockfd, __s32 ret, __u8 flags)
{
	struct socket *accepted = ret >= 0 ? socket_of_fd(ret) : NULL;
	struct socket *listener = NULL;
	struct sock *sk = accepted ? BPF_CORE_READ(accepted, sk) : NULL;
	struct sock *lsk = NULL;
	struct sock_ends ends = sock_ends_of(sk);
	struct sock_ends listener_ends = {};
	struct accept_event *e;
	/* A reset before accept returned leaves the accepted socket's inet_num at
	 * 0, and a failed accept has no socket at all: both use the listener. */
	bool reset = sk && is_inet(ends.family) && ends.local_port == 0;

	if ((reset || ret < 0) && sockfd >= 0) {
		listener = socket_of_fd(sockfd);
		lsk = listener ? BPF_CORE_READ(listener, sk) : NULL;
		listener_ends = sock_ends_of(lsk);
		if (reset && listener_ends.local_port) {
			ends.local_port = listener_ends.local_port;
			flags |= ACCEPT_FLAG_LOCAL_PORT_FROM_LISTENER;
		}
	}
	if (!port_wanted(sk ? ends.local_port : listener_ends.local_port, ends.remote_port))
		return;

	e = reserve_event();
	if (!e)
		return;
	fill_context(e);
	e->kind = ACCEPT_KIND_SOCKET_ACCEPT;
	e->flags = flags;
	e->sockfd = sockfd;
	e->ret = ret;
	e->fd = ret >= 0 ? ret : -1;
	if (sk) {
		e->sock_type = BPF_CORE_READ(accepted, type);
		read_addr(&e->local, sk, ends.family, false);
		read_addr(&e->remote, sk, ends.family, true);
		e->local.port = ends.local_port;
		e->remote.port = ends.remote_port;
		if (ends.family == AF_UNIX)
			read_peer_cred(e, sk);
	} else if (lsk) {
		e->sock_type = BPF_CORE_READ(listener, type);
		read_addr(&e->local, lsk, listener_ends.family, false);
		e->local.port = listener_ends.local_port;
	}
	submit_event(e);
}

static __always_inline void on_accept_enter(__s32 sockfd)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct inflight_accept *slot;

	if (!cfg_events || !task_wanted(pid_tgid >> 32))
		return;
	slot = bpf_task_storage_get(&inflight, bpf_get_current_task_btf(), 0,
				    BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (slot) {
		slot->sockfd = sockfd;
		slot->active = 1;
	}
	if (cfg_security_from_enter && event_enabled(ACCEPT_KIND_SECURITY_SOCKET_ACCEPT)) {
		struct socket *listener = socket_of_fd(sockfd);

		/* The kernel fails non-sockets with ENOTSOCK before reaching the hook. */
		if (listener)
			emit_security_socket_accept(listener, sockfd, 0);
	}
}

static __always_inline void on_accept_exit(__s32 ret)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct inflight_accept *slot = bpf_task_storage_get(&inflight, bpf_get_current_task_btf(), 0, 0);
	__s32 sockfd = -1;
	__u8 flags = 0;

	if (slot && slot->active) {
		sockfd = slot->sockfd;
		slot->active = 0;
	} else {
		/* Entered accept before capture started, or the entry was evicted. */
		flags |= ACCEPT_FLAG_SOCKFD_UNKNOWN;
	}
	if (!event_enabled(ACCEPT_KIND_SOCKET_ACCEPT) || !task_wanted(pid_tgid >> 32))
		return;
	if (ret == -EAGAIN && !cfg_include_eagain)
		return;
	emit_socket_accept(sockfd, ret, flags);
}

/* fentry and kprobe share this; sockfd comes from the accept in flight, if any
 * (io_uring accepts have none). */
static __always_inline void on_security_hook(struct socket *listener)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct inflight_accept *slot;

	if (!event_enabled(ACCEPT_KIND_SECURITY_SOCKET_ACCEPT) || !task_wanted(pid_tgid >> 32))
		return;
	slot = bpf_task_storage_get(&inflight, bpf_get_current_task_btf(), 0, 0);
	if (slot && slot->active)
		emit_security_socket_accept(listener, slot->sockfd, 0);
	else
		emit_security_socket_accept(listener, -1, ACCEPT_FLAG_SOCKFD_UNKNOWN);
}

/* ---- Entry points ---- */

SEC("tracepoint/syscalls/sys_enter_accept")
int enter_accept(struct trace_event_raw_sys_enter *ctx)
{
	on_accept_enter((__s32)ctx->args[0]);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_accept4")
int enter_accept4(struct trace_event_raw_sys_enter *ctx)
{
	on_accept_enter((__s32)ctx->args[0]);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept")
int exit_accept(struct trace_event_raw_sys_exit *ctx)
{
	on_accept_exit((__s32)ctx->ret);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int exit_accept4(struct trace_event_raw_sys_exit *ctx)
{
	on_accept_exit((__s32)ctx->ret);
	return 0;
}

SEC("fentry/security_socket_accept")
int BPF_PROG(security_accept_fentry, struct socket *sock, struct socket *newsock)
{
	on_security_hook(sock);
	return 0;
}

SEC("kprobe/security_socket_accept")
int BPF_KPROBE(security_accept_kprobe, struct socket *sock)
{
	on_security_hook(sock);
	return 0;
}

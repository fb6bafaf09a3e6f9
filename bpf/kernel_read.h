/* SPDX-License-Identifier: (MIT OR Apache-2.0) */
/*
 * Walks from the current task to its sockets, and from a socket to the
 * addresses and credentials an accept_event records. No policy here: what
 * to emit, and when, is accept.bpf.c's business.
 *
 * The task comes from bpf_get_current_task_btf(), so fields reached from it
 * through struct pointers are plain loads the verifier checks against kernel
 * BTF. Everything behind a void pointer or an fd-table slot is read with
 * bpf_probe_read_kernel (BPF_CORE_READ), which costs a helper call each.
 */
#ifndef ACCEPT_KERNEL_READ_H
#define ACCEPT_KERNEL_READ_H

#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10
#define S_IFMT 00170000
#define S_IFSOCK 0140000
/* offsetof(struct sockaddr_un, sun_path): unix_address.len counts sun_family too. */
#define SUN_PATH_OFFSET 2
#define SUN_PATH_MAX 108

/* A socket's family and ports (host order), read once per event. */
struct sock_ends {
	__u16 family;
	__u16 local_port;  /* inet_num: 0 once a reset tore the connection down */
	__u16 remote_port;
};

static __always_inline bool is_inet(__u16 family)
{
	return family == AF_INET || family == AF_INET6;
}

/* current->files->fdt->fd[fd]->private_data, if that file is a socket. */
static __always_inline struct socket *socket_of_fd(int fd)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct fdtable *fdt = task->files->fdt;
	struct file *file = NULL;

	if (fd < 0 || (unsigned int)fd >= fdt->max_fds)
		return NULL;
	/* fdt->fd is an array of pointers, which BTF does not type: read the slot. */
	bpf_probe_read_kernel(&file, sizeof(file), &fdt->fd[fd]);
	if (!file)
		return NULL;
	if ((BPF_CORE_READ(file, f_inode, i_mode) & S_IFMT) != S_IFSOCK)
		return NULL;
	return BPF_CORE_READ(file, private_data);
}

static __always_inline struct sock_ends sock_ends_of(struct sock *sk)
{
	struct sock_ends ends = {};

	if (!sk)
		return ends;
	ends.family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (is_inet(ends.family)) {
		ends.local_port = BPF_CORE_READ(sk, __sk_common.skc_num);
		ends.remote_port = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	}
	return ends;
}

/* An AF_UNIX socket's bound name; no unix_address means unnamed. */
static __always_inline void read_unix_name(struct accept_addr *addr, struct sock *sk)
{
	struct unix_address *ua = BPF_CORE_READ((struct unix_sock *)sk, addr);
	__u64 len;

	if (!ua)
		return;
	len = BPF_CORE_READ(ua, len);
	if (len <= SUN_PATH_OFFSET || len > SUN_PATH_OFFSET + SUN_PATH_MAX)
		return;
	len -= SUN_PATH_OFFSET;
	/* Re-clamp after the arithmetic so the verifier sees a bounded 64-bit size. */
	len &= 0x7f;
	if (len > SUN_PATH_MAX)
		return;
	if (bpf_probe_read_kernel(addr->bytes, len, &ua->name[0].sun_path) == 0)
		addr->path_len = len;
}

/* One side of a socket's address, as getsockname/getpeername give it; the
 * port comes from sock_ends_of. */
static __always_inline void read_addr(struct accept_addr *addr, struct sock *sk, __u16 family,
				      bool remote)
{
	addr->family = family;
	if (family == AF_INET) {
		if (remote)
			bpf_core_read(addr->bytes, 4, &sk->__sk_common.skc_daddr);
		else
			bpf_core_read(addr->bytes, 4, &sk->__sk_common.skc_rcv_saddr);
	} else if (family == AF_INET6) {
		/* in6_u.u6_addr8, not s6_addr: that name is a macro. */
		if (remote)
			bpf_core_read(addr->bytes, 16, &sk->__sk_common.skc_v6_daddr.in6_u.u6_addr8);
		else
			bpf_core_read(addr->bytes, 16, &sk->__sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
		/* Like ipv6_iface_scope_id(): link-local (fe80::/10) carries the bound device.
		 * flowinfo stays 0: it needs IPV6_FLOWINFO_SEND, which accept servers do not set. */
		if (addr->bytes[0] == 0xfe && (addr->bytes[1] & 0xc0) == 0x80)
			addr->scope_id = BPF_CORE_READ(sk, __sk_common.skc_bound_dev_if);
	} else if (family == AF_UNIX) {
		if (remote)
			sk = BPF_CORE_READ((struct unix_sock *)sk, peer);
		if (sk)
			read_unix_name(addr, sk);
	}
	/* Other families: the family number alone. */
}

/* SO_PEERCRED of an AF_UNIX socket: the connecting process at connect(2) time. */
static __always_inline void read_peer_cred(struct accept_event *e, struct sock *sk)
{
	struct pid *peer_pid;
	const struct cred *peer_cred;

	if (!bpf_core_field_exists(sk->sk_peer_pid))
		return;
	peer_pid = BPF_CORE_READ(sk, sk_peer_pid);
	peer_cred = BPF_CORE_READ(sk, sk_peer_cred);
	if (!peer_pid || !peer_cred)
		return;
	/* numbers[0] is the initial pid namespace, the one e->pid is in too. */
	e->peer_pid = BPF_CORE_READ(peer_pid, numbers[0].nr);
	e->peer_uid = BPF_CORE_READ(peer_cred, euid.val);
	e->peer_known = ACCEPT_PEER_KNOWN;
}

/* Who is accepting: the process context every event carries. */
static __always_inline void fill_context(struct accept_event *e)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u64 uid_gid = bpf_get_current_uid_gid();
	struct pid *thread_pid = task->thread_pid;
	unsigned int level = thread_pid->level;

	e->ts_ns = bpf_ktime_get_boot_ns();
	e->cgroup_id = bpf_get_current_cgroup_id();
	e->pid = pid_tgid >> 32;
	e->tid = (__u32)pid_tgid;
	e->ppid = task->real_parent->tgid;
	e->uid = (__u32)uid_gid;
	e->gid = uid_gid >> 32;
	e->mnt_ns = task->nsproxy->mnt_ns->ns.inum;
	e->net_ns = task->nsproxy->net_ns->ns.inum;
	/* The task's own (active) pid namespace, not nsproxy's pid_ns_for_children.
	 * numbers[] is indexed by a variable, which BTF loads cannot do. */
	e->pid_ns = BPF_CORE_READ(thread_pid, numbers[level].ns, ns.inum);
	bpf_get_current_comm(e->comm, sizeof(e->comm));
}

#endif /* ACCEPT_KERNEL_READ_H */

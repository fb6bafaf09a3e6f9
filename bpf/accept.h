/* SPDX-License-Identifier: (MIT OR Apache-2.0) */
/*
 * The record accept.bpf.c writes into the ring buffer. User space reads it
 * through the skeleton's generated Rust type and converts it to the format's
 * AcceptEvent; it never goes to disk as is.
 *
 * Fixed-width fields only, padding spelled out, no logic: the same bytes
 * must mean the same thing to clang and to rustc.
 */
#ifndef ACCEPT_H
#define ACCEPT_H

#define ACCEPT_COMM_LEN 16
/* sizeof(sockaddr_un.sun_path); rounded up to keep accept_addr 8-aligned. */
#define ACCEPT_ADDR_BYTES 112

/* Event kinds; equal to the format's EventKind codes. */
#define ACCEPT_KIND_SOCKET_ACCEPT 0
#define ACCEPT_KIND_SECURITY_SOCKET_ACCEPT 1

/* accept_event.flags; equal to the format's EventFlags bits. */
#define ACCEPT_FLAG_LOCAL_PORT_FROM_LISTENER (1 << 0)
#define ACCEPT_FLAG_SOCKFD_UNKNOWN (1 << 1)

/* accept_event.peer_known: peer_pid and peer_uid are valid. */
#define ACCEPT_PEER_KNOWN 1

/* One socket address. family 0 means "no address". */
struct accept_addr {
	__u16 family;    /* AF_*; 0 = none */
	__u16 port;      /* AF_INET/AF_INET6, host byte order */
	__u16 path_len;  /* AF_UNIX: bytes of `bytes` holding sun_path; 0 = unnamed */
	__u16 _pad0;
	__u32 flowinfo;  /* AF_INET6 */
	__u32 scope_id;  /* AF_INET6: interface index for link-local addresses */
	/* AF_INET: 4 bytes, AF_INET6: 16 bytes, both network order;
	 * AF_UNIX: sun_path, abstract names start with NUL. */
	__u8 bytes[ACCEPT_ADDR_BYTES];
};

struct accept_event {
	__u64 ts_ns;      /* CLOCK_BOOTTIME */
	__u64 cgroup_id;
	__u32 pid;        /* tgid, initial pid namespace */
	__u32 tid;
	__u32 ppid;       /* real_parent's tgid */
	__u32 uid;
	__u32 gid;
	__u32 mnt_ns;     /* namespace inode numbers */
	__u32 pid_ns;
	__u32 net_ns;
	__s32 sockfd;     /* listening fd; -1 when unknown */
	__s32 fd;         /* accepted fd; -1 when none */
	__s32 ret;        /* syscall return: fd or -errno; 0 for security events */
	__u32 peer_pid;   /* AF_UNIX peer, when peer_known */
	__u32 peer_uid;
	__u16 sock_type;  /* SOCK_STREAM, ...; 0 = unknown */
	__u8 kind;        /* ACCEPT_KIND_* */
	__u8 flags;       /* ACCEPT_FLAG_* */
	__u8 peer_known;
	__u8 _pad0[7];
	char comm[ACCEPT_COMM_LEN];
	struct accept_addr local;
	struct accept_addr remote;
};

#endif /* ACCEPT_H */

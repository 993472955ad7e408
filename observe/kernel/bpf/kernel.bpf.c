// SPDX-License-Identifier: GPL-2.0
//go:build ignore

// The kernel half of package kernel: BTF-typed tracepoints on TCP's reset,
// state and error paths. Every event names its socket (cookie, addresses,
// network namespace, cgroup) and the socket's owner, recorded whenever a task
// acts on the socket with its lock held, never taken from whatever task an
// interrupt happened to find on the CPU.
//
// Types are declared here with only the fields read; CO-RE relocates them
// against the running kernel's BTF at load time.

typedef unsigned char __u8;
typedef unsigned short __u16;
typedef unsigned int __u32;
typedef unsigned long long __u64;
typedef signed char __s8;
typedef short __s16;
typedef int __s32;
typedef long long __s64;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u32 __wsum;

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

struct sock;

struct in6_addr {
	__u8 s6_addr[16];
};
struct ns_common {
	unsigned int inum;
};
struct net {
	struct ns_common ns;
};
typedef struct {
	struct net *net;
} possible_net_t;
typedef struct {
	__s64 counter;
} atomic64_t;
struct sock_common {
	__be32 skc_daddr;
	__be32 skc_rcv_saddr;
	__be16 skc_dport;
	__u16 skc_num;
	unsigned short skc_family;
	volatile unsigned char skc_state;
	possible_net_t skc_net;
	struct in6_addr skc_v6_daddr;
	struct in6_addr skc_v6_rcv_saddr;
	atomic64_t skc_cookie;
	unsigned long skc_flags;   // a full socket's flags (sk_flags)
};
struct kernfs_node {
	__u64 id;
};
struct cgroup {
	struct kernfs_node *kn;
	int level;
	struct cgroup *ancestors[]; // Linux 6.1 and later; the root first, itself last
};
struct cgroup___ids {
	int level;
	__u64 ancestor_ids[]; // before 6.1
};
struct sock_cgroup_data {
	struct cgroup *cgroup;
};
typedef struct {
	int owned;
} socket_lock_t;
struct socket;
struct sock;
struct sock {
	struct sock_common __sk_common;
	socket_lock_t sk_lock;
	int sk_err;
	__u16 sk_protocol;
	struct socket *sk_socket;
	struct sock_cgroup_data sk_cgrp_data;
};
struct socket {
	struct sock *sk;
};
struct inet_sock {
	__be16 inet_sport;
};
struct inet_connection_sock {
	__u8 icsk_ca_state : 5;
	__u8 icsk_retransmits;
};
struct tcp_sock {
	__u32 rcv_nxt;
	__u32 copied_seq;
	__u32 write_seq;
	__u32 snd_una;
};
struct net_device {
	possible_net_t nd_net;
};
struct sk_buff {
	struct net_device *dev;
	struct sock *sk;
	__be16 protocol;
	unsigned char *head;
	__u16 transport_header;
	__u16 network_header;
};
struct inode {
	unsigned short i_mode;
};
struct file {
	struct inode *f_inode;
};
struct css_set {
	struct cgroup *dfl_cgrp;
};
struct task_struct {
	int pid;
	int tgid;
	char comm[16];
	struct css_set *cgroups;
};
struct bpf_iter_meta;
struct bpf_iter__task_file {
	struct bpf_iter_meta *meta;
	struct task_struct *task;
	__u32 fd;
	struct file *file;
};

#pragma clang attribute pop

// Packet headers: the wire's layout, not relocated.
struct ip4_header {
	__u8 ihl_version;
	__u8 tos;
	__be16 tot_len;
	__be16 id;
	__be16 frag_off;
	__u8 ttl;
	__u8 protocol;
	__u16 check;
	__be32 saddr;
	__be32 daddr;
};
struct ip6_header {
	__u8 priority_version;
	__u8 flow_lbl[3];
	__be16 payload_len;
	__u8 nexthdr;
	__u8 hop_limit;
	__u8 saddr[16];
	__u8 daddr[16];
};
struct tcp_ports {
	__be16 source;
	__be16 dest;
};

#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6
#define ETH_P_IP 0x0800
#define TCP_SYN_SENT 2
#define TCP_SYN_RECV 3
#define TCP_TIME_WAIT 6
#define TCP_CLOSE 7
#define TCP_LISTEN 10
#define TCP_NEW_SYN_RECV 12
#define TCP_CA_LOSS 4
#define SOCK_DEAD 0
#define S_IFMT 00170000
#define S_IFSOCK 0140000

// Event kinds; package kernel's Kind mirrors them.
enum {
	KIND_SEND_RESET = 1,
	KIND_RECEIVE_RESET = 2,
	KIND_STATE = 3,
	KIND_ERROR = 4,
	KIND_DROP = 5,
	KIND_RETRANSMIT = 6,
};

// How an event's owner is known; package kernel's Attribution mirrors them.
enum {
	ATTR_NONE = 0,
	ATTR_EXACT = 1,
	ATTR_SNAPSHOT = 2,
};

// Event flags.
enum {
	FLAG_ORPHAN = 1,      // no process holds the socket any more
	FLAG_NO_SOCKET = 2,   // the RST answers a packet no socket took
	FLAG_QUEUES = 4,      // unread and unacked are known
	FLAG_WANT_ERROR = 8,  // an inet_sk_error_report for this socket follows
	FLAG_HAS_REASON = 16, // reason is the kernel's (tcp_send_reset has one)
	FLAG_LISTENER = 32,   // the owner is the listener's: no task acted on the socket yet
	FLAG_REPORTED = 64,   // a received RST's err is the error the kernel reported after it
	FLAG_IN_CGROUP = 128, // the socket's cgroup passes the cgroup filter (not shown)
};

struct owner {
	__u32 pid;
	__u32 tid;
	__u64 cgroup;
	char comm[16];
	__u8 how;
	__u8 pad[7];
};

struct event {
	__u64 mono;
	__u64 cookie;
	__u64 cgroup; // the socket's cgroup id
	struct owner owner;
	__u32 netns;
	__u32 cpu_pid; // the task on the CPU, for comparison
	__u8 kind;
	__u8 family;
	__u8 state;
	__u8 old_state;
	__u16 flags;
	__u16 sport;
	__u16 dport;
	__u16 retransmits; // retransmit: the how-manieth after a timeout, unanswered
	__s32 err;
	__u32 reason;
	__u32 unread;
	__u32 unacked;
	__u8 saddr[16];
	__u8 daddr[16];
};

// Keeps struct event in the BTF for bpf2go.
const struct event *unused_event __attribute__((unused));

// Set by the loader before load.
volatile const __u8 filter_netns;  // only namespaces in netns_allow
volatile const __u8 filter_port;   // only ports in port_allow (either end)
volatile const __u8 filter_cgroup; // only sockets in cgroup_allow's cgroups or below
volatile const __u8 want_states;   // emit state changes
volatile const __u8 want_drops;    // emit TCP packets dropped (kfree_skb)
volatile const __u8 merge_reports; // one record for a received RST and its error report
volatile const __u8 want_retransmits; // emit retransmissions after a timeout
volatile const __u32 skb_consumed; // SKB_CONSUMED's value: not a drop

// The loader sets the ring's size (Config.RingSize).
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 24);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1 << 16);
	__type(key, __u64);
	__type(value, struct owner);
} owners SEC(".maps");

// Owners of sockets the kernel destroyed, by cookie: a TIME_WAIT socket
// that outlives its full socket carries the same cookie, and its events
// keep the process that held it last. Moving a destroyed socket's owner
// here keeps owners to sockets that still exist, so that a host closing
// many short connections does not push out the owners of long-lived idle
// ones.
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1 << 14);
	__type(key, __u64);
	__type(value, struct owner);
} closed_owners SEC(".maps");

// Owners found by the snapshot, by socket address.
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1 << 16);
	__type(key, __u64);
	__type(value, struct owner);
} snapshot_owners SEC(".maps");

// Listening sockets' owners, by namespace and port: the owner of a
// connection accepted (or waiting to be) that its process has not acted on.
struct listen_key {
	__u32 netns;
	__u16 port;
	__u16 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1 << 14);
	__type(key, struct listen_key);
	__type(value, struct owner);
} listeners SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u8);
} netns_allow SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u16);
	__type(value, __u8);
} port_allow SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, __u8);
} cgroup_allow SEC(".maps");

// pending holds, by socket cookie, a received RST waiting for the error
// report that tcp_reset files right after it (tcp_done_with_error), with
// the socket still locked: the two become one record, with the reported
// errno. Keyed by socket, not by CPU: a program in process context (the
// backlog processed on release_sock) can be interrupted by a softirq
// running another. An RST is held only when tcp_reset will report an error
// (want_error mirrors its test), so no entry is left behind; on a kernel
// that did otherwise, the LRU would bound what is, and those RSTs would go
// unshown.
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1 << 12);
	__type(key, __u64);
	__type(value, struct event);
} pending SEC(".maps");

// retransmitted holds, per socket, the count of timeout retransmissions
// last shown: the retransmissions of one timeout after the first (the rest
// of the queue, in loss recovery) are not shown.
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1 << 14);
	__type(key, __u64);
	__type(value, __u8);
} retransmitted SEC(".maps");

// lost[0] counts events dropped because the ring buffer was full.
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps");

static __always_inline int full_sock(unsigned char state)
{
	return state != TCP_TIME_WAIT && state != TCP_NEW_SYN_RECV;
}

static __always_inline __u64 sock_cgroup(const struct sock *sk)
{
	struct cgroup *cg = BPF_CORE_READ(sk, sk_cgrp_data.cgroup);
	if (!cg)
		return 0;
	return BPF_CORE_READ(cg, kn, id);
}

// max_cgroup_depth bounds the walk up a cgroup's ancestors: deeper
// cgroups are matched by their 32 nearest levels from the root.
#define max_cgroup_depth 32

// in_cgroups reports whether the socket's cgroup or one of its ancestors
// is in cgroup_allow: a cgroup made below an allowed one after the
// observer started (a new container) passes too.
static __always_inline int in_cgroups(const struct sock *sk)
{
	struct cgroup *cg = BPF_CORE_READ(sk, sk_cgrp_data.cgroup);
	int level;

	if (!cg)
		return 0;
	level = BPF_CORE_READ(cg, level);
	for (int i = 0; i < max_cgroup_depth; i++) {
		__u64 id = 0;
		if (i > level)
			break;
		if (bpf_core_field_exists(cg->ancestors)) {
			struct cgroup *a = 0;
			bpf_core_read(&a, sizeof(a), &cg->ancestors[i]);
			if (a)
				id = BPF_CORE_READ(a, kn, id);
		} else {
			struct cgroup___ids *old = (void *)cg;
			bpf_core_read(&id, sizeof(id), &old->ancestor_ids[i]);
		}
		if (id && bpf_map_lookup_elem(&cgroup_allow, &id))
			return 1;
	}
	return 0;
}

static __always_inline void current_owner(struct owner *o, __u8 how)
{
	__u64 pt = bpf_get_current_pid_tgid();
	o->pid = pt >> 32;
	o->tid = (__u32)pt;
	o->cgroup = bpf_get_current_cgroup_id();
	bpf_get_current_comm(o->comm, sizeof(o->comm));
	o->how = how;
}

// remember records the current task as the owner of the socket with this
// cookie, writing only when it changed.
static __always_inline void remember(__u64 cookie)
{
	struct owner o = {};
	struct owner *old;

	current_owner(&o, ATTR_EXACT);
	old = bpf_map_lookup_elem(&owners, &cookie);
	if (old && old->tid == o.tid && old->how == ATTR_EXACT)
		return;
	bpf_map_update_elem(&owners, &cookie, &o, BPF_ANY);
}

// acting reports whether the current task holds the socket's lock: then it
// is in a system call on this socket (or processing the socket's backlog on
// release), and so its owner. Softirq and timer work never holds it.
static __always_inline int acting(const struct sock *sk)
{
	return BPF_CORE_READ(sk, sk_lock.owned) != 0;
}

static __always_inline int pass(struct event *e)
{
	if (filter_netns && !bpf_map_lookup_elem(&netns_allow, &e->netns))
		return 0;
	if (filter_port && !bpf_map_lookup_elem(&port_allow, &e->sport) &&
	    !bpf_map_lookup_elem(&port_allow, &e->dport))
		return 0;
	if (filter_cgroup && !(e->flags & FLAG_IN_CGROUP))
		return 0;
	return 1;
}

// fill sets what an event learns from its socket: addresses, namespace,
// state, cgroup, queues and owner.
static __always_inline void fill(struct event *e, struct sock *sk, int cookie_ok)
{
	unsigned char state = BPF_CORE_READ(sk, __sk_common.skc_state);
	struct owner *o;

	e->state = state;
	e->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	e->netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	// skc_num is cleared when a closing socket leaves the port table;
	// inet_sport keeps the port, as the tracepoints print it.
	e->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	if (full_sock(state)) {
		__u16 p = bpf_ntohs(BPF_CORE_READ((struct inet_sock *)sk, inet_sport));
		if (p)
			e->sport = p;
	}
	e->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (e->family == AF_INET6) {
		BPF_CORE_READ_INTO(&e->saddr, sk, __sk_common.skc_v6_rcv_saddr);
		BPF_CORE_READ_INTO(&e->daddr, sk, __sk_common.skc_v6_daddr);
	} else {
		BPF_CORE_READ_INTO(&e->saddr, sk, __sk_common.skc_rcv_saddr);
		BPF_CORE_READ_INTO(&e->daddr, sk, __sk_common.skc_daddr);
	}
	e->cookie = cookie_ok ? bpf_get_socket_cookie(sk) : BPF_CORE_READ(sk, __sk_common.skc_cookie.counter);

	if (full_sock(state)) {
		struct tcp_sock *tp = bpf_skc_to_tcp_sock(sk);
		e->cgroup = sock_cgroup(sk);
		if (filter_cgroup && in_cgroups(sk))
			e->flags |= FLAG_IN_CGROUP;
		if (tp) {
			e->unread = BPF_CORE_READ(tp, rcv_nxt) - BPF_CORE_READ(tp, copied_seq);
			e->unacked = BPF_CORE_READ(tp, write_seq) - BPF_CORE_READ(tp, snd_una);
			e->flags |= FLAG_QUEUES;
		}
		if (!BPF_CORE_READ(sk, sk_socket))
			e->flags |= FLAG_ORPHAN;
		if (state != TCP_LISTEN && acting(sk)) {
			remember(e->cookie);
		}
	} else {
		e->flags |= FLAG_ORPHAN;
	}

	o = bpf_map_lookup_elem(&owners, &e->cookie);
	if (!o)
		o = bpf_map_lookup_elem(&closed_owners, &e->cookie);
	if (!o) {
		__u64 key = (__u64)sk;
		o = bpf_map_lookup_elem(&snapshot_owners, &key);
	}
	if (!o && state != TCP_LISTEN) {
		// Not acted on by any task since it was made: a connection a
		// listener made, the listener's owner's.
		struct listen_key lk = {.netns = e->netns, .port = e->sport};
		o = bpf_map_lookup_elem(&listeners, &lk);
		if (o)
			e->flags |= FLAG_LISTENER;
	}
	if (o)
		e->owner = *o;
}

// netns_passes applies the namespace filter before an event is made, so
// that events of other namespaces cost no more than this look-up. pass
// applies it again, with the other filters.
static __always_inline int netns_passes(__u32 inum)
{
	return !filter_netns || bpf_map_lookup_elem(&netns_allow, &inum);
}

static __always_inline int sock_netns_passes(const struct sock *sk)
{
	return netns_passes(BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum));
}

static __always_inline void count_lost(void)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&lost, &zero);
	if (n)
		*n += 1;
}

static __always_inline void start(struct event *e, __u8 kind)
{
	__builtin_memset(e, 0, sizeof(*e));
	e->mono = bpf_ktime_get_ns();
	e->kind = kind;
	e->cpu_pid = bpf_get_current_pid_tgid() >> 32;
}


// wake_bytes is how much unread data wakes the reader. Below it, records
// are submitted without a wakeup and the reader finds them when it next
// looks (it polls at a short interval): a wakeup per event, whenever the
// reader had caught up, cost both sides more than the events themselves.
#define wake_bytes (512 << 10)

// rec_bytes is the room a record takes in the ring: with its header,
// 8-aligned.
#define rec_bytes ((sizeof(struct event) + 8 + 7) & ~7ULL)

// wake returns the flags that write a record: a wakeup only for the record
// that makes the unread data reach wake_bytes, so that a reader that has
// fallen behind is not woken again for every record.
static __always_inline __u64 wake(void)
{
	__u64 avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) + rec_bytes;
	if (avail >= wake_bytes && avail < wake_bytes + rec_bytes)
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

// emit writes an event, made on the stack, into the ring if it passes the
// filters. Filtering before the ring is touched makes the lost count
// exact: only an event that would have been shown counts, when the ring is
// full.
static __always_inline void emit(struct event *e)
{
	if (!pass(e))
		return;
	if (bpf_ringbuf_output(&events, e, sizeof(*e), wake()) < 0)
		count_lost();
}

// release writes out the received RST of this socket held for an error
// report that has not come yet, so that its events stay in order.
static __always_inline void release(__u64 cookie)
{
	struct event *p = bpf_map_lookup_elem(&pending, &cookie);
	if (p) {
		emit(p);
		bpf_map_delete_elem(&pending, &cookie);
	}
}

// from_skb fills an RST's connection from the packet it answers, for RSTs
// sent with no socket: the RST goes from the packet's destination to its
// source.
static __always_inline void from_skb(struct event *e, const struct sk_buff *skb)
{
	unsigned char *head = BPF_CORE_READ(skb, head);
	__u16 nh = BPF_CORE_READ(skb, network_header);
	__u16 th = BPF_CORE_READ(skb, transport_header);
	struct tcp_ports t = {};
	__u8 v = 0;

	e->netns = BPF_CORE_READ(skb, dev, nd_net.net, ns.inum);
	bpf_probe_read_kernel(&v, 1, head + nh);
	if ((v >> 4) == 6) {
		struct ip6_header h = {};
		bpf_probe_read_kernel(&h, sizeof(h), head + nh);
		e->family = AF_INET6;
		__builtin_memcpy(e->saddr, h.daddr, 16);
		__builtin_memcpy(e->daddr, h.saddr, 16);
	} else {
		struct ip4_header h = {};
		bpf_probe_read_kernel(&h, sizeof(h), head + nh);
		e->family = AF_INET;
		__builtin_memcpy(e->saddr, &h.daddr, 4);
		__builtin_memcpy(e->daddr, &h.saddr, 4);
	}
	bpf_probe_read_kernel(&t, sizeof(t), head + th);
	e->sport = bpf_ntohs(t.dest);
	e->dport = bpf_ntohs(t.source);
}

static __always_inline int send_reset(struct sock *sk, const struct sk_buff *skb, __u32 reason, int has_reason)
{
	struct event e;

	if (sk && !sock_netns_passes(sk))
		return 0;
	if (!sk && skb && !netns_passes(BPF_CORE_READ(skb, dev, nd_net.net, ns.inum)))
		return 0;
	start(&e, KIND_SEND_RESET);
	if (has_reason) {
		e.reason = reason;
		e.flags |= FLAG_HAS_REASON;
	}
	if (sk) {
		fill(&e, sk, 1);
	} else if (skb) {
		from_skb(&e, skb);
		e.flags |= FLAG_NO_SOCKET;
	}
	emit(&e);
	return 0;
}

// Linux 6.10 and later: tcp_send_reset(sk, skb, reason).
SEC("tp_btf/tcp_send_reset")
int BPF_PROG(send_reset_reason, struct sock *sk, const struct sk_buff *skb, int reason)
{
	return send_reset(sk, skb, reason, 1);
}

// Before 6.10: tcp_send_reset(sk, skb), no reason.
SEC("tp_btf/tcp_send_reset")
int BPF_PROG(send_reset_plain, struct sock *sk, const struct sk_buff *skb)
{
	return send_reset(sk, skb, 0, 0);
}

// want_error reports whether tcp_reset will report an error to the socket
// after this received RST: unless it is closed already or dead (orphaned),
// when no application is told anything.
static __always_inline int want_error(struct event *e, const struct sock *sk)
{
	return e->state != TCP_CLOSE && full_sock(e->state) &&
	       !(BPF_CORE_READ(sk, __sk_common.skc_flags) & (1UL << SOCK_DEAD));
}

SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(receive_reset, struct sock *sk)
{
	struct event e;

	if (!sock_netns_passes(sk))
		return 0;
	start(&e, KIND_RECEIVE_RESET);
	fill(&e, sk, 1);
	if (want_error(&e, sk))
		e.flags |= FLAG_WANT_ERROR;
	// Held for its error report, which error_report writes it with:
	// one record instead of two, and no pairing in user space.
	if (merge_reports && (e.flags & FLAG_WANT_ERROR) && pass(&e) &&
	    !bpf_map_update_elem(&pending, &e.cookie, &e, BPF_ANY))
		return 0;
	emit(&e);
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(set_state, struct sock *sk, int oldstate, int newstate)
{
	struct event e;

	if (BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return 0;
	// connect, listen, close and shutdown change state in the caller's
	// context with the socket locked: the moment to learn the owner.
	if (acting(sk))
		remember(bpf_get_socket_cookie(sk));
	// A child is cloned from its listener: it leaves LISTEN for SYN_RECV;
	// only the listener itself goes from LISTEN to CLOSE.
	if (newstate == TCP_LISTEN || (oldstate == TCP_LISTEN && newstate == TCP_CLOSE)) {
		struct listen_key lk = {
			.netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum),
			.port = BPF_CORE_READ(sk, __sk_common.skc_num),
		};
		if (newstate == TCP_LISTEN) {
			struct owner o = {};
			current_owner(&o, ATTR_EXACT);
			bpf_map_update_elem(&listeners, &lk, &o, BPF_ANY);
		} else {
			bpf_map_delete_elem(&listeners, &lk);
		}
	}
	// A socket leaving CLOSE, or a child born in SYN_RECV, is new: a
	// snapshot taken of an earlier socket at this address is not its.
	if (oldstate == TCP_CLOSE || newstate == TCP_SYN_RECV) {
		__u64 key = (__u64)sk;
		bpf_map_delete_elem(&snapshot_owners, &key);
	}
	if (!want_states || !sock_netns_passes(sk))
		return 0;
	// tcp_done's move to CLOSE comes between a received RST and its
	// error report: the RST is written first, unpaired.
	if (merge_reports)
		release(bpf_get_socket_cookie(sk));
	start(&e, KIND_STATE);
	fill(&e, sk, 1);
	e.old_state = oldstate;
	e.state = newstate;
	emit(&e);
	return 0;
}

SEC("tp_btf/inet_sk_error_report")
int BPF_PROG(error_report, struct sock *sk)
{
	struct event e;
	int err;

	if (BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP || !sock_netns_passes(sk))
		return 0;
	err = BPF_CORE_READ(sk, sk_err);
	if (merge_reports) {
		__u64 cookie = bpf_get_socket_cookie(sk);
		struct event *p = bpf_map_lookup_elem(&pending, &cookie);
		if (p) {
			p->err = err;
			p->flags |= FLAG_REPORTED;
			emit(p);
			bpf_map_delete_elem(&pending, &cookie);
			return 0;
		}
		// No error: a wakeup, such as tcp_disconnect's after a connect
		// failed, which would cost a record per refused connect. Reports
		// keeps them, as tracefs shows them.
		if (!err)
			return 0;
	}
	start(&e, KIND_ERROR);
	fill(&e, sk, 1);
	e.err = err;
	emit(&e);
	return 0;
}

// destroy_sock moves a destroyed socket's owner from owners to
// closed_owners (see there).
SEC("tp_btf/tcp_destroy_sock")
int BPF_PROG(destroy_sock, struct sock *sk)
{
	__u64 cookie = bpf_get_socket_cookie(sk);
	struct owner *o = bpf_map_lookup_elem(&owners, &cookie);

	if (!o)
		return 0;
	bpf_map_update_elem(&closed_owners, &cookie, o, BPF_ANY);
	bpf_map_delete_elem(&owners, &cookie);
	return 0;
}

// Sends and receives run in the caller's context: its owner, exactly.
SEC("tp_btf/sock_send_length")
int BPF_PROG(send_length, struct sock *sk)
{
	if (BPF_CORE_READ(sk, sk_protocol) == IPPROTO_TCP)
		remember(bpf_get_socket_cookie(sk));
	return 0;
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(recv_length, struct sock *sk)
{
	if (BPF_CORE_READ(sk, sk_protocol) == IPPROTO_TCP)
		remember(bpf_get_socket_cookie(sk));
	return 0;
}

// retransmit shows a retransmission the retransmission timer made: the
// peer has not answered for an RTO (the socket is in CA_Loss). Fast
// retransmits, which the peer's duplicate ACKs asked for, are not shown,
// and a timeout is shown once: at most one event per RTO per socket, a
// bounded volume however lossy the network. retransmits counts the
// timeouts in a row (icsk_retransmits, which the timer has counted this
// one in); the kernel gives up after tcp_retries2 of them (ETIMEDOUT), or
// tcp_syn_retries for a SYN. A retransmission that could not be sent (no
// route, a link down) is shown too: the timeout happened all the same.
SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(retransmit, struct sock *sk)
{
	struct inet_connection_sock *icsk = (struct inet_connection_sock *)sk;
	struct event ev, *e = &ev;
	__u64 cookie;
	__u8 n, *last;

	if (!want_retransmits || !sock_netns_passes(sk))
		return 0;
	if (BPF_CORE_READ_BITFIELD_PROBED(icsk, icsk_ca_state) != TCP_CA_LOSS)
		return 0;
	n = BPF_CORE_READ(icsk, icsk_retransmits);
	if (!n)
		return 0;
	cookie = bpf_get_socket_cookie(sk);
	last = bpf_map_lookup_elem(&retransmitted, &cookie);
	if (last && *last == n)
		return 0;
	bpf_map_update_elem(&retransmitted, &cookie, &n, BPF_ANY);
	start(e, KIND_RETRANSMIT);
	fill(e, sk, 1);
	e->retransmits = n;
	emit(e);
	return 0;
}

// snapshot walks every task's open files once, at start, and records the
// holder of each TCP socket: sockets opened before the observer was. They
// are keyed by address, since such a socket may have no cookie yet; the
// entry is dropped when the address is reused by a new socket.
SEC("iter/task_file")
int snapshot(struct bpf_iter__task_file *ctx)
{
	struct file *f = ctx->file;
	struct task_struct *task = ctx->task;
	struct socket *sock;
	struct sock *sk;
	struct owner o = {};
	__u64 key;

	if (!f || !task)
		return 0;
	if ((BPF_CORE_READ(f, f_inode, i_mode) & S_IFMT) != S_IFSOCK)
		return 0;
	sock = bpf_sock_from_file(f);
	if (!sock)
		return 0;
	sk = BPF_CORE_READ(sock, sk);
	if (!sk || BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return 0;
	key = (__u64)sk;
	o.pid = task->tgid;
	o.tid = task->pid;
	o.cgroup = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id);
	BPF_CORE_READ_STR_INTO(&o.comm, task, comm);
	o.how = ATTR_SNAPSHOT;
	bpf_map_update_elem(&snapshot_owners, &key, &o, BPF_NOEXIST);
	if (BPF_CORE_READ(sk, __sk_common.skc_state) == TCP_LISTEN) {
		struct listen_key lk = {
			.netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum),
			.port = BPF_CORE_READ(sk, __sk_common.skc_num),
		};
		bpf_map_update_elem(&listeners, &lk, &o, BPF_NOEXIST);
	}
	return 0;
}

// A TCP packet the kernel dropped, with its skb_drop_reason. The
// connection is the packet's, seen from this host: a packet this host sent
// (its socket's port is the packet's source) has it as local.
SEC("tp_btf/kfree_skb")
int BPF_PROG(kfree_skb, struct sk_buff *skb, void *location, int reason)
{
	unsigned char *head;
	__u16 proto, nh;
	__u8 l4 = 0, v = 0;
	struct sock *sk;
	struct event ev, *e = &ev;

	if (!want_drops || (__u32)reason == skb_consumed || reason == 0)
		return 0;
	proto = bpf_ntohs(BPF_CORE_READ(skb, protocol));
	head = BPF_CORE_READ(skb, head);
	nh = BPF_CORE_READ(skb, network_header);
	bpf_probe_read_kernel(&v, 1, head + nh);
	if (proto == 0x0800 && (v >> 4) == 4) {
		bpf_probe_read_kernel(&l4, 1, head + nh + 9);
	} else if (proto == 0x86DD && (v >> 4) == 6) {
		bpf_probe_read_kernel(&l4, 1, head + nh + 6);
	}
	if (l4 != IPPROTO_TCP)
		return 0;
	start(e, KIND_DROP);
	from_skb(e, skb);
	e->reason = reason;
	e->flags |= FLAG_HAS_REASON;
	sk = BPF_CORE_READ(skb, sk);
	if (sk) {
		__u64 cookie = BPF_CORE_READ(sk, __sk_common.skc_cookie.counter);
		struct owner *o = cookie ? bpf_map_lookup_elem(&owners, &cookie) : 0;
		if (cookie && !o)
			o = bpf_map_lookup_elem(&closed_owners, &cookie);
		if (BPF_CORE_READ(sk, __sk_common.skc_num) == e->dport) {
			// Sent by this host: swap to the sender's view.
			__u8 a[16];
			__u16 p = e->sport;
			__builtin_memcpy(a, e->saddr, 16);
			__builtin_memcpy(e->saddr, e->daddr, 16);
			__builtin_memcpy(e->daddr, a, 16);
			e->sport = e->dport;
			e->dport = p;
		}
		e->cookie = cookie;
		e->state = BPF_CORE_READ(sk, __sk_common.skc_state);
		if (o)
			e->owner = *o;
	}
	emit(e);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";

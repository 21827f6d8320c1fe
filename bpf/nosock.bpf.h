/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nosock.bpf.h - RSTs this host sends for segments that have no full socket
 * (closed ports; before 6.10 also the ones tcp:tcp_send_reset does not
 * show).
 *
 * Part of the one BPF object: included by finrst.bpf.c only, in the order
 * it gives, after vmlinux.h and libbpf's headers.
 */
#ifndef FINRST_NOSOCK_BPF_H
#define FINRST_NOSOCK_BPF_H

/* Where a segment's headers are, and its IP version (4 or 6). */
struct fr_seg {
	unsigned char *head;
	__u16 nh, th;
	__u8 ver;
};

static __always_inline bool seg_parse(const struct sk_buff *skb,
				      struct fr_seg *g)
{
	g->head = BPF_CORE_READ(skb, head);
	g->nh = BPF_CORE_READ(skb, network_header);
	g->th = BPF_CORE_READ(skb, transport_header);
	if (bpf_probe_read_kernel(&g->ver, 1, g->head + g->nh))
		return false;
	g->ver >>= 4;
	return g->ver == 4 || g->ver == 6;
}

/* The payload of the segment being handled: TCP_SKB_CB(skb), which
 * tcp_v{4,6}_fill_cb() set before the socket lookup. */
static __always_inline __u32 seg_payload(const struct sk_buff *skb)
{
	struct tcp_skb_cb *cb = (void *)skb + bpf_core_field_offset(skb->cb);
	__u32 len = BPF_CORE_READ(cb, end_seq) - BPF_CORE_READ(cb, seq);
	__u8 fl = BPF_CORE_READ(cb, tcp_flags);

	len -= !!(fl & TCPHDR_FIN) + !!(fl & TCPHDR_SYN);
	return (int)len < 0 ? 0 : len;
}

/* A RST answering a segment that has no full socket: closed port,
 * timewait or request socket, or a listener. A TIME_WAIT socket's RST is
 * data_after_close, with the process that closed the connection if the
 * table of closes has it; the others are no_socket. */
/* The 4-tuple of the socket a segment is for (ours is its destination). */
static __always_inline void seg_tuple(const struct sock *sk,
				      const struct sk_buff *skb,
				      const struct fr_seg *g,
				      struct tcphdr *tcph, struct fr_tuple *k)
{
	__builtin_memset(k, 0, sizeof(*k));
	if (sk)
		k->netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	else
		k->netns = BPF_CORE_READ(skb, dev, nd_net.net, ns.inum);
	bpf_probe_read_kernel(tcph, sizeof(*tcph), g->head + g->th);
	k->lport = bpf_ntohs(tcph->dest);
	k->rport = bpf_ntohs(tcph->source);
	if (g->ver == 4) {
		struct iphdr ip;

		bpf_probe_read_kernel(&ip, sizeof(ip), g->head + g->nh);
		k->family = AF_INET;
		__builtin_memcpy(k->laddr, &ip.daddr, 4);
		__builtin_memcpy(k->raddr, &ip.saddr, 4);
	} else {
		struct ipv6hdr ip6;

		bpf_probe_read_kernel(&ip6, sizeof(ip6), g->head + g->nh);
		k->family = AF_INET6;
		__builtin_memcpy(k->laddr, &ip6.daddr, 16);
		__builtin_memcpy(k->raddr, &ip6.saddr, 16);
	}
}

static __always_inline void handle_nosock_rst(const struct sock *sk,
					      const struct sk_buff *skb,
					      const struct fr_seg *g,
					      __u32 reason, bool has_reason,
					      bool tw)
{
	struct fr_closer *closer = NULL;
	struct fr_record *r;
	struct tcphdr tcph;
	struct fr_tuple k;

	seg_tuple(sk, skb, g, &tcph, &k);
	if (filter_netns && k.netns != filter_netns)
		return;
	if (filter_family && !((g->ver == 4 && filter_family == AF_INET) ||
			       (g->ver == 6 && filter_family == AF_INET6)))
		return;
	/* The RST goes back to the sender: our side is the segment's
	 * destination. */
	if (!port_match(k.lport, k.rport))
		return;
	if (tw)
		closer = bpf_map_lookup_elem(&closed, &k);
	/* no task sends these; a TIME_WAIT one belongs to its closer */
	if (filter_pid && !(closer && closer->pid == filter_pid))
		return;
	if (metrics_on)
		count(tw ? FR_CNT_RST_AFTER_CLOSE : FR_CNT_RST_NOSOCK);
	if (!records_on)
		return;

	r = bpf_ringbuf_reserve(&records, sizeof(*r), 0);
	if (!r) {
		count(FR_CNT_LOST);
		return;
	}
	__builtin_memset(r, 0, sizeof(*r));
	r->type = FR_REC_RST;
	r->outcome = FR_OUT_RST_SENT;
	r->cause = tw ? FR_CAUSE_DATA_AFTER_CLOSE : FR_CAUSE_NO_SOCKET;
	r->end_ns = bpf_ktime_get_ns();
	r->netns = k.netns;
	r->family = k.family;
	r->sport = k.lport;
	r->dport = k.rport;
	__builtin_memcpy(r->saddr, k.laddr, sizeof(r->saddr));
	__builtin_memcpy(r->daddr, k.raddr, sizeof(r->daddr));
	if (tw) {
		r->state = FR_TCP_TIME_WAIT;
		r->late_bytes = seg_payload(skb);
	}
	if (has_reason) {
		r->flags |= FR_F_KREASON;
		r->kernel_reason = reason;
	}
	if (closer) {
		r->pid = closer->pid;
		__builtin_memcpy(r->comm, closer->comm, sizeof(r->comm));
		/* the RST kills the TIME_WAIT socket (inet_twsk_deschedule_put) */
		bpf_map_delete_elem(&closed, &k);
	}
	bpf_ringbuf_submit(r, BPF_RB_NO_WAKEUP);
	count(FR_CNT_EMITTED);
}

/*
 * Before 6.10 (19822a980e19, "trace: tcp: fully support
 * trace_tcp_send_reset") tcp_v4_send_reset() and tcp_v6_send_reset() fire
 * the tracepoint only for a full socket (sk && sk_fullsock(sk)): a RST to a
 * segment for a closed port, a TIME_WAIT or a request socket is untraced.
 * 6.10 also added the reason argument, so the loader enables these
 * programs exactly when the tracepoint lacks it.
 */

/* Would tcp_v{4,6}_send_reset(sk, skb) send a RST for this segment? */
static __always_inline bool reply_rst_sent(const struct sock *sk,
					   const struct sk_buff *skb,
					   const struct fr_seg *g)
{
	unsigned long dst;
	__u8 l4, flags;

	if (g->ver == 4) {
		struct iphdr ip;

		if (bpf_probe_read_kernel(&ip, sizeof(ip), g->head + g->nh))
			return false;
		l4 = ip.protocol;
	} else {
		struct ipv6hdr ip6;

		if (bpf_probe_read_kernel(&ip6, sizeof(ip6), g->head + g->nh))
			return false;
		l4 = ip6.nexthdr;
	}
	if (l4 != IPPROTO_TCP ||
	    bpf_probe_read_kernel(&flags, 1, g->head + g->th + 13))
		return false;
	/* "Never send a reset in response to a reset." */
	if (flags & TCP_RST_BIT)
		return false;
	if (sk)
		return true;
	/* No socket: tcp_v4_send_reset wants a local route (rt_type
	 * RTN_LOCAL), tcp_v6_send_reset ipv6_unicast_destination(). */
	dst = BPF_CORE_READ(skb, _skb_refdst) & ~SKB_DST_NOREF;
	if (!dst)
		return false;
	if (g->ver == 4)
		return BPF_CORE_READ((struct rtable *)dst, rt_type) ==
		       RTN_LOCAL;
	return BPF_CORE_READ((struct rt6_info *)dst, rt6i_flags) & RTF_LOCAL;
}

/* fentry/kprobe on tcp_v{4,6}_send_reset, < 6.10 */
static __always_inline void reply_rst_untraced(const struct sock *sk,
					       const struct sk_buff *skb)
{
	struct fr_seg g;

	int state = sk ? BPF_CORE_READ(sk, __sk_common.skc_state) : 0;

	/* sk_fullsock(): the tracepoint reports these itself */
	if (sk && state != FR_TCP_TIME_WAIT && state != FR_TCP_NEW_SYN_RECV)
		return;
	if (seg_parse(skb, &g) && reply_rst_sent(sk, skb, &g))
		handle_nosock_rst(sk, skb, &g, 0, false,
				  state == FR_TCP_TIME_WAIT);
}

/*
 * The tracepoint backend before 6.10: a segment for a timewait socket
 * ends in tcp_v{4,6}_rcv()'s kfree_skb_reason() with NOT_SPECIFIED,
 * whatever tcp_timewait_state_process() decided (RST, ACK, nothing), and
 * no tracepoint shows the RST. The closes that made a timewait socket are
 * in `closed` with its tw_rcv_nxt, window and substate: this repeats the
 * decision. Only the FIN_WAIT2 substate (no FIN from the peer yet)
 * answers with RST: new data, or a SYN at or past rcv_nxt (a segment
 * with RST kills it); the peer's FIN moves it to TIME_WAIT, which ACKs.
 * PAWS is not repeated: a segment it would reject is taken as in window.
 * The loader sets the addresses of tcp_v4_rcv and tcp_v6_rcv, where the
 * kfree_skb_reason() of such a segment is called, and those of the freeing
 * functions themselves, from /proc/kallsyms.
 */
const volatile __u64 tcp_rcv_ip[4]; /* [start, end) of each */
/* kfree_skb, kfree_skb.part.0, kfree_skb_reason: [start, end) of each */
const volatile __u64 kfree_ip[6];

static __always_inline bool in_tcp_rcv(__u64 ip)
{
	return (ip >= tcp_rcv_ip[0] && ip < tcp_rcv_ip[1]) ||
	       (ip >= tcp_rcv_ip[2] && ip < tcp_rcv_ip[3]);
}

static __always_inline bool in_kfree(__u64 ip)
{
	return (ip >= kfree_ip[0] && ip < kfree_ip[1]) ||
	       (ip >= kfree_ip[2] && ip < kfree_ip[3]) ||
	       (ip >= kfree_ip[4] && ip < kfree_ip[5]);
}

/* before()/after() of include/net/tcp.h */
#define SEQ_BEFORE(a, b) ((__s32)((a) - (b)) < 0)

/*
 * Was the segment freed by tcp_v{4,6}_rcv()?  kfree_skb's location says
 * so, except where it does not name the caller but the freeing function
 * itself: Debian 11's arm64 5.10 (5.10.223) has kfree_skb split into
 * kfree_skb.part.0, which fires the tracepoint, so every event carried the
 * same location, kfree_skb+0x2c. The kernel stack then tells (tcp_v4_rcv
 * was its 7th frame there); it is taken only for a segment of a known
 * timewait socket. A location anywhere else rules the segment out before
 * anything is read (this runs for every NOT_SPECIFIED drop).
 */
#define FR_CALLER_FRAMES 12

static __always_inline bool freed_in_tcp_rcv(void *ctx, __u64 location)
{
	__u64 ips[FR_CALLER_FRAMES];
	long n;
	__u32 nr;

	if (in_tcp_rcv(location))
		return true;
	if (!in_kfree(location))
		return false;
	n = bpf_get_stack(ctx, ips, sizeof(ips), 0);
	nr = n > 0 ? (__u64)n / 8 : 0;
	for (int i = 0; i < FR_CALLER_FRAMES; i++)
		if (i < nr && in_tcp_rcv(ips[i]))
			return true;
	return false;
}

static __always_inline void tw_segment(void *ctx, const struct sk_buff *skb,
				       __u64 location)
{
	struct tcp_skb_cb *cb = (void *)skb + bpf_core_field_offset(skb->cb);
	struct fr_closer *c;
	__u32 seq, end, nxt;
	struct tcphdr tcph;
	struct fr_tuple k;
	struct fr_seg g;
	__u8 fl;

	/* the cheap test first: most drops are elsewhere */
	if (!in_tcp_rcv(location) && !in_kfree(location))
		return;
	if (!seg_parse(skb, &g))
		return;
	seg_tuple(NULL, skb, &g, &tcph, &k);
	c = bpf_map_lookup_elem(&closed, &k);
	if (!c || !c->fin_wait2 || !freed_in_tcp_rcv(ctx, location))
		return;
	seq = BPF_CORE_READ(cb, seq);
	end = BPF_CORE_READ(cb, end_seq);
	fl = BPF_CORE_READ(cb, tcp_flags);
	nxt = c->rcv_nxt;
	/* tcp_in_window(): else the timewait socket ACKs */
	if (!(seq == nxt ||
	      (SEQ_BEFORE(nxt, end) && SEQ_BEFORE(seq, nxt + c->rcv_wnd)) ||
	      (seq == nxt + c->rcv_wnd && seq == end)))
		return;
	if (fl & TCPHDR_RST) {
		bpf_map_delete_elem(&closed, &k); /* it dies */
		return;
	}
	if (!(fl & TCPHDR_SYN && !SEQ_BEFORE(seq, nxt))) {
		/* a duplicate or a bare ACK: nothing sent */
		if (!(fl & TCPHDR_ACK) || !SEQ_BEFORE(nxt, end) || end == seq)
			return;
		/* the peer's FIN, and nothing new: now TIME_WAIT */
		if (fl & TCPHDR_FIN && end == nxt + 1) {
			c->fin_wait2 = 0;
			return;
		}
	}
	if (reply_rst_sent(NULL, skb, &g))
		handle_nosock_rst(NULL, skb, &g, 0, false, true);
}

#endif

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

/* A RST answering a segment that has no full socket: closed port,
 * timewait or request socket, or a listener. */
static __always_inline void handle_nosock_rst(const struct sock *sk,
					      const struct sk_buff *skb,
					      const struct fr_seg *g,
					      __u32 reason, bool has_reason)
{
	unsigned char *head = g->head;
	__u16 nh = g->nh, th = g->th;
	__u8 ver = g->ver;
	struct fr_record *r;
	__u32 netns;

	if (sk)
		netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	else
		netns = BPF_CORE_READ(skb, dev, nd_net.net, ns.inum);
	if (filter_netns && netns != filter_netns)
		return;
	if (filter_family && !((ver == 4 && filter_family == AF_INET) ||
			       (ver == 6 && filter_family == AF_INET6)))
		return;
	if (filter_pid)
		return; /* no task sends these */

	struct tcphdr tcph;

	bpf_probe_read_kernel(&tcph, sizeof(tcph), head + th);
	/* The RST goes back to the sender: our side is the segment's
	 * destination. */
	if (!port_match(bpf_ntohs(tcph.dest), bpf_ntohs(tcph.source)))
		return;
	if (metrics_on)
		count(FR_CNT_RST_NOSOCK);
	if (!records_on)
		return;

	r = bpf_ringbuf_reserve(&records, sizeof(*r), 0);
	if (!r) {
		count(FR_CNT_LOST);
		return;
	}
	__builtin_memset(r, 0, sizeof(*r));
	r->type = FR_REC_RST;
	r->end_ns = bpf_ktime_get_ns();
	r->netns = netns;
	r->sport = bpf_ntohs(tcph.dest);
	r->dport = bpf_ntohs(tcph.source);
	if (has_reason) {
		r->flags |= FR_F_KREASON;
		r->kernel_reason = reason;
	}
	if (ver == 4) {
		struct iphdr ip;

		bpf_probe_read_kernel(&ip, sizeof(ip), head + nh);
		r->family = AF_INET;
		__builtin_memcpy(r->saddr, &ip.daddr, 4);
		__builtin_memcpy(r->daddr, &ip.saddr, 4);
	} else {
		struct ipv6hdr ip6;

		bpf_probe_read_kernel(&ip6, sizeof(ip6), head + nh);
		r->family = AF_INET6;
		__builtin_memcpy(r->saddr, &ip6.daddr, 16);
		__builtin_memcpy(r->daddr, &ip6.saddr, 16);
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

	if (sk) {
		int state = BPF_CORE_READ(sk, __sk_common.skc_state);

		/* sk_fullsock(): the tracepoint reports these itself */
		if (state != FR_TCP_TIME_WAIT && state != FR_TCP_NEW_SYN_RECV)
			return;
	}
	if (seg_parse(skb, &g) && reply_rst_sent(sk, skb, &g))
		handle_nosock_rst(sk, skb, &g, 0, false);
}

#endif

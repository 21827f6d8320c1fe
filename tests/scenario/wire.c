// SPDX-License-Identifier: GPL-2.0
/*
 * The loopback wire of the run's namespace, as a witness independent of
 * finrst: a packet socket on lo keeps every TCP segment with RST or FIN set
 * that this namespace sends. run.c reads it only to explain a TcpOutRsts
 * surplus (a retransmission that met a closed end).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "scenario.h"

#define ETH_HLEN_LO 14 /* lo frames carry an all-zero Ethernet header */

/*
 * Keep what this host sends (PACKET_OUTGOING: lo shows each frame twice,
 * once sent and once received) when it is TCP with RST or FIN set; IPv6
 * without extension headers, as every segment of these tests is.
 */
static struct sock_filter rst_filter[] = {
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_PKTTYPE),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PACKET_OUTGOING, 0, 13),
	BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IP, 0, 5),
	BPF_STMT(BPF_LD | BPF_B | BPF_ABS, ETH_HLEN_LO + 9),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_TCP, 0, 9),
	BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, ETH_HLEN_LO),
	BPF_STMT(BPF_LD | BPF_B | BPF_IND, ETH_HLEN_LO + 13),
	BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, TH_RST | TH_FIN, 5, 6),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ETH_P_IPV6, 0, 5),
	BPF_STMT(BPF_LD | BPF_B | BPF_ABS, ETH_HLEN_LO + 6),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_TCP, 0, 3),
	BPF_STMT(BPF_LD | BPF_B | BPF_ABS, ETH_HLEN_LO + 40 + 13),
	BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, TH_RST | TH_FIN, 0, 1),
	BPF_STMT(BPF_RET | BPF_K, 0xffff),
	BPF_STMT(BPF_RET | BPF_K, 0),
};

int wire_open(void)
{
	struct sock_fprog prog = {
		.len = sizeof(rst_filter) / sizeof(rst_filter[0]),
		.filter = rst_filter,
	};
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_ALL),
	};
	int buf = 16 << 20;
	int fd;

	/* protocol 0: nothing is queued before the filter and the bind */
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	sll.sll_ifindex = (int)if_nametoindex("lo");
	if (!sll.sll_ifindex ||
	    setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)) ||
	    bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		close(fd);
		return -1;
	}
	return fd;
}

static bool parse(const unsigned char *p, size_t len, struct wire_seg *w)
{
	unsigned int ethertype, ihl, iplen, doff;
	const unsigned char *th;

	if (len < ETH_HLEN_LO + 20)
		return false;
	ethertype = (unsigned int)p[12] << 8 | p[13];
	p += ETH_HLEN_LO;
	len -= ETH_HLEN_LO;
	if (ethertype == ETH_P_IP) {
		ihl = (p[0] & 0xfu) * 4;
		if (ihl < 20 || len < ihl + 20)
			return false;
		w->family = AF_INET;
		inet_ntop(AF_INET, p + 12, w->laddr, sizeof(w->laddr));
		inet_ntop(AF_INET, p + 16, w->raddr, sizeof(w->raddr));
		iplen = ((unsigned int)p[2] << 8 | p[3]) - ihl;
		th = p + ihl;
	} else if (ethertype == ETH_P_IPV6) {
		if (len < 40 + 20)
			return false;
		w->family = AF_INET6;
		inet_ntop(AF_INET6, p + 8, w->laddr, sizeof(w->laddr));
		inet_ntop(AF_INET6, p + 24, w->raddr, sizeof(w->raddr));
		iplen = (unsigned int)p[4] << 8 | p[5];
		th = p + 40;
	} else {
		return false;
	}
	w->lport = th[0] << 8 | th[1];
	w->rport = th[2] << 8 | th[3];
	w->seq = (uint32_t)th[4] << 24 | (uint32_t)th[5] << 16 |
		 (uint32_t)th[6] << 8 | th[7];
	doff = (th[12] >> 4) * 4u;
	w->flags = th[13];
	if (iplen < doff)
		return false;
	/* a FIN takes a sequence number after the payload */
	w->end_seq = w->seq + (iplen - doff) + !!(w->flags & TH_FIN);
	return true;
}

int wire_drain(int fd, struct wire_seg **v, size_t *n, size_t *cap)
{
	unsigned char frame[256];
	struct tpacket_stats st;
	socklen_t sl = sizeof(st);

	for (;;) {
		struct sockaddr_ll from;
		socklen_t fl = sizeof(from);
		ssize_t got = recvfrom(fd, frame, sizeof(frame), MSG_TRUNC,
				       (struct sockaddr *)&from, &fl);
		struct wire_seg w;

		if (got < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return -1;
		}
		if (from.sll_pkttype != PACKET_OUTGOING ||
		    !parse(frame,
			   (size_t)got < sizeof(frame) ? (size_t)got :
							 sizeof(frame),
			   &w))
			continue;
		*v = grow(*v, cap, *n + 1, sizeof(**v));
		(*v)[(*n)++] = w;
	}
	/* reading the statistics resets them: a drop is reported once */
	if (getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &sl) ||
	    st.tp_drops)
		return -1;
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * uring.c - one io_uring per worker process, one request at a time, through
 * the raw system calls (no liburing): enough to close, shut down and accept
 * the way an io_uring server does (SPEC §1: io_uring counts as its
 * syscalls).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/io_uring.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "scenario.h"

static struct {
	int fd;
	unsigned int *sq_tail, *sq_mask, *sq_array;
	unsigned int *cq_head, *cq_tail, *cq_mask;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
} ring = { .fd = -1 };

static void *ring_map(size_t len, off_t what)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_POPULATE, ring.fd, what);

	return p == MAP_FAILED ? NULL : p;
}

static int ring_setup(void)
{
	struct io_uring_params p;
	size_t sq_len, cq_len;
	char *sq, *cq;

	if (ring.fd >= 0)
		return 0;
	memset(&p, 0, sizeof(p));
	ring.fd = (int)syscall(__NR_io_uring_setup, 4, &p);
	if (ring.fd < 0)
		return -1;
	sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned int);
	cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	if (p.features & IORING_FEAT_SINGLE_MMAP) {
		sq = ring_map(sq_len > cq_len ? sq_len : cq_len,
			      IORING_OFF_SQ_RING);
		cq = sq;
	} else {
		sq = ring_map(sq_len, IORING_OFF_SQ_RING);
		cq = ring_map(cq_len, IORING_OFF_CQ_RING);
	}
	ring.sqes = ring_map(p.sq_entries * sizeof(struct io_uring_sqe),
			     IORING_OFF_SQES);
	if (!sq || !cq || !ring.sqes) {
		close(ring.fd);
		ring.fd = -1;
		errno = ENOMEM;
		return -1;
	}
	ring.sq_tail = (unsigned int *)(sq + p.sq_off.tail);
	ring.sq_mask = (unsigned int *)(sq + p.sq_off.ring_mask);
	ring.sq_array = (unsigned int *)(sq + p.sq_off.array);
	ring.cq_head = (unsigned int *)(cq + p.cq_off.head);
	ring.cq_tail = (unsigned int *)(cq + p.cq_off.tail);
	ring.cq_mask = (unsigned int *)(cq + p.cq_off.ring_mask);
	ring.cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
	return 0;
}

/* Submit one request and wait for its completion; its res, or -1. */
static int ring_call(const struct io_uring_sqe *sqe, int *res)
{
	unsigned int tail, head, i;

	if (ring_setup())
		return -1;
	tail = *ring.sq_tail;
	i = tail & *ring.sq_mask;
	ring.sqes[i] = *sqe;
	ring.sq_array[i] = i;
	__atomic_store_n(ring.sq_tail, tail + 1, __ATOMIC_RELEASE);
	for (;;) {
		long n = syscall(__NR_io_uring_enter, ring.fd, 1, 1,
				 IORING_ENTER_GETEVENTS, NULL, 0);

		if (n < 0 && errno != EINTR)
			return -1;
		head = *ring.cq_head;
		if (head != __atomic_load_n(ring.cq_tail, __ATOMIC_ACQUIRE))
			break;
	}
	*res = ring.cqes[head & *ring.cq_mask].res;
	__atomic_store_n(ring.cq_head, head + 1, __ATOMIC_RELEASE);
	return 0;
}

/* One request on fd: its res (>= 0), or -1 with errno. */
static int ring_op(__u8 opcode, int fd, __u32 len, __u8 flags)
{
	struct io_uring_sqe sqe;
	int res;

	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = opcode;
	sqe.fd = fd;
	sqe.len = len;
	sqe.flags = flags;
	if (ring_call(&sqe, &res))
		return -1;
	if (res < 0) {
		errno = -res;
		return -1;
	}
	return res;
}

/* IORING_OP_CLOSE; async: IOSQE_ASYNC, run by an io-wq worker thread. */
int uring_close(int fd, bool async)
{
	return ring_op(IORING_OP_CLOSE, fd, 0, async ? IOSQE_ASYNC : 0) < 0 ?
		       -1 :
		       0;
}

/* IORING_OP_SHUTDOWN (5.11) */
int uring_shutdown(int fd, int how)
{
	return ring_op(IORING_OP_SHUTDOWN, fd, (__u32)how, 0) < 0 ? -1 : 0;
}

/* IORING_OP_ACCEPT: the new descriptor, or -1 */
int uring_accept(int fd)
{
	return ring_op(IORING_OP_ACCEPT, fd, 0, 0);
}

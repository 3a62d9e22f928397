/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * bqueue.h - a queue from one producer to one consumer thread, bounded by
 * the bytes its items hold (not their number: a burst of small records
 * fits, a flood of large ones cannot eat the host's memory). The ring of
 * items starts small and doubles as a burst fills it. hr_bq_push() never
 * waits for more than a mutex hand-over: an item over the bound is refused;
 * hr_bq_push_wait() waits a while for the consumer to make room, so that a
 * producer with a buffer of its own behind it (the kernel's ring buffer)
 * can slow down instead of losing records.
 *
 * The consumer takes a batch, works on it outside the lock and says when
 * it is done, so that hr_bq_drain() can wait until everything pushed so
 * far was worked on.
 */
#ifndef HOSTRAIL_COMMON_BQUEUE_H
#define HOSTRAIL_COMMON_BQUEUE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct hr_bq_item {
	void *target; /* whatever the consumer wants beside the object */
	void *obj;
	size_t bytes; /* what obj holds in memory, against the bound */
};

struct hr_bqueue {
	pthread_mutex_t lock;
	pthread_cond_t wake; /* the consumer: items, or stop */
	pthread_cond_t done; /* hr_bq_drain(): empty and not busy */
	pthread_cond_t room; /* hr_bq_push_wait(): the consumer took items */
	struct hr_bq_item *ring;
	size_t cap, head, count;
	size_t bytes, max_bytes;
	size_t wake_at; /* the consumer is woken when this many wait */
	bool busy;	/* the consumer holds a batch */
	bool stopping;
	bool waiting; /* a producer waits on room */
};

/* wake_at 1: wake the consumer for every first item; more: let small
 * batches wait for the consumer's own deadline. 0 or -ENOMEM. */
int hr_bq_init(struct hr_bqueue *q, size_t max_bytes, size_t wake_at);
/* 0, or -ENOBUFS: over the bound, out of memory, or stopping. */
int hr_bq_push(struct hr_bqueue *q, void *target, void *obj, size_t bytes);
/* The same, waiting until `until` (CLOCK_REALTIME) while the queue is too
 * full for the item; -ENOBUFS when it still is then (or stopping). */
int hr_bq_push_wait(struct hr_bqueue *q, void *target, void *obj, size_t bytes,
		    const struct timespec *until);
/*
 * The consumer: wait while the queue is empty, until `until` (CLOCK_REALTIME,
 * NULL: no deadline) or a stop; then take up to max items. Returns how many
 * (0: the deadline passed) and the consumer is busy until hr_bq_done(), or
 * -1 when stopping and empty.
 */
long hr_bq_take(struct hr_bqueue *q, struct hr_bq_item *got, size_t max,
		const struct timespec *until);
void hr_bq_done(struct hr_bqueue *q);
/* Wake the consumer and wait until nothing is queued or busy. */
void hr_bq_drain(struct hr_bqueue *q);
/* No push from now on; the consumer's take returns -1 once empty. */
void hr_bq_stop(struct hr_bqueue *q);
/* After the consumer ended: what it left, one at a time. */
bool hr_bq_pop(struct hr_bqueue *q, struct hr_bq_item *it);
void hr_bq_fini(struct hr_bqueue *q);

#endif

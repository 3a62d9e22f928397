/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * delivery.h - the delivery thread: the trails' spools, log files and
 * digests, off the loop that reads the ring buffer.
 *
 * Spooling a record, gzip, hashing, fsync and rename all wait on the disk;
 * the capture loop must not (~0.2 s per 100,000 records would otherwise
 * be ring buffer it does not read). The loop hands each record over
 * through a bounded queue (bytes, like the sinks' queues); the thread
 * adds it to its target (a batcher), and ticks about every 100 ms. The
 * queue is small: when it is full the loop waits for room, so a burst
 * waits in the kernel's ring buffer (whose overflow the programs count)
 * rather than in the agent's memory. A record still without room after
 * the wait is refused (-ENOBUFS): the caller counts it, and it becomes
 * LostEvents.
 *
 * Everything the thread touches (the targets, and whatever tick reaches)
 * is guarded by one lock: the loop takes it with hr_delivery_lock(), which
 * first waits until every record handed over is added, so that a trail
 * can be stopped, changed or read whole.
 *
 * Crash safety: a record is in the spool once the thread added it (as
 * before, within one tick); what waits in the queue is lost to a SIGKILL
 * like what waits in the ring buffer.
 */
#ifndef HOSTRAIL_DELIVERY_H
#define HOSTRAIL_DELIVERY_H

#include <stddef.h>
#include <stdint.h>
#include "record/record.h"
#include "sink/worker.h"

struct hr_delivery;

/* The hand-off queue's default bound ("queueMiB": {"bucket": N}). */
#define HR_DELIVERY_QUEUE_BYTES (4u << 20)

/* Runs on the thread, with the lock held. */
typedef void (*hr_delivery_add_fn)(void *target, const struct hr_record *rec);
typedef void (*hr_delivery_tick_fn)(void *ctx, int64_t now_ns);

int hr_delivery_start(size_t max_bytes, hr_delivery_add_fn add, hr_delivery_tick_fn tick, void *ctx,
		      struct hr_delivery **out);
/* Queue rec (a reference is taken) for target. 0 or -ENOBUFS (still full
 * after PUSH_WAIT_S, or d NULL: stopped). A full queue makes the caller
 * wait for room: the loop slows and the ring buffer takes the burst. */
int hr_delivery_push(struct hr_delivery *d, void *target, struct hr_shared_record *rec);
/* Wait until everything pushed is added, then hold the lock. NULL-safe. */
void hr_delivery_lock(struct hr_delivery *d);
void hr_delivery_unlock(struct hr_delivery *d);
/* Add what is queued, stop the thread, free. NULL-safe. */
void hr_delivery_stop(struct hr_delivery *d);

#endif

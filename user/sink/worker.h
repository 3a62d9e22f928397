/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * worker.h - run a slow sink (journald, the history) off the capture loop.
 *
 * The agent is single-threaded and must never wait on a sink: sd_journal_
 * sendv blocks while journald is busy, and SQLite inserts cost micro-
 * seconds each. A sink worker is one thread and a bounded queue. The
 * agent pushes finished records (shared, reference-counted, never copied);
 * the queue is bounded by the BYTES its records hold, not by their number,
 * so that a burst of small records (an attack is a burst) fits while a
 * flood of large ones cannot eat the host's memory. A record that would
 * pass the bound is dropped for that sink only and counted, and the agent
 * reports the count as LostEvents.
 */
#ifndef HOSTRAIL_SINK_WORKER_H
#define HOSTRAIL_SINK_WORKER_H

#include <stddef.h>
#include <stdint.h>
#include "record/record.h"

/* A finished record, read-only from here on, shared by every sink. */
struct hr_shared_record {
	struct hr_record rec;
	size_t bytes; /* what it holds in memory, for the queues' bound */
	int refs;     /* atomic */
};

/* Take over rec's contents (rec is left zeroed). NULL on ENOMEM, and
 * then rec is untouched. One reference for the caller. */
struct hr_shared_record *hr_shared_record_new(struct hr_record *rec);
void hr_shared_record_get(struct hr_shared_record *s);
void hr_shared_record_put(struct hr_shared_record *s); /* NULL-safe */

/*
 * Write n records (n >= 1, in arrival order) to the sink; runs on the
 * worker thread. Returns how many of them the sink did not take.
 */
typedef size_t (*hr_sink_write_fn)(void *ctx, const struct hr_record *const *recs, size_t n);
/* Called on the worker thread about once a second, e.g. to prune. */
typedef void (*hr_sink_idle_fn)(void *ctx);

struct hr_sink_stats {
	uint64_t accepted;   /* queued */
	uint64_t written;    /* the sink took them */
	uint64_t queue_full; /* dropped: the queue was full */
	uint64_t refused;    /* the sink did not take them */
};

struct hr_sink_worker;

/* Queued records hold max_bytes at most (hr_shared_record.bytes, counted
 * once per sink); batch records at most per write call. */
int hr_sink_worker_start(const char *name, size_t max_bytes, size_t batch, hr_sink_write_fn write,
			 hr_sink_idle_fn idle, void *ctx, struct hr_sink_worker **out);
/* Queue one record (takes a reference), or count it as dropped. Never blocks
 * for longer than a mutex hand-over. Returns 0 or -ENOBUFS. */
int hr_sink_worker_push(struct hr_sink_worker *w, struct hr_shared_record *s);
/* Wait until everything queued so far was written (or refused). */
void hr_sink_worker_drain(struct hr_sink_worker *w);
void hr_sink_worker_stats(struct hr_sink_worker *w, struct hr_sink_stats *st);
const char *hr_sink_worker_name(const struct hr_sink_worker *w);
/* Write what is queued, stop the thread, free. NULL-safe. */
void hr_sink_worker_stop(struct hr_sink_worker *w);

#endif

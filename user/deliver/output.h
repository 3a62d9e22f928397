/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * output.h - where finished records go, behind one interface.
 *
 * An output takes the records some trail kept and hears about every log
 * file a trail publishes. journald and the event history are outputs
 * (output.c lists them); so is each trail's bucket (its batcher, trails.c),
 * whose "published" events go to the trail's listeners: the digest signer
 * first, then every output of the list. Adding an output is one file with
 * a struct hr_output_ops and one line in output.c's list.
 *
 * What an output cannot take it counts, by reason, in its counters; the
 * agent turns every counter that moved into a LostEvents record naming the
 * output, and never sends an output's own losses to it.
 */
#ifndef HOSTRAIL_OUTPUT_H
#define HOSTRAIL_OUTPUT_H

#include <stddef.h>
#include <stdint.h>
#include "deliver/logfile.h"
#include "record/record.h"
#include "sink/worker.h"

#define HR_OUTPUT_JOURNALD "journald"
#define HR_OUTPUT_HISTORY  "history"
#define HR_OUTPUT_BUCKET   "bucket"

/* Why records were lost; the names are LostEvents' reasons. */
enum hr_output_loss {
	HR_LOSS_QUEUE_FULL,   /* "sinkQueueFull": the output's queue was full */
	HR_LOSS_REFUSED,      /* "sinkRefused": it refused them, or could not open */
	HR_LOSS_SPOOL_WRITE,  /* "spoolWriteFailed": the bucket's spool */
	HR_LOSS_HANDOFF_FULL, /* "deliveryQueueFull": the bucket's delivery hand-off */
	HR_LOSS_NR,
};

struct hr_output_counters {
	uint64_t taken;		   /* records handed to it */
	uint64_t lost[HR_LOSS_NR]; /* totals since start, by reason */
	/* an output that catches up from the bucket (the history) */
	uint64_t behind;    /* deferred, not caught up yet */
	uint64_t deferred;  /* total deferred: its queue was full */
	uint64_t caught_up; /* total stored from delivered log files */
};

/* What an output may need at open. */
struct hr_output_env {
	const char *state_dir;
	unsigned retention_days; /* historyRetentionDays */
	size_t queue_bytes;	 /* bound of a queue; 0: the output's default */
	/* hr_outputs_open(): each output's queue_bytes, by its bit */
	const size_t *queue_bytes_of;
};

struct hr_output_ops {
	const char *name; /* in the configuration's "outputs" and in LostEvents */
	/* Never fails for an output that cannot work (its records are then
	 * counted as refused): -ENOMEM only. */
	int (*open)(const struct hr_output_env *env, void **ctx);
	/* Take one record (a reference if it keeps it); never blocks on I/O. */
	void (*take)(void *ctx, struct hr_shared_record *rec);
	/* A trail's log file is durable and about to appear under log->key
	 * (treat it as pending until it exists). Optional; any thread. */
	void (*published)(void *ctx, const struct hr_delivered_log *log);
	/* Wait until everything taken so far is written or counted. */
	void (*flush)(void *ctx);
	/* Flush, stop and free. */
	void (*stop)(void *ctx);
	void (*counters)(void *ctx, struct hr_output_counters *c);
};

/* The agent's outputs besides the trails' buckets, in output.c's order. */
#define HR_OUTPUTS_MAX 8
#define HR_OUTPUTS_ALL ((1u << HR_OUTPUTS_MAX) - 1)

/* The bit of an output in a trail's mask, -ENOENT for an unknown name. */
int hr_output_bit(const char *name);

struct hr_output {
	const struct hr_output_ops *ops;
	void *ctx;
	uint64_t reported[HR_LOSS_NR]; /* losses already returned by losses() */
};

struct hr_outputs {
	int n;
	struct hr_output o[HR_OUTPUTS_MAX];
};

int hr_outputs_open(struct hr_outputs *s, const struct hr_output_env *env);
/* Give sr (a reference each) to every output whose bit is in mask, except
 * the one named not_to (NULL: none). sr NULL (no memory) is counted. */
void hr_outputs_take(struct hr_outputs *s, struct hr_shared_record *sr, unsigned mask,
		     const char *not_to);
/* A trail published log: tell the outputs whose bit is in the trail's mask. */
void hr_outputs_published(struct hr_outputs *s, const struct hr_delivered_log *log, unsigned mask);
/* Totals of one output; -ENOENT if there is none by that name. */
int hr_outputs_counters(struct hr_outputs *s, const char *name, struct hr_output_counters *c);
void hr_outputs_flush(struct hr_outputs *s);
void hr_outputs_stop(struct hr_outputs *s);

/* A loss not reported yet. */
struct hr_loss {
	const char *output;
	const char *reason;
	uint64_t count;
};
#define HR_LOSSES_MAX (HR_OUTPUTS_MAX * HR_LOSS_NR)
/* The counters of c that moved since reported (which then follows them),
 * as losses of output; the number filled (at most HR_LOSS_NR). */
int hr_output_new_losses(const char *output, const struct hr_output_counters *c,
			 uint64_t reported[HR_LOSS_NR], struct hr_loss *out);
/* Every output's losses not yet returned; the number filled. */
int hr_outputs_losses(struct hr_outputs *s, struct hr_loss out[HR_LOSSES_MAX]);

/* Who hears that a trail published a log file, in order. */
typedef void (*hr_published_fn)(void *ctx, const struct hr_delivered_log *log);
#define HR_LISTENERS_MAX 4
struct hr_listeners {
	int n;
	struct {
		hr_published_fn fn;
		void *ctx;
	} l[HR_LISTENERS_MAX];
};
int hr_listeners_add(struct hr_listeners *ls, hr_published_fn fn, void *ctx);
/* The batcher's on_delivered (arg = the listeners). */
void hr_listeners_published(void *listeners, const struct hr_delivered_log *log);

/*
 * Most outputs are a slow sink on a worker thread (sink/worker.h). These
 * are their ops' take/flush/stop/counters; open builds the context with
 * hr_queued_output_open (write NULL: the sink could not open, every record
 * is counted as refused; close frees sink at stop).
 */
int hr_queued_output_open(const char *name, size_t max_bytes, size_t batch, hr_sink_write_fn write,
			  hr_sink_idle_fn idle, void *sink, void (*close)(void *sink), void **ctx);
void hr_queued_output_take(void *ctx, struct hr_shared_record *rec);
void hr_queued_output_flush(void *ctx);
void hr_queued_output_stop(void *ctx);
void hr_queued_output_counters(void *ctx, struct hr_output_counters *c);

#endif

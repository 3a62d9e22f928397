/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * trails.h - the running trails: each with its own selectors, spool,
 * batcher, signer (digest chain) and logging state.
 *
 * Every record reaches hr_trails_deliver() once (from agent.c's emit());
 * each logging trail whose selectors keep it spools it. A stopped trail
 * keeps its batcher and signer running, so its digest chain goes on
 * (digests listing no files) and validates across the pause.
 */
#ifndef HOSTRAIL_TRAILS_H
#define HOSTRAIL_TRAILS_H

#include <stdbool.h>
#include <stdint.h>
#include "batch/batch.h"
#include "config/config.h"
#include "deliver/delivery.h"
#include "deliver/output.h"
#include "deliver/s3_upload.h"
#include "record/record.h"
#include "sign/signer.h"

/* A trail's bucket as the delivery thread sees it. Allocated: the trails
 * move in their array, the thread's queue and the batcher keep pointers. */
struct hr_trail_bucket {
	struct hr_batcher *batch;
	/* who hears of its log files: the signer, then the outputs */
	struct hr_listeners published;
	/* the batcher's lost, as of the thread's last look (atomic: read by
	 * the loop) */
	uint64_t spool_lost;
	/* the agent's outputs, and which of them the trail feeds */
	struct hr_outputs *outputs;
	unsigned outputs_mask;
};

struct hr_trail {
	struct hr_trail_config cfg; /* scalars only: selector fields are not owned */
	struct hr_selectors sel;    /* the running selectors, owned */
	struct hr_batcher *batch;
	struct hr_signer *signer;
	struct hr_trail_bucket *bucket;
	struct hr_s3_uploader *s3; /* NULL: no S3 delivery */
	bool logging;
	int64_t start_ns, stop_ns;     /* wall clock of the latest start / stop, 0: none */
	uint64_t recorded;	       /* records this trail accepted */
	uint64_t handoff_full;	       /* records the delivery thread had no room for */
	uint64_t reported[HR_LOSS_NR]; /* bucket losses already reported */
};

struct hr_trails {
	int n;
	struct hr_trail t[HR_MAX_TRAILS];
	char account_id[16];
	char region[64];
	char state_dir[PATH_MAX];
	struct hr_outputs *outputs; /* the agent's: they hear of every log file */
	/* spools, log files and digests: every batcher and signer is touched
	 * under its lock only (delivery.h) */
	struct hr_delivery *delivery;
};

/* Create (or check) a directory that must be writable; logs the reason. */
int hr_check_writable_dir(const char *what, const char *path, mode_t mode);

/* Open every trail of cfg (nothing is recorded yet: logging is false) and
 * start the delivery thread. outputs (may be NULL) hear of every log file
 * any trail publishes. */
int hr_trails_open(struct hr_trails *ts, const struct hr_config *cfg, struct hr_outputs *outputs);

/* Open one trail and append it; its selectors are copied. -errno. */
int hr_trails_add(struct hr_trails *ts, const struct hr_trail_config *tc);

/* Clean end of one trail: final batch and digest, then removal. */
int hr_trails_remove(struct hr_trails *ts, int i);

/* Reopen trail i with new delivery settings (bucket, periods, bucket
 * name): its chain ends with a final digest and a new one starts. The
 * logging state and counters stay. */
int hr_trails_reopen(struct hr_trails *ts, int i, const struct hr_trail_config *tc);

struct hr_trail *hr_trails_find(struct hr_trails *ts, const char *name_or_arn);

/* Hand sr to the delivery thread for every logging trail that selects it.
 * LostEvents go to every logging trail whatever its selectors: nothing is
 * lost silently. sr NULL (no memory): rec is selected, and counted as lost
 * where kept. Returns the outputs (hr_output_bit) that the trails which
 * kept it send to. */
unsigned hr_trails_deliver(struct hr_trails *ts, struct hr_shared_record *sr,
			   const struct hr_record *rec);

/* A trail's outputs (hr_output_bit): its "outputs", less journald when it
 * does not forward to journald. */
unsigned hr_trail_outputs(const struct hr_trail_config *tc);

/* The bucket as an output: its counters (loss by reason). */
void hr_trail_counters(const struct hr_trail *t, struct hr_output_counters *c);

/* Batch and digest deliveries that are due (on the delivery thread). */
void hr_trails_tick(struct hr_trails *ts, int64_t now_ns);

/* get-trail-status: a consistent view (waits for the delivery thread). */
void hr_trail_stats(struct hr_trails *ts, const struct hr_trail *t, struct hr_batcher_stats *bs,
		    struct hr_signer_stats *ss);

/* Clean stop of all: the delivery thread ends, then flush and final
 * digests. 0, or 1 if one failed. */
int hr_trails_stop(struct hr_trails *ts);

/* Stop the delivery thread and close every trail (no delivery). */
void hr_trails_close(struct hr_trails *ts);

/* Could some logging trail keep an event of this kind? (attach or not) */
bool hr_trails_may_record(const struct hr_trails *ts, const char *category, const char *source,
			  const char *name, const char *resource_type);
/* ... with this readOnly ("true", "false"; NULL: either). */
bool hr_trails_may_record_ro(const struct hr_trails *ts, const char *category, const char *source,
			     const char *name, const char *resource_type, const char *read_only);

/* "arn:hostrail:cloudtrail:<region>:<account>:trail/<name>" */
void hr_trail_arn(const struct hr_trails *ts, const struct hr_trail *t, char *buf, size_t len);

#endif

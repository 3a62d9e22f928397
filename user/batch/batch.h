/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * batch.h - group records into batches and deliver each batch as one
 * CloudTrail log file, crash-safely.
 *
 * Every accepted record is written to a spool file at once (through a small
 * buffer that hr_batcher_tick() empties) and fdatasync'ed about once a
 * second, so it survives the agent being killed or the machine losing power
 * within that window. A batch is delivered when its period ends; a crashed
 * run's spools are delivered by the next hr_batcher_open(). Not thread-safe:
 * one thread (the daemon's loop) drives a batcher.
 */
#ifndef HOSTRAIL_BATCH_H
#define HOSTRAIL_BATCH_H

#include <stdint.h>
#include "deliver/logfile.h"
#include "record/record.h"

struct hr_batcher;

struct hr_batcher_opts {
	const char *bucket_dir; /* log files go to <bucket_dir>/AWSLogs/... */
	const char *spool_dir;	/* created if missing; one batcher per dir */
	struct hr_frame frame;	/* account_id and region name the keys */
	unsigned batch_seconds; /* 0: 300. Periods are aligned to wall-clock
					 * multiples of it */
	/*
	 * Called once per log file after its bytes are durable under a
	 * temporary name and before they are renamed into place. If the agent
	 * dies in between, the key never appears and the same records come
	 * back later under another key: treat a reported key as "pending"
	 * until it exists. May be called from inside hr_batcher_open()
	 * (recovery), _tick() and _flush().
	 */
	void (*on_delivered)(void *arg, const struct hr_delivered_log *log);
	void *arg;
};

#define HR_BATCHER_ERR_MAX HR_PUBLISH_ERR_MAX

struct hr_batcher_stats {
	uint64_t accepted;	  /* records hr_batcher_add() took */
	uint64_t recovered;	  /* records found in a crashed run's spools */
	uint64_t delivered;	  /* records now in delivered log files */
	uint64_t files;		  /* log files delivered */
	uint64_t lost;		  /* records that never reached a spool, or
					 * were torn/corrupt in a recovered one */
	uint64_t pending;	  /* accepted or recovered, not delivered yet */
	uint64_t pending_files;	  /* closed batches waiting for delivery */
	int64_t last_delivery_ns; /* wall clock of the last delivery, 0: none */
	int64_t last_error_ns;	  /* wall clock of last_error, 0: none */
	/* The most recent failure ("failed to write AWSLogs/...: No space left
	 * on device"), "" if none. It is kept after a later success: compare
	 * last_error_ns with last_delivery_ns (CloudTrail's LatestDeliveryError
	 * and LatestDeliveryTime). */
	char last_error[HR_BATCHER_ERR_MAX];
};

/* Also recovers: delivers what a crashed run left in spool_dir before
 * returning. A delivery failure there is not an error of open (the spools
 * stay pending, see stats). Returns 0, -EINVAL (options), -EBUSY (another
 * batcher holds spool_dir) or -errno. */
int hr_batcher_open(const struct hr_batcher_opts *o, struct hr_batcher **out);

/* Spool one record (rec->json, rec->len, rec->event_time_ns; the JSON must
 * not contain an LF). On failure the record is counted in lost. 0 or -errno. */
int hr_batcher_add(struct hr_batcher *b, const struct hr_record *rec);

/* Call about every 100 ms with the wall clock: writes buffered records,
 * fdatasyncs at most once a second, closes the batch when its period has
 * ended and delivers closed batches (retrying failures with back-off).
 * Returns 0 or the error of a failed delivery (also kept in stats). */
int hr_batcher_tick(struct hr_batcher *b, int64_t now_ns);

/* Close the open batch and deliver everything pending now (clean stop). */
int hr_batcher_flush(struct hr_batcher *b);

void hr_batcher_stats(const struct hr_batcher *b, struct hr_batcher_stats *st);

/* Writes and syncs buffered records, but does NOT deliver: the daemon flushes
 * on a clean stop; what stays in the spool is delivered by the next open.
 * NULL-safe. */
void hr_batcher_close(struct hr_batcher *b);

#endif

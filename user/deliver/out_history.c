// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * out_history.c - the event history output: the SQLite history on a sink
 * worker, and its catch-up from the bucket.
 *
 * The history is a copy of what the bucket holds, so it never needs to hold
 * a burst in memory: its queue is small, and a record that finds it full is
 * deferred, not lost. While anything is deferred the output notes every log
 * file its trails publish; when the queue has been empty for a second the
 * worker reads those files (history/restore.c) and stores what the history
 * lacks, until nothing deferred is missing. lookup-events lags under a burst
 * and has no holes after it.
 *
 * "behind" counts the deferred records not found again. A record the
 * catch-up stores may also still be in the queue (it was published before
 * the worker reached it); so while a catch-up runs, and until the queue
 * has been empty once after it, live writes skip stored eventIDs too, and
 * each one skipped that way is counted back into "behind".
 *
 * A stop with work left writes it to <stateDir>/history-catch-up.json; the
 * next start goes on from there. A file that cannot be read (damaged, gone
 * for two minutes) ends its part of the catch-up: its records, up to what
 * is behind, are counted lost (LostEvents, sink history, sinkQueueFull).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>

#include "common/clock.h"
#include "common/files.h"
#include "common/grow.h"
#include "common/log.h"
#include "deliver/output.h"
#include "history/history.h"

/* A burst's first moment; the rest is read back from the bucket, so the
 * queue need not be deep (docs/operations.md "Memory"). */
#define HISTORY_QUEUE_BYTES (2u << 20)
#define HISTORY_BATCH	    4096
#define MISSING_FILE_S	    120 /* a published key that never appears */
/* Deferred records no log brought: a batch is delivered within five
 * minutes, so after two batches' time they are not coming (the bucket lost
 * them, and counted that itself). */
#define NEVER_PUBLISHED_S 660
#define CATCH_UP_FILE	  "history-catch-up.json"
#define LAST_LOGS	  8 /* one per trail's bucket (HR_MAX_TRAILS) */

struct heard_log {
	char *bucket_dir;
	char key[HR_LOG_KEY_MAX];
	uint64_t records;
	int64_t heard_ns; /* CLOCK_MONOTONIC */
};

struct history_out {
	struct hr_history *h;	  /* NULL: it could not open; every record refused */
	struct hr_sink_worker *w; /* NULL: likewise */
	char state_dir[PATH_MAX];
	pthread_mutex_t lock; /* logs, and the counters the worker and loop share */
	struct heard_log *logs;
	size_t n_logs, cap_logs;
	/* each bucket's latest log, heard while nothing was behind: the trails
	 * take a record just before the outputs do, so the log holding the
	 * first deferred record may be published before the deferral */
	struct heard_log last[LAST_LOGS];
	size_t n_last;
	uint64_t behind;	  /* deferred and not stored yet */
	uint64_t deferred;	  /* totals: the queue was full */
	uint64_t caught_up;	  /* stored from log files */
	uint64_t lost;		  /* deferred and not in any readable log file */
	uint64_t unavailable;	  /* no history at all */
	int64_t last_deferred_ns; /* CLOCK_MONOTONIC */
	bool live_skip;		  /* worker only: live writes skip stored eventIDs */
};

/* ---- the worker's side ---- */

static size_t history_out_write(void *arg, const struct hr_record *const *recs, size_t n)
{
	struct history_out *o = arg;
	uint64_t dups = hr_history_duplicates(o->h);
	size_t failed;

	hr_history_skip_stored(o->h, o->live_skip);
	failed = hr_history_write(o->h, recs, n);
	hr_history_skip_stored(o->h, false);
	dups = hr_history_duplicates(o->h) - dups;
	if (dups) { /* the catch-up took these, and counted them as deferred ones */
		pthread_mutex_lock(&o->lock);
		o->behind += dups;
		pthread_mutex_unlock(&o->lock);
	}
	return failed;
}

static void drop_log(struct history_out *o, size_t i)
{
	free(o->logs[i].bucket_dir);
	o->logs[i] = o->logs[--o->n_logs];
}

/* One heard log file: 1 done (read, or given up), 0 not there yet. */
static int read_log(struct history_out *o, const struct heard_log *l, int64_t now)
{
	struct hr_history_restore st = {0};
	int fd = open(l->bucket_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), err;

	err = fd < 0 ? -errno : hr_history_restore_log(o->h, fd, l->key, &st);
	if (fd >= 0)
		close(fd);
	if (err == -ENOENT && now - l->heard_ns < MISSING_FILE_S * 1000000000LL)
		return 0; /* published, not renamed into place yet */
	pthread_mutex_lock(&o->lock);
	o->caught_up += st.stored;
	o->behind -= st.stored < o->behind ? st.stored : o->behind;
	if (err) {
		uint64_t gone = l->records - st.stored - st.duplicates;

		gone = gone < o->behind ? gone : o->behind;
		o->lost += gone;
		o->behind -= gone;
	}
	pthread_mutex_unlock(&o->lock);
	if (err)
		hr_warn("event history: cannot read %s/%s to catch up (%s); %llu records it missed "
			"are counted lost, `hostrail rebuild-history` can restore what is readable",
			l->bucket_dir, l->key, strerror(-err),
			(unsigned long long)(l->records - st.stored - st.duplicates));
	return 1;
}

/* The logs heard of before now, copied out of the lock. */
static size_t due_logs(struct history_out *o, int64_t now, struct heard_log **out)
{
	struct heard_log *v = NULL;
	size_t n = 0, cap = 0;

	pthread_mutex_lock(&o->lock);
	if (o->behind && !o->n_logs &&
	    now - o->last_deferred_ns > NEVER_PUBLISHED_S * 1000000000LL) {
		hr_warn("event history: %llu deferred records were in no log file the trails "
			"delivered; they are counted lost",
			(unsigned long long)o->behind);
		o->lost += o->behind;
		o->behind = 0;
	}
	if (!o->behind) /* nothing missing: what was heard of is not needed */
		while (o->n_logs)
			drop_log(o, 0);
	for (size_t i = 0; i < o->n_logs; i++) {
		if (o->logs[i].heard_ns > now || hr_grow(&v, &cap, n, sizeof(*v), 8))
			continue;
		v[n] = o->logs[i];
		v[n].bucket_dir = strdup(o->logs[i].bucket_dir);
		n += v[n].bucket_dir != NULL;
	}
	pthread_mutex_unlock(&o->lock);
	*out = v;
	return n;
}

static void forget_log(struct history_out *o, const struct heard_log *l)
{
	pthread_mutex_lock(&o->lock);
	for (size_t k = 0; k < o->n_logs; k++)
		if (!strcmp(o->logs[k].key, l->key) &&
		    !strcmp(o->logs[k].bucket_dir, l->bucket_dir)) {
			drop_log(o, k);
			break;
		}
	pthread_mutex_unlock(&o->lock);
}

/*
 * The queue is empty: read what was published while records were deferred.
 * Live writes skip stored eventIDs from before the first catch-up store
 * until an idle that finds nothing to read (the queue has been empty since).
 */
static void catch_up(struct history_out *o)
{
	int64_t now = hr_clock_ns(CLOCK_MONOTONIC);
	struct heard_log *due;
	size_t n = due_logs(o, now, &due);

	o->live_skip = n > 0;
	for (size_t i = 0; i < n; i++) {
		if (read_log(o, &due[i], now))
			forget_log(o, &due[i]);
		free(due[i].bucket_dir);
	}
	free(due);
}

static void history_out_idle(void *arg)
{
	struct history_out *o = arg;

	catch_up(o);
	hr_history_maybe_prune(o->h);
}

/* ---- the loop's side ---- */

static int note_log(struct history_out *o, const char *bucket_dir, const char *key,
		    uint64_t records, int64_t heard_ns)
{
	struct heard_log *l;

	if (hr_grow(&o->logs, &o->cap_logs, o->n_logs, sizeof(*o->logs), 16))
		return -ENOMEM;
	l = &o->logs[o->n_logs];
	l->bucket_dir = strdup(bucket_dir);
	if (!l->bucket_dir)
		return -ENOMEM;
	snprintf(l->key, sizeof(l->key), "%s", key);
	l->records = records;
	l->heard_ns = heard_ns;
	o->n_logs++;
	return 0;
}

/* Under lock: behind becomes non-zero, so the latest logs may hold what
 * is deferred (see last[]). One that cannot be noted (no memory) leaves
 * its record behind, until the catch-up gives up on it (NEVER_PUBLISHED_S). */
static void take_last_logs(struct history_out *o)
{
	for (size_t i = 0; i < o->n_last; i++) {
		struct heard_log *l = &o->last[i];

		note_log(o, l->bucket_dir, l->key, l->records, l->heard_ns);
		free(l->bucket_dir);
	}
	o->n_last = 0;
}

/* Under lock: log is its bucket's latest. */
static void remember_last(struct history_out *o, const struct hr_delivered_log *log, int64_t now)
{
	size_t i = 0;
	char *dir;

	while (i < o->n_last && strcmp(o->last[i].bucket_dir, log->bucket_dir))
		i++;
	if (i == LAST_LOGS)
		return; /* more buckets than trails: cannot happen */
	if (i == o->n_last) {
		dir = strdup(log->bucket_dir);
		if (!dir)
			return;
		o->last[o->n_last++].bucket_dir = dir;
	}
	snprintf(o->last[i].key, sizeof(o->last[i].key), "%s", log->key);
	o->last[i].records = log->n_records;
	o->last[i].heard_ns = now;
}

static void history_out_take(void *ctx, struct hr_shared_record *rec)
{
	struct history_out *o = ctx;

	if (!o->w || !rec) {
		__atomic_add_fetch(&o->unavailable, 1, __ATOMIC_RELAXED);
		return;
	}
	if (hr_sink_worker_push(o->w, rec) == -ENOBUFS) {
		pthread_mutex_lock(&o->lock);
		if (!o->behind)
			take_last_logs(o);
		o->behind++;
		o->deferred++;
		o->last_deferred_ns = hr_clock_ns(CLOCK_MONOTONIC);
		pthread_mutex_unlock(&o->lock);
	}
}

/* Any thread (the delivery thread, or the loop during recovery). */
static void history_out_published(void *ctx, const struct hr_delivered_log *log)
{
	struct history_out *o = ctx;

	if (!o->w || !log->bucket_dir)
		return;
	int64_t now = hr_clock_ns(CLOCK_MONOTONIC);

	pthread_mutex_lock(&o->lock);
	if (!o->behind)
		remember_last(o, log, now);
	else if (note_log(o, log->bucket_dir, log->key, log->n_records, now)) {
		o->lost += o->behind; /* no memory to remember where they are */
		o->behind = 0;
	}
	pthread_mutex_unlock(&o->lock);
}

/* ---- a catch-up across a restart ---- */

static void catch_up_path(const struct history_out *o, char *path, size_t len)
{
	snprintf(path, len, "%s/%s", o->state_dir, CATCH_UP_FILE);
}

static void save_catch_up(struct history_out *o)
{
	char err[PATH_MAX + 128], *text;
	json_t *doc, *logs;

	if (!o->behind) {
		char path[PATH_MAX + 32];

		catch_up_path(o, path, sizeof(path));
		unlink(path);
		return;
	}
	logs = json_array();
	for (size_t i = 0; i < o->n_logs; i++)
		json_array_append_new(logs, json_pack("{s:s, s:s, s:I}", "bucketDir",
						      o->logs[i].bucket_dir, "key", o->logs[i].key,
						      "records", (json_int_t)o->logs[i].records));
	doc = json_pack("{s:I, s:o}", "behind", (json_int_t)o->behind, "logs", logs);
	text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	if (!text || hr_write_file_atomic(o->state_dir, CATCH_UP_FILE, text, strlen(text), 0600,
					  true, err, sizeof(err)))
		hr_err("event history: could not keep its catch-up of %llu records for the next "
		       "start; `hostrail rebuild-history` restores them",
		       (unsigned long long)o->behind);
	else
		hr_info("event history: %llu records to catch up from %zu log files at the next "
			"start",
			(unsigned long long)o->behind, o->n_logs);
	free(text);
	json_decref(doc);
}

static void load_catch_up(struct history_out *o)
{
	char path[PATH_MAX + 32];
	json_t *doc, *l;
	size_t i;

	catch_up_path(o, path, sizeof(path));
	doc = json_load_file(path, 0, NULL);
	if (!doc)
		return;
	json_array_foreach(json_object_get(doc, "logs"), i, l) {
		const char *dir = json_string_value(json_object_get(l, "bucketDir"));
		const char *key = json_string_value(json_object_get(l, "key"));
		json_int_t n = json_integer_value(json_object_get(l, "records"));

		if (dir && key && hr_key_is_plain(key) && n >= 0)
			note_log(o, dir, key, (uint64_t)n, 0);
	}
	o->behind = (uint64_t)json_integer_value(json_object_get(doc, "behind"));
	o->last_deferred_ns = hr_clock_ns(CLOCK_MONOTONIC); /* the spool's batches come now */
	json_decref(doc);
	if (o->behind)
		hr_info("event history: catching up %llu records from %zu log files",
			(unsigned long long)o->behind, o->n_logs);
}

/* ---- the output ---- */

static int history_out_open(const struct hr_output_env *env, void **ctx)
{
	struct history_out *o = calloc(1, sizeof(*o));
	char err[PATH_MAX + 256];
	int rc;

	*ctx = o;
	if (!o)
		return -ENOMEM;
	pthread_mutex_init(&o->lock, NULL);
	snprintf(o->state_dir, sizeof(o->state_dir), "%s", env->state_dir);
	rc = hr_history_open(env->state_dir, HR_HISTORY_WRITE, env->retention_days, &o->h, err,
			     sizeof(err));
	if (rc) {
		hr_err("%s; recording goes on into the bucket, and the records the history "
		       "misses are counted (LostEvents, sink history)",
		       err);
		return 0;
	}
	load_catch_up(o);
	rc = hr_sink_worker_start(HR_OUTPUT_HISTORY, env->queue_bytes ?: HISTORY_QUEUE_BYTES,
				  HISTORY_BATCH, history_out_write, history_out_idle, o, &o->w);
	if (rc)
		hr_err("failed to start the history output: %s", strerror(-rc));
	return 0;
}

static void history_out_flush(void *ctx)
{
	struct history_out *o = ctx;

	hr_sink_worker_drain(o->w);
}

static void history_out_stop(void *ctx)
{
	struct history_out *o = ctx;

	if (!o)
		return;
	hr_sink_worker_stop(o->w);
	if (o->w)
		save_catch_up(o);
	hr_history_close(o->h);
	while (o->n_logs)
		drop_log(o, 0);
	free(o->logs);
	for (size_t i = 0; i < o->n_last; i++)
		free(o->last[i].bucket_dir);
	pthread_mutex_destroy(&o->lock);
	free(o);
}

static void history_out_counters(void *ctx, struct hr_output_counters *c)
{
	struct history_out *o = ctx;
	struct hr_sink_stats st = {0};
	uint64_t unavailable = __atomic_load_n(&o->unavailable, __ATOMIC_RELAXED);

	if (o->w)
		hr_sink_worker_stats(o->w, &st);
	memset(c, 0, sizeof(*c));
	pthread_mutex_lock(&o->lock);
	c->taken = st.accepted + st.queue_full + unavailable;
	c->lost[HR_LOSS_QUEUE_FULL] = o->lost;
	c->behind = o->behind;
	c->deferred = o->deferred;
	c->caught_up = o->caught_up;
	pthread_mutex_unlock(&o->lock);
	c->lost[HR_LOSS_REFUSED] = st.refused + unavailable;
}

const struct hr_output_ops hr_output_history = {
	.name = HR_OUTPUT_HISTORY,
	.open = history_out_open,
	.take = history_out_take,
	.published = history_out_published,
	.flush = history_out_flush,
	.stop = history_out_stop,
	.counters = history_out_counters,
};

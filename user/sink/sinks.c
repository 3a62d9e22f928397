// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* sinks.c - journald and the history behind their workers (sinks.h). */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "common/log.h"
#include "deliver/journal.h"
#include "history/history.h"
#include "sink/sinks.h"

/*
 * Per sink, the bytes its queued records may hold. The history must take a
 * burst whole (100,000 calls in half a second is what an attack looks like,
 * and the history is where it is looked up): 256 MiB is ~200,000 records of
 * ~1.3 KB. journald throttles bursts itself (RateLimitBurst), so a deep
 * queue would only delay its refusals: 32 MiB, ~25,000 records.
 */
#define HISTORY_QUEUE_BYTES (256u << 20)
#define JOURNALD_QUEUE_BYTES (32u << 20)

struct sink {
	const char *name;
	bool enabled;			/* configured on */
	struct hr_sink_worker *w;	/* NULL: could not start */
	uint64_t unavailable;		/* records for a sink that could not start */
	uint64_t full_reported, refused_reported;
};

struct hr_sinks {
	struct sink journald, history;
	struct hr_journal *journal;
	struct hr_history *hist;
};

int hr_sinks_open(const struct hr_sinks_opts *o, struct hr_sinks **out)
{
	struct hr_sinks *s = calloc(1, sizeof(*s));
	char err[PATH_MAX + 256];
	int rc;

	*out = NULL;
	if (!s)
		return -ENOMEM;
	s->journald.name = HR_SINK_JOURNALD;
	s->history.name = HR_SINK_HISTORY;
	s->journald.enabled = o->journald;
	s->history.enabled = true;

	if (o->journald) {
		rc = hr_journal_open(&s->journal);
		rc = rc ?: hr_sink_worker_start(HR_SINK_JOURNALD,
						o->queue_bytes ?: JOURNALD_QUEUE_BYTES, 64,
						hr_journal_write, NULL, s->journal,
						&s->journald.w);
		if (rc)
			hr_err("failed to start forwarding to journald: %s", strerror(-rc));
	}
	rc = hr_history_open(o->state_dir, HR_HISTORY_WRITE, o->retention_days, &s->hist, err,
			     sizeof(err));
	if (rc)
		hr_err("%s; recording goes on into the bucket, and the records the history "
		       "misses are counted (LostEvents, sink history)", err);
	else
		rc = hr_sink_worker_start(HR_SINK_HISTORY,
					  o->queue_bytes ?: HISTORY_QUEUE_BYTES, 4096, hr_history_write,
					  hr_history_maybe_prune, s->hist, &s->history.w);
	if (rc && s->hist)
		hr_err("failed to start the event history: %s", strerror(-rc));
	*out = s;
	return 0;
}

static void offer(struct sink *k, struct hr_shared_record *sr)
{
	if (!k->enabled)
		return;
	if (!k->w || !sr)
		k->unavailable++;
	else
		hr_sink_worker_push(k->w, sr);	/* a full queue is counted there */
}

void hr_sinks_add(struct hr_sinks *s, struct hr_record *rec, const char *not_to)
{
	struct hr_shared_record *sr;

	if (!s) {
		hr_record_free(rec);
		return;
	}
	sr = hr_shared_record_new(rec);
	if (!sr)
		hr_record_free(rec);	/* ENOMEM: counted as unavailable below */
	if (!not_to || strcmp(not_to, HR_SINK_JOURNALD))
		offer(&s->journald, sr);
	if (!not_to || strcmp(not_to, HR_SINK_HISTORY))
		offer(&s->history, sr);
	hr_shared_record_put(sr);
}

static int sink_losses(struct sink *k, struct hr_sink_loss *out)
{
	struct hr_sink_stats st = { 0 };
	uint64_t refused;
	int n = 0;

	if (!k->enabled)
		return 0;
	if (k->w)
		hr_sink_worker_stats(k->w, &st);
	refused = st.refused + k->unavailable;
	if (st.queue_full != k->full_reported) {
		out[n++] = (struct hr_sink_loss){ k->name, "sinkQueueFull",
						  st.queue_full - k->full_reported };
		k->full_reported = st.queue_full;
	}
	if (refused != k->refused_reported) {
		out[n++] = (struct hr_sink_loss){ k->name, "sinkRefused",
						  refused - k->refused_reported };
		k->refused_reported = refused;
	}
	return n;
}

int hr_sinks_losses(struct hr_sinks *s, struct hr_sink_loss out[HR_SINKS_MAX_LOSSES])
{
	int n;

	if (!s)
		return 0;
	n = sink_losses(&s->journald, out);
	return n + sink_losses(&s->history, out + n);
}

int hr_sinks_stats(struct hr_sinks *s, const char *sink, struct hr_sink_stats *st)
{
	struct sink *k = !s ? NULL : !strcmp(sink, HR_SINK_JOURNALD) ? &s->journald :
			 !strcmp(sink, HR_SINK_HISTORY) ? &s->history : NULL;

	memset(st, 0, sizeof(*st));
	if (!k || !k->enabled)
		return -ENOENT;
	if (k->w)
		hr_sink_worker_stats(k->w, st);
	st->refused += k->unavailable;
	return 0;
}

void hr_sinks_drain(struct hr_sinks *s)
{
	if (!s)
		return;
	hr_sink_worker_drain(s->journald.w);
	hr_sink_worker_drain(s->history.w);
}

void hr_sinks_close(struct hr_sinks *s)
{
	if (!s)
		return;
	hr_sink_worker_stop(s->journald.w);
	hr_sink_worker_stop(s->history.w);
	hr_journal_close(s->journal);
	hr_history_close(s->hist);
	free(s);
}

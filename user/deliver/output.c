// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* output.c - the list of outputs and what is common to them (output.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "common/log.h"
#include "deliver/output.h"

extern const struct hr_output_ops hr_output_journald;
extern const struct hr_output_ops hr_output_history;

/* The outputs, in the order records reach them. A new output: one line. */
static const struct hr_output_ops *const outputs[] = {
	&hr_output_journald,
	&hr_output_history,
};
#define N_OUTPUTS ((int)(sizeof(outputs) / sizeof(outputs[0])))
_Static_assert(N_OUTPUTS <= HR_OUTPUTS_MAX, "a trail's output mask is too small");

static const char *const loss_names[HR_LOSS_NR] = {
	[HR_LOSS_QUEUE_FULL] = "sinkQueueFull",
	[HR_LOSS_REFUSED] = "sinkRefused",
	[HR_LOSS_SPOOL_WRITE] = "spoolWriteFailed",
	[HR_LOSS_HANDOFF_FULL] = "deliveryQueueFull",
};

int hr_output_bit(const char *name)
{
	for (int i = 0; i < N_OUTPUTS; i++)
		if (!strcmp(outputs[i]->name, name))
			return i;
	return -ENOENT;
}

int hr_outputs_open(struct hr_outputs *s, const struct hr_output_env *env)
{
	memset(s, 0, sizeof(*s));
	for (int i = 0; i < N_OUTPUTS; i++) {
		struct hr_output_env e = *env;
		int rc;

		if (env->queue_bytes_of)
			e.queue_bytes = env->queue_bytes_of[i];
		rc = outputs[i]->open(&e, &s->o[i].ctx);

		if (rc) {
			hr_outputs_stop(s);
			return rc;
		}
		s->o[i].ops = outputs[i];
		s->n = i + 1;
	}
	return 0;
}

static bool wanted(const struct hr_output *o, int i, unsigned mask, const char *not_to)
{
	return (mask & (1u << i)) && !(not_to && !strcmp(not_to, o->ops->name));
}

void hr_outputs_take(struct hr_outputs *s, struct hr_shared_record *sr, unsigned mask,
		     const char *not_to)
{
	for (int i = 0; i < s->n; i++)
		if (wanted(&s->o[i], i, mask, not_to))
			s->o[i].ops->take(s->o[i].ctx, sr);
}

void hr_outputs_published(struct hr_outputs *s, const struct hr_delivered_log *log, unsigned mask)
{
	for (int i = 0; i < s->n; i++)
		if (s->o[i].ops->published && wanted(&s->o[i], i, mask, NULL))
			s->o[i].ops->published(s->o[i].ctx, log);
}

int hr_outputs_counters(struct hr_outputs *s, const char *name, struct hr_output_counters *c)
{
	memset(c, 0, sizeof(*c));
	for (int i = 0; i < s->n; i++) {
		if (strcmp(s->o[i].ops->name, name))
			continue;
		s->o[i].ops->counters(s->o[i].ctx, c);
		return 0;
	}
	return -ENOENT;
}

void hr_outputs_flush(struct hr_outputs *s)
{
	for (int i = 0; i < s->n; i++)
		s->o[i].ops->flush(s->o[i].ctx);
}

void hr_outputs_stop(struct hr_outputs *s)
{
	for (int i = 0; i < s->n; i++)
		s->o[i].ops->stop(s->o[i].ctx);
	memset(s, 0, sizeof(*s));
}

int hr_output_new_losses(const char *output, const struct hr_output_counters *c,
			 uint64_t reported[HR_LOSS_NR], struct hr_loss *out)
{
	int n = 0;

	for (int k = 0; k < HR_LOSS_NR; k++) {
		if (c->lost[k] == reported[k])
			continue;
		out[n++] = (struct hr_loss){output, loss_names[k], c->lost[k] - reported[k]};
		reported[k] = c->lost[k];
	}
	return n;
}

int hr_outputs_losses(struct hr_outputs *s, struct hr_loss out[HR_LOSSES_MAX])
{
	struct hr_output_counters c;
	int n = 0;

	for (int i = 0; i < s->n; i++) {
		s->o[i].ops->counters(s->o[i].ctx, &c);
		n += hr_output_new_losses(s->o[i].ops->name, &c, s->o[i].reported, out + n);
	}
	return n;
}

int hr_listeners_add(struct hr_listeners *ls, hr_published_fn fn, void *ctx)
{
	if (ls->n >= HR_LISTENERS_MAX)
		return -ENOSPC;
	ls->l[ls->n].fn = fn;
	ls->l[ls->n++].ctx = ctx;
	return 0;
}

void hr_listeners_published(void *arg, const struct hr_delivered_log *log)
{
	struct hr_listeners *ls = arg;

	for (int i = 0; i < ls->n; i++)
		ls->l[i].fn(ls->l[i].ctx, log);
}

/* ---- an output on a sink worker ---- */

struct queued {
	struct hr_sink_worker *w; /* NULL: the sink could not start */
	void *sink;
	void (*close)(void *sink);
	uint64_t unavailable; /* records it could not take: refused */
};

int hr_queued_output_open(const char *name, size_t max_bytes, size_t batch, hr_sink_write_fn write,
			  hr_sink_idle_fn idle, void *sink, void (*close)(void *sink), void **ctx)
{
	struct queued *q = calloc(1, sizeof(*q));
	int rc;

	*ctx = q;
	if (!q) {
		if (close && sink)
			close(sink);
		return -ENOMEM;
	}
	q->sink = sink;
	q->close = close;
	if (!write)
		return 0;
	rc = hr_sink_worker_start(name, max_bytes, batch, write, idle, sink, &q->w);
	if (rc)
		hr_err("failed to start the %s output: %s", name, strerror(-rc));
	return 0;
}

void hr_queued_output_take(void *ctx, struct hr_shared_record *rec)
{
	struct queued *q = ctx;

	if (!q->w || !rec)
		q->unavailable++;
	else
		hr_sink_worker_push(q->w, rec); /* a full queue is counted there */
}

void hr_queued_output_flush(void *ctx)
{
	struct queued *q = ctx;

	hr_sink_worker_drain(q->w);
}

void hr_queued_output_stop(void *ctx)
{
	struct queued *q = ctx;

	if (!q)
		return;
	hr_sink_worker_stop(q->w);
	if (q->close && q->sink)
		q->close(q->sink);
	free(q);
}

void hr_queued_output_counters(void *ctx, struct hr_output_counters *c)
{
	struct queued *q = ctx;
	struct hr_sink_stats st = {0};

	if (q->w)
		hr_sink_worker_stats(q->w, &st);
	memset(c, 0, sizeof(*c));
	c->taken = st.accepted + st.queue_full + q->unavailable;
	c->lost[HR_LOSS_QUEUE_FULL] = st.queue_full;
	c->lost[HR_LOSS_REFUSED] = st.refused + q->unavailable;
}

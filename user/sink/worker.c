// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * worker.c - one thread and a queue of shared records bounded by the bytes
 * they hold (worker.h, common/bqueue.h).
 */
#include <errno.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "common/sandbox.h"
#include "common/bqueue.h"
#include "common/log.h"
#include "sink/worker.h"

struct hr_sink_worker {
	char name[32];
	hr_sink_write_fn write;
	hr_sink_idle_fn idle;
	void *ctx;
	pthread_t thread;
	bool started;

	struct hr_bqueue q;
	struct hr_bq_item *got; /* the batch being written */
	const struct hr_record **recs;
	size_t batch;
	struct hr_sink_stats st; /* atomic: the loop and the worker count */
};

#define ALLOC_OVERHEAD 16 /* what malloc adds to each block, about */

static size_t owned(const char *str)
{
	return str ? strlen(str) + 1 + ALLOC_OVERHEAD : 0;
}

/* What a record holds in memory: the queues' bound counts this. */
static size_t record_bytes(const struct hr_record *rec)
{
	size_t n = sizeof(struct hr_shared_record) + ALLOC_OVERHEAD;

	n += rec->json ? rec->len + 1 + ALLOC_OVERHEAD : 0;
	n += owned(rec->user_name) + owned(rec->user_arn) + owned(rec->access_key_id);
	n += owned(rec->source_ip) + owned(rec->acting_as) + owned(rec->error_code);
	n += owned(rec->what);
	for (int i = 0; i < rec->n_resources && i < HR_RECORD_MAX_RESOURCES; i++)
		n += owned(rec->resources[i].arn) + owned(rec->resources[i].name);
	return n;
}

struct hr_shared_record *hr_shared_record_new(struct hr_record *rec)
{
	struct hr_shared_record *s = malloc(sizeof(*s));

	if (!s)
		return NULL;
	s->rec = *rec;
	s->bytes = record_bytes(rec);
	s->refs = 1;
	memset(rec, 0, sizeof(*rec));
	return s;
}

void hr_shared_record_get(struct hr_shared_record *s)
{
	__atomic_add_fetch(&s->refs, 1, __ATOMIC_RELAXED);
}

void hr_shared_record_put(struct hr_shared_record *s)
{
	if (!s || __atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL))
		return;
	hr_record_free(&s->rec);
	free(s);
}

static void count(uint64_t *c, uint64_t n)
{
	__atomic_add_fetch(c, n, __ATOMIC_RELAXED);
}

static void *worker_main(void *arg)
{
	struct hr_sink_worker *w = arg;
	struct timespec until;

	/*
	 * The host's own work comes first: a sink is a copy of what the
	 * bucket already holds, and its queue absorbs bursts. At nice 19 the
	 * worker takes the CPU the workload leaves, instead of competing with
	 * it (and with the capture loop) for the second core. Per thread on
	 * Linux; failure only means the default priority.
	 */
	setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 19);
	for (;;) {
		long n;
		size_t refused;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 1;
		n = hr_bq_take(&w->q, w->got, w->batch, &until);
		if (n < 0)
			break; /* stopping, and nothing left */
		if (!n) {
			hr_bq_done(&w->q);
			if (w->idle)
				w->idle(w->ctx);
			continue;
		}
		for (long i = 0; i < n; i++)
			w->recs[i] = &((struct hr_shared_record *)w->got[i].obj)->rec;
		refused = w->write(w->ctx, w->recs, (size_t)n);
		for (long i = 0; i < n; i++)
			hr_shared_record_put(w->got[i].obj);
		if (refused > (size_t)n)
			refused = (size_t)n;
		count(&w->st.written, (size_t)n - refused);
		count(&w->st.refused, refused);
		hr_bq_done(&w->q);
	}
	return NULL;
}

int hr_sink_worker_start(const char *name, size_t max_bytes, size_t batch, hr_sink_write_fn write,
			 hr_sink_idle_fn idle, void *ctx, struct hr_sink_worker **out)
{
	struct hr_sink_worker *w;
	int err;

	*out = NULL;
	if (!max_bytes || !batch || !write)
		return -EINVAL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->got = calloc(batch, sizeof(*w->got));
	w->recs = calloc(batch, sizeof(*w->recs));
	err = w->got && w->recs ? hr_bq_init(&w->q, max_bytes, 1) : -ENOMEM;
	if (err)
		goto fail;
	snprintf(w->name, sizeof(w->name), "%s", name);
	w->batch = batch;
	w->write = write;
	w->idle = idle;
	w->ctx = ctx;
	err = -hr_thread_create(&w->thread, worker_main, w);
	if (err)
		goto fail;
	w->started = true;
	*out = w;
	return 0;
fail:
	hr_bq_fini(&w->q);
	free(w->got);
	free(w->recs);
	free(w);
	return err;
}

int hr_sink_worker_push(struct hr_sink_worker *w, struct hr_shared_record *s)
{
	hr_shared_record_get(s);
	if (hr_bq_push(&w->q, NULL, s, s->bytes)) {
		hr_shared_record_put(s);
		count(&w->st.queue_full, 1);
		return -ENOBUFS;
	}
	count(&w->st.accepted, 1);
	return 0;
}

void hr_sink_worker_drain(struct hr_sink_worker *w)
{
	if (w)
		hr_bq_drain(&w->q);
}

void hr_sink_worker_stats(struct hr_sink_worker *w, struct hr_sink_stats *st)
{
	st->accepted = __atomic_load_n(&w->st.accepted, __ATOMIC_RELAXED);
	st->written = __atomic_load_n(&w->st.written, __ATOMIC_RELAXED);
	st->queue_full = __atomic_load_n(&w->st.queue_full, __ATOMIC_RELAXED);
	st->refused = __atomic_load_n(&w->st.refused, __ATOMIC_RELAXED);
}

const char *hr_sink_worker_name(const struct hr_sink_worker *w)
{
	return w->name;
}

void hr_sink_worker_stop(struct hr_sink_worker *w)
{
	struct hr_bq_item it;

	if (!w)
		return;
	hr_bq_stop(&w->q);
	if (w->started)
		pthread_join(w->thread, NULL);
	/* Only if the thread died early: drop what is left, counted. */
	while (hr_bq_pop(&w->q, &it)) {
		hr_shared_record_put(it.obj);
		count(&w->st.refused, 1);
	}
	hr_bq_fini(&w->q);
	free(w->got);
	free(w->recs);
	free(w);
}

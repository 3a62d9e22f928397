// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * worker.c - one thread and a ring of shared records bounded by the bytes
 * they hold (worker.h). The ring of pointers itself starts small and
 * doubles as a burst fills it: 8 bytes a record, next to the ~1 KB each
 * record holds, so it is not worth counting against the bound.
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
#include "common/log.h"
#include "sink/worker.h"

struct hr_sink_worker {
	char name[32];
	hr_sink_write_fn write;
	hr_sink_idle_fn idle;
	void *ctx;
	pthread_t thread;
	bool started;

	pthread_mutex_t lock;
	pthread_cond_t wake; /* the worker: records or stop */
	pthread_cond_t done; /* drain(): the queue went empty */
	struct hr_shared_record **ring;
	struct hr_shared_record **got; /* the batch being written */
	const struct hr_record **recs;
	size_t cap, head, count, batch;
	size_t bytes, max_bytes; /* held by the queued records, and the bound */
	bool busy;		 /* the worker holds records outside the ring */
	bool stopping;
	struct hr_sink_stats st;
};

#define RING_FIRST     1024
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
	pthread_mutex_lock(&w->lock);
	for (;;) {
		size_t n = 0, refused;

		while (!w->count && !w->stopping) {
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += 1;
			if (pthread_cond_timedwait(&w->wake, &w->lock, &until) == ETIMEDOUT &&
			    w->idle && !w->count) {
				pthread_mutex_unlock(&w->lock);
				w->idle(w->ctx);
				pthread_mutex_lock(&w->lock);
			}
		}
		if (!w->count)
			break; /* stopping, and nothing left */
		while (w->count && n < w->batch) {
			w->got[n] = w->ring[w->head];
			w->recs[n] = &w->got[n]->rec;
			w->head = (w->head + 1) % w->cap;
			w->count--;
			w->bytes -= w->got[n]->bytes;
			n++;
		}
		w->busy = true;
		pthread_mutex_unlock(&w->lock);

		refused = w->write(w->ctx, w->recs, n);
		for (size_t i = 0; i < n; i++)
			hr_shared_record_put(w->got[i]);

		pthread_mutex_lock(&w->lock);
		if (refused > n)
			refused = n;
		w->st.written += n - refused;
		w->st.refused += refused;
		w->busy = false;
		if (!w->count)
			pthread_cond_broadcast(&w->done);
	}
	pthread_cond_broadcast(&w->done);
	pthread_mutex_unlock(&w->lock);
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
	w->ring = calloc(RING_FIRST, sizeof(*w->ring));
	w->got = calloc(batch, sizeof(*w->got));
	w->recs = calloc(batch, sizeof(*w->recs));
	if (!w->ring || !w->got || !w->recs) {
		err = -ENOMEM;
		goto fail;
	}
	snprintf(w->name, sizeof(w->name), "%s", name);
	w->cap = RING_FIRST;
	w->max_bytes = max_bytes;
	w->batch = batch;
	w->write = write;
	w->idle = idle;
	w->ctx = ctx;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->wake, NULL);
	pthread_cond_init(&w->done, NULL);
	err = -pthread_create(&w->thread, NULL, worker_main, w);
	if (err)
		goto fail;
	w->started = true;
	*out = w;
	return 0;
fail:
	free(w->ring);
	free(w->got);
	free(w->recs);
	free(w);
	return err;
}

/* Double the ring, keeping the queued records in order from index 0. */
static int ring_grow(struct hr_sink_worker *w)
{
	size_t cap = w->cap * 2;
	struct hr_shared_record **ring = malloc(cap * sizeof(*ring));

	if (!ring)
		return -ENOMEM;
	for (size_t i = 0; i < w->count; i++)
		ring[i] = w->ring[(w->head + i) % w->cap];
	free(w->ring);
	w->ring = ring;
	w->cap = cap;
	w->head = 0;
	return 0;
}

int hr_sink_worker_push(struct hr_sink_worker *w, struct hr_shared_record *s)
{
	int rc = 0;

	pthread_mutex_lock(&w->lock);
	if (w->stopping || s->bytes > w->max_bytes - w->bytes ||
	    (w->count == w->cap && ring_grow(w))) {
		w->st.queue_full++;
		rc = -ENOBUFS;
	} else {
		hr_shared_record_get(s);
		w->ring[(w->head + w->count) % w->cap] = s;
		w->count++;
		w->bytes += s->bytes;
		w->st.accepted++;
		/* Wake the thread only on the empty -> non-empty edge. */
		if (w->count == 1)
			pthread_cond_signal(&w->wake);
	}
	pthread_mutex_unlock(&w->lock);
	return rc;
}

void hr_sink_worker_drain(struct hr_sink_worker *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	pthread_cond_signal(&w->wake);
	while (w->count || w->busy)
		pthread_cond_wait(&w->done, &w->lock);
	pthread_mutex_unlock(&w->lock);
}

void hr_sink_worker_stats(struct hr_sink_worker *w, struct hr_sink_stats *st)
{
	pthread_mutex_lock(&w->lock);
	*st = w->st;
	pthread_mutex_unlock(&w->lock);
}

const char *hr_sink_worker_name(const struct hr_sink_worker *w)
{
	return w->name;
}

void hr_sink_worker_stop(struct hr_sink_worker *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = true;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	if (w->started)
		pthread_join(w->thread, NULL);
	/* Only if the thread died early: drop what is left, counted. */
	while (w->count) {
		hr_shared_record_put(w->ring[w->head]);
		w->head = (w->head + 1) % w->cap;
		w->count--;
		w->st.refused++;
	}
	pthread_cond_destroy(&w->wake);
	pthread_cond_destroy(&w->done);
	pthread_mutex_destroy(&w->lock);
	free(w->ring);
	free(w->got);
	free(w->recs);
	free(w);
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* bqueue.c - the bounded hand-off queue (bqueue.h). */
#include <errno.h>
#include <stdlib.h>
#include "common/bqueue.h"

#define RING_FIRST 1024

int hr_bq_init(struct hr_bqueue *q, size_t max_bytes, size_t wake_at)
{
	*q = (struct hr_bqueue){.max_bytes = max_bytes, .wake_at = wake_at ? wake_at : 1};
	q->ring = malloc(RING_FIRST * sizeof(*q->ring));
	if (!q->ring)
		return -ENOMEM;
	q->cap = RING_FIRST;
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->wake, NULL);
	pthread_cond_init(&q->done, NULL);
	pthread_cond_init(&q->room, NULL);
	return 0;
}

/* Double the ring, keeping the queued items in order from index 0. */
static int ring_grow(struct hr_bqueue *q)
{
	size_t cap = q->cap * 2;
	struct hr_bq_item *ring = malloc(cap * sizeof(*ring));

	if (!ring)
		return -ENOMEM;
	for (size_t i = 0; i < q->count; i++)
		ring[i] = q->ring[(q->head + i) % q->cap];
	free(q->ring);
	q->ring = ring;
	q->cap = cap;
	q->head = 0;
	return 0;
}

static bool before(const struct timespec *until)
{
	struct timespec now;

	if (!until)
		return true;
	clock_gettime(CLOCK_REALTIME, &now);
	return now.tv_sec < until->tv_sec ||
	       (now.tv_sec == until->tv_sec && now.tv_nsec < until->tv_nsec);
}

int hr_bq_push_wait(struct hr_bqueue *q, void *target, void *obj, size_t bytes,
		    const struct timespec *until)
{
	int rc = 0;

	pthread_mutex_lock(&q->lock);
	while (until && !q->stopping && bytes <= q->max_bytes && bytes > q->max_bytes - q->bytes &&
	       before(until)) {
		/* the consumer may be waiting for a whole batch: not now */
		pthread_cond_signal(&q->wake);
		q->waiting = true;
		pthread_cond_timedwait(&q->room, &q->lock, until);
	}
	if (q->stopping || bytes > q->max_bytes - q->bytes ||
	    (q->count == q->cap && ring_grow(q))) {
		rc = -ENOBUFS;
	} else {
		q->ring[(q->head + q->count) % q->cap] = (struct hr_bq_item){target, obj, bytes};
		q->count++;
		q->bytes += bytes;
		/* Only on the edge: one wake-up per batch, not per item. */
		if (q->count == q->wake_at)
			pthread_cond_signal(&q->wake);
	}
	pthread_mutex_unlock(&q->lock);
	return rc;
}

int hr_bq_push(struct hr_bqueue *q, void *target, void *obj, size_t bytes)
{
	return hr_bq_push_wait(q, target, obj, bytes, NULL);
}

long hr_bq_take(struct hr_bqueue *q, struct hr_bq_item *got, size_t max,
		const struct timespec *until)
{
	long n = 0;

	pthread_mutex_lock(&q->lock);
	while (!q->count && !q->stopping && before(until)) {
		if (until)
			pthread_cond_timedwait(&q->wake, &q->lock, until);
		else
			pthread_cond_wait(&q->wake, &q->lock);
	}
	if (!q->count && q->stopping) {
		pthread_cond_broadcast(&q->done);
		pthread_mutex_unlock(&q->lock);
		return -1;
	}
	while (q->count && (size_t)n < max) {
		got[n] = q->ring[q->head];
		q->head = (q->head + 1) % q->cap;
		q->count--;
		q->bytes -= got[n].bytes;
		n++;
	}
	if (n && q->waiting) {
		q->waiting = false;
		pthread_cond_broadcast(&q->room);
	}
	q->busy = true;
	pthread_mutex_unlock(&q->lock);
	return n;
}

void hr_bq_done(struct hr_bqueue *q)
{
	pthread_mutex_lock(&q->lock);
	q->busy = false;
	if (!q->count)
		pthread_cond_broadcast(&q->done);
	pthread_mutex_unlock(&q->lock);
}

void hr_bq_drain(struct hr_bqueue *q)
{
	pthread_mutex_lock(&q->lock);
	pthread_cond_signal(&q->wake);
	while (q->count || q->busy)
		pthread_cond_wait(&q->done, &q->lock);
	pthread_mutex_unlock(&q->lock);
}

void hr_bq_stop(struct hr_bqueue *q)
{
	pthread_mutex_lock(&q->lock);
	q->stopping = true;
	pthread_cond_signal(&q->wake);
	pthread_cond_broadcast(&q->room);
	pthread_mutex_unlock(&q->lock);
}

bool hr_bq_pop(struct hr_bqueue *q, struct hr_bq_item *it)
{
	bool got = false;

	pthread_mutex_lock(&q->lock);
	if (q->count) {
		*it = q->ring[q->head];
		q->head = (q->head + 1) % q->cap;
		q->count--;
		q->bytes -= it->bytes;
		got = true;
	}
	pthread_mutex_unlock(&q->lock);
	return got;
}

void hr_bq_fini(struct hr_bqueue *q)
{
	if (!q->ring)
		return;
	pthread_cond_destroy(&q->wake);
	pthread_cond_destroy(&q->done);
	pthread_cond_destroy(&q->room);
	pthread_mutex_destroy(&q->lock);
	free(q->ring);
	q->ring = NULL;
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* delivery.c - the delivery thread and its hand-off queue (delivery.h). */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>
#include "common/clock.h"
#include "common/log.h"
#include "deliver/delivery.h"

#define TICK_NS	   (100 * 1000000LL)
#define RING_FIRST 4096
#define BATCH	   1024 /* records added per hold of the lock */

struct item {
	void *target;
	struct hr_shared_record *rec;
};

struct hr_delivery {
	hr_delivery_add_fn add;
	hr_delivery_tick_fn tick;
	void *ctx;
	pthread_t thread;
	bool started;

	pthread_mutex_t work; /* the targets and what tick reaches */

	pthread_mutex_t lock; /* the queue */
	pthread_cond_t wake;  /* the thread: records, a tick due, or stop */
	pthread_cond_t done;  /* hr_delivery_lock(): all added */
	struct item *ring;
	size_t cap, head, count;
	size_t bytes, max_bytes;
	bool busy; /* the thread holds items outside the ring */
	bool stopping;
};

static int ring_grow(struct hr_delivery *d)
{
	size_t cap = d->cap ? d->cap * 2 : RING_FIRST;
	struct item *ring = malloc(cap * sizeof(*ring));

	if (!ring)
		return -ENOMEM;
	for (size_t i = 0; i < d->count; i++)
		ring[i] = d->ring[(d->head + i) % d->cap];
	free(d->ring);
	d->ring = ring;
	d->cap = cap;
	d->head = 0;
	return 0;
}

static void *delivery_main(void *arg)
{
	struct hr_delivery *d = arg;
	struct item got[BATCH];
	int64_t next_tick = 0;

	pthread_mutex_lock(&d->lock);
	for (;;) {
		int64_t now = hr_clock_ns(CLOCK_REALTIME);
		size_t n = 0;

		if (!d->count && !d->stopping && now < next_tick) {
			struct timespec until;

			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_nsec += (long)(next_tick - now);
			until.tv_sec += until.tv_nsec / 1000000000L;
			until.tv_nsec %= 1000000000L;
			pthread_cond_timedwait(&d->wake, &d->lock, &until);
			continue;
		}
		if (!d->count && d->stopping)
			break;
		while (d->count && n < BATCH) {
			got[n++] = d->ring[d->head];
			d->head = (d->head + 1) % d->cap;
			d->count--;
			d->bytes -= got[n - 1].rec->bytes;
		}
		d->busy = true;
		pthread_mutex_unlock(&d->lock);

		pthread_mutex_lock(&d->work);
		for (size_t i = 0; i < n; i++)
			d->add(got[i].target, &got[i].rec->rec);
		now = hr_clock_ns(CLOCK_REALTIME);
		/* also when the clock stepped back by more than a tick */
		if (now >= next_tick || next_tick - now > TICK_NS) {
			d->tick(d->ctx, now);
			next_tick = now + TICK_NS;
		}
		pthread_mutex_unlock(&d->work);
		for (size_t i = 0; i < n; i++)
			hr_shared_record_put(got[i].rec);

		pthread_mutex_lock(&d->lock);
		d->busy = false;
		if (!d->count)
			pthread_cond_broadcast(&d->done);
	}
	pthread_cond_broadcast(&d->done);
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

int hr_delivery_start(size_t max_bytes, hr_delivery_add_fn add, hr_delivery_tick_fn tick, void *ctx,
		      struct hr_delivery **out)
{
	struct hr_delivery *d;
	int err;

	*out = NULL;
	if (!max_bytes || !add || !tick)
		return -EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->add = add;
	d->tick = tick;
	d->ctx = ctx;
	d->max_bytes = max_bytes;
	pthread_mutex_init(&d->work, NULL);
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->wake, NULL);
	pthread_cond_init(&d->done, NULL);
	err = ring_grow(d);
	if (!err)
		err = -pthread_create(&d->thread, NULL, delivery_main, d);
	if (err) {
		hr_delivery_stop(d);
		return err;
	}
	d->started = true;
	*out = d;
	return 0;
}

int hr_delivery_push(struct hr_delivery *d, void *target, struct hr_shared_record *rec)
{
	int rc = 0;

	if (!d)
		return -ENOBUFS; /* stopped */
	pthread_mutex_lock(&d->lock);
	if (d->stopping || rec->bytes > d->max_bytes - d->bytes ||
	    (d->count == d->cap && ring_grow(d))) {
		rc = -ENOBUFS;
	} else {
		hr_shared_record_get(rec);
		d->ring[(d->head + d->count) % d->cap] = (struct item){target, rec};
		d->count++;
		d->bytes += rec->bytes;
		/* Wake the thread only on the empty -> non-empty edge. */
		if (d->count == 1)
			pthread_cond_signal(&d->wake);
	}
	pthread_mutex_unlock(&d->lock);
	return rc;
}

void hr_delivery_lock(struct hr_delivery *d)
{
	if (!d)
		return;
	pthread_mutex_lock(&d->lock);
	pthread_cond_signal(&d->wake);
	while (d->count || d->busy)
		pthread_cond_wait(&d->done, &d->lock);
	pthread_mutex_unlock(&d->lock);
	/* Only the loop pushes, and it is here: nothing new can come. */
	pthread_mutex_lock(&d->work);
}

void hr_delivery_unlock(struct hr_delivery *d)
{
	if (d)
		pthread_mutex_unlock(&d->work);
}

void hr_delivery_stop(struct hr_delivery *d)
{
	if (!d)
		return;
	pthread_mutex_lock(&d->lock);
	d->stopping = true;
	pthread_cond_signal(&d->wake);
	pthread_mutex_unlock(&d->lock);
	if (d->started)
		pthread_join(d->thread, NULL);
	/* Only if the thread never ran: nothing was pushed then. */
	while (d->count) {
		hr_shared_record_put(d->ring[d->head].rec);
		d->head = (d->head + 1) % d->cap;
		d->count--;
	}
	pthread_cond_destroy(&d->wake);
	pthread_cond_destroy(&d->done);
	pthread_mutex_destroy(&d->lock);
	pthread_mutex_destroy(&d->work);
	free(d->ring);
	free(d);
}

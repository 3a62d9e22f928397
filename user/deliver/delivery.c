// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* delivery.c - the delivery thread and its hand-off queue (delivery.h). */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>
#include "common/sandbox.h"
#include "common/bqueue.h"
#include "common/clock.h"
#include "deliver/delivery.h"

#define TICK_NS (100 * 1000000LL)
#define BATCH	1024 /* records added per hold of the lock */
/* How long the loop waits for room before it counts a record lost. While
 * it waits the kernel's ring buffer holds the burst (and counts what it
 * cannot hold), so the queue can be small; a thread stuck for longer is
 * not waited for again until it takes records. */
#define PUSH_WAIT_S 1

struct hr_delivery {
	hr_delivery_add_fn add;
	hr_delivery_tick_fn tick;
	void *ctx;
	pthread_t thread;
	bool started;

	pthread_mutex_t work; /* the targets and what tick reaches */
	struct hr_bqueue q;
	bool stalled; /* the last push found no room in time (the loop's) */
};

static void *delivery_main(void *arg)
{
	struct hr_delivery *d = arg;
	struct hr_bq_item got[BATCH];
	int64_t next_tick = 0;

	for (;;) {
		struct timespec until = {next_tick / 1000000000LL, next_tick % 1000000000LL};
		long n = hr_bq_take(&d->q, got, BATCH, &until);
		int64_t now;

		if (n < 0)
			break;
		pthread_mutex_lock(&d->work);
		for (long i = 0; i < n; i++)
			d->add(got[i].target, &((struct hr_shared_record *)got[i].obj)->rec);
		now = hr_clock_ns(CLOCK_REALTIME);
		/* also when the clock stepped back by more than a tick */
		if (now >= next_tick || next_tick - now > TICK_NS) {
			d->tick(d->ctx, now);
			next_tick = now + TICK_NS;
		}
		pthread_mutex_unlock(&d->work);
		for (long i = 0; i < n; i++)
			hr_shared_record_put(got[i].obj);
		hr_bq_done(&d->q);
	}
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
	pthread_mutex_init(&d->work, NULL);
	/* Woken only when a whole batch waits: a wake-up per record cost
	 * the loop a context switch each; the thread's own tick takes
	 * anything smaller within 100 ms. */
	err = hr_bq_init(&d->q, max_bytes, BATCH);
	if (!err)
		err = -hr_thread_create(&d->thread, delivery_main, d);
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
	int rc;

	if (!d)
		return -ENOBUFS; /* stopped */
	hr_shared_record_get(rec);
	if (d->stalled) {
		rc = hr_bq_push(&d->q, target, rec, rec->bytes);
	} else {
		struct timespec until;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += PUSH_WAIT_S;
		rc = hr_bq_push_wait(&d->q, target, rec, rec->bytes, &until);
	}
	d->stalled = rc != 0;
	if (rc)
		hr_shared_record_put(rec);
	return rc;
}

void hr_delivery_lock(struct hr_delivery *d)
{
	if (!d)
		return;
	hr_bq_drain(&d->q);
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
	struct hr_bq_item it;

	if (!d)
		return;
	if (d->q.ring) {
		hr_bq_stop(&d->q);
		if (d->started)
			pthread_join(d->thread, NULL);
		/* Only if the thread never ran: nothing was pushed then. */
		while (hr_bq_pop(&d->q, &it))
			hr_shared_record_put(it.obj);
		hr_bq_fini(&d->q);
	}
	pthread_mutex_destroy(&d->work);
	free(d);
}

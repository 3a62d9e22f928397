// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* test_common.c - the bounded set-associative table, the bounded queue. */
#include <errno.h>
#include <pthread.h>
#include "harness.h"
#include "common/bqueue.h"
#include "common/setassoc.h"

struct val {
	int n;
	bool done;
};

static bool done(const void *v, void *arg)
{
	return ((const struct val *)v)->done;
}

TEST(test_setassoc)
{
	struct hr_setassoc t;
	enum hr_sa_took took;
	struct val *v, *w;

	/* one set of 4 ways: every key lands in it */
	CHECK_INT(hr_setassoc_init(&t, 3, 4, sizeof(struct val)), 0);
	CHECK_INT(hr_setassoc_size(&t), 4);
	CHECK(hr_setassoc_find(&t, 7) == NULL);
	for (int k = 1; k <= 4; k++) {
		v = hr_setassoc_claim(&t, k, done, NULL, &took);
		CHECK_INT(took, HR_SA_EMPTY);
		CHECK_INT(v->n, 0);
		v->n = k;
	}
	v = hr_setassoc_claim(&t, 2, done, NULL, &took);
	CHECK_INT(took, HR_SA_OWN);
	CHECK_INT(v->n, 2);
	/* 1 is the least recently used unless touched */
	hr_setassoc_touch(&t, hr_setassoc_find(&t, 1));
	v = hr_setassoc_claim(&t, 5, done, NULL, &took);
	CHECK_INT(took, HR_SA_EVICTED);
	CHECK_INT(v->n, 3);
	CHECK(hr_setassoc_find(&t, 3) == NULL);
	v->n = 5;
	/* a spare slot goes before the least recently used */
	w = hr_setassoc_find(&t, 2);
	w->done = true;
	v = hr_setassoc_claim(&t, 6, done, NULL, &took);
	CHECK_INT(took, HR_SA_SPARE);
	CHECK(v == w);
	/* a dropped slot is empty and zeroed */
	hr_setassoc_drop(&t, v);
	CHECK(hr_setassoc_find(&t, 6) == NULL);
	v = hr_setassoc_claim(&t, 8, NULL, NULL, &took);
	CHECK_INT(took, HR_SA_EMPTY);
	CHECK(v == w && !v->done && v->n == 0);
	hr_setassoc_fini(&t);
}

struct consumer {
	struct hr_bqueue *q;
	long seen, sum, batches;
	bool out_of_order;
};

static void *consume(void *arg)
{
	struct consumer *c = arg;
	struct hr_bq_item got[16];
	long n;

	while ((n = hr_bq_take(c->q, got, 16, NULL)) >= 0) {
		for (long i = 0; i < n; i++) {
			c->sum += (long)(intptr_t)got[i].obj;
			c->out_of_order |= (long)(intptr_t)got[i].obj != c->seen + 1;
			c->seen++;
		}
		c->batches += n > 0;
		hr_bq_done(c->q);
	}
	return NULL;
}

/* Bytes bound the queue, not items; the consumer sees every item once and in
 * order; drain returns only when all were worked on; a stopped queue takes
 * nothing more and its consumer ends once empty. */
TEST(test_bqueue)
{
	struct hr_bqueue q;
	struct hr_bq_item it;
	struct consumer c = {.q = &q};
	struct timespec past = {0, 0};
	pthread_t t;
	long want = 0;

	CHECK_INT(hr_bq_init(&q, 100, 1), 0);
	CHECK_INT(hr_bq_push(&q, NULL, (void *)1, 60), 0);
	CHECK_INT(hr_bq_push(&q, NULL, (void *)2, 41), -ENOBUFS); /* 101 > 100 */
	CHECK_INT(hr_bq_push(&q, NULL, (void *)3, 40), 0);	  /* 100: fits */
	/* a deadline in the past with items waiting still takes them */
	CHECK_INT(hr_bq_take(&q, &it, 1, &past), 1);
	CHECK((intptr_t)it.obj == 1 && it.bytes == 60);
	hr_bq_done(&q);
	CHECK_INT(hr_bq_push(&q, NULL, (void *)4, 60), 0); /* the 60 were given back */
	CHECK(hr_bq_pop(&q, &it) && (intptr_t)it.obj == 3);
	CHECK(hr_bq_pop(&q, &it) && (intptr_t)it.obj == 4);
	CHECK(!hr_bq_pop(&q, &it));
	CHECK_INT(hr_bq_take(&q, &it, 1, &past), 0); /* empty, deadline passed */
	hr_bq_done(&q);
	hr_bq_fini(&q);

	/* a consumer thread, the ring growing past its first 1,024 slots */
	CHECK_INT(hr_bq_init(&q, 1 << 20, 64), 0);
	CHECK_INT(pthread_create(&t, NULL, consume, &c), 0);
	for (long i = 1; i <= 5000; i++) {
		CHECK_INT(hr_bq_push(&q, NULL, (void *)(intptr_t)i, 1), 0);
		want += i;
	}
	hr_bq_drain(&q);
	CHECK_INT(c.seen, 5000);
	CHECK(c.sum == want && !c.out_of_order);
	hr_bq_stop(&q);
	CHECK_INT(hr_bq_push(&q, NULL, (void *)1, 1), -ENOBUFS);
	CHECK_INT(pthread_join(t, NULL), 0);
	CHECK_INT(c.seen, 5000);
	hr_bq_fini(&q);
}

static struct timespec in_ms(long ms)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	t.tv_nsec += ms * 1000000L;
	t.tv_sec += t.tv_nsec / 1000000000L;
	t.tv_nsec %= 1000000000L;
	return t;
}

/* A producer that may wait (the capture loop before the delivery thread):
 * a queue far smaller than the burst loses nothing while its consumer
 * runs, even one woken only per 64 items; with no consumer, the wait ends
 * at its deadline with a refusal; an item over the whole bound is refused
 * without waiting. */
TEST(test_bqueue_push_wait)
{
	struct hr_bqueue q;
	struct consumer c = {.q = &q};
	struct timespec until;
	pthread_t t;
	long want = 0;

	CHECK_INT(hr_bq_init(&q, 10, 64), 0);
	until = in_ms(50);
	for (int i = 0; i < 10; i++)
		CHECK_INT(hr_bq_push_wait(&q, NULL, (void *)(intptr_t)(i + 1), 1, &until), 0);
	CHECK_INT(hr_bq_push_wait(&q, NULL, (void *)11, 1, &until), -ENOBUFS); /* no consumer */
	CHECK_INT(hr_bq_push_wait(&q, NULL, (void *)11, 11, NULL), -ENOBUFS);  /* never fits */
	for (long i = 1; i <= 10; i++)
		want += i;
	CHECK_INT(pthread_create(&t, NULL, consume, &c), 0);
	for (long i = 11; i <= 5000; i++) {
		until = in_ms(10000); /* a deadline only a wedged consumer reaches */
		CHECK_INT(hr_bq_push_wait(&q, NULL, (void *)(intptr_t)i, 1, &until), 0);
		want += i;
	}
	hr_bq_drain(&q);
	CHECK_INT(c.seen, 5000);
	CHECK(c.sum == want && !c.out_of_order);
	hr_bq_stop(&q);
	CHECK_INT(hr_bq_push_wait(&q, NULL, (void *)1, 1, &until), -ENOBUFS); /* stopped */
	CHECK_INT(pthread_join(t, NULL), 0);
	hr_bq_fini(&q);
}

int main(void)
{
	RUN(test_setassoc);
	RUN(test_bqueue);
	RUN(test_bqueue_push_wait);
	TEST_MAIN_END();
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* test_common.c - the bounded set-associative table. */
#include "harness.h"
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

int main(void)
{
	RUN(test_setassoc);
	TEST_MAIN_END();
}

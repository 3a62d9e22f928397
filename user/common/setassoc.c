// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* setassoc.c - bounded set-associative table (see setassoc.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/setassoc.h"

int hr_setassoc_init(struct hr_setassoc *t, size_t max, size_t ways, size_t vsize)
{
	size_t sets = 1;

	memset(t, 0, sizeof(*t));
	while (sets * ways < max)
		sets <<= 1;
	t->way = calloc(sets * ways, sizeof(*t->way));
	t->val = calloc(sets * ways, vsize);
	if (!t->way || !t->val) {
		hr_setassoc_fini(t);
		return -ENOMEM;
	}
	t->vsize = vsize;
	t->ways = ways;
	t->nsets = sets;
	return 0;
}

void hr_setassoc_fini(struct hr_setassoc *t)
{
	free(t->way);
	free(t->val);
	memset(t, 0, sizeof(*t));
}

size_t hr_setassoc_size(const struct hr_setassoc *t)
{
	return t->nsets * t->ways;
}

void *hr_setassoc_slot(struct hr_setassoc *t, size_t i)
{
	return t->val + i * t->vsize;
}

static size_t index_of(const struct hr_setassoc *t, const void *v)
{
	return (size_t)((const unsigned char *)v - t->val) / t->vsize;
}

/* The first slot of key's set. Fibonacci hashing spreads consecutive ids
 * (pids, uids, session ids) over the sets. */
static size_t set_of(const struct hr_setassoc *t, uint64_t key)
{
	return ((size_t)((key * 0x9e3779b97f4a7c15ULL) >> 32) & (t->nsets - 1)) * t->ways;
}

void *hr_setassoc_find(struct hr_setassoc *t, uint64_t key)
{
	size_t first = set_of(t, key);

	for (size_t i = first; i < first + t->ways; i++)
		if (t->way[i].valid && t->way[i].key == key)
			return hr_setassoc_slot(t, i);
	return NULL;
}

void hr_setassoc_touch(struct hr_setassoc *t, void *v)
{
	t->way[index_of(t, v)].used = ++t->tick;
}

void *hr_setassoc_claim(struct hr_setassoc *t, uint64_t key,
			bool (*spare)(const void *v, void *arg), void *arg, enum hr_sa_took *took)
{
	size_t first = set_of(t, key), end = first + t->ways, v = end;
	struct hr_sa_way *w = t->way;

	for (size_t i = first; i < end && v == end; i++)
		if (w[i].valid && w[i].key == key) {
			v = i;
			*took = HR_SA_OWN;
		}
	for (size_t i = first; i < end && v == end; i++)
		if (!w[i].valid) {
			v = i;
			*took = HR_SA_EMPTY;
		}
	for (size_t i = first; spare && i < end && v == end; i++)
		if (spare(hr_setassoc_slot(t, i), arg)) {
			v = i;
			*took = HR_SA_SPARE;
		}
	if (v == end) {
		v = first;
		for (size_t i = first + 1; i < end; i++)
			if (w[i].used < w[v].used)
				v = i;
		*took = HR_SA_EVICTED;
	}
	w[v].valid = true;
	w[v].key = key;
	w[v].used = ++t->tick;
	return hr_setassoc_slot(t, v);
}

void hr_setassoc_drop(struct hr_setassoc *t, void *v)
{
	size_t i = index_of(t, v);

	memset(&t->way[i], 0, sizeof(t->way[i]));
	memset(v, 0, t->vsize);
}

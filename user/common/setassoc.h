/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * setassoc.h - a bounded set-associative table: a fixed number of sets of
 * `ways` slots, a key hashed to one set, the least recently used slot of
 * a full set replaced. Memory stays bounded however many keys come by.
 *
 * The table keeps each slot's key, validity and last use; what a slot
 * holds (vsize bytes, zeroed at first) is the caller's, including freeing
 * what it points at before a claim replaces it.
 */
#ifndef HOSTRAIL_COMMON_SETASSOC_H
#define HOSTRAIL_COMMON_SETASSOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hr_sa_way {
	uint64_t key;
	uint64_t used; /* tick of last use: the least recent goes */
	bool valid;
};

struct hr_setassoc {
	struct hr_sa_way *way;
	unsigned char *val;
	size_t vsize, ways, nsets; /* nsets: a power of two */
	uint64_t tick;
};

/* How a claim got its slot. */
enum hr_sa_took {
	HR_SA_OWN,     /* the key's own slot */
	HR_SA_EMPTY,   /* a slot never used or dropped */
	HR_SA_SPARE,   /* one the caller's spare() gave up (expired, closed) */
	HR_SA_EVICTED, /* the least recently used of a full set */
};

/* Room for at least max entries (rounded up to whole power-of-two sets).
 * 0 or -ENOMEM. */
int hr_setassoc_init(struct hr_setassoc *t, size_t max, size_t ways, size_t vsize);
void hr_setassoc_fini(struct hr_setassoc *t);

/* Every slot, valid or not, for freeing what they own: i < hr_setassoc_size(t). */
size_t hr_setassoc_size(const struct hr_setassoc *t);
void *hr_setassoc_slot(struct hr_setassoc *t, size_t i);

/* key's slot, or NULL. Does not count as a use. */
void *hr_setassoc_find(struct hr_setassoc *t, uint64_t key);
/* Mark a slot as just used. */
void hr_setassoc_touch(struct hr_setassoc *t, void *v);
/*
 * A slot for key, valid and just used: its own, else an empty one, else
 * one spare() (may be NULL) says may go, else the least recently used.
 * *took says which; the slot's old contents are left for the caller.
 */
void *hr_setassoc_claim(struct hr_setassoc *t, uint64_t key,
			bool (*spare)(const void *v, void *arg), void *arg, enum hr_sa_took *took);
/* Forget a slot: empty, its contents zeroed (the caller freed them). */
void hr_setassoc_drop(struct hr_setassoc *t, void *v);

#endif

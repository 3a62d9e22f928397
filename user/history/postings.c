// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * postings.c - the history's inverted index, built in memory for a batch
 * of records and written as one row per (attribute, value, time window).
 *
 * A row lists the blocks that hold the value and, for each, which of its
 * records (a mask). Per value, not per record: under load the agent
 * stores 4,096 records at a time, and the 50 users, 10 call names or
 * 3 resource types among them are 50, 10 and 3 rows, where an index
 * entry per record would be 4,096 of each. A value every record has
 * alone (an eventID) is still one row per record, appended at the end of
 * its range.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "history/postings.h"
#include "history/format.h"

struct posting {
	int a;
	const void *v;
	size_t len;
	int64_t window;
	int first, last; /* entries, a list in block order */
};

struct entry {
	int64_t blk, tmax;
	uint32_t mask;
	int next;
};

struct hr_postings {
	struct posting *p;
	int n, cap;
	struct entry *e;
	int ne, ecap;
	int32_t *slot; /* -1: empty */
	size_t nslots;
	unsigned char (*uuids)[16]; /* the batch's event id values */
	size_t nuuids, uuid_cap;
	unsigned char *blob;
	size_t blob_cap;
};

struct hr_postings *hr_postings_new(void)
{
	return calloc(1, sizeof(struct hr_postings));
}

void hr_postings_free(struct hr_postings *ps)
{
	if (!ps)
		return;
	free(ps->p);
	free(ps->e);
	free(ps->slot);
	free(ps->uuids);
	free(ps->blob);
	free(ps);
}

static int grow(void **buf, size_t *cap, size_t want, size_t size)
{
	void *b;

	if (want <= *cap)
		return 0;
	b = realloc(*buf, want * size);
	if (!b)
		return -ENOMEM;
	*buf = b;
	*cap = want;
	return 0;
}

/* The most one record adds: see hr_postings_add. */
#define PER_RECORD (7 + 2 * HR_RECORD_MAX_RESOURCES)

int hr_postings_begin(struct hr_postings *ps, size_t rows)
{
	size_t most = rows * PER_RECORD + 1, slots = 64, cap;

	while (slots < 2 * most) /* at most half full */
		slots *= 2;
	if (slots > ps->nslots) {
		int32_t *s = realloc(ps->slot, slots * sizeof(*s));

		if (!s)
			return -ENOMEM;
		ps->slot = s;
		ps->nslots = slots;
	}
	memset(ps->slot, 0xff, ps->nslots * sizeof(*ps->slot));
	cap = (size_t)ps->cap;
	if (grow((void **)&ps->p, &cap, most, sizeof(*ps->p)))
		return -ENOMEM;
	ps->cap = (int)cap;
	cap = (size_t)ps->ecap;
	if (grow((void **)&ps->e, &cap, most, sizeof(*ps->e)))
		return -ENOMEM;
	ps->ecap = (int)cap;
	if (grow((void **)&ps->uuids, &ps->uuid_cap, rows + 1, sizeof(*ps->uuids)))
		return -ENOMEM;
	ps->n = ps->ne = 0;
	ps->nuuids = 0;
	return 0;
}

static uint64_t value_hash(int a, const void *v, size_t len, int64_t window)
{
	uint64_t hash = 0xcbf29ce484222325ULL ^ (uint64_t)a ^ (uint64_t)window << 8;
	const unsigned char *b = v;

	for (size_t i = 0; i < len; i++) /* FNV-1a */
		hash = (hash ^ b[i]) * 0x100000001b3ULL;
	return hash;
}

static void add(struct hr_postings *ps, int a, const void *v, size_t len, int64_t blk, int64_t tmax,
		size_t place)
{
	int64_t window = tmax >> HR_HISTORY_WINDOW_SHIFT;
	size_t mask = ps->nslots - 1, i;
	struct posting *p = NULL;
	struct entry *e;

	for (i = value_hash(a, v, len, window) & mask; ps->slot[i] >= 0; i = (i + 1) & mask) {
		struct posting *q = &ps->p[ps->slot[i]];

		if (q->a == a && q->window == window && q->len == len && !memcmp(q->v, v, len)) {
			p = q;
			break;
		}
	}
	if (p && ps->e[p->last].blk == blk) {
		ps->e[p->last].mask |= 1u << place;
		return;
	}
	if (ps->ne == ps->ecap || (!p && ps->n == ps->cap))
		return; /* cannot happen: hr_postings_begin sized both */
	e = &ps->e[ps->ne];
	*e = (struct entry){.blk = blk, .tmax = tmax, .mask = 1u << place, .next = -1};
	if (p) {
		ps->e[p->last].next = ps->ne;
		p->last = ps->ne++;
		return;
	}
	ps->slot[i] = ps->n;
	ps->p[ps->n++] = (struct posting){
		.a = a, .v = v, .len = len, .window = window, .first = ps->ne, .last = ps->ne};
	ps->ne++;
}

static void add_text(struct hr_postings *ps, int a, const char *s, int64_t blk, int64_t tmax,
		     size_t place)
{
	if (s)
		add(ps, a, s, strlen(s), blk, tmax, place);
}

void hr_postings_add(struct hr_postings *ps, const struct hr_history_row *r, int cat, int64_t blk,
		     int64_t tmax, size_t place)
{
	const void *id;
	size_t n;

	if (ps->nuuids == ps->uuid_cap)
		return; /* cannot happen: hr_postings_begin sized it */
	n = hr_history_id_value(r->event_id, ps->uuids[ps->nuuids++], &id);
	add(ps, HR_ATTR_EVENT_ID, id, n, blk, tmax, place);
	add_text(ps, HR_ATTR_EVENT_NAME, r->event_name, blk, tmax, place);
	add_text(ps, HR_ATTR_EVENT_SOURCE, r->event_source, blk, tmax, place);
	add_text(ps, HR_ATTR_USERNAME, r->user_name, blk, tmax, place);
	add_text(ps, HR_ATTR_ACCESS_KEY_ID, r->access_key_id, blk, tmax, place);
	/* "true"/"false": what a lookup asks for, as CloudTrail writes it */
	add_text(ps, HR_ATTR_READ_ONLY, r->read_only ? "true" : "false", blk, tmax, place);
	for (int i = 0; i < r->n_resources && i < HR_RECORD_MAX_RESOURCES; i++) {
		add_text(ps, HR_ATTR_RESOURCE_TYPE, r->resources[i].type, blk, tmax, place);
		add_text(ps, HR_ATTR_RESOURCE_NAME, r->resources[i].name, blk, tmax, place);
	}
	if (cat == HR_CAT_INSIGHT)
		add_text(ps, HR_POSTING_INSIGHT, "Insight", blk, tmax, place);
}

/* One row per posting: key (p, a, v, tmax, blk) with tmax the newest of
 * its blocks and blk the first; the entries relative to those. */
int hr_postings_flush(struct hr_postings *ps, sqlite3_stmt *ins)
{
	for (int i = 0; i < ps->n; i++) {
		const struct posting *p = &ps->p[i];
		int64_t tmax = INT64_MIN, first = ps->e[p->first].blk;
		size_t k = 0, n = 0;

		for (int j = p->first; j >= 0; j = ps->e[j].next, n++)
			if (ps->e[j].tmax > tmax)
				tmax = ps->e[j].tmax;
		if (grow((void **)&ps->blob, &ps->blob_cap, n * HR_HISTORY_ENTRY, 1))
			return -ENOMEM;
		for (int j = p->first; j >= 0; j = ps->e[j].next, k += HR_HISTORY_ENTRY) {
			hr_history_put32(ps->blob + k, (uint32_t)(ps->e[j].blk - first));
			hr_history_put32(ps->blob + k + 4, (uint32_t)(tmax - ps->e[j].tmax));
			hr_history_put32(ps->blob + k + 8, ps->e[j].mask);
		}
		sqlite3_bind_int64(ins, 1, hr_history_part(tmax));
		sqlite3_bind_int(ins, 2, p->a);
		sqlite3_bind_blob(ins, 3, p->v, (int)p->len, SQLITE_STATIC);
		sqlite3_bind_int64(ins, 4, tmax);
		sqlite3_bind_int64(ins, 5, first);
		sqlite3_bind_blob(ins, 6, ps->blob, (int)k, SQLITE_STATIC);
		int rc = sqlite3_step(ins);

		sqlite3_reset(ins);
		if (rc != SQLITE_DONE)
			return -EIO;
	}
	ps->n = ps->ne = 0;
	ps->nuuids = 0;
	memset(ps->slot, 0xff, ps->nslots * sizeof(*ps->slot));
	return 0;
}

/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* internal.h - what history.c (storage) and query.c (LookupEvents) share. */
#ifndef HOSTRAIL_HISTORY_INTERNAL_H
#define HOSTRAIL_HISTORY_INTERNAL_H

#include <limits.h>
#include <sqlite3.h>
#include <zlib.h>
#include "history/history.h"

/* eventCategory as stored: a small integer, not indexed. */
enum { HR_CAT_MANAGEMENT = 0, HR_CAT_DATA = 1, HR_CAT_INSIGHT = 2, HR_CAT_OTHER = 3 };

struct hr_history {
	sqlite3 *db;
	char path[PATH_MAX];
	enum hr_history_mode mode;
	unsigned retention_days;
	int64_t last_prune;
	sqlite3_stmt *ins_event, *ins_block, *get_block, *ins_res, *has_id;
	sqlite3_stmt *begin, *commit, *rollback;
	z_stream zd, zi;
	bool zd_ok, zi_ok;
	unsigned char *zbuf;			/* a block being written, deflated */
	size_t zcap;
	char *blk_buf;				/* the block last read, inflated */
	size_t blk_cap, blk_len;
	int64_t blk_id;				/* -1: none */
	unsigned char token_key[32];
	uint64_t duplicates;			/* REBUILD: already present */
	char *page_buf[HR_LOOKUP_MAX_RESULTS];	/* inflated records of a page */
	size_t page_cap[HR_LOOKUP_MAX_RESULTS];
};

/* The event id as stored: 16 bytes for a UUID, else the text. */
int hr_history_bind_event_id(sqlite3_stmt *st, int col, const char *event_id);
/*
 * The ResourceName index is on (time bucket, name hash, time): names come
 * in no order, and an index on the name alone takes each insert to a
 * random page, which costs a page write per record at commit. Inside the
 * current bucket the pages stay few and hot. Part of the on-disk format.
 */
#define HR_HISTORY_NAME_BUCKET_SQL "12"	/* t >> 12: buckets of 4096 s */
static inline int64_t hr_history_name_bucket(int64_t t)
{
	return t >> 12;
}
/* resources.nh: the hash the ResourceName index is on (FNV-1a, 64 bits;
 * part of the on-disk format). */
int64_t hr_history_name_hash(const char *name);
/* An event's id from its block and place in it, and back. */
int64_t hr_history_event_pos(int64_t blk, size_t place);
int64_t hr_history_event_block(int64_t id);
/* Record bytes off..off+len of event id's block into *buf (grown as
 * needed), NUL-terminated. 0, or -EBADMSG (damaged, missing) or -ENOMEM. */
int hr_history_record(struct hr_history *h, int64_t id, int64_t off, int64_t len,
		      char **buf, size_t *cap);

#endif

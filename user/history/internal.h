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
	sqlite3_stmt *ins_event, *ins_res, *has_id, *begin, *commit, *rollback;
	z_stream zd, zi;
	bool zd_ok, zi_ok;
	unsigned char *zbuf;
	size_t zcap;
	unsigned char token_key[32];
	uint64_t duplicates;			/* REBUILD: already present */
	char *page_buf[HR_LOOKUP_MAX_RESULTS];	/* inflated records of a page */
	size_t page_cap[HR_LOOKUP_MAX_RESULTS];
};

/* The event id as stored: 16 bytes for a UUID, else the text. */
int hr_history_bind_event_id(sqlite3_stmt *st, int col, const char *event_id);
/* Inflate a stored record into *buf (grown as needed). 0 or -EBADMSG/-ENOMEM. */
int hr_history_inflate(struct hr_history *h, const void *blob, size_t n, char **buf,
		       size_t *cap, size_t *len);

#endif

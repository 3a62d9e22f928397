/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* history_int.h - the open history, shared by history.c (storage) and query.c (LookupEvents). */
#ifndef HOSTRAIL_HISTORY_INT_H
#define HOSTRAIL_HISTORY_INT_H

#include <limits.h>
#include <stdbool.h>
#include <sqlite3.h>
#include <zstd.h>
#include "history/history.h"

struct hr_postings;

struct hr_history {
	sqlite3 *db;
	char path[PATH_MAX];
	enum hr_history_mode mode;
	unsigned retention_days;
	int64_t last_prune;
	sqlite3_stmt *ins_block, *get_block, *ins_posting, *has_id;
	sqlite3_stmt *begin, *commit, *rollback;
	ZSTD_CCtx *zc; /* the writer's */
	ZSTD_CDict *cdict;
	ZSTD_DCtx *zx;
	ZSTD_DDict *ddict;
	struct hr_postings *postings; /* a block's postings being built */
	unsigned char *zbuf;	      /* a block being written, compressed */
	size_t zcap;
	char *blk_buf; /* the block last read, decompressed */
	size_t blk_cap, blk_len;
	int64_t blk_id; /* -1: none */
	unsigned char token_key[32];
	uint64_t duplicates; /* REBUILD: already present */
	bool skip_stored;    /* this add skips stored eventIDs (REBUILD, a restore) */
	char *page_buf[HR_LOOKUP_MAX_RESULTS]; /* the records of a page */
	size_t page_cap[HR_LOOKUP_MAX_RESULTS];
};

/* Record bytes off..off+len of event id's block into *buf (grown as
 * needed), NUL-terminated. 0, or -EBADMSG (damaged, missing) or -ENOMEM. */
int hr_history_record(struct hr_history *h, int64_t id, int64_t off, int64_t len, char **buf,
		      size_t *cap);

#endif

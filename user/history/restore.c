// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * restore.c - a delivered log file's records into the history, skipping the
 * eventIDs it already holds. `hostrail rebuild-history` and the agent's
 * catch-up (deliver/out_history.c) both go through here.
 *
 * A log file is {"Records":[{...},{...}]} in one gzip member, and a burst's
 * five-minute batch inflates to a gigabyte or more: it is read as a stream,
 * one record in memory at a time, never as one JSON document.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>

#include "common/files.h"
#include "common/grow.h"
#include "common/gz.h"
#include "history/history_int.h"
#include "history/rows.h"

#define BATCH	   512
#define RECORD_CAP (1u << 20) /* larger than any record hostrail writes */

struct restore {
	struct hr_history *h;
	struct hr_history_restore *st;
	bool live_skip; /* the caller's skip_stored, put back after each store */
	/* the scanner (step()) and the record it is in */
	int depth;
	bool in_str, esc, skipping;
	char *rec;
	size_t len, cap;
	/* records parsed, not stored yet (rows point into doc[] and text[]) */
	struct hr_history_row rows[BATCH];
	json_t *doc[BATCH];
	char *text[BATCH];
	size_t n;
};

static void store(struct restore *r)
{
	uint64_t dups = r->h->duplicates;
	size_t failed;

	if (!r->n)
		return;
	hr_history_skip_stored(r->h, true);
	failed = hr_history_add(r->h, r->rows, r->n);
	hr_history_skip_stored(r->h, r->live_skip);
	r->st->duplicates += r->h->duplicates - dups;
	r->st->failed += failed;
	r->st->stored += r->n - failed - (r->h->duplicates - dups);
	for (size_t i = 0; i < r->n; i++) {
		json_decref(r->doc[i]);
		free(r->text[i]);
	}
	r->n = 0;
}

/* One whole record's text: parsed, queued for the next store(). */
static void take_record(struct restore *r)
{
	json_t *doc = json_loadb(r->rec, r->len, 0, NULL);
	char *text = doc ? strndup(r->rec, r->len) : NULL; /* the bytes as written */

	if (!text || hr_history_row_from_json(doc, text, r->len, &r->rows[r->n])) {
		json_decref(doc);
		free(text);
		r->st->bad_records++;
		return;
	}
	r->doc[r->n] = doc;
	r->text[r->n++] = text;
	if (r->n == BATCH)
		store(r);
}

static int keep_byte(struct restore *r, char c)
{
	if (r->skipping)
		return 0;
	if (r->len + 1 > RECORD_CAP) { /* counted once, when it ends */
		r->skipping = true;
		return 0;
	}
	if (hr_grow(&r->rec, &r->cap, r->len, 1, 4096))
		return -ENOMEM;
	r->rec[r->len++] = c;
	return 0;
}

/* The bracket depth outside strings says where a record is: the log's
 * object is depth 1, "Records" 2, a record 3 and deeper. */
static void step(struct restore *r, char c)
{
	if (r->in_str) {
		if (r->esc)
			r->esc = false;
		else if (c == '\\')
			r->esc = true;
		else if (c == '"')
			r->in_str = false;
	} else if (c == '"') {
		r->in_str = true;
	} else if (c == '{' || c == '[') {
		r->depth++;
	} else if ((c == '}' || c == ']') && r->depth > 0) {
		r->depth--;
	}
}

static int scan(void *arg, const unsigned char *p, size_t n)
{
	struct restore *r = arg;

	for (size_t i = 0; i < n; i++) {
		bool was_in = r->depth >= 3, now_in;

		step(r, (char)p[i]);
		now_in = r->depth >= 3;
		if (!was_in && now_in) { /* a record begins */
			r->len = 0;
			r->skipping = false;
		}
		if ((was_in || now_in) && keep_byte(r, (char)p[i]))
			return -ENOMEM;
		if (was_in && !now_in) { /* and ends */
			if (r->skipping)
				r->st->bad_records++;
			else
				take_record(r);
		}
	}
	return 0;
}

int hr_history_restore_log(struct hr_history *h, int bucket_fd, const char *key,
			   struct hr_history_restore *st)
{
	struct restore *r;
	int fd, err;

	if (!h || h->mode == HR_HISTORY_READ)
		return -EINVAL;
	fd = hr_bucket_open(bucket_fd, key);
	if (fd < 0)
		return fd;
	r = calloc(1, sizeof(*r));
	if (!r) {
		close(fd);
		return -ENOMEM;
	}
	r->h = h;
	r->st = st;
	r->live_skip = h->skip_stored;
	err = hr_gz_inflate_fd(fd, NULL, NULL, scan, r);
	close(fd);
	store(r);
	if (!err && (r->depth != 0 || r->in_str))
		err = -EBADMSG; /* a truncated file: what was whole is stored */
	free(r->rec);
	free(r);
	return err > 0 ? -EBADMSG : err;
}

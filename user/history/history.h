/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * history.h - the event history: every record once, in an SQLite database
 * at <stateDir>/history.db, indexed for the eight LookupEvents attributes
 * and time, pruned to historyRetentionDays (docs/history.md).
 *
 * One writer (the agent's history sink worker) and any number of readers
 * (`hostrail lookup-events`): WAL mode, synchronous=NORMAL, one transaction
 * per batch of records. The record itself is kept compressed (zstd) against a preset
 * dictionary of what every record repeats.
 */
#ifndef HOSTRAIL_HISTORY_H
#define HOSTRAIL_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "history/rows.h"

#define HR_HISTORY_FILE "history.db"

struct hr_history;

enum hr_history_mode {
	HR_HISTORY_WRITE,   /* the agent: create; a corrupt file is moved aside */
	HR_HISTORY_REBUILD, /* rebuild-history: WRITE, skipping eventIDs already stored */
	HR_HISTORY_READ,    /* lookup-events: must exist, read-only */
};

/*
 * Open <state_dir>/history.db. retention_days prunes in WRITE mode (0:
 * never). err gets one sentence on failure. Returns 0, -ENOENT (READ mode,
 * no database), -EBADMSG (READ mode, not a usable database), or -errno.
 */
int hr_history_open(const char *state_dir, enum hr_history_mode mode, unsigned retention_days,
		    struct hr_history **out, char *err, size_t errlen);
/* Records skipped because their eventID was already stored: always in
 * REBUILD mode, in WRITE mode while skip_stored is on (a catch-up). */
uint64_t hr_history_duplicates(const struct hr_history *h);
void hr_history_skip_stored(struct hr_history *h, bool on);
void hr_history_close(struct hr_history *h); /* NULL-safe */

/* Store rows in one transaction (the worker hands over up to 4096: fewer
 * commits write each index page fewer times). Returns how many were not
 * stored. */
size_t hr_history_add(struct hr_history *h, const struct hr_history_row *rows, size_t n);
/* The same for records: the sink worker's write function. */
size_t hr_history_write(void *h, const struct hr_record *const *recs, size_t n);
/* Delete what is older than the retention, if due (at most hourly). */
void hr_history_maybe_prune(void *h);
int hr_history_prune(struct hr_history *h, int64_t now_sec);
/* Rows stored (an exact count; a full scan on a large history). */
int64_t hr_history_count(struct hr_history *h);

/* ---- from delivered log files (restore.c) ---- */

struct hr_history_restore {
	uint64_t stored;      /* records put in */
	uint64_t duplicates;  /* their eventID was held already */
	uint64_t failed;      /* SQLite did not take them */
	uint64_t bad_records; /* not a record the history can index */
};

/*
 * The records of log file key (under the bucket folder bucket_fd) that the
 * history does not hold yet, read as a stream; counts added to st. 0,
 * -ENOENT, -EBADMSG (damaged or truncated: the whole records before the
 * damage are stored) or -errno.
 */
int hr_history_restore_log(struct hr_history *h, int bucket_fd, const char *key,
			   struct hr_history_restore *st);

/* ---- LookupEvents (query.c) ---- */

#define HR_LOOKUP_MAX_RESULTS 50
#define HR_LOOKUP_VALUE_MAX   2000

struct hr_lookup {
	enum hr_lookup_attr attr;
	char value[HR_LOOKUP_VALUE_MAX + 1];
	int64_t start_sec, end_sec; /* inclusive */
	bool insight;		    /* --event-category insight */
	int max_results;	    /* 1..50 */
	const char *next_token;	    /* NULL: the first page */
};

/* One event of the answer; strings point into the history's buffers and
 * stay valid until the next lookup. */
struct hr_lookup_event {
	int64_t time_sec;
	const char *record; /* the whole record, JSON */
	size_t len;
};

struct hr_lookup_page {
	struct hr_lookup_event events[HR_LOOKUP_MAX_RESULTS];
	int n;
	char next_token[128]; /* "" on the last page */
};

/* "AttributeKey=K,AttributeValue=V" (aws-cli shorthand) into q. 0 or -EINVAL
 * with err saying what is wrong. */
int hr_lookup_parse_attribute(const char *arg, struct hr_lookup *q, char *err, size_t errlen);
/* Run one page. -EINVAL with err for a bad, forged or stale next-token. */
int hr_history_lookup(struct hr_history *h, const struct hr_lookup *q, struct hr_lookup_page *page,
		      char *err, size_t errlen);

/* Token helpers, exposed for the unit tests. */
int hr_lookup_token_make(const unsigned char key[32], const struct hr_lookup *q, int64_t t,
			 int64_t id, int64_t now, char *out, size_t len);
int hr_lookup_token_check(const unsigned char key[32], const struct hr_lookup *q, const char *token,
			  int64_t now, int64_t *t, int64_t *id, char *err, size_t errlen);

#endif

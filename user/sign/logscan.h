/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * logscan.h - read the records of a log file for what the validator checks
 * against its digest: each record's eventTime, and whether one of them is
 * StopLogging.
 *
 * The fast path is a streaming scan over the inflated bytes (fed chunk by
 * chunk while they are being hashed) that understands JSON strings, nesting
 * and the {"Records":[{...},...]} envelope, and looks only at the keys of
 * each record object itself (a nested "eventTime" is not the record's). Any
 * thing it cannot vouch for (another envelope, an escaped key, a duplicate
 * key) sets need_exact; the caller then runs hr_logscan_exact() over the
 * whole document, which parses it with jansson.
 */
#ifndef HOSTRAIL_SIGN_LOGSCAN_H
#define HOSTRAIL_SIGN_LOGSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "common/timefmt.h"

struct hr_logscan {
	/* results */
	uint64_t records;
	uint64_t bad_times;		 /* records without a CloudTrail eventTime */
	char oldest[HR_CT_TIME_LEN + 1]; /* "" when no record had one */
	char newest[HR_CT_TIME_LEN + 1];
	bool stop_logging; /* some record's eventName is StopLogging */
	bool need_exact;   /* the fast path cannot vouch: parse exactly */

	/* the scanner's state between chunks */
	int phase;
	size_t pos; /* in the envelope's prefix */
	int depth;
	bool in_str, esc;
	int expect;  /* at record level: key, value or neither */
	int cap;     /* capturing the current string: which */
	int cur_key; /* record-level key being read */
	char buf[HR_CT_TIME_LEN + 8];
	size_t blen;
	bool overflow;
	unsigned seen; /* keys of interest met in this record */
	bool rec_time_ok, rec_stop;
	char rec_time[HR_CT_TIME_LEN + 1];
};

void hr_logscan_init(struct hr_logscan *s);
/* Feed the next inflated bytes. */
void hr_logscan_feed(struct hr_logscan *s, const unsigned char *p, size_t n);
/* The input ended: sets need_exact unless the envelope closed cleanly. */
void hr_logscan_end(struct hr_logscan *s);
/*
 * The exact path over a whole document (results replace the fast path's).
 * 0, or -EINVAL when it is not {"Records": [objects...]} JSON.
 */
int hr_logscan_exact(struct hr_logscan *s, const char *doc, size_t len);

#endif

/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * spool.h - the batch spool files (used by batch.c and the tests).
 *
 * A spool holds one batch's records, one per line:
 *	<event_time_ns decimal> TAB <compact JSON record> LF
 * The event time travels with the record so that a spool recovered after a
 * crash still yields the log file's oldest/newest event times without
 * trusting the JSON. Records never contain a raw LF (record.h).
 *
 * Names in the spool directory:
 *	spool-<20-digit ns>.open	the batch being filled
 *	spool-<log file stem>.sealed	a closed batch and the log file key it
 *					is being delivered under (stem = the
 *					log file name without ".json.gz")
 *	.spool-*.tmp			a rewrite in progress (removed on open)
 *	batch.lock			flock: one batcher per directory
 */
#ifndef HOSTRAIL_SPOOL_H
#define HOSTRAIL_SPOOL_H

#include <stddef.h>
#include <stdint.h>

struct hr_publish;

/* "-9223372036854775808\t" */
#define HR_SPOOL_PREFIX_MAX 21

#define HR_SPOOL_OPEN_SUFFIX   ".open"
#define HR_SPOOL_SEALED_SUFFIX ".sealed"
#define HR_SPOOL_NAME_PREFIX   "spool-"

struct hr_spool_info {
	uint64_t n;	   /* complete, valid records */
	int64_t oldest_ns; /* their event times (0 when n == 0) */
	int64_t newest_ns;
	uint64_t size;	  /* bytes they take: the file's size after recovery */
	uint64_t dropped; /* torn or corrupt lines removed */
};

/* Write "<ns>\t" into buf (HR_SPOOL_PREFIX_MAX bytes); returns its length. */
size_t hr_spool_prefix(char *buf, int64_t event_time_ns);

/* "spool-<stem>.sealed" for a log file name "<stem>.json.gz". 0 or -EINVAL. */
int hr_spool_sealed_name(char *buf, size_t len, const char *log_name);
/* The log file key a sealed spool name carries. 0 or -EINVAL. */
int hr_spool_sealed_key(char *buf, size_t len, const char *spool_name);

/*
 * Check a spool an earlier run left behind: keep every complete, valid line
 * (a number, a TAB, one JSON object), drop a torn tail or corrupt lines. If
 * anything is dropped the file is cut (tail only) or rewritten, durably,
 * before this returns, so that the same bytes are delivered whatever happens
 * next. Returns 0 or -errno (the file is then left as it was).
 */
int hr_spool_recover(int dir_fd, const char *name, struct hr_spool_info *info);

/*
 * Stream {"Records":[<rec>,<rec>,...]} built from the first size bytes of the
 * spool into p (begun, not finished). *n gets the number of records.
 * Returns 0, -EIO for a spool that does not end on a complete line, or the
 * error of the read or of p (p->err then tells).
 */
int hr_spool_emit(int dir_fd, const char *name, uint64_t size, struct hr_publish *p, uint64_t *n);

#endif

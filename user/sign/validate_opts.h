/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* validate_opts.h - what validate-logs is asked and what it answers (validate.h). */
#ifndef HOSTRAIL_SIGN_VALIDATE_OPTS_H
#define HOSTRAIL_SIGN_VALIDATE_OPTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct hr_validate_opts {
	const char *bucket_dir;	 /* required */
	const char *bucket_name; /* NULL: the agent's state, the digests, or
					 * the directory's base name */
	/* Which trail: NULL picks the only one found (digest keys, then the
	 * chain states in state_dir). */
	const char *account_id;
	const char *region;
	const char *trail_name;
	const char *trail_arn; /* NULL: arn:hostrail:cloudtrail:<region>:<acct>:trail/<name> */
	/* Public keys: from state_dir (which also gives the chain state), or
	 * from a ListPublicKeys JSON file. One of the two is required. */
	const char *state_dir;
	const char *public_keys_file;
	int64_t start, end;	 /* seconds; end: now when 0 */
	unsigned digest_seconds; /* 0: inferred from the digests (else 300) */
	bool verbose;
	FILE *out, *err; /* NULL: stdout / stderr */
};

struct hr_validate_result {
	unsigned digests_valid, digests_invalid;
	unsigned logs_valid, logs_invalid;
	uint64_t log_bytes; /* uncompressed bytes of log files read */
	uint64_t records;   /* records in them */
};

#endif

/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * digest.h - CloudTrail digest files: key, JSON body and string to sign
 * (cloudtrail-format.md §3). Pure functions: no I/O.
 */
#ifndef HOSTRAIL_SIGN_DIGEST_H
#define HOSTRAIL_SIGN_DIGEST_H

#include <stddef.h>
#include <stdint.h>
#include "deliver/logfile.h"
#include "record/record.h"

#define HR_HASH_ALGORITHM "SHA-256"
#define HR_SIDECAR_SUFFIX ".meta.json"

/* One logFiles[] entry. */
struct hr_digest_log {
	char key[HR_LOG_KEY_MAX];
	char sha256_hex[65];
	int64_t oldest_ns, newest_ns; /* event times of its records */
	uint64_t n_records;	      /* 0: times are written as null */
};

/* What one digest says. prev_* all NULL: the first digest of a chain. */
struct hr_digest_in {
	const struct hr_frame *frame;
	int64_t start, end;	 /* digestStartTime / digestEndTime, seconds */
	const char *fingerprint; /* of the key that signs it */
	const struct hr_digest_log *logs;
	size_t n_logs;
	const char *prev_bucket, *prev_key, *prev_sha256, *prev_signature;
};

/*
 * AWSLogs/<acct>/CloudTrail-Digest/<region>/YYYY/MM/DD/
 *	<acct>_CloudTrail-Digest_<region>_<trail>_<region>_<YYYYMMDDTHHMMSSZ>.json.gz
 * for digestEndTime end. 0, -EINVAL, -ENAMETOOLONG.
 */
int hr_digest_key(char *buf, size_t len, const struct hr_frame *f, int64_t end);

/*
 * The digest's JSON (compact, CloudTrail's field order) for object key
 * key, malloc'd into *json. 0 or -ENOMEM/-EINVAL.
 */
int hr_digest_json(const struct hr_digest_in *in, const char *key, char **json, size_t *len);

/*
 * CloudTrail's string to sign:
 * "<digestEndTime>\n<bucket>/<key>\n<sha256 hex of the uncompressed digest>\n
 * <previous signature or null>" (no trailing newline). malloc'd.
 */
int hr_digest_string_to_sign(const char *end_time, const char *bucket, const char *key,
			     const char *sha256_hex, const char *prev_signature, char **out,
			     size_t *len);

/* The signature sidecar's JSON: {"signature": ..., "signature-algorithm": ...}. */
int hr_digest_sidecar_json(const char *signature_hex, char **json, size_t *len);

/* Trail names that are safe in keys and file names: [A-Za-z0-9._-]{1,128}. */
int hr_trail_name_valid(const char *name);

#endif

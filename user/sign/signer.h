/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * signer.h - sign every batch: CloudTrail's chain of signed digest files.
 *
 * Every digest period the signer writes one digest file listing the log
 * files delivered in that period (with their SHA-256 and event times) and
 * linking to the previous digest, signs it SHA256withRSA and puts the
 * signature in "<digest key>.meta.json" beside it (cloudtrail-format.md §3).
 *
 * Crash safety: each log file the batcher reports is persisted as pending
 * before it becomes visible, and each digest is recorded as in flight before
 * its files become visible, so after a crash the next start lists what the
 * crashed run delivered and continues the chain from its last digest: no
 * hole. A clean stop (hr_signer_stop) writes a final digest listing the
 * file that holds StopLogging; the next start begins a new chain (null
 * previousDigest* fields), as CloudTrail does after StopLogging.
 *
 * Keys: the current key is generated on first start (sign/keys.h). Before
 * each digest the signer re-reads the current-key pointer, so a running
 * agent signs with a key from `hostrail rotate-key` from its next digest on.
 *
 * Not thread-safe: the daemon's loop drives the signer and the batcher
 * (whose callback is hr_signer_on_delivered) from one thread.
 */
#ifndef HOSTRAIL_SIGNER_H
#define HOSTRAIL_SIGNER_H

#include <stdint.h>
#include "deliver/logfile.h"
#include "record/record.h"
#include "sign/keys.h"

#define HR_DEFAULT_DIGEST_SECONDS 300
#define HR_SIGNER_ERR_MAX	  1024

struct hr_signer;

struct hr_signer_opts {
	const char *state_dir;	 /* keys/ and chain/ live here */
	const char *bucket_dir;	 /* digests go to <bucket_dir>/AWSLogs/... */
	struct hr_frame frame;	 /* account, region, trail, bucket name */
	unsigned digest_seconds; /* 0: 300 */
	/* Told of every digest once it is in place, with its signature (hex):
	 * the S3 upload queue. NULL: nobody. */
	void (*on_digest)(void *arg, const char *key, const char *signature_hex);
	void *digest_arg;
};

struct hr_signer_stats {
	int64_t last_digest_ns; /* wall clock of the latest digest delivery, 0: none */
	char last_digest_key[HR_LOG_KEY_MAX]; /* "" if none yet */
	uint64_t digests;		      /* digests delivered by this run */
	uint64_t pending;		      /* log files waiting for the next digest */
	char fingerprint[HR_FP_LEN + 1];      /* key signing the next digest */
	int64_t last_error_ns;		      /* 0: none */
	/* The latest failure ("failed to ...: reason"), kept after a later
	 * success: compare last_error_ns with last_digest_ns. */
	char last_error[HR_SIGNER_ERR_MAX];
};

/*
 * Load or create the signing key, load the chain state and pending logs,
 * and finish a digest a crash interrupted. Returns 0, -EINVAL (options),
 * or -errno (the reason is logged).
 */
int hr_signer_open(const struct hr_signer_opts *o, struct hr_signer **out);

/* The batcher's on_delivered callback (arg = the signer): persist the log
 * file as pending. A failure is logged, kept in stats and retried by tick. */
void hr_signer_on_delivered(void *signer, const struct hr_delivered_log *log);

/* Call about every 100 ms with the wall clock: writes a digest when the
 * period has ended. Cheap otherwise. 0, or the error of a failed digest
 * (retried a few seconds later). */
int hr_signer_tick(struct hr_signer *s, int64_t now_ns);

/* Clean stop, after the batcher's final flush: the final digest (it may
 * wait up to a second so that its key differs from the previous one's);
 * the chain ends. 0 or -errno (the chain then stays open, as after a crash). */
int hr_signer_stop(struct hr_signer *s, int64_t now_ns);

void hr_signer_stats(const struct hr_signer *s, struct hr_signer_stats *st);

void hr_signer_close(struct hr_signer *s); /* NULL-safe */

#endif

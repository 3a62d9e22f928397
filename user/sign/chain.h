/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * chain.h - where a trail's digest chain stands, kept durably in
 * <state>/chain/<trail>.json (0600) so that it survives restarts and
 * crashes. The signer rewrites it atomically at every change; the
 * validator reads it to know the agent's newest digest and what is still
 * waiting for one.
 *
 *	{"version": 1, "accountId", "region", "trailName", "bucketName", "bucketDir",
 *	 "status": "logging" | "stopped",	// stopped: after a clean stop
 *	 "linkPrevious": bool,			// the next digest continues "last"
 *	 "periodStart": "...Z",			// start of the digest being filled
 *	 "last": null | {link},			// the newest digest written
 *	 "inflight": null | {link, "startTime", "final", "listed": [keys]},
 *	 "pending": [{"key", "hashValue", "oldestEventNs", "newestEventNs",
 *		      "records", "bytes", "deliveredNs"}],
 *	 "earlierBuckets": [{"bucketDir", "last": {link}}]}	// optional
 *	link = {"bucket", "key", "hashValue", "signature", "endTime"}
 *
 * "earlierBuckets": the bucket directories the trail delivered to before
 * (update-trail, SIGHUP), each with the newest digest it wrote there, so
 * that validate-logs can check each bucket against the agent's record of
 * it, not against the newest digest of another bucket.
 *
 * "inflight" is the digest being published: written before its files become
 * visible, cleared after; a crash in between is rolled forward (the digest
 * is there) or back (it is not) by the next start.
 */
#ifndef HOSTRAIL_SIGN_CHAIN_H
#define HOSTRAIL_SIGN_CHAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "record/record.h"
#include "sign/digest.h"

struct hr_chain_link {
	char bucket[256];
	char key[HR_LOG_KEY_MAX];
	char sha256_hex[65];
	char *signature; /* hex, malloc'd */
	int64_t end;	 /* digestEndTime, seconds */
};

struct hr_chain_pending {
	struct hr_digest_log log;
	uint64_t bytes;
	int64_t delivered_ns;
	bool inherited; /* loaded at start: an earlier run reported it */
};

/* A bucket directory the trail has left, and its newest digest there. */
struct hr_chain_earlier {
	char *bucket_dir;
	struct hr_chain_link last;
};

#define HR_CHAIN_EARLIER_MAX 32 /* the oldest are forgotten beyond this */

struct hr_chain_state {
	struct hr_frame frame;
	char *bucket_dir;
	bool stopped;
	bool link_previous;
	int64_t period_start;
	bool have_last;
	struct hr_chain_link last;
	bool have_inflight;
	struct hr_chain_link inflight;
	int64_t inflight_start;
	bool inflight_final;
	char **inflight_listed;
	size_t n_inflight_listed;
	struct hr_chain_pending *pending;
	size_t n_pending, cap_pending;
	struct hr_chain_earlier *earlier;
	size_t n_earlier;
};

/* 0, -ENOENT (no state yet), -EINVAL (damaged: err says what), -errno. */
int hr_chain_load(const char *state_dir, const char *trail, struct hr_chain_state *st, char *err,
		  size_t errlen);
/* Durably replace the state file (creating <state>/chain/ if needed). */
int hr_chain_save(const char *state_dir, const struct hr_chain_state *st, char *err, size_t errlen);
void hr_chain_free(struct hr_chain_state *st); /* NULL-safe; leaves it zeroed */

/* Add or replace (same key) a pending log. 0 or -ENOMEM. */
int hr_chain_add_pending(struct hr_chain_state *st, const struct hr_chain_pending *p);
/* Copy a link (its signature is duplicated). 0 or -ENOMEM. */
int hr_chain_link_copy(struct hr_chain_link *dst, const struct hr_chain_link *src);
void hr_chain_link_clear(struct hr_chain_link *l);
/* Forget the digest being published (its link and listed keys). */
void hr_chain_clear_inflight(struct hr_chain_state *st);

/*
 * Start a new chain in bucket_dir under frame (the trail's bucket or
 * account changed): pending logs and an unfinished digest of the old place
 * are dropped, and the chain is marked stopped so that the next digest is a
 * starting one. With keep_earlier (same account and region), the old
 * bucket's newest digest joins earlierBuckets, and if bucket_dir is one the
 * trail left before, its newest digest there becomes "last" again.
 * 0 or -ENOMEM.
 */
int hr_chain_restart_in(struct hr_chain_state *st, const struct hr_frame *frame,
			const char *bucket_dir, bool keep_earlier);

/* Do two bucket directory names name the same directory? */
bool hr_chain_same_dir(const char *a, const char *b);

/* The earlier bucket entry for bucket_dir, or NULL. */
const struct hr_chain_earlier *hr_chain_earlier_find(const struct hr_chain_state *st,
						     const char *bucket_dir);

#endif

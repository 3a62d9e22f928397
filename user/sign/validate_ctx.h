/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * validate_ctx.h - what validate-logs keeps while it works (validate.c):
 * the report's lines in aws-cli's order, the digests it checked, and the
 * small string containers they are kept in.
 */
#ifndef HOSTRAIL_SIGN_VALIDATE_CTX_H
#define HOSTRAIL_SIGN_VALIDATE_CTX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <jansson.h>
#include "sign/chain.h"
#include "sign/keys.h"
#include "sign/logscan.h"
#include "sign/validate_opts.h"

#define DIGEST_MAX (64 << 20) /* inflated digest: ~400 bytes per log file */

struct strv {
	char **v;
	size_t n, cap;
};

/* A set of strings (log keys), open addressing. */
struct sset {
	char **slot;
	size_t cap, n;
};

enum { ENT_DIGEST, ENT_LOG, ENT_NOTE };

/* One line of the report, in aws-cli's order. */
struct entry {
	int kind;
	bool valid;
	char *bucket, *key;
	char *reason; /* INVALID: <reason>; or the whole text of a note */
};

struct vlog {
	char *key;
	const char *hash, *alg;	     /* in the digest's JSON */
	const char *oldest, *newest; /* NULL: JSON null */
	bool times_ok;		     /* the two are null or CloudTrail times */
	size_t entry;
	bool checked; /* hash matched: scan is meaningful */
	bool scan_ok; /* records readable */
	struct hr_logscan scan;
};

enum { VIA_NEWEST, VIA_LINK, VIA_LIST, VIA_GAP };

struct vdigest {
	char *key;
	json_t *doc;
	char sha256[65];
	char *signature, *sig_alg; /* from the sidecar */
	struct hr_pubkey *pk;
	int64_t start, end;
	size_t entry;
	int via;      /* how the traversal got here */
	size_t newer; /* index of the digest we came from, or SIZE_MAX */
	struct vlog *logs;
	size_t n_logs;
	bool closed; /* lists a StopLogging record */
};

struct ctx {
	const struct hr_validate_opts *o;
	FILE *out, *err;
	int bfd;
	char *bucket;
	const char *account, *region, *trail;
	char *arn;
	int64_t start, end, now;
	unsigned period;

	struct hr_pubkeys keys;	     /* every key we know */
	struct hr_chain_state state; /* read after the bucket was listed */
	bool have_state;
	bool left_bucket; /* the state's trail has left this bucket
					 * directory: state.last is its last digest */

	struct strv all_digests; /* the trail's digest keys, sorted */
	struct sset visited;	 /* digest keys the traversal loaded */
	struct sset listed;	 /* log keys listed by a checked digest */

	struct entry *ents;
	size_t n_ents, cap_ents;
	struct vdigest *ds; /* valid digests, traversal order */
	size_t n_ds, cap_ds;

	struct hr_validate_result *res;
	bool oom; /* a finding could not be recorded */
	bool found_end_set;
	int64_t found_start, found_end;
};

int vl_strv_push(struct strv *s, char *str);
void vl_strv_free(struct strv *s);
int vl_cmp_str(const void *a, const void *b);
const char *vl_sset_get(const struct sset *s, const char *k);
int vl_sset_add(struct sset *s, const char *k);
void vl_sset_free(struct sset *s);
char *vl_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
size_t vl_add_entry(struct ctx *c, int kind, bool valid, const char *bucket, const char *key,
		    char *reason);
void vl_invalidate(struct ctx *c, size_t ent, char *reason);
char *vl_pystr(json_t *v);
const char *vl_jstr(json_t *o, const char *k);
char *vl_s3(const struct ctx *c, const char *key);
bool vl_is_null(json_t *doc, const char *k);
int64_t vl_slack(const struct ctx *c);

#endif

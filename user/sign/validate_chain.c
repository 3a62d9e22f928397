// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* validate_chain.c - the digest chain for validate-logs (validate_chain.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>

#include "common/grow.h"
#include "sign/chain.h"
#include "sign/keys.h"
#include "common/timefmt.h"
#include "common/files.h"
#include "sign/validate_bucket.h"
#include "sign/validate_chain.h"

#define HOUR	  3600
#define KEY_SLACK 5 /* seconds: a digest signed around a rotation */

/* ---- phase 1: aws-cli's traversal ---- */

static void track_found_times(struct ctx *c, const struct vdigest *d)
{
	if (d->start > c->start)
		c->found_start = d->start;
	if (!c->found_end_set) {
		c->found_end = d->end < c->end ? d->end : c->end;
		c->found_end_set = true;
	}
}

/* _get_last_digest: pop the list until a key older than before (or the
 * newest when before is NULL). Returns an index into all_digests or -1. */
static ssize_t pop_before(struct ctx *c, struct strv *list, const char *before, int64_t *date)
{
	int64_t bdate = 0, kd;

	if (before && !vl_key_time(before, &bdate))
		return -1;
	while (list->n) {
		char *k = list->v[--list->n];

		if (!vl_key_time(k, &kd))
			continue;
		if (!before || kd < bdate) {
			*date = kd;
			for (size_t i = 0; i < c->all_digests.n; i++)
				if (c->all_digests.v[i] == k)
					return (ssize_t)i;
		}
	}
	return -1;
}

static int push_digest(struct ctx *c, struct vdigest *d)
{
	if (hr_grow(&c->ds, &c->cap_ds, c->n_ds, sizeof(*c->ds), 64))
		return -ENOMEM;
	c->ds[c->n_ds++] = *d;
	return 0;
}

int vl_traverse(struct ctx *c)
{
	struct strv list = {0}; /* borrowed pointers into all_digests */
	char marker_stamp[HR_CT_KEYTIME_LEN + 1], lo[HR_CT_KEYTIME_LEN + 1];
	char hi[HR_CT_KEYTIME_LEN + 1], stamp[64], *marker = NULL, *key = NULL;
	char *bucket = strdup(c->bucket);
	int64_t date = 0, last_start;
	size_t newer = SIZE_MAX;
	int via = VIA_NEWEST, ret = 0;
	ssize_t idx;

	/* load_digest_keys_in_range: after the key a digest of start - 1 min
	 * would have, date slices in [start, end + 1 h], stop at the first
	 * one beyond */
	hr_ct_keytime_fmt(c->start - 60, marker_stamp);
	hr_ct_keytime_fmt(c->start, lo);
	hr_ct_keytime_fmt(c->end + HOUR, hi);
	marker = vl_xasprintf("AWSLogs/%s/CloudTrail-Digest/%s/%.4s/%.2s/%.2s/"
			      "%s_CloudTrail-Digest_%s_%s_%s_%s.json.gz",
			      c->account, c->region, marker_stamp, marker_stamp + 4,
			      marker_stamp + 6, c->account, c->region, c->trail, c->region,
			      marker_stamp);
	list.v = calloc(c->all_digests.n + 1, sizeof(char *));
	if (!marker || !list.v || !bucket) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < c->all_digests.n; i++) {
		const char *k = c->all_digests.v[i];

		if (strcmp(k, marker) <= 0 || !vl_key_stamp(k, stamp, sizeof(stamp)))
			continue;
		if (strcmp(stamp, hi) > 0)
			break;
		if (strcmp(stamp, lo) >= 0)
			list.v[list.n++] = c->all_digests.v[i];
	}

	idx = pop_before(c, &list, NULL, &date);
	key = idx >= 0 ? strdup(c->all_digests.v[idx]) : NULL;
	last_start = date;
	while (key && c->start <= last_start) {
		struct vdigest d;
		char *msg = NULL;
		int r;

		vl_sset_add(&c->visited, key);
		r = vl_load_digest(c, bucket, key, true, &d, &msg);
		if (r != LD_VALID) {
			vl_add_entry(c, ENT_DIGEST, false, bucket, key,
				     r == LD_MISSING ? strdup("not found") : msg);
			if (r == LD_MISSING)
				free(msg);
			/* _find_next_digest: the next older listed key */
			idx = pop_before(c, &list, key, &date);
			free(key);
			key = idx >= 0 ? strdup(c->all_digests.v[idx]) : NULL;
			via = VIA_LIST;
			newer = SIZE_MAX;
			continue;
		}
		d.via = via;
		d.newer = newer;
		last_start = d.start;
		d.entry = vl_add_entry(c, ENT_DIGEST, true, bucket, key, NULL);
		track_found_times(c, &d);
		vl_check_logs(c, &d);
		if (push_digest(c, &d)) {
			vl_vdigest_free(&d);
			ret = -ENOMEM;
			goto out;
		}
		newer = c->n_ds - 1;
		if (json_is_null(json_object_get(d.doc, "previousDigestS3Bucket")) ||
		    !json_object_get(d.doc, "previousDigestS3Bucket")) {
			/* a chain starts here: go on with the next older listed key */
			idx = pop_before(c, &list, key, &date);
			free(key);
			key = idx >= 0 ? strdup(c->all_digests.v[idx]) : NULL;
			if (key) {
				char a[HR_CT_TIME_LEN + 1], b[HR_CT_TIME_LEN + 1];

				hr_ct_time_fmt(date, a);
				hr_ct_time_fmt(last_start, b);
				vl_add_entry(
					c, ENT_NOTE, true, NULL, NULL,
					vl_xasprintf("No log files were delivered by CloudTrail "
						     "between %s and %s",
						     a, b));
			}
			via = VIA_GAP;
		} else {
			char *pb = vl_pystr(json_object_get(d.doc, "previousDigestS3Bucket"));

			free(key);
			key = vl_pystr(json_object_get(d.doc, "previousDigestS3Object"));
			via = VIA_LINK;
			if (!pb || !key) {
				free(pb);
				ret = -ENOMEM;
				goto out;
			}
			/* another bucket: none of its keys are here */
			if (strcmp(pb, bucket))
				list.n = 0;
			free(bucket);
			bucket = pb;
		}
	}
out:
	free(key);
	free(bucket);
	free(marker);
	free(list.v);
	return ret;
}

/* ---- phase 2: what aws-cli does not check ---- */

void vl_check_algorithms(struct ctx *c, struct vdigest *d)
{
	const char *v;

	v = vl_jstr(d->doc, "digestSignatureAlgorithm");
	if (!v || strcmp(v, HR_SIG_ALGORITHM)) {
		char *s = vl_pystr(json_object_get(d->doc, "digestSignatureAlgorithm"));

		vl_invalidate(c, d->entry,
			      vl_xasprintf("unexpected algorithm \"%s\" in "
					   "digestSignatureAlgorithm",
					   s ? s : "?"));
		free(s);
	}
	if (strcmp(d->sig_alg, HR_SIG_ALGORITHM))
		vl_invalidate(c, d->entry,
			      vl_xasprintf("unexpected algorithm \"%s\" in the "
					   "signature-algorithm metadata",
					   d->sig_alg));
	if (!vl_is_null(d->doc, "previousDigestS3Bucket")) {
		v = vl_jstr(d->doc, "previousDigestHashAlgorithm");
		if (!v || strcmp(v, HR_HASH_ALGORITHM)) {
			char *s = vl_pystr(json_object_get(d->doc, "previousDigestHashAlgorithm"));

			vl_invalidate(c, d->entry,
				      vl_xasprintf("unexpected algorithm \"%s\" in "
						   "previousDigestHashAlgorithm",
						   s ? s : "?"));
			free(s);
		}
	}
	for (size_t i = 0; i < d->n_logs; i++) {
		struct vlog *l = &d->logs[i];

		if (!l->alg || strcmp(l->alg, HR_HASH_ALGORITHM))
			vl_invalidate(c, l->entry,
				      vl_xasprintf("unexpected algorithm \"%s\" in "
						   "hashAlgorithm",
						   l->alg ? l->alg : "?"));
	}
}

/* A starting digest has all five previous* null; a linked one none. */
void vl_check_previous_fields(struct ctx *c, struct vdigest *d)
{
	static const char *const f[] = {
		"previousDigestS3Bucket",      "previousDigestS3Object",  "previousDigestHashValue",
		"previousDigestHashAlgorithm", "previousDigestSignature",
	};
	int nulls = 0;

	for (int i = 0; i < 5; i++) {
		json_t *v = json_object_get(d->doc, f[i]);

		if (!v)
			nulls += 100; /* missing altogether */
		else if (json_is_null(v))
			nulls++;
		else if (!json_is_string(v))
			nulls += 100;
	}
	if (nulls != 0 && nulls != 5)
		vl_invalidate(c, d->entry,
			      strdup("the previousDigest* fields are neither all "
				     "null (a starting digest) nor all set"));
}

void vl_check_key_window(struct ctx *c, struct vdigest *d)
{
	char from[HR_CT_TIME_LEN + 1], to[HR_CT_TIME_LEN + 1];

	if (d->end >= d->pk->valid_from - KEY_SLACK &&
	    (d->pk->valid_to == HR_KEY_OPEN_END || d->end <= d->pk->valid_to + KEY_SLACK))
		return;
	hr_ct_time_fmt(d->pk->valid_from, from);
	if (d->pk->valid_to == HR_KEY_OPEN_END)
		snprintf(to, sizeof(to), "now");
	else
		hr_ct_time_fmt(d->pk->valid_to, to);
	vl_invalidate(c, d->entry,
		      vl_xasprintf("signed with key %s outside its validity window "
				   "(%s to %s)",
				   d->pk->fingerprint, from, to));
}

/* The newer digest's link to this one must match it exactly. */
void vl_check_link(struct ctx *c, struct vdigest *d)
{
	struct vdigest *n;
	const char *hv, *sig;
	char *where;

	if (d->via != VIA_LINK || d->newer == SIZE_MAX)
		return;
	n = &c->ds[d->newer];
	where = vl_s3(c, d->key);
	hv = vl_jstr(n->doc, "previousDigestHashValue");
	sig = vl_jstr(n->doc, "previousDigestSignature");
	if (!hv || strcmp(hv, d->sha256))
		vl_invalidate(c, n->entry,
			      vl_xasprintf("previousDigestHashValue doesn't match the "
					   "hash of %s",
					   where));
	else if (!sig || strcmp(sig, d->signature))
		vl_invalidate(c, n->entry,
			      vl_xasprintf("previousDigestSignature doesn't match the "
					   "signature of %s",
					   where));
	else if (n->start != d->end)
		vl_invalidate(c, n->entry,
			      vl_xasprintf("digestStartTime %s is not the digestEndTime "
					   "%s of %s",
					   vl_jstr(n->doc, "digestStartTime"),
					   vl_jstr(d->doc, "digestEndTime"), where));
	free(where);
}

/* The median digest length: the agent's period, when not given. */
unsigned vl_infer_period(struct ctx *c)
{
	int64_t *v;
	unsigned p = 300;
	size_t n = 0;

	if (c->o->digest_seconds)
		return c->o->digest_seconds;
	v = calloc(c->n_ds + 1, sizeof(*v));
	if (!v)
		return p;
	for (size_t i = 0; i < c->n_ds; i++)
		if (c->ds[i].end > c->ds[i].start)
			v[n++] = c->ds[i].end - c->ds[i].start;
	for (size_t i = 1; i < n; i++) /* insertion sort: few distinct values */
		for (size_t j = i; j > 0 && v[j - 1] > v[j]; j--) {
			int64_t t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	if (n)
		p = (unsigned)v[n / 2];
	free(v);
	return p ? p : 1;
}

/* Chains must end with StopLogging, or reach the next chain / the end. */
void vl_check_chain_ends(struct ctx *c)
{
	int64_t limit = c->end < c->now ? c->end : c->now, newest_end = INT64_MIN;
	char a[HR_CT_TIME_LEN + 1];

	/* A bucket the trail left ends, by the agent's record, with the last
	 * digest it wrote there (update-trail's UpdateTrail, not StopLogging) */
	for (size_t i = 0; c->left_bucket && i < c->n_ds; i++)
		if (!strcmp(c->ds[i].key, c->state.last.key))
			c->ds[i].closed = true;
	for (size_t i = 0; i < c->n_ds; i++) {
		struct vdigest *d = &c->ds[i];
		int64_t next_start;

		if (d->via != VIA_GAP || d->newer == SIZE_MAX || d->closed)
			continue;
		next_start = c->ds[d->newer].start;
		if (next_start - d->end <= (int64_t)c->period + vl_slack(c))
			continue;
		hr_ct_time_fmt(next_start, a);
		vl_add_entry(
			c, ENT_DIGEST, false, c->bucket, d->key,
			vl_xasprintf("the chain ends here without StopLogging, %lld s before the "
				     "next chain starts (%s): the digests after it are missing",
				     (long long)(next_start - d->end), a));
	}
	for (size_t i = 0; i < c->visited.cap; i++) {
		int64_t t;

		if (c->visited.slot[i] && vl_key_time(c->visited.slot[i], &t) && t > newest_end)
			newest_end = t;
	}
	if (c->n_ds && !c->ds[0].closed && c->ds[0].end >= newest_end &&
	    limit - c->ds[0].end > (int64_t)c->period + vl_slack(c)) {
		hr_ct_time_fmt(limit, a);
		vl_add_entry(
			c, ENT_DIGEST, false, c->bucket, c->ds[0].key,
			vl_xasprintf("no digest follows this one although its chain did not end "
				     "with StopLogging, and the range ends %lld s later (%s), more "
				     "than one digest period (%u s): newer digests are missing",
				     (long long)(limit - c->ds[0].end), a, c->period));
	}
	/* the agent's own record of its newest digest */
	if (c->have_state && c->state.have_last && !vl_sset_get(&c->visited, c->state.last.key) &&
	    c->state.last.end >= c->start && c->state.last.end <= c->end + HOUR) {
		int fd = hr_bucket_open(c->bfd, c->state.last.key);

		if (fd >= 0)
			close(fd);
		else
			vl_add_entry(c, ENT_DIGEST, false, c->bucket, c->state.last.key,
				     strdup("not found (the agent's state names it as its newest "
					    "digest)"));
	}
}

/* Digests of the trail in the listed range that the chain never reached. */
void vl_check_unreached(struct ctx *c)
{
	char lo[HR_CT_KEYTIME_LEN + 1], hi[HR_CT_KEYTIME_LEN + 1], stamp[64];

	hr_ct_keytime_fmt(c->start, lo);
	hr_ct_keytime_fmt(c->end + HOUR, hi);
	for (size_t i = 0; i < c->all_digests.n; i++) {
		const char *k = c->all_digests.v[i];

		if (vl_sset_get(&c->visited, k))
			continue;
		if (!vl_key_stamp(k, stamp, sizeof(stamp))) {
			vl_add_entry(c, ENT_DIGEST, false, c->bucket, k,
				     strdup("not a digest key: its name does not end in a time"));
			continue;
		}
		if (strcmp(stamp, lo) < 0 || strcmp(stamp, hi) > 0)
			continue;
		if (!vl_key_time(k, &(int64_t){0})) {
			vl_add_entry(c, ENT_DIGEST, false, c->bucket, k,
				     strdup("not a digest key: its name does not end in a time"));
			continue;
		}
		vl_add_entry(c, ENT_DIGEST, false, c->bucket, k,
			     strdup("not part of the digest chain (no newer digest links to it)"));
	}
}

/*
 * A bucket directory the trail has left (update-trail, SIGHUP): the state
 * speaks of it only through its newest digest there and its bucket name;
 * nothing of it is pending. The trail's current directory, or one the state
 * does not know (a copy of the bucket), keeps the state as it is. false:
 * out of memory.
 */
static bool state_for_earlier_bucket(struct ctx *c)
{
	const struct hr_chain_earlier *e;
	struct hr_chain_link l = {0};

	if (hr_chain_same_dir(c->state.bucket_dir, c->o->bucket_dir))
		return true;
	e = hr_chain_earlier_find(&c->state, c->o->bucket_dir);
	if (!e)
		return true;
	if (hr_chain_link_copy(&l, &e->last))
		return false;
	hr_chain_link_clear(&c->state.last);
	c->state.last = l;
	c->state.have_last = true;
	snprintf(c->state.frame.bucket_name, sizeof(c->state.frame.bucket_name), "%s", l.bucket);
	c->state.n_pending = 0;
	c->left_bucket = true;
	return true;
}

/* The agent's state, if it is this trail's. */
void vl_read_state(struct ctx *c)
{
	char err[1024];

	hr_chain_free(&c->state);
	c->have_state = false;
	c->left_bucket = false;
	if (c->o->state_dir &&
	    !hr_chain_load(c->o->state_dir, c->trail, &c->state, err, sizeof(err)) &&
	    !strcmp(c->state.frame.account_id, c->account) &&
	    !strcmp(c->state.frame.region, c->region))
		c->have_state = state_for_earlier_bucket(c);
}

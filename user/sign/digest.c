// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* digest.c - CloudTrail digest file contents (see digest.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/jsonw.h"
#include "sign/digest.h"
#include "sign/keys.h"
#include "common/timefmt.h"

int hr_trail_name_valid(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	return n > 0 && n <= 128 &&
	       strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			    "0123456789._-") == n &&
	       name[0] != '.';
}

int hr_digest_key(char *buf, size_t len, const struct hr_frame *f, int64_t end)
{
	char stamp[HR_CT_KEYTIME_LEN + 1];
	int n;

	if (!f->account_id[0] || !f->region[0] || !hr_trail_name_valid(f->trail_name) ||
	    strchr(f->account_id, '/') || strchr(f->region, '/'))
		return -EINVAL;
	hr_ct_keytime_fmt(end, stamp);
	/* the date folders are the end date: stamp's YYYY, MM, DD */
	n = snprintf(buf, len,
		     "AWSLogs/%s/CloudTrail-Digest/%s/%.4s/%.2s/%.2s/"
		     "%s_CloudTrail-Digest_%s_%s_%s_%s.json.gz",
		     f->account_id, f->region, stamp, stamp + 4, stamp + 6, f->account_id,
		     f->region, f->trail_name, f->region, stamp);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return 0;
}

static void time_or_null(struct jsonw *w, const char *key, bool have, int64_t ns)
{
	char t[HR_CT_TIME_LEN + 1];

	jw_key(w, key);
	if (!have) {
		jw_null(w);
		return;
	}
	hr_ct_time_fmt(hr_ns_to_sec(ns), t);
	jw_str(w, t);
}

int hr_digest_json(const struct hr_digest_in *in, const char *key, char **json, size_t *len)
{
	char start[HR_CT_TIME_LEN + 1], end[HR_CT_TIME_LEN + 1];
	int64_t oldest = INT64_MAX, newest = INT64_MIN;
	bool any = false, first = !in->prev_key;
	struct jsonw w;
	const char *text;
	int ret;

	*json = NULL;
	if (jw_init(&w, 1024 + in->n_logs * 400))
		return -ENOMEM;
	for (size_t i = 0; i < in->n_logs; i++) {
		if (!in->logs[i].n_records)
			continue;
		any = true;
		if (in->logs[i].oldest_ns < oldest)
			oldest = in->logs[i].oldest_ns;
		if (in->logs[i].newest_ns > newest)
			newest = in->logs[i].newest_ns;
	}
	hr_ct_time_fmt(in->start, start);
	hr_ct_time_fmt(in->end, end);

	/* CloudTrail's order, field for field (cloudtrail-format.md §3.2) */
	jw_obj_begin(&w);
	jw_kstrz(&w, "awsAccountId", in->frame->account_id);
	jw_kstrz(&w, "digestStartTime", start);
	jw_kstrz(&w, "digestEndTime", end);
	jw_kstrz(&w, "digestS3Bucket", in->frame->bucket_name);
	jw_kstrz(&w, "digestS3Object", key);
	jw_kstrz(&w, "digestPublicKeyFingerprint", in->fingerprint);
	jw_kstrz(&w, "digestSignatureAlgorithm", HR_SIG_ALGORITHM);
	time_or_null(&w, "newestEventTime", any, newest);
	time_or_null(&w, "oldestEventTime", any, oldest);
	/* a starting digest has all five present and null */
	jw_kstrz(&w, "previousDigestS3Bucket", first ? NULL : in->prev_bucket);
	jw_kstrz(&w, "previousDigestS3Object", first ? NULL : in->prev_key);
	jw_kstrz(&w, "previousDigestHashValue", first ? NULL : in->prev_sha256);
	jw_kstrz(&w, "previousDigestHashAlgorithm", first ? NULL : HR_HASH_ALGORITHM);
	jw_kstrz(&w, "previousDigestSignature", first ? NULL : in->prev_signature);
	jw_key(&w, "logFiles");
	jw_arr_begin(&w);
	for (size_t i = 0; i < in->n_logs; i++) {
		const struct hr_digest_log *l = &in->logs[i];

		jw_obj_begin(&w);
		jw_kstrz(&w, "s3Bucket", in->frame->bucket_name);
		jw_kstrz(&w, "s3Object", l->key);
		jw_kstrz(&w, "hashValue", l->sha256_hex);
		jw_kstrz(&w, "hashAlgorithm", HR_HASH_ALGORITHM);
		time_or_null(&w, "newestEventTime", l->n_records, l->newest_ns);
		time_or_null(&w, "oldestEventTime", l->n_records, l->oldest_ns);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	jw_obj_end(&w);

	ret = jw_error(&w);
	if (!ret) {
		size_t n;

		text = jw_text(&w, &n);
		*json = strdup(text);
		*len = n;
		if (!*json)
			ret = -ENOMEM;
	}
	jw_free(&w);
	return ret;
}

int hr_digest_string_to_sign(const char *end_time, const char *bucket, const char *key,
			     const char *sha256_hex, const char *prev_signature, char **out,
			     size_t *len)
{
	/* "null" for a starting digest: what CloudTrail's Java signer writes */
	int n = asprintf(out, "%s\n%s/%s\n%s\n%s", end_time, bucket, key, sha256_hex,
			 prev_signature ? prev_signature : "null");

	if (n < 0) {
		*out = NULL;
		return -ENOMEM;
	}
	*len = (size_t)n;
	return 0;
}

int hr_digest_sidecar_json(const char *signature_hex, char **json, size_t *len)
{
	int n = asprintf(json, "{\"signature\": \"%s\", \"signature-algorithm\": \"%s\"}\n",
			 signature_hex, HR_SIG_ALGORITHM);

	if (n < 0) {
		*json = NULL;
		return -ENOMEM;
	}
	*len = (size_t)n;
	return 0;
}

/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * fuzz_validate.c - validate-logs over a bucket made from the input, so its
 * readers of digest JSON, the .meta sidecar and log files run past the
 * signature check. The input is sections separated by "\n@@\n":
 *
 *	digest JSON | sidecar JSON (empty: a good one) | log JSON | log JSON ...
 *
 * The digest goes (gzipped) to its own digestS3Object when that is a sane
 * key, else to a fixed one; in its text FUZZKEY... stands for the
 * fingerprint of a key made at start, and LOGHASH<i>... for the SHA-256 of
 * log section i, which goes (gzipped) to logFiles[i].s3Object. The target
 * signs the digest as the agent would, so a digest that reads well verifies.
 */
#include <ftw.h>
#include <limits.h>
#include <zlib.h>
#include <jansson.h>
#include <openssl/sha.h>
#include "fuzz.h"
#include "common/encode.h"
#include "sign/digest.h"
#include "sign/keys.h"
#include "sign/validate.h"
#include "sign/validate_ctx.h"

#define FP_HOLDER   "FUZZKEYFUZZKEYFUZZKEYFUZZKEYFUZZ"
#define HASH_HOLDER "LOGHASH"
#define MAX_LOGS    4
#define FIXED_KEY                                                          \
	"AWSLogs/123456789012/CloudTrail-Digest/fuzzhost/2026/12/06/"      \
	"123456789012_CloudTrail-Digest_fuzzhost_basic_fuzzhost_20261206T" \
	"223940Z.json.gz"

static char state[256], bucket[256], fp[HR_FP_LEN + 1];
static struct hr_signkey *key;
static FILE *devnull;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[512];

	snprintf(state, sizeof(state), "%s/state", fuzz_tmpdir());
	snprintf(bucket, sizeof(bucket), "%s/bucket", fuzz_tmpdir());
	mkdir(state, 0700);
	/* valid from 2023: every digest of the seeds is in its window */
	if (hr_keys_ensure(state, 1700000000, err, sizeof(err)) ||
	    hr_keys_current(state, fp, err, sizeof(err)) ||
	    hr_signkey_load(state, fp, &key, err, sizeof(err))) {
		fprintf(stderr, "fuzz_validate: %s\n", err);
		abort();
	}
	/* FUZZ_VALIDATE_SHOW=1: the report, to see what an input reaches */
	devnull = getenv("FUZZ_VALIDATE_SHOW") ? stderr : fopen("/dev/null", "w");
	if (!devnull)
		abort();
	return 0;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	return remove(p);
}

/* A relative key under AWSLogs/ of plain characters, no "..", each part a
 * file name this file system takes (NAME_MAX). */
static bool sane_key(const char *k)
{
	size_t part = 0;

	if (!k || strncmp(k, "AWSLogs/", 8) || strlen(k) > 512 || strstr(k, "..") ||
	    strstr(k, "//"))
		return false;
	for (const char *p = k; *p; p++) {
		if (!strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-/",
			    *p))
			return false;
		part = *p == '/' ? 0 : part + 1;
		if (part > NAME_MAX)
			return false;
	}
	return k[strlen(k) - 1] != '/';
}

/* Writes one object. A key that collides with another's folder (a log key
 * naming the digest's folder, say) is left out: that bucket lacks the object,
 * which validate-logs must report, and is no harness failure. */
static void put(const char *k, const void *p, size_t n, bool gz)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/%s", bucket, k);
	for (char *s = strchr(path + strlen(bucket) + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		mkdir(path, 0755);
		*s = '/';
	}
	if (gz) {
		gzFile g = gzopen(path, "wb");

		if (!g)
			return;
		if ((n && gzwrite(g, p, (unsigned)n) != (int)n) || gzclose(g) != Z_OK)
			abort();
	} else {
		fuzz_write_file(bucket, k, p, n);
	}
}

/* Every holder of the given length in text replaced by with. */
static void fill(char *text, const char *holder, const char *with, size_t len)
{
	for (char *p = strstr(text, holder); p; p = strstr(p + len, holder))
		if (strlen(p) >= len)
			memcpy(p, with, len);
		else
			break;
}

static void sign(const char *text, const char *dkey, const char *sidecar)
{
	json_t *doc = json_loads(text, JSON_ALLOW_NUL, NULL), *pv;
	char *endv, *bkt, *prev = NULL, *sts = NULL, *sig = NULL, *side = NULL, hex[65];
	unsigned char md[32];
	size_t len;

	SHA256((const unsigned char *)text, strlen(text), md);
	hr_hex(md, 32, hex);
	endv = vl_pystr(json_object_get(doc, "digestEndTime"));
	bkt = vl_pystr(json_object_get(doc, "digestS3Bucket"));
	pv = json_object_get(doc, "previousDigestSignature");
	if (!json_is_null(pv))
		prev = vl_pystr(pv);
	if (!hr_digest_string_to_sign(endv, bkt, dkey, hex, prev, &sts, &len) &&
	    !hr_signkey_sign(key, sts, len, &sig) && !hr_digest_sidecar_json(sig, &side, &len)) {
		char k[600];

		snprintf(k, sizeof(k), "%s" HR_SIDECAR_SUFFIX, dkey);
		if (sidecar && *sidecar)
			put(k, sidecar, strlen(sidecar), false);
		else
			put(k, side, len, false);
	}
	free(side);
	free(sig);
	free(sts);
	free(prev);
	free(bkt);
	free(endv);
	json_decref(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_strndup(data, size), *sec[2 + MAX_LOGS] = {text}, *p;
	const char *dkey = FIXED_KEY;
	struct hr_validate_opts o = {.bucket_dir = bucket,
				     .bucket_name = "bucket",
				     .state_dir = state,
				     .out = devnull,
				     .err = devnull};
	struct hr_validate_result res;
	json_t *doc, *logs;
	int n = 1, rc;

	nftw(bucket, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	mkdir(bucket, 0755);
	while (n < 2 + MAX_LOGS && (p = strstr(sec[n - 1], "\n@@\n"))) {
		*p = '\0';
		sec[n++] = p + 4;
	}
	fill(sec[0], FP_HOLDER, fp, HR_FP_LEN);
	for (int i = 2; i < n; i++) {
		unsigned char md[32];
		char holder[16], hex[65];

		SHA256((const unsigned char *)sec[i], strlen(sec[i]), md);
		hr_hex(md, 32, hex);
		snprintf(holder, sizeof(holder), HASH_HOLDER "%d", i - 2);
		fill(sec[0], holder, hex, 64);
	}
	doc = json_loads(sec[0], JSON_ALLOW_NUL, NULL);
	if (sane_key(json_string_value(json_object_get(doc, "digestS3Object"))))
		dkey = json_string_value(json_object_get(doc, "digestS3Object"));
	put(dkey, sec[0], strlen(sec[0]), true);
	sign(sec[0], dkey, n > 1 ? sec[1] : NULL);
	logs = json_object_get(doc, "logFiles");
	for (int i = 2; i < n; i++) {
		const char *lk = json_string_value(
			json_object_get(json_array_get(logs, (size_t)(i - 2)), "s3Object"));

		if (sane_key(lk) && strcmp(lk, dkey))
			put(lk, sec[i], strlen(sec[i]), true);
	}
	json_decref(doc);
	rc = hr_validate_logs(&o, &res);
	FUZZ_CLAIM(rc == 0 || rc == 1 || rc == 2);
	free(text);
	return 0;
}

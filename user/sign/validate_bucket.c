// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* validate_bucket.c - listing and reading the bucket for validate-logs (validate_bucket.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "common/jsonw.h"
#include "sign/digest.h"
#include "sign/keys.h"
#include "sign/logscan.h"
#include "common/timefmt.h"
#include "common/encode.h"
#include "common/files.h"
#include "common/gz.h"
#include "sign/validate_bucket.h"

#define SIDECAR_MAX (64 << 10)
#define EXACT_MAX   (1ULL << 31) /* inflated log for the exact record parse */
#define WALK_DEPTH  12

/* ---- the bucket ---- */

/* Every file under rel (a folder of the bucket), depth-first; no symlinks. */
static int walk(struct ctx *c, int dfd, const char *rel, int depth, walk_cb cb)
{
	DIR *d;
	struct dirent *de;
	int ret = 0;

	if (depth > WALK_DEPTH)
		return 0;
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return -errno;
	}
	while (!ret && (de = readdir(d))) {
		struct stat st;
		char *key;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW))
			continue;
		key = vl_xasprintf("%s/%s", rel, de->d_name);
		if (!key) {
			ret = -ENOMEM;
			break;
		}
		if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd(d), de->d_name,
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			if (sub >= 0)
				ret = walk(c, sub, key, depth + 1, cb);
		} else {
			ret = cb(c, key, &st);
		}
		free(key);
	}
	closedir(d);
	return ret;
}

int vl_walk_folder(struct ctx *c, const char *rel, walk_cb cb)
{
	int fd;

	fd = hr_bucket_open_dir(c->bfd, rel);
	if (fd == -ENOENT || fd == -EPERM) /* missing, or a symlink: no objects */
		return 0;
	return fd < 0 ? fd : walk(c, fd, rel, 0, cb);
}

/* Python's key[-24:-8], counted in code points; false if not UTF-8. */
bool vl_key_stamp(const char *key, char *out, size_t outlen)
{
	size_t n = strlen(key), cps = 0, i;
	size_t pos[25]; /* byte offsets of the last 24 code points */

	if (!hr_utf8_valid(key, n))
		return false;
	for (i = n; i > 0 && cps < 24;) {
		i--;
		if (((unsigned char)key[i] & 0xc0) != 0x80)
			pos[cps++] = i;
	}
	if (cps < 24)
		return false;
	/* pos[k] = start of the (k+1)-th code point from the end */
	{
		size_t from = pos[23], to = pos[7];

		if (to - from >= outlen)
			return false;
		memcpy(out, key + from, to - from);
		out[to - from] = '\0';
	}
	return true;
}

/*
 * aws-cli's digest key regex for this trail:
 * ^AWSLogs/A/CloudTrail\-Digest/R/\d+/\d+/\d+/A_CloudTrail\-Digest_R_N_H_.+\.json\.gz$
 */
static bool digest_key_matches(const struct ctx *c, const char *key)
{
	char *head = vl_xasprintf("AWSLogs/%s/CloudTrail-Digest/%s/", c->account, c->region);
	char *name = vl_xasprintf("%s_CloudTrail-Digest_%s_%s_%s_", c->account, c->region, c->trail,
				  c->region);
	const char *p = key;
	bool ok = false;
	size_t n;

	if (!head || !name || strncmp(p, head, strlen(head)))
		goto out;
	p += strlen(head);
	for (int i = 0; i < 3; i++) {
		size_t d = strspn(p, "0123456789");

		if (!d || p[d] != '/')
			goto out;
		p += d + 1;
	}
	if (strncmp(p, name, strlen(name)))
		goto out;
	p += strlen(name);
	/* ".+" then ".json.gz", "$" also before one final newline */
	n = strlen(p);
	if (n && p[n - 1] == '\n')
		n--;
	if (n < 9 || memchr(p, '\n', n) || memcmp(p + n - 8, ".json.gz", 8))
		goto out;
	ok = true;
out:
	free(head);
	free(name);
	return ok;
}

int vl_collect_digest(struct ctx *c, const char *key, const struct stat *st)
{
	if (!S_ISREG(st->st_mode) || !digest_key_matches(c, key))
		return 0;
	return vl_strv_push(&c->all_digests, strdup(key));
}

/* The key's time, parsed; false for keys whose stamp is not a time. */
bool vl_key_time(const char *key, int64_t *t)
{
	char stamp[64];

	return vl_key_stamp(key, stamp, sizeof(stamp)) &&
	       hr_ct_keytime_parse(stamp, strlen(stamp), t) == 0;
}

/* ---- loading one digest (validation.py DigestProvider + traverser) ---- */

/* Read the sidecar's signature and algorithm; false if aws-cli would find
 * no metadata. */
static bool read_sidecar(struct ctx *c, const char *key, char **sig, char **alg)
{
	char *side = vl_xasprintf("%s" HR_SIDECAR_SUFFIX, key), buf[SIDECAR_MAX + 1];
	json_t *doc = NULL, *s, *a;
	json_error_t jerr;
	ssize_t n = 0, r;
	int fd;
	bool ok = false;

	*sig = *alg = NULL;
	if (!side)
		return false;
	fd = hr_bucket_open(c->bfd, side);
	free(side);
	if (fd < 0)
		return false;
	while (n < SIDECAR_MAX && (r = read(fd, buf + n, SIDECAR_MAX - (size_t)n)) > 0)
		n += r;
	close(fd);
	doc = json_loadb(buf, (size_t)n, 0, &jerr);
	s = json_object_get(doc, "signature");
	a = json_object_get(doc, "signature-algorithm");
	/* S3 metadata are strings; anything else is no metadata at all */
	if (json_is_object(doc) && json_is_string(s) && json_is_string(a)) {
		*sig = strdup(json_string_value(s));
		*alg = strdup(json_string_value(a));
		ok = *sig && *alg;
	}
	json_decref(doc);
	return ok;
}

static struct hr_pubkey *find_key(struct ctx *c, const char *fp, bool in_range_only)
{
	struct hr_pubkey *found = NULL;

	/* dict((k['Fingerprint'], k) for k in keys): the last one wins */
	for (size_t i = 0; i < c->keys.n; i++) {
		struct hr_pubkey *k = &c->keys.v[i];

		if (in_range_only && !hr_pubkey_in_range(k, c->start, c->end))
			continue;
		if (!strcmp(k->fingerprint, fp))
			found = k;
	}
	return found;
}

int vl_load_digest(struct ctx *c, const char *bucket, const char *key, bool in_range_keys,
		   struct vdigest *d, char **msg)
{
	static const char *const required[] = {
		"digestPublicKeyFingerprint", "digestS3Bucket", "digestS3Object",
		"previousDigestSignature",    "digestEndTime",	"digestStartTime",
	};
	unsigned char *raw = NULL, md[32];
	char *sts = NULL, *fps = NULL, *endv = NULL, *bkt = NULL, *obj = NULL, *prev = NULL;
	json_error_t jerr;
	json_t *fp;
	size_t len;
	int fd, ret = LD_INVALID;

	memset(d, 0, sizeof(*d));
	*msg = NULL;
	if (strcmp(bucket, c->bucket))
		return LD_MISSING; /* no other bucket is here */
	fd = hr_bucket_open(c->bfd, key);
	if (fd == -ENOENT)
		return LD_MISSING;
	if (fd < 0) {
		*msg = vl_xasprintf("%s", fd == -EPERM ? "not a regular file" : strerror(-fd));
		return LD_INVALID;
	}
	ret = hr_gz_inflate_fd_all(fd, DIGEST_MAX, &raw, &len);
	close(fd);
	if (ret) {
		*msg = strdup("invalid format");
		ret = LD_INVALID;
		goto out;
	}
	ret = LD_INVALID;
	d->doc = json_loadb((const char *)raw, len, JSON_ALLOW_NUL, &jerr);
	if (!d->doc || !json_is_object(d->doc)) {
		*msg = strdup("invalid format");
		goto out;
	}
	if (!read_sidecar(c, key, &d->signature, &d->sig_alg)) {
		*msg = strdup("signature verification failed");
		goto out;
	}
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		if (!json_object_get(d->doc, required[i])) {
			*msg = strdup("invalid format");
			goto out;
		}
	}
	if (!json_is_string(json_object_get(d->doc, "digestS3Bucket")) ||
	    !json_is_string(json_object_get(d->doc, "digestS3Object")) ||
	    strcmp(vl_jstr(d->doc, "digestS3Bucket"), bucket) ||
	    strcmp(vl_jstr(d->doc, "digestS3Object"), key)) {
		*msg = strdup("has been moved from its original location");
		goto out;
	}
	fp = json_object_get(d->doc, "digestPublicKeyFingerprint");
	fps = vl_pystr(fp);
	d->pk = json_is_string(fp) ? find_key(c, json_string_value(fp), in_range_keys) : NULL;
	if (!d->pk) {
		*msg = vl_xasprintf("public key not found in region %s for fingerprint %s",
				    c->region, fps ? fps : "None");
		goto out;
	}
	EVP_Digest(raw, len, md, NULL, EVP_sha256(), NULL);
	hr_hex(md, 32, d->sha256);
	endv = vl_pystr(json_object_get(d->doc, "digestEndTime"));
	bkt = vl_pystr(json_object_get(d->doc, "digestS3Bucket"));
	obj = vl_pystr(json_object_get(d->doc, "digestS3Object"));
	prev = json_is_null(json_object_get(d->doc, "previousDigestSignature")) ?
		       NULL :
		       vl_pystr(json_object_get(d->doc, "previousDigestSignature"));
	if (!endv || !bkt || !obj ||
	    hr_digest_string_to_sign(endv, bkt, obj, d->sha256, prev, &sts, &len)) {
		*msg = strdup("out of memory");
		goto out;
	}
	switch (hr_pubkey_verify(d->pk, sts, len, d->signature, strlen(d->signature))) {
	case 0:
		break;
	case -EBADMSG:
		*msg = strdup("signature verification failed");
		goto out;
	default:
		*msg = vl_xasprintf("Unable to load PKCS #1 key with fingerprint %s", fps);
		goto out;
	}
	if (hr_iso_time_parse(vl_jstr(d->doc, "digestEndTime"), &d->end)) {
		*msg = vl_xasprintf("Unable to parse date value: %s", endv);
		goto out;
	}
	if (hr_iso_time_parse(vl_jstr(d->doc, "digestStartTime"), &d->start)) {
		char *sv = vl_pystr(json_object_get(d->doc, "digestStartTime"));

		*msg = vl_xasprintf("Unable to parse date value: %s", sv ? sv : "None");
		free(sv);
		goto out;
	}
	d->key = strdup(key);
	ret = d->key ? LD_VALID : LD_INVALID;
	if (!d->key)
		*msg = strdup("out of memory");
out:
	if (ret != LD_VALID) {
		json_decref(d->doc);
		free(d->signature);
		free(d->sig_alg);
		memset(d, 0, sizeof(*d));
	}
	free(raw);
	free(sts);
	free(fps);
	free(endv);
	free(bkt);
	free(obj);
	free(prev);
	return ret;
}

void vl_vdigest_free(struct vdigest *d)
{
	for (size_t i = 0; i < d->n_logs; i++)
		free(d->logs[i].key);
	free(d->logs);
	json_decref(d->doc);
	free(d->key);
	free(d->signature);
	free(d->sig_alg);
}

/* ---- log files ---- */

static int scan_cb(void *arg, const unsigned char *p, size_t n)
{
	hr_logscan_feed(arg, p, n);
	return 0;
}

/* The exact parse, for what the fast scan could not vouch for. */
static bool scan_exact(struct ctx *c, const char *key, struct hr_logscan *scan)
{
	unsigned char *doc = NULL;
	size_t len;
	int fd = hr_bucket_open(c->bfd, key), ret;

	if (fd < 0)
		return false;
	ret = hr_gz_inflate_fd_all(fd, EXACT_MAX, &doc, &len);
	close(fd);
	if (ret)
		return false;
	ret = hr_logscan_exact(scan, (const char *)doc, len);
	free(doc);
	return ret == 0;
}

/* validation.py _download_log: one log file a valid digest lists. */
static void check_log(struct ctx *c, struct vdigest *d, json_t *lf)
{
	struct vlog *l = &d->logs[d->n_logs];
	const char *bucket = vl_jstr(lf, "s3Bucket"), *key = vl_jstr(lf, "s3Object");
	const char *hash = vl_jstr(lf, "hashValue");
	unsigned char md[32];
	char hex[65];
	uint64_t bytes = 0;
	int fd, ret;

	memset(l, 0, sizeof(*l));
	l->key = strdup(key ? key : "");
	l->hash = hash;
	l->alg = vl_jstr(lf, "hashAlgorithm");
	l->oldest = vl_jstr(lf, "oldestEventTime");
	l->newest = vl_jstr(lf, "newestEventTime");
	l->times_ok = (json_is_null(json_object_get(lf, "oldestEventTime")) &&
		       json_is_null(json_object_get(lf, "newestEventTime"))) ||
		      (l->oldest && l->newest &&
		       !hr_ct_time_parse(l->oldest, strlen(l->oldest), &(int64_t){0}) &&
		       !hr_ct_time_parse(l->newest, strlen(l->newest), &(int64_t){0}));
	d->n_logs++;
	if (!json_is_object(lf) || !bucket || !key) {
		l->entry = vl_add_entry(c, ENT_LOG, false, bucket ? bucket : "?", key ? key : "?",
					strdup("invalid format"));
		return;
	}
	if (strcmp(bucket, c->bucket)) {
		l->entry = vl_add_entry(c, ENT_LOG, false, bucket, key, strdup("not found"));
		return;
	}
	fd = hr_bucket_open(c->bfd, key);
	if (fd < 0) {
		l->entry = vl_add_entry(c, ENT_LOG, false, bucket, key,
					strdup(fd == -ENOENT ? "not found" :
					       fd == -EPERM  ? "not a regular file" :
							       "invalid format"));
		return;
	}
	hr_logscan_init(&l->scan);
	ret = hr_gz_inflate_fd(fd, md, &bytes, scan_cb, &l->scan);
	close(fd);
	c->res->log_bytes += bytes;
	if (ret < 0) {
		l->entry = vl_add_entry(c, ENT_LOG, false, bucket, key, strdup("invalid format"));
		return;
	}
	hr_hex(md, 32, hex);
	if (!hash || strcmp(hex, hash)) {
		l->entry = vl_add_entry(c, ENT_LOG, false, bucket, key,
					strdup("hash value doesn't match"));
		return;
	}
	l->entry = vl_add_entry(c, ENT_LOG, true, bucket, key, NULL);
	l->checked = true;
	hr_logscan_end(&l->scan);
	l->scan_ok = !l->scan.need_exact || scan_exact(c, key, &l->scan);
	c->res->records += l->scan.records;
	if (l->scan.stop_logging)
		d->closed = true;
}

void vl_check_logs(struct ctx *c, struct vdigest *d)
{
	json_t *lfs = json_object_get(d->doc, "logFiles"), *lf;
	size_t i;

	if (!json_is_array(lfs) || !json_array_size(lfs))
		return;
	d->logs = calloc(json_array_size(lfs), sizeof(*d->logs));
	if (!d->logs)
		return;
	json_array_foreach(lfs, i, lf)
		check_log(c, d, lf);
}

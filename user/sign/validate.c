// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * validate.c - hostrail validate-logs (see validate.h).
 *
 * Two phases. The first is a port of aws-cli 2.9.19's DigestTraverser and
 * CloudTrailValidateLogs (validation.py): list the trail's digest keys in
 * [start, end + 1 h], walk from the newest backwards along
 * previousDigestS3Object, check each digest (format, location, key,
 * signature) and each log file it lists (SHA-256 of the inflated bytes),
 * jumping to the next older listed key where a digest is missing or invalid
 * or a chain starts. Its findings are kept, not printed, so that the second
 * phase - the checks aws-cli does not make - can turn a line aws-cli calls
 * valid into an INVALID one or add lines. Then everything is printed in
 * aws-cli's order and format.
 *
 * Nothing read from the bucket is trusted: keys are opened with openat2
 * RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS, sizes are bounded, names are
 * escaped when printed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "record/jsonw.h"
#include "sign/chain.h"
#include "sign/digest.h"
#include "sign/keys.h"
#include "sign/logscan.h"
#include "common/timefmt.h"
#include "common/encode.h"
#include "common/files.h"
#include "common/gz.h"
#include "sign/validate.h"

#define DIGEST_MAX	(64 << 20)	/* inflated digest: ~400 bytes per log file */
#define SIDECAR_MAX	(64 << 10)
#define EXACT_MAX	(1ULL << 31)	/* inflated log for the exact record parse */
#define WALK_DEPTH	12
#define HOUR		3600
#define KEY_SLACK	5		/* seconds: a digest signed around a rotation */

/* ---- small containers ---- */

struct strv {
	char **v;
	size_t n, cap;
};

static int strv_push(struct strv *s, char *str)
{
	if (!str)
		return -ENOMEM;
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64;
		char **nv = realloc(s->v, cap * sizeof(*nv));

		if (!nv) {
			free(str);
			return -ENOMEM;
		}
		s->v = nv;
		s->cap = cap;
	}
	s->v[s->n++] = str;
	return 0;
}

static void strv_free(struct strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A set of strings (log keys), open addressing. */
struct sset {
	char **slot;
	size_t cap, n;
};

static uint64_t fnv(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

static const char *sset_get(const struct sset *s, const char *k)
{
	if (!s->cap)
		return NULL;
	for (size_t i = fnv(k) & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
		if (!s->slot[i])
			return NULL;
		if (!strcmp(s->slot[i], k))
			return s->slot[i];
	}
}

/* Add k (copied); 1 if it was new, 0 if it was there, -ENOMEM. */
static int sset_add(struct sset *s, const char *k)
{
	if (2 * (s->n + 1) > s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 256;
		char **slot = calloc(cap, sizeof(char *));

		if (!slot)
			return -ENOMEM;
		for (size_t i = 0; i < s->cap; i++) {
			size_t j;

			if (!s->slot[i])
				continue;
			for (j = fnv(s->slot[i]) & (cap - 1); slot[j]; j = (j + 1) & (cap - 1))
				;
			slot[j] = s->slot[i];
		}
		free(s->slot);
		s->slot = slot;
		s->cap = cap;
	}
	for (size_t i = fnv(k) & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
		if (!s->slot[i]) {
			s->slot[i] = strdup(k);
			if (!s->slot[i])
				return -ENOMEM;
			s->n++;
			return 1;
		}
		if (!strcmp(s->slot[i], k))
			return 0;
	}
}

static void sset_free(struct sset *s)
{
	for (size_t i = 0; i < s->cap; i++)
		free(s->slot[i]);
	free(s->slot);
	memset(s, 0, sizeof(*s));
}

/* ---- what the first phase found ---- */

enum { ENT_DIGEST, ENT_LOG, ENT_NOTE };

/* One line of the report, in aws-cli's order. */
struct entry {
	int kind;
	bool valid;
	char *bucket, *key;
	char *reason;		/* INVALID: <reason>; or the whole text of a note */
};

struct vlog {
	char *key;
	const char *hash, *alg;		/* in the digest's JSON */
	const char *oldest, *newest;	/* NULL: JSON null */
	bool times_ok;			/* the two are null or CloudTrail times */
	size_t entry;
	bool checked;			/* hash matched: scan is meaningful */
	bool scan_ok;			/* records readable */
	struct hr_logscan scan;
};

enum { VIA_NEWEST, VIA_LINK, VIA_LIST, VIA_GAP };

struct vdigest {
	char *key;
	json_t *doc;
	char sha256[65];
	char *signature, *sig_alg;	/* from the sidecar */
	struct hr_pubkey *pk;
	int64_t start, end;
	size_t entry;
	int via;			/* how the traversal got here */
	size_t newer;			/* index of the digest we came from, or SIZE_MAX */
	struct vlog *logs;
	size_t n_logs;
	bool closed;			/* lists a StopLogging record */
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

	struct hr_pubkeys keys;		/* every key we know */
	struct hr_chain_state state;	/* read after the bucket was listed */
	bool have_state;
	bool left_bucket;		/* the state's trail has left this bucket
					 * directory: state.last is its last digest */

	struct strv all_digests;	/* the trail's digest keys, sorted */
	struct sset visited;		/* digest keys the traversal loaded */
	struct sset listed;		/* log keys listed by a checked digest */

	struct entry *ents;
	size_t n_ents, cap_ents;
	struct vdigest *ds;		/* valid digests, traversal order */
	size_t n_ds, cap_ds;

	struct hr_validate_result *res;
	bool oom;			/* a finding could not be recorded */
	bool found_end_set;
	int64_t found_start, found_end;
};

static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	return n < 0 ? NULL : s;
}

static size_t add_entry(struct ctx *c, int kind, bool valid, const char *bucket,
			const char *key, char *reason)
{
	struct entry *e;

	if (c->n_ents == c->cap_ents) {
		size_t cap = c->cap_ents ? 2 * c->cap_ents : 256;
		struct entry *ne = realloc(c->ents, cap * sizeof(*ne));

		if (!ne) {
			free(reason);
			c->oom = true;
			return SIZE_MAX;
		}
		c->ents = ne;
		c->cap_ents = cap;
	}
	e = &c->ents[c->n_ents];
	e->kind = kind;
	e->valid = valid;
	e->bucket = bucket ? strdup(bucket) : NULL;
	e->key = key ? strdup(key) : NULL;
	e->reason = reason;
	return c->n_ents++;
}

/* A line aws-cli called valid turns INVALID (the first reason wins). */
static void invalidate(struct ctx *c, size_t ent, char *reason)
{
	struct entry *e = ent < c->n_ents ? &c->ents[ent] : NULL;

	if (!e || !e->valid) {
		free(reason);
		return;
	}
	e->valid = false;
	e->reason = reason;
}

/* Python's str() of a JSON value, as aws-cli formats it into messages. */
static char *pystr(json_t *v)
{
	if (json_is_string(v))
		return strdup(json_string_value(v));
	if (!v || json_is_null(v))
		return strdup("None");
	if (json_is_true(v))
		return strdup("True");
	if (json_is_false(v))
		return strdup("False");
	return json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
}

static const char *jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* ---- the bucket ---- */

typedef int (*walk_cb)(struct ctx *c, const char *key, const struct stat *st);

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
		key = xasprintf("%s/%s", rel, de->d_name);
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

static int walk_folder(struct ctx *c, const char *rel, walk_cb cb)
{
	int fd;

	fd = hr_bucket_open_dir(c->bfd, rel);
	if (fd == -ENOENT || fd == -EPERM)	/* missing, or a symlink: no objects */
		return 0;
	return fd < 0 ? fd : walk(c, fd, rel, 0, cb);
}

/* Python's key[-24:-8], counted in code points; false if not UTF-8. */
static bool key_stamp(const char *key, char *out, size_t outlen)
{
	size_t n = strlen(key), cps = 0, i;
	size_t pos[25];		/* byte offsets of the last 24 code points */

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
	char *head = xasprintf("AWSLogs/%s/CloudTrail-Digest/%s/", c->account, c->region);
	char *name = xasprintf("%s_CloudTrail-Digest_%s_%s_%s_", c->account, c->region,
			       c->trail, c->region);
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

static int collect_digest(struct ctx *c, const char *key, const struct stat *st)
{
	if (!S_ISREG(st->st_mode) || !digest_key_matches(c, key))
		return 0;
	return strv_push(&c->all_digests, strdup(key));
}

/* The key's time, parsed; false for keys whose stamp is not a time. */
static bool key_time(const char *key, int64_t *t)
{
	char stamp[64];

	return key_stamp(key, stamp, sizeof(stamp)) &&
	       hr_ct_keytime_parse(stamp, strlen(stamp), t) == 0;
}

/* ---- loading one digest (validation.py DigestProvider + traverser) ---- */

enum { LD_VALID, LD_MISSING, LD_INVALID };

/* Read the sidecar's signature and algorithm; false if aws-cli would find
 * no metadata. */
static bool read_sidecar(struct ctx *c, const char *key, char **sig, char **alg)
{
	char *side = xasprintf("%s" HR_SIDECAR_SUFFIX, key), buf[SIDECAR_MAX + 1];
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

static int load_digest(struct ctx *c, const char *bucket, const char *key, bool in_range_keys,
		       struct vdigest *d, char **msg)
{
	static const char *const required[] = {
		"digestPublicKeyFingerprint", "digestS3Bucket", "digestS3Object",
		"previousDigestSignature", "digestEndTime", "digestStartTime",
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
		return LD_MISSING;	/* no other bucket is here */
	fd = hr_bucket_open(c->bfd, key);
	if (fd == -ENOENT)
		return LD_MISSING;
	if (fd < 0) {
		*msg = xasprintf("%s", fd == -EPERM ? "not a regular file" : strerror(-fd));
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
	    strcmp(jstr(d->doc, "digestS3Bucket"), bucket) ||
	    strcmp(jstr(d->doc, "digestS3Object"), key)) {
		*msg = strdup("has been moved from its original location");
		goto out;
	}
	fp = json_object_get(d->doc, "digestPublicKeyFingerprint");
	fps = pystr(fp);
	d->pk = json_is_string(fp) ? find_key(c, json_string_value(fp), in_range_keys) : NULL;
	if (!d->pk) {
		*msg = xasprintf("public key not found in region %s for fingerprint %s",
				 c->region, fps ? fps : "None");
		goto out;
	}
	EVP_Digest(raw, len, md, NULL, EVP_sha256(), NULL);
	hr_hex(md, 32, d->sha256);
	endv = pystr(json_object_get(d->doc, "digestEndTime"));
	bkt = pystr(json_object_get(d->doc, "digestS3Bucket"));
	obj = pystr(json_object_get(d->doc, "digestS3Object"));
	prev = json_is_null(json_object_get(d->doc, "previousDigestSignature")) ? NULL :
	       pystr(json_object_get(d->doc, "previousDigestSignature"));
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
		*msg = xasprintf("Unable to load PKCS #1 key with fingerprint %s", fps);
		goto out;
	}
	if (hr_iso_time_parse(jstr(d->doc, "digestEndTime"), &d->end)) {
		*msg = xasprintf("Unable to parse date value: %s", endv);
		goto out;
	}
	if (hr_iso_time_parse(jstr(d->doc, "digestStartTime"), &d->start)) {
		char *sv = pystr(json_object_get(d->doc, "digestStartTime"));

		*msg = xasprintf("Unable to parse date value: %s", sv ? sv : "None");
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

static void vdigest_free(struct vdigest *d)
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
	const char *bucket = jstr(lf, "s3Bucket"), *key = jstr(lf, "s3Object");
	const char *hash = jstr(lf, "hashValue");
	unsigned char md[32];
	char hex[65];
	uint64_t bytes = 0;
	int fd, ret;

	memset(l, 0, sizeof(*l));
	l->key = strdup(key ? key : "");
	l->hash = hash;
	l->alg = jstr(lf, "hashAlgorithm");
	l->oldest = jstr(lf, "oldestEventTime");
	l->newest = jstr(lf, "newestEventTime");
	l->times_ok = (json_is_null(json_object_get(lf, "oldestEventTime")) &&
		       json_is_null(json_object_get(lf, "newestEventTime"))) ||
		      (l->oldest && l->newest &&
		       !hr_ct_time_parse(l->oldest, strlen(l->oldest), &(int64_t){ 0 }) &&
		       !hr_ct_time_parse(l->newest, strlen(l->newest), &(int64_t){ 0 }));
	d->n_logs++;
	if (!json_is_object(lf) || !bucket || !key) {
		l->entry = add_entry(c, ENT_LOG, false, bucket ? bucket : "?", key ? key : "?",
				     strdup("invalid format"));
		return;
	}
	if (strcmp(bucket, c->bucket)) {
		l->entry = add_entry(c, ENT_LOG, false, bucket, key, strdup("not found"));
		return;
	}
	fd = hr_bucket_open(c->bfd, key);
	if (fd < 0) {
		l->entry = add_entry(c, ENT_LOG, false, bucket, key,
				     strdup(fd == -ENOENT ? "not found" :
					    fd == -EPERM ? "not a regular file" : "invalid format"));
		return;
	}
	hr_logscan_init(&l->scan);
	ret = hr_gz_inflate_fd(fd, md, &bytes, scan_cb, &l->scan);
	close(fd);
	c->res->log_bytes += bytes;
	if (ret < 0) {
		l->entry = add_entry(c, ENT_LOG, false, bucket, key, strdup("invalid format"));
		return;
	}
	hr_hex(md, 32, hex);
	if (!hash || strcmp(hex, hash)) {
		l->entry = add_entry(c, ENT_LOG, false, bucket, key,
				     strdup("hash value doesn't match"));
		return;
	}
	l->entry = add_entry(c, ENT_LOG, true, bucket, key, NULL);
	l->checked = true;
	hr_logscan_end(&l->scan);
	l->scan_ok = !l->scan.need_exact || scan_exact(c, key, &l->scan);
	c->res->records += l->scan.records;
	if (l->scan.stop_logging)
		d->closed = true;
}

static void check_logs(struct ctx *c, struct vdigest *d)
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

	if (before && !key_time(before, &bdate))
		return -1;
	while (list->n) {
		char *k = list->v[--list->n];

		if (!key_time(k, &kd))
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
	if (c->n_ds == c->cap_ds) {
		size_t cap = c->cap_ds ? 2 * c->cap_ds : 64;
		struct vdigest *nd = realloc(c->ds, cap * sizeof(*nd));

		if (!nd)
			return -ENOMEM;
		c->ds = nd;
		c->cap_ds = cap;
	}
	c->ds[c->n_ds++] = *d;
	return 0;
}

static int traverse(struct ctx *c)
{
	struct strv list = { 0 };	/* borrowed pointers into all_digests */
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
	marker = xasprintf("AWSLogs/%s/CloudTrail-Digest/%s/%.4s/%.2s/%.2s/"
			   "%s_CloudTrail-Digest_%s_%s_%s_%s.json.gz", c->account, c->region,
			   marker_stamp, marker_stamp + 4, marker_stamp + 6, c->account,
			   c->region, c->trail, c->region, marker_stamp);
	list.v = calloc(c->all_digests.n + 1, sizeof(char *));
	if (!marker || !list.v || !bucket) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < c->all_digests.n; i++) {
		const char *k = c->all_digests.v[i];

		if (strcmp(k, marker) <= 0 || !key_stamp(k, stamp, sizeof(stamp)))
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

		sset_add(&c->visited, key);
		r = load_digest(c, bucket, key, true, &d, &msg);
		if (r != LD_VALID) {
			add_entry(c, ENT_DIGEST, false, bucket, key,
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
		d.entry = add_entry(c, ENT_DIGEST, true, bucket, key, NULL);
		track_found_times(c, &d);
		check_logs(c, &d);
		if (push_digest(c, &d)) {
			vdigest_free(&d);
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
				add_entry(c, ENT_NOTE, true, NULL, NULL,
					  xasprintf("No log files were delivered by CloudTrail "
						    "between %s and %s", a, b));
			}
			via = VIA_GAP;
		} else {
			char *pb = pystr(json_object_get(d.doc, "previousDigestS3Bucket"));

			free(key);
			key = pystr(json_object_get(d.doc, "previousDigestS3Object"));
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

static char *s3(const struct ctx *c, const char *key)
{
	return xasprintf("s3://%s/%s", c->bucket, key);
}

static bool is_null(json_t *doc, const char *k)
{
	json_t *v = json_object_get(doc, k);

	return !v || json_is_null(v);
}

static void check_algorithms(struct ctx *c, struct vdigest *d)
{
	const char *v;

	v = jstr(d->doc, "digestSignatureAlgorithm");
	if (!v || strcmp(v, HR_SIG_ALGORITHM)) {
		char *s = pystr(json_object_get(d->doc, "digestSignatureAlgorithm"));

		invalidate(c, d->entry, xasprintf("unexpected algorithm \"%s\" in "
						  "digestSignatureAlgorithm", s ? s : "?"));
		free(s);
	}
	if (strcmp(d->sig_alg, HR_SIG_ALGORITHM))
		invalidate(c, d->entry, xasprintf("unexpected algorithm \"%s\" in the "
						  "signature-algorithm metadata", d->sig_alg));
	if (!is_null(d->doc, "previousDigestS3Bucket")) {
		v = jstr(d->doc, "previousDigestHashAlgorithm");
		if (!v || strcmp(v, HR_HASH_ALGORITHM)) {
			char *s = pystr(json_object_get(d->doc, "previousDigestHashAlgorithm"));

			invalidate(c, d->entry, xasprintf("unexpected algorithm \"%s\" in "
							  "previousDigestHashAlgorithm",
							  s ? s : "?"));
			free(s);
		}
	}
	for (size_t i = 0; i < d->n_logs; i++) {
		struct vlog *l = &d->logs[i];

		if (!l->alg || strcmp(l->alg, HR_HASH_ALGORITHM))
			invalidate(c, l->entry, xasprintf("unexpected algorithm \"%s\" in "
							  "hashAlgorithm", l->alg ? l->alg : "?"));
	}
}

/* A starting digest has all five previous* null; a linked one none. */
static void check_previous_fields(struct ctx *c, struct vdigest *d)
{
	static const char *const f[] = {
		"previousDigestS3Bucket", "previousDigestS3Object", "previousDigestHashValue",
		"previousDigestHashAlgorithm", "previousDigestSignature",
	};
	int nulls = 0;

	for (int i = 0; i < 5; i++) {
		json_t *v = json_object_get(d->doc, f[i]);

		if (!v)
			nulls += 100;	/* missing altogether */
		else if (json_is_null(v))
			nulls++;
		else if (!json_is_string(v))
			nulls += 100;
	}
	if (nulls != 0 && nulls != 5)
		invalidate(c, d->entry, strdup("the previousDigest* fields are neither all "
					       "null (a starting digest) nor all set"));
}

static void check_key_window(struct ctx *c, struct vdigest *d)
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
	invalidate(c, d->entry, xasprintf("signed with key %s outside its validity window "
					  "(%s to %s)", d->pk->fingerprint, from, to));
}

/* The newer digest's link to this one must match it exactly. */
static void check_link(struct ctx *c, struct vdigest *d)
{
	struct vdigest *n;
	const char *hv, *sig;
	char *where;

	if (d->via != VIA_LINK || d->newer == SIZE_MAX)
		return;
	n = &c->ds[d->newer];
	where = s3(c, d->key);
	hv = jstr(n->doc, "previousDigestHashValue");
	sig = jstr(n->doc, "previousDigestSignature");
	if (!hv || strcmp(hv, d->sha256))
		invalidate(c, n->entry, xasprintf("previousDigestHashValue doesn't match the "
						  "hash of %s", where));
	else if (!sig || strcmp(sig, d->signature))
		invalidate(c, n->entry, xasprintf("previousDigestSignature doesn't match the "
						  "signature of %s", where));
	else if (n->start != d->end)
		invalidate(c, n->entry, xasprintf("digestStartTime %s is not the digestEndTime "
						  "%s of %s", jstr(n->doc, "digestStartTime"),
						  jstr(d->doc, "digestEndTime"), where));
	free(where);
}

static void check_log_contents(struct ctx *c, struct vdigest *d)
{
	const char *d_old = jstr(d->doc, "oldestEventTime");
	const char *d_new = jstr(d->doc, "newestEventTime");
	bool any_times = false, cover = true;
	char *where = s3(c, d->key);

	for (size_t i = 0; i < d->n_logs; i++) {
		struct vlog *l = &d->logs[i];
		struct hr_logscan *sc = &l->scan;

		if (l->key[0] && sset_add(&c->listed, l->key) == 0)
			invalidate(c, l->entry, xasprintf("listed a second time, by %s", where));
		if (!l->times_ok) {
			invalidate(c, l->entry, xasprintf("oldestEventTime/newestEventTime in %s "
							  "are not event times", where));
			continue;
		}
		if (l->oldest) {
			any_times = true;
			if (!d_old || !d_new || strcmp(l->oldest, d_old) < 0 ||
			    strcmp(l->newest, d_new) > 0)
				cover = false;
		}
		if (!l->checked)
			continue;
		if (!l->scan_ok) {
			invalidate(c, l->entry, strdup("its records cannot be read as a CloudTrail "
						       "log file"));
			continue;
		}
		if (sc->bad_times) {
			invalidate(c, l->entry, xasprintf("%llu records have no valid eventTime",
							  (unsigned long long)sc->bad_times));
			continue;
		}
		if (!sc->records)
			continue;
		if (!l->oldest)
			invalidate(c, l->entry, xasprintf("%s lists no event times for its %llu "
							  "records", where,
							  (unsigned long long)sc->records));
		else if (strcmp(sc->oldest, l->oldest) < 0)
			invalidate(c, l->entry, xasprintf("record eventTime %s is before the "
							  "oldestEventTime %s listed in %s",
							  sc->oldest, l->oldest, where));
		else if (strcmp(sc->newest, l->newest) > 0)
			invalidate(c, l->entry, xasprintf("record eventTime %s is after the "
							  "newestEventTime %s listed in %s",
							  sc->newest, l->newest, where));
	}
	if (!cover || (any_times && (!d_old || !d_new)) ||
	    (!any_times && (!is_null(d->doc, "oldestEventTime") ||
			    !is_null(d->doc, "newestEventTime"))))
		invalidate(c, d->entry, strdup("oldestEventTime/newestEventTime do not match "
					       "those of its log files"));
	free(where);
}

/* The median digest length: the agent's period, when not given. */
static unsigned infer_period(struct ctx *c)
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
	for (size_t i = 1; i < n; i++)	/* insertion sort: few distinct values */
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

static int64_t slack(const struct ctx *c)
{
	int64_t s = c->period / 10;

	return (s < 5 ? 5 : s) + 1;
}

/* Chains must end with StopLogging, or reach the next chain / the end. */
static void check_chain_ends(struct ctx *c)
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
		if (next_start - d->end <= (int64_t)c->period + slack(c))
			continue;
		hr_ct_time_fmt(next_start, a);
		add_entry(c, ENT_DIGEST, false, c->bucket, d->key,
			  xasprintf("the chain ends here without StopLogging, %lld s before the "
				    "next chain starts (%s): the digests after it are missing",
				    (long long)(next_start - d->end), a));
	}
	for (size_t i = 0; i < c->visited.cap; i++) {
		int64_t t;

		if (c->visited.slot[i] && key_time(c->visited.slot[i], &t) && t > newest_end)
			newest_end = t;
	}
	if (c->n_ds && !c->ds[0].closed && c->ds[0].end >= newest_end &&
	    limit - c->ds[0].end > (int64_t)c->period + slack(c)) {
		hr_ct_time_fmt(limit, a);
		add_entry(c, ENT_DIGEST, false, c->bucket, c->ds[0].key,
			  xasprintf("no digest follows this one although its chain did not end "
				    "with StopLogging, and the range ends %lld s later (%s), more "
				    "than one digest period (%u s): newer digests are missing",
				    (long long)(limit - c->ds[0].end), a, c->period));
	}
	/* the agent's own record of its newest digest */
	if (c->have_state && c->state.have_last && !sset_get(&c->visited, c->state.last.key) &&
	    c->state.last.end >= c->start && c->state.last.end <= c->end + HOUR) {
		int fd = hr_bucket_open(c->bfd, c->state.last.key);

		if (fd >= 0)
			close(fd);
		else
			add_entry(c, ENT_DIGEST, false, c->bucket, c->state.last.key,
				  strdup("not found (the agent's state names it as its newest "
					 "digest)"));
	}
}

/* Digests of the trail in the listed range that the chain never reached. */
static void check_unreached(struct ctx *c)
{
	char lo[HR_CT_KEYTIME_LEN + 1], hi[HR_CT_KEYTIME_LEN + 1], stamp[64];

	hr_ct_keytime_fmt(c->start, lo);
	hr_ct_keytime_fmt(c->end + HOUR, hi);
	for (size_t i = 0; i < c->all_digests.n; i++) {
		const char *k = c->all_digests.v[i];

		if (sset_get(&c->visited, k))
			continue;
		if (!key_stamp(k, stamp, sizeof(stamp))) {
			add_entry(c, ENT_DIGEST, false, c->bucket, k,
				  strdup("not a digest key: its name does not end in a time"));
			continue;
		}
		if (strcmp(stamp, lo) < 0 || strcmp(stamp, hi) > 0)
			continue;
		if (!key_time(k, &(int64_t){ 0 })) {
			add_entry(c, ENT_DIGEST, false, c->bucket, k,
				  strdup("not a digest key: its name does not end in a time"));
			continue;
		}
		add_entry(c, ENT_DIGEST, false, c->bucket, k,
			  strdup("not part of the digest chain (no newer digest links to it)"));
	}
}

/* Logs listed by signed digests just outside the traversal: they may list
 * log files delivered at the edges of the range. */
static void add_neighbour_listings(struct ctx *c, int64_t lo, int64_t hi, bool after_newest)
{
	for (size_t i = 0; i < c->all_digests.n; i++) {
		const char *k = c->all_digests.v[i];
		struct vdigest d;
		json_t *lfs, *lf;
		char *msg = NULL;
		int64_t t;
		size_t j;

		if (sset_get(&c->visited, k) || !key_time(k, &t) || t < lo || t > hi)
			continue;
		if (load_digest(c, c->bucket, k, false, &d, &msg) != LD_VALID) {
			free(msg);
			continue;
		}
		lfs = json_object_get(d.doc, "logFiles");
		json_array_foreach(lfs, j, lf) {
			const char *lk = jstr(lf, "s3Object");

			if (lk)
				sset_add(&c->listed, lk);
		}
		vdigest_free(&d);
		if (after_newest)
			break;	/* the one right after the newest is enough */
	}
}

/* Log files no checked digest lists, waiting for the agent's state. */
struct candidate {
	char *key;
	int64_t minute;		/* delivered within [minute, minute + 60) */
};

struct unlisted {
	int64_t scope_lo, cov_end;
	struct candidate *v;
	size_t n, cap;
};

static struct unlisted *g_ul;	/* walk callbacks get only the ctx */

static int collect_log_file(struct ctx *c, const char *key, const struct stat *st)
{
	const char *name = strrchr(key, '/') + 1;
	char rebuilt[HR_LOG_KEY_MAX], full[HR_CT_KEYTIME_LEN + 1];
	struct unlisted *ul = g_ul;
	size_t nl = strlen(name);
	int64_t m;

	/* a delivery in progress (the publisher's temporary name) */
	if (name[0] == '.' && nl > 5 && !strcmp(name + nl - 4, ".tmp"))
		return 0;
	if (sset_get(&c->listed, key))
		return 0;
	if (!S_ISREG(st->st_mode)) {
		add_entry(c, ENT_LOG, false, c->bucket, key,
			  strdup("not a regular file, in the trail's log folder"));
		return 0;
	}
	if (hr_logfile_key_from_name(rebuilt, sizeof(rebuilt), name) || strcmp(rebuilt, key)) {
		add_entry(c, ENT_LOG, false, c->bucket, key,
			  strdup("not a log file name of this trail, in its log folder, and "
				 "listed in no digest"));
		return 0;
	}
	/* <acct>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<16>.json.gz */
	memcpy(full, name + nl - 8 - 16 - 1 - 14, 13);
	memcpy(full + 13, "00Z", 4);
	if (hr_ct_keytime_parse(full, HR_CT_KEYTIME_LEN, &m) || m + 60 <= ul->scope_lo ||
	    m > c->end)
		return 0;
	if (ul->n == ul->cap) {
		size_t cap = ul->cap ? 2 * ul->cap : 32;
		struct candidate *nv = realloc(ul->v, cap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		ul->v = nv;
		ul->cap = cap;
	}
	ul->v[ul->n].key = strdup(key);
	if (!ul->v[ul->n].key)
		return -ENOMEM;
	ul->v[ul->n++].minute = m;
	return 0;
}

static int collect_unlisted(struct ctx *c, struct unlisted *ul)
{
	int64_t cov_start = INT64_MAX;
	char *folder;
	int ret;

	ul->cov_end = INT64_MIN;
	for (size_t i = 0; i < c->n_ds; i++) {
		if (c->ds[i].start < cov_start)
			cov_start = c->ds[i].start;
		if (c->ds[i].end > ul->cov_end)
			ul->cov_end = c->ds[i].end;
	}
	ul->scope_lo = cov_start < c->start ? cov_start : c->start;
	/* a log delivered just before the oldest digest checked is listed by
	 * the digest before it; one delivered as the newest was written, by
	 * the next one */
	add_neighbour_listings(c, ul->scope_lo - 120,
			       cov_start == INT64_MAX ? c->start : cov_start, false);
	if (c->n_ds)
		add_neighbour_listings(c, ul->cov_end + 1, INT64_MAX, true);

	folder = xasprintf("AWSLogs/%s/CloudTrail/%s", c->account, c->region);
	if (!folder)
		return -ENOMEM;
	g_ul = ul;
	ret = walk_folder(c, folder, collect_log_file);
	g_ul = NULL;
	free(folder);
	return ret;
}

static bool pending_in_state(const struct ctx *c, const char *key)
{
	for (size_t i = 0; c->have_state && i < c->state.n_pending; i++)
		if (!strcmp(c->state.pending[i].log.key, key))
			return true;
	return false;
}

/*
 * Decide with the agent's state read after the walk. The agent records a
 * log file as pending before the file appears, so one the walk saw is
 * pending now, or listed by a digest newer than the ones we listed (the
 * state's newest digest is one we did not see), or was never reported to
 * the signer at all. Without the state, only time can tell.
 */
static void decide_unlisted(struct ctx *c, struct unlisted *ul)
{
	int64_t limit = c->end < c->now ? c->end : c->now;
	bool closed = !c->n_ds || c->ds[0].closed;
	bool advanced = false;

	if (c->have_state && c->state.have_last && !sset_get(&c->visited, c->state.last.key)) {
		int fd = hr_bucket_open(c->bfd, c->state.last.key);

		advanced = fd >= 0;
		if (fd >= 0)
			close(fd);
	}
	for (size_t i = 0; i < ul->n; i++) {
		struct candidate *k = &ul->v[i];
		bool report;

		if (pending_in_state(c, k->key))
			report = false;		/* reported, not digested yet */
		else if (k->minute + 60 <= ul->cov_end)
			report = true;		/* within what the digests cover */
		else if (c->have_state)
			report = !advanced;
		else
			report = closed && k->minute + 60 + (int64_t)c->period + slack(c) <= limit;
		if (report)
			add_entry(c, ENT_LOG, false, c->bucket, k->key,
				  strdup("not listed in any digest"));
		free(k->key);
	}
	free(ul->v);
	ul->v = NULL;
	ul->n = 0;
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
	struct hr_chain_link l = { 0 };

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
	snprintf(c->state.frame.bucket_name, sizeof(c->state.frame.bucket_name), "%s",
		 l.bucket);
	c->state.n_pending = 0;
	c->left_bucket = true;
	return true;
}

/* The agent's state, if it is this trail's. */
static void read_state(struct ctx *c)
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

/* ---- the report (validation.py's _write_status and summary) ---- */

static void report(struct ctx *c)
{
	struct hr_validate_result *r = c->res;
	char s[HR_CT_TIME_LEN + 1], e[HR_CT_TIME_LEN + 1];
	bool dbl = true;

	for (size_t i = 0; i < c->n_ents; i++) {
		struct entry *en = &c->ents[i];
		char *b = en->bucket ? hr_printable(en->bucket) : NULL;
		char *k = en->key ? hr_printable(en->key) : NULL;
		char *line;
		bool error = !en->valid || en->kind == ENT_NOTE;

		if (en->kind == ENT_NOTE)
			line = strdup(en->reason);
		else if (en->valid)
			line = xasprintf("%s\ts3://%s/%s\tvalid",
					 en->kind == ENT_DIGEST ? "Digest file" : "Log file", b, k);
		else
			line = xasprintf("%s\ts3://%s/%s\tINVALID: %s",
					 en->kind == ENT_DIGEST ? "Digest file" : "Log file", b, k,
					 en->reason);
		if (en->kind == ENT_DIGEST)
			en->valid ? r->digests_valid++ : r->digests_invalid++;
		else if (en->kind == ENT_LOG)
			en->valid ? r->logs_valid++ : r->logs_invalid++;
		if (error) {
			fprintf(c->err, dbl ? "%s\n\n" : "\n%s\n\n", line ? line : "?");
			dbl = true;
		} else if (c->o->verbose) {
			dbl = false;
			fprintf(c->out, "%s\n", line ? line : "?");
		}
		free(line);
		free(b);
		free(k);
	}
	if (!dbl)
		fputc('\n', c->out);
	hr_ct_time_fmt(c->start, s);
	hr_ct_time_fmt(c->end, e);
	fprintf(c->out, "Results requested for %s to %s\n", s, e);
	if (!r->digests_valid && !r->digests_invalid) {
		fprintf(c->out, "No digests found\n");
		if (!r->logs_invalid)
			return;
	} else if (!c->found_end_set) {
		fprintf(c->out, "No valid digests found in range\n");
	} else {
		hr_ct_time_fmt(c->found_start, s);
		hr_ct_time_fmt(c->found_end, e);
		fprintf(c->out, "Results found for %s to %s:\n", s, e);
	}
	if (r->digests_valid + r->digests_invalid) {
		unsigned t = r->digests_valid + r->digests_invalid;

		fprintf(c->out, "\n%u/%u digest files valid", r->digests_valid, t);
		if (r->digests_invalid)
			fprintf(c->out, ", %u/%u digest files INVALID", r->digests_invalid, t);
	}
	if (r->logs_valid + r->logs_invalid) {
		unsigned t = r->logs_valid + r->logs_invalid;

		fprintf(c->out, "\n%u/%u log files valid", r->logs_valid, t);
		if (r->logs_invalid)
			fprintf(c->out, ", %u/%u log files INVALID", r->logs_invalid, t);
	}
	fputc('\n', c->out);
}

/* ---- which trail, which bucket ---- */

struct trail_id {
	char account[16], region[64], trail[128];
};

struct trails {
	struct trail_id *v;
	size_t n;
	const struct hr_validate_opts *o;
};

static struct trails *g_tr;

static void add_trail(struct trails *t, const char *a, const char *r, const char *n)
{
	struct trail_id *nv;

	if ((t->o->account_id && strcmp(a, t->o->account_id)) ||
	    (t->o->region && strcmp(r, t->o->region)) ||
	    (t->o->trail_name && strcmp(n, t->o->trail_name)))
		return;
	if (strlen(a) >= sizeof(nv->account) || strlen(r) >= sizeof(nv->region) ||
	    strlen(n) >= sizeof(nv->trail))
		return;
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->v[i].account, a) && !strcmp(t->v[i].region, r) &&
		    !strcmp(t->v[i].trail, n))
			return;
	nv = realloc(t->v, (t->n + 1) * sizeof(*nv));
	if (!nv)
		return;
	t->v = nv;
	snprintf(nv[t->n].account, sizeof(nv->account), "%s", a);
	snprintf(nv[t->n].region, sizeof(nv->region), "%s", r);
	snprintf(nv[t->n].trail, sizeof(nv->trail), "%s", n);
	t->n++;
}

/* AWSLogs/<a>/CloudTrail-Digest/<r>/Y/M/D/<a>_CloudTrail-Digest_<r>_<trail>_<home>_<stamp>.json.gz */
static int discover_cb(struct ctx *c, const char *key, const struct stat *st)
{
	char a[64], r[128], *name, *p, *end;
	const char *base = strrchr(key, '/') + 1;
	size_t pl;

	(void)c;
	if (!S_ISREG(st->st_mode) || sscanf(key, "AWSLogs/%63[^/]/CloudTrail-Digest/%127[^/]/",
					    a, r) != 2)
		return 0;
	name = xasprintf("%s_CloudTrail-Digest_%s_", a, r);
	if (!name)
		return -ENOMEM;
	pl = strlen(name);
	if (strncmp(base, name, pl) || strlen(base) < pl + 1 + 1 + 16 + 8 ||
	    strcmp(base + strlen(base) - 8, ".json.gz")) {
		free(name);
		return 0;
	}
	free(name);
	p = strdup(base + pl);
	if (!p)
		return -ENOMEM;
	/* <trail>_<home>_<stamp>.json.gz: regions have no '_' */
	end = p + strlen(p) - 8 - 16;
	if (end[-1] == '_') {
		end[-1] = '\0';
		name = strrchr(p, '_');
		if (name && name > p && !strcmp(name + 1, r)) {
			*name = '\0';
			add_trail(g_tr, a, r, p);
		}
	}
	free(p);
	return 0;
}

static int discover_trails(struct ctx *c, struct trails *t)
{
	DIR *d;
	struct dirent *de;
	int fd = openat(c->bfd, "AWSLogs", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return 0;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	g_tr = t;
	while ((de = readdir(d))) {
		char *rel;

		if (de->d_name[0] == '.')
			continue;
		rel = xasprintf("AWSLogs/%s/CloudTrail-Digest", de->d_name);
		if (!rel)
			break;
		walk_folder(c, rel, discover_cb);
		free(rel);
	}
	g_tr = NULL;
	closedir(d);
	return 0;
}

/* Trails the state dir's chain states know, when the bucket has no digest. */
static void trails_from_state(const char *state_dir, struct trails *t)
{
	char *dir = xasprintf("%s/chain", state_dir);
	DIR *d = dir ? opendir(dir) : NULL;
	struct dirent *de;

	while (d && (de = readdir(d))) {
		struct hr_chain_state st;
		char name[256], err[256];
		size_t n = strlen(de->d_name);

		if (n < 6 || n >= sizeof(name) || strcmp(de->d_name + n - 5, ".json") ||
		    de->d_name[0] == '.')
			continue;
		memcpy(name, de->d_name, n - 5);
		name[n - 5] = '\0';
		if (hr_chain_load(state_dir, name, &st, err, sizeof(err)))
			continue;
		add_trail(t, st.frame.account_id, st.frame.region, st.frame.trail_name);
		hr_chain_free(&st);
	}
	if (d)
		closedir(d);
	free(dir);
}

/* digestS3Bucket of the newest digest, read without trusting it: if it is
 * wrong every digest comes out "moved". */
static char *bucket_from_digests(struct ctx *c)
{
	for (size_t i = c->all_digests.n; i-- > 0;) {
		unsigned char *raw = NULL;
		json_error_t jerr;
		json_t *doc;
		char *b = NULL;
		size_t len;
		int fd = hr_bucket_open(c->bfd, c->all_digests.v[i]);

		if (fd < 0)
			continue;
		if (!hr_gz_inflate_fd_all(fd, DIGEST_MAX, &raw, &len)) {
			doc = json_loadb((const char *)raw, len, 0, &jerr);
			if (jstr(doc, "digestS3Bucket"))
				b = strdup(jstr(doc, "digestS3Bucket"));
			json_decref(doc);
		}
		free(raw);
		close(fd);
		if (b)
			return b;
	}
	return NULL;
}

static char *base_name(const char *dir)
{
	char *copy = strdup(dir), *b;
	size_t n;

	if (!copy)
		return NULL;
	n = strlen(copy);
	while (n > 1 && copy[n - 1] == '/')
		copy[--n] = '\0';
	b = strrchr(copy, '/');
	b = strdup(b ? b + 1 : copy);
	free(copy);
	return b;
}

/* ---- entry point ---- */

static int usage_error(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int usage_error(struct ctx *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(c->err, "hostrail validate-logs: ");
	va_start(ap, fmt);
	vfprintf(c->err, fmt, ap);
	va_end(ap);
	fputc('\n', c->err);
	return 2;
}

static int pick_trail(struct ctx *c, struct trail_id *out)
{
	const struct hr_validate_opts *o = c->o;
	struct trails t = { .o = o };
	int ret = 0;

	discover_trails(c, &t);
	if (!t.n && o->state_dir)
		trails_from_state(o->state_dir, &t);
	if (!t.n && o->account_id && o->region && o->trail_name)
		add_trail(&t, o->account_id, o->region, o->trail_name);
	if (t.n == 1) {
		*out = t.v[0];
	} else if (!t.n) {
		ret = usage_error(c, "no digest files under %s/AWSLogs%s; name the trail with "
				  "--account-id, --region and --trail-name", o->bucket_dir,
				  (o->account_id || o->region || o->trail_name) ?
				  " for the trail given" : "");
	} else {
		fprintf(c->err, "hostrail validate-logs: %s holds digests of %zu trails; choose "
			"one with --account-id, --region and --trail-name:\n", o->bucket_dir, t.n);
		for (size_t i = 0; i < t.n; i++)
			fprintf(c->err, "  --account-id %s --region %s --trail-name %s\n",
				t.v[i].account, t.v[i].region, t.v[i].trail);
		ret = 2;
	}
	free(t.v);
	return ret;
}

static void ctx_free(struct ctx *c)
{
	for (size_t i = 0; i < c->n_ents; i++) {
		free(c->ents[i].bucket);
		free(c->ents[i].key);
		free(c->ents[i].reason);
	}
	free(c->ents);
	for (size_t i = 0; i < c->n_ds; i++)
		vdigest_free(&c->ds[i]);
	free(c->ds);
	strv_free(&c->all_digests);
	sset_free(&c->visited);
	sset_free(&c->listed);
	hr_pubkeys_free(&c->keys);
	hr_chain_free(&c->state);
	free(c->bucket);
	free(c->arn);
	if (c->bfd >= 0)
		close(c->bfd);
}

int hr_validate_logs(const struct hr_validate_opts *o, struct hr_validate_result *res)
{
	struct hr_validate_result local;
	struct unlisted ul = { 0 };
	struct trail_id tid;
	struct ctx c = { .o = o, .bfd = -1 };
	char err[1024], s[HR_CT_TIME_LEN + 1], e[HR_CT_TIME_LEN + 1], *folder = NULL;
	size_t in_range = 0;
	int ret;

	if (!res)
		res = &local;
	memset(res, 0, sizeof(*res));
	c.res = res;
	c.out = o->out ? o->out : stdout;
	c.err = o->err ? o->err : stderr;
	c.now = (int64_t)time(NULL);
	c.start = o->start;
	c.end = o->end ? o->end : c.now;
	if (c.start > c.end) {
		ret = usage_error(&c, "invalid time range: the start time must not be after the "
				  "end time");
		goto out;
	}
	if (!o->bucket_dir) {
		ret = usage_error(&c, "--bucket-dir is required");
		goto out;
	}
	c.bfd = open(o->bucket_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c.bfd < 0) {
		ret = usage_error(&c, "cannot open the bucket directory %s: %s", o->bucket_dir,
				  strerror(errno));
		goto out;
	}
	if (o->public_keys_file)
		ret = hr_pubkeys_load_file(o->public_keys_file, &c.keys, err, sizeof(err));
	else if (o->state_dir)
		ret = hr_keys_load_public(o->state_dir, &c.keys, err, sizeof(err));
	else
		ret = snprintf(err, sizeof(err), "give --state-dir or --public-keys") ? -EINVAL : 0;
	if (ret) {
		ret = usage_error(&c, "%s", err);
		goto out;
	}
	ret = pick_trail(&c, &tid);
	if (ret)
		goto out;
	c.account = tid.account;
	c.region = tid.region;
	c.trail = tid.trail;

	read_state(&c);		/* for the bucket name; read again at the end */

	folder = xasprintf("AWSLogs/%s/CloudTrail-Digest/%s", c.account, c.region);
	if (!folder || walk_folder(&c, folder, collect_digest)) {
		ret = usage_error(&c, "cannot list %s/%s", o->bucket_dir, folder ? folder : "");
		goto out;
	}
	qsort(c.all_digests.v, c.all_digests.n, sizeof(char *), cmp_str);

	if (o->bucket_name)
		c.bucket = strdup(o->bucket_name);
	else if (c.have_state && c.state.frame.bucket_name[0])
		c.bucket = strdup(c.state.frame.bucket_name);
	else
		c.bucket = bucket_from_digests(&c);
	if (!c.bucket)
		c.bucket = base_name(o->bucket_dir);
	c.arn = o->trail_arn ? strdup(o->trail_arn) :
		xasprintf("arn:hostrail:cloudtrail:%s:%s:trail/%s", c.region, c.account, c.trail);
	if (!c.bucket || !c.arn) {
		ret = usage_error(&c, "out of memory");
		goto out;
	}

	hr_ct_time_fmt(c.start, s);
	hr_ct_time_fmt(c.end, e);
	fprintf(c.out, "Validating log files for trail %s between %s and %s\n\n", c.arn, s, e);
	for (size_t i = 0; i < c.keys.n; i++)
		in_range += hr_pubkey_in_range(&c.keys.v[i], c.start, c.end);
	if (!in_range) {
		/* aws-cli raises here, before looking at any digest */
		fflush(c.out);
		fprintf(c.err, "\nNo public keys found between %s and %s\n", s, e);
		ret = 2;
		goto out;
	}
	c.found_start = c.start;

	ret = traverse(&c);
	if (ret) {
		ret = usage_error(&c, "%s", strerror(-ret));
		goto out;
	}
	c.period = infer_period(&c);
	for (size_t i = 0; i < c.n_ds; i++) {
		check_algorithms(&c, &c.ds[i]);
		check_previous_fields(&c, &c.ds[i]);
		check_key_window(&c, &c.ds[i]);
		check_link(&c, &c.ds[i]);
		check_log_contents(&c, &c.ds[i]);
	}
	check_unreached(&c);
	ret = collect_unlisted(&c, &ul);
	if (ret) {
		decide_unlisted(&c, &ul);
		ret = usage_error(&c, "cannot list the log files: %s", strerror(-ret));
		goto out;
	}
	read_state(&c);
	check_chain_ends(&c);
	decide_unlisted(&c, &ul);
	if (c.oom) {
		ret = usage_error(&c, "out of memory");
		goto out;
	}
	report(&c);
	ret = (res->digests_invalid || res->logs_invalid) ? 1 : 0;
out:
	fflush(c.out);
	free(folder);
	ctx_free(&c);
	return ret;
}

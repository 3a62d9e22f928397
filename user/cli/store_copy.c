// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* store_copy.c - a store's objects into a bucket directory (store_copy.h). */
#include "cli/store_copy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/awscreds.h"
#include "common/files.h"
#include "deliver/logfile.h"
#include "sign/digest.h"

struct copy {
	const struct hr_s3_endpoint *e;
	struct hr_aws_creds creds;
	const char *dir;
	size_t strip; /* length of "prefix/" */
	size_t n;
	char *err;
	size_t errlen;
};

static bool ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);

	return n >= t && !strcmp(s + n - t, tail);
}

/* dir/key's directory and file name. */
static int split(const char *dir, const char *key, char *d, size_t dl, const char **name)
{
	const char *slash = strrchr(key, '/');

	*name = slash ? slash + 1 : key;
	return snprintf(d, dl, "%s/%.*s", dir, slash ? (int)(slash - key) : 0, key) < (int)dl ?
		       0 :
		       -ENAMETOOLONG;
}

static int copy_one(void *arg, const char *full)
{
	struct copy *c = arg;
	const char *key = full + c->strip, *name;
	char d[4096], sidecar[HR_LOG_KEY_MAX + 16], *body = NULL, *json = NULL;
	struct hr_s3_result r;
	size_t len, jl;
	int ret;

	if (strlen(full) < c->strip || !ends_with(key, ".json.gz") || !hr_key_is_plain(key) ||
	    strncmp(key, "AWSLogs/", 8))
		return 0; /* the preflight marker, or not the trail's */
	ret = split(c->dir, key, d, sizeof(d), &name);
	if (!ret)
		ret = hr_make_dirs(d, c->err, c->errlen);
	if (ret)
		return ret;
	ret = hr_s3_get(c->e, &c->creds, full, NULL, &body, &len, &r);
	if (!ret && r.outcome != HR_S3_OK) {
		snprintf(c->err, c->errlen, "%s", r.err);
		ret = -EIO;
	}
	if (!ret)
		ret = hr_write_file_atomic(d, name, body, len, 0640, false, c->err, c->errlen);
	if (!ret && strstr(key, "/CloudTrail-Digest/") && r.meta_signature[0]) {
		snprintf(sidecar, sizeof(sidecar), "%s" HR_SIDECAR_SUFFIX, name);
		ret = hr_digest_sidecar_json(r.meta_signature, &json, &jl);
		if (!ret)
			ret = hr_write_file_atomic(d, sidecar, json, jl, 0640, false, c->err,
						   c->errlen);
	}
	free(json);
	free(body);
	c->n += !ret;
	return ret;
}

int hr_store_copy(const struct hr_s3_endpoint *e, const char *prefix, const char *dir,
		  size_t *n_objects, char *err, size_t errlen)
{
	struct hr_creds_opts co = {0};
	struct copy c = {.e = e, .dir = dir, .err = err, .errlen = errlen};
	struct hr_s3_result r = {0};
	char p[512];
	int ret;

	err[0] = '\0';
	snprintf(p, sizeof(p), "%s%s", prefix && *prefix ? prefix : "",
		 prefix && *prefix ? "/" : "");
	c.strip = strlen(p);
	ret = hr_aws_creds_load(&co, &c.creds, err, errlen);
	if (ret)
		return ret;
	ret = hr_s3_list(e, &c.creds, p, copy_one, &c, &r);
	if (ret == -EIO && !err[0])
		snprintf(err, errlen, "%s", r.err);
	*n_objects = c.n;
	hr_aws_creds_free(&c.creds);
	return ret;
}

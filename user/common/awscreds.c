// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* awscreds.c - AWS credentials from the usual places (awscreds.h). */
#include "common/awscreds.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "common/http.h"

#define CREDS_FILE_MAX (1u << 20)

const char *hr_creds_source_name(enum hr_creds_source s)
{
	switch (s) {
	case HR_CREDS_TRAIL_FILE:
		return "the trail's credentials file";
	case HR_CREDS_ENV:
		return "environment";
	case HR_CREDS_SHARED_FILE:
		return "shared credentials file";
	case HR_CREDS_CONFIG_FILE:
		return "shared config file";
	case HR_CREDS_IMDS:
		return "instance metadata service";
	case HR_CREDS_NONE:
		break;
	}
	return "none";
}

static void wipe_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

void hr_aws_creds_free(struct hr_aws_creds *c)
{
	if (!c)
		return;
	wipe_free(c->access_key_id);
	wipe_free(c->secret_access_key);
	wipe_free(c->session_token);
	memset(c, 0, sizeof(*c));
}

static int set_creds(struct hr_aws_creds *out, const char *ak, size_t akl, const char *sk,
		     size_t skl, const char *tok, size_t tokl)
{
	out->access_key_id = strndup(ak, akl);
	out->secret_access_key = strndup(sk, skl);
	out->session_token = tok && tokl ? strndup(tok, tokl) : NULL;
	if (!out->access_key_id || !out->secret_access_key ||
	    (tok && tokl && !out->session_token)) {
		hr_aws_creds_free(out);
		return -ENOMEM;
	}
	return 0;
}

static const char *trim(const char *s, const char *end, size_t *len)
{
	while (s < end && isspace((unsigned char)*s))
		s++;
	while (end > s && isspace((unsigned char)end[-1]))
		end--;
	*len = (size_t)(end - s);
	return s;
}

int hr_aws_creds_parse_ini(const char *text, const char *section, struct hr_aws_creds *out,
			   char *err, size_t errlen)
{
	const char *ak = NULL, *sk = NULL, *tok = NULL;
	size_t akl = 0, skl = 0, tokl = 0;
	bool in = false;
	int lineno = 0;

	memset(out, 0, sizeof(*out));
	for (const char *p = text; p && *p;) {
		const char *nl = strchr(p, '\n'), *end = nl ? nl : p + strlen(p), *eq, *k, *v;
		size_t kl, vl;

		lineno++;
		k = trim(p, end, &kl);
		p = nl ? nl + 1 : NULL;
		if (!kl || *k == '#' || *k == ';')
			continue;
		if (*k == '[') {
			const char *name;
			size_t nlen;

			if (k[kl - 1] != ']') {
				snprintf(err, errlen, "line %d: a section header without ']'",
					 lineno);
				return -EINVAL;
			}
			name = trim(k + 1, k + kl - 1, &nlen);
			in = nlen == strlen(section) && !strncmp(name, section, nlen);
			continue;
		}
		eq = memchr(k, '=', kl);
		if (!eq) {
			/* never quote the line: it may hold a key */
			snprintf(err, errlen, "line %d: expected \"name = value\"", lineno);
			return -EINVAL;
		}
		if (!in)
			continue;
		v = trim(eq + 1, k + kl, &vl);
		trim(k, eq, &kl);
		if (kl == 17 && !strncmp(k, "aws_access_key_id", kl))
			ak = v, akl = vl;
		else if (kl == 21 && !strncmp(k, "aws_secret_access_key", kl))
			sk = v, skl = vl;
		else if (kl == 17 && !strncmp(k, "aws_session_token", kl))
			tok = v, tokl = vl;
	}
	if (!ak || !sk || !akl || !skl) {
		snprintf(err, errlen, "no aws_access_key_id and aws_secret_access_key in [%s]",
			 section);
		return -ENOENT;
	}
	return set_creds(out, ak, akl, sk, skl, tok, tokl);
}

/* Read a file of keys; with strict, only a root-owned 0600 regular file. */
static int read_keys_file(const char *path, bool strict, char **text, char *err, size_t errlen)
{
	struct stat st;
	size_t len;
	ssize_t r;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), ret = 0;

	*text = NULL;
	if (fd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return -errno;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s is not a regular file", path);
		ret = -EINVAL;
		goto out;
	}
	if (strict && (st.st_uid != 0 || (st.st_mode & 07777) != 0600)) {
		snprintf(err, errlen, "refused %s: it must be owned by root with mode 0600", path);
		ret = -EACCES;
		goto out;
	}
	if ((size_t)st.st_size > CREDS_FILE_MAX) {
		snprintf(err, errlen, "%s is too large", path);
		ret = -EFBIG;
		goto out;
	}
	len = (size_t)st.st_size;
	*text = calloc(1, len + 1);
	if (!*text) {
		ret = -ENOMEM;
		goto out;
	}
	r = read(fd, *text, len);
	if (r < 0 || (size_t)r != len) {
		snprintf(err, errlen, "cannot read %s", path);
		ret = -EIO;
	}
out:
	if (ret && *text) {
		explicit_bzero(*text, strlen(*text));
		free(*text);
		*text = NULL;
	}
	close(fd);
	return ret;
}

static int from_file(const char *path, bool strict, const char *section, struct hr_aws_creds *out,
		     char *err, size_t errlen)
{
	char *text, perr[HR_CREDS_ERR_MAX];
	int ret = read_keys_file(path, strict, &text, err, errlen);

	if (ret)
		return ret;
	ret = hr_aws_creds_parse_ini(text, section, out, perr, sizeof(perr));
	if (ret)
		snprintf(err, errlen, "%s: %s", path, perr);
	explicit_bzero(text, strlen(text));
	free(text);
	return ret;
}

static const char *env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

static int home_file(char *buf, size_t len, const char *var, const char *name)
{
	const char *v = env(var), *home = env("HOME");

	if (v)
		return snprintf(buf, len, "%s", v) < (int)len ? 0 : -ENAMETOOLONG;
	return snprintf(buf, len, "%s/.aws/%s", home ? home : "/root", name) < (int)len ?
		       0 :
		       -ENAMETOOLONG;
}

/* JSON string field, copied. */
static const char *jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static int imds_get(const char *url, const char *method, const char *hdr, struct hr_http_resp *r,
		    char *err, size_t errlen)
{
	const char *h[1] = {hdr};
	struct hr_http_req q = {
		.method = method, .url = url, .headers = h, .n_headers = 1, .timeout_ms = 2000};
	int ret = hr_http_do(&q, r);

	if (ret) {
		snprintf(err, errlen, "instance metadata service: %s", r->err);
		return ret;
	}
	if (r->status != 200) {
		snprintf(err, errlen, "instance metadata service: HTTP %ld for %s", r->status,
			 strrchr(url, '/') ? url : "request");
		return r->status == 404 ? -ENOENT : -EIO;
	}
	return 0;
}

int hr_aws_creds_imds(const char *endpoint, struct hr_aws_creds *out, char *err, size_t errlen)
{
	struct hr_http_resp r = {0};
	char url[1024], *hdr = NULL, role[256];
	json_t *j = NULL;
	size_t n;
	int ret;

	memset(out, 0, sizeof(*out));
	n = strlen(endpoint);
	while (n && endpoint[n - 1] == '/')
		n--;
	snprintf(url, sizeof(url), "%.*s/latest/api/token", (int)n, endpoint);
	ret = imds_get(url, "PUT", "X-aws-ec2-metadata-token-ttl-seconds: 21600", &r, err, errlen);
	if (ret)
		goto out;
	if (asprintf(&hdr, "X-aws-ec2-metadata-token: %s", r.body) < 0) {
		hdr = NULL;
		ret = -ENOMEM;
		goto out;
	}
	hr_http_resp_free(&r);
	snprintf(url, sizeof(url), "%.*s/latest/meta-data/iam/security-credentials/", (int)n,
		 endpoint);
	ret = imds_get(url, "GET", hdr, &r, err, errlen);
	if (ret)
		goto out;
	snprintf(role, sizeof(role), "%.*s", (int)strcspn(r.body, "\r\n"), r.body);
	hr_http_resp_free(&r);
	if (!role[0] || strchr(role, '/')) {
		snprintf(err, errlen, "instance metadata service: no IAM role");
		ret = -ENOENT;
		goto out;
	}
	snprintf(url, sizeof(url), "%.*s/latest/meta-data/iam/security-credentials/%s", (int)n,
		 endpoint, role);
	ret = imds_get(url, "GET", hdr, &r, err, errlen);
	if (ret)
		goto out;
	j = json_loadb(r.body, r.body_len, 0, NULL);
	if (!j || !jstr(j, "AccessKeyId") || !jstr(j, "SecretAccessKey")) {
		snprintf(err, errlen,
			 "instance metadata service: credentials of role %s are "
			 "not understood",
			 role);
		ret = -EINVAL;
		goto out;
	}
	ret = set_creds(out, jstr(j, "AccessKeyId"), strlen(jstr(j, "AccessKeyId")),
			jstr(j, "SecretAccessKey"), strlen(jstr(j, "SecretAccessKey")),
			jstr(j, "Token"), jstr(j, "Token") ? strlen(jstr(j, "Token")) : 0);
	if (!ret && jstr(j, "Expiration")) {
		struct tm tm = {0};

		if (strptime(jstr(j, "Expiration"), "%Y-%m-%dT%H:%M:%SZ", &tm))
			out->expires_ns = (int64_t)timegm(&tm) * 1000000000LL;
	}
	out->source = HR_CREDS_IMDS;
out:
	if (r.body)
		explicit_bzero(r.body, r.body_len);
	hr_http_resp_free(&r);
	if (hdr)
		explicit_bzero(hdr, strlen(hdr));
	free(hdr);
	json_decref(j); /* jansson frees the strings; they are not wiped (a known limit) */
	return ret;
}

int hr_aws_creds_load(const struct hr_creds_opts *o, struct hr_aws_creds *out, char *err,
		      size_t errlen)
{
	const char *profile = env("AWS_PROFILE"), *v;
	char path[4096], section[300];
	int ret;

	memset(out, 0, sizeof(*out));
	if (!profile)
		profile = o->profile && *o->profile ? o->profile : "default";
	if (o->trail_file && *o->trail_file) {
		ret = from_file(o->trail_file, true,
				o->profile && *o->profile ? o->profile : "default", out, err,
				errlen);
		out->source = HR_CREDS_TRAIL_FILE;
		return ret;
	}
	if (env("AWS_ACCESS_KEY_ID") && env("AWS_SECRET_ACCESS_KEY")) {
		v = env("AWS_SESSION_TOKEN");
		ret = set_creds(out, env("AWS_ACCESS_KEY_ID"), strlen(env("AWS_ACCESS_KEY_ID")),
				env("AWS_SECRET_ACCESS_KEY"), strlen(env("AWS_SECRET_ACCESS_KEY")),
				v, v ? strlen(v) : 0);
		out->source = HR_CREDS_ENV;
		return ret;
	}
	if (!home_file(path, sizeof(path), "AWS_SHARED_CREDENTIALS_FILE", "credentials") &&
	    access(path, F_OK) == 0) {
		ret = from_file(path, false, profile, out, err, errlen);
		out->source = HR_CREDS_SHARED_FILE;
		if (ret != -ENOENT)
			return ret;
	}
	if (!home_file(path, sizeof(path), "AWS_CONFIG_FILE", "config") &&
	    access(path, F_OK) == 0) {
		if (!strcmp(profile, "default"))
			snprintf(section, sizeof(section), "default");
		else
			snprintf(section, sizeof(section), "profile %s", profile);
		ret = from_file(path, false, section, out, err, errlen);
		out->source = HR_CREDS_CONFIG_FILE;
		if (ret != -ENOENT)
			return ret;
	}
	v = env("AWS_EC2_METADATA_DISABLED");
	if (v && !strcasecmp(v, "true")) {
		snprintf(err, errlen,
			 "no AWS credentials: none in the environment or the shared "
			 "files (profile %s), and the instance metadata service is "
			 "disabled",
			 profile);
		return -ENOENT;
	}
	ret = hr_aws_creds_imds(env("AWS_EC2_METADATA_SERVICE_ENDPOINT") ?
					env("AWS_EC2_METADATA_SERVICE_ENDPOINT") :
					"http://169.254.169.254",
				out, err, errlen);
	return ret;
}

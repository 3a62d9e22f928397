// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* s3_client.c - signed S3 requests over libcurl (s3_client.h). */
#include "deliver/s3_client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "common/encode.h"
#include "common/http.h"
#include "common/sigv4.h"

#define MAX_HEADERS 16

/* "http(s)://" and the host[:port] of an endpoint URL; the rest is ignored. */
static int split_url(const char *url, char *scheme, size_t sl, char *host, size_t hl)
{
	const char *p = strstr(url, "://"), *end;

	if (!p || (size_t)(p - url) >= sl)
		return -EINVAL;
	snprintf(scheme, sl, "%.*s", (int)(p - url), url);
	if (strcmp(scheme, "http") && strcmp(scheme, "https"))
		return -EINVAL;
	p += 3;
	end = p + strcspn(p, "/?#");
	if (end == p || (size_t)(end - p) >= hl)
		return -EINVAL;
	snprintf(host, hl, "%.*s", (int)(end - p), p);
	return 0;
}

/* The S3 error Code of an XML answer, "" if none. */
static void error_code(const char *body, char *code, size_t len)
{
	const char *a = body ? strstr(body, "<Code>") : NULL, *b;

	code[0] = '\0';
	if (!a)
		return;
	a += 6;
	b = strstr(a, "</Code>");
	if (b && b - a < (long)len)
		snprintf(code, len, "%.*s", (int)(b - a), a);
}

struct hdrs {
	struct hr_sigv4_header h[MAX_HEADERS];
	size_t n;
};

static void add(struct hdrs *h, const char *name, const char *value)
{
	if (value && h->n < MAX_HEADERS)
		h->h[h->n++] = (struct hr_sigv4_header){name, value};
}

static void classify(struct hr_s3_result *r, const struct hr_http_resp *resp, int http_ret,
		     const char *what)
{
	if (http_ret) {
		r->outcome = HR_S3_RETRY;
		snprintf(r->code, sizeof(r->code), "NetworkError");
		snprintf(r->err, sizeof(r->err), "%s: %.150s", what, resp->err);
		return;
	}
	r->status = resp->status;
	snprintf(r->etag, sizeof(r->etag), "%s", resp->etag);
	snprintf(r->meta_signature, sizeof(r->meta_signature), "%s", resp->meta_signature);
	if (resp->status >= 200 && resp->status < 300) {
		r->outcome = HR_S3_OK;
		return;
	}
	error_code(resp->body, r->code, sizeof(r->code));
	if (!r->code[0])
		snprintf(r->code, sizeof(r->code), "HTTP%ld", resp->status);
	r->outcome = resp->status >= 500 || !strcmp(r->code, "SlowDown") ||
				     !strcmp(r->code, "RequestTimeout") || resp->status == 429 ?
			     HR_S3_RETRY :
			     HR_S3_REFUSED;
	snprintf(r->err, sizeof(r->err), "%s: HTTP %ld %s", what, resp->status, r->code);
}

/* Sign and send one request; fills r, and the answer's body if asked. */
static int send_signed(const struct hr_s3_endpoint *e, const struct hr_aws_creds *c,
		       const char *method, const char *key, const char *query, struct hdrs *h,
		       const void *body, size_t len, char **out_body, size_t *out_len,
		       struct hr_s3_result *r)
{
	char scheme[8], host[256], vhost[512], *raw = NULL, *path = NULL, *url = NULL;
	char *lines[MAX_HEADERS + 4] = {0};
	struct hr_sigv4_signed s = {0};
	struct hr_http_resp resp = {0};
	size_t nl = 0;
	int ret, hret;

	memset(r, 0, sizeof(*r));
	if (split_url(e->url, scheme, sizeof(scheme), host, sizeof(host)) || !e->bucket)
		return -EINVAL;
	if (e->virtual_hosted)
		snprintf(vhost, sizeof(vhost), "%s.%s", e->bucket, host);
	else
		snprintf(vhost, sizeof(vhost), "%s", host);
	if (asprintf(&raw, "%s%s%s%s", e->virtual_hosted ? "" : "/",
		     e->virtual_hosted ? "" : e->bucket, "/", key ? key : "") < 0) {
		raw = NULL;
		return -ENOMEM;
	}
	path = hr_sigv4_encode_path(raw);
	ret = path ? 0 : -ENOMEM;
	if (!ret) {
		struct hr_sigv4_header all[MAX_HEADERS + 1] = {{"Host", vhost}};
		struct hr_sigv4_params p = {.region = e->region,
					    .service = "s3",
					    .when = time(NULL),
					    .path_kind = HR_SIGV4_PATH_S3,
					    .content_sha256_header = true};
		struct hr_sigv4_creds sc = {c->access_key_id, c->secret_access_key,
					    c->session_token};
		struct hr_sigv4_request q = {.method = method,
					     .path = path,
					     .query = query,
					     .headers = all,
					     .n_headers = h->n + 1,
					     .body = body,
					     .body_len = len};

		memcpy(all + 1, h->h, h->n * sizeof(h->h[0]));
		ret = hr_sigv4_sign(&p, &sc, &q, &s);
	}
	for (size_t i = 0; !ret && i < h->n; i++)
		if (asprintf(&lines[nl++], "%s: %s", h->h[i].name, h->h[i].value) < 0)
			ret = -ENOMEM;
	if (!ret && (asprintf(&lines[nl++], "X-Amz-Date: %s", s.amz_date) < 0 ||
		     asprintf(&lines[nl++], "X-Amz-Content-SHA256: %s", s.payload_hash) < 0 ||
		     asprintf(&lines[nl++], "Authorization: %s", s.authorization) < 0 ||
		     (c->session_token &&
		      asprintf(&lines[nl++], "X-Amz-Security-Token: %s", c->session_token) < 0)))
		ret = -ENOMEM;
	if (!ret && asprintf(&url, "%s://%s%s%s%s", scheme, vhost, path, query ? "?" : "",
			     query ? query : "") < 0) {
		url = NULL;
		ret = -ENOMEM;
	}
	if (!ret) {
		struct hr_http_req hq = {.method = method,
					 .url = url,
					 .headers = (const char *const *)lines,
					 .n_headers = nl,
					 .body = body,
					 .body_len = len,
					 .ca_bundle = e->ca_bundle};
		char what[HR_S3_ERR_MAX / 2];

		hret = hr_http_do(&hq, &resp);
		if (hret == -ENOMEM) {
			ret = hret;
		} else {
			snprintf(what, sizeof(what), "%s s3://%s/%.100s", method, e->bucket,
				 key ? key : "");
			classify(r, &resp, hret, what);
			if (out_body && r->outcome == HR_S3_OK) {
				*out_body = resp.body;
				*out_len = resp.body_len;
				resp.body = NULL;
			}
		}
	}
	for (size_t i = 0; i < nl; i++) {
		if (lines[i])
			explicit_bzero(lines[i], strlen(lines[i]));
		free(lines[i]);
	}
	hr_http_resp_free(&resp);
	hr_sigv4_signed_free(&s);
	free(url);
	free(path);
	free(raw);
	return ret;
}

int hr_s3_put_object(const struct hr_s3_endpoint *e, const struct hr_aws_creds *c,
		     const struct hr_s3_put *p, struct hr_s3_result *r)
{
	unsigned char md5[16];
	char md5_hex[33], etag_want[40], *md5_b64;
	struct hdrs h = {0};
	int ret;

	EVP_Digest(p->body ? p->body : "", p->len, md5, NULL, EVP_md5(), NULL);
	hr_hex(md5, sizeof(md5), md5_hex);
	md5_b64 = hr_b64_encode(md5, sizeof(md5));
	if (!md5_b64)
		return -ENOMEM;
	add(&h, "Content-MD5", md5_b64);
	add(&h, "Content-Type", p->content_type ? p->content_type : "application/octet-stream");
	add(&h, "Content-Encoding", p->content_encoding);
	add(&h, "x-amz-acl", "bucket-owner-full-control");
	add(&h, "x-amz-server-side-encryption", p->kms_key_id ? "aws:kms" : "AES256");
	if (p->kms_key_id) {
		add(&h, "x-amz-server-side-encryption-aws-kms-key-id", p->kms_key_id);
		add(&h, "x-amz-server-side-encryption-context", p->kms_context);
	}
	add(&h, "x-amz-meta-signature", p->meta_signature);
	add(&h, "x-amz-meta-signature-algorithm", p->meta_signature_algorithm);
	ret = send_signed(e, c, "PUT", p->key, NULL, &h, p->body ? p->body : "", p->len, NULL, NULL,
			  r);
	free(md5_b64);
	if (ret || r->outcome != HR_S3_OK || p->kms_key_id)
		return ret;
	snprintf(etag_want, sizeof(etag_want), "\"%s\"", md5_hex);
	if (strcasecmp(r->etag, etag_want) && strcasecmp(r->etag, md5_hex)) {
		/* the store has other bytes than we sent: send again */
		r->outcome = HR_S3_RETRY;
		snprintf(r->code, sizeof(r->code), "BadDigest");
		snprintf(r->err, sizeof(r->err),
			 "PUT s3://%s/%.100s: the ETag %.40s is not the "
			 "MD5 of what was sent",
			 e->bucket, p->key, r->etag);
	}
	return 0;
}

int hr_s3_get(const struct hr_s3_endpoint *e, const struct hr_aws_creds *c, const char *key,
	      const char *query, char **body, size_t *len, struct hr_s3_result *r)
{
	struct hdrs h = {0};

	*body = NULL;
	*len = 0;
	return send_signed(e, c, "GET", key, query, &h, NULL, 0, body, len, r);
}

/* The text of each <tag>...</tag> in turn, XML entities decoded. */
static char *xml_next(const char **p, const char *tag)
{
	char open[64], close[64], *out, *o;
	const char *a, *b;

	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	a = strstr(*p, open);
	if (!a)
		return NULL;
	a += strlen(open);
	b = strstr(a, close);
	if (!b)
		return NULL;
	*p = b + strlen(close);
	out = o = malloc((size_t)(b - a) + 1);
	if (!out)
		return NULL;
	while (a < b) {
		static const struct {
			const char *ent;
			char c;
		} ents[] = {{"&amp;", '&'},
			    {"&lt;", '<'},
			    {"&gt;", '>'},
			    {"&quot;", '"'},
			    {"&apos;", '\''}};
		size_t i;

		for (i = 0; i < sizeof(ents) / sizeof(ents[0]); i++)
			if (!strncmp(a, ents[i].ent, strlen(ents[i].ent)))
				break;
		if (i < sizeof(ents) / sizeof(ents[0])) {
			*o++ = ents[i].c;
			a += strlen(ents[i].ent);
		} else {
			*o++ = *a++;
		}
	}
	*o = '\0';
	return out;
}

int hr_s3_list(const struct hr_s3_endpoint *e, const struct hr_aws_creds *c, const char *prefix,
	       int (*cb)(void *arg, const char *key), void *arg, struct hr_s3_result *r)
{
	char *token = NULL, *ep = hr_sigv4_uri_encode(prefix, strlen(prefix), false);
	int ret = ep ? 0 : -ENOMEM;

	while (!ret) {
		char *q = NULL, *et = NULL, *body = NULL, *key, *more, *next;
		const char *p;
		size_t len;

		if (token && !(et = hr_sigv4_uri_encode(token, strlen(token), false))) {
			ret = -ENOMEM;
			break;
		}
		if (asprintf(&q, "list-type=2&prefix=%s%s%s", ep, et ? "&continuation-token=" : "",
			     et ? et : "") < 0) {
			free(et);
			ret = -ENOMEM;
			break;
		}
		free(et);
		ret = hr_s3_get(e, c, NULL, q, &body, &len, r);
		free(q);
		if (!ret && r->outcome != HR_S3_OK)
			ret = -EIO;
		if (ret) {
			free(body);
			break;
		}
		p = body;
		while (!ret && (key = xml_next(&p, "Key"))) {
			ret = cb(arg, key);
			free(key);
		}
		p = body;
		more = xml_next(&p, "IsTruncated");
		p = body;
		next = xml_next(&p, "NextContinuationToken");
		free(token);
		token = NULL;
		if (!ret && more && !strcmp(more, "true") && next && *next) {
			token = next;
			next = NULL;
		}
		free(more);
		free(next);
		free(body);
		if (!token)
			break;
	}
	free(token);
	free(ep);
	return ret;
}

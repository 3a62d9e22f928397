// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * sigv4.c - AWS Signature Version 4: canonical request, string to sign,
 * signing key, Authorization header.
 */
#include "common/grow.h"
#include "common/sigv4.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/encode.h"
#include "common/sort.h"

void hr_sha256_hex(const void *p, size_t n, char out[65])
{
	unsigned char md[32];

	EVP_Digest(p, n, md, NULL, EVP_sha256(), NULL);
	hr_hex(md, sizeof(md), out);
}

static bool unreserved(unsigned char c)
{
	return isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~';
}

char *hr_sigv4_uri_encode(const char *s, size_t n, bool keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out = malloc(3 * n + 1), *o = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (unreserved(c) || (keep_slash && c == '/')) {
			*o++ = (char)c;
		} else {
			*o++ = '%';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		}
	}
	*o = '\0';
	return out;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent-decode n bytes in place; returns the new length. */
static size_t uri_decode(char *s, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
			s[o++] = (char)(hexval(s[i + 1]) << 4 | hexval(s[i + 2]));
			i += 2;
		} else {
			s[o++] = s[i];
		}
	}
	return o;
}

/* RFC 3986 remove_dot_segments, and repeated slashes collapsed. */
static char *normalize_path(const char *path)
{
	size_t n = strlen(path);
	char *out = malloc(n + 2);
	size_t o = 0;
	const char *p = path;
	bool trailing = n > 0 && (path[n - 1] == '/');

	if (!out)
		return NULL;
	while (*p) {
		const char *seg;
		size_t len;

		while (*p == '/')
			p++;
		seg = p;
		while (*p && *p != '/')
			p++;
		len = (size_t)(p - seg);
		if (len == 0 || (len == 1 && seg[0] == '.')) {
			if (!*p && len == 1)
				trailing = true;
			continue;
		}
		if (len == 2 && seg[0] == '.' && seg[1] == '.') {
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
			if (!*p)
				trailing = true;
			continue;
		}
		out[o++] = '/';
		memcpy(out + o, seg, len);
		o += len;
	}
	if (o == 0 || trailing)
		out[o++] = '/';
	out[o] = '\0';
	return out;
}

static char *canonical_uri(const char *path, enum hr_sigv4_path kind)
{
	char *norm, *enc;

	if (!*path)
		path = "/";
	if (kind == HR_SIGV4_PATH_S3)
		return strdup(path);
	if (kind != HR_SIGV4_PATH_DOUBLE_NORMALIZED)
		return hr_sigv4_uri_encode(path, strlen(path), true);
	norm = normalize_path(path);
	if (!norm)
		return NULL;
	enc = hr_sigv4_uri_encode(norm, strlen(norm), true);
	free(norm);
	return enc;
}

struct kv {
	char *key;
	char *value;
	size_t order; /* keeps duplicate headers in the order they came */
};

static int kv_cmp(const void *a, const void *b)
{
	const struct kv *x = a, *y = b;
	int r = strcmp(x->key, y->key);

	if (r)
		return r;
	r = strcmp(x->value, y->value);
	return r ? r : (x->order > y->order) - (x->order < y->order);
}

static int kv_cmp_key_order(const void *a, const void *b)
{
	const struct kv *x = a, *y = b;
	int r = strcmp(x->key, y->key);

	return r ? r : (x->order > y->order) - (x->order < y->order);
}

static void kv_free(struct kv *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].key);
		free(v[i].value);
	}
	free(v);
}

/* One query part, decoded then encoded again the way SigV4 wants it. */
static char *requery(const char *s, size_t n)
{
	char *raw = strndup(s, n), *enc;
	size_t len;

	if (!raw)
		return NULL;
	len = uri_decode(raw, n);
	enc = hr_sigv4_uri_encode(raw, len, false);
	free(raw);
	return enc;
}

static int canonical_query(const char *q, FILE *f)
{
	struct kv *v = NULL;
	size_t n = 0, cap = 0;
	int ret = 0;

	while (q && *q) {
		const char *amp = strchr(q, '&'), *end = amp ? amp : q + strlen(q);
		const char *eq = memchr(q, '=', (size_t)(end - q));

		if (end > q) {
			if (hr_grow(&v, &cap, n, sizeof(*v), 8)) {
				ret = -ENOMEM;
				break;
			}
			v[n].key = requery(q, (size_t)((eq ? eq : end) - q));
			v[n].value = eq ? requery(eq + 1, (size_t)(end - eq - 1)) : strdup("");
			v[n].order = n;
			n++;
			if (!v[n - 1].key || !v[n - 1].value) {
				ret = -ENOMEM;
				break;
			}
		}
		q = amp ? amp + 1 : end;
	}
	if (!ret) {
		hr_sort(v, n, sizeof(*v), kv_cmp);
		for (size_t i = 0; i < n; i++)
			fprintf(f, "%s%s=%s", i ? "&" : "", v[i].key, v[i].value);
	}
	kv_free(v, n);
	return ret;
}

/* Lower-case name; value trimmed, with every run of white space (folded
 * lines included) one space. */
static int add_header(struct kv *v, size_t *n, const char *name, const char *value)
{
	char *k = strdup(name), *val = malloc(strlen(value) + 1), *o;
	bool space = false;

	if (!k || !val) {
		free(k);
		free(val);
		return -ENOMEM;
	}
	for (char *c = k; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	o = val;
	for (const char *c = value; *c; c++) {
		if (isspace((unsigned char)*c)) {
			space = o != val;
			continue;
		}
		if (space)
			*o++ = ' ';
		space = false;
		*o++ = *c;
	}
	*o = '\0';
	v[*n] = (struct kv){k, val, *n};
	(*n)++;
	return 0;
}

/* The canonical headers and the signed-header list; duplicates joined by
 * commas in the order they came. */
static int canonical_headers(const struct hr_sigv4_params *p, const struct hr_sigv4_creds *c,
			     const struct hr_sigv4_request *req, const struct hr_sigv4_signed *s,
			     FILE *f, char **signed_list)
{
	size_t cap = req->n_headers + 3, n = 0;
	struct kv *v = calloc(cap, sizeof(*v));
	FILE *sl;
	size_t sl_len;
	int ret = 0;

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < req->n_headers && !ret; i++) {
		if (!req->headers[i].name || !req->headers[i].value)
			ret = -EINVAL;
		else
			ret = add_header(v, &n, req->headers[i].name, req->headers[i].value);
	}
	if (!ret)
		ret = add_header(v, &n, "x-amz-date", s->amz_date);
	if (!ret && p->content_sha256_header)
		ret = add_header(v, &n, "x-amz-content-sha256", s->payload_hash);
	if (!ret && c->session_token && !p->omit_session_token)
		ret = add_header(v, &n, "x-amz-security-token", c->session_token);
	if (ret) {
		kv_free(v, n);
		return ret;
	}
	hr_sort(v, n, sizeof(*v), kv_cmp_key_order);
	sl = open_memstream(signed_list, &sl_len);
	if (!sl) {
		kv_free(v, n);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		bool same = i > 0 && strcmp(v[i].key, v[i - 1].key) == 0;

		if (same) {
			fprintf(f, ",%s", v[i].value);
			continue;
		}
		fprintf(f, "%s%s:%s", i ? "\n" : "", v[i].key, v[i].value);
		fprintf(sl, "%s%s", i ? ";" : "", v[i].key);
	}
	fputs("\n", f);
	ret = fclose(sl) ? -ENOMEM : 0;
	kv_free(v, n);
	return ret;
}

static void hmac(const void *key, size_t klen, const char *msg, unsigned char out[32])
{
	unsigned int len = 32;

	HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg, strlen(msg), out, &len);
}

static int derive_signature(const struct hr_sigv4_params *p, const char *secret, const char *date,
			    const char *sts, char out[65])
{
	size_t klen = strlen(secret) + 5;
	char *k = malloc(klen);
	unsigned char a[32], b[32];

	if (!k)
		return -ENOMEM;
	snprintf(k, klen, "AWS4%s", secret);
	hmac(k, klen - 1, date, a);
	explicit_bzero(k, klen);
	free(k);
	hmac(a, 32, p->region, b);
	hmac(b, 32, p->service, a);
	hmac(a, 32, "aws4_request", b);
	hmac(b, 32, sts, a);
	hr_hex(a, 32, out);
	explicit_bzero(b, sizeof(b));
	return 0;
}

int hr_sigv4_sign(const struct hr_sigv4_params *p, const struct hr_sigv4_creds *c,
		  const struct hr_sigv4_request *req, struct hr_sigv4_signed *out)
{
	char date[9], *uri = NULL, *signed_list = NULL, *cr_hash_src;
	char cr_hash[65];
	size_t len;
	struct tm tm;
	FILE *f;
	int ret;

	memset(out, 0, sizeof(*out));
	if (!p->region || !p->service || !c->access_key_id || !c->secret_access_key ||
	    !req->method || !req->path || !gmtime_r(&p->when, &tm))
		return -EINVAL;
	strftime(out->amz_date, sizeof(out->amz_date), "%Y%m%dT%H%M%SZ", &tm);
	memcpy(date, out->amz_date, 8);
	date[8] = '\0';
	if (req->payload_hash)
		snprintf(out->payload_hash, sizeof(out->payload_hash), "%s", req->payload_hash);
	else
		hr_sha256_hex(req->body ? req->body : "", req->body_len, out->payload_hash);

	uri = canonical_uri(req->path, p->path_kind);
	f = open_memstream(&out->canonical_request, &len);
	if (!uri || !f) {
		if (f)
			fclose(f);
		free(uri);
		return -ENOMEM;
	}
	fprintf(f, "%s\n%s\n", req->method, uri);
	free(uri);
	ret = canonical_query(req->query, f);
	fputs("\n", f);
	if (!ret)
		ret = canonical_headers(p, c, req, out, f, &signed_list);
	if (!ret)
		fprintf(f, "\n%s\n%s", signed_list, out->payload_hash);
	if (fclose(f) && !ret)
		ret = -ENOMEM;
	if (ret)
		goto done;

	cr_hash_src = out->canonical_request;
	hr_sha256_hex(cr_hash_src, strlen(cr_hash_src), cr_hash);
	if (asprintf(&out->string_to_sign, "AWS4-HMAC-SHA256\n%s\n%s/%s/%s/aws4_request\n%s",
		     out->amz_date, date, p->region, p->service, cr_hash) < 0) {
		out->string_to_sign = NULL;
		ret = -ENOMEM;
		goto done;
	}
	ret = derive_signature(p, c->secret_access_key, date, out->string_to_sign, out->signature);
	if (ret)
		goto done;
	if (asprintf(&out->authorization,
		     "AWS4-HMAC-SHA256 Credential=%s/%s/%s/%s/aws4_request, SignedHeaders=%s, "
		     "Signature=%s",
		     c->access_key_id, date, p->region, p->service, signed_list,
		     out->signature) < 0) {
		out->authorization = NULL;
		ret = -ENOMEM;
	}
done:
	free(signed_list);
	return ret;
}

void hr_sigv4_signed_free(struct hr_sigv4_signed *s)
{
	if (!s)
		return;
	free(s->canonical_request);
	free(s->string_to_sign);
	free(s->authorization);
	s->canonical_request = s->string_to_sign = s->authorization = NULL;
}

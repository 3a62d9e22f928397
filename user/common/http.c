// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* http.c - one request over libcurl (http.h). */
#include "common/http.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct hr_http_resp *r = arg;
	size_t len = size * n;
	char *nb;

	if (r->body_len + len > HR_HTTP_BODY_MAX)
		return 0; /* curl ends the transfer: CURLE_WRITE_ERROR */
	nb = realloc(r->body, r->body_len + len + 1);
	if (!nb)
		return 0;
	memcpy(nb + r->body_len, p, len);
	r->body = nb;
	r->body_len += len;
	r->body[r->body_len] = '\0';
	return len;
}

/* The value of header line p if it is name's, trimmed, into out. */
static void take_header(const char *p, size_t len, const char *name, char *out, size_t outlen)
{
	size_t nl = strlen(name);
	const char *v = p + nl;
	size_t vl = len - nl;

	if (len <= nl || strncasecmp(p, name, nl))
		return;
	while (vl && isspace((unsigned char)*v))
		v++, vl--;
	while (vl && isspace((unsigned char)v[vl - 1]))
		vl--;
	snprintf(out, outlen, "%.*s", (int)vl, v);
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	struct hr_http_resp *r = arg;
	size_t len = size * n;

	take_header(p, len, "ETag:", r->etag, sizeof(r->etag));
	take_header(p, len, "x-amz-meta-signature:", r->meta_signature, sizeof(r->meta_signature));
	return len;
}

int hr_http_do(const struct hr_http_req *req, struct hr_http_resp *resp)
{
	struct curl_slist *hl = NULL, *nl;
	CURLcode cc;
	CURL *c;
	int ret = 0;

	memset(resp, 0, sizeof(*resp));
	pthread_once(&curl_once, curl_init);
	c = curl_easy_init();
	if (!c)
		return -ENOMEM;
	for (size_t i = 0; i < req->n_headers; i++) {
		if (!(nl = curl_slist_append(hl, req->headers[i]))) {
			ret = -ENOMEM;
			goto out;
		}
		hl = nl;
	}
	/* no 100-continue round trip, and no header we did not sign but these */
	if (!(nl = curl_slist_append(hl, "Expect:"))) {
		ret = -ENOMEM;
		goto out;
	}
	hl = nl;
	curl_easy_setopt(c, CURLOPT_URL, req->url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
	if (req->body || !strcmp(req->method, "PUT")) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body ? req->body : "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (req->ca_bundle)
		curl_easy_setopt(c, CURLOPT_CAINFO, req->ca_bundle);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, req->timeout_ms ? req->timeout_ms : 60000L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, resp);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, resp);
	cc = curl_easy_perform(c);
	if (cc != CURLE_OK) {
		/* curl's message names the host and the reason, never a header */
		snprintf(resp->err, sizeof(resp->err), "%s", curl_easy_strerror(cc));
		ret = -EIO;
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
	if (!resp->body)
		resp->body = calloc(1, 1);
	if (!resp->body)
		ret = -ENOMEM;
out:
	curl_slist_free_all(hl);
	curl_easy_cleanup(c);
	return ret;
}

void hr_http_resp_free(struct hr_http_resp *resp)
{
	if (!resp)
		return;
	free(resp->body);
	resp->body = NULL;
	resp->body_len = 0;
}

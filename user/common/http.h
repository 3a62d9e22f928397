/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * http.h - one HTTP(S) request over libcurl: the transport of S3 uploads and
 * of the instance metadata service. Signing is the caller's (sigv4.h).
 */
#ifndef HOSTRAIL_COMMON_HTTP_H
#define HOSTRAIL_COMMON_HTTP_H

#include <stddef.h>

#define HR_HTTP_ERR_MAX	 256
#define HR_HTTP_BODY_MAX (16u << 20) /* a longer answer is cut (and flagged) */

struct hr_http_req {
	const char *method;
	const char *url;
	const char *const *headers; /* "Name: value" lines */
	size_t n_headers;
	const void *body;
	size_t body_len;
	const char *ca_bundle; /* NULL: the system's; certificates are always verified */
	long timeout_ms;       /* whole request; 0: 60 s */
};

struct hr_http_resp {
	long status; /* 0 when no answer came */
	char *body;  /* NUL-terminated, malloc'd */
	size_t body_len;
	char etag[128]; /* the ETag header, quotes kept; "" if none */
	/* x-amz-meta-signature (a digest's signature, hex); "" if none */
	char meta_signature[1100];
	char err[HR_HTTP_ERR_MAX];
};

/* 0 when the server answered (any status); -EIO (connection, TLS, timeout:
 * err says which), -ENOMEM. resp is freed with hr_http_resp_free. */
int hr_http_do(const struct hr_http_req *req, struct hr_http_resp *resp);
void hr_http_resp_free(struct hr_http_resp *resp);

#endif

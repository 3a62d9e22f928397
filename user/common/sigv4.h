/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * sigv4.h - AWS Signature Version 4, header signing.
 *
 * Our own signer rather than libcurl's: Debian 12's curl 7.88 sorts whole
 * "name:value" lines, which puts x-amz-meta-signature-algorithm before
 * x-amz-meta-signature, and S3 rejects that. libcurl is only the transport.
 */
#ifndef HOSTRAIL_COMMON_SIGV4_H
#define HOSTRAIL_COMMON_SIGV4_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct hr_sigv4_creds {
	const char *access_key_id;
	const char *secret_access_key;
	const char *session_token; /* NULL: none */
};

struct hr_sigv4_header {
	const char *name;
	const char *value;
};

/* How the request's path becomes the canonical URI. */
enum hr_sigv4_path {
	/* S3: the path is as sent, each segment encoded once
	 * (hr_sigv4_encode_path), and it is signed as sent. */
	HR_SIGV4_PATH_S3,
	/* Every other service: the path as sent is signed encoded again. */
	HR_SIGV4_PATH_DOUBLE,
	/* The same, after removing dot segments and repeated slashes. */
	HR_SIGV4_PATH_DOUBLE_NORMALIZED,
};

struct hr_sigv4_request {
	const char *method;
	const char *path;
	const char *query; /* as sent, "a=b&c=d" (already encoded), or NULL */
	/* Every header that is sent, Host included; the signer adds the
	 * x-amz-date, x-amz-content-sha256 and x-amz-security-token it signs. */
	const struct hr_sigv4_header *headers;
	size_t n_headers;
	const void *body;
	size_t body_len;
	const char *payload_hash; /* hex SHA-256 already known, or NULL */
};

struct hr_sigv4_params {
	const char *region;
	const char *service;
	time_t when;
	enum hr_sigv4_path path_kind;
	bool content_sha256_header; /* sign and send x-amz-content-sha256 (S3: always) */
	bool omit_session_token;    /* send the token unsigned (STS's old rule) */
};

/* What the caller sends: the added headers, and the Authorization value.
 * The intermediate texts are kept for tests and for debugging a mismatch;
 * they hold no secret. */
struct hr_sigv4_signed {
	char amz_date[17];     /* YYYYMMDDTHHMMSSZ */
	char payload_hash[65]; /* hex */
	char signature[65];    /* hex */
	char *canonical_request;
	char *string_to_sign;
	char *authorization;
};

/* Sign req. 0, -EINVAL (a missing part), -ENOMEM; out is freed with
 * hr_sigv4_signed_free even on error. */
int hr_sigv4_sign(const struct hr_sigv4_params *p, const struct hr_sigv4_creds *c,
		  const struct hr_sigv4_request *req, struct hr_sigv4_signed *out);
void hr_sigv4_signed_free(struct hr_sigv4_signed *s);

/* RFC 3986 encoding as SigV4 wants it: unreserved bytes kept, '/' kept
 * when keep_slash, every other byte %XX (upper case). malloc'd or NULL. */
char *hr_sigv4_uri_encode(const char *s, size_t n, bool keep_slash);
/* The path of an S3 object as sent and signed: each segment encoded. */
static inline char *hr_sigv4_encode_path(const char *path)
{
	return hr_sigv4_uri_encode(path, __builtin_strlen(path), true);
}

/* Lower-case hex SHA-256 of n bytes into out (65 bytes). */
void hr_sha256_hex(const void *p, size_t n, char out[65]);

#endif

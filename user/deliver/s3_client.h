/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * s3_client.h - S3 requests, signed with our SigV4 (common/sigv4.h) and
 * sent over libcurl: PutObject, GetObject, ListObjectsV2. Path-style
 * (http://host/bucket/key) or virtual-hosted (http://bucket.host/key).
 */
#ifndef HOSTRAIL_DELIVER_S3_CLIENT_H
#define HOSTRAIL_DELIVER_S3_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include "common/awscreds.h"

#define HR_S3_ERR_MAX 384

struct hr_s3_endpoint {
	const char *url;    /* "https://s3.eu-west-3.amazonaws.com", "http://127.0.0.1:9000" */
	const char *region; /* signing region */
	const char *bucket;
	bool virtual_hosted;   /* bucket in the host name, else in the path */
	const char *ca_bundle; /* NULL: the system's */
};

/* What an object is sent with beyond its bytes. */
struct hr_s3_put {
	const char *key; /* the full object key, prefix included */
	const void *body;
	size_t len;
	const char *content_type;     /* NULL: none */
	const char *content_encoding; /* NULL: none */
	const char *kms_key_id;	      /* NULL: SSE-S3 (AES256); else aws:kms with it */
	const char *kms_context;      /* base64 JSON, with kms_key_id; NULL: none */
	const char *meta_signature;   /* digests: x-amz-meta-signature, -algorithm */
	const char *meta_signature_algorithm;
};

/* How a request ended, as the retry policy needs it. */
enum hr_s3_outcome {
	HR_S3_OK,
	HR_S3_RETRY,   /* 5xx, SlowDown, RequestTimeout, no answer: back off */
	HR_S3_REFUSED, /* a 4xx: kept and shown until it is fixed */
};

struct hr_s3_result {
	enum hr_s3_outcome outcome;
	long status;
	char code[64];		 /* S3's error Code ("AccessDenied"), or "" */
	char err[HR_S3_ERR_MAX]; /* one sentence for the log; never a key */
	char etag[128];
	char meta_signature[1100]; /* a GET's x-amz-meta-signature, "" if none */
};

/* PUT the object; on 200 checks the ETag against the body's MD5 (not for
 * SSE-KMS, whose ETag is not the MD5). 0, or -ENOMEM / -EINVAL. */
int hr_s3_put_object(const struct hr_s3_endpoint *e, const struct hr_aws_creds *c,
		     const struct hr_s3_put *p, struct hr_s3_result *r);

/* GET an object (body malloc'd) or ListObjectsV2 (query "list-type=2&...",
 * key NULL: the bucket). 0 with r->outcome, or -ENOMEM / -EINVAL. */
int hr_s3_get(const struct hr_s3_endpoint *e, const struct hr_aws_creds *c, const char *key,
	      const char *query, char **body, size_t *len, struct hr_s3_result *r);

/* ListObjectsV2 under prefix, every page: cb for each key (nonzero stops
 * and is returned). 0, -EIO (r says why), -ENOMEM. */
int hr_s3_list(const struct hr_s3_endpoint *e, const struct hr_aws_creds *c, const char *prefix,
	       int (*cb)(void *arg, const char *key), void *arg, struct hr_s3_result *r);

#endif

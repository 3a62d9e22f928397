/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * s3_upload.h - one trail's durable upload queue to an S3-compatible store.
 *
 * The trail's listeners tell it of every log file (hr_s3_on_log, after the
 * signer) and the signer of every digest (hr_s3_on_digest). Each object is
 * recorded as one small file in <state>/s3/<trail>/ (written and fsynced
 * before the call returns) and uploaded by the queue's own thread, in the
 * order it was announced: a digest is announced after every log file it
 * lists, and nothing passes an object that has not been stored, so a
 * digest never reaches the store before its log files. An entry is
 * removed only once the store answered 200 with the ETag of the bytes sent
 * (the MD5; SSE-KMS ETags are not, and rely on Content-MD5). Local files
 * are never removed here. A restart resumes the queue from disk.
 *
 * Failures: 5xx, SlowDown, RequestTimeout and network errors back off
 * exponentially with jitter; a 4xx (AccessDenied, NoSuchBucket,
 * SignatureDoesNotMatch) is kept in the status and retried at the longest
 * interval, with the credentials read again, until it is fixed.
 */
#ifndef HOSTRAIL_DELIVER_S3_UPLOAD_H
#define HOSTRAIL_DELIVER_S3_UPLOAD_H

#include <stdbool.h>
#include <stdint.h>
#include "deliver/logfile.h"
#include "deliver/s3_client.h"

struct hr_s3_uploader;

struct hr_s3_opts {
	const char *trail_name;
	const char *trail_arn; /* SSE-KMS's encryption context */
	const char *account_id;
	const char *state_dir;
	const char *bucket_dir; /* the local objects, keys relative to it */
	struct hr_s3_endpoint endpoint;
	const char *key_prefix;	      /* S3KeyPrefix; NULL or "": none */
	const char *kms_key_id;	      /* KmsKeyId; NULL or "": SSE-S3 */
	const char *credentials_file; /* NULL: the AWS tools' chain */
	const char *profile;
	unsigned retry_max_seconds; /* longest back-off; 0: 60 */
};

struct hr_s3_status {
	int64_t log_ns, digest_ns;	       /* latest stored, wall clock; 0: none */
	int64_t log_error_ns, digest_error_ns; /* latest failure; 0: none */
	char log_error[64], digest_error[64];  /* S3's code, as CloudTrail shows it */
	char last_error[HR_S3_ERR_MAX];	       /* the full sentence */
	uint64_t pending, uploaded, retries;
};

/* Open the queue (its directory, what a previous run left) and start its
 * thread; queues the zero-byte preflight marker. 0 or -errno (logged). */
int hr_s3_uploader_open(const struct hr_s3_opts *o, struct hr_s3_uploader **out);

/* A trail listener (arg = the uploader): queue a log file. */
void hr_s3_on_log(void *uploader, const struct hr_delivered_log *log);
/* The signer's: queue a digest with its signature (hex). */
void hr_s3_on_digest(void *uploader, const char *key, const char *signature_hex);

void hr_s3_uploader_status(struct hr_s3_uploader *u, struct hr_s3_status *st);

/* Wait up to wait_ms for the queue to empty, stop the thread, free. What
 * is left stays on disk for the next start. NULL-safe. */
void hr_s3_uploader_close(struct hr_s3_uploader *u, unsigned wait_ms);

#endif

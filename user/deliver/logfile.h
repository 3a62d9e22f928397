/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * logfile.h - CloudTrail object keys and atomic gzip publishing into the
 * bucket directory.
 *
 * A published object appears whole or not at all: it is written under a
 * hidden temporary name in its final directory, fsynced, renamed into place
 * and the directory fsynced. Publishing is split in two so that a caller can
 * persist what it needs (the digest side's "pending" entry) between the
 * moment the bytes are durable and the moment they become visible:
 *
 *	struct hr_publish p = {0};
 *	err = hr_publish_begin(&p, bucket_dir, key);
 *	err = err ?: hr_publish_write(&p, buf, len);	// any number of times
 *	err = err ?: hr_publish_finish(&p);		// p.sha256_hex is ready
 *	...persist p.key / p.sha256_hex...
 *	err = err ?: hr_publish_commit(&p);
 *	hr_publish_release(&p);				// always; removes the temp
 *							// file unless committed
 * On failure p.err holds "failed to <verb> <object>: <reason>".
 */
#ifndef HOSTRAIL_LOGFILE_H
#define HOSTRAIL_LOGFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "common/files.h" /* hr_key_is_plain */

/* Longest object key, NUL included; CloudTrail keys here stay under 300. */
#define HR_LOG_KEY_MAX	   512
#define HR_LOG_UNIQUE_LEN  16
#define HR_PUBLISH_ERR_MAX (HR_LOG_KEY_MAX + 256)

/* What the digest writer needs to know about one delivered log file. */
struct hr_delivered_log {
	char key[HR_LOG_KEY_MAX]; /* relative to the bucket dir: "AWSLogs/..." */
	char sha256_hex[65];	  /* SHA-256 of the uncompressed bytes, lower-case */
	int64_t oldest_event_ns;  /* oldest / newest record event time */
	int64_t newest_event_ns;
	size_t n_records;
	uint64_t uncompressed_bytes;
	int64_t delivered_ns;	/* delivery time (wall clock); the key's time */
	const char *bucket_dir; /* the folder key is under; valid during the call only */
};

/*
 * The key of a log file:
 * AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/
 *	<account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<unique16>.json.gz
 * with the date and time of delivered_ns (UTC). account must be 12 digits,
 * region [a-z0-9-]+, unique16 16 characters [A-Za-z0-9].
 * Returns 0, -EINVAL for a bad argument, -ENAMETOOLONG if buf is too small.
 */
int hr_logfile_key(char *buf, size_t len, const char *account, const char *region,
		   int64_t delivered_ns, const char *unique16);

/* 16 random characters [A-Za-z0-9] from getrandom(), NUL-terminated. */
int hr_logfile_unique(char out[HR_LOG_UNIQUE_LEN + 1]);

/*
 * Rebuild the full key from a log file's name alone
 * ("<account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<unique16>.json.gz"):
 * the folders are implied by the name. Returns 0 or -EINVAL.
 */
int hr_logfile_key_from_name(char *buf, size_t len, const char *name);

/* One object being published. Zero it (or call hr_publish_begin) first. */
struct hr_publish {
	bool active; /* begin was called: release has work to do */
	bool committed;
	int dir_fd; /* the object's directory */
	int fd;	    /* the temporary file */
	char key[HR_LOG_KEY_MAX];
	char tmp_name[HR_LOG_KEY_MAX]; /* ".<file name>.tmp" in dir_fd */
	const char *name;	       /* file name part of key */
	void *zs;		       /* z_stream */
	void *md;		       /* EVP_MD_CTX */
	unsigned char *out;	       /* compressed output buffer */
	uint64_t in_bytes;	       /* uncompressed bytes so far */
	uint64_t out_bytes;	       /* compressed bytes written */
	char sha256_hex[65];	       /* set by hr_publish_finish */
	char err[HR_PUBLISH_ERR_MAX];  /* set on failure */
};

/*
 * Start publishing bucket_dir/key: create the missing directories (0750,
 * each new one made durable) and the temporary file (0640). key is relative,
 * with no empty, "." or ".." component.
 */
int hr_publish_begin(struct hr_publish *p, const char *bucket_dir, const char *key);
/* Append uncompressed bytes: they are hashed and deflated into one member. */
int hr_publish_write(struct hr_publish *p, const void *buf, size_t len);
/* End the gzip member and fsync the temporary file; fills sha256_hex. */
int hr_publish_finish(struct hr_publish *p);
/* Rename into place (never over an existing object: -EEXIST) and fsync
 * the directory. After a failure the temporary file stays until release. */
int hr_publish_commit(struct hr_publish *p);
/* Free everything; unlink the temporary file unless committed. NULL-safe,
 * safe on a zeroed struct and after a failed begin. */
void hr_publish_release(struct hr_publish *p);

/* begin + write(data, len) + finish: the "prepare" half in one call. */
int hr_publish_gz(struct hr_publish *p, const char *bucket_dir, const char *key, const void *data,
		  size_t len);

/* Is bucket_dir/key there? 1 yes, 0 no, -errno if that cannot be told. */
int hr_publish_exists(const char *bucket_dir, const char *key);
/* Remove a temporary file a crashed publish of key left behind (best effort). */
void hr_publish_discard_tmp(const char *bucket_dir, const char *key);

/* mkdir -p path with mode 0750; each directory created is made durable
 * (its parent fsynced). On failure err gets "failed to ...: <reason>". */
int hr_make_dirs(const char *path, char *err, size_t errlen);

#endif

/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * util.h - small helpers shared by the signer, the key store and the
 * validator: CloudTrail times, hex, durable small files, reading objects
 * out of a bucket directory without ever leaving it, and inflating a gzip
 * object exactly the way aws-cli does (first member only).
 */
#ifndef HOSTRAIL_SIGN_UTIL_H
#define HOSTRAIL_SIGN_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "deliver/logfile.h"	/* hr_key_is_plain */

/* "YYYY-MM-DDTHH:MM:SSZ": CloudTrail's eventTime/digest time format. */
#define HR_CT_TIME_LEN 20
/* "YYYYMMDDTHHMMSSZ": the time in a digest key. */
#define HR_CT_KEYTIME_LEN 16

/* Seconds since the epoch (UTC) as "YYYY-MM-DDTHH:MM:SSZ". */
void hr_ct_time_fmt(int64_t sec, char buf[HR_CT_TIME_LEN + 1]);
/* ... and as "YYYYMMDDTHHMMSSZ". */
void hr_ct_keytime_fmt(int64_t sec, char buf[HR_CT_KEYTIME_LEN + 1]);
/* Floor of a nanosecond wall-clock time to seconds (also for negatives). */
int64_t hr_ns_to_sec(int64_t ns);

/* Strict: exactly "YYYY-MM-DDTHH:MM:SSZ" (len bytes), a real date. 0 or -EINVAL. */
int hr_ct_time_parse(const char *s, size_t len, int64_t *sec);
/* Strict: exactly "YYYYMMDDTHHMMSSZ". 0 or -EINVAL. */
int hr_ct_keytime_parse(const char *s, size_t len, int64_t *sec);
/* A UTC ISO 8601 time as others write it: "...T10:00:00Z", with an optional
 * fraction, "+00:00" or no zone. 0 or -EINVAL. */
int hr_iso_time_parse(const char *s, int64_t *sec);
/*
 * A time given on the command line: "2026-11-21T10:00:00Z",
 * "2026-11-21T10:00:00", "2026-11-21" or epoch seconds. 0 or -EINVAL.
 */
int hr_cli_time_parse(const char *s, int64_t *sec);

/* n decimal digits as a number; -1 if any is not a digit. */
int hr_digits(const char *s, int n);

/* Lower-case hex of n bytes into out (2n + 1 bytes). */
void hr_hex(const void *p, size_t n, char *out);
/* Decode exactly 2n hex digits (either case) into n bytes; 0 or -EINVAL. */
int hr_unhex(const char *s, size_t slen, unsigned char *out, size_t *n);

/* base64 without line breaks; malloc'd, NULL on ENOMEM. */
char *hr_b64_encode(const void *p, size_t n);
/* Standard base64 (padding required); malloc'd bytes. 0, -EINVAL, -ENOMEM. */
int hr_b64_decode(const char *s, size_t slen, unsigned char **out, size_t *n);

/*
 * Write dir/name durably and atomically: a temporary file in dir (mode),
 * fsync, rename over name (or, with noreplace, -EEXIST if name exists),
 * fsync dir. On failure err gets "failed to <verb> <path>: <reason>".
 */
int hr_write_file_atomic(const char *dir, const char *name, const void *data, size_t len,
			 unsigned mode, bool noreplace, char *err, size_t errlen);

/* Read a whole regular file (at most max bytes) into a malloc'd,
 * NUL-terminated buffer. 0, -EFBIG, or -errno. */
int hr_read_file(const char *path, size_t max, char **out, size_t *len);

/*
 * Is key a plain relative object key: no empty, "." or ".." component,
 * no leading '/', no NUL? Keys that fail can never name an object in a
 * bucket directory.
 */

/*
 * Open the regular file <bucket_fd>/key for reading without leaving the
 * bucket directory and without following any symbolic link (openat2 with
 * RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS). Returns the fd; -ENOENT when no
 * such object exists (also for a key that can name no object); -EPERM for
 * a symbolic link, a FIFO, a directory or anything else that is not a
 * regular file; other -errno as open(2) gives them.
 */
int hr_bucket_open(int bucket_fd, const char *key);
/* The same for a folder of the bucket (O_DIRECTORY): the fd or -errno. */
int hr_bucket_open_dir(int bucket_fd, const char *folder);

/*
 * Inflate the first gzip member of fd as aws-cli's validator does
 * (zlib MAX_WBITS|16; bytes after the member are ignored), feeding every
 * inflated chunk to cb. SHA-256 of the inflated bytes into sha256 (32
 * bytes) if not NULL. Returns 0 when the member ended, 1 when the input
 * ended first (a truncated file: what was inflated was still hashed, as
 * aws-cli does), -EBADMSG for data zlib refuses (bad header, bad CRC),
 * -errno on a read error, or cb's non-zero return.
 */
typedef int (*hr_inflate_cb)(void *arg, const unsigned char *p, size_t n);
int hr_gz_inflate_fd(int fd, unsigned char sha256[32], uint64_t *out_bytes,
		     hr_inflate_cb cb, void *arg);

/*
 * The same over a whole object kept in memory (digests, which are small):
 * inflated bytes malloc'd into *out (NUL-terminated). Like Python's
 * zlib.decompress: a truncated member is an error (-EBADMSG). At most max
 * inflated bytes (-EFBIG).
 */
int hr_gz_inflate_fd_all(int fd, size_t max, unsigned char **out, size_t *len);

/* Escape for printing a name that came from a disk: control bytes,
 * backslash and bytes that are not valid UTF-8 become \xNN. malloc'd. */
char *hr_printable(const char *s);

#endif

/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* gz.h - inflating a gzip object exactly the way aws-cli does (first member only). */
#ifndef HOSTRAIL_COMMON_GZ_H
#define HOSTRAIL_COMMON_GZ_H

#include <stddef.h>
#include <stdint.h>

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
int hr_gz_inflate_fd(int fd, unsigned char sha256[32], uint64_t *out_bytes, hr_inflate_cb cb,
		     void *arg);

/*
 * The same over a whole object kept in memory (digests, which are small):
 * inflated bytes malloc'd into *out (NUL-terminated). Like Python's
 * zlib.decompress: a truncated member is an error (-EBADMSG). At most max
 * inflated bytes (-EFBIG).
 */
int hr_gz_inflate_fd_all(int fd, size_t max, unsigned char **out, size_t *len);

#endif

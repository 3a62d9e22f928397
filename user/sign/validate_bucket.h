/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * validate_bucket.h - validate-logs reading the bucket: listing its
 * objects without leaving it, digest keys and their times, loading a
 * digest with its signature, checking the log files a digest lists.
 */
#ifndef HOSTRAIL_SIGN_VALIDATE_BUCKET_H
#define HOSTRAIL_SIGN_VALIDATE_BUCKET_H

#include <sys/stat.h>
#include "sign/validate_ctx.h"

/* What vl_load_digest found. */
enum { LD_VALID, LD_MISSING, LD_INVALID };

typedef int (*walk_cb)(struct ctx *c, const char *key, const struct stat *st);

int vl_walk_folder(struct ctx *c, const char *rel, walk_cb cb);
bool vl_key_stamp(const char *key, char *out, size_t outlen);
int vl_collect_digest(struct ctx *c, const char *key, const struct stat *st);
bool vl_key_time(const char *key, int64_t *t);
int vl_load_digest(struct ctx *c, const char *bucket, const char *key, bool in_range_keys,
		   struct vdigest *d, char **msg);
void vl_vdigest_free(struct vdigest *d);
void vl_check_logs(struct ctx *c, struct vdigest *d);

#endif

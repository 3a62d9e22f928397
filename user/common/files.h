/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * files.h - durable small files, and reading objects out of a bucket
 * directory without ever leaving it.
 */
#ifndef HOSTRAIL_COMMON_FILES_H
#define HOSTRAIL_COMMON_FILES_H

#include <stdbool.h>
#include <stddef.h>

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
/* read(2), retried on EINTR: the bytes read (0 at the end) or -errno. */
long hr_read_some(int fd, void *buf, size_t n);

/* A relative object key with no empty, "." or ".." component: it cannot
 * leave the bucket directory. Every key read from disk or a user is
 * checked with this before it is opened. */
bool hr_key_is_plain(const char *key);

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

#endif

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* files.c - durable small files, and opening objects of a bucket directory
 * without ever leaving it. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/openat2.h>

#include "common/files.h"

bool hr_key_is_plain(const char *key)
{
	const char *s = key;

	if (!key || !*key)
		return false;
	for (;;) {
		size_t n = strcspn(s, "/");

		if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
			return false;
		if (!s[n])
			return true;
		s += n + 1;
	}
}

static int fail(char *err, size_t errlen, const char *verb, const char *dir, const char *name,
		int errnum)
{
	if (err && errlen)
		snprintf(err, errlen, "failed to %s %s/%s: %s", verb, dir, name, strerror(errnum));
	return -errnum;
}

int hr_write_file_atomic(const char *dir, const char *name, const void *data, size_t len,
			 unsigned mode, bool noreplace, char *err, size_t errlen)
{
	const unsigned char *p = data;
	char tmp[512];
	int dfd, fd = -1, ret = 0;
	bool created = false;

	if ((size_t)snprintf(tmp, sizeof(tmp), ".%s.tmp", name) >= sizeof(tmp))
		return fail(err, errlen, "write", dir, name, ENAMETOOLONG);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return fail(err, errlen, "open directory for", dir, name, errno);
	/*
	 * A stale temporary file would keep its old mode under O_CREAT: remove
	 * it and create afresh. (Not fchmod: the agent records chmod calls,
	 * its own included, and each would become a record to deliver.)
	 */
	unlinkat(dfd, tmp, 0);
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0) {
		ret = fail(err, errlen, "create", dir, tmp, errno);
		goto out;
	}
	created = true;
	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			ret = fail(err, errlen, "write", dir, tmp, errno);
			goto out;
		}
		p += w;
		len -= (size_t)w;
	}
	if (fsync(fd)) {
		ret = fail(err, errlen, "sync", dir, tmp, errno);
		goto out;
	}
	if (noreplace) {
		if (renameat2(dfd, tmp, dfd, name, RENAME_NOREPLACE)) {
			ret = fail(err, errlen, "rename into place", dir, name, errno);
			goto out;
		}
	} else if (renameat(dfd, tmp, dfd, name)) {
		ret = fail(err, errlen, "rename into place", dir, name, errno);
		goto out;
	}
	created = false;
	if (fsync(dfd))
		ret = fail(err, errlen, "sync directory", dir, "", errno);
out:
	if (fd >= 0)
		close(fd);
	if (created)
		unlinkat(dfd, tmp, 0);
	close(dfd);
	return ret;
}

long hr_read_some(int fd, void *buf, size_t n)
{
	for (;;) {
		ssize_t r = read(fd, buf, n);

		if (r >= 0 || errno != EINTR)
			return r < 0 ? -errno : (long)r;
	}
}

int hr_read_file(const char *path, size_t max, char **out, size_t *len)
{
	struct stat st;
	char *buf = NULL;
	size_t have = 0;
	int fd, ret = 0;

	*out = NULL;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		ret = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = -EPERM;
		goto out;
	}
	if ((uint64_t)st.st_size > max) {
		ret = -EFBIG;
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		ret = -ENOMEM;
		goto out;
	}
	while (have < (size_t)st.st_size) {
		long r = hr_read_some(fd, buf + have, (size_t)st.st_size - have);

		if (r < 0) {
			ret = (int)r;
			goto out;
		}
		if (r == 0)
			break;
		have += (size_t)r;
	}
	buf[have] = '\0';
	*out = buf;
	*len = have;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return ret;
}

/* Without openat2 (before Linux 5.6, some sandboxes): one component at a
 * time, never following a link. The key is plain, so no ".." either. */
static int open_beneath_slow(int bucket_fd, const char *key, int last_flags)
{
	const char *p = key;
	int dfd = bucket_fd, fd;

	for (;;) {
		size_t n = strcspn(p, "/");
		char comp[NAME_MAX + 1];

		if (n > NAME_MAX) {
			fd = -ENAMETOOLONG;
			break;
		}
		memcpy(comp, p, n);
		comp[n] = '\0';
		if (!p[n]) {
			fd = openat(dfd, comp, last_flags);
			fd = fd < 0 ? -errno : fd;
			break;
		}
		fd = openat(dfd, comp, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0) {
			fd = -errno;
			break;
		}
		if (dfd != bucket_fd)
			close(dfd);
		dfd = fd;
		p += n + 1;
	}
	if (dfd != bucket_fd)
		close(dfd);
	return fd;
}

static int open_beneath(int bucket_fd, const char *key, int flags)
{
	static bool no_openat2;
	struct open_how how = {
		.flags = (uint64_t)flags,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	int fd = -ENOSYS;

	if (!hr_key_is_plain(key))
		return -ENOENT;
	if (!no_openat2) {
		fd = (int)syscall(SYS_openat2, bucket_fd, key, &how, sizeof(how));
		if (fd < 0)
			fd = -errno;
		if (fd == -ENOSYS || fd == -EPERM) /* EPERM: a seccomp filter */
			no_openat2 = true;
	}
	if (no_openat2)
		fd = open_beneath_slow(bucket_fd, key, flags);
	/* a symlink on the way (ELOOP), a file where a folder should be
	 * (ENOTDIR): for an object store, neither is that object */
	if (fd == -ENOTDIR)
		return -ENOENT;
	if (fd == -ELOOP || fd == -EXDEV)
		return -EPERM;
	return fd;
}

int hr_bucket_open(int bucket_fd, const char *key)
{
	struct stat st;
	int fd = open_beneath(bucket_fd, key, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return fd;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EPERM;
	}
	return fd;
}

int hr_bucket_open_dir(int bucket_fd, const char *folder)
{
	return open_beneath(bucket_fd, folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
}

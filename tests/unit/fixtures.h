/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * fixtures.h - what several unit tests need around the code under test: a
 * fake file tree (a /proc of our own) and an independent gzip reader for
 * the files the agent delivers.
 */
#ifndef HOSTRAIL_TEST_FIXTURES_H
#define HOSTRAIL_TEST_FIXTURES_H

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>
#include <zlib.h>

/* root/rel, made as a directory, a symlink to target, or a file of text. */
static inline void fx_mkdir_at(const char *root, const char *rel)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	mkdir(p, 0755);
}

static inline void fx_link_at(const char *root, const char *rel, const char *target)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	unlink(p);
	if (symlink(target, p))
		perror("symlink");
}

static inline void fx_write_at(const char *root, const char *rel, const char *text)
{
	char p[PATH_MAX];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	f = fopen(p, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/*
 * The /proc the decoder tests read under root: process 4242 with its cwd,
 * exe and fds 3, 4, 5, 7 and 9 (12 stays closed), and process 777, the
 * target of ptrace, in a container.
 */
static inline void fx_decode_proc(const char *root)
{
	fx_mkdir_at(root, "4242");
	fx_mkdir_at(root, "4242/fd");
	fx_link_at(root, "4242/cwd", "/srv/data");
	fx_link_at(root, "4242/exe", "/usr/bin/tool");
	fx_link_at(root, "4242/fd/3", "/etc/passwd");
	fx_link_at(root, "4242/fd/4", "net:[4026531840]");
	fx_link_at(root, "4242/fd/5", "/lib/modules/6.1.0/kernel/fs/ext4/ext4.ko.zst");
	fx_link_at(root, "4242/fd/7", "/boot");
	fx_link_at(root, "4242/fd/9", "/dev/ptp0");
	fx_mkdir_at(root, "777");
	fx_link_at(root, "777/exe", "/usr/sbin/sshd");
	fx_write_at(root, "777/stat", "777 (ss) d) x) S 1 777 777 34817 777 0 0\n");
	fx_write_at(root, "777/cgroup",
		    "0::/system.slice/docker-0123456789abcdef0123456789abcdef"
		    "0123456789abcdef0123456789abcdef.scope\n");
}

/*
 * Inflate exactly one gzip member; it must end exactly at the end of the
 * file. 0 with *out (malloc'd) and *out_len, -2 if bytes follow the
 * member, -1 otherwise.
 */
static inline int gunzip_one(const char *path, unsigned char **out, size_t *out_len)
{
	unsigned char *in = NULL, *o = NULL;
	size_t in_len = 0, cap = 1 << 16;
	z_stream zs = {0};
	struct stat st;
	int fd, rc = -1;

	fd = open(path, O_RDONLY);
	if (fd < 0 || fstat(fd, &st))
		goto out;
	in_len = (size_t)st.st_size;
	in = malloc(in_len ? in_len : 1);
	o = malloc(cap);
	if (!in || !o || read(fd, in, in_len) != (ssize_t)in_len)
		goto out;
	if (inflateInit2(&zs, 15 + 16) != Z_OK)
		goto out;
	zs.next_in = in;
	zs.avail_in = (uInt)in_len;
	for (;;) {
		int r;

		if (zs.total_out == cap) {
			unsigned char *n = realloc(o, cap * 2);

			if (!n)
				break;
			o = n;
			cap *= 2;
		}
		zs.next_out = o + zs.total_out;
		zs.avail_out = (uInt)(cap - zs.total_out);
		r = inflate(&zs, Z_NO_FLUSH);
		if (r == Z_STREAM_END) {
			/* the member ends exactly where the file does */
			rc = zs.avail_in == 0 ? 0 : -2;
			break;
		}
		if (r != Z_OK && r != Z_BUF_ERROR)
			break;
		if (r == Z_BUF_ERROR && zs.avail_in == 0)
			break;
	}
	*out_len = zs.total_out;
	inflateEnd(&zs);
out:
	if (fd >= 0)
		close(fd);
	free(in);
	if (rc)
		free(o);
	else
		*out = o;
	return rc;
}

#endif

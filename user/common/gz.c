// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* gz.c - reading gzip objects the way aws-cli's validator does. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <zlib.h>

#include "common/files.h"
#include "common/gz.h"

#define READ_CHUNK    (256 * 1024)
#define INFLATE_CHUNK (256 * 1024)

int hr_gz_inflate_fd(int fd, unsigned char sha256[32], uint64_t *out_bytes, hr_inflate_cb cb,
		     void *arg)
{
	unsigned char *in = NULL, *out = NULL;
	EVP_MD_CTX *md = NULL;
	z_stream zs = {0};
	uint64_t total = 0;
	bool zinit = false, ended = false;
	int ret = 0, rc;

	in = malloc(READ_CHUNK);
	out = malloc(INFLATE_CHUNK);
	if (!in || !out) {
		ret = -ENOMEM;
		goto out;
	}
	if (sha256) {
		md = EVP_MD_CTX_new();
		if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
			ret = -ENOMEM;
			goto out;
		}
	}
	if (inflateInit2(&zs, MAX_WBITS | 16) != Z_OK) {
		ret = -ENOMEM;
		goto out;
	}
	zinit = true;
	while (!ended) {
		long r = hr_read_some(fd, in, READ_CHUNK);

		if (r < 0) {
			ret = (int)r;
			goto out;
		}
		if (r == 0)
			break;
		zs.next_in = in;
		zs.avail_in = (uInt)r;
		do {
			size_t got;

			zs.next_out = out;
			zs.avail_out = INFLATE_CHUNK;
			rc = inflate(&zs, Z_NO_FLUSH);
			if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
				ret = -EBADMSG;
				goto out;
			}
			got = INFLATE_CHUNK - zs.avail_out;
			if (got) {
				total += got;
				if (md && EVP_DigestUpdate(md, out, got) != 1) {
					ret = -EIO;
					goto out;
				}
				if (cb) {
					ret = cb(arg, out, got);
					if (ret)
						goto out;
				}
			}
			if (rc == Z_STREAM_END) {
				/* aws-cli stops after the first member too */
				ended = true;
				break;
			}
			if (rc == Z_BUF_ERROR) /* no progress: wants more input */
				break;
		} while (zs.avail_in > 0 || zs.avail_out == 0);
	}
	if (md) {
		unsigned int mdlen = 0;

		if (EVP_DigestFinal_ex(md, sha256, &mdlen) != 1 || mdlen != 32) {
			ret = -EIO;
			goto out;
		}
	}
	ret = ended ? 0 : 1;
out:
	if (out_bytes)
		*out_bytes = total;
	if (zinit)
		inflateEnd(&zs);
	EVP_MD_CTX_free(md);
	free(in);
	free(out);
	return ret;
}

struct grow {
	unsigned char *buf;
	size_t len, cap, max;
};

static int grow_cb(void *arg, const unsigned char *p, size_t n)
{
	struct grow *g = arg;

	if (g->len + n > g->max)
		return -EFBIG;
	if (g->len + n + 1 > g->cap) {
		size_t cap = g->cap ? g->cap : 4096;
		unsigned char *nb;

		while (cap < g->len + n + 1)
			cap *= 2;
		nb = realloc(g->buf, cap);
		if (!nb)
			return -ENOMEM;
		g->buf = nb;
		g->cap = cap;
	}
	memcpy(g->buf + g->len, p, n);
	g->len += n;
	return 0;
}

int hr_gz_inflate_fd_all(int fd, size_t max, unsigned char **out, size_t *len)
{
	struct grow g = {.max = max};
	int ret;

	*out = NULL;
	ret = hr_gz_inflate_fd(fd, NULL, NULL, grow_cb, &g);
	if (ret == 1)
		ret = -EBADMSG; /* zlib.decompress: "incomplete or truncated stream" */
	if (!ret && !g.buf)
		ret = grow_cb(&g, (const unsigned char *)"", 0);
	if (ret) {
		free(g.buf);
		return ret;
	}
	g.buf[g.len] = '\0';
	*out = g.buf;
	*len = g.len;
	return 0;
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * util.c - times, hex/base64, durable small files and gzip reading for the
 * signing side.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/openat2.h>
#include <openssl/evp.h>
#include <zlib.h>

#include "sign/util.h"

#define READ_CHUNK	(256 * 1024)
#define INFLATE_CHUNK	(256 * 1024)

/* ---- times ---- */

int64_t hr_ns_to_sec(int64_t ns)
{
	int64_t s = ns / 1000000000;

	return (ns % 1000000000 < 0) ? s - 1 : s;
}

static void to_tm(int64_t sec, struct tm *tm)
{
	time_t t = (time_t)sec;

	if (!gmtime_r(&t, tm))
		memset(tm, 0, sizeof(*tm));
}

/* Fixed-width decimal into p; the year is taken modulo 10000. */
static char *put(char *p, int v, int width)
{
	for (int i = width - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + width;
}

static void fmt(int64_t sec, char *buf, bool separators)
{
	struct tm tm;
	char *p = buf;

	to_tm(sec, &tm);
	p = put(p, (tm.tm_year + 1900) % 10000, 4);
	if (separators)
		*p++ = '-';
	p = put(p, tm.tm_mon + 1, 2);
	if (separators)
		*p++ = '-';
	p = put(p, tm.tm_mday, 2);
	*p++ = 'T';
	p = put(p, tm.tm_hour, 2);
	if (separators)
		*p++ = ':';
	p = put(p, tm.tm_min, 2);
	if (separators)
		*p++ = ':';
	p = put(p, tm.tm_sec, 2);
	*p++ = 'Z';
	*p = '\0';
}

void hr_ct_time_fmt(int64_t sec, char buf[HR_CT_TIME_LEN + 1])
{
	fmt(sec, buf, true);
}

void hr_ct_keytime_fmt(int64_t sec, char buf[HR_CT_KEYTIME_LEN + 1])
{
	fmt(sec, buf, false);
}

int hr_digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* Build a time from fields, refusing dates that do not exist (Feb 30). */
static int make_time(int y, int mo, int d, int h, int mi, int s, int64_t *out)
{
	struct tm tm = { 0 }, back;
	time_t t;

	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 ||
	    mi < 0 || mi > 59 || s < 0 || s > 59)
		return -EINVAL;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	t = timegm(&tm);
	if (t == (time_t)-1 || !gmtime_r(&t, &back) || back.tm_mday != d || back.tm_mon != mo - 1)
		return -EINVAL;
	*out = (int64_t)t;
	return 0;
}

int hr_ct_time_parse(const char *s, size_t len, int64_t *sec)
{
	if (!s || len != HR_CT_TIME_LEN || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
	    s[13] != ':' || s[16] != ':' || s[19] != 'Z')
		return -EINVAL;
	return make_time(hr_digits(s, 4), hr_digits(s + 5, 2), hr_digits(s + 8, 2), hr_digits(s + 11, 2),
			 hr_digits(s + 14, 2), hr_digits(s + 17, 2), sec);
}

int hr_ct_keytime_parse(const char *s, size_t len, int64_t *sec)
{
	if (!s || len != HR_CT_KEYTIME_LEN || s[8] != 'T' || s[15] != 'Z')
		return -EINVAL;
	return make_time(hr_digits(s, 4), hr_digits(s + 4, 2), hr_digits(s + 6, 2), hr_digits(s + 9, 2),
			 hr_digits(s + 11, 2), hr_digits(s + 13, 2), sec);
}

int hr_iso_time_parse(const char *s, int64_t *sec)
{
	char buf[HR_CT_TIME_LEN + 1];
	const char *rest;

	if (!s || strlen(s) < 19)
		return -EINVAL;
	memcpy(buf, s, 19);
	buf[19] = 'Z';
	buf[20] = '\0';
	rest = s + 19;
	if (*rest == '.')
		rest += 1 + strspn(rest + 1, "0123456789");
	if (*rest && strcmp(rest, "Z") && strcmp(rest, "+00:00"))
		return -EINVAL;
	return hr_ct_time_parse(buf, HR_CT_TIME_LEN, sec);
}

int hr_cli_time_parse(const char *s, int64_t *sec)
{
	size_t n;

	if (!s || !*s)
		return -EINVAL;
	n = strlen(s);
	if (strspn(s, "0123456789") == n) {
		char *end;
		unsigned long long v;

		if (n > 12)	/* past year 33658: not a time anyone means */
			return -EINVAL;
		errno = 0;
		v = strtoull(s, &end, 10);
		if (errno || *end)
			return -EINVAL;
		*sec = (int64_t)v;
		return 0;
	}
	if (n == 10 && s[4] == '-' && s[7] == '-')
		return make_time(hr_digits(s, 4), hr_digits(s + 5, 2), hr_digits(s + 8, 2), 0, 0, 0, sec);
	if (n == 19) {
		char full[HR_CT_TIME_LEN + 1];

		memcpy(full, s, 19);
		full[19] = 'Z';
		full[20] = '\0';
		return hr_ct_time_parse(full, HR_CT_TIME_LEN, sec);
	}
	return hr_ct_time_parse(s, n, sec);
}

/* ---- hex and base64 ---- */

void hr_hex(const void *p, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[b[i] >> 4];
		out[2 * i + 1] = hex[b[i] & 15];
	}
	out[2 * n] = '\0';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int hr_unhex(const char *s, size_t slen, unsigned char *out, size_t *n)
{
	if (slen % 2)
		return -EINVAL;
	for (size_t i = 0; i < slen / 2; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	*n = slen / 2;
	return 0;
}

char *hr_b64_encode(const void *p, size_t n)
{
	char *out = malloc(4 * ((n + 2) / 3) + 1);

	if (out)
		EVP_EncodeBlock((unsigned char *)out, p, (int)n);
	return out;
}

int hr_b64_decode(const char *s, size_t slen, unsigned char **out, size_t *n)
{
	unsigned char *buf;
	size_t pad = 0;
	int got;

	*out = NULL;
	if (slen == 0 || slen % 4 || slen > (1u << 20))
		return -EINVAL;
	/* EVP_DecodeBlock counts the padding as zero bytes: take it off */
	if (s[slen - 1] == '=')
		pad++;
	if (s[slen - 2] == '=')
		pad++;
	buf = malloc(slen / 4 * 3 + 1);
	if (!buf)
		return -ENOMEM;
	got = EVP_DecodeBlock(buf, (const unsigned char *)s, (int)slen);
	if (got < 0 || (size_t)got < pad) {
		free(buf);
		return -EINVAL;
	}
	*out = buf;
	*n = (size_t)got - pad;
	return 0;
}

/* ---- files ---- */

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
		ssize_t r = read(fd, buf + have, (size_t)st.st_size - have);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
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
		if (fd == -ENOSYS || fd == -EPERM)	/* EPERM: a seccomp filter */
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
	return open_beneath(bucket_fd, folder,
			    O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
}

/* ---- gzip ---- */

int hr_gz_inflate_fd(int fd, unsigned char sha256[32], uint64_t *out_bytes,
		     hr_inflate_cb cb, void *arg)
{
	unsigned char *in = NULL, *out = NULL;
	EVP_MD_CTX *md = NULL;
	z_stream zs = { 0 };
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
		ssize_t r = read(fd, in, READ_CHUNK);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
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
			if (rc == Z_BUF_ERROR)	/* no progress: wants more input */
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
	struct grow g = { .max = max };
	int ret;

	*out = NULL;
	ret = hr_gz_inflate_fd(fd, NULL, NULL, grow_cb, &g);
	if (ret == 1)
		ret = -EBADMSG;	/* zlib.decompress: "incomplete or truncated stream" */
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

char *hr_printable(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), o = 0;
	char *out = malloc(4 * n + 1);

	if (!out)
		return NULL;
	while (*p) {
		size_t seq = 0;

		/* a valid UTF-8 sequence of 2-4 bytes passes as it is */
		if (*p >= 0xc2 && *p <= 0xf4) {
			size_t need = *p >= 0xf0 ? 4 : *p >= 0xe0 ? 3 : 2;

			seq = need;
			for (size_t i = 1; i < need; i++)
				if ((p[i] & 0xc0) != 0x80)
					seq = 0;
		}
		if (seq) {
			memcpy(out + o, p, seq);
			o += seq;
			p += seq;
		} else if (*p < 0x20 || *p == 0x7f || *p >= 0x80 || *p == '\\') {
			o += (size_t)sprintf(out + o, "\\x%02x", *p);
			p++;
		} else {
			out[o++] = (char)*p++;
		}
	}
	out[o] = '\0';
	return out;
}

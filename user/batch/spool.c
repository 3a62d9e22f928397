// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * spool.c - spool file format: line prefix, recovery check, and the
 * streaming conversion of a spool into a log file's bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>

#include "batch/spool.h"
#include "deliver/logfile.h"

#define READ_CHUNK (1u << 20)
/* A "line" longer than this is corruption (a run of zeros after a power
 * loss, say): it is skipped to its end rather than held in memory. */
#define LINE_MAX_BYTES (64u << 20)

static const char json_gz[] = ".json.gz";

size_t hr_spool_prefix(char *buf, int64_t t)
{
	uint64_t u = t < 0 ? -(uint64_t)t : (uint64_t)t;
	char digits[20];
	size_t n = 0, len = 0;

	do {
		digits[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (t < 0)
		buf[len++] = '-';
	while (n)
		buf[len++] = digits[--n];
	buf[len++] = '\t';
	return len;
}

static bool ends_with(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

int hr_spool_sealed_name(char *buf, size_t len, const char *log_name)
{
	size_t n;
	int w;

	if (!buf || !log_name)
		return -EINVAL;
	n = strlen(log_name);
	if (!ends_with(log_name, n, json_gz) || n == sizeof(json_gz) - 1 || strchr(log_name, '/'))
		return -EINVAL;
	w = snprintf(buf, len, HR_SPOOL_NAME_PREFIX "%.*s" HR_SPOOL_SEALED_SUFFIX,
		     (int)(n - (sizeof(json_gz) - 1)), log_name);
	return (w < 0 || (size_t)w >= len) ? -EINVAL : 0;
}

int hr_spool_sealed_key(char *buf, size_t len, const char *spool_name)
{
	static const size_t pre = sizeof(HR_SPOOL_NAME_PREFIX) - 1;
	static const size_t suf = sizeof(HR_SPOOL_SEALED_SUFFIX) - 1;
	char log_name[NAME_MAX + 1];
	size_t n;
	int w;

	if (!buf || !spool_name)
		return -EINVAL;
	n = strlen(spool_name);
	if (n <= pre + suf || strncmp(spool_name, HR_SPOOL_NAME_PREFIX, pre) ||
	    !ends_with(spool_name, n, HR_SPOOL_SEALED_SUFFIX))
		return -EINVAL;
	w = snprintf(log_name, sizeof(log_name), "%.*s%s", (int)(n - pre - suf), spool_name + pre,
		     json_gz);
	if (w < 0 || (size_t)w >= sizeof(log_name))
		return -EINVAL;
	return hr_logfile_key_from_name(buf, len, log_name);
}

/* ---- reading lines back ---- */

struct line_reader {
	int fd;
	char *buf;
	size_t cap, start, end, scan; /* [start, end) unread; scan: no LF before */
	uint64_t off;		      /* file offset of buf[start] */
	bool eof;
};

static int lr_init(struct line_reader *lr, int fd)
{
	memset(lr, 0, sizeof(*lr));
	lr->fd = fd;
	lr->cap = READ_CHUNK;
	lr->buf = malloc(lr->cap);
	return lr->buf ? 0 : -ENOMEM;
}

/*
 * Next line (without its LF). *complete: it ended with an LF (else it is the
 * file's torn tail). *bad: it was too long and skipped. *line_off: its file
 * offset. Returns 1, 0 at the end, or -errno.
 */
static int lr_next(struct line_reader *lr, const char **line, size_t *len, bool *complete,
		   bool *bad, uint64_t *line_off)
{
	bool skipping = false;

	for (;;) {
		char *nl = memchr(lr->buf + lr->scan, '\n', lr->end - lr->scan);
		size_t avail = lr->end - lr->start;

		if (nl || lr->eof) {
			if (!nl && avail == 0 && !skipping)
				return 0;
			*line = lr->buf + lr->start;
			*len = nl ? (size_t)(nl - *line) : avail;
			*complete = nl != NULL;
			*bad = skipping;
			*line_off = lr->off;
			avail = *len + (nl ? 1 : 0);
			lr->start += avail;
			lr->off += avail;
			lr->scan = lr->start;
			return 1;
		}
		lr->scan = lr->end;
		if (lr->start) {
			memmove(lr->buf, lr->buf + lr->start, avail);
			lr->end = lr->scan = avail;
			lr->start = 0;
		}
		if (lr->end == lr->cap) {
			if (lr->cap >= LINE_MAX_BYTES) {
				skipping = true;
				lr->off += lr->end;
				lr->end = lr->scan = 0;
			} else {
				char *nb = realloc(lr->buf, lr->cap * 2);

				if (!nb)
					return -ENOMEM;
				lr->buf = nb;
				lr->cap *= 2;
			}
		}
		ssize_t r = read(lr->fd, lr->buf + lr->end, lr->cap - lr->end);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			lr->eof = true;
		lr->end += (size_t)r;
	}
}

static void lr_free(struct line_reader *lr)
{
	free(lr->buf);
	lr->buf = NULL;
}

/* "<int64>\t<one JSON object>"; jansson is the judge (recovery only). */
static bool line_valid(const char *s, size_t len, int64_t *t)
{
	size_t i = 0, d0;
	uint64_t u = 0, limit = INT64_MAX;
	bool neg = false;
	json_error_t jerr;
	json_t *j;

	if (i < len && s[i] == '-') {
		neg = true;
		limit++;
		i++;
	}
	for (d0 = i; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (u > (limit - d) / 10)
			return false;
		u = u * 10 + d;
	}
	if (i == d0 || i >= len || s[i] != '\t')
		return false;
	i++;
	/* big integers are valid JSON that jansson would refuse as int64 */
	j = json_loadb(s + i, len - i, JSON_DECODE_INT_AS_REAL | JSON_ALLOW_NUL, &jerr);
	if (!j)
		return false;
	if (!json_is_object(j)) {
		json_decref(j);
		return false;
	}
	json_decref(j);
	*t = neg ? (int64_t)(0 - u) : (int64_t)u;
	return true;
}

static int write_full(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t w = write(fd, buf, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Copy the valid lines of fd into a new file and put it in name's place. */
static int rewrite(int dir_fd, const char *name, int fd)
{
	struct line_reader lr = {.buf = NULL};
	char tmp[NAME_MAX + 1];
	const char *line;
	size_t len;
	bool complete, bad;
	uint64_t off;
	int out = -1, r, err;

	if (snprintf(tmp, sizeof(tmp), ".%s.tmp", name) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	if (lseek(fd, 0, SEEK_SET) < 0)
		return -errno;
	err = lr_init(&lr, fd);
	if (err)
		goto out;
	out = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (out < 0) {
		err = -errno;
		goto out;
	}
	/* one write per line: recovery is rare, correctness is what counts */
	while ((r = lr_next(&lr, &line, &len, &complete, &bad, &off)) == 1) {
		int64_t t;

		if (bad || !complete || !line_valid(line, len, &t))
			continue;
		err = write_full(out, line, len + 1);
		if (err)
			goto out;
	}
	if (r < 0) {
		err = r;
		goto out;
	}
	if (fsync(out) || renameat(dir_fd, tmp, dir_fd, name) || fsync(dir_fd)) {
		err = -errno;
		goto out;
	}
	err = 0;
out:
	if (out >= 0) {
		close(out);
		if (err)
			unlinkat(dir_fd, tmp, 0);
	}
	lr_free(&lr);
	return err;
}

int hr_spool_recover(int dir_fd, const char *name, struct hr_spool_info *info)
{
	struct line_reader lr = {.buf = NULL};
	const char *line;
	size_t len;
	bool complete, bad, seen_bad = false, scattered = false;
	uint64_t off, good_end = 0;
	int fd, r, err;

	memset(info, 0, sizeof(*info));
	fd = openat(dir_fd, name, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	err = lr_init(&lr, fd);
	if (err)
		goto out;
	while ((r = lr_next(&lr, &line, &len, &complete, &bad, &off)) == 1) {
		int64_t t;

		if (bad || !complete || !line_valid(line, len, &t)) {
			info->dropped++;
			seen_bad = true;
			continue;
		}
		if (!info->n || t < info->oldest_ns)
			info->oldest_ns = t;
		if (!info->n || t > info->newest_ns)
			info->newest_ns = t;
		info->n++;
		info->size += len + 1;
		if (seen_bad)
			scattered = true;
		else
			good_end = off + len + 1;
	}
	if (r < 0) {
		err = r;
		goto out;
	}
	err = 0;
	if (!info->dropped)
		goto out;
	/* Make the cleaned spool durable now, so that a retry (or the next
	 * recovery) delivers exactly these bytes again. */
	if (!scattered) {
		if (ftruncate(fd, (off_t)good_end) || fsync(fd))
			err = -errno;
	} else {
		err = rewrite(dir_fd, name, fd);
	}
out:
	if (err)
		memset(info, 0, sizeof(*info));
	lr_free(&lr);
	close(fd);
	return err;
}

int hr_spool_emit(int dir_fd, const char *name, uint64_t size, struct hr_publish *p, uint64_t *n)
{
	static const char head[] = "{\"Records\":[", tail[] = "]}";
	bool in_prefix = true;
	uint64_t off = 0, count = 0;
	char *buf = NULL;
	int fd, err;

	*n = 0;
	fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	buf = malloc(READ_CHUNK);
	if (!buf) {
		err = -ENOMEM;
		goto out;
	}
	err = hr_publish_write(p, head, sizeof(head) - 1);
	if (err)
		goto out;
	while (off < size) {
		size_t want = size - off < READ_CHUNK ? (size_t)(size - off) : READ_CHUNK;
		ssize_t got = pread(fd, buf, want, (off_t)off);
		char *r = buf, *w = buf, *end;

		if (got < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			goto out;
		}
		if (got == 0) {
			err = -EIO; /* shorter than we wrote */
			goto out;
		}
		off += (uint64_t)got;
		end = buf + got;
		/*
		 * Compact in place: drop each "<ns>\t" prefix, turn the LF
		 * between records into a comma. The output never gets ahead
		 * of the input, since a prefix is at least two bytes.
		 */
		while (r < end) {
			if (in_prefix) {
				char *tab = memchr(r, '\t', (size_t)(end - r));

				if (!tab) {
					r = end;
					break;
				}
				if (count)
					*w++ = ',';
				r = tab + 1;
				in_prefix = false;
			} else {
				char *nl = memchr(r, '\n', (size_t)(end - r));
				char *stop = nl ? nl : end;

				memmove(w, r, (size_t)(stop - r));
				w += stop - r;
				r = stop;
				if (nl) {
					r++;
					in_prefix = true;
					count++;
				}
			}
		}
		err = hr_publish_write(p, buf, (size_t)(w - buf));
		if (err)
			goto out;
	}
	if (!in_prefix) {
		err = -EIO; /* not on a line boundary */
		goto out;
	}
	err = hr_publish_write(p, tail, sizeof(tail) - 1);
	if (!err)
		*n = count;
out:
	free(buf);
	close(fd);
	return err;
}

/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * fuzz_gz.c - validate-logs' gzip readers (log files streamed, digests
 * whole): any bytes. Where both finish a member they agree on its bytes.
 */
#include "fuzz.h"
#include "common/gz.h"
#include <openssl/sha.h>

struct acc {
	unsigned char *p;
	size_t n, cap;
};

static int collect(void *arg, const unsigned char *p, size_t n)
{
	struct acc *a = arg;

	if (a->n + n > a->cap) {
		a->cap = (a->n + n) * 2;
		a->p = realloc(a->p, a->cap);
		if (!a->p)
			abort();
	}
	memcpy(a->p + a->n, p, n);
	a->n += n;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char sha[32], want[32], *all = NULL;
	struct acc a = {0};
	uint64_t bytes = 0;
	size_t all_len = 0;
	int fd, rc, rc_all;

	fd = fuzz_memfd(data, size);
	if (fd < 0)
		abort();
	rc = hr_gz_inflate_fd(fd, sha, &bytes, collect, &a);
	FUZZ_CLAIM(rc == 0 || rc == 1 || rc < 0);
	if (rc >= 0) {
		FUZZ_CLAIM(bytes == a.n);
		SHA256(a.p ? a.p : (const unsigned char *)"", a.n, want);
		FUZZ_CLAIM(memcmp(sha, want, 32) == 0);
	}
	lseek(fd, 0, SEEK_SET);
	rc_all = hr_gz_inflate_fd_all(fd, 1 << 20, &all, &all_len);
	close(fd);
	if (rc_all == 0) {
		/* a whole member, so the stream read it whole too */
		FUZZ_CLAIM(rc == 0);
		FUZZ_CLAIM(all_len == a.n && (!all_len || memcmp(all, a.p, all_len) == 0));
		FUZZ_CLAIM(all[all_len] == '\0');
	}
	free(all);
	free(a.p);
	return 0;
}

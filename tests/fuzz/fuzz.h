/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * fuzz.h - what the libFuzzer targets share: a claim that aborts (so the
 * fuzzer keeps the input as a crash), and the input as a file for readers
 * that take a path or a descriptor.
 */
#ifndef HOSTRAIL_FUZZ_H
#define HOSTRAIL_FUZZ_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CLAIM(cond)                                                                         \
	do {                                                                                     \
		if (!(cond)) {                                                                   \
			fprintf(stderr, "%s:%d: claim failed: %s\n", __FILE__, __LINE__, #cond); \
			abort();                                                                 \
		}                                                                                \
	} while (0)

/* The bytes as an anonymous file, positioned at 0; -1 on failure. */
static inline int fuzz_memfd(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz", MFD_CLOEXEC);
	size_t off = 0;

	if (fd < 0)
		return -1;
	while (off < size) {
		ssize_t n = write(fd, data + off, size - off);

		if (n <= 0) {
			close(fd);
			return -1;
		}
		off += (size_t)n;
	}
	lseek(fd, 0, SEEK_SET);
	return fd;
}

/* The bytes as the file dir/name (dir exists); 0 or -1. */
static inline int fuzz_write_file(const char *dir, const char *name, const uint8_t *data,
				  size_t size)
{
	char path[4096];
	FILE *f;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f)
		return -1;
	rc = fwrite(data, 1, size, f) == size ? 0 : -1;
	return fclose(f) || rc ? -1 : 0;
}

/* A NUL-terminated copy (a string reader never sees past it). */
static inline char *fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

static char fuzz_dir_[64];

static inline void fuzz_rm_tmpdir(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fuzz_dir_);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", fuzz_dir_);
}

/* One private directory per fuzzing process, made on first use, removed
 * at exit. */
static inline const char *fuzz_tmpdir(void)
{
	if (!fuzz_dir_[0]) {
		snprintf(fuzz_dir_, sizeof(fuzz_dir_), "/tmp/hr-fuzz.XXXXXX");
		if (!mkdtemp(fuzz_dir_))
			abort();
		atexit(fuzz_rm_tmpdir);
	}
	return fuzz_dir_;
}

#endif

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * syscall_bench - time one system call in a tight loop.
 *
 *   syscall_bench getppid|setuid|openclose ITERATIONS
 *	prints "<workload> <ns per call>" (median of 5 rounds)
 *   syscall_bench burst N
 *	makes N recorded calls (setuid to the caller's own uid) as fast as it
 *	can and prints "burst <N> <pid> <seconds>"
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void one(const char *w, uid_t uid)
{
	if (!strcmp(w, "getppid")) {
		syscall(SYS_getppid);
	} else if (!strcmp(w, "setuid")) {
		syscall(SYS_setuid, uid);
	} else {
		int fd = open("/etc/hostname", O_RDONLY | O_CLOEXEC);

		if (fd >= 0)
			close(fd);
	}
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	uid_t uid = getuid();
	long n;

	if (argc != 3 || (n = atol(argv[2])) <= 0) {
		fprintf(stderr, "usage: syscall_bench getppid|setuid|openclose|burst N\n");
		return 2;
	}
	if (!strcmp(argv[1], "burst")) {
		double t0 = now_s();

		for (long i = 0; i < n; i++)
			syscall(SYS_setuid, uid);
		printf("burst %ld %d %.6f\n", n, (int)getpid(), now_s() - t0);
		return 0;
	}
	double rounds[5];

	for (int r = 0; r < 5; r++) {
		double t0 = now_s();

		for (long i = 0; i < n; i++)
			one(argv[1], uid);
		rounds[r] = (now_s() - t0) * 1e9 / n;
	}
	qsort(rounds, 5, sizeof(rounds[0]), cmp);
	printf("%s %.1f\n", argv[1], rounds[2]);
	return 0;
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tp_floor - attach trivial BPF programs to the hooks hostraild uses and
 * wait, so that `make bench` can measure what the hooks alone cost.
 *
 *   tp_floor tracepoints	sys_enter_openat, sys_exit_openat and
 *				sys_enter_setuid (what a data-selecting
 *				hostraild attaches for open+close)
 *   tp_floor raw		the global raw sys_enter tracepoint
 *
 * Prints READY once attached, detaches and exits 0 on SIGTERM or SIGINT.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "tp_floor.skel.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

int main(int argc, char **argv)
{
	struct tp_floor_bpf *skel;
	sigset_t block, old;
	bool raw;
	int err;

	if (argc != 2 || (strcmp(argv[1], "tracepoints") && strcmp(argv[1], "raw"))) {
		fprintf(stderr, "usage: tp_floor tracepoints|raw\n");
		return 2;
	}
	raw = !strcmp(argv[1], "raw");
	/* Blocked until sigsuspend: a signal cannot slip in between the
	 * check of stop and the wait. */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &old);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);

	skel = tp_floor_bpf__open();
	if (!skel) {
		fprintf(stderr, "tp_floor: open: %s\n", strerror(errno));
		return 1;
	}
	bpf_program__set_autoload(skel->progs.floor_enter_openat, !raw);
	bpf_program__set_autoload(skel->progs.floor_exit_openat, !raw);
	bpf_program__set_autoload(skel->progs.floor_enter_setuid, !raw);
	bpf_program__set_autoload(skel->progs.floor_raw_sys_enter, raw);
	err = tp_floor_bpf__load(skel);
	if (!err)
		err = tp_floor_bpf__attach(skel);
	if (err) {
		fprintf(stderr, "tp_floor: load/attach: %s\n", strerror(-err));
		tp_floor_bpf__destroy(skel);
		return 1;
	}
	printf("READY\n");
	fflush(stdout);
	while (!stop)
		sigsuspend(&old);
	tp_floor_bpf__destroy(skel);
	return 0;
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tp_floor.bpf.c - the cheapest programs the hooks hostraild uses can run.
 *
 * Each one does what any filter must do at least (look at who is calling)
 * and nothing else, so what `make bench` measures with them attached is the
 * kernel's cost of the hook itself: the floor under hostrail's own work.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Never true in practice; keeps the program from being an empty stub. */
__u64 hits = 0;

static __always_inline int trivial(void)
{
	if (bpf_get_current_pid_tgid() == 1)
		hits++;
	return 0;
}

/* What a data-selecting hostraild attaches for open+close: openat's entry
 * and exit, and a management call's entry, which (like any syscall
 * tracepoint) switches the syscall slow path on for every task. */
SEC("tp/syscalls/sys_enter_openat")
int floor_enter_openat(void *ctx)
{
	return trivial();
}

SEC("tp/syscalls/sys_exit_openat")
int floor_exit_openat(void *ctx)
{
	return trivial();
}

SEC("tp/syscalls/sys_enter_setuid")
int floor_enter_setuid(void *ctx)
{
	return trivial();
}

/* The other hook this kernel allows for openat: the global raw sys_enter
 * tracepoint, which every system call of every task runs through. */
#define FLOOR_NR_OPENAT 257 /* x86_64 */

SEC("raw_tp/sys_enter")
int floor_raw_sys_enter(struct bpf_raw_tracepoint_args *ctx)
{
	if (ctx->args[1] == FLOOR_NR_OPENAT)
		return trivial();
	return 0;
}

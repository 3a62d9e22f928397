/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * probe.h - which BPF hooks this kernel allows, found by attaching.
 */
#ifndef HOSTRAIL_CAPTURE_PROBE_H
#define HOSTRAIL_CAPTURE_PROBE_H

#include <stdbool.h>
#include <stddef.h>

enum hr_hook {
	HR_HOOK_LSM,		/* BPF-LSM, lsm/file_open */
	HR_HOOK_FENTRY,		/* fentry/fexit trampolines, on do_sys_openat2 */
	HR_HOOK_KPROBE,		/* kprobes, on do_sys_openat2 */
	HR_HOOK_RAW_TRACEPOINT, /* raw tracepoints, on sys_enter */
	HR_HOOK_TRACEPOINT,	/* the syscall tracepoints (syscalls/sys_enter_getppid) */
	HR_HOOK_NR,
};

/* captureHook: how the hooks are chosen. */
enum hr_capture_choice {
	HR_CAPTURE_AUTO,       /* "auto": the cheapest hook the probe found */
	HR_CAPTURE_TRACEPOINT, /* "tracepoint": sys_enter + sys_exit for every call */
	HR_CAPTURE_EXIT_ONLY,  /* "exit-only": sys_exit alone (a measurement) */
};

struct hr_hook_probe {
	int err[HR_HOOK_NR]; /* 0: loads and attaches; -errno: why not */
};

/* Load and attach a trivial program of each kind, then detach it. */
void hr_probe_hooks(struct hr_hook_probe *p);

bool hr_probe_allows(const struct hr_hook_probe *p, enum hr_hook h);

/* The name used in logs and get-trail-status ("fentry", "rawTracepoint"). */
const char *hr_hook_name(enum hr_hook h);

/* "lsm no EPERM, fentry yes, ..." for the start-up log. */
int hr_probe_describe(const struct hr_hook_probe *p, char *buf, size_t len);

#endif

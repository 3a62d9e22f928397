/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * capture.h - load the BPF programs, attach them, and read their events.
 */
#ifndef HOSTRAIL_CAPTURE_H
#define HOSTRAIL_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "hostrail_abi.h"
#include "capture/probe.h"

struct hr_capture;

/* Called for each event, in ring-buffer order; data is valid only during
 * the call. A non-zero return stops the current poll. */
typedef int (*hr_capture_event_fn)(void *ctx, const void *data, size_t size);

struct hr_syscall_desc;

/* Should this table row be attached? (NULL: every row) */
typedef bool (*hr_capture_want_fn)(void *arg, const struct hr_syscall_desc *d);

struct hr_capture_opts {
	size_t ringbuf_bytes; /* power of two; 0: 32 MiB */
	hr_capture_event_fn on_event;
	void *ctx;
	hr_capture_want_fn want;
	/* Should the row's read-only calls (HR_SPEC_F_SKIP_MODES0) reach user
	 * space? (NULL: yes) Asked again at every reattach. */
	hr_capture_want_fn want_read_only;
	void *want_arg;
	const char *state_dir;	       /* where a refused program's verifier log is kept */
	enum hr_capture_choice choice; /* config captureHook */
};

/* The hook a kind of event is captured on. */
enum hr_capture_hook {
	HR_CAPTURE_HOOK_TRACEPOINT, /* sys_enter_<call> + sys_exit_<call> */
	HR_CAPTURE_HOOK_FEXIT,	    /* fexit/do_sys_openat2 (the open family) */
	HR_CAPTURE_HOOK_EXIT_ONLY,  /* sys_exit_<call> alone, arguments from the registers */
};

/* What the start-up probe found (indexed by enum hr_hook, capture/probe.h)
 * and the hooks chosen from it. */
struct hr_capture_hooks {
	enum hr_capture_hook data_events, calls;
	bool probed[HR_HOOK_NR];
};

void hr_capture_hooks(const struct hr_capture *c, struct hr_capture_hooks *out);

/* "fexit", "tracepoint", "exitTracepoint": as in get-trail-status's HostrailCapture. */
const char *hr_capture_hook_name(enum hr_capture_hook h);

/* Root, kernel BTF and BPF ring buffers: what the agent cannot work around.
 * Logs one sentence and returns -errno when something is missing. */
int hr_capture_check_environment(void);

/*
 * Check the environment (as above), mount tracefs and bpffs
 * if missing, probe which hooks the kernel allows, load the programs and
 * attach one entry and one exit program per recorded system call (the
 * open family: fexit where the probe allows it). Fails with a message
 * already logged.
 */
int hr_capture_open(const struct hr_capture_opts *opts, struct hr_capture **out);

/* Wait up to timeout_ms for events, then drain whatever is waiting. */
int hr_capture_poll(struct hr_capture *c, int timeout_ms);

/* Totals of the kernel-side drop counters (enum hr_drop_reason). */
int hr_capture_drops(struct hr_capture *c, uint64_t totals[HR_DROP_NR]);

/* Comma-separated eventNames this kernel cannot record ("" if none). */
const char *hr_capture_unavailable(const struct hr_capture *c);

/* Number of system calls attached. */
int hr_capture_attached(const struct hr_capture *c);

/* Detach every program: no new events after this; the ring buffer can
 * still be drained with hr_capture_poll(). */
void hr_capture_detach(struct hr_capture *c);

void hr_capture_close(struct hr_capture *c);

/* Attach what opts.want now wants and detach the rest (after a selector
 * change); the new links go in before the old ones go, so nothing wanted
 * before and after is missed. */
int hr_capture_reattach(struct hr_capture *c);

/*
 * Replace the kernel's data event path filter with these prefixes of one
 * kind (HR_PATH_KIND_*): entries of other kinds stay. exact[i]: the path
 * itself only. Prefixes longer than the key are cut (a superset).
 */
int hr_capture_set_paths(struct hr_capture *c, char kind, const char *const *paths,
			 const bool *exact, int n);

/* Totals of the filter counters (enum hr_filter_counter). */
int hr_capture_filter_stats(struct hr_capture *c, uint64_t totals[HR_FILTER_NR]);

/* The ring buffer's epoll fd, for a loop that also watches other fds. */
int hr_capture_epoll_fd(const struct hr_capture *c);

#endif

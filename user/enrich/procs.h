/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * procs.h - what the recorder knows about each process: its executable,
 * controlling tty and container.
 *
 * Keyed by tgid. Exec events replace the executable, exit events drop the
 * entry; a process that predates the agent (or whose exec was lost) is
 * filled from <proc_root>/<tgid>/exe on first use. tty and container id
 * are read lazily, once per process, on the first record that needs them:
 * most processes that exec never make a recorded call. Bounded
 * (set-associative, least recently used goes); evictions are counted.
 * Not thread-safe: one per recorder.
 */
#ifndef HOSTRAIL_PROCS_H
#define HOSTRAIL_PROCS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <limits.h>
#include <sys/types.h>

#define HR_PROCS_DEFAULT_MAX 16384
#define HR_TTY_MAX	     32
#define HR_CONTAINER_ID_LEN  64

struct hr_procs;

/* A copy of one entry: stays valid whatever the cache does next. */
struct hr_proc_info {
	bool exe_known;
	size_t exe_len;
	char exe[PATH_MAX];			    /* exact bytes, NUL-terminated */
	char tty[HR_TTY_MAX];			    /* "pts/3", "tty1"; "" when none */
	char container_id[HR_CONTAINER_ID_LEN + 1]; /* "" when none */
};

struct hr_procs_stats {
	uint64_t hits, misses, evictions, exec_updates, exits, fill_failures;
};

/* proc_root: "/proc" or a test directory; max 0: default. */
int hr_procs_new(const char *proc_root, size_t max, struct hr_procs **out);
void hr_procs_free(struct hr_procs *p); /* NULL-safe */

/*
 * Fill *out for tgid, reading /proc on a miss. Returns 0, or -ENOENT when
 * nothing at all is known (process gone; *out is then empty, not garbage).
 */
int hr_procs_lookup(struct hr_procs *p, uint32_t tgid, struct hr_proc_info *out);

/* An exec: filename as the kernel saw it (len bytes, NUL optional). A
 * relative name is made absolute via <proc_root>/<tgid>/exe, else cwd. */
void hr_procs_exec(struct hr_procs *p, uint32_t tgid, const char *filename, size_t len);

/* A thread group ended. */
void hr_procs_exit(struct hr_procs *p, uint32_t tgid);

void hr_procs_get_stats(const struct hr_procs *p, struct hr_procs_stats *st);

/*
 * Helpers shared with the decoder. readlink of <proc_root>/<tgid>/<what>
 * ("exe", "cwd", "fd/3") into buf, NUL-terminated; returns the length or
 * -errno (-ENAMETOOLONG when it does not fit).
 */
ssize_t hr_proc_readlink(const char *proc_root, uint32_t tgid, const char *what, char *buf,
			 size_t size);

/* tty name from a /proc/<pid>/stat tty_nr ("" for none). */
void hr_tty_name(uint32_t tty_nr, char *buf, size_t size);

/* The container id (64 lower-case hex) a /proc/<pid>/cgroup text names,
 * if any: docker, containerd (cri), podman (libpod), kubepods. */
bool hr_cgroup_container_id(const char *text, size_t len, char out[HR_CONTAINER_ID_LEN + 1]);

#endif

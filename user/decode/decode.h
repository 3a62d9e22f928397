/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * decode.h - a captured system call's arguments as CloudTrail
 * requestParameters (see docs/event-model.md for every key).
 *
 * Paths as strings (made absolute through /proc/<tgid>/cwd or the dirfd
 * when the caller gave a relative one), flags as arrays of symbolic names,
 * modes as octal strings, uids/gids as numbers plus names, never a raw
 * pointer. Captured strings are untrusted: they go through jsonw, which
 * escapes them and keeps invalid UTF-8 exactly in "<key>Hex".
 */
#ifndef HOSTRAIL_DECODE_H
#define HOSTRAIL_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "hostrail_abi.h"
struct hr_syscall_desc; /* decode/syscall_table.h */

struct jsonw;
struct hr_users;
struct hr_procs;

#define HR_DECODE_MAX_RES 3

struct hr_decode_env {
	const char *proc_root;	/* "/proc" unless testing */
	struct hr_users *users; /* uid/gid names; NULL: names are null */
	struct hr_procs *procs; /* target executables; NULL: not looked up */
};

/* Something the call acted on, for the record's "resources". */
struct hr_decoded_res {
	const char *type; /* "Linux::File", "Linux::Mount", "Linux::Process",
				 * "Linux::User", "Linux::KernelModule" */
	char *name;	  /* owned, valid UTF-8: path, pid, user name... */
};

struct hr_decoded {
	int n_res;
	struct hr_decoded_res res[HR_DECODE_MAX_RES];
	uint8_t truncated; /* bit i: argument i was cut at its capture bound */
	char *what;	   /* owned, valid UTF-8, may be NULL: what was done, in
				 * a few words ("tmpfs on /mnt", "uid 0 (root)",
				 * "/etc/x to 0644"), for struct hr_record.what */
};

/*
 * Check an HR_EV_SYSCALL event's framing against the bytes received:
 * fixed part present, string slots inside size, slot owners valid.
 * Returns 0 or -EINVAL.
 */
int hr_syscall_event_check(const struct hr_syscall_event *ev, size_t size);

/*
 * Write ev's requestParameters (one JSON object value, the key already
 * written by the caller) and fill *out with resources and truncation
 * bits. The event must have passed hr_syscall_event_check(). Returns 0 or
 * -ENOMEM; release *out with hr_decoded_clear().
 */
int hr_decode_request(struct jsonw *w, const struct hr_decode_env *env,
		      const struct hr_syscall_desc *d, const struct hr_syscall_event *ev,
		      struct hr_decoded *out);

/* Free the resource names; NULL-safe; leaves *dec zeroed. */
void hr_decoded_clear(struct hr_decoded *dec);

/*
 * For a system call's return value: true if it is an error, with code =
 * the errno name ("EPERM", or "E<n>" for unknown numbers, into code_buf)
 * and *message its text ("Operation not permitted").
 */
bool hr_decode_error(int64_t ret, char *code_buf, size_t code_size, const char **message);

/* readOnly of the call: false for every management call; for data events
 * from the open flags (an open for reading that creates and truncates
 * nothing). */
bool hr_decode_read_only(const struct hr_syscall_desc *d, const struct hr_syscall_event *ev);

/* True if nr's row says how to show each argument, or has its own
 * decoder (every row must: a unit test checks it, so a new row cannot
 * leak raw pointer values). */
bool hr_decode_known(int nr);

/* UTC "YYYY-MM-DDTHH:MM:SSZ" of a Unix time; buf needs 21+ bytes.
 * Returns the length, or 0 when the year is out of range. */
size_t hr_format_utc(int64_t sec, char *buf, size_t size);

#endif

/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * ctlsock.h - the control socket's wire format, shared by hostraild and
 * the hostrail CLI.
 *
 * A Unix stream socket, <stateDir>/control.sock. One request per
 * connection: one JSON object on one line,
 *     {"command": "stop-logging", "params": {"Name": "main"}}
 * answered by one JSON object on one line, then the daemon closes:
 *     {"ok": true, "result": {...}}   aws-cli's response shape
 *     {"ok": false, "error": {"Code": "AccessDenied", "Message": "..."}}
 * The caller is identified by the kernel (SO_PEERCRED), never by what it
 * says.
 */
#ifndef HOSTRAIL_CTLSOCK_H
#define HOSTRAIL_CTLSOCK_H

#include <stddef.h>

#define HR_CTL_SOCK_NAME "control.sock"
#define HR_CTL_REQ_MAX	 (64 * 1024) /* a request longer than this is refused */

/* "<state_dir>/control.sock" into buf; -ENAMETOOLONG if it does not fit
 * a sockaddr_un. */
int hr_ctl_path(const char *state_dir, char *buf, size_t len);

/*
 * Send one request text (no newline) and read the reply (malloc'd, NUL-
 * terminated, newline removed) within timeout_ms. Returns 0 or -errno.
 */
int hr_ctl_call(const char *sock_path, const char *request, int timeout_ms, char **reply);

#endif

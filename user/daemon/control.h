/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * control.h - the daemon's side of the control socket (wire format in
 * control/ctlsock.h), served from the agent's loop without blocking it:
 * every socket is non-blocking and watched by the loop's epoll.
 */
#ifndef HOSTRAIL_CONTROL_H
#define HOSTRAIL_CONTROL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

struct hr_ctl_server;

/* One complete request line; returns the reply line, malloc'd (no newline). */
typedef char *(*hr_ctl_handler)(void *arg, const char *request, const struct ucred *peer);

/*
 * Listen on <state_dir>/control.sock: owner root, mode 0600, or 0660 with
 * group `group` when that group exists (the state directory then gets
 * 0710 and that group, so its members can reach the socket but not list
 * or read anything else). Adds the socket to epfd.
 */
int hr_ctl_server_open(struct hr_ctl_server **out, const char *state_dir, const char *group,
		       int epfd, hr_ctl_handler fn, void *arg);

/* Handle readiness of fd; false if fd is not one of the server's. */
bool hr_ctl_server_ready(struct hr_ctl_server *s, int fd);

/* Drop clients that sent no complete request within a few seconds. */
void hr_ctl_server_sweep(struct hr_ctl_server *s, int64_t now_ns);

/* Close every socket and remove the socket file. NULL-safe. */
void hr_ctl_server_close(struct hr_ctl_server *s);

#endif

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* ctlsock.c - the CLI's side of the control socket (see ctlsock.h). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include "control/ctlsock.h"

#define REPLY_MAX (4 * 1024 * 1024)

int hr_ctl_path(const char *state_dir, char *buf, size_t len)
{
	struct sockaddr_un sa;
	int n = snprintf(buf, len, "%s/%s", state_dir, HR_CTL_SOCK_NAME);

	if (n < 0 || (size_t)n >= len || (size_t)n >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	return 0;
}

static int wait_fd(int fd, short events, int timeout_ms)
{
	struct pollfd p = {.fd = fd, .events = events};
	int n = poll(&p, 1, timeout_ms);

	if (n < 0)
		return -errno;
	return n ? 0 : -ETIMEDOUT;
}

int hr_ctl_call(const char *sock_path, const char *request, int timeout_ms, char **reply)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t len = strlen(request), off = 0, cap = 4096;
	char *buf = NULL;
	int fd, rc;

	*reply = NULL;
	if (strlen(sock_path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, sock_path, strlen(sock_path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		rc = -errno;
		goto out;
	}
	while (off <= len) {
		const char *p = off < len ? request + off : "\n";
		size_t n = off < len ? len - off : 1;
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0) {
			rc = -errno;
			goto out;
		}
		off += (size_t)w;
	}
	off = 0;
	buf = malloc(cap);
	if (!buf) {
		rc = -ENOMEM;
		goto out;
	}
	for (;;) {
		ssize_t r;

		rc = wait_fd(fd, POLLIN, timeout_ms);
		if (rc)
			goto out;
		if (off + 1 >= cap) {
			char *nb = cap < REPLY_MAX ? realloc(buf, cap * 2) : NULL;

			if (!nb) {
				rc = -EMSGSIZE;
				goto out;
			}
			buf = nb;
			cap *= 2;
		}
		r = recv(fd, buf + off, cap - off - 1, 0);
		if (r < 0) {
			rc = -errno;
			goto out;
		}
		if (r == 0)
			break;
		off += (size_t)r;
		if (buf[off - 1] == '\n')
			break;
	}
	while (off && buf[off - 1] == '\n')
		off--;
	buf[off] = '\0';
	if (!off) {
		rc = -ECONNRESET;
		goto out;
	}
	*reply = buf;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	close(fd);
	return rc;
}

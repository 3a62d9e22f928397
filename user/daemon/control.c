// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* control.c - accept, read one request line, answer, close (control.h). */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/un.h>
#include "common/clock.h"
#include "common/log.h"
#include "control/ctlsock.h"
#include "daemon/control.h"

#define MAX_CLIENTS	  8
#define CLIENT_TIMEOUT_NS (5 * 1000000000LL)

struct client {
	int fd; /* -1: free */
	struct ucred peer;
	int64_t since_ns;
	size_t len;
	char *buf;
};

struct hr_ctl_server {
	int lfd, epfd;
	char path[108];
	hr_ctl_handler fn;
	void *arg;
	struct client cl[MAX_CLIENTS];
};

static void drop(struct hr_ctl_server *s, struct client *c)
{
	epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->buf);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

int hr_ctl_server_open(struct hr_ctl_server **out, const char *state_dir, const char *group,
		       int epfd, hr_ctl_handler fn, void *arg)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct epoll_event ev = {.events = EPOLLIN};
	struct hr_ctl_server *s;
	struct group *gr = group && group[0] ? getgrnam(group) : NULL;
	struct stat st;
	int rc;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->lfd = -1;
	s->epfd = epfd;
	s->fn = fn;
	s->arg = arg;
	for (int i = 0; i < MAX_CLIENTS; i++)
		s->cl[i].fd = -1;
	rc = hr_ctl_path(state_dir, s->path, sizeof(s->path));
	if (rc) {
		hr_err("failed to place the control socket in %s: path too long", state_dir);
		goto fail;
	}
	/* A stale socket from a crashed run is replaced; anything else
	 * in the way is not ours to remove. */
	if (lstat(s->path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			hr_err("failed to create the control socket %s: something else is there",
			       s->path);
			rc = -EEXIST;
			goto fail;
		}
		unlink(s->path);
	}
	s->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->lfd < 0) {
		rc = -errno;
		goto fail_log;
	}
	memcpy(sa.sun_path, s->path, strlen(s->path) + 1);
	/* Created 0600 from the start: no moment when others could connect. */
	mode_t old = umask(0177);

	rc = bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)) ? -errno : 0;
	umask(old);
	if (rc)
		goto fail_log;
	if (gr) {
		if (chown(s->path, 0, gr->gr_gid) || chmod(s->path, 0660) ||
		    chown(state_dir, 0, gr->gr_gid) || chmod(state_dir, 0710)) {
			rc = -errno;
			goto fail_log;
		}
	}
	if (listen(s->lfd, MAX_CLIENTS)) {
		rc = -errno;
		goto fail_log;
	}
	ev.data.fd = s->lfd;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, s->lfd, &ev)) {
		rc = -errno;
		goto fail_log;
	}
	hr_info("control socket %s (%s)", s->path, gr ? "root and group members" : "root only");
	*out = s;
	return 0;
fail_log:
	hr_err("failed to create the control socket %s: %s", s->path, strerror(-rc));
fail:
	hr_ctl_server_close(s);
	return rc;
}

static void accept_one(struct hr_ctl_server *s)
{
	struct epoll_event ev = {.events = EPOLLIN};
	socklen_t len = sizeof(struct ucred);
	struct client *c = NULL;
	int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	for (int i = 0; i < MAX_CLIENTS && !c; i++)
		if (s->cl[i].fd < 0)
			c = &s->cl[i];
	if (!c) {
		close(fd); /* busy: the CLI reports the closed connection */
		return;
	}
	c->buf = malloc(HR_CTL_REQ_MAX + 1);
	if (!c->buf || getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &c->peer, &len)) {
		free(c->buf);
		c->buf = NULL;
		close(fd);
		return;
	}
	ev.data.fd = fd;
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev)) {
		free(c->buf);
		c->buf = NULL;
		close(fd);
		return;
	}
	c->fd = fd;
	c->len = 0;
	c->since_ns = hr_clock_ns(CLOCK_MONOTONIC);
}

static void reply(struct client *c, const char *text)
{
	size_t len = strlen(text), off = 0;

	/* Replies are small against a Unix socket's buffer; a client that
	 * does not read loses its answer, never the loop's time. */
	while (off < len) {
		ssize_t w = send(c->fd, text + off, len - off, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (w <= 0)
			return;
		off += (size_t)w;
	}
	send(c->fd, "\n", 1, MSG_DONTWAIT | MSG_NOSIGNAL);
}

static void read_client(struct hr_ctl_server *s, struct client *c)
{
	ssize_t r = recv(c->fd, c->buf + c->len, HR_CTL_REQ_MAX - c->len, 0);
	char *nl, *answer;

	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r <= 0) {
		drop(s, c);
		return;
	}
	c->len += (size_t)r;
	c->buf[c->len] = '\0';
	nl = memchr(c->buf, '\n', c->len);
	if (!nl) {
		if (c->len >= HR_CTL_REQ_MAX) {
			reply(c, "{\"ok\":false,\"error\":{\"Code\":\"InvalidParameterValue\","
				 "\"Message\":\"request too long\"}}");
			drop(s, c);
		}
		return;
	}
	*nl = '\0';
	answer = s->fn(s->arg, c->buf, &c->peer);
	reply(c, answer ? answer :
			  "{\"ok\":false,\"error\":{\"Code\":\"InternalFailure\","
			  "\"Message\":\"out of memory\"}}");
	free(answer);
	drop(s, c);
}

bool hr_ctl_server_ready(struct hr_ctl_server *s, int fd)
{
	if (!s)
		return false;
	if (fd == s->lfd) {
		accept_one(s);
		return true;
	}
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (s->cl[i].fd == fd) {
			read_client(s, &s->cl[i]);
			return true;
		}
	return false;
}

void hr_ctl_server_sweep(struct hr_ctl_server *s, int64_t now_ns)
{
	(void)now_ns;
	if (!s)
		return;
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (s->cl[i].fd >= 0 &&
		    hr_clock_ns(CLOCK_MONOTONIC) - s->cl[i].since_ns > CLIENT_TIMEOUT_NS)
			drop(s, &s->cl[i]);
}

void hr_ctl_server_close(struct hr_ctl_server *s)
{
	if (!s)
		return;
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (s->cl[i].fd >= 0)
			drop(s, &s->cl[i]);
	if (s->lfd >= 0) {
		epoll_ctl(s->epfd, EPOLL_CTL_DEL, s->lfd, NULL);
		close(s->lfd);
		unlink(s->path);
	}
	free(s);
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* sessions.c - bounded audit-session table (see sessions.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <utmpx.h>
#include <arpa/inet.h>
#include "common/grow.h"
#include "common/setassoc.h"
#include "sessions.h"

#define WAYS  8
#define NO_ID 0xffffffffu

struct hr_sessions {
	struct hr_setassoc t; /* of struct hr_session, by sessionid */
	struct hr_sessions_stats st;
};

int hr_sessions_new(size_t max, struct hr_sessions **out)
{
	struct hr_sessions *s;

	*out = NULL;
	if (!max)
		max = HR_SESSIONS_DEFAULT_MAX;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	if (hr_setassoc_init(&s->t, max, WAYS, sizeof(struct hr_session))) {
		free(s);
		return -ENOMEM;
	}
	*out = s;
	return 0;
}

void hr_sessions_free(struct hr_sessions *s)
{
	if (!s)
		return;
	hr_setassoc_fini(&s->t);
	free(s);
}

static bool closed(const void *v, void *arg)
{
	return ((const struct hr_session *)v)->closed;
}

void hr_sessions_put(struct hr_sessions *s, const struct hr_session *sess)
{
	enum hr_sa_took took;
	/* the victim: this id, a free slot, a closed session, the least used */
	struct hr_session *v = hr_setassoc_claim(&s->t, sess->sessionid, closed, NULL, &took);

	if (took == HR_SA_SPARE || took == HR_SA_EVICTED)
		s->st.evictions++;
	*v = *sess;
	v->source_ip[sizeof(v->source_ip) - 1] = '\0';
	v->user[sizeof(v->user) - 1] = '\0';
	s->st.opened++;
}

const struct hr_session *hr_sessions_get(struct hr_sessions *s, uint32_t sessionid,
					 uint32_t loginuid)
{
	struct hr_session *e;

	if (!s || sessionid == NO_ID)
		return NULL;
	e = hr_setassoc_find(&s->t, sessionid);
	if (!e || (loginuid != NO_ID && e->loginuid != loginuid))
		return NULL;
	hr_setassoc_touch(&s->t, e);
	return e;
}

void hr_sessions_close(struct hr_sessions *s, uint32_t sessionid)
{
	struct hr_session *e = hr_setassoc_find(&s->t, sessionid);

	if (e)
		e->closed = true;
}

void hr_sessions_get_stats(const struct hr_sessions *s, struct hr_sessions_stats *st)
{
	*st = s->st;
}

const char *hr_session_via(const char *service)
{
	if (!strcmp(service, "sshd"))
		return "ssh";
	if (!strcmp(service, "su") || !strcmp(service, "su-l"))
		return "su";
	if (!strcmp(service, "sudo") || !strcmp(service, "sudo-i"))
		return "sudo";
	return "console";
}

/* ---- rebuilding at start ---- */

static ssize_t read_file(const char *proc_root, long pid, const char *what, char *buf, size_t size)
{
	char path[256];
	ssize_t n, tot = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/%ld/%s", proc_root, pid, what);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while ((size_t)tot < size - 1 && (n = read(fd, buf + tot, size - 1 - tot)) > 0)
		tot += n;
	close(fd);
	buf[tot] = '\0';
	return tot;
}

static uint32_t read_id(const char *proc_root, long pid, const char *what)
{
	char buf[32], *end;
	unsigned long v;

	if (read_file(proc_root, pid, what, buf, sizeof(buf)) <= 0)
		return NO_ID;
	v = strtoul(buf, &end, 10);
	return end == buf || v > NO_ID ? NO_ID : (uint32_t)v;
}

/* Start of a process in clock ticks after boot (/proc/<pid>/stat field 22). */
static unsigned long long start_ticks(const char *proc_root, long pid)
{
	char buf[1024], *p;
	unsigned long long t = 0;

	if (read_file(proc_root, pid, "stat", buf, sizeof(buf)) <= 0 || !(p = strrchr(buf, ')')))
		return 0;
	if (sscanf(p + 1,
		   " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d "
		   "%*d %*d %llu",
		   &t) != 1)
		return 0;
	return t;
}

/* A client address from SSH_CONNECTION="<client> <port> <server> <port>". */
static bool env_client(const char *proc_root, long pid, char *ip, size_t size)
{
	static char buf[65536];
	ssize_t n = read_file(proc_root, pid, "environ", buf, sizeof(buf));
	unsigned char a[16];

	for (ssize_t o = 0; n > 0 && o < n; o += strlen(buf + o) + 1) {
		size_t l;

		if (strncmp(buf + o, "SSH_CONNECTION=", 15))
			continue;
		l = strcspn(buf + o + 15, " ");
		if (l == 0 || l >= size || l >= 46)
			return false;
		memcpy(ip, buf + o + 15, l);
		ip[l] = '\0';
		/* only a well-formed address, never arbitrary environment text */
		return inet_pton(AF_INET, ip, a) == 1 || inet_pton(AF_INET6, ip, a) == 1;
	}
	return false;
}

struct found {
	struct hr_session s;
	unsigned long long first_tick;
	bool from_utmp;
	bool from_env; /* an SSH_CONNECTION was found */
};

static struct found *found_get(struct found *f, size_t n, uint32_t sid)
{
	for (size_t i = 0; i < n; i++)
		if (f[i].s.sessionid == sid)
			return &f[i];
	return NULL;
}

static void utmp_address(const struct utmpx *u, char *ip, size_t size)
{
	const uint32_t *a = (const uint32_t *)u->ut_addr_v6;

	if (a[0] && !a[1] && !a[2] && !a[3])
		inet_ntop(AF_INET, a, ip, size);
	else if (a[0] || a[1] || a[2] || a[3])
		inet_ntop(AF_INET6, a, ip, size);
	else
		snprintf(ip, size, "%.*s", (int)strnlen(u->ut_host, sizeof(u->ut_host)),
			 u->ut_host);
}

int hr_sessions_rebuild(struct hr_sessions *s, const char *proc_root, const char *utmp_path,
			int64_t boot_wall_ns)
{
	long hz = sysconf(_SC_CLK_TCK);
	struct found *f = NULL, *x;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;
	int count = 0;

	d = opendir(proc_root);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		uint32_t sid, luid;
		unsigned long long t;

		if (*end || pid <= 0)
			continue;
		sid = read_id(proc_root, pid, "sessionid");
		luid = read_id(proc_root, pid, "loginuid");
		if (sid == NO_ID || luid == NO_ID)
			continue;
		t = start_ticks(proc_root, pid);
		x = found_get(f, n, sid);
		if (!x) {
			if (hr_grow(&f, &cap, n, sizeof(*f), 64))
				break;
			x = &f[n++];
			memset(x, 0, sizeof(*x));
			x->s.sessionid = sid;
			x->s.loginuid = luid;
			x->s.via = "console";
			snprintf(x->s.source_ip, sizeof(x->s.source_ip), "localhost");
			x->first_tick = t;
		} else if (t && t < x->first_tick) {
			x->first_tick = t;
		}
		/* sshd's own processes in the session have no SSH_CONNECTION;
		 * the user's shell and its children do */
		if (!x->from_env &&
		    env_client(proc_root, pid, x->s.source_ip, sizeof(x->s.source_ip))) {
			x->from_env = true;
			x->s.via = "ssh";
		} else if (!x->from_env) {
			snprintf(x->s.source_ip, sizeof(x->s.source_ip), "localhost");
		}
	}
	closedir(d);

	if (utmp_path && utmpxname(utmp_path) == 0) {
		struct utmpx *u;

		setutxent();
		while ((u = getutxent())) {
			if (u->ut_type != USER_PROCESS || u->ut_pid <= 0)
				continue;
			x = found_get(f, n, read_id(proc_root, u->ut_pid, "sessionid"));
			/* the utmp address of a session is the one sshd wrote */
			if (!x || x->from_utmp)
				continue;
			x->from_utmp = true;
			utmp_address(u, x->s.source_ip, sizeof(x->s.source_ip));
			if (x->s.source_ip[0] && x->s.source_ip[0] != ':')
				x->s.via = "ssh";
			else
				snprintf(x->s.source_ip, sizeof(x->s.source_ip), "localhost");
			x->s.created_ns = (int64_t)u->ut_tv.tv_sec * 1000000000LL +
					  (int64_t)u->ut_tv.tv_usec * 1000;
		}
		endutxent();
	}

	for (size_t i = 0; i < n; i++) {
		struct passwd pw, *pwp = NULL;
		char buf[4096];

		x = &f[i];
		if (!x->from_utmp) {
			if (x->first_tick && hz > 0)
				x->s.created_ns = boot_wall_ns +
						  (int64_t)(x->first_tick *
							    (1000000000ULL / (unsigned long)hz));
		}
		if (getpwuid_r(x->s.loginuid, &pw, buf, sizeof(buf), &pwp) == 0 && pwp)
			snprintf(x->s.user, sizeof(x->s.user), "%s", pw.pw_name);
		/* a session the tracker already knows keeps what it knows */
		if (hr_setassoc_find(&s->t, x->s.sessionid))
			continue;
		hr_sessions_put(s, &x->s);
		s->st.opened--;
		s->st.rebuilt++;
		count++;
	}
	free(f);
	return count;
}

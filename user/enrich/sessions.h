/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * sessions.h - the login sessions of this host, keyed by the kernel's
 * audit session id.
 *
 * pam_loginuid gives every login a fresh audit session id, which the
 * kernel hands down to every process of the session. The table maps it
 * to what only the login knew: who logged in, from where, when, how.
 * Filled by the login tracker when a session opens, and at agent start
 * from the running processes and utmp, for sessions opened before it.
 * Bounded: when full, a closed session goes first, then the oldest;
 * evictions are counted. Not thread-safe: one per recorder.
 */
#ifndef HOSTRAIL_SESSIONS_H
#define HOSTRAIL_SESSIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HR_SESSIONS_DEFAULT_MAX 4096
#define HR_SESSION_IP_MAX	64 /* "localhost", IPv4, IPv6 or a host name */
#define HR_SESSION_USER_MAX	256

struct hr_sessions;

struct hr_session {
	uint32_t sessionid;
	uint32_t loginuid;
	int64_t created_ns; /* wall clock; 0 when unknown */
	bool mfa;
	bool closed;	    /* ConsoleLogout seen */
	const char *via;    /* "ssh", "console", "su", "sudo" (static) */
	const char *method; /* "password", "publickey"... (static), or NULL */
	char source_ip[HR_SESSION_IP_MAX];
	char user[HR_SESSION_USER_MAX];
};

struct hr_sessions_stats {
	uint64_t opened, rebuilt, evictions;
};

int hr_sessions_new(size_t max, struct hr_sessions **out); /* 0 or -ENOMEM */
void hr_sessions_free(struct hr_sessions *s);		   /* NULL-safe */

/* Add or replace the session s->sessionid. */
void hr_sessions_put(struct hr_sessions *s, const struct hr_session *sess);

/* The session sessionid belongs to, if known and owned by loginuid
 * (a process whose loginuid was changed must not borrow the address of
 * the session it came from); loginuid (uint32_t)-1 skips that check.
 * NULL otherwise; valid until the next put. */
const struct hr_session *hr_sessions_get(struct hr_sessions *s, uint32_t sessionid,
					 uint32_t loginuid);

void hr_sessions_close(struct hr_sessions *s, uint32_t sessionid);

/*
 * Rebuild the sessions of running processes: every process whose
 * <proc_root>/<pid>/sessionid is set names a session; its address comes
 * from utmp (utmp_path, NULL to skip) when a utmp entry's process is in
 * it, else from SSH_CONNECTION in a member's environment; its creation
 * time from utmp, else the start of its oldest process. boot_wall_ns is
 * the wall-clock time of boot (for process start times). Returns the
 * number of sessions found.
 */
int hr_sessions_rebuild(struct hr_sessions *s, const char *proc_root, const char *utmp_path,
			int64_t boot_wall_ns);

void hr_sessions_get_stats(const struct hr_sessions *s, struct hr_sessions_stats *st);

/* The via of a PAM service: sshd -> "ssh", su/su-l -> "su",
 * sudo/sudo-i -> "sudo", anything else -> "console". */
const char *hr_session_via(const char *service);

#endif

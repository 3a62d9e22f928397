// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* enrich.c - the enrich stage (enrich.h). */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utmp.h>
#include "enrich/enrich.h"
#include "enrich/users.h"
#include "common/clock.h"
#include "common/jsonw.h"

#define NO_ID 0xffffffffu

struct hr_enricher {
	char *proc_root;
	struct hr_users *users;
	struct hr_procs *procs;
	struct hr_sessions *sessions; /* login sessions */
	struct hr_logins *logins;     /* PAM transactions */
	int64_t clock_off;
	struct hr_proc_info pi; /* scratch: the last task's process */
};

int hr_enricher_new(const struct hr_enricher_opts *o, struct hr_enricher **out)
{
	struct hr_enricher *e = calloc(1, sizeof(*e));
	int rc = -ENOMEM;

	*out = NULL;
	if (!e)
		return -ENOMEM;
	e->proc_root = strdup(o->proc_root ? o->proc_root : "/proc");
	if (!e->proc_root)
		goto fail;
	rc = hr_users_new(o->user_cache_max, 0, &e->users);
	rc = rc ?: hr_procs_new(e->proc_root, o->proc_cache_max, &e->procs);
	rc = rc ?: hr_sessions_new(0, &e->sessions);
	rc = rc ?: hr_logins_new(0, &e->logins);
	if (rc)
		goto fail;
	e->clock_off = o->clock_off;
	/* Sessions opened before the agent: from the processes and utmp. */
	hr_sessions_rebuild(e->sessions, e->proc_root,
			    strcmp(e->proc_root, "/proc") ? NULL : _PATH_UTMP, e->clock_off);
	*out = e;
	return 0;
fail:
	hr_enricher_free(e);
	return rc;
}

void hr_enricher_free(struct hr_enricher *e)
{
	if (!e)
		return;
	hr_logins_free(e->logins);
	hr_sessions_free(e->sessions);
	hr_procs_free(e->procs);
	hr_users_free(e->users);
	free(e->proc_root);
	free(e);
}

void hr_enricher_set_clock(struct hr_enricher *e, int64_t realtime_minus_boottime_ns)
{
	e->clock_off = realtime_minus_boottime_ns;
}

void hr_enrich_exec(struct hr_enricher *e, const struct hr_exec_event *ev, size_t size)
{
	size_t len;

	if (!e || !ev || size < HR_EXEC_EVENT_FIXED_SIZE || size > sizeof(*ev) ||
	    ev->hdr.type != HR_EV_EXEC)
		return;
	len = ev->filename_len;
	if (len > size - HR_EXEC_EVENT_FIXED_SIZE)
		len = size - HR_EXEC_EVENT_FIXED_SIZE;
	hr_procs_exec(e->procs, ev->hdr.task.tgid, ev->filename, len);
}

void hr_enrich_exit(struct hr_enricher *e, const struct hr_exit_event *ev)
{
	if (!e || !ev || ev->hdr.type != HR_EV_EXIT)
		return;
	hr_procs_exit(e->procs, ev->hdr.task.tgid);
}

void hr_enricher_decode_env(struct hr_enricher *e, struct hr_decode_env *env)
{
	env->proc_root = e->proc_root;
	env->users = e->users;
	env->procs = e->procs;
}

struct hr_logins *hr_enricher_logins(struct hr_enricher *e)
{
	return e->logins;
}

/* An account name for a uid, "uid-<n>" when NSS has none, made safe for
 * an ARN and an index (valid UTF-8). */
static char *user_name(struct hr_enricher *e, uint32_t uid)
{
	char buf[HR_USER_NAME_MAX];

	if (hr_users_uid_name(e->users, uid, buf, sizeof(buf)))
		snprintf(buf, sizeof(buf), "uid-%u", uid);
	return hr_utf8_sanitize(buf, strlen(buf));
}

/*
 * The session's start becomes sessionContext.attributes.creationDate; a
 * session the table does not know (evicted) omits it, as CloudTrail
 * allows. Audit session ids are never reused within a boot, so the id
 * alone names the session for that; its address and login kind are only
 * borrowed by a task that the session's login user owns.
 */
int hr_enrich_task(struct hr_enricher *e, const struct hr_task *t, bool proc, struct hr_who *out)
{
	bool in_session = t->loginuid != NO_ID;
	const struct hr_session *s;

	memset(out, 0, sizeof(*out));
	out->have_proc = proc && hr_procs_lookup(e->procs, t->tgid, &e->pi) == 0;
	out->proc = &e->pi;
	out->euid_name = user_name(e, t->euid);
	if (!out->euid_name)
		return -ENOMEM;
	if (in_session && t->loginuid != t->euid) {
		out->login_name = user_name(e, t->loginuid);
		if (!out->login_name) {
			hr_who_clear(out);
			return -ENOMEM;
		}
	}
	s = hr_sessions_get(e->sessions, t->sessionid, NO_ID);
	if (s) {
		out->session_known = true;
		out->session_mfa = s->mfa;
		out->session_created_ns = s->created_ns;
	}
	s = in_session ? hr_sessions_get(e->sessions, t->sessionid, t->loginuid) : NULL;
	snprintf(out->source_ip, sizeof(out->source_ip), "%s",
		 s && s->source_ip[0] ? s->source_ip : "localhost");
	out->via = s ? s->via : NULL;
	return 0;
}

void hr_who_clear(struct hr_who *w)
{
	free(w->euid_name);
	free(w->login_name);
	memset(w, 0, sizeof(*w));
}

/* The uid of an account name through NSS; false when there is none. A
 * name that is not an account is often a password typed one field too
 * early: it is never written anywhere (the record hides it). */
static bool account_uid(const char *name, uint32_t *uid)
{
	char buf[4096];
	struct passwd pw, *pwp = NULL;

	if (!name[0] || getpwnam_r(name, &pw, buf, sizeof(buf), &pwp) || !pwp)
		return false;
	*uid = pwp->pw_uid;
	return true;
}

static void open_session(struct hr_enricher *e, const struct hr_signin *si)
{
	struct hr_session s = {
		.sessionid = si->sessionid,
		.loginuid = si->loginuid,
		.created_ns = hr_boot_to_wall_ns(si->boot_ns, e->clock_off),
		.via = hr_session_via(si->service),
		.method = si->method,
	};
	const char *ip = si->rhost[0] ? si->rhost : "localhost";

	if (strlen(ip) < sizeof(s.source_ip) && hr_utf8_valid(ip, strlen(ip)))
		memcpy(s.source_ip, ip, strlen(ip) + 1);
	else
		snprintf(s.source_ip, sizeof(s.source_ip), "localhost");
	snprintf(s.user, sizeof(s.user), "%s", si->user);
	hr_sessions_put(e->sessions, &s);
}

int hr_enrich_signin(struct hr_enricher *e, const struct hr_signin *si, struct hr_signin_who *out)
{
	bool login = si->kind == HR_SIGNIN_LOGIN || si->kind == HR_SIGNIN_LOGOUT;

	memset(out, 0, sizeof(*out));
	if (si->kind == HR_SIGNIN_LOGIN && si->success && si->sessionid != NO_ID)
		open_session(e, si);
	out->user_known = account_uid(si->user, &out->user_uid);
	if (!login) {
		/* whoever ran su or sudo: the real uid (both are set-uid root),
		 * in the caller's own session */
		out->task = *si->caller;
		out->task.euid = out->task.uid;
		out->task.egid = out->task.gid;
	} else if (out->user_known) {
		out->task = (struct hr_task){.loginuid = NO_ID, .sessionid = NO_ID};
		out->task.uid = out->task.euid = out->user_uid;
		if (si->sessionid != NO_ID && si->loginuid == out->user_uid) {
			out->task.loginuid = si->loginuid;
			out->task.sessionid = si->sessionid;
		}
	} else {
		return 0; /* hidden: nothing to look up */
	}
	return hr_enrich_task(e, &out->task, false, &out->who);
}

void hr_enrich_signin_done(struct hr_enricher *e, const struct hr_signin *si)
{
	if (si->kind == HR_SIGNIN_LOGOUT && si->sessionid != NO_ID)
		hr_sessions_close(e->sessions, si->sessionid);
}

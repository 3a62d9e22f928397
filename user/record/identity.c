// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * identity.c - userIdentity and the login session a record names, per
 * docs/event-model.md "Who".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "record.h"
#include "record_int.h"
#include "jsonw.h"
#include "enrich/users.h"
#include "enrich/sessions.h"

/* An account name for a uid, "uid-<n>" when NSS has none, made safe for
 * an ARN and an index (valid UTF-8). */
static char *user_name(struct hr_recorder *r, uint32_t uid)
{
	char buf[HR_USER_NAME_MAX];

	if (hr_users_uid_name(r->users, uid, buf, sizeof(buf)))
		snprintf(buf, sizeof(buf), "uid-%u", uid);
	return hr_utf8_sanitize(buf, strlen(buf));
}

/* ---- userIdentity ---- */

/*
 * The login session's start becomes sessionContext.attributes.creationDate;
 * a session the table does not know (evicted) omits it, as CloudTrail
 * allows. Audit session ids are never reused within a boot, so the id
 * alone names the session here.
 */
static bool session_creation_time(struct hr_recorder *r, uint32_t sessionid, int64_t *ns)
{
	const struct hr_session *s = hr_sessions_get(r->sessions, sessionid, NO_ID);

	if (!s || !s->created_ns)
		return false;
	*ns = s->created_ns;
	return true;
}

/* The session's remote address: "localhost" for a local login or none. */
const char *hr_rec_source_ip(struct hr_recorder *r, const struct hr_task *t)
{
	const struct hr_session *s;

	if (t->loginuid == NO_ID)
		return "localhost";
	s = hr_sessions_get(r->sessions, t->sessionid, t->loginuid);
	return s && s->source_ip[0] ? s->source_ip : "localhost";
}

static bool session_mfa(struct hr_recorder *r, uint32_t sessionid)
{
	const struct hr_session *s = hr_sessions_get(r->sessions, sessionid, NO_ID);

	return s && s->mfa;
}

/* How the task's session logged in (struct hr_record.via), or NULL. */
const char *hr_rec_session_via(struct hr_recorder *r, const struct hr_task *t)
{
	const struct hr_session *s;

	if (t->loginuid == NO_ID)
		return NULL;
	s = hr_sessions_get(r->sessions, t->sessionid, t->loginuid);
	return s ? s->via : NULL;
}

static void w_session_attributes(struct hr_recorder *r, uint32_t sessionid)
{
	struct jsonw *w = &r->w;
	char t[32];
	int64_t ns;

	jw_key(w, "attributes");
	jw_obj_begin(w);
	if (session_creation_time(r, sessionid, &ns) &&
	    hr_format_utc(ns / 1000000000LL, t, sizeof(t)))
		jw_kstrz(w, "creationDate", t);
	jw_kstrz(w, "mfaAuthenticated", session_mfa(r, sessionid) ? "true" : "false");
	jw_obj_end(w);
}

/* The identity of uid as a principal in its own right: Root for 0,
 * IAMUser otherwise. Fills *arn (malloc'd). */
void hr_rec_principal(struct hr_recorder *r, uint32_t uid, const char *name, char **arn)
{
	struct jsonw *w = &r->w;
	char tail[HR_USER_NAME_MAX + 8];

	if (uid == 0) {
		*arn = hr_rec_arn(r, "iam", "root");
		jw_kstrz(w, "type", "Root");
		jw_kstrz(w, "principalId", "0");
		jw_kstrz(w, "arn", *arn);
		jw_kstrz(w, "accountId", r->frame.account_id);
		return;
	}
	snprintf(tail, sizeof(tail), "user/%s", name);
	*arn = hr_rec_arn(r, "iam", tail);
	jw_kstrz(w, "type", "IAMUser");
	jw_key(w, "principalId");
	jw_strf(w, "%u", uid);
	jw_kstrz(w, "arn", *arn);
	jw_kstrz(w, "accountId", r->frame.account_id);
}

/*
 * userIdentity per docs/event-model.md "Who":
 *  no login session:   Root (euid 0) or IAMUser(euid)
 *  in a session, euid == loginuid: that principal + accessKeyId + attributes
 *  in a session, euid != loginuid: AssumedRole <euid user>/<login user>,
 *      sessionIssuer = the login user's own identity
 */
int hr_rec_identity(struct hr_recorder *r, const struct hr_task *t, struct ident *id)
{
	struct jsonw *w = &r->w;
	bool in_session = t && t->loginuid != NO_ID;
	uint32_t euid = t ? t->euid : 0;
	char key[48], tail[2 * HR_USER_NAME_MAX + 32];
	char *ename = NULL, *lname = NULL, *larn = NULL;

	jw_key(w, "userIdentity");
	jw_obj_begin(w);
	if (in_session && t->sessionid != NO_ID) {
		snprintf(key, sizeof(key), "%sS%u", r->key_prefix, t->sessionid);
		id->access_key_id = strdup(key);
		if (!id->access_key_id)
			goto nomem;
	}
	ename = user_name(r, euid);
	if (!ename)
		goto nomem;
	if (!in_session || t->loginuid == euid) {
		hr_rec_principal(r, euid, ename, &id->user_arn);
		if (!id->user_arn)
			goto nomem;
		if (id->access_key_id)
			jw_kstrz(w, "accessKeyId", id->access_key_id);
		if (euid != 0)
			jw_kstrz(w, "userName", ename);
		if (in_session) {
			jw_key(w, "sessionContext");
			jw_obj_begin(w);
			w_session_attributes(r, t->sessionid);
			jw_obj_end(w);
		}
		id->user_name = ename;
		ename = NULL;
	} else {
		lname = user_name(r, t->loginuid);
		if (!lname)
			goto nomem;
		snprintf(tail, sizeof(tail), "assumed-role/%s/%s", ename, lname);
		id->user_arn = hr_rec_arn(r, "sts", tail);
		if (!id->user_arn)
			goto nomem;
		jw_kstrz(w, "type", "AssumedRole");
		jw_key(w, "principalId");
		jw_strf(w, "%u:%s", euid, lname);
		jw_kstrz(w, "arn", id->user_arn);
		jw_kstrz(w, "accountId", r->frame.account_id);
		if (id->access_key_id)
			jw_kstrz(w, "accessKeyId", id->access_key_id);
		jw_key(w, "sessionContext");
		jw_obj_begin(w);
		jw_key(w, "sessionIssuer");
		jw_obj_begin(w);
		hr_rec_principal(r, t->loginuid, lname, &larn);
		if (!larn)
			goto nomem;
		jw_kstrz(w, "userName", lname);
		jw_obj_end(w);
		w_session_attributes(r, t->sessionid);
		jw_obj_end(w);
		/* Index on the person: "alice, acting as root" is alice's. */
		id->user_name = lname;
		lname = NULL;
		id->acting_as = ename;
		ename = NULL;
	}
	jw_obj_end(w);
	free(ename);
	free(lname);
	free(larn);
	return 0;
nomem:
	free(ename);
	free(lname);
	free(larn);
	return -ENOMEM;
}

void hr_rec_ident_clear(struct ident *id)
{
	free(id->user_name);
	free(id->user_arn);
	free(id->access_key_id);
	free(id->acting_as);
	memset(id, 0, sizeof(*id));
}

/* Hand the identity's strings over to the record. */
void hr_rec_ident_move(struct ident *id, struct hr_record *out)
{
	out->user_name = id->user_name;
	out->user_arn = id->user_arn;
	out->access_key_id = id->access_key_id;
	out->acting_as = id->acting_as;
	memset(id, 0, sizeof(*id));
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * identity.c - userIdentity, per docs/event-model.md "Who", from what the
 * enrich stage found out about the task (enrich.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "record.h"
#include "record_int.h"
#include "common/jsonw.h"
#include "enrich/enrich.h"
#include "enrich/users.h"

/* A session the table does not know (evicted) omits creationDate, as
 * CloudTrail allows. */
static void w_session_attributes(struct hr_rec *r, const struct hr_who *who)
{
	struct jsonw *w = &r->w;
	char t[32];

	jw_key(w, "attributes");
	jw_obj_begin(w);
	if (who->session_known && who->session_created_ns &&
	    hr_format_utc(who->session_created_ns / 1000000000LL, t, sizeof(t)))
		jw_kstrz(w, "creationDate", t);
	jw_kstrz(w, "mfaAuthenticated", who->session_known && who->session_mfa ? "true" : "false");
	jw_obj_end(w);
}

/* The identity of uid as a principal in its own right: Root for 0,
 * IAMUser otherwise. Fills *arn (malloc'd). */
void hr_rec_principal(struct hr_rec *r, uint32_t uid, const char *name, char **arn)
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
 * The names come from who (the enrich stage), and go over to id.
 */
int hr_rec_identity(struct hr_rec *r, const struct hr_task *t, struct hr_who *who, struct ident *id)
{
	struct jsonw *w = &r->w;
	bool in_session = t->loginuid != NO_ID;
	uint32_t euid = t->euid;
	char key[48], tail[2 * HR_USER_NAME_MAX + 32];
	char *ename = who->euid_name, *lname = who->login_name, *larn = NULL;

	jw_key(w, "userIdentity");
	jw_obj_begin(w);
	if (in_session && t->sessionid != NO_ID) {
		snprintf(key, sizeof(key), "%sS%u", r->key_prefix, t->sessionid);
		id->access_key_id = strdup(key);
		if (!id->access_key_id)
			goto nomem;
	}
	who->euid_name = who->login_name = NULL;
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
			w_session_attributes(r, who);
			jw_obj_end(w);
		}
		id->user_name = ename;
		ename = NULL;
	} else {
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
		w_session_attributes(r, who);
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

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * signin.c - sign-in records (see signin.h and docs/logins.md).
 *
 * The login tracker (enrich/logins.c) says what happened and the enrich
 * stage who it was (enrich.h); this file says it the way CloudTrail says a
 * console sign-in or an AssumeRole, with the writer helpers of record.c
 * (record_int.h), in the same key order.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "signin.h"
#include "record_int.h"
#include "common/clock.h"
#include "common/jsonw.h"
#include "enrich/logins.h"
#include "enrich/sessions.h"
#include "enrich/users.h"

static const char *event_name(enum hr_signin_kind k)
{
	switch (k) {
	case HR_SIGNIN_LOGIN:
		return "ConsoleLogin";
	case HR_SIGNIN_LOGOUT:
		return "ConsoleLogout";
	case HR_SIGNIN_SWITCH:
		return "SwitchRole";
	default:
		return "AssumeRole";
	}
}

/* userIdentity of the person signing in (ConsoleLogin/Logout). A name
 * that is not an account is often a password typed one field too early:
 * it is never written anywhere (HR_HIDDEN_USER instead). */
static int w_login_identity(struct hr_rec *r, struct hr_signin_who *sw, struct ident *id)
{
	struct jsonw *w = &r->w;

	if (!sw->user_known) {
		jw_key(w, "userIdentity");
		jw_obj_begin(w);
		jw_kstrz(w, "type", "IAMUser");
		jw_kstrz(w, "principalId", "");
		jw_kstrz(w, "accountId", r->frame.account_id);
		jw_kstrz(w, "userName", HR_HIDDEN_USER);
		jw_obj_end(w);
		id->user_name = strdup(HR_HIDDEN_USER);
		return id->user_name ? 0 : -ENOMEM;
	}
	return hr_rec_identity(r, &sw->task, &sw->who, id);
}

/* The ARN a target account is known by: its IAM identity. */
static char *target_arn(struct hr_rec *r, const char *name, const struct hr_signin_who *sw)
{
	char tail[HR_LOGIN_STR_MAX + 8];

	if (sw->user_known && sw->user_uid == 0)
		return hr_rec_arn(r, "iam", "root");
	snprintf(tail, sizeof(tail), "user/%s", name);
	return hr_rec_arn(r, "iam", tail);
}

static void w_additional(struct hr_rec *r, const struct hr_signin *si, int64_t wall_ns,
			 const char *from_arn, const char *to_arn)
{
	struct jsonw *w = &r->w;
	const struct hr_task *t = si->caller;

	jw_key(w, "additionalEventData");
	jw_obj_begin(w);
	jw_key(w, "LoginTo");
	jw_strf(w, "%s://%s", hr_session_via(si->service), r->frame.region);
	jw_kstrz(w, "MobileVersion", "No");
	jw_kstrz(w, "MFAUsed", "No");
	jw_kstrz(w, "authMethod", si->method);
	if (from_arn)
		jw_kstrz(w, "SwitchFrom", from_arn);
	if (to_arn)
		jw_kstrz(w, "SwitchTo", to_arn);
	jw_kstr(w, "pamService", si->service, strlen(si->service));
	if (si->tty[0])
		jw_kstr(w, "tty", si->tty, strlen(si->tty));
	if (si->sessionid != NO_ID)
		jw_kuint(w, "sessionId", si->sessionid);
	if (!si->success && si->failed_attempts)
		jw_kuint(w, "failedAttempts", si->failed_attempts);
	if (si->pam_result >= 0) {
		jw_key(w, "reason");
		jw_strf(w, "%s: %s", hr_pam_code_name(si->pam_result),
			hr_pam_code_text(si->pam_result));
	}
	jw_kint(w, "eventTimeNanos", wall_ns);
	jw_key(w, "process");
	jw_obj_begin(w);
	jw_kuint(w, "pid", t->tgid);
	jw_kuint(w, "ppid", t->ppid);
	jw_kstr(w, "comm", t->comm, strnlen(t->comm, HR_COMM_LEN));
	jw_obj_end(w);
	jw_obj_end(w);
}

int hr_rec_signin(struct hr_rec *r, const struct hr_signin *si, struct hr_signin_who *sw,
		  struct hr_record *out)
{
	struct jsonw *w = &r->w;
	bool sts = si->kind == HR_SIGNIN_ASSUME,
	     login = si->kind == HR_SIGNIN_LOGIN || si->kind == HR_SIGNIN_LOGOUT;
	int64_t wall_ns = hr_boot_to_wall_ns(si->boot_ns, r->clock_off);
	char *to_arn = NULL, *role_arn = NULL, *source = NULL;
	const char *name = event_name(si->kind), *src;
	struct ident id = {0};
	char rid[48];
	int rc;

	hr_rec_begin(r, out);
	rc = login ? w_login_identity(r, sw, &id) : hr_rec_identity(r, &sw->task, &sw->who, &id);
	if (rc)
		goto fail;
	hr_rec_what(r, wall_ns, sts ? "sts.linux" : "signin.linux", name);
	/* ssh: the client (PAM_RHOST); su/sudo: the caller's session */
	src = login ? (si->rhost[0] ? si->rhost : "localhost") : sw->who.source_ip;
	source = hr_utf8_sanitize(src, strlen(src));
	if (!source) {
		rc = -ENOMEM;
		goto fail;
	}
	jw_kstrz(w, "sourceIPAddress", source);
	jw_kstr(w, "userAgent", si->service, strlen(si->service));
	if (!si->success && si->kind != HR_SIGNIN_LOGOUT) {
		if (sts)
			jw_kstrz(w, "errorCode", "AccessDenied");
		jw_kstrz(w, "errorMessage",
			 si->not_allowed ? "Not allowed by the sudoers policy" :
					   "Failed authentication");
	}
	if (si->kind == HR_SIGNIN_SWITCH || sts) {
		to_arn = target_arn(r, si->user, sw);
		if (!to_arn) {
			rc = -ENOMEM;
			goto fail;
		}
	}
	jw_key(w, "requestParameters");
	if (sts) {
		jw_obj_begin(w);
		jw_kstrz(w, "roleArn", to_arn);
		jw_kstrz(w, "roleSessionName", id.user_name);
		jw_kstr(w, "targetUser", si->user, strlen(si->user));
		jw_kstr(w, "command", si->command, strlen(si->command));
		jw_obj_end(w);
	} else {
		jw_null(w);
	}
	jw_key(w, "responseElements");
	if (sts && si->success) {
		char tail[2 * HR_LOGIN_STR_MAX + 32];

		snprintf(tail, sizeof(tail), "assumed-role/%s/%s", si->user,
			 id.user_name ? id.user_name : "");
		role_arn = hr_rec_arn(r, "sts", tail);
		if (!role_arn) {
			rc = -ENOMEM;
			goto fail;
		}
		jw_obj_begin(w);
		jw_key(w, "assumedRoleUser");
		jw_obj_begin(w);
		jw_key(w, "assumedRoleId");
		if (sw->user_known)
			jw_strf(w, "%u:%s", sw->user_uid, id.user_name ? id.user_name : "");
		else
			jw_str(w, id.user_name);
		jw_kstrz(w, "arn", role_arn);
		jw_obj_end(w);
		jw_obj_end(w);
	} else if (sts) {
		jw_null(w);
	} else {
		jw_obj_begin(w);
		jw_kstrz(w, name, si->success ? "Success" : "Failure");
		jw_obj_end(w);
	}
	w_additional(r, si, wall_ns, si->kind == HR_SIGNIN_SWITCH ? id.user_arn : NULL,
		     si->kind == HR_SIGNIN_SWITCH ? to_arn : NULL);
	hr_rec_request_id(r, si->boot_ns, si->caller->pid, rid);
	rc = hr_rec_finish(
		r,
		&(struct hr_rec_kind){.event_source = sts ? "sts.linux" : "signin.linux",
				      .event_name = name,
				      .event_type = sts ? "AwsApiCall" : "AwsConsoleSignIn",
				      .category = HR_CAT_MANAGEMENT,
				      .wall_ns = wall_ns,
				      .request_id = rid},
		source, sts && !si->success ? "AccessDenied" : NULL, &id, out);
	free(source);
	source = NULL;
	if (rc)
		goto fail;
	/* A login says how it came in, failed or not; su and sudo run in
	 * their caller's session and say how that one came in. */
	out->via = login ? hr_session_via(si->service) : sw->who.via;
	out->failed = !si->success && si->kind != HR_SIGNIN_LOGOUT;
	if (si->kind == HR_SIGNIN_SWITCH || sts) {
		out->what = hr_utf8_sanitize(si->user, strlen(si->user));
		if (!out->what) {
			rc = -ENOMEM;
			goto fail;
		}
	}
	free(to_arn);
	free(role_arn);
	return 0;
fail:
	free(source);
	free(to_arn);
	free(role_arn);
	hr_rec_ident_clear(&id);
	hr_record_free(out);
	return rc;
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * syscall.c - one system call, decoded (struct hr_call) and enriched
 * (struct hr_who), into one CloudTrail record.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "record.h"
#include "record_int.h"
#include "common/clock.h"
#include "common/jsonw.h"

static const char *res_service(const char *type)
{
	if (!strcmp(type, "Linux::File"))
		return "file";
	if (!strcmp(type, "Linux::Mount"))
		return "mount";
	if (!strcmp(type, "Linux::Process"))
		return "process";
	if (!strcmp(type, "Linux::User"))
		return "iam";
	return "module"; /* Linux::KernelModule */
}

/* resources: [{accountId, type, ARN}], moving the names into out. */
static int w_resources(struct hr_rec *r, void *arg, struct hr_record *out)
{
	struct hr_decoded *dec = arg;
	struct jsonw *w = &r->w;

	if (!dec->n_res)
		return 0;
	jw_key(w, "resources");
	jw_arr_begin(w);
	for (int k = 0; k < dec->n_res; k++) {
		const char *type = dec->res[k].type;
		char *arn, *tail = dec->res[k].name, *ut = NULL;

		if (!strcmp(type, "Linux::User")) {
			if (asprintf(&ut, "user/%s", tail) < 0)
				return -ENOMEM;
			tail = ut;
		}
		arn = hr_rec_arn(r, res_service(type), tail);
		free(ut);
		if (!arn)
			return -ENOMEM;
		jw_obj_begin(w);
		jw_kstrz(w, "accountId", r->frame.account_id);
		jw_kstrz(w, "type", type);
		jw_kstrz(w, "ARN", arn);
		jw_obj_end(w);
		out->resources[out->n_resources].type = type;
		out->resources[out->n_resources].arn = arn;
		out->resources[out->n_resources].name = dec->res[k].name;
		dec->res[k].name = NULL;
		out->n_resources++;
	}
	jw_arr_end(w);
	return 0;
}

static void w_additional(struct hr_rec *r, const struct hr_call *c, const struct hr_who *who,
			 int64_t wall_ns)
{
	const struct hr_task *t = &c->ev->hdr.task;
	const struct hr_proc_info *pi = who->proc;
	const struct hr_decoded *dec = &c->dec;
	bool have_proc = who->have_proc;
	struct jsonw *w = &r->w;

	jw_key(w, "additionalEventData");
	jw_obj_begin(w);
	jw_kint(w, "eventTimeNanos", wall_ns);
	jw_key(w, "process");
	jw_obj_begin(w);
	jw_kuint(w, "pid", t->tgid);
	if (t->pid != t->tgid)
		jw_kuint(w, "tid", t->pid);
	jw_kuint(w, "ppid", t->ppid);
	jw_kstr(w, "comm", t->comm, strnlen(t->comm, HR_COMM_LEN));
	if (have_proc && pi->exe_known)
		jw_kstr(w, "exe", pi->exe, pi->exe_len);
	else
		jw_knull(w, "exe");
	if (have_proc && pi->tty[0])
		jw_kstrz(w, "tty", pi->tty);
	else
		jw_knull(w, "tty");
	jw_kuint(w, "cgroupId", t->cgroup_id);
	if (have_proc && pi->container_id[0])
		jw_kstrz(w, "containerId", pi->container_id);
	jw_obj_end(w);
	/* Real and effective ids: a setuid binary shows up as uid != euid. */
	jw_key(w, "credentials");
	jw_obj_begin(w);
	jw_kuint(w, "uid", t->uid);
	jw_kuint(w, "euid", t->euid);
	jw_kuint(w, "gid", t->gid);
	jw_kuint(w, "egid", t->egid);
	jw_obj_end(w);
	if (t->loginuid != NO_ID)
		jw_kuint(w, "loginUid", t->loginuid);
	if (t->sessionid != NO_ID)
		jw_kuint(w, "sessionId", t->sessionid);
	if (dec->truncated) {
		jw_key(w, "truncatedArgs");
		jw_arr_begin(w);
		for (int i = 0; i < HR_MAX_ARGS; i++)
			if (dec->truncated & (1u << i))
				jw_str(w, c->d->args[i].name ? c->d->args[i].name : "?");
		jw_arr_end(w);
	}
	jw_obj_end(w);
}

int hr_rec_syscall(struct hr_rec *r, struct hr_call *c, struct hr_who *who, struct hr_record *out)
{
	const struct hr_syscall_event *ev = c->ev;
	const struct hr_syscall_desc *d = c->d;
	const struct hr_task *t = &ev->hdr.task;
	int64_t wall_ns = hr_boot_to_wall_ns(ev->hdr.boot_ns, r->clock_off);
	struct ident id = {0};
	struct jsonw *w = &r->w;
	char rid[48];
	int rc;

	hr_rec_begin(r, out);
	rc = hr_rec_identity(r, t, who, &id);
	if (rc)
		goto fail;
	hr_rec_what(r, wall_ns, d->event_source, d->event_name);
	jw_kstrz(w, "sourceIPAddress", who->source_ip);
	hr_rec_user_agent(w, who->proc, t->comm);
	if (c->failed) {
		jw_kstrz(w, "errorCode", c->ecode);
		jw_kstrz(w, "errorMessage", c->emsg);
	}
	jw_key(w, "requestParameters");
	jw_raw(w, c->request, c->request_len);
	jw_knull(w, "responseElements");
	w_additional(r, c, who, wall_ns);
	hr_rec_request_id(r, ev->hdr.boot_ns, t->pid, rid);
	rc = hr_rec_finish(r,
			   &(struct hr_rec_kind){.event_source = d->event_source,
						 .event_name = d->event_name,
						 .event_type = "AwsApiCall",
						 .category = d->category,
						 .read_only = c->read_only,
						 .wall_ns = wall_ns,
						 .request_id = rid,
						 .resources = w_resources,
						 .arg = &c->dec},
			   who->source_ip, c->failed ? c->ecode : NULL, &id, out);
	if (rc)
		return rc;
	out->via = who->via;
	out->failed = c->failed;
	out->what = c->dec.what; /* moved: dec no longer frees it */
	c->dec.what = NULL;
	return 0;
fail:
	hr_rec_ident_clear(&id);
	hr_record_free(out);
	return rc;
}

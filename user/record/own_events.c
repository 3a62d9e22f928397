// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * own_events.c - the agent's own events: StartLogging, StopLogging and the
 * other control-plane calls, and LostEvents.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "record.h"
#include "record_int.h"
#include "common/jsonw.h"
#include "common/clock.h"

/* An object's text from the agent or the control socket's own builder:
 * trusted, but a malformed one would poison a whole log file, so insist on
 * at least the shape of an object. Returns its trimmed length or 0. */
static size_t object_len(const char *json)
{
	size_t n = strlen(json);

	while (n && (json[n - 1] == '\n' || json[n - 1] == ' '))
		n--;
	return n >= 2 && json[0] == '{' && json[n - 1] == '}' ? n : 0;
}

int hr_rec_control(struct hr_rec *r, const struct hr_control_call *call, struct hr_who *who,
		   struct hr_record *out)
{
	static const char *const names[] = {"StartLogging", "StopLogging", "PutEventSelectors",
					    "UpdateTrail"};
	const struct hr_task *caller = call->caller;
	const char *event_name = call->event_name, *extra_json = call->extra_json;
	const char *name = NULL;
	struct ident id = {0};
	struct jsonw *w = &r->w;
	struct hr_task root = {.loginuid = NO_ID, .sessionid = NO_ID};
	int64_t wall_ns = hr_clock_ns(CLOCK_REALTIME);
	size_t xlen = 0, qlen = 0, plen = 0;
	char rid[48];
	int rc;

	memset(out, 0, sizeof(*out));
	for (size_t k = 0; event_name && k < sizeof(names) / sizeof(names[0]); k++)
		if (!strcmp(event_name, names[k]))
			name = names[k]; /* struct hr_record wants a static string */
	if (!name)
		return -EINVAL;
	if ((extra_json && !(xlen = object_len(extra_json))) ||
	    (call->request_json && !(qlen = object_len(call->request_json))) ||
	    (call->response_json && !(plen = object_len(call->response_json))))
		return -EINVAL;

	hr_rec_begin(r, out);
	rc = hr_rec_identity(r, caller ? caller : &root, who, &id);
	if (rc)
		goto fail;
	hr_rec_what(r, wall_ns, "hostrail.linux", name);
	jw_kstrz(w, "sourceIPAddress", caller ? who->source_ip : "localhost");
	if (caller && who->have_proc)
		hr_rec_user_agent(w, who->proc, caller->comm);
	else if (caller)
		jw_kstr(w, "userAgent", caller->comm, strnlen(caller->comm, HR_COMM_LEN));
	else
		jw_kstrz(w, "userAgent", "hostraild");
	if (call->error_code) {
		jw_kstrz(w, "errorCode", call->error_code);
		jw_kstrz(w, "errorMessage",
			 call->error_message ? call->error_message : call->error_code);
	}
	jw_key(w, "requestParameters");
	if (call->request_json) {
		jw_raw(w, call->request_json, qlen);
	} else {
		jw_obj_begin(w);
		jw_kstrz(w, "name", r->frame.trail_name);
		jw_obj_end(w);
	}
	if (call->response_json) {
		jw_key(w, "responseElements");
		jw_raw(w, call->response_json, plen);
	} else {
		jw_knull(w, "responseElements");
	}
	if (extra_json) {
		jw_key(w, "additionalEventData");
		jw_raw(w, extra_json, xlen);
	}
	hr_rec_request_id(r, (uint64_t)hr_clock_ns(CLOCK_BOOTTIME),
			  caller ? caller->pid : (uint32_t)getpid(), rid);
	return hr_rec_finish(r,
			     &(struct hr_rec_kind){.event_source = "hostrail.linux",
						   .event_name = name,
						   .event_type = "AwsApiCall",
						   .category = HR_CAT_MANAGEMENT,
						   .wall_ns = wall_ns,
						   .request_id = rid},
			     "localhost", call->error_code, &id, out);
fail:
	hr_rec_ident_clear(&id);
	hr_record_free(out);
	return rc;
}

struct lost {
	uint64_t count;
	int64_t from_ns, to_ns;
	const char *reason, *sink;
};

static void w_lost_details(struct jsonw *w, void *arg)
{
	const struct lost *l = arg;
	char t[32];

	jw_key(w, "serviceEventDetails");
	jw_obj_begin(w);
	jw_kuint(w, "lostEvents", l->count);
	jw_kstrz(w, "reason", l->reason ? l->reason : "unknown");
	jw_kstrz(w, "sink", l->sink ? l->sink : "unknown");
	jw_key(w, "windowStart");
	if (hr_format_utc(l->from_ns / 1000000000LL, t, sizeof(t)))
		jw_str(w, t);
	else
		jw_null(w);
	jw_key(w, "windowEnd");
	/* rounded up: the window covers every lost event's second */
	if (hr_format_utc((l->to_ns + 999999999LL) / 1000000000LL, t, sizeof(t)))
		jw_str(w, t);
	else
		jw_null(w);
	jw_obj_end(w);
}

int hr_rec_lost(struct hr_rec *r, uint64_t count, int64_t from_ns, int64_t to_ns,
		const char *reason, const char *sink, struct hr_record *out)
{
	struct jsonw *w = &r->w;
	int64_t wall_ns = hr_clock_ns(CLOCK_REALTIME);
	int rc;

	hr_rec_begin(r, out);
	jw_key(w, "userIdentity");
	jw_obj_begin(w);
	jw_kstrz(w, "type", "AWSService");
	jw_kstrz(w, "invokedBy", "hostrail.linux");
	jw_obj_end(w);
	hr_rec_what(r, wall_ns, "hostrail.linux", "LostEvents");
	jw_kstrz(w, "sourceIPAddress", "hostrail.linux");
	jw_kstrz(w, "userAgent", "hostrail.linux");
	jw_knull(w, "requestParameters");
	jw_knull(w, "responseElements");
	rc = hr_rec_tail(
		r,
		&(struct hr_rec_kind){.event_source = "hostrail.linux",
				      .event_name = "LostEvents",
				      .event_type = "AwsServiceEvent",
				      .category = HR_CAT_MANAGEMENT,
				      .wall_ns = wall_ns,
				      .details = w_lost_details,
				      .arg = &(struct lost){count, from_ns, to_ns, reason, sink}},
		out);
	if (rc)
		goto fail;
	out->source_ip = strdup("hostrail.linux");
	if (!out->source_ip) {
		rc = -ENOMEM;
		goto fail;
	}
	return 0;
fail:
	hr_record_free(out);
	return rc;
}

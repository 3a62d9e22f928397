// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* trail_cmds.c - the control commands (see trail_cmds.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>
#include "common/clock.h"
#include "common/log.h"
#include "decode/decode.h"
#include "daemon/trail_cmds.h"

static int read_small(uint32_t pid, const char *what, char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%u/%s", pid, what);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -EIO;
	buf[n] = '\0';
	return 0;
}

void hr_task_from_peer(uint32_t pid, uint32_t uid, uint32_t gid, struct hr_task *t)
{
	char buf[64];
	size_t n;

	memset(t, 0, sizeof(*t));
	t->pid = t->tgid = pid;
	t->uid = t->euid = uid;
	t->gid = t->egid = gid;
	t->loginuid = t->sessionid = (uint32_t)-1;
	if (read_small(pid, "loginuid", buf, sizeof(buf)) == 0)
		t->loginuid = (uint32_t)strtoul(buf, NULL, 10);
	if (read_small(pid, "sessionid", buf, sizeof(buf)) == 0)
		t->sessionid = (uint32_t)strtoul(buf, NULL, 10);
	if (read_small(pid, "comm", buf, sizeof(buf)) == 0) {
		n = strcspn(buf, "\n");
		memcpy(t->comm, buf, n < HR_COMM_LEN - 1 ? n : HR_COMM_LEN - 1);
	}
}

void hr_trail_record_change(struct hr_cmd_env *env, const char *event_name,
			    const struct hr_task *caller, const char *request, const char *response,
			    const char *error_code, const char *message)
{
	struct hr_control_call call = {
		.event_name = event_name,
		.caller = caller,
		.request_json = request,
		.response_json = response,
		.error_code = error_code,
		.error_message = message,
	};
	struct hr_record rec = {0};

	if (hr_record_control_call(env->rec, &call, &rec)) {
		hr_err("failed to build the %s record", event_name);
		return;
	}
	env->emit(env->agent, &rec);
}

static json_t *error_reply(const char *code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static json_t *error_reply(const char *code, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return json_pack("{sbs{ssss}}", "ok", 0, "error", "Code", code, "Message", msg);
}

static json_t *ok_reply(json_t *result)
{
	return json_pack("{sbso}", "ok", 1, "result", result ? result : json_object());
}

static void set_time(json_t *o, const char *key, int64_t ns)
{
	char t[32];

	if (ns > 0 && hr_format_utc(ns / 1000000000LL, t, sizeof(t)))
		json_object_set_new(o, key, json_string(t));
}

static json_t *describe(struct hr_cmd_env *env, struct hr_trail *t)
{
	char arn[512];

	hr_trail_arn(env->trails, t, arn, sizeof(arn));
	return json_pack("{sssssbsbsssssbsbsbsbsssi}", "Name", t->cfg.name, "S3BucketName",
			 t->cfg.s3_bucket_name, "IncludeGlobalServiceEvents", 0,
			 "IsMultiRegionTrail", 0, "HomeRegion", env->trails->region, "TrailARN",
			 arn, "LogFileValidationEnabled", 1, "HasCustomEventSelectors",
			 t->sel.shown != NULL, "HasInsightSelectors", 0, "IsOrganizationTrail", 0,
			 "BucketDir", t->cfg.bucket_dir, "BatchSeconds", (int)t->cfg.batch_seconds);
}

static json_t *cmd_describe(struct hr_cmd_env *env, json_t *params)
{
	json_t *names = json_object_get(params, "trailNameList"), *list = json_array();

	for (int i = 0; i < env->trails->n; i++) {
		struct hr_trail *t = &env->trails->t[i];
		bool want = !json_array_size(names);
		size_t k;
		json_t *v;

		json_array_foreach(names, k, v) {
			if (json_is_string(v) &&
			    hr_trails_find(env->trails, json_string_value(v)) == t)
				want = true;
		}
		if (want)
			json_array_append_new(list, describe(env, t));
	}
	return ok_reply(json_pack("{so}", "trailList", list));
}

/* CloudTrail's delivery fields are the store's when the trail uploads. */
static void s3_status(json_t *o, json_t *counters, struct hr_s3_uploader *u)
{
	struct hr_s3_status st;
	json_t *c;

	hr_s3_uploader_status(u, &st);
	set_time(o, "LatestDeliveryTime", st.log_ns);
	set_time(o, "LatestDigestDeliveryTime", st.digest_ns);
	if (st.log_error_ns > st.log_ns && st.log_error[0]) {
		json_object_set_new(o, "LatestDeliveryError", json_string(st.log_error));
		set_time(o, "LatestDeliveryAttemptTime", st.log_error_ns);
	}
	if (st.digest_error_ns > st.digest_ns && st.digest_error[0]) {
		json_object_set_new(o, "LatestDigestDeliveryError", json_string(st.digest_error));
		set_time(o, "LatestDigestAttemptTime", st.digest_error_ns);
	}
	c = json_pack("{sI sI sI}", "pending", (json_int_t)st.pending, "uploaded",
		      (json_int_t)st.uploaded, "retries", (json_int_t)st.retries);
	if (c && st.last_error[0])
		json_object_set_new(c, "lastError", json_string(st.last_error));
	if (c)
		json_object_set_new(counters, "s3Upload", c);
}

static json_t *cmd_status(struct hr_cmd_env *env, struct hr_trail *t)
{
	struct hr_batcher_stats bs;
	struct hr_signer_stats ss;
	json_t *o = json_object(), *counters = json_object(), *lost = json_object();

	hr_trail_stats(env->trails, t, &bs, &ss);
	json_object_set_new(o, "IsLogging", json_boolean(t->logging));
	set_time(o, "StartLoggingTime", t->start_ns);
	set_time(o, "StopLoggingTime", t->stop_ns);
	if (t->s3) {
		s3_status(o, counters, t->s3);
	} else {
		set_time(o, "LatestDeliveryTime", bs.last_delivery_ns);
		set_time(o, "LatestDigestDeliveryTime", ss.last_digest_ns);
	}
	/* with S3 delivery, a local failure still shows when S3 has none */
	if (bs.last_error_ns > bs.last_delivery_ns && bs.last_error[0] &&
	    !json_object_get(o, "LatestDeliveryError"))
		json_object_set_new(o, "LatestDeliveryError", json_string(bs.last_error));
	if (ss.last_error_ns > ss.last_digest_ns && ss.last_error[0] &&
	    !json_object_get(o, "LatestDigestDeliveryError"))
		json_object_set_new(o, "LatestDigestDeliveryError", json_string(ss.last_error));
	/* hostrail's own: what this trail took, and what the agent lost */
	json_object_set_new(counters, "eventsRecorded", json_integer((json_int_t)t->recorded));
	json_object_set_new(counters, "eventsPendingDelivery",
			    json_integer((json_int_t)bs.pending));
	json_object_set_new(lost, "spool", json_integer((json_int_t)bs.lost));
	if (env->lost_counters)
		env->lost_counters(env->agent, lost);
	json_object_set_new(counters, "eventsLost", lost);
	if (env->catch_up_counters) {
		json_t *c = json_object();

		env->catch_up_counters(env->agent, c);
		json_object_set_new(counters, "historyCatchUp", c);
	}
	if (env->filter_counters) {
		json_t *f = json_object();

		env->filter_counters(env->agent, f);
		json_object_set_new(counters, "dataEventFilter", f);
	}
	json_object_set_new(o, "HostrailCounters", counters);
	if (env->capture_hooks) {
		json_t *h = json_object();

		env->capture_hooks(env->agent, h);
		json_object_set_new(o, "HostrailCapture", h);
	}
	return ok_reply(o);
}

static json_t *selectors_body(struct hr_cmd_env *env, struct hr_trail *t)
{
	json_t *o = json_loads(t->sel.shown ? t->sel.shown : "{}", 0, NULL);
	char arn[512];

	if (!o)
		o = json_object();
	hr_trail_arn(env->trails, t, arn, sizeof(arn));
	json_object_set_new(o, "TrailARN", json_string(arn));
	return o;
}

/* CloudTrail records the change's parameters in lowerCamelCase keys. */
static char *change_request(const char *key, const char *name, json_t *extra_key_val)
{
	json_t *o = json_pack("{ss}", key, name);
	char *s;

	if (extra_key_val)
		json_object_update(o, extra_key_val);
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

static void selectors_change(struct hr_cmd_env *env, struct hr_trail *t, char **req, char **resp);
static bool delivery_differs(const struct hr_trail_config *a, const struct hr_trail_config *b);

/* update-trail's options: aws-cli's parameter, its requestParameters key. */
static const struct {
	const char *param, *request;
	bool seconds;
} update_keys[] = {
	{"S3BucketName", "s3BucketName", false},
	{"BucketDir", "bucketDir", false},	  /* hostrail's own */
	{"BatchSeconds", "batchSeconds", true},	  /* hostrail's own */
	{"DigestSeconds", "digestSeconds", true}, /* hostrail's own */
};

/*
 * update-trail: new delivery settings for trail t, checked by the same
 * rules as the configuration file (hr_config_finish) against the other
 * running trails. On success *out is the trail's new configuration, to be
 * applied (the chain restarts) once the UpdateTrail record is written, and
 * *resp the recorded responseElements. Running state only, as
 * put-event-selectors: SIGHUP makes the trail match the file again.
 */
static json_t *update_trail(struct hr_cmd_env *env, struct hr_trail *t, json_t *params,
			    struct hr_trail_config **out, char **resp)
{
	struct hr_trails *ts = env->trails;
	struct hr_config *check = calloc(1, sizeof(*check));
	struct hr_trail_config *tc = calloc(1, sizeof(*tc));
	json_t *reply = NULL, *r;
	char err[1024], arn[512];
	const char *bad = NULL;
	int given = 0, me = (int)(t - ts->t);

	if (!check || !tc) {
		reply = error_reply("InternalFailure", "out of memory");
		goto out;
	}
	*tc = t->cfg;
	for (size_t k = 0; k < sizeof(update_keys) / sizeof(update_keys[0]) && !bad; k++) {
		json_t *v = json_object_get(params, update_keys[k].param);
		const char *key = update_keys[k].param;

		if (!v)
			continue;
		given++;
		if (update_keys[k].seconds) {
			if (!json_is_integer(v) || json_integer_value(v) < 1 ||
			    json_integer_value(v) > 86400)
				bad = key;
			else if (!strcmp(key, "BatchSeconds"))
				tc->batch_seconds = (unsigned)json_integer_value(v);
			else
				tc->digest_seconds = (unsigned)json_integer_value(v);
		} else if (!json_is_string(v) || !json_string_length(v) ||
			   json_string_length(v) >= sizeof(tc->s3_bucket_name) ||
			   memchr(json_string_value(v), '\0', json_string_length(v))) {
			bad = key;
		} else if (!strcmp(key, "S3BucketName")) {
			snprintf(tc->s3_bucket_name, sizeof(tc->s3_bucket_name), "%s",
				 json_string_value(v));
		} else {
			snprintf(tc->bucket_dir, sizeof(tc->bucket_dir), "%s",
				 json_string_value(v));
		}
	}
	if (bad) {
		reply = error_reply("InvalidParameterValueException", "%s: %s", bad,
				    strstr(bad, "Seconds") ? "expected 1 to 86400 seconds" :
							     "expected a non-empty string");
		goto out;
	}
	if (!given) {
		reply = error_reply("InvalidParameterCombinationException",
				    "nothing to update: "
				    "give --s3-bucket-name, --bucket-dir, --batch-seconds or "
				    "--digest-seconds");
		goto out;
	}
	/* The file's rules, against the other running trails. */
	snprintf(check->source, sizeof(check->source), "update-trail");
	snprintf(check->account_id, sizeof(check->account_id), "%s", ts->account_id);
	snprintf(check->region, sizeof(check->region), "%s", ts->region);
	snprintf(check->state_dir, sizeof(check->state_dir), "%s", ts->state_dir);
	for (int i = 0; i < ts->n; i++) {
		check->trails[i] = i == me ? *tc : ts->t[i].cfg;
		memset(&check->trails[i].selectors, 0, sizeof(check->trails[i].selectors));
		check->trails[i].event_selectors_json = NULL;
		check->trails[i].advanced_selectors_json = NULL;
	}
	check->n_trails = ts->n;
	if (hr_config_finish(check, err, sizeof(err))) {
		reply = error_reply(strstr(err, "s3BucketName") ? "InvalidS3BucketNameException" :
								  "InvalidParameterValueException",
				    "%s", err);
		goto out;
	}
	if (delivery_differs(&t->cfg, tc) && strcmp(tc->bucket_dir, t->cfg.bucket_dir) &&
	    hr_check_writable_dir("bucket directory", tc->bucket_dir, 0750)) {
		reply = error_reply("InvalidParameterValueException",
				    "BucketDir: %s cannot be "
				    "created or is not writable",
				    tc->bucket_dir);
		goto out;
	}
	hr_trail_arn(ts, t, arn, sizeof(arn));
	r = json_pack("{sssssssbsssisi}", "name", tc->name, "s3BucketName", tc->s3_bucket_name,
		      "trailARN", arn, "logFileValidationEnabled", 1, "bucketDir", tc->bucket_dir,
		      "batchSeconds", (int)tc->batch_seconds, "digestSeconds",
		      (int)tc->digest_seconds);
	*resp = r ? json_dumps(r, JSON_COMPACT) : NULL;
	json_decref(r);
	/* aws-cli's shape: the trail as describe-trails shows it, updated */
	reply = json_pack("{sssssssbsssisi}", "Name", tc->name, "S3BucketName", tc->s3_bucket_name,
			  "TrailARN", arn, "LogFileValidationEnabled", 1, "BucketDir",
			  tc->bucket_dir, "BatchSeconds", (int)tc->batch_seconds, "DigestSeconds",
			  (int)tc->digest_seconds);
	reply = ok_reply(reply);
	if (delivery_differs(&t->cfg, tc)) {
		*out = tc;
		tc = NULL;
	}
out:
	if (check)
		hr_config_free(check);
	free(check);
	free(tc);
	return reply;
}

/* The changes. Returns the reply; records the event (also on failure). */
static json_t *cmd_change(struct hr_cmd_env *env, const char *cmd, json_t *params,
			  const struct hr_task *caller, bool allowed)
{
	const char *event = !strcmp(cmd, "start-logging")	? "StartLogging" :
			    !strcmp(cmd, "stop-logging")	? "StopLogging" :
			    !strcmp(cmd, "put-event-selectors") ? "PutEventSelectors" :
								  "UpdateTrail";
	bool put = !strcmp(event, "PutEventSelectors");
	const char *name = json_string_value(json_object_get(params, put ? "TrailName" : "Name"));
	json_t *basic = json_object_get(params, "EventSelectors");
	json_t *adv = json_object_get(params, "AdvancedEventSelectors");
	json_t *extra = json_object(), *reply = NULL;
	struct hr_trail *t = hr_trails_find(env->trails, name);
	struct hr_trail_config *updated = NULL;
	char *req = NULL, *resp = NULL;
	char err[1024];

	if (put) {
		if (basic)
			json_object_set(extra, "eventSelectors", basic);
		if (adv)
			json_object_set(extra, "advancedEventSelectors", adv);
	} else if (!strcmp(event, "UpdateTrail")) {
		for (size_t k = 0; k < sizeof(update_keys) / sizeof(update_keys[0]); k++) {
			json_t *v = json_object_get(params, update_keys[k].param);

			if (v)
				json_object_set(extra, update_keys[k].request, v);
		}
	}
	req = change_request(put ? "trailName" : "name", name ? name : "", extra);

	if (!allowed) {
		reply = error_reply("AccessDenied",
				    "User: uid %u is not authorized to perform: "
				    "cloudtrail:%s on resource: %s",
				    caller->uid, event, name ? name : "");
		hr_warn("refused %s from uid %u (pid %u): AccessDenied", event, caller->uid,
			caller->pid);
	} else if (!name || !t) {
		reply = error_reply("TrailNotFoundException", "Unknown trail: %s for the user: %s",
				    name ? name : "(no name)", env->trails->account_id);
	} else if (put) {
		struct hr_sel_ctx ctx = {env->trails->region, env->trails->account_id,
					 "put-event-selectors"};
		struct hr_selectors sel;
		json_t *doc = json_object();
		char *text;
		int rc;

		if (basic)
			json_object_set(doc, "EventSelectors", basic);
		if (adv)
			json_object_set(doc, "AdvancedEventSelectors", adv);
		text = json_dumps(doc, JSON_COMPACT);
		json_decref(doc);
		rc = text ? hr_selectors_compile_text(&sel, text, &ctx, "$", err, sizeof(err)) :
			    -ENOMEM;
		free(text);
		if (rc) {
			reply = error_reply(basic ? "InvalidEventSelectorsException" :
						    "InvalidEventSelectorsException",
					    "%s", err);
		} else {
			hr_selectors_free(&t->sel);
			t->sel = sel;
			reply = ok_reply(selectors_body(env, t));
			env->selection_changed(env->agent);
		}
	} else if (!strcmp(event, "StartLogging")) {
		if (!t->logging) {
			t->logging = true;
			t->start_ns = hr_clock_ns(CLOCK_REALTIME);
			env->selection_changed(env->agent);
		}
		reply = ok_reply(NULL);
	} else if (!strcmp(event, "StopLogging")) {
		reply = ok_reply(NULL);
	} else {
		reply = update_trail(env, t, params, &updated, &resp);
	}

	/* Record it: the response of a success, the errorCode of a refusal. */
	{
		json_t *ok = json_object_get(reply, "ok");
		json_t *e = json_object_get(reply, "error");
		const char *code = json_is_true(ok) ? NULL :
						      json_string_value(json_object_get(e, "Code"));
		const char *msg = json_string_value(json_object_get(e, "Message"));

		if (put && json_is_true(ok)) {
			/* as SIGHUP records it: from the selectors now running */
			free(req);
			selectors_change(env, t, &req, &resp);
		}
		hr_trail_record_change(env, event, caller, req, resp, code, msg);
	}
	/* Reopen after the record: the old chain's last file holds it. */
	if (updated) {
		if (hr_trails_reopen(env->trails, (int)(t - env->trails->t), updated))
			hr_err("failed to reopen trail %s with its new delivery settings",
			       updated->name);
		free(updated);
		t = hr_trails_find(env->trails, name);
	}
	/* Stop after the record: the trail's own StopLogging is in its chain. */
	if (t && allowed && !strcmp(event, "StopLogging") && t->logging) {
		t->logging = false;
		t->stop_ns = hr_clock_ns(CLOCK_REALTIME);
		env->selection_changed(env->agent);
	}
	json_decref(extra);
	free(req);
	free(resp);
	return reply;
}

char *hr_trail_command(struct hr_cmd_env *env, const char *request, const struct ucred *peer)
{
	json_t *req = json_loads(request, JSON_REJECT_DUPLICATES, NULL), *reply = NULL, *params;
	json_t *empty = json_object();
	const char *cmd;
	struct hr_task caller;
	struct hr_trail *t;
	char *out;

	hr_task_from_peer((uint32_t)peer->pid, peer->uid, peer->gid, &caller);
	cmd = json_string_value(json_object_get(req, "command"));
	params = json_object_get(req, "params");
	if (!req || !cmd || (params && !json_is_object(params))) {
		reply = error_reply("InvalidParameterValue", "expected {\"command\": ..., "
							     "\"params\": {...}}");
		goto out;
	}
	if (!params)
		params = empty;
	if (!strcmp(cmd, "describe-trails")) {
		reply = cmd_describe(env, params);
	} else if (!strcmp(cmd, "get-trail-status") || !strcmp(cmd, "get-event-selectors")) {
		bool status = !strcmp(cmd, "get-trail-status");
		const char *name = json_string_value(
			json_object_get(params, status ? "Name" : "TrailName"));

		t = hr_trails_find(env->trails, name);
		if (!t)
			reply = error_reply("TrailNotFoundException",
					    "Unknown trail: %s for the "
					    "user: %s",
					    name ? name : "(no name)", env->trails->account_id);
		else
			reply = status ? cmd_status(env, t) : ok_reply(selectors_body(env, t));
	} else if (!strcmp(cmd, "start-logging") || !strcmp(cmd, "stop-logging") ||
		   !strcmp(cmd, "put-event-selectors") || !strcmp(cmd, "update-trail")) {
		reply = cmd_change(env, cmd, params, &caller, peer->uid == 0);
	} else {
		reply = error_reply("InvalidParameterValue", "unknown command '%.64s'", cmd);
	}
out:
	out = reply ? json_dumps(reply, JSON_COMPACT) : NULL;
	json_decref(reply);
	json_decref(req);
	json_decref(empty);
	return out;
}

static bool delivery_differs(const struct hr_trail_config *a, const struct hr_trail_config *b)
{
	return strcmp(a->bucket_dir, b->bucket_dir) ||
	       strcmp(a->s3_bucket_name, b->s3_bucket_name) ||
	       a->batch_seconds != b->batch_seconds || a->digest_seconds != b->digest_seconds ||
	       a->forward_to_journald != b->forward_to_journald ||
	       a->outputs_off != b->outputs_off || memcmp(&a->s3, &b->s3, sizeof(a->s3));
}

static char *update_request(const struct hr_trail_config *tc)
{
	json_t *o = json_pack("{sssssisisb}", "name", tc->name, "s3BucketName", tc->s3_bucket_name,
			      "batchSeconds", (int)tc->batch_seconds, "digestSeconds",
			      (int)tc->digest_seconds, "forwardToJournald",
			      tc->forward_to_journald);
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;

	json_decref(o);
	return s;
}

/* {"trailName": N, "eventSelectors"|"advancedEventSelectors": [...]} from
 * the shown form, and the matching response with the trail's ARN. */
static void selectors_change(struct hr_cmd_env *env, struct hr_trail *t, char **req, char **resp)
{
	json_t *shown = json_loads(t->sel.shown ? t->sel.shown : "{}", 0, NULL);
	json_t *arr = json_object_get(shown, t->sel.advanced ? "AdvancedEventSelectors" :
							       "EventSelectors");
	const char *key = t->sel.advanced ? "advancedEventSelectors" : "eventSelectors";
	json_t *q = json_pack("{sssO}", "trailName", t->cfg.name, key, arr ? arr : json_null());
	char arn[512];
	json_t *r;

	hr_trail_arn(env->trails, t, arn, sizeof(arn));
	r = json_pack("{sssO}", "trailARN", arn, key, arr ? arr : json_null());
	*req = q ? json_dumps(q, JSON_COMPACT) : NULL;
	*resp = r ? json_dumps(r, JSON_COMPACT) : NULL;
	json_decref(q);
	json_decref(r);
	json_decref(shown);
}

int hr_trails_reload(struct hr_cmd_env *env, const struct hr_config *cfg,
		     const struct hr_task *caller)
{
	struct hr_trails *ts = env->trails;
	char *req, *resp;
	int changes = 0;

	if (strcmp(cfg->account_id, ts->account_id) || strcmp(cfg->region, ts->region) ||
	    strcmp(cfg->state_dir, ts->state_dir)) {
		hr_err("refused configuration on reload: %s: accountId, region and stateDir "
		       "change only with a restart; the running configuration stays in force",
		       cfg->source);
		return -EINVAL;
	}
	/* Trails that are gone: StopLogging (in their own chain), final digest. */
	for (int i = ts->n - 1; i >= 0; i--) {
		struct hr_trail *t = &ts->t[i];
		bool kept = false;

		for (int j = 0; j < cfg->n_trails && !kept; j++)
			kept = !strcmp(cfg->trails[j].name, t->cfg.name);
		if (kept)
			continue;
		req = change_request("name", t->cfg.name, NULL);
		hr_trail_record_change(env, "StopLogging", caller, req, NULL, NULL, NULL);
		free(req);
		hr_info("trail %s removed by the new configuration", t->cfg.name);
		hr_trails_remove(ts, i);
		changes++;
	}
	for (int j = 0; j < cfg->n_trails; j++) {
		const struct hr_trail_config *tc = &cfg->trails[j];
		struct hr_trail *t = hr_trails_find(ts, tc->name);

		if (!t) {
			if (hr_trails_add(ts, tc)) {
				hr_err("failed to start trail %s from the new configuration",
				       tc->name);
				continue;
			}
			t = &ts->t[ts->n - 1];
			t->logging = true;
			t->start_ns = hr_clock_ns(CLOCK_REALTIME);
			env->selection_changed(env->agent);
			req = change_request("name", tc->name, NULL);
			hr_trail_record_change(env, "StartLogging", caller, req, NULL, NULL, NULL);
			free(req);
			changes++;
			continue;
		}
		if (delivery_differs(&t->cfg, tc)) {
			/* Recorded before the reopen: the old chain's last file holds it. */
			req = update_request(tc);
			hr_trail_record_change(env, "UpdateTrail", caller, req, NULL, NULL, NULL);
			free(req);
			if (hr_trails_reopen(ts, (int)(t - ts->t), tc))
				hr_err("failed to reopen trail %s with its new delivery settings",
				       tc->name);
			t = hr_trails_find(ts, tc->name);
			changes++;
			if (!t)
				continue;
		}
		if (strcmp(t->sel.shown ? t->sel.shown : "",
			   tc->selectors.shown ? tc->selectors.shown : "")) {
			struct hr_sel_ctx ctx = {ts->region, ts->account_id, cfg->source};
			struct hr_selectors sel;
			char err[512];

			if (hr_selectors_compile_text(&sel, tc->selectors.shown, &ctx, "$", err,
						      sizeof(err))) {
				hr_err("failed to apply the new selectors of trail %s: %s",
				       tc->name, err);
				continue;
			}
			hr_selectors_free(&t->sel);
			t->sel = sel;
			env->selection_changed(env->agent);
			selectors_change(env, t, &req, &resp);
			hr_trail_record_change(env, "PutEventSelectors", caller, req, resp, NULL,
					       NULL);
			free(req);
			free(resp);
			changes++;
		}
	}
	env->selection_changed(env->agent);
	hr_info("configuration %s reloaded: %d change%s", cfg->source, changes,
		changes == 1 ? "" : "s");
	return 0;
}

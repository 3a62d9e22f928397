// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * pipeline.c - the recorder (record.h, signin.h): one captured event through
 * the stages in their order, decode -> enrich -> record. Each stage only
 * takes what the one before it made; none calls a later one or drives an
 * earlier one. The agent feeds it from capture and hands what comes out to
 * the trails (select -> batch -> deliver -> sign) and the outputs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "record/record.h"
#include "record/record_int.h"
#include "record/signin.h"
#include "decode/decode.h"
#include "decode/syscall_table.h"
#include "enrich/enrich.h"

struct hr_recorder {
	struct jsonw req;	  /* decode: requestParameters */
	struct hr_decode_env env; /* decode: names from enrich's caches */
	struct hr_enricher *enr;  /* enrich */
	struct hr_rec rec;	  /* record */
};

int hr_recorder_new(const struct hr_recorder_opts *opts, struct hr_recorder **out)
{
	struct hr_recorder *p;
	int rc;

	*out = NULL;
	if (!opts)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	rc = hr_rec_init(&p->rec, &opts->frame, opts->proc_root ? opts->proc_root : "/proc");
	if (rc) {
		free(p);
		return rc;
	}
	rc = hr_enricher_new(&(struct hr_enricher_opts){.proc_root = opts->proc_root,
							.user_cache_max = opts->user_cache_max,
							.proc_cache_max = opts->proc_cache_max,
							.clock_off = p->rec.clock_off},
			     &p->enr);
	rc = rc ?: jw_init(&p->req, 4096);
	if (rc) {
		hr_recorder_free(p);
		return rc;
	}
	hr_enricher_decode_env(p->enr, &p->env);
	*out = p;
	return 0;
}

void hr_recorder_free(struct hr_recorder *p)
{
	if (!p)
		return;
	hr_rec_fini(&p->rec);
	hr_enricher_free(p->enr);
	jw_free(&p->req);
	free(p);
}

void hr_recorder_set_clock(struct hr_recorder *p, int64_t realtime_minus_boottime_ns)
{
	p->rec.clock_off = realtime_minus_boottime_ns;
	hr_enricher_set_clock(p->enr, realtime_minus_boottime_ns);
}

void hr_recorder_exec(struct hr_recorder *p, const struct hr_exec_event *ev, size_t size)
{
	if (p)
		hr_enrich_exec(p->enr, ev, size);
}

void hr_recorder_exit(struct hr_recorder *p, const struct hr_exit_event *ev)
{
	if (p)
		hr_enrich_exit(p->enr, ev);
}

/* The decode stage: what the call was, its arguments as requestParameters. */
static int decode_call(struct hr_recorder *p, const struct hr_syscall_event *ev, size_t size,
		       struct hr_call *c)
{
	int rc;

	memset(c, 0, sizeof(*c));
	if (hr_syscall_event_check(ev, size))
		return -EINVAL;
	c->d = hr_syscall_lookup(ev->nr);
	if (!c->d)
		return -EINVAL;
	c->ev = ev;
	c->failed = hr_decode_error(ev->ret, c->ecode, sizeof(c->ecode), &c->emsg);
	/* every management call changes state; data events say */
	c->read_only = hr_decode_read_only(c->d, ev);
	jw_reset(&p->req);
	rc = hr_decode_request(&p->req, &p->env, c->d, ev, &c->dec);
	rc = rc ?: jw_error(&p->req);
	if (rc) {
		hr_decoded_clear(&c->dec);
		return rc;
	}
	c->request = jw_text(&p->req, &c->request_len);
	return 0;
}

int hr_record_syscall(struct hr_recorder *p, const struct hr_syscall_event *ev, size_t size,
		      struct hr_record *out)
{
	struct hr_call c;
	struct hr_who who;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = decode_call(p, ev, size, &c);
	if (rc)
		return rc;
	rc = hr_enrich_task(p->enr, &ev->hdr.task, true, &who);
	if (!rc)
		rc = hr_rec_syscall(&p->rec, &c, &who, out);
	hr_who_clear(&who);
	hr_decoded_clear(&c.dec);
	return rc;
}

struct login_ctx {
	struct hr_recorder *p;
	hr_record_fn emit;
	void *ctx;
	int err;
};

/* The PAM tracker finished a sign-in: enrich it, record it, hand it on. */
static void on_signin(void *arg, const struct hr_signin *si)
{
	struct login_ctx *c = arg;
	struct hr_signin_who sw;
	struct hr_record rec;
	int rc;

	rc = hr_enrich_signin(c->p->enr, si, &sw);
	rc = rc ?: hr_rec_signin(&c->p->rec, si, &sw, &rec);
	if (rc) {
		if (!c->err)
			c->err = rc;
	} else {
		c->emit(c->ctx, &rec);
	}
	hr_who_clear(&sw.who);
	hr_enrich_signin_done(c->p->enr, si);
}

int hr_record_login(struct hr_recorder *p, const struct hr_login_event *ev, size_t size,
		    hr_record_fn emit, void *ctx)
{
	struct login_ctx c = {.p = p, .emit = emit, .ctx = ctx};
	int rc = hr_logins_event(hr_enricher_logins(p->enr), ev, size, on_signin, &c);

	return rc ? rc : c.err;
}

int hr_record_control_call(struct hr_recorder *p, const struct hr_control_call *call,
			   struct hr_record *out)
{
	struct hr_task root = {.loginuid = NO_ID, .sessionid = NO_ID}; /* the agent */
	struct hr_who who;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = hr_enrich_task(p->enr, call->caller ? call->caller : &root, call->caller != NULL,
			    &who);
	if (!rc)
		rc = hr_rec_control(&p->rec, call, &who, out);
	hr_who_clear(&who);
	return rc;
}

int hr_record_control(struct hr_recorder *p, const char *event_name, const struct hr_task *caller,
		      const char *extra_json, struct hr_record *out)
{
	struct hr_control_call call = {
		.event_name = event_name,
		.caller = caller,
		.extra_json = extra_json,
	};

	return hr_record_control_call(p, &call, out);
}

int hr_record_lost(struct hr_recorder *p, uint64_t count, int64_t from_ns, int64_t to_ns,
		   const char *reason, const char *sink, struct hr_record *out)
{
	return hr_rec_lost(&p->rec, count, from_ns, to_ns, reason, sink, out);
}

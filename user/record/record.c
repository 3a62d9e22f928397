// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * record.c - captured events into CloudTrail records (see record.h).
 *
 * Written straight into a reused jsonw buffer, in the key order of
 * cloudtrail-format.md §2.2; jansson would cost ten times as much here.
 * The recorder is not thread-safe: the daemon owns one per consumer.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>
#include <utmp.h>
#include "record.h"
#include "record_int.h"
#include "jsonw.h"
#include "decode/decode.h"
#include "decode/syscall_table.h"
#include "enrich/procs.h"
#include "enrich/users.h"
#include "enrich/sessions.h"
#include "enrich/logins.h"
#include "common/clock.h"

_Static_assert(HR_DECODE_MAX_RES == HR_RECORD_MAX_RESOURCES, "resource bounds differ");

#define EVENT_VERSION "1.11"
#define NO_ID 0xffffffffu
#define USER_AGENT_MAX 1024	/* CloudTrail cuts userAgent at 1 KB */
#define RND_POOL 4096

struct hr_recorder {
	struct hr_frame frame;
	char *proc_root;
	struct hr_users *users;
	struct hr_procs *procs;
	struct hr_decode_env env;
	struct jsonw w;
	int64_t clock_off;		/* CLOCK_REALTIME - CLOCK_BOOTTIME, ns */
	char boot_id[33];		/* 32 lower-case hex digits */
	char key_prefix[20];		/* "HRS" + 16 upper-case hex of boot_id */
	char arn_tail[96];		/* "<region>:<account>:" */
	int64_t last_sec;		/* eventTime of the previous record */
	char last_time[32];
	size_t rnd_off;
	unsigned char rnd[RND_POOL];
	struct hr_proc_info pi;		/* scratch: the caller's process */
	struct hr_sessions *sessions;	/* login sessions (enrich/sessions.h) */
	struct hr_logins *logins;	/* PAM transactions (enrich/logins.h) */
};

void hr_recorder_set_clock(struct hr_recorder *r, int64_t realtime_minus_boottime_ns)
{
	r->clock_off = realtime_minus_boottime_ns;
}

/* Boot id as 32 hex digits; if unreadable (tests, odd containers), a
 * random one: requestIDs stay unique, they just stop naming the boot. */
static void load_boot_id(struct hr_recorder *r)
{
	char path[PATH_MAX], buf[64];
	const char *roots[2] = { r->proc_root, "/proc" };
	size_t o = 0;
	ssize_t n = -1;
	int fd;

	for (int k = 0; k < 2 && n <= 0; k++) {
		snprintf(path, sizeof(path), "%s/sys/kernel/random/boot_id", roots[k]);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	for (ssize_t i = 0; i < n && o < 32; i++)
		if ((buf[i] >= '0' && buf[i] <= '9') || (buf[i] >= 'a' && buf[i] <= 'f'))
			r->boot_id[o++] = buf[i];
	if (o < 32) {
		unsigned char b[16] = { 0 };

		if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
			memset(b, 0, sizeof(b));
		for (int i = 0; i < 16; i++)
			snprintf(r->boot_id + 2 * i, 3, "%02x", b[i]);
	}
	r->boot_id[32] = '\0';
	memcpy(r->key_prefix, "HRS", 3);
	for (int i = 0; i < 16; i++) {
		char ch = r->boot_id[i];

		r->key_prefix[3 + i] = (ch >= 'a' && ch <= 'f') ? (char)(ch - 'a' + 'A') : ch;
	}
	r->key_prefix[19] = '\0';
}

static bool frame_valid(const struct hr_frame *f)
{
	size_t n;

	/* Both go into ARNs: keep ':' and '/' out. */
	n = strnlen(f->account_id, sizeof(f->account_id));
	if (!n || n == sizeof(f->account_id))
		return false;
	for (size_t i = 0; i < n; i++)
		if (f->account_id[i] < '0' || f->account_id[i] > '9')
			return false;
	n = strnlen(f->region, sizeof(f->region));
	if (!n || n == sizeof(f->region))
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = f->region[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return false;
	}
	return strnlen(f->trail_name, sizeof(f->trail_name)) < sizeof(f->trail_name) &&
	       strnlen(f->bucket_name, sizeof(f->bucket_name)) < sizeof(f->bucket_name);
}

int hr_recorder_new(const struct hr_recorder_opts *opts, struct hr_recorder **out)
{
	struct hr_recorder *r;
	int rc;

	*out = NULL;
	if (!opts || !frame_valid(&opts->frame))
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->frame = opts->frame;
	r->proc_root = strdup(opts->proc_root ? opts->proc_root : "/proc");
	if (!r->proc_root) {
		rc = -ENOMEM;
		goto fail;
	}
	rc = hr_users_new(opts->user_cache_max, 0, &r->users);
	if (rc)
		goto fail;
	rc = hr_procs_new(r->proc_root, opts->proc_cache_max, &r->procs);
	if (rc)
		goto fail;
	rc = jw_init(&r->w, 8192);
	if (rc)
		goto fail;
	rc = hr_sessions_new(0, &r->sessions);
	if (rc)
		goto fail;
	rc = hr_logins_new(0, &r->logins);
	if (rc)
		goto fail;
	r->env.proc_root = r->proc_root;
	r->env.users = r->users;
	r->env.procs = r->procs;
	r->clock_off = hr_clock_ns(CLOCK_REALTIME) - hr_clock_ns(CLOCK_BOOTTIME);
	r->last_sec = INT64_MIN;
	r->rnd_off = RND_POOL;
	snprintf(r->arn_tail, sizeof(r->arn_tail), "%s:%s:", r->frame.region,
		 r->frame.account_id);
	load_boot_id(r);
	/* Sessions opened before the agent: from the processes and utmp. */
	hr_sessions_rebuild(r->sessions, r->proc_root,
			    strcmp(r->proc_root, "/proc") ? NULL : _PATH_UTMP, r->clock_off);
	*out = r;
	return 0;
fail:
	hr_recorder_free(r);
	return rc;
}

void hr_recorder_free(struct hr_recorder *r)
{
	if (!r)
		return;
	jw_free(&r->w);
	hr_logins_free(r->logins);
	hr_sessions_free(r->sessions);
	hr_procs_free(r->procs);
	hr_users_free(r->users);
	free(r->proc_root);
	free(r);
}

void hr_record_free(struct hr_record *rec)
{
	if (!rec)
		return;
	free(rec->json);
	free(rec->user_name);
	free(rec->user_arn);
	free(rec->access_key_id);
	free(rec->source_ip);
	free(rec->acting_as);
	free(rec->error_code);
	free(rec->what);
	for (int i = 0; i < rec->n_resources && i < HR_RECORD_MAX_RESOURCES; i++) {
		free(rec->resources[i].arn);
		free(rec->resources[i].name);
	}
	memset(rec, 0, sizeof(*rec));
}

void hr_recorder_exec(struct hr_recorder *r, const struct hr_exec_event *ev, size_t size)
{
	size_t len;

	if (!r || !ev || size < HR_EXEC_EVENT_FIXED_SIZE || size > sizeof(*ev) ||
	    ev->hdr.type != HR_EV_EXEC)
		return;
	len = ev->filename_len;
	if (len > size - HR_EXEC_EVENT_FIXED_SIZE)
		len = size - HR_EXEC_EVENT_FIXED_SIZE;
	hr_procs_exec(r->procs, ev->hdr.task.tgid, ev->filename, len);
}

void hr_recorder_exit(struct hr_recorder *r, const struct hr_exit_event *ev)
{
	if (!r || !ev || ev->hdr.type != HR_EV_EXIT)
		return;
	hr_procs_exit(r->procs, ev->hdr.task.tgid);
}

/* ---- small formatters ---- */

static int random_bytes(struct hr_recorder *r, void *p, size_t n)
{
	if (r->rnd_off + n > RND_POOL) {
		/* One getrandom per 256 records, not one per record. */
		if (getrandom(r->rnd, RND_POOL, 0) != RND_POOL)
			return -EIO;
		r->rnd_off = 0;
	}
	memcpy(p, r->rnd + r->rnd_off, n);
	r->rnd_off += n;
	return 0;
}

/*
 * Time-ordered (version 7, RFC 9562) UUID, lower-case 8-4-4-4-12: 48 bits
 * of wall-clock milliseconds, then 74 random bits. The history's eventID
 * index then grows at its end instead of being written at random.
 */
static int make_uuid(struct hr_recorder *r, char out[37])
{
	static const char hex[] = "0123456789abcdef";
	uint64_t ms = (uint64_t)hr_clock_ns(CLOCK_REALTIME) / 1000000;
	unsigned char b[16];
	int o = 0;

	if (random_bytes(r, b, sizeof(b)))
		return -EIO;
	for (int i = 0; i < 6; i++)
		b[i] = (unsigned char)(ms >> (40 - 8 * i));
	b[6] = (b[6] & 0x0f) | 0x70;
	b[8] = (b[8] & 0x3f) | 0x80;
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[b[i] >> 4];
		out[o++] = hex[b[i] & 15];
	}
	out[o] = '\0';
	return 0;
}

/* eventTime; records come in time order, so one strftime per second. */
static const char *event_time(struct hr_recorder *r, int64_t ns)
{
	int64_t sec = ns >= 0 ? ns / 1000000000LL : -((-ns + 999999999LL) / 1000000000LL);

	if (sec != r->last_sec) {
		if (!hr_format_utc(sec, r->last_time, sizeof(r->last_time)))
			snprintf(r->last_time, sizeof(r->last_time), "1970-01-01T00:00:00Z");
		r->last_sec = sec;
	}
	return r->last_time;
}

/* requestID: unique per system call on this host, and decodable:
 * <first 16 hex of boot id>-<CLOCK_BOOTTIME ns, 16 hex>-<tid, 8 hex>. */
static void request_id(const struct hr_recorder *r, uint64_t boot_ns, uint32_t tid,
		       char out[48])
{
	snprintf(out, 48, "%.16s-%016llx-%08x", r->boot_id, (unsigned long long)boot_ns, tid);
}

/* "arn:hostrail:<service>:<region>:<account>:<tail>", malloc'd. */
static char *make_arn(const struct hr_recorder *r, const char *service, const char *tail)
{
	size_t sl = strlen(service), al = strlen(r->arn_tail), tl = strlen(tail);
	char *s = malloc(13 + sl + 1 + al + tl + 1), *o;

	if (!s)
		return NULL;
	o = s;
	memcpy(o, "arn:hostrail:", 13);
	o += 13;
	memcpy(o, service, sl);
	o += sl;
	*o++ = ':';
	memcpy(o, r->arn_tail, al);
	o += al;
	memcpy(o, tail, tl);
	o += tl;
	*o = '\0';
	return s;
}

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
static const char *session_source_ip(struct hr_recorder *r, const struct hr_task *t)
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
static const char *session_via(struct hr_recorder *r, const struct hr_task *t)
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
static void w_principal(struct hr_recorder *r, uint32_t uid, const char *name, char **arn)
{
	struct jsonw *w = &r->w;
	char tail[HR_USER_NAME_MAX + 8];

	if (uid == 0) {
		*arn = make_arn(r, "iam", "root");
		jw_kstrz(w, "type", "Root");
		jw_kstrz(w, "principalId", "0");
		jw_kstrz(w, "arn", *arn);
		jw_kstrz(w, "accountId", r->frame.account_id);
		return;
	}
	snprintf(tail, sizeof(tail), "user/%s", name);
	*arn = make_arn(r, "iam", tail);
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
static int w_identity(struct hr_recorder *r, const struct hr_task *t, struct ident *id)
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
		w_principal(r, euid, ename, &id->user_arn);
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
		id->user_arn = make_arn(r, "sts", tail);
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
		w_principal(r, t->loginuid, lname, &larn);
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

static void ident_clear(struct ident *id)
{
	free(id->user_name);
	free(id->user_arn);
	free(id->access_key_id);
	free(id->acting_as);
	memset(id, 0, sizeof(*id));
}

/* Hand the identity's strings over to the record. */
static void ident_move(struct ident *id, struct hr_record *out)
{
	out->user_name = id->user_name;
	out->user_arn = id->user_arn;
	out->access_key_id = id->access_key_id;
	out->acting_as = id->acting_as;
	memset(id, 0, sizeof(*id));
}

/* ---- the common tail ---- */

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
	return "module";	/* Linux::KernelModule */
}

/* resources: [{accountId, type, ARN}], moving the names into out. */
static int w_resources(struct hr_recorder *r, struct hr_decoded *dec, struct hr_record *out)
{
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
		arn = make_arn(r, res_service(type), tail);
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

/* Copy the finished JSON into the record (the writer's buffer stays). */
static int finish(struct hr_recorder *r, struct hr_record *out)
{
	size_t len;
	const char *text;
	int rc = jw_error(&r->w);

	if (rc)
		return rc;
	text = jw_text(&r->w, &len);
	out->json = malloc(len + 1);
	if (!out->json)
		return -ENOMEM;
	memcpy(out->json, text, len + 1);
	out->len = len;
	return 0;
}

/* userAgent: the executable, else comm; valid UTF-8, at most 1 KB. The
 * exact bytes are in additionalEventData.process.exe. */
static void w_user_agent(struct jsonw *w, const struct hr_proc_info *pi, const char *comm)
{
	jw_key(w, "userAgent");
	if (pi->exe_known && pi->exe_len)
		jw_strn(w, pi->exe, pi->exe_len < USER_AGENT_MAX ? pi->exe_len : USER_AGENT_MAX);
	else
		jw_strn(w, comm, strnlen(comm, HR_COMM_LEN));
}

/* ---- system calls ---- */

static void w_additional(struct hr_recorder *r, const struct hr_syscall_desc *d,
			 const struct hr_syscall_event *ev, const struct hr_decoded *dec,
			 int64_t wall_ns, bool have_proc)
{
	const struct hr_task *t = &ev->hdr.task;
	const struct hr_proc_info *pi = &r->pi;
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
				jw_str(w, d->args[i].name ? d->args[i].name : "?");
		jw_arr_end(w);
	}
	jw_obj_end(w);
}

int hr_record_syscall(struct hr_recorder *r, const struct hr_syscall_event *ev,
		      size_t size, struct hr_record *out)
{
	const struct hr_syscall_desc *d;
	struct hr_decoded dec = { 0 };
	struct ident id = { 0 };
	struct jsonw *w = &r->w;
	const struct hr_task *t;
	const char *emsg = NULL;
	char ecode[32], rid[48];
	int64_t wall_ns;
	bool failed, have_proc;
	int rc;

	memset(out, 0, sizeof(*out));
	if (hr_syscall_event_check(ev, size))
		return -EINVAL;
	d = hr_syscall_lookup(ev->nr);
	if (!d)
		return -EINVAL;
	t = &ev->hdr.task;
	wall_ns = (int64_t)ev->hdr.boot_ns + r->clock_off;
	failed = hr_decode_error(ev->ret, ecode, sizeof(ecode), &emsg);
	have_proc = hr_procs_lookup(r->procs, t->tgid, &r->pi) == 0;

	jw_reset(w);
	jw_obj_begin(w);
	jw_kstrz(w, "eventVersion", EVENT_VERSION);
	rc = w_identity(r, t, &id);
	if (rc)
		goto fail;
	jw_kstrz(w, "eventTime", event_time(r, wall_ns));
	jw_kstrz(w, "eventSource", d->event_source);
	jw_kstrz(w, "eventName", d->event_name);
	jw_kstrz(w, "awsRegion", r->frame.region);
	jw_kstrz(w, "sourceIPAddress", session_source_ip(r, t));
	w_user_agent(w, &r->pi, t->comm);
	if (failed) {
		jw_kstrz(w, "errorCode", ecode);
		jw_kstrz(w, "errorMessage", emsg);
	}
	jw_key(w, "requestParameters");
	rc = hr_decode_request(w, &r->env, d, ev, &dec);
	if (rc)
		goto fail;
	jw_knull(w, "responseElements");
	w_additional(r, d, ev, &dec, wall_ns, have_proc);
	request_id(r, ev->hdr.boot_ns, t->pid, rid);
	jw_kstrz(w, "requestID", rid);
	rc = make_uuid(r, out->event_id);
	if (rc)
		goto fail;
	jw_kstrz(w, "eventID", out->event_id);
	/* every management call changes state; data events say */
	jw_kbool(w, "readOnly", hr_decode_read_only(d, ev));
	rc = w_resources(r, &dec, out);
	if (rc)
		goto fail;
	jw_kstrz(w, "eventType", "AwsApiCall");
	jw_kbool(w, "managementEvent", !strcmp(d->category, "Management"));
	jw_kstrz(w, "recipientAccountId", r->frame.account_id);
	jw_kstrz(w, "eventCategory", d->category);
	jw_obj_end(w);
	rc = finish(r, out);
	if (rc)
		goto fail;

	out->event_time_ns = wall_ns;
	out->event_name = d->event_name;
	out->event_source = d->event_source;
	out->event_category = d->category;
	out->event_type = "AwsApiCall";
	out->read_only = hr_decode_read_only(d, ev);
	out->source_ip = strdup(session_source_ip(r, t));
	out->via = session_via(r, t);
	out->error_code = failed ? strdup(ecode) : NULL;
	out->failed = failed;
	out->what = dec.what;	/* moved: dec no longer frees it */
	dec.what = NULL;
	if (!out->source_ip || (failed && !out->error_code)) {
		rc = -ENOMEM;
		goto fail;
	}
	ident_move(&id, out);
	hr_decoded_clear(&dec);
	return 0;
fail:
	ident_clear(&id);
	hr_decoded_clear(&dec);
	hr_record_free(out);
	return rc;
}

/* ---- the agent's own events ---- */

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

int hr_record_control(struct hr_recorder *r, const char *event_name,
		      const struct hr_task *caller, const char *extra_json,
		      struct hr_record *out)
{
	struct hr_control_call call = {
		.event_name = event_name, .caller = caller, .extra_json = extra_json,
	};

	return hr_record_control_call(r, &call, out);
}

int hr_record_control_call(struct hr_recorder *r, const struct hr_control_call *call,
			   struct hr_record *out)
{
	static const char *const names[] = { "StartLogging", "StopLogging", "PutEventSelectors",
					     "UpdateTrail" };
	const struct hr_task *caller = call->caller;
	const char *event_name = call->event_name, *extra_json = call->extra_json;
	const char *name = NULL;
	struct ident id = { 0 };
	struct jsonw *w = &r->w;
	struct hr_task root = { .loginuid = NO_ID, .sessionid = NO_ID };
	int64_t wall_ns = hr_clock_ns(CLOCK_REALTIME);
	size_t xlen = 0, qlen = 0, plen = 0;
	char rid[48];
	int rc;

	memset(out, 0, sizeof(*out));
	for (size_t k = 0; event_name && k < sizeof(names) / sizeof(names[0]); k++)
		if (!strcmp(event_name, names[k]))
			name = names[k];	/* struct hr_record wants a static string */
	if (!name)
		return -EINVAL;
	if ((extra_json && !(xlen = object_len(extra_json))) ||
	    (call->request_json && !(qlen = object_len(call->request_json))) ||
	    (call->response_json && !(plen = object_len(call->response_json))))
		return -EINVAL;

	jw_reset(w);
	jw_obj_begin(w);
	jw_kstrz(w, "eventVersion", EVENT_VERSION);
	rc = w_identity(r, caller ? caller : &root, &id);
	if (rc)
		goto fail;
	jw_kstrz(w, "eventTime", event_time(r, wall_ns));
	jw_kstrz(w, "eventSource", "hostrail.linux");
	jw_kstrz(w, "eventName", name);
	jw_kstrz(w, "awsRegion", r->frame.region);
	jw_kstrz(w, "sourceIPAddress", caller ? session_source_ip(r, caller) : "localhost");
	if (caller && hr_procs_lookup(r->procs, caller->tgid, &r->pi) == 0)
		w_user_agent(w, &r->pi, caller->comm);
	else if (caller)
		jw_kstr(w, "userAgent", caller->comm, strnlen(caller->comm, HR_COMM_LEN));
	else
		jw_kstrz(w, "userAgent", "hostraild");
	if (call->error_code) {
		jw_kstrz(w, "errorCode", call->error_code);
		jw_kstrz(w, "errorMessage", call->error_message ? call->error_message :
			 call->error_code);
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
	request_id(r, (uint64_t)hr_clock_ns(CLOCK_BOOTTIME),
		   caller ? caller->pid : (uint32_t)getpid(), rid);
	jw_kstrz(w, "requestID", rid);
	rc = make_uuid(r, out->event_id);
	if (rc)
		goto fail;
	jw_kstrz(w, "eventID", out->event_id);
	jw_kbool(w, "readOnly", false);
	jw_kstrz(w, "eventType", "AwsApiCall");
	jw_kbool(w, "managementEvent", true);
	jw_kstrz(w, "recipientAccountId", r->frame.account_id);
	jw_kstrz(w, "eventCategory", "Management");
	jw_obj_end(w);
	rc = finish(r, out);
	if (rc)
		goto fail;

	out->event_time_ns = wall_ns;
	out->event_name = name;
	out->event_source = "hostrail.linux";
	out->event_category = "Management";
	out->event_type = "AwsApiCall";
	out->read_only = false;
	out->source_ip = strdup("localhost");
	out->error_code = call->error_code ? strdup(call->error_code) : NULL;
	if (!out->source_ip || (call->error_code && !out->error_code)) {
		rc = -ENOMEM;
		goto fail;
	}
	ident_move(&id, out);
	return 0;
fail:
	ident_clear(&id);
	hr_record_free(out);
	return rc;
}

int hr_record_lost(struct hr_recorder *r, uint64_t count, int64_t from_ns, int64_t to_ns,
		   const char *reason, const char *sink, struct hr_record *out)
{
	struct jsonw *w = &r->w;
	int64_t wall_ns = hr_clock_ns(CLOCK_REALTIME);
	char t[32];
	int rc;

	memset(out, 0, sizeof(*out));
	jw_reset(w);
	jw_obj_begin(w);
	jw_kstrz(w, "eventVersion", EVENT_VERSION);
	jw_key(w, "userIdentity");
	jw_obj_begin(w);
	jw_kstrz(w, "type", "AWSService");
	jw_kstrz(w, "invokedBy", "hostrail.linux");
	jw_obj_end(w);
	jw_kstrz(w, "eventTime", event_time(r, wall_ns));
	jw_kstrz(w, "eventSource", "hostrail.linux");
	jw_kstrz(w, "eventName", "LostEvents");
	jw_kstrz(w, "awsRegion", r->frame.region);
	jw_kstrz(w, "sourceIPAddress", "hostrail.linux");
	jw_kstrz(w, "userAgent", "hostrail.linux");
	jw_knull(w, "requestParameters");
	jw_knull(w, "responseElements");
	rc = make_uuid(r, out->event_id);
	if (rc)
		goto fail;
	jw_kstrz(w, "eventID", out->event_id);
	jw_kbool(w, "readOnly", false);
	jw_kstrz(w, "eventType", "AwsServiceEvent");
	jw_kbool(w, "managementEvent", true);
	jw_kstrz(w, "recipientAccountId", r->frame.account_id);
	jw_key(w, "serviceEventDetails");
	jw_obj_begin(w);
	jw_kuint(w, "lostEvents", count);
	jw_kstrz(w, "reason", reason ? reason : "unknown");
	jw_kstrz(w, "sink", sink ? sink : "unknown");
	jw_key(w, "windowStart");
	if (hr_format_utc(from_ns / 1000000000LL, t, sizeof(t)))
		jw_str(w, t);
	else
		jw_null(w);
	jw_key(w, "windowEnd");
	/* rounded up: the window covers every lost event's second */
	if (hr_format_utc((to_ns + 999999999LL) / 1000000000LL, t, sizeof(t)))
		jw_str(w, t);
	else
		jw_null(w);
	jw_obj_end(w);
	jw_kstrz(w, "eventCategory", "Management");
	jw_obj_end(w);
	rc = finish(r, out);
	if (rc)
		goto fail;

	out->event_time_ns = wall_ns;
	out->event_name = "LostEvents";
	out->event_source = "hostrail.linux";
	out->event_category = "Management";
	out->event_type = "AwsServiceEvent";
	out->read_only = false;
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

/* ---- for the builders beside this file (record_int.h) ---- */

struct jsonw *hr_rec_writer(struct hr_recorder *r)
{
	return &r->w;
}

const struct hr_frame *hr_rec_frame(const struct hr_recorder *r)
{
	return &r->frame;
}

struct hr_sessions *hr_rec_sessions(struct hr_recorder *r)
{
	return r->sessions;
}

struct hr_logins *hr_rec_logins(struct hr_recorder *r)
{
	return r->logins;
}

int64_t hr_rec_wall_ns(const struct hr_recorder *r, uint64_t boot_ns)
{
	return (int64_t)boot_ns + r->clock_off;
}

int hr_rec_uuid(struct hr_recorder *r, char out[37])
{
	return make_uuid(r, out);
}

const char *hr_rec_event_time(struct hr_recorder *r, int64_t wall_ns)
{
	return event_time(r, wall_ns);
}

void hr_rec_request_id(const struct hr_recorder *r, uint64_t boot_ns, uint32_t tid, char out[48])
{
	request_id(r, boot_ns, tid, out);
}

char *hr_rec_arn(const struct hr_recorder *r, const char *service, const char *tail)
{
	return make_arn(r, service, tail);
}

int hr_rec_identity(struct hr_recorder *r, const struct hr_task *t, struct ident *id)
{
	return w_identity(r, t, id);
}

void hr_rec_principal(struct hr_recorder *r, uint32_t uid, const char *name, char **arn)
{
	w_principal(r, uid, name, arn);
}

void hr_rec_ident_clear(struct ident *id)
{
	ident_clear(id);
}

void hr_rec_ident_move(struct ident *id, struct hr_record *out)
{
	ident_move(id, out);
}

int hr_rec_finish(struct hr_recorder *r, struct hr_record *out)
{
	return finish(r, out);
}

const char *hr_rec_source_ip(struct hr_recorder *r, const struct hr_task *t)
{
	return session_source_ip(r, t);
}

const char *hr_rec_session_via(struct hr_recorder *r, const struct hr_task *t)
{
	return session_via(r, t);
}

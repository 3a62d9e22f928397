/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * record_int.h - the recorder and its writer helpers, for the record
 * builders beside record.c (syscall.c, own_events.c, signin.c, identity.c).
 * Not for the rest of the pipeline: they write into the recorder's one
 * reused JSON buffer.
 */
#ifndef HOSTRAIL_RECORD_INT_H
#define HOSTRAIL_RECORD_INT_H

#include "record.h"
#include "jsonw.h"
#include "decode/decode.h"
#include "enrich/procs.h"

#define EVENT_VERSION "1.11"
#define NO_ID 0xffffffffu
#define USER_AGENT_MAX 1024	/* CloudTrail cuts userAgent at 1 KB */
#define RND_POOL 4096

struct hr_sessions;
struct hr_logins;
struct hr_users;

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

/* What userIdentity said, for struct hr_record's index fields. */
struct ident {
	char *user_name;
	char *user_arn;
	char *access_key_id;
	char *acting_as;	/* AssumedRole: the effective user */
};

struct jsonw *hr_rec_writer(struct hr_recorder *r);
const struct hr_frame *hr_rec_frame(const struct hr_recorder *r);
struct hr_sessions *hr_rec_sessions(struct hr_recorder *r);
struct hr_logins *hr_rec_logins(struct hr_recorder *r);
int64_t hr_rec_wall_ns(const struct hr_recorder *r, uint64_t boot_ns);

int hr_rec_uuid(struct hr_recorder *r, char out[37]);
const char *hr_rec_event_time(struct hr_recorder *r, int64_t wall_ns);
void hr_rec_request_id(const struct hr_recorder *r, uint64_t boot_ns, uint32_t tid, char out[48]);
char *hr_rec_arn(const struct hr_recorder *r, const char *service, const char *tail);
/* userIdentity of t, as for a system call (see record.c w_identity). */
int hr_rec_identity(struct hr_recorder *r, const struct hr_task *t, struct ident *id);
/* The identity of uid on its own (Root or IAMUser members, no braces). */
void hr_rec_principal(struct hr_recorder *r, uint32_t uid, const char *name, char **arn);
void hr_rec_ident_clear(struct ident *id);
void hr_rec_ident_move(struct ident *id, struct hr_record *out);
/* userAgent: the executable, else comm (valid UTF-8, at most 1 KB). */
void hr_rec_user_agent(struct jsonw *w, const struct hr_proc_info *pi, const char *comm);

/* What names a record, and the parts of its tail that differ by kind. */
struct hr_rec_kind {
	const char *event_source, *event_name;	/* static strings */
	const char *event_type;			/* "AwsApiCall", ... */
	const char *category;			/* "Management", "Data" */
	bool read_only;
	int64_t wall_ns;
	const char *request_id;			/* NULL: none (LostEvents) */
	/* after readOnly: resources (system calls); may fail */
	int (*resources)(struct hr_recorder *r, void *arg, struct hr_record *out);
	/* before eventCategory: serviceEventDetails (LostEvents) */
	void (*details)(struct jsonw *w, void *arg);
	void *arg;
};
/* Write every record's tail from requestID on, close and finish the record
 * and set its index fields from k. 0 or -errno. */
int hr_rec_tail(struct hr_recorder *r, const struct hr_rec_kind *k, struct hr_record *out);
/* sourceIPAddress of a task: its session's address, else "localhost". */
const char *hr_rec_source_ip(struct hr_recorder *r, const struct hr_task *t);
/* How t's session logged in ("ssh", ...), NULL if not in a known session. */
const char *hr_rec_session_via(struct hr_recorder *r, const struct hr_task *t);

#endif

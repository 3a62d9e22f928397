/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * record_int.h - the record stage, for the pipeline that drives it
 * (pipeline/pipeline.c) and the builders beside record.c (syscall.c,
 * own_events.c, signin.c, identity.c). The record stage only writes: what
 * the event means comes decoded (struct hr_call), what the host knows
 * about its task comes enriched (enrich/enrich.h). Not for the rest of the
 * pipeline: the builders write into the stage's one reused JSON buffer.
 */
#ifndef HOSTRAIL_RECORD_INT_H
#define HOSTRAIL_RECORD_INT_H

#include "record.h"
#include "common/jsonw.h"
#include "decode/decode.h"
#include "decode/syscall_table.h"
#include "enrich/enrich.h"

#define EVENT_VERSION  "1.11"
#define NO_ID	       0xffffffffu
#define USER_AGENT_MAX 1024 /* CloudTrail cuts userAgent at 1 KB */
#define RND_POOL       4096

/* The record stage's state: the frame and what makes ids and times. */
struct hr_rec {
	struct hr_frame frame;
	struct jsonw w;
	int64_t clock_off;   /* CLOCK_REALTIME - CLOCK_BOOTTIME, ns */
	char boot_id[33];    /* 32 lower-case hex digits */
	char key_prefix[20]; /* "HRS" + 16 upper-case hex of boot_id */
	char arn_tail[96];   /* "<region>:<account>:" */
	int64_t last_sec;    /* eventTime of the previous record */
	char last_time[32];
	size_t rnd_off;
	unsigned char rnd[RND_POOL];
};

/* -EINVAL for a frame that would make bad ARNs, -ENOMEM. proc_root: where
 * the boot id is read (the requestIDs name the boot). */
int hr_rec_init(struct hr_rec *r, const struct hr_frame *frame, const char *proc_root);
void hr_rec_fini(struct hr_rec *r);

/* One system call as the decode stage understood it. */
struct hr_call {
	const struct hr_syscall_event *ev;
	const struct hr_syscall_desc *d;
	bool failed;
	char ecode[32]; /* errno name when failed */
	const char *emsg;
	bool read_only;
	const char *request; /* requestParameters' JSON text */
	size_t request_len;
	struct hr_decoded dec; /* resources and what; the record takes them */
};

/* The record of c for the task enrichment described in who (whose names
 * go over to the record). 0 or -errno. */
int hr_rec_syscall(struct hr_rec *r, struct hr_call *c, struct hr_who *who, struct hr_record *out);
/* who: the caller's, NULL for the agent itself. */
int hr_rec_control(struct hr_rec *r, const struct hr_control_call *call, struct hr_who *who,
		   struct hr_record *out);
int hr_rec_lost(struct hr_rec *r, uint64_t count, int64_t from_ns, int64_t to_ns,
		const char *reason, const char *sink, struct hr_record *out);
int hr_rec_signin(struct hr_rec *r, const struct hr_signin *si, struct hr_signin_who *sw,
		  struct hr_record *out);

/* What userIdentity said, for struct hr_record's index fields. */
struct ident {
	char *user_name;
	char *user_arn;
	char *access_key_id;
	char *acting_as; /* AssumedRole: the effective user */
};

int hr_rec_uuid(struct hr_rec *r, char out[37]);
const char *hr_rec_event_time(struct hr_rec *r, int64_t wall_ns);
void hr_rec_request_id(const struct hr_rec *r, uint64_t boot_ns, uint32_t tid, char out[48]);
char *hr_rec_arn(const struct hr_rec *r, const char *service, const char *tail);
/* userIdentity of t (identity.c); who's names go over to id. */
int hr_rec_identity(struct hr_rec *r, const struct hr_task *t, struct hr_who *who,
		    struct ident *id);
/* The identity of uid on its own (Root or IAMUser members, no braces). */
void hr_rec_principal(struct hr_rec *r, uint32_t uid, const char *name, char **arn);
void hr_rec_ident_clear(struct ident *id);
void hr_rec_ident_move(struct ident *id, struct hr_record *out);
/* userAgent: the executable, else comm (valid UTF-8, at most 1 KB). */
void hr_rec_user_agent(struct jsonw *w, const struct hr_proc_info *pi, const char *comm);

/* What names a record, and the parts of its tail that differ by kind. */
struct hr_rec_kind {
	const char *event_source, *event_name; /* static strings */
	const char *event_type;		       /* "AwsApiCall", ... */
	enum hr_category category;
	bool read_only;
	int64_t wall_ns;
	const char *request_id; /* NULL: none (LostEvents) */
	/* after readOnly: resources (system calls); may fail */
	int (*resources)(struct hr_rec *r, void *arg, struct hr_record *out);
	/* before eventCategory: serviceEventDetails (LostEvents) */
	void (*details)(struct jsonw *w, void *arg);
	void *arg;
};
/* Write every record's tail from requestID on, close and finish the record
 * and set its index fields from k. 0 or -errno. */
int hr_rec_tail(struct hr_rec *r, const struct hr_rec_kind *k, struct hr_record *out);

/* Every record's first key (out is cleared), then, after userIdentity,
 * the keys that say when, what and where. */
void hr_rec_begin(struct hr_rec *r, struct hr_record *out);
void hr_rec_what(struct hr_rec *r, int64_t wall_ns, const char *source, const char *name);
/* hr_rec_tail, then the index fields every kind has: source_ip and
 * error_code (copied; error_code may be NULL) and id's names (moved). On
 * failure out and id are freed. 0 or -errno. */
int hr_rec_finish(struct hr_rec *r, const struct hr_rec_kind *k, const char *source_ip,
		  const char *error_code, struct ident *id, struct hr_record *out);

#endif

/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * record_int.h - the recorder's writer helpers, for the record builders
 * that live beside record.c (signin.c). Not for the rest of the pipeline:
 * they write into the recorder's one reused JSON buffer.
 */
#ifndef HOSTRAIL_RECORD_INT_H
#define HOSTRAIL_RECORD_INT_H

#include "record.h"

struct jsonw;
struct hr_sessions;
struct hr_logins;
struct hr_users;

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
/* Copy the finished JSON into out->json. */
int hr_rec_finish(struct hr_recorder *r, struct hr_record *out);
/* sourceIPAddress of a task: its session's address, else "localhost". */
const char *hr_rec_source_ip(struct hr_recorder *r, const struct hr_task *t);
/* How t's session logged in ("ssh", ...), NULL if not in a known session. */
const char *hr_rec_session_via(struct hr_recorder *r, const struct hr_task *t);

#endif

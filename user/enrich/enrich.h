/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * enrich.h - the enrich stage: what the host knows about the task behind
 * an event (account names, its process, its login session), gathered
 * before its record is written, so that the record stage only writes.
 *
 * The enricher owns the caches (users, processes, login sessions, PAM
 * transactions) that exec/exit and login events keep up to date. Not
 * thread-safe: the agent's loop owns it.
 */
#ifndef HOSTRAIL_ENRICH_H
#define HOSTRAIL_ENRICH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "hostrail_abi.h"
#include "decode/decode.h"
#include "enrich/logins.h"
#include "enrich/procs.h"
#include "enrich/sessions.h"

struct hr_enricher;

struct hr_enricher_opts {
	const char *proc_root; /* "/proc" unless testing */
	size_t user_cache_max; /* 0: default */
	size_t proc_cache_max; /* 0: default */
	int64_t clock_off;     /* CLOCK_REALTIME - CLOCK_BOOTTIME, ns */
};

/* Also rebuilds the sessions opened before the agent (processes, utmp). */
int hr_enricher_new(const struct hr_enricher_opts *o, struct hr_enricher **out);
void hr_enricher_free(struct hr_enricher *e); /* NULL-safe */
void hr_enricher_set_clock(struct hr_enricher *e, int64_t realtime_minus_boottime_ns);

/* Feed the process cache from the exec/exit events of the ring buffer. */
void hr_enrich_exec(struct hr_enricher *e, const struct hr_exec_event *ev, size_t size);
void hr_enrich_exit(struct hr_enricher *e, const struct hr_exit_event *ev);

/* The caches the decode stage names users and executables with. */
void hr_enricher_decode_env(struct hr_enricher *e, struct hr_decode_env *env);
struct hr_logins *hr_enricher_logins(struct hr_enricher *e);

/* What enrichment knows about one task, for its record's userIdentity. */
struct hr_who {
	char *euid_name;    /* its effective user's account, "uid-<n>" when NSS has
				 * none; valid UTF-8; owned */
	char *login_name;   /* in a session as someone else: the login user's, else
				 * NULL; owned */
	bool session_known; /* its session id is in the table (whoever owns it) */
	bool session_mfa;
	int64_t session_created_ns;	   /* 0 when unknown */
	char source_ip[HR_SESSION_IP_MAX]; /* its own session's address, "localhost" */
	const char *via; /* how its session logged in, NULL if not in a known one */
	bool have_proc;
	const struct hr_proc_info *proc; /* the enricher's: valid until the next call */
};

/* proc: look its process up too. 0 or -ENOMEM. */
int hr_enrich_task(struct hr_enricher *e, const struct hr_task *t, bool proc, struct hr_who *out);
void hr_who_clear(struct hr_who *w); /* leaves it zeroed */

/* What enrichment knows about a sign-in: the target account and the
 * identity (task) the record names. */
struct hr_signin_who {
	bool user_known; /* si->user is an account (NSS) */
	uint32_t user_uid;
	struct hr_task task; /* logins: the user signing in; su/sudo: the caller,
				 * as its real uid */
	struct hr_who who;   /* of task; not filled for an unknown login user */
};

/*
 * Before the record of si: open the session a login starts (so that its
 * ConsoleLogin already carries the creationDate every later record of the
 * session carries) and gather who. After the record: hr_enrich_signin_done
 * closes the session a logout ends. 0 or -ENOMEM.
 */
int hr_enrich_signin(struct hr_enricher *e, const struct hr_signin *si, struct hr_signin_who *out);
void hr_enrich_signin_done(struct hr_enricher *e, const struct hr_signin *si);

#endif

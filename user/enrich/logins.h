/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * logins.h - PAM and libaudit calls (HR_EV_LOGIN) into sign-in outcomes.
 *
 * One PAM transaction is every call made on one pam_handle_t, from
 * pam_start to pam_end, by the process that started it or a child it
 * forked (sshd runs keyboard-interactive PAM in a forked child). The
 * tracker follows each transaction and says, as soon as it is known,
 * what a CloudTrail reader needs: a login succeeded or failed (and how),
 * a session closed, su switched user, sudo ran a command or refused.
 * It decides nothing about identities (that is NSS, in the recorder) and
 * keeps nothing secret: the BPF side never reads tokens. Bounded; an
 * evicted open transaction is counted. Not thread-safe.
 */
#ifndef HOSTRAIL_LOGINS_H
#define HOSTRAIL_LOGINS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "hostrail_abi.h"

#define HR_LOGINS_DEFAULT_MAX 256

enum hr_signin_kind {
	HR_SIGNIN_LOGIN = 1, /* ConsoleLogin */
	HR_SIGNIN_LOGOUT,    /* ConsoleLogout */
	HR_SIGNIN_SWITCH,    /* SwitchRole: su */
	HR_SIGNIN_ASSUME,    /* AssumeRole: sudo */
};

/* One outcome. Strings are NUL-terminated, untrusted bytes (escape them),
 * valid only during the callback. */
struct hr_signin {
	enum hr_signin_kind kind;
	bool success;
	const char *service;	      /* PAM service: "sshd", "login", "su", "sudo" */
	const char *user;	      /* who logs in; su/sudo: the target user */
	const char *rhost;	      /* PAM_RHOST, "" when none */
	const char *tty;	      /* PAM_TTY, "" when none */
	const char *method;	      /* "password", "keyboard-interactive", "publickey",
				 * "none" (static) */
	int pam_result;		      /* the failing PAM code, or -1 */
	bool not_allowed;	      /* sudo: refused by policy, not by authentication */
	const char *command;	      /* sudo: the command, else NULL */
	unsigned int failed_attempts; /* authentications that failed in it */
	uint32_t sessionid;	      /* LOGIN success / LOGOUT: the audit session */
	uint32_t loginuid;
	const struct hr_task *caller; /* who made the call (su/sudo: the invoker) */
	uint64_t boot_ns;	      /* when (CLOCK_BOOTTIME) */
};

typedef void (*hr_signin_fn)(void *ctx, const struct hr_signin *si);

struct hr_logins;

struct hr_logins_stats {
	uint64_t events, transactions, evicted_open, ignored_services;
};

int hr_logins_new(size_t max, struct hr_logins **out); /* 0 or -ENOMEM */
void hr_logins_free(struct hr_logins *l);	       /* NULL-safe */

/* One event as received (size = bytes). Calls fn for each outcome it
 * completes. Returns 0, or -EINVAL for a malformed event. */
int hr_logins_event(struct hr_logins *l, const struct hr_login_event *ev, size_t size,
		    hr_signin_fn fn, void *ctx);

void hr_logins_get_stats(const struct hr_logins *l, struct hr_logins_stats *st);

/* "PAM_AUTH_ERR" and "Authentication failure" for a PAM code. */
const char *hr_pam_code_name(int code);
const char *hr_pam_code_text(int code);

/* sudo's target user from its argv (NUL-separated, len bytes): the
 * -u/--user option, else "root". Copied into buf. */
void hr_sudo_target(const char *argv, size_t len, char *buf, size_t size);

#endif

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * logins.c - PAM transactions into sign-in outcomes (see logins.h).
 *
 * What the installed programs really do (Debian 12: OpenSSH 9.2, sudo
 * 1.9.13, util-linux su; seen with these very probes, docs/logins.md):
 *  - sshd password: pam_authenticate in the monitor, then pam_acct_mgmt,
 *    pam_open_session (pam_loginuid assigns the audit session there).
 *  - sshd keyboard-interactive: pam_authenticate and pam_acct_mgmt in a
 *    child the monitor forks, on the same handle.
 *  - sshd public key: no pam_authenticate at all; pam_acct_mgmt, then
 *    pam_open_session. A refused key makes no PAM call: sshd reports it
 *    with audit_log_acct_message(op "login", result 0), and ends the
 *    transaction with pam_end(PAM_SUCCESS) all the same.
 *  - su: pam_authenticate, pam_acct_mgmt, pam_open_session, all in su.
 *  - sudo: pam_authenticate (up to three times), pam_acct_mgmt; the
 *    verdict (allowed, refused by sudoers, wrong password) is its
 *    audit_log_user_command(result), sometimes after pam_end.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "logins.h"

#define NO_ID		 0xffffffffu
#define AUDIT_USER_LOGIN 1112
#define AUDIT_USER_CMD	 1123
#define PAM_DATA_FLAGS	 0x60000000 /* PAM_DATA_SILENT | PAM_DATA_REPLACE */
#define AUDIT_SLOTS	 64

enum txn_kind { TXN_LOGIN, TXN_SU, TXN_SUDO, TXN_IGNORED };

struct txn {
	bool valid;
	bool ended; /* pam_end seen: kept for sudo's late verdict */
	uint64_t used;
	uint32_t owner; /* tgid that called pam_start */
	uint64_t handle;
	enum txn_kind kind;
	struct hr_task caller; /* pam_start's caller */
	bool authed, acct_failed, session_open, last_auth_failed;
	unsigned int auth_failures;
	int last_pam_err;
	const char *method; /* of the successful authentication */
	uint32_t sessionid, loginuid;
	char service[64];
	char user[HR_LOGIN_STR_MAX];
	char rhost[HR_LOGIN_STR_MAX];
	char tty[64];
};

/* sshd's own "login failed" reports, per process, until its pam_end. */
struct audit_slot {
	uint32_t tgid;
	unsigned int failures;
	uint64_t used;
};

struct hr_logins {
	struct txn *t;
	size_t max;
	uint64_t tick;
	struct audit_slot audit[AUDIT_SLOTS];
	struct hr_logins_stats st;
};

/* Services that authenticate no person: a cron job, a systemd user
 * manager started for a login that is already recorded, runuser, and
 * password changes by root's tools. */
static const char *const ignored_services[] = {
	"cron", "atd", "systemd-user", "runuser", "runuser-l", "chpasswd", "newusers",
};

static enum txn_kind kind_of(const char *service)
{
	for (size_t i = 0; i < sizeof(ignored_services) / sizeof(ignored_services[0]); i++)
		if (!strcmp(service, ignored_services[i]))
			return TXN_IGNORED;
	if (!strcmp(service, "su") || !strcmp(service, "su-l"))
		return TXN_SU;
	if (!strcmp(service, "sudo") || !strcmp(service, "sudo-i"))
		return TXN_SUDO;
	return TXN_LOGIN;
}

int hr_logins_new(size_t max, struct hr_logins **out)
{
	struct hr_logins *l;

	*out = NULL;
	if (!max)
		max = HR_LOGINS_DEFAULT_MAX;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->t = calloc(max, sizeof(*l->t));
	if (!l->t) {
		free(l);
		return -ENOMEM;
	}
	l->max = max;
	*out = l;
	return 0;
}

void hr_logins_free(struct hr_logins *l)
{
	if (!l)
		return;
	free(l->t);
	free(l);
}

void hr_logins_get_stats(const struct hr_logins *l, struct hr_logins_stats *st)
{
	*st = l->st;
}

static const struct {
	const char *name, *text;
} pam_codes[] = {
	[0] = {"PAM_SUCCESS", "Success"},
	[1] = {"PAM_OPEN_ERR", "Failed to load module"},
	[2] = {"PAM_SYMBOL_ERR", "Symbol not found"},
	[3] = {"PAM_SERVICE_ERR", "Error in service module"},
	[4] = {"PAM_SYSTEM_ERR", "System error"},
	[5] = {"PAM_BUF_ERR", "Memory buffer error"},
	[6] = {"PAM_PERM_DENIED", "Permission denied"},
	[7] = {"PAM_AUTH_ERR", "Authentication failure"},
	[8] = {"PAM_CRED_INSUFFICIENT", "Insufficient credentials to access authentication data"},
	[9] = {"PAM_AUTHINFO_UNAVAIL",
	       "Authentication service cannot retrieve authentication info"},
	[10] = {"PAM_USER_UNKNOWN", "User not known to the underlying authentication module"},
	[11] = {"PAM_MAXTRIES", "Have exhausted maximum number of retries for service"},
	[12] = {"PAM_NEW_AUTHTOK_REQD",
		"Authentication token is no longer valid; new one required"},
	[13] = {"PAM_ACCT_EXPIRED", "User account has expired"},
	[14] = {"PAM_SESSION_ERR", "Cannot make/remove an entry for the specified session"},
	[15] = {"PAM_CRED_UNAVAIL", "Authentication service cannot retrieve user credentials"},
	[16] = {"PAM_CRED_EXPIRED", "User credentials expired"},
	[17] = {"PAM_CRED_ERR", "Failure setting user credentials"},
	[18] = {"PAM_NO_MODULE_DATA", "No module specific data is present"},
	[19] = {"PAM_CONV_ERR", "Conversation error"},
	[20] = {"PAM_AUTHTOK_ERR", "Authentication token manipulation error"},
	[21] = {"PAM_AUTHTOK_RECOVERY_ERR", "Authentication information cannot be recovered"},
	[22] = {"PAM_AUTHTOK_LOCK_BUSY", "Authentication token lock busy"},
	[23] = {"PAM_AUTHTOK_DISABLE_AGING", "Authentication token aging disabled"},
	[24] = {"PAM_TRY_AGAIN", "Failed preliminary check by password service"},
	[25] = {"PAM_IGNORE", "The return value should be ignored by PAM dispatch"},
	[26] = {"PAM_ABORT", "Critical error - immediate abort"},
	[27] = {"PAM_AUTHTOK_EXPIRED", "Authentication token expired"},
	[28] = {"PAM_MODULE_UNKNOWN", "Module is unknown"},
	[29] = {"PAM_BAD_ITEM", "Bad item passed to pam_*_item()"},
	[30] = {"PAM_CONV_AGAIN", "Conversation is waiting for event"},
	[31] = {"PAM_INCOMPLETE", "Application needs to call libpam again"},
};

#define N_PAM_CODES ((int)(sizeof(pam_codes) / sizeof(pam_codes[0])))

const char *hr_pam_code_name(int code)
{
	return code >= 0 && code < N_PAM_CODES ? pam_codes[code].name : "PAM_UNKNOWN";
}

const char *hr_pam_code_text(int code)
{
	return code >= 0 && code < N_PAM_CODES ? pam_codes[code].text : "Unknown PAM error";
}

/* An option of sudo that takes an argument (sudo(8), 1.9). */
static bool sudo_short_arg(char c)
{
	return c && strchr("CDgpRrTtUu", c);
}

static const char *const sudo_long_arg[] = {
	"--close-from", "--chdir", "--group",		"--host",	"--prompt", "--chroot",
	"--role",	"--type",  "--command-timeout", "--other-user", "--user",
};

void hr_sudo_target(const char *argv, size_t len, char *buf, size_t size)
{
	const char *target = "root", *end = argv + len;
	size_t tlen = 4;
	bool take_user = false, take_other = false;

	/* argv[0] is sudo itself */
	for (const char *a = argv + strnlen(argv, len) + 1; a < end; a += strnlen(a, end - a) + 1) {
		size_t al = strnlen(a, end - a);

		if (take_user || take_other) {
			if (take_user) {
				target = a;
				tlen = al;
			}
			take_user = take_other = false;
			continue;
		}
		if (al < 2 || a[0] != '-' || !strcmp(a, "--"))
			break; /* the command starts here */
		if (a[1] == '-') {
			const char *eq = memchr(a, '=', al);
			size_t nl = eq ? (size_t)(eq - a) : al;

			for (size_t k = 0; k < sizeof(sudo_long_arg) / sizeof(sudo_long_arg[0]);
			     k++) {
				if (strlen(sudo_long_arg[k]) != nl ||
				    strncmp(a, sudo_long_arg[k], nl))
					continue;
				if (!strcmp(sudo_long_arg[k], "--user") && eq) {
					target = eq + 1;
					tlen = al - nl - 1;
				} else if (!eq) {
					take_user = !strcmp(sudo_long_arg[k], "--user");
					take_other = !take_user;
				}
			}
			continue;
		}
		for (size_t i = 1; i < al; i++) {
			if (!sudo_short_arg(a[i]))
				continue;
			if (i + 1 < al) {
				if (a[i] == 'u') {
					target = a + i + 1;
					tlen = al - i - 1;
				}
			} else {
				take_user = a[i] == 'u';
				take_other = !take_user;
			}
			break;
		}
	}
	/* "-u #1001" names a uid: left as written; the recorder resolves names */
	snprintf(buf, size, "%.*s", (int)tlen, target);
}

/* ---- the transaction table ---- */

static struct txn *txn_find(struct hr_logins *l, uint32_t tgid, uint64_t handle)
{
	for (size_t i = 0; i < l->max; i++)
		if (l->t[i].valid && l->t[i].owner == tgid && l->t[i].handle == handle)
			return &l->t[i];
	return NULL;
}

/* The transaction a call belongs to: its own process's, else its parent's
 * (a child forked to run the conversation). */
static struct txn *txn_of(struct hr_logins *l, const struct hr_login_event *ev)
{
	struct txn *t = txn_find(l, ev->hdr.task.tgid, ev->handle);

	if (!t)
		t = txn_find(l, ev->hdr.task.ppid, ev->handle);
	if (t)
		t->used = ++l->tick;
	return t;
}

/* The newest transaction a process owns (sudo's verdict may follow pam_end). */
static struct txn *txn_latest(struct hr_logins *l, uint32_t tgid)
{
	struct txn *best = NULL;

	for (size_t i = 0; i < l->max; i++)
		if (l->t[i].valid && l->t[i].owner == tgid && (!best || l->t[i].used > best->used))
			best = &l->t[i];
	return best;
}

static struct txn *txn_new(struct hr_logins *l)
{
	struct txn *v = NULL;

	for (size_t i = 0; i < l->max && !v; i++)
		if (!l->t[i].valid)
			v = &l->t[i];
	for (size_t i = 0; i < l->max && !v; i++)
		if (l->t[i].ended)
			v = &l->t[i];
	if (!v) {
		v = &l->t[0];
		for (size_t i = 1; i < l->max; i++)
			if (l->t[i].used < v->used)
				v = &l->t[i];
		l->st.evicted_open++;
	}
	memset(v, 0, sizeof(*v));
	v->valid = true;
	v->used = ++l->tick;
	l->st.transactions++;
	return v;
}

static struct audit_slot *audit_slot(struct hr_logins *l, uint32_t tgid, bool create)
{
	struct audit_slot *v = &l->audit[0];

	for (int i = 0; i < AUDIT_SLOTS; i++)
		if (l->audit[i].tgid == tgid && l->audit[i].failures)
			return &l->audit[i];
	if (!create)
		return NULL;
	for (int i = 1; i < AUDIT_SLOTS; i++)
		if (l->audit[i].used < v->used)
			v = &l->audit[i];
	memset(v, 0, sizeof(*v));
	v->tgid = tgid;
	return v;
}

/* A bounded, NUL-terminated copy of string slot k. */
static void copy_str(const struct hr_login_event *ev, int k, char *dst, size_t size)
{
	const char *src = k == HR_LOGIN_STRS - 1 ? ev->argv : ev->strs[k];
	size_t max = k == HR_LOGIN_STRS - 1 ? HR_LOGIN_ARGV_MAX : HR_LOGIN_STR_MAX;
	size_t n = ev->str_len[k] <= max ? ev->str_len[k] : max;

	n = strnlen(src, n);
	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static void outcome(struct txn *t, const struct hr_login_event *ev, struct hr_signin *si,
		    enum hr_signin_kind kind, bool success)
{
	memset(si, 0, sizeof(*si));
	si->kind = kind;
	si->success = success;
	si->service = t->service;
	si->user = t->user;
	si->rhost = t->rhost;
	si->tty = t->tty;
	si->method = t->method ? t->method : "none";
	si->pam_result = -1;
	si->failed_attempts = t->auth_failures;
	si->sessionid = NO_ID;
	si->loginuid = NO_ID;
	si->caller = &ev->hdr.task;
	si->boot_ns = ev->hdr.boot_ns;
}

/* A failed PAM step: su and login report it at once; sudo waits for
 * its own verdict. */
static void step_failed(struct txn *t, const struct hr_login_event *ev, const char *method,
			hr_signin_fn fn, void *ctx)
{
	struct hr_signin si;

	t->last_pam_err = ev->ret;
	if (t->kind == TXN_SUDO || t->kind == TXN_IGNORED)
		return;
	outcome(t, ev, &si, t->kind == TXN_SU ? HR_SIGNIN_SWITCH : HR_SIGNIN_LOGIN, false);
	si.method = method;
	si.pam_result = ev->ret;
	fn(ctx, &si);
}

static void on_end(struct hr_logins *l, struct txn *t, const struct hr_login_event *ev,
		   hr_signin_fn fn, void *ctx)
{
	struct audit_slot *a = audit_slot(l, t->owner, false);
	struct hr_signin si;

	/* Nothing but sshd's audit reports says a key (or an unknown user
	 * with a key) was refused: one failure for the connection. */
	if (a && t->kind == TXN_LOGIN && !t->session_open && !t->auth_failures && !t->acct_failed) {
		outcome(t, ev, &si, HR_SIGNIN_LOGIN, false);
		si.method = "publickey";
		si.failed_attempts = a->failures;
		si.pam_result = -1;
		fn(ctx, &si);
	}
	if (a)
		memset(a, 0, sizeof(*a));
	t->ended = true;
}

static void on_audit_cmd(struct hr_logins *l, const struct hr_login_event *ev, hr_signin_fn fn,
			 void *ctx)
{
	struct txn *t = txn_latest(l, ev->hdr.task.tgid);
	char command[HR_LOGIN_STR_MAX], target[HR_LOGIN_STR_MAX];
	struct txn none = {0};
	struct hr_signin si;

	if (ev->audit_type != AUDIT_USER_CMD)
		return;
	if (!t || t->kind != TXN_SUDO) {
		/* sudo without a PAM conversation (a policy refusal before
		 * any, or a PAM-less build): the verdict stands alone */
		t = &none;
		snprintf(t->service, sizeof(t->service), "sudo");
		t->kind = TXN_SUDO;
	}
	copy_str(ev, 0, command, sizeof(command));
	hr_sudo_target(ev->argv,
		       ev->str_len[HR_LOGIN_STRS - 1] <= HR_LOGIN_ARGV_MAX ?
			       ev->str_len[HR_LOGIN_STRS - 1] :
			       HR_LOGIN_ARGV_MAX,
		       target, sizeof(target));
	outcome(t, ev, &si, HR_SIGNIN_ASSUME, ev->ret == 1);
	si.user = target;
	si.command = command;
	if (ev->ret != 1) {
		si.not_allowed = !t->last_auth_failed;
		si.pam_result = t->last_auth_failed ? t->last_pam_err : -1;
	}
	fn(ctx, &si);
}

int hr_logins_event(struct hr_logins *l, const struct hr_login_event *ev, size_t size,
		    hr_signin_fn fn, void *ctx)
{
	struct hr_signin si;
	struct txn *t;

	if (!ev || size < sizeof(*ev) || ev->hdr.type != HR_EV_LOGIN)
		return -EINVAL;
	l->st.events++;
	switch (ev->op) {
	case HR_LOGIN_PAM_START:
		if (ev->ret != 0 || !ev->handle)
			return 0;
		t = txn_find(l, ev->hdr.task.tgid, ev->handle);
		if (!t)
			t = txn_new(l);
		else
			memset(t, 0, sizeof(*t));
		t->valid = true;
		t->used = ++l->tick;
		t->owner = ev->hdr.task.tgid;
		t->handle = ev->handle;
		t->caller = ev->hdr.task;
		copy_str(ev, 0, t->service, sizeof(t->service));
		copy_str(ev, 1, t->user, sizeof(t->user));
		t->kind = kind_of(t->service);
		if (t->kind == TXN_IGNORED)
			l->st.ignored_services++;
		return 0;
	case HR_LOGIN_AUDIT_ACCT:
		if (ev->audit_type == AUDIT_USER_LOGIN && ev->ret == 0 && ev->str_len[0] &&
		    !strncmp(ev->strs[0], "login", HR_LOGIN_STR_MAX)) {
			struct audit_slot *a = audit_slot(l, ev->hdr.task.tgid, true);

			a->failures++;
			a->used = ++l->tick;
		}
		return 0;
	case HR_LOGIN_AUDIT_CMD:
		on_audit_cmd(l, ev, fn, ctx);
		return 0;
	}

	t = txn_of(l, ev);
	if (!t || t->ended)
		return 0; /* began before the agent, or not a transaction we follow */
	switch (ev->op) {
	case HR_LOGIN_PAM_SET_ITEM:
		if (ev->item == HR_PAM_USER)
			copy_str(ev, 0, t->user, sizeof(t->user));
		else if (ev->item == HR_PAM_RHOST)
			copy_str(ev, 0, t->rhost, sizeof(t->rhost));
		else if (ev->item == HR_PAM_TTY)
			copy_str(ev, 0, t->tty, sizeof(t->tty));
		else if (ev->item == HR_PAM_SERVICE) {
			copy_str(ev, 0, t->service, sizeof(t->service));
			t->kind = kind_of(t->service);
		}
		break;
	case HR_LOGIN_PAM_AUTHENTICATE: {
		/* sshd runs keyboard-interactive in a forked child */
		const char *method = ev->hdr.task.tgid != t->owner ? "keyboard-interactive" :
								     "password";

		if (ev->ret == 0) {
			t->authed = true;
			t->last_auth_failed = false;
			t->method = method;
		} else {
			t->auth_failures++;
			t->last_auth_failed = true;
			step_failed(t, ev, method, fn, ctx);
		}
		break;
	}
	case HR_LOGIN_PAM_ACCT_MGMT:
		if (ev->ret != 0) {
			t->acct_failed = true;
			step_failed(t, ev, t->method ? t->method : "none", fn, ctx);
		}
		break;
	case HR_LOGIN_PAM_OPEN_SESSION:
		if (t->kind == TXN_IGNORED || t->kind == TXN_SUDO)
			break;
		if (ev->ret != 0) {
			step_failed(t, ev, t->method ? t->method : "none", fn, ctx);
			break;
		}
		/* Not authenticated through PAM: for sshd that is a key (or
		 * host-based, GSSAPI) accepted by sshd itself. */
		if (!t->authed)
			t->method = !strcmp(t->service, "sshd") ? "publickey" : "none";
		t->session_open = true;
		/* the audit session pam_loginuid just gave this process */
		t->sessionid = ev->hdr.task.sessionid;
		t->loginuid = ev->hdr.task.loginuid;
		outcome(t, ev, &si, t->kind == TXN_SU ? HR_SIGNIN_SWITCH : HR_SIGNIN_LOGIN, true);
		si.sessionid = t->sessionid;
		si.loginuid = t->loginuid;
		fn(ctx, &si);
		break;
	case HR_LOGIN_PAM_CLOSE_SESSION:
		if (t->kind != TXN_LOGIN || !t->session_open)
			break;
		t->session_open = false;
		outcome(t, ev, &si, HR_SIGNIN_LOGOUT, ev->ret == 0);
		si.sessionid = t->sessionid;
		si.loginuid = t->loginuid;
		fn(ctx, &si);
		break;
	case HR_LOGIN_PAM_END:
		/* only the process that started it ends it (a forked child's
		 * pam_end is its own cleanup) */
		if (ev->hdr.task.tgid == t->owner)
			on_end(l, t, ev, fn, ctx);
		break;
	default:
		return -EINVAL;
	}
	return 0;
}

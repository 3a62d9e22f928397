// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_logins.c - the login tracker on the call sequences the installed
 * sshd, su and sudo really make (recorded with the probes, see
 * user/enrich/logins.c), the sign-in record built from them, sudo's
 * argv, the session table and the ld.so.cache reader.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>
#include "harness.h"
#include "capture/uprobes.h"
#include "enrich/logins.h"
#include "enrich/sessions.h"
#include "record/record.h"
#include "record/signin.h"

#define NO_ID 0xffffffffu
#define H1    0x5600aa000a80ULL

struct got {
	int n;
	struct hr_signin si[8];
	char user[8][64], method[8][32], command[8][64];
};

static void collect(void *ctx, const struct hr_signin *si)
{
	struct got *g = ctx;

	if (g->n >= 8)
		return;
	g->si[g->n] = *si;
	snprintf(g->user[g->n], 64, "%s", si->user);
	snprintf(g->method[g->n], 32, "%s", si->method);
	snprintf(g->command[g->n], 64, "%s", si->command ? si->command : "");
	g->n++;
}

static struct hr_login_event *ev_new(int op, uint32_t tgid, uint32_t ppid, uint64_t handle, int ret)
{
	struct hr_login_event *e = calloc(1, sizeof(*e));

	e->hdr.type = HR_EV_LOGIN;
	e->hdr.size = sizeof(*e);
	e->hdr.boot_ns = 1000;
	e->hdr.task.tgid = e->hdr.task.pid = tgid;
	e->hdr.task.ppid = ppid;
	e->hdr.task.loginuid = e->hdr.task.sessionid = NO_ID;
	e->op = op;
	e->handle = handle;
	e->ret = ret;
	return e;
}

static void ev_str(struct hr_login_event *e, int k, const char *s)
{
	snprintf(e->strs[k], HR_LOGIN_STR_MAX, "%s", s);
	e->str_len[k] = strlen(s) + 1;
}

/* Feed one event and free it. */
static int feed(struct hr_logins *l, struct hr_login_event *e, struct got *g)
{
	int rc = hr_logins_event(l, e, sizeof(*e), collect, g);

	free(e);
	return rc;
}

static void start(struct hr_logins *l, struct got *g, uint32_t tgid, const char *service,
		  const char *user, const char *rhost)
{
	struct hr_login_event *e = ev_new(HR_LOGIN_PAM_START, tgid, 1, H1, 0);

	ev_str(e, 0, service);
	ev_str(e, 1, user);
	feed(l, e, g);
	if (rhost) {
		e = ev_new(HR_LOGIN_PAM_SET_ITEM, tgid, 1, H1, 0);
		e->item = HR_PAM_RHOST;
		ev_str(e, 0, rhost);
		feed(l, e, g);
	}
}

static void open_session(struct hr_logins *l, struct got *g, uint32_t tgid, uint32_t luid,
			 uint32_t sid)
{
	struct hr_login_event *e = ev_new(HR_LOGIN_PAM_OPEN_SESSION, tgid, 1, H1, 0);

	e->hdr.task.loginuid = luid;
	e->hdr.task.sessionid = sid;
	feed(l, e, g);
}

static void sshd_audit_failure(struct hr_logins *l, struct got *g, uint32_t tgid)
{
	struct hr_login_event *e = ev_new(HR_LOGIN_AUDIT_ACCT, tgid, 1, 0, 0);

	e->audit_type = 1112;
	ev_str(e, 0, "login");
	ev_str(e, 1, "(invalid user)");
	feed(l, e, g);
}

TEST(test_sshd_password_then_logout)
{
	struct hr_logins *l;
	struct got g = {0};

	CHECK_INT(hr_logins_new(0, &l), 0);
	start(l, &g, 100, "sshd", "alice", "192.0.2.7");
	feed(l, ev_new(HR_LOGIN_PAM_AUTHENTICATE, 100, 1, H1, 0), &g);
	feed(l, ev_new(HR_LOGIN_PAM_ACCT_MGMT, 100, 1, H1, 0), &g);
	CHECK_INT(g.n, 0);
	open_session(l, &g, 100, 1001, 42);
	CHECK_INT(g.n, 1);
	CHECK_INT(g.si[0].kind, HR_SIGNIN_LOGIN);
	CHECK(g.si[0].success);
	CHECK_STR(g.user[0], "alice");
	CHECK_STR(g.method[0], "password");
	CHECK_INT(g.si[0].sessionid, 42);
	CHECK_INT(g.si[0].loginuid, 1001);
	feed(l, ev_new(HR_LOGIN_PAM_CLOSE_SESSION, 100, 1, H1, 0), &g);
	CHECK_INT(g.n, 2);
	CHECK_INT(g.si[1].kind, HR_SIGNIN_LOGOUT);
	CHECK_INT(g.si[1].sessionid, 42);
	feed(l, ev_new(HR_LOGIN_PAM_END, 100, 1, H1, 0), &g);
	CHECK_INT(g.n, 2);
	hr_logins_free(l);
}

TEST(test_sshd_keyboard_interactive_in_a_child)
{
	struct hr_logins *l;
	struct got g = {0};

	CHECK_INT(hr_logins_new(0, &l), 0);
	start(l, &g, 200, "sshd", "alice", "127.0.0.1");
	/* sshd forks the conversation: same handle, child process */
	feed(l, ev_new(HR_LOGIN_PAM_AUTHENTICATE, 201, 200, H1, 7), &g);
	CHECK_INT(g.n, 1);
	CHECK(!g.si[0].success);
	CHECK_STR(g.method[0], "keyboard-interactive");
	CHECK_INT(g.si[0].pam_result, 7);
	CHECK_INT(g.si[0].failed_attempts, 1);
	feed(l, ev_new(HR_LOGIN_PAM_AUTHENTICATE, 202, 200, H1, 0), &g);
	feed(l, ev_new(HR_LOGIN_PAM_ACCT_MGMT, 202, 200, H1, 0), &g);
	/* a child's own pam_end is its cleanup, not the end */
	feed(l, ev_new(HR_LOGIN_PAM_END, 202, 200, H1, 0), &g);
	open_session(l, &g, 200, 1001, 43);
	CHECK_INT(g.n, 2);
	CHECK(g.si[1].success);
	CHECK_STR(g.method[1], "keyboard-interactive");
	/* sshd's own audit report of the failure adds nothing */
	sshd_audit_failure(l, &g, 200);
	feed(l, ev_new(HR_LOGIN_PAM_END, 200, 1, H1, 0), &g);
	CHECK_INT(g.n, 2);
	hr_logins_free(l);
}

TEST(test_sshd_public_key_right_and_refused)
{
	struct hr_logins *l;
	struct got g = {0};

	CHECK_INT(hr_logins_new(0, &l), 0);
	/* accepted key: no pam_authenticate at all */
	start(l, &g, 300, "sshd", "alice", "127.0.0.1");
	feed(l, ev_new(HR_LOGIN_PAM_ACCT_MGMT, 300, 1, H1, 0), &g);
	open_session(l, &g, 300, 1001, 44);
	CHECK_INT(g.n, 1);
	CHECK_STR(g.method[0], "publickey");
	/* refused key: only sshd's audit report, then pam_end(PAM_SUCCESS) */
	start(l, &g, 301, "sshd", "alice", "127.0.0.1");
	sshd_audit_failure(l, &g, 301);
	sshd_audit_failure(l, &g, 301);
	CHECK_INT(g.n, 1);
	feed(l, ev_new(HR_LOGIN_PAM_END, 301, 1, H1, 0), &g);
	CHECK_INT(g.n, 2);
	CHECK(!g.si[1].success);
	CHECK_STR(g.method[1], "publickey");
	CHECK_INT(g.si[1].failed_attempts, 2);
	CHECK_INT(g.si[1].pam_result, -1);
	/* a wrong password is reported once, by PAM, not again at the end */
	start(l, &g, 302, "sshd", "alice", "127.0.0.1");
	feed(l, ev_new(HR_LOGIN_PAM_AUTHENTICATE, 302, 1, H1, 7), &g);
	sshd_audit_failure(l, &g, 302);
	feed(l, ev_new(HR_LOGIN_PAM_END, 302, 1, H1, 7), &g);
	CHECK_INT(g.n, 3);
	hr_logins_free(l);
}

TEST(test_su_sudo_and_ignored_services)
{
	struct hr_logins *l;
	struct got g = {0};
	struct hr_login_event *e;
	static const char argv[] = "sudo\0-E\0-u\0bob\0id\0-u";

	CHECK_INT(hr_logins_new(0, &l), 0);
	start(l, &g, 400, "su", "bob", NULL);
	feed(l, ev_new(HR_LOGIN_PAM_AUTHENTICATE, 400, 1, H1, 7), &g);
	CHECK_INT(g.n, 1);
	CHECK_INT(g.si[0].kind, HR_SIGNIN_SWITCH);
	CHECK(!g.si[0].success);
	CHECK_STR(g.user[0], "bob");

	/* sudo: three wrong passwords, then the verdict after pam_end */
	start(l, &g, 401, "sudo", "alice", NULL);
	for (int i = 0; i < 3; i++)
		feed(l, ev_new(HR_LOGIN_PAM_AUTHENTICATE, 401, 1, H1, 7), &g);
	feed(l, ev_new(HR_LOGIN_PAM_END, 401, 1, H1, 0x40000007), &g);
	CHECK_INT(g.n, 1);
	e = ev_new(HR_LOGIN_AUDIT_CMD, 401, 1, 0, 0);
	e->audit_type = 1123;
	ev_str(e, 0, "id -u");
	memcpy(e->argv, argv, sizeof(argv));
	e->str_len[HR_LOGIN_STRS - 1] = sizeof(argv);
	feed(l, e, &g);
	CHECK_INT(g.n, 2);
	CHECK_INT(g.si[1].kind, HR_SIGNIN_ASSUME);
	CHECK(!g.si[1].success);
	CHECK(!g.si[1].not_allowed);
	CHECK_INT(g.si[1].failed_attempts, 3);
	CHECK_STR(g.user[1], "bob");
	CHECK_STR(g.command[1], "id -u");

	/* cron authenticates nobody */
	start(l, &g, 402, "cron", "root", NULL);
	feed(l, ev_new(HR_LOGIN_PAM_ACCT_MGMT, 402, 1, H1, 6), &g);
	open_session(l, &g, 402, 0, 9);
	CHECK_INT(g.n, 2);

	/* malformed */
	e = ev_new(HR_LOGIN_PAM_END, 1, 1, H1, 0);
	CHECK_INT(hr_logins_event(l, e, sizeof(*e) - 1, collect, &g), -EINVAL);
	e->op = 99;
	CHECK_INT(hr_logins_event(l, e, sizeof(*e), collect, &g), 0); /* no transaction */
	free(e);
	hr_logins_free(l);
}

TEST(test_sudo_target)
{
	char buf[64];
	static const struct {
		const char argv[64];
		size_t len;
		const char *want;
	} cases[] = {
		{"sudo\0id", 8, "root"},
		{"sudo\0-u\0bob\0id", 15, "bob"},
		{"sudo\0-ubob\0id", 14, "bob"},
		{"sudo\0--user=bob\0id", 19, "bob"},
		{"sudo\0--user\0bob\0id", 19, "bob"},
		{"sudo\0-Eu\0bob\0id", 16, "bob"},
		{"sudo\0-g\0adm\0id", 15, "root"},
		{"sudo\0id\0-u\0bob", 15, "root"}, /* the command's own -u */
		{"sudo\0--\0-u", 11, "root"},
		{"sudo\0-u", 8, "root"}, /* cut short */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		hr_sudo_target(cases[i].argv, cases[i].len, buf, sizeof(buf));
		CHECK_STR(buf, cases[i].want);
	}
}

TEST(test_sessions_table)
{
	struct hr_sessions *s;
	struct hr_session a = {.sessionid = 5, .loginuid = 1001, .via = "ssh"};
	struct hr_sessions_stats st;
	const struct hr_session *got;

	CHECK_INT(hr_sessions_new(16, &s), 0);
	snprintf(a.source_ip, sizeof(a.source_ip), "192.0.2.1");
	hr_sessions_put(s, &a);
	got = hr_sessions_get(s, 5, 1001);
	CHECK(got != NULL);
	CHECK_STR(got ? got->source_ip : NULL, "192.0.2.1");
	CHECK(hr_sessions_get(s, 5, 1002) == NULL); /* someone else's */
	CHECK(hr_sessions_get(s, 5, NO_ID) != NULL);
	CHECK(hr_sessions_get(s, NO_ID, 1001) == NULL);
	/* bounded: many more sessions than slots */
	for (uint32_t i = 100; i < 1100; i++) {
		a.sessionid = i;
		hr_sessions_put(s, &a);
	}
	hr_sessions_get_stats(s, &st);
	CHECK(st.evictions > 0);
	CHECK(hr_sessions_get(s, 1099, 1001) != NULL);
	CHECK_STR(hr_session_via("sshd"), "ssh");
	CHECK_STR(hr_session_via("su-l"), "su");
	CHECK_STR(hr_session_via("sudo"), "sudo");
	CHECK_STR(hr_session_via("login"), "console");
	hr_sessions_free(s);
}

TEST(test_ldcache)
{
	char path[4096], tmp[] = "/tmp/hr-ldcache-XXXXXX";
	int fd;

	/* every Debian system has libc in its cache */
	CHECK_INT(hr_ldcache_lookup("/etc/ld.so.cache", "libc.so.6", path, sizeof(path)), 0);
	CHECK(access(path, R_OK) == 0);
	CHECK_INT(hr_ldcache_lookup("/etc/ld.so.cache", "libnothere.so.9", path, sizeof(path)),
		  -ENOENT);
	CHECK_INT(hr_ldcache_lookup("/nonexistent/ld.so.cache", "libc.so.6", path, sizeof(path)),
		  -ENOENT);
	/* a file that is not a cache, and a truncated one */
	fd = mkstemp(tmp);
	CHECK(fd >= 0);
	CHECK_INT(write(fd, "glibc-ld.so.cache1.1\xff\xff\xff\x7f", 24), 24);
	CHECK_INT(hr_ldcache_lookup(tmp, "libc.so.6", path, sizeof(path)), -EINVAL);
	close(fd);
	unlink(tmp);
}

static int n_emitted;
static json_t *last;

static void keep(void *ctx, struct hr_record *rec)
{
	(void)ctx;
	json_decref(last);
	last = json_loadb(rec->json, rec->len, 0, NULL);
	n_emitted++;
	hr_record_free(rec);
}

/* A name that is no account (a password typed into the user field) is
 * never written: not in the record, not in its index fields. */
TEST(test_unknown_user_hidden_in_record)
{
	struct hr_recorder_opts o = {.proc_root = "/nonexistent"};
	struct hr_recorder *r;
	struct hr_login_event *e;
	const char *typed = "Tr0ub4dor&3-not-a-user";

	snprintf(o.frame.account_id, sizeof(o.frame.account_id), "123456789012");
	snprintf(o.frame.region, sizeof(o.frame.region), "host1");
	CHECK_INT(hr_recorder_new(&o, &r), 0);
	e = ev_new(HR_LOGIN_PAM_START, 500, 1, H1, 0);
	ev_str(e, 0, "sshd");
	ev_str(e, 1, typed);
	CHECK_INT(hr_record_login(r, e, sizeof(*e), keep, NULL), 0);
	free(e);
	e = ev_new(HR_LOGIN_PAM_AUTHENTICATE, 500, 1, H1, 7);
	CHECK_INT(hr_record_login(r, e, sizeof(*e), keep, NULL), 0);
	free(e);
	CHECK_INT(n_emitted, 1);
	CHECK(last != NULL);
	if (last) {
		char *text = json_dumps(last, JSON_COMPACT);

		CHECK(strstr(text, typed) == NULL);
		CHECK_STR(json_string_value(json_object_get(json_object_get(last, "userIdentity"),
							    "userName")),
			  HR_HIDDEN_USER);
		CHECK_STR(json_string_value(json_object_get(last, "errorMessage")),
			  "Failed authentication");
		CHECK_STR(json_string_value(json_object_get(last, "sourceIPAddress")), "localhost");
		free(text);
	}
	json_decref(last);
	last = NULL;
	hr_recorder_free(r);
}

int main(void)
{
	RUN(test_sshd_password_then_logout);
	RUN(test_sshd_keyboard_interactive_in_a_child);
	RUN(test_sshd_public_key_right_and_refused);
	RUN(test_su_sudo_and_ignored_services);
	RUN(test_sudo_target);
	RUN(test_sessions_table);
	RUN(test_ldcache);
	RUN(test_unknown_user_hidden_in_record);
	TEST_MAIN_END();
}

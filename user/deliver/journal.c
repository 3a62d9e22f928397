// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * journal.c - records into journald with sd_journal_sendv (journal.h).
 *
 * Runs on its sink worker's thread: sd_journal_sendv blocks while journald
 * is slow, and that must never be the capture loop's problem. When journald
 * is absent or refuses, the record is counted (LostEvents, sink journald);
 * it is in the bucket and the history all the same.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>
#include "common/log.h"
#include "deliver/journal.h"
#include "common/encode.h"

#define NAME_MAX_SHOWN 256 /* bytes of one name in MESSAGE */
#define N_FIELDS       17
#define JOURNAL_SOCKET "/run/systemd/journal/socket"

struct hr_journal {
	int last_err; /* 0 while journald takes records */
	uint64_t refused;
};

/* ConsoleLogin/Logout, SwitchRole (su), AssumeRole (sudo): one family. */
static bool is_signin(const struct hr_record *rec)
{
	return rec->event_source && (!strcmp(rec->event_source, "signin.linux") ||
				     !strcmp(rec->event_source, "sts.linux"));
}

static bool is_lost(const struct hr_record *rec)
{
	return rec->event_name && !strcmp(rec->event_name, "LostEvents");
}

static bool is_logout(const struct hr_record *rec)
{
	return rec->event_name && !strcmp(rec->event_name, "ConsoleLogout");
}

/* rec->failed also covers a failed ConsoleLogin, which has no errorCode. */
static bool failed(const struct hr_record *rec)
{
	return rec->failed || rec->error_code;
}

int hr_journal_priority(const struct hr_record *rec)
{
	if ((is_signin(rec) && failed(rec)) || is_lost(rec))
		return LOG_WARNING;
	if (failed(rec) || (is_signin(rec) && !is_logout(rec)))
		return LOG_NOTICE;
	return LOG_INFO;
}

const char *hr_journal_message_id(const struct hr_record *rec)
{
	if (is_signin(rec))
		return failed(rec) ? HR_MSGID_SIGNIN_FAILED : HR_MSGID_SIGNIN;
	if (is_lost(rec))
		return HR_MSGID_LOST;
	if (rec->event_source && !strcmp(rec->event_source, "hostrail.linux"))
		return HR_MSGID_AGENT;
	if (rec->event_category && !strcmp(rec->event_category, "Data"))
		return HR_MSGID_DATA;
	return failed(rec) ? HR_MSGID_CALL_FAILED : HR_MSGID_CALL;
}

/* The result: the errorCode; a sign-in's as its responseElements says it. */
static const char *result(const struct hr_record *rec)
{
	if (rec->error_code)
		return rec->error_code;
	if (is_signin(rec))
		return rec->failed ? "Failure" : "Success";
	return rec->failed ? "failure" : "success";
}

/* Append s, escaped and cut at NAME_MAX_SHOWN bytes, to buf at *o. */
static void put(char *buf, size_t len, size_t *o, const char *s)
{
	char cut[NAME_MAX_SHOWN + 1], *esc;
	int n;

	if (!s || *o >= len)
		return;
	snprintf(cut, sizeof(cut), "%s", s);
	esc = hr_printable(cut);
	n = snprintf(buf + *o, len - *o, "%s%s", esc ? esc : "?",
		     strlen(s) > NAME_MAX_SHOWN ? "..." : "");
	free(esc);
	if (n > 0)
		*o += (size_t)n < len - *o ? (size_t)n : len - *o - 1;
}

static void lit(char *buf, size_t len, size_t *o, const char *s)
{
	int n;

	if (*o >= len)
		return;
	n = snprintf(buf + *o, len - *o, "%s", s);
	if (n > 0)
		*o += (size_t)n < len - *o ? (size_t)n : len - *o - 1;
}

/* A remote address worth naming: not the host itself, not the agent. */
static bool remote(const char *ip)
{
	return ip && *ip && strcmp(ip, "localhost") && strcmp(ip, "hostrail.linux");
}

/* alice (ssh from 10.0.0.5, as root) Mount tmpfs on /mnt: EPERM */
void hr_journal_message(const struct hr_record *rec, char *buf, size_t len)
{
	const char *who = rec->user_name;
	bool paren = rec->via || remote(rec->source_ip) || rec->acting_as;
	size_t o = 0;

	if (!len)
		return;
	buf[0] = '\0';
	if (!who)
		who = rec->event_source && !strcmp(rec->event_source, "hostrail.linux") ?
			      "hostrail" :
			      "unknown user";
	put(buf, len, &o, who);
	if (paren) {
		lit(buf, len, &o, " (");
		if (rec->via)
			put(buf, len, &o, rec->via);
		if (remote(rec->source_ip)) {
			lit(buf, len, &o, rec->via ? " from " : "from ");
			put(buf, len, &o, rec->source_ip);
		}
		if (rec->acting_as) {
			lit(buf, len, &o, rec->via || remote(rec->source_ip) ? ", as " : "as ");
			put(buf, len, &o, rec->acting_as);
		}
		lit(buf, len, &o, ")");
	}
	lit(buf, len, &o, " ");
	put(buf, len, &o, rec->event_name ? rec->event_name : "?");
	if (rec->what) {
		lit(buf, len, &o, " ");
		put(buf, len, &o, rec->what);
	} else {
		for (int i = 0; i < rec->n_resources && i < HR_RECORD_MAX_RESOURCES; i++) {
			lit(buf, len, &o, i ? ", " : " ");
			put(buf, len, &o, rec->resources[i].name);
		}
	}
	lit(buf, len, &o, ": ");
	put(buf, len, &o, result(rec));
}

/* "NAME=value" into a malloc'd iovec; value bytes as they are (the native
 * protocol carries newlines and any other byte in a field). */
static int field(struct iovec *iov, int *n, const char *name, const char *value)
{
	size_t nl, vl;
	char *p;

	if (!value)
		return 0;
	nl = strlen(name);
	vl = strlen(value);
	p = malloc(nl + 1 + vl + 1);
	if (!p)
		return -ENOMEM;
	memcpy(p, name, nl);
	p[nl] = '=';
	memcpy(p + nl + 1, value, vl + 1);
	iov[*n].iov_base = p;
	iov[*n].iov_len = nl + 1 + vl;
	(*n)++;
	return 0;
}

static int send_one(const struct hr_record *rec)
{
	struct iovec iov[N_FIELDS];
	char msg[2048], prio[4];
	int n = 0, err = 0;

	hr_journal_message(rec, msg, sizeof(msg));
	snprintf(prio, sizeof(prio), "%d", hr_journal_priority(rec));
	err = err ?: field(iov, &n, "MESSAGE", msg);
	err = err ?: field(iov, &n, "PRIORITY", prio);
	err = err ?: field(iov, &n, "SYSLOG_IDENTIFIER", "hostrail");
	err = err ?: field(iov, &n, "SYSLOG_FACILITY", "10"); /* authpriv */
	err = err ?: field(iov, &n, "MESSAGE_ID", hr_journal_message_id(rec));
	err = err ?: field(iov, &n, "HOSTRAIL_EVENT_ID", rec->event_id);
	err = err ?: field(iov, &n, "HOSTRAIL_EVENT_NAME", rec->event_name);
	err = err ?: field(iov, &n, "HOSTRAIL_EVENT_SOURCE", rec->event_source);
	err = err ?: field(iov, &n, "HOSTRAIL_EVENT_CATEGORY", rec->event_category);
	err = err ?: field(iov, &n, "HOSTRAIL_USER_NAME", rec->user_name);
	err = err ?: field(iov, &n, "HOSTRAIL_USER_ARN", rec->user_arn);
	err = err ?: field(iov, &n, "HOSTRAIL_SOURCE_IP", rec->source_ip);
	err = err ?: field(iov, &n, "HOSTRAIL_SESSION", rec->access_key_id);
	err = err ?: field(iov, &n, "HOSTRAIL_ERROR_CODE", rec->error_code);
	err = err ?: field(iov, &n, "HOSTRAIL_READ_ONLY", rec->read_only ? "true" : "false");
	err = err ?: field(iov, &n, "HOSTRAIL_RECORD", rec->json);
	if (!err)
		err = sd_journal_sendv(iov, n);
	for (int i = 0; i < n; i++)
		free(iov[i].iov_base);
	return err;
}

size_t hr_journal_write(void *arg, const struct hr_record *const *recs, size_t n)
{
	struct hr_journal *j = arg;
	size_t refused = 0;
	/* sd_journal_sendv reports success when journald's socket does not
	 * exist at all ("fail silently"): look first, once per batch. */
	int absent = access(JOURNAL_SOCKET, F_OK) ? -errno : 0;

	for (size_t i = 0; i < n; i++) {
		int err = absent ?: send_one(recs[i]);

		if (err) {
			refused++;
			/* Say it once when it starts, not once per record. */
			if (!j->last_err)
				hr_warn("journald did not take a record: %s; records stay in the "
					"bucket and the history, and what journald misses is "
					"counted (LostEvents, sink journald)",
					strerror(-err));
			j->last_err = err;
		} else if (j->last_err) {
			hr_info("journald takes records again");
			j->last_err = 0;
		}
	}
	j->refused += refused;
	return refused;
}

int hr_journal_open(struct hr_journal **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

void hr_journal_close(struct hr_journal *j)
{
	free(j);
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * query.c - LookupEvents over the history: the attribute, the time range,
 * newest first, and next-tokens nobody can forge (history.h).
 *
 * Order is (eventTime, id) descending: id is unique, so a page boundary
 * inside one second neither repeats nor skips an event. A next-token is
 * that position, the time it was issued and an HMAC-SHA256, keyed by a
 * random key kept in the (root-only) database, over the position and every
 * query parameter but MaxResults: a token is good only for the query that
 * produced it, on the database that produced it, for a day.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include "common/clock.h"
#include "history/internal.h"
#include "sign/util.h"

#define TOKEN_VERSION 1
#define TOKEN_MAX_AGE_S 86400
#define TOKEN_MAC_LEN 16
#define TOKEN_LEN (1 + 3 * 8 + TOKEN_MAC_LEN)

static const char *const attr_names[] = {
	[HR_ATTR_EVENT_ID] = "EventId",
	[HR_ATTR_EVENT_NAME] = "EventName",
	[HR_ATTR_READ_ONLY] = "ReadOnly",
	[HR_ATTR_USERNAME] = "Username",
	[HR_ATTR_RESOURCE_TYPE] = "ResourceType",
	[HR_ATTR_RESOURCE_NAME] = "ResourceName",
	[HR_ATTR_EVENT_SOURCE] = "EventSource",
	[HR_ATTR_ACCESS_KEY_ID] = "AccessKeyId",
};

/* "AttributeKey=K,AttributeValue=V": the value runs to the end, so it may
 * hold commas (a file name does). JSON form: {"AttributeKey":..} is not
 * accepted; aws-cli users write the shorthand. */
int hr_lookup_parse_attribute(const char *arg, struct hr_lookup *q, char *err, size_t errlen)
{
	static const char kp[] = "AttributeKey=", vp[] = ",AttributeValue=";
	const char *k, *v;
	size_t klen, vlen;

	if (q->attr != HR_ATTR_NONE) {
		snprintf(err, errlen, "--lookup-attributes: at most one attribute may be given");
		return -EINVAL;
	}
	if (strncmp(arg, kp, sizeof(kp) - 1)) {
		snprintf(err, errlen, "--lookup-attributes: expected "
			 "AttributeKey=KEY,AttributeValue=VALUE");
		return -EINVAL;
	}
	k = arg + sizeof(kp) - 1;
	v = strstr(k, vp);
	if (!v) {
		snprintf(err, errlen, "--lookup-attributes: expected "
			 "AttributeKey=KEY,AttributeValue=VALUE");
		return -EINVAL;
	}
	klen = v - k;
	v += sizeof(vp) - 1;
	vlen = strlen(v);
	for (int a = HR_ATTR_EVENT_ID; a <= HR_ATTR_ACCESS_KEY_ID; a++)
		if (strlen(attr_names[a]) == klen && !memcmp(attr_names[a], k, klen))
			q->attr = a;
	if (q->attr == HR_ATTR_NONE) {
		snprintf(err, errlen, "--lookup-attributes: unknown AttributeKey '%.*s' (one of "
			 "EventId, EventName, ReadOnly, Username, ResourceType, ResourceName, "
			 "EventSource, AccessKeyId)", (int)(klen > 64 ? 64 : klen), k);
		return -EINVAL;
	}
	if (vlen < 1 || vlen > HR_LOOKUP_VALUE_MAX) {
		q->attr = HR_ATTR_NONE;
		snprintf(err, errlen, "--lookup-attributes: AttributeValue must be 1 to %d "
			 "characters", HR_LOOKUP_VALUE_MAX);
		return -EINVAL;
	}
	memcpy(q->value, v, vlen + 1);
	return 0;
}

int hr_lookup_time_parse(const char *s, int64_t *sec)
{
	char full[64];
	int hh = 0, mm = 0, ss = 0, off = 0;
	size_t n, i;
	const char *p;

	if (!s || !*s)
		return -EINVAL;
	n = strlen(s);
	i = strspn(s, "0123456789");
	/* Epoch seconds, maybe with a fraction ("1424476529.0"). */
	if (i == n || (i && s[i] == '.' && i + 1 < n && strspn(s + i + 1, "0123456789") == n - i - 1)) {
		char whole[16];

		if (i >= sizeof(whole))
			return -EINVAL;
		memcpy(whole, s, i);
		whole[i] = '\0';
		return hr_cli_time_parse(whole, sec);
	}
	if (n < 10 || i != 4 || s[4] != '-' || s[7] != '-')
		return -EINVAL;
	p = s + 10;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if (strlen(p) < 5 || (hh = hr_digits(p, 2)) < 0 || p[2] != ':' || (mm = hr_digits(p + 3, 2)) < 0)
			return -EINVAL;
		p += 5;
		if (*p == ':') {
			if ((ss = hr_digits(p + 1, 2)) < 0)
				return -EINVAL;
			p += 3;
			if (*p == '.' || *p == ',') {
				p++;
				if (*p < '0' || *p > '9')
					return -EINVAL;
				while (*p >= '0' && *p <= '9')
					p++;
			}
		}
	} else if (*p) {
		return -EINVAL;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p == '-' ? -1 : 1, oh, om = 0;

		if ((oh = hr_digits(p + 1, 2)) < 0 || oh > 23)
			return -EINVAL;
		p += 3;
		if (*p == ':')
			p++;
		if (*p) {
			if ((om = hr_digits(p, 2)) < 0 || om > 59)
				return -EINVAL;
			p += 2;
		}
		off = sign * (oh * 3600 + om * 60);
	}
	if (*p || hh > 23 || mm > 59 || ss > 59)
		return -EINVAL;
	snprintf(full, sizeof(full), "%.10sT%02d:%02d:%02dZ", s, hh, mm, ss);
	if (hr_ct_time_parse(full, strlen(full), sec))
		return -EINVAL;
	*sec -= off;
	return 0;
}

/* ---- next-tokens ---- */

static void put64(unsigned char *p, int64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)((uint64_t)v >> (56 - 8 * i));
}

static int64_t get64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return (int64_t)v;
}

/* HMAC over the token's body and the query it belongs to. */
static int token_mac(const unsigned char key[32], const struct hr_lookup *q,
		     const unsigned char body[1 + 3 * 8], unsigned char mac[TOKEN_MAC_LEN])
{
	unsigned char md[EVP_MAX_MD_SIZE], buf[1 + 24 + 1 + 4 + HR_LOOKUP_VALUE_MAX + 16 + 1];
	unsigned int mdlen = 0;
	size_t o = 0, vlen = strlen(q->value);

	memcpy(buf, body, 25);
	o = 25;
	buf[o++] = (unsigned char)q->attr;
	put64(buf + o, (int64_t)vlen);	/* length first: no two queries serialise alike */
	o += 8;
	memcpy(buf + o, q->value, vlen);
	o += vlen;
	put64(buf + o, q->start_sec);
	o += 8;
	put64(buf + o, q->end_sec);
	o += 8;
	buf[o++] = q->insight;
	if (!HMAC(EVP_sha256(), key, 32, buf, o, md, &mdlen) || mdlen < TOKEN_MAC_LEN)
		return -EIO;
	memcpy(mac, md, TOKEN_MAC_LEN);
	return 0;
}

int hr_lookup_token_make(const unsigned char key[32], const struct hr_lookup *q,
			 int64_t t, int64_t id, int64_t now, char *out, size_t len)
{
	unsigned char tok[TOKEN_LEN];
	char *b64;

	tok[0] = TOKEN_VERSION;
	put64(tok + 1, t);
	put64(tok + 9, id);
	put64(tok + 17, now);
	if (token_mac(key, q, tok, tok + 25))
		return -EIO;
	b64 = hr_b64_encode(tok, sizeof(tok));
	if (!b64)
		return -ENOMEM;
	if (strlen(b64) >= len) {
		free(b64);
		return -ENOSPC;
	}
	strcpy(out, b64);
	free(b64);
	return 0;
}

int hr_lookup_token_check(const unsigned char key[32], const struct hr_lookup *q,
			  const char *token, int64_t now, int64_t *t, int64_t *id,
			  char *err, size_t errlen)
{
	unsigned char *tok = NULL, mac[TOKEN_MAC_LEN];
	size_t n = 0;
	int64_t issued;

	char *canon = NULL;

	/* Canonical base64 only: otherwise the unused bits of the last digit
	 * would let one token be spelled several ways. */
	if (strlen(token) > 256 || hr_b64_decode(token, strlen(token), &tok, &n) ||
	    n != TOKEN_LEN || tok[0] != TOKEN_VERSION || !(canon = hr_b64_encode(tok, n)) ||
	    strcmp(canon, token)) {
		free(tok);
		free(canon);
		snprintf(err, errlen, "invalid --next-token: not a token this history issued");
		return -EINVAL;
	}
	free(canon);
	if (token_mac(key, q, tok, mac) || CRYPTO_memcmp(mac, tok + 25, TOKEN_MAC_LEN)) {
		free(tok);
		snprintf(err, errlen, "invalid --next-token: it was altered, or it belongs to "
			 "another query or another history database (send it with the same "
			 "--lookup-attributes, --start-time, --end-time and --event-category)");
		return -EINVAL;
	}
	issued = get64(tok + 17);
	*t = get64(tok + 1);
	*id = get64(tok + 9);
	free(tok);
	if (now - issued > TOKEN_MAX_AGE_S || issued - now > 300) {
		snprintf(err, errlen, "expired --next-token: tokens are good for %d hours; "
			 "start the lookup again", TOKEN_MAX_AGE_S / 3600);
		return -EINVAL;
	}
	return 0;
}

/* ---- the lookup ---- */

static const char *attr_column(enum hr_lookup_attr a)
{
	switch (a) {
	case HR_ATTR_EVENT_ID: return "e.event_id";
	case HR_ATTR_EVENT_NAME: return "e.name";
	case HR_ATTR_READ_ONLY: return "e.ro";
	case HR_ATTR_USERNAME: return "e.user";
	case HR_ATTR_EVENT_SOURCE: return "e.source";
	case HR_ATTR_ACCESS_KEY_ID: return "e.akid";
	case HR_ATTR_RESOURCE_TYPE: return "r.type";
	case HR_ATTR_RESOURCE_NAME: return "r.nh";
	default: return NULL;
	}
}

/* The oldest and newest eventTime stored: two probes at the ends of the
 * clustered key (min and max in one query would scan every row). */
static int time_span(struct hr_history *h, int64_t *lo, int64_t *hi)
{
	static const char *const sql[2] = {
		"SELECT t FROM events ORDER BY t ASC LIMIT 1",
		"SELECT t FROM events ORDER BY t DESC LIMIT 1",
	};
	int64_t *out[2] = { lo, hi };
	sqlite3_stmt *st;
	int rc = SQLITE_OK;

	*lo = 1;	/* empty: no bucket to walk */
	*hi = 0;
	for (int k = 0; k < 2 && rc == SQLITE_OK; k++) {
		rc = sqlite3_prepare_v2(h->db, sql[k], -1, &st, NULL);
		if (rc != SQLITE_OK)
			break;
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			*out[k] = sqlite3_column_int64(st, 0);
		rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
		sqlite3_finalize(st);
	}
	return rc;
}

/*
 * Step st, adding its events to the page. Returns 1 when the page is full
 * (next_token made if there is more), 0 when st ran out, or -errno.
 */
static int take_rows(struct hr_history *h, const struct hr_lookup *q, sqlite3_stmt *st,
		     struct hr_lookup_page *page, int64_t *last_t, int64_t *last_id,
		     char *err, size_t errlen)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		struct hr_lookup_event *ev;
		int k = page->n;

		/* Two resources of one event, both matching: one event. */
		if (id == *last_id)
			continue;
		if (page->n == q->max_results) {
			/* There is more: the token points after the last one shown. */
			if (hr_lookup_token_make(h->token_key, q, *last_t, *last_id,
						 hr_ns_to_sec(hr_wall_ns()), page->next_token,
						 sizeof(page->next_token))) {
				snprintf(err, errlen, "failed to make a next-token");
				return -EIO;
			}
			return 1;
		}
		ev = &page->events[k];
		ev->time_sec = sqlite3_column_int64(st, 1);
		ev->len = (size_t)sqlite3_column_int64(st, 3);
		if (hr_history_record(h, id, sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 3),
				      &h->page_buf[k], &h->page_cap[k])) {
			snprintf(err, errlen, "the event history holds a damaged record (id %lld); "
				 "`hostrail rebuild-history` restores it from the bucket",
				 (long long)id);
			return -EBADMSG;
		}
		ev->record = h->page_buf[k];
		page->n++;
		*last_id = id;
		*last_t = ev->time_sec;
	}
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "failed to read the event history %s: %s", h->path,
			 sqlite3_errmsg(h->db));
		return rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB ? -EBADMSG : -EIO;
	}
	return 0;
}

int hr_history_lookup(struct hr_history *h, const struct hr_lookup *q,
		      struct hr_lookup_page *page, char *err, size_t errlen)
{
	bool by_res = q->attr == HR_ATTR_RESOURCE_TYPE || q->attr == HR_ATTR_RESOURCE_NAME;
	bool by_name = q->attr == HR_ATTR_RESOURCE_NAME;
	const char *T = by_res ? "r.t" : "e.t", *ID = by_res ? "r.event" : "e.id";
	int64_t pos_t = INT64_MAX, pos_id = INT64_MAX, last_id = -1, last_t = 0;
	int64_t lo = 0, hi = 0, b_lo = 0, b_hi = 0;
	int max = q->max_results, rc = 0, col;
	sqlite3_stmt *st = NULL;
	const char *value_sql = " = ?";
	char sql[768];

	memset(page, 0, sizeof(*page));
	if (max < 1 || max > HR_LOOKUP_MAX_RESULTS) {
		snprintf(err, errlen, "--max-results must be 1 to %d", HR_LOOKUP_MAX_RESULTS);
		return -EINVAL;
	}
	if (q->start_sec > q->end_sec) {
		snprintf(err, errlen, "--start-time is after --end-time");
		return -EINVAL;
	}
	if (q->next_token && hr_lookup_token_check(h->token_key, q, q->next_token,
						   hr_ns_to_sec(hr_wall_ns()), &pos_t, &pos_id,
						   err, errlen))
		return -EINVAL;
	if (by_name)
		/* the time bucket, the hash, then the name itself */
		value_sql = " = ? AND r.name = ? AND (r.t >> " HR_HISTORY_NAME_BUCKET_SQL ") = ?";
	if (q->attr == HR_ATTR_READ_ONLY) {
		/* "true"/"false" as CloudTrail writes them; anything else matches
		 * nothing. A literal, so that true can use its partial index. */
		if (strcmp(q->value, "true") && strcmp(q->value, "false"))
			return 0;
		value_sql = !strcmp(q->value, "true") ? " = 1" : " = 0";
	}
	snprintf(sql, sizeof(sql),
		 "SELECT e.id, e.t, e.off, e.len FROM %s WHERE %s%s%s %s BETWEEN ? AND ?"
		 " AND (%s, %s) < (?, ?) AND e.cat %s %d ORDER BY %s DESC, %s DESC",
		 by_res ? "resources r JOIN events e ON e.t = r.t AND e.id = r.event" : "events e",
		 q->attr ? attr_column(q->attr) : "", q->attr ? value_sql : "",
		 q->attr ? " AND" : "", T, T, ID, q->insight ? "=" : "!=", HR_CAT_INSIGHT, T, ID);
	rc = sqlite3_prepare_v2(h->db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK && by_name) {
		/* The ResourceName index is per time bucket (history.c): walk
		 * the buckets the history and the query both cover, newest
		 * first; within one, the index gives time order. */
		rc = time_span(h, &lo, &hi);
		b_hi = hr_history_name_bucket(q->end_sec < hi ? q->end_sec : hi);
		if (pos_t < INT64_MAX && hr_history_name_bucket(pos_t) < b_hi)
			b_hi = hr_history_name_bucket(pos_t);
		b_lo = hr_history_name_bucket(q->start_sec > lo ? q->start_sec : lo);
		if (lo > hi)
			b_lo = b_hi + 1;
	}
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "failed to read the event history %s: %s", h->path,
			 sqlite3_errmsg(h->db));
		sqlite3_finalize(st);
		return rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB ? -EBADMSG : -EIO;
	}
	for (int64_t b = b_hi; b >= b_lo && rc == 0; b--) {
		col = 1;
		sqlite3_reset(st);
		if (q->attr == HR_ATTR_EVENT_ID) {
			hr_history_bind_event_id(st, col++, q->value);
		} else if (by_name) {
			sqlite3_bind_int64(st, col++, hr_history_name_hash(q->value));
			sqlite3_bind_text(st, col++, q->value, -1, SQLITE_STATIC);
			sqlite3_bind_int64(st, col++, b);
		} else if (q->attr && q->attr != HR_ATTR_READ_ONLY) {
			sqlite3_bind_text(st, col++, q->value, -1, SQLITE_STATIC);
		}
		sqlite3_bind_int64(st, col++, q->start_sec);
		sqlite3_bind_int64(st, col++, q->end_sec);
		sqlite3_bind_int64(st, col++, pos_t);
		sqlite3_bind_int64(st, col++, pos_id);
		rc = take_rows(h, q, st, page, &last_t, &last_id, err, errlen);
	}
	sqlite3_finalize(st);
	return rc < 0 ? rc : 0;
}

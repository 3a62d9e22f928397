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
#include "common/sort.h"
#include "history/format.h"
#include "history/history_int.h"
#include "common/timefmt.h"
#include "common/encode.h"

#define TOKEN_VERSION	1
#define TOKEN_MAX_AGE_S 86400
#define TOKEN_MAC_LEN	16
#define TOKEN_LEN	(1 + 3 * 8 + TOKEN_MAC_LEN)

static const char *const attr_names[] = {
	[HR_ATTR_EVENT_ID] = "EventId",		  [HR_ATTR_EVENT_NAME] = "EventName",
	[HR_ATTR_READ_ONLY] = "ReadOnly",	  [HR_ATTR_USERNAME] = "Username",
	[HR_ATTR_RESOURCE_TYPE] = "ResourceType", [HR_ATTR_RESOURCE_NAME] = "ResourceName",
	[HR_ATTR_EVENT_SOURCE] = "EventSource",	  [HR_ATTR_ACCESS_KEY_ID] = "AccessKeyId",
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
		snprintf(err, errlen,
			 "--lookup-attributes: expected "
			 "AttributeKey=KEY,AttributeValue=VALUE");
		return -EINVAL;
	}
	k = arg + sizeof(kp) - 1;
	v = strstr(k, vp);
	if (!v) {
		snprintf(err, errlen,
			 "--lookup-attributes: expected "
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
		snprintf(err, errlen,
			 "--lookup-attributes: unknown AttributeKey '%.*s' (one of "
			 "EventId, EventName, ReadOnly, Username, ResourceType, ResourceName, "
			 "EventSource, AccessKeyId)",
			 (int)(klen > 64 ? 64 : klen), k);
		return -EINVAL;
	}
	if (vlen < 1 || vlen > HR_LOOKUP_VALUE_MAX) {
		q->attr = HR_ATTR_NONE;
		snprintf(err, errlen,
			 "--lookup-attributes: AttributeValue must be 1 to %d "
			 "characters",
			 HR_LOOKUP_VALUE_MAX);
		return -EINVAL;
	}
	memcpy(q->value, v, vlen + 1);
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
	put64(buf + o, (int64_t)vlen); /* length first: no two queries serialise alike */
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

int hr_lookup_token_make(const unsigned char key[32], const struct hr_lookup *q, int64_t t,
			 int64_t id, int64_t now, char *out, size_t len)
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

int hr_lookup_token_check(const unsigned char key[32], const struct hr_lookup *q, const char *token,
			  int64_t now, int64_t *t, int64_t *id, char *err, size_t errlen)
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
		snprintf(err, errlen,
			 "invalid --next-token: it was altered, or it belongs to "
			 "another query or another history database (send it with the same "
			 "--lookup-attributes, --start-time, --end-time and --event-category)");
		return -EINVAL;
	}
	issued = get64(tok + 17);
	*t = get64(tok + 1);
	*id = get64(tok + 9);
	free(tok);
	if (now - issued > TOKEN_MAX_AGE_S || issued - now > 300) {
		snprintf(err, errlen,
			 "expired --next-token: tokens are good for %d hours; "
			 "start the lookup again",
			 TOKEN_MAX_AGE_S / 3600);
		return -EINVAL;
	}
	return 0;
}

/* ---- the lookup ---- */

/*
 * A page is the max_results + 1 greatest (eventTime, id) below the
 * position, in the range, of the right category (the one extra says
 * whether there is a next page). Candidate blocks come newest tmax first;
 * a block's records are all at or before its tmax, so the walk stops at
 * the first block whose tmax is below the page's least time.
 */
struct page_walk {
	const struct hr_lookup *q;
	int64_t pos_t, pos_id; /* only events before this position */
	int want;
	int n, least; /* best[least]: the smallest, when n == want */
	struct hit {
		int64_t t, id, off, len;
	} best[HR_LOOKUP_MAX_RESULTS + 1];
};

static bool hit_before(int64_t t, int64_t id, int64_t t2, int64_t id2)
{
	return t < t2 || (t == t2 && id < id2);
}

static void find_least(struct page_walk *w)
{
	w->least = 0;
	for (int i = 1; i < w->n; i++)
		if (hit_before(w->best[i].t, w->best[i].id, w->best[w->least].t,
			       w->best[w->least].id))
			w->least = i;
}

static void consider(struct page_walk *w, const struct hit *x)
{
	if (w->n < w->want) {
		w->best[w->n++] = *x;
		if (w->n == w->want)
			find_least(w);
	} else if (hit_before(w->best[w->least].t, w->best[w->least].id, x->t, x->id)) {
		w->best[w->least] = *x;
		find_least(w);
	}
}

static bool walk_done(const struct page_walk *w, int64_t tmax)
{
	return w->n == w->want && tmax < w->best[w->least].t;
}

/* The records of block blk that mask names, through its directory. */
static void scan_block(struct page_walk *w, int64_t blk, int64_t tmin, const unsigned char *dir,
		       int dir_len, uint64_t mask)
{
	const struct hr_lookup *q = w->q;
	int n = dir_len / HR_HISTORY_DIR_ENTRY;

	for (int i = 0; i < n && i < 64; i++) {
		struct hr_dir_entry e;
		struct hit x;

		if (!(mask >> i & 1))
			continue;
		hr_history_dir_get(dir + i * HR_HISTORY_DIR_ENTRY, tmin, &e);
		x = (struct hit){.t = e.t,
				 .id = hr_history_event_pos(blk, (size_t)i),
				 .off = e.off,
				 .len = e.len};
		if (x.t < q->start_sec || x.t > q->end_sec ||
		    !hit_before(x.t, x.id, w->pos_t, w->pos_id) ||
		    (e.cat == HR_CAT_INSIGHT) != q->insight)
			continue;
		consider(w, &x);
	}
}

static int db_error(struct hr_history *h, int rc, char *err, size_t errlen)
{
	snprintf(err, errlen, "failed to read the event history %s: %s", h->path,
		 sqlite3_errmsg(h->db));
	return rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB ? -EBADMSG : -EIO;
}

/* Without an attribute: every block, newest first. */
static int walk_blocks(struct hr_history *h, struct page_walk *w, int64_t tmax_hi, char *err,
		       size_t errlen)
{
	sqlite3_stmt *st;
	int rc;

	rc = sqlite3_prepare_v2(h->db,
				"SELECT id, tmin, tmax, dir FROM blocks WHERE tmax"
				" BETWEEN ? AND ? ORDER BY tmax DESC, id DESC",
				-1, &st, NULL);
	if (rc != SQLITE_OK)
		return db_error(h, rc, err, errlen);
	sqlite3_bind_int64(st, 1, w->q->start_sec);
	sqlite3_bind_int64(st, 2, tmax_hi);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (walk_done(w, sqlite3_column_int64(st, 2)))
			break;
		scan_block(w, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
			   sqlite3_column_blob(st, 3), sqlite3_column_bytes(st, 3), UINT64_MAX);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_error(h, rc, err, errlen);
}

/* The oldest and newest block tmax: the partitions worth probing. */
static int tmax_span(struct hr_history *h, int64_t *lo, int64_t *hi)
{
	static const char *const sql[2] = {
		"SELECT tmax FROM blocks ORDER BY tmax ASC LIMIT 1",
		"SELECT tmax FROM blocks ORDER BY tmax DESC LIMIT 1",
	};
	int64_t *out[2] = {lo, hi};
	sqlite3_stmt *st;
	int rc = SQLITE_OK;

	*lo = 1; /* empty: nothing to walk */
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

/* The blocks a postings row lists, each read through its directory for
 * the records the row's mask names. */
static int scan_entries(struct page_walk *w, sqlite3_stmt *dir, int64_t row_tmax, int64_t row_blk,
			const unsigned char *list, int len, int64_t tmax_hi)
{
	for (int k = len / HR_HISTORY_ENTRY - 1; k >= 0; k--) {
		const unsigned char *e = list + k * HR_HISTORY_ENTRY;
		int64_t blk = row_blk + hr_history_get32(e);
		int64_t tmax = row_tmax - hr_history_get32(e + 4);
		int rc;

		if (tmax < w->q->start_sec || tmax > tmax_hi || walk_done(w, tmax))
			continue;
		sqlite3_bind_int64(dir, 1, blk);
		rc = sqlite3_step(dir);
		if (rc == SQLITE_ROW) /* else pruned: its partition outlives it */
			scan_block(w, blk, sqlite3_column_int64(dir, 0),
				   sqlite3_column_blob(dir, 1), sqlite3_column_bytes(dir, 1),
				   hr_history_get32(e + 8));
		sqlite3_reset(dir);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return rc;
	}
	return SQLITE_OK;
}

/* With an attribute (or Insight): its postings, partition by partition,
 * newest first. */
static int walk_postings(struct hr_history *h, struct page_walk *w, int a, const void *v,
			 size_t vlen, int64_t tmax_hi, char *err, size_t errlen)
{
	sqlite3_stmt *post = NULL, *dir = NULL;
	int64_t lo, hi, row_hi;
	int rc;
	bool done = false;

	rc = tmax_span(h, &lo, &hi);
	rc = rc	   ?:
		     sqlite3_prepare_v2(h->db,
					"SELECT tmax, blk, list FROM postings WHERE p = ?"
					" AND a = ? AND v = ? AND tmax BETWEEN ? AND ?"
					" ORDER BY tmax DESC, blk DESC",
					-1, &post, NULL);
	rc = rc	   ?:
		     sqlite3_prepare_v2(h->db, "SELECT tmin, dir FROM blocks WHERE id = ?", -1,
					&dir, NULL);
	if (lo < w->q->start_sec)
		lo = w->q->start_sec;
	if (hi > tmax_hi)
		hi = tmax_hi;
	/* a row's tmax is less than its entries' + WINDOW */
	row_hi = hi > INT64_MAX - HR_HISTORY_WINDOW ? INT64_MAX : hi + HR_HISTORY_WINDOW - 1;
	for (int64_t p = hr_history_part(row_hi);
	     rc == SQLITE_OK && !done && lo <= hi && p >= hr_history_part(lo); p--) {
		sqlite3_reset(post);
		sqlite3_bind_int64(post, 1, p);
		sqlite3_bind_int(post, 2, a);
		sqlite3_bind_blob(post, 3, v, (int)vlen, SQLITE_STATIC);
		sqlite3_bind_int64(post, 4, lo);
		sqlite3_bind_int64(post, 5, row_hi);
		while ((rc = sqlite3_step(post)) == SQLITE_ROW) {
			if ((done = walk_done(w, sqlite3_column_int64(post, 0))))
				break;
			rc = scan_entries(w, dir, sqlite3_column_int64(post, 0),
					  sqlite3_column_int64(post, 1),
					  sqlite3_column_blob(post, 2),
					  sqlite3_column_bytes(post, 2), hi);
			if (rc != SQLITE_OK)
				break;
		}
		rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
	}
	if (rc != SQLITE_OK)
		rc = db_error(h, rc, err, errlen);
	sqlite3_finalize(post);
	sqlite3_finalize(dir);
	return rc;
}

static int by_position_desc(const void *a, const void *b)
{
	const struct hit *x = a, *y = b;

	return hit_before(x->t, x->id, y->t, y->id) ? 1 :
	       hit_before(y->t, y->id, x->t, x->id) ? -1 :
						      0;
}

int hr_history_lookup(struct hr_history *h, const struct hr_lookup *q, struct hr_lookup_page *page,
		      char *err, size_t errlen)
{
	struct page_walk w = {.q = q, .pos_t = INT64_MAX, .pos_id = INT64_MAX};
	unsigned char uuid[16];
	int64_t tmax_hi;
	const void *v = q->value;
	size_t vlen = strlen(q->value);
	int a = q->attr, rc;

	memset(page, 0, sizeof(*page));
	if (q->max_results < 1 || q->max_results > HR_LOOKUP_MAX_RESULTS) {
		snprintf(err, errlen, "--max-results must be 1 to %d", HR_LOOKUP_MAX_RESULTS);
		return -EINVAL;
	}
	if (q->start_sec > q->end_sec) {
		snprintf(err, errlen, "--start-time is after --end-time");
		return -EINVAL;
	}
	if (q->next_token &&
	    hr_lookup_token_check(h->token_key, q, q->next_token, hr_ns_to_sec(hr_wall_ns()),
				  &w.pos_t, &w.pos_id, err, errlen))
		return -EINVAL;
	w.want = q->max_results + 1;
	/* A record at time t is in a block whose tmax is at most t + SPAN. */
	tmax_hi = q->end_sec < w.pos_t ? q->end_sec : w.pos_t;
	tmax_hi = tmax_hi > INT64_MAX - HR_HISTORY_BLOCK_SPAN ? INT64_MAX :
								tmax_hi + HR_HISTORY_BLOCK_SPAN;
	if (a == HR_ATTR_EVENT_ID)
		vlen = hr_history_id_value(q->value, uuid, &v);
	if (a == HR_ATTR_NONE && q->insight) {
		a = HR_POSTING_INSIGHT;
		v = "Insight";
		vlen = strlen("Insight");
	}
	rc = a == HR_ATTR_NONE ? walk_blocks(h, &w, tmax_hi, err, errlen) :
				 walk_postings(h, &w, a, v, vlen, tmax_hi, err, errlen);
	if (rc)
		return rc;
	hr_sort(w.best, (size_t)w.n, sizeof(w.best[0]), by_position_desc);
	for (int k = 0; k < w.n && k < q->max_results; k++) {
		struct hr_lookup_event *ev = &page->events[k];
		const struct hit *x = &w.best[k];

		if (hr_history_record(h, x->id, x->off, x->len, &h->page_buf[k], &h->page_cap[k])) {
			snprintf(err, errlen,
				 "the event history holds a damaged record (id %lld); "
				 "`hostrail rebuild-history` restores it from the bucket",
				 (long long)x->id);
			return -EBADMSG;
		}
		ev->time_sec = x->t;
		ev->len = (size_t)x->len;
		ev->record = h->page_buf[k];
		page->n++;
	}
	/* There is more: the token points after the last one shown. */
	if (w.n == w.want &&
	    hr_lookup_token_make(h->token_key, q, w.best[q->max_results - 1].t,
				 w.best[q->max_results - 1].id, hr_ns_to_sec(hr_wall_ns()),
				 page->next_token, sizeof(page->next_token))) {
		snprintf(err, errlen, "failed to make a next-token");
		return -EIO;
	}
	return 0;
}

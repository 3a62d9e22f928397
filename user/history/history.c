// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * history.c - the history database: open (and survive a corrupt file),
 * store, prune (history.h, docs/history.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include "common/clock.h"
#include "common/log.h"
#include "history/internal.h"
#include "sign/util.h"

#define SCHEMA_VERSION "1"
#define PRUNE_EVERY_S 3600
#define PRUNE_CHUNK 5000
#define RECORD_MAX (1 << 20)
#define DEFLATE_LEVEL 1

/*
 * The preset dictionary: what nearly every record repeats, most frequent
 * last (deflate reaches the end of its window most cheaply). A 1 KB record
 * deflates to about a third of what it would alone. It is part of the
 * on-disk format: never change it, add a new one and a new dict version.
 */
#define DICT_VERSION "1"
static const char dictionary[] =
	"\"errorCode\":\"EPERM\",\"errorMessage\":\"Operation not permitted\","
	"\"type\":\"AssumedRole\",\"sessionContext\":{\"sessionIssuer\":{\"type\":\"IAMUser\","
	"\"principalId\":\"1000\",\"arn\":\"arn:hostrail:sts:\",\"userName\":\"\"},"
	"\"resources\":[{\"accountId\":\"\",\"type\":\"Linux::File\",\"ARN\":\"arn:hostrail:file:"
	"\"type\":\"Linux::User\",\"ARN\":\"arn:hostrail:iam:\"type\":\"Linux::Mount\","
	"\"Linux::Process\",\"Linux::KernelModule\"\"eventSource\":\"identity.linux\","
	"\"eventSource\":\"file.linux\",\"mount.linux\",\"process.linux\",\"kernel.linux\","
	"\"system.linux\",\"module.linux\",\"hostrail.linux\",\"eventType\":\"AwsServiceEvent\","
	"\"serviceEventDetails\":{\"lostEvents\":\"reason\":\"sink\":\"windowStart\":"
	"\"windowEnd\":\"requestParameters\":{\"path\":\"/\",\"mode\":\"uid\":\"gid\":"
	"\"userName\":\"root\",\"eventCategory\":\"Data\",\"truncatedArgs\":[\"tid\":"
	"\"loginUid\":1000,\"sessionId\":\"mfaAuthenticated\":\"false\"}},"
	"{\"eventVersion\":\"1.11\",\"userIdentity\":{\"type\":\"Root\",\"principalId\":\"0\","
	"\"arn\":\"arn:hostrail:iam:\",\"accountId\":\"\",\"accessKeyId\":\"HRS\","
	"\"sessionContext\":{\"attributes\":{\"creationDate\":\"2026-\",\"mfaAuthenticated\":"
	"\"false\"}}},\"eventTime\":\"2026-01-01T00:00:00Z\",\"eventSource\":\"\","
	"\"eventName\":\"\",\"awsRegion\":\"\",\"sourceIPAddress\":\"localhost\",\"userAgent\":"
	"\"/usr/bin/\",\"requestParameters\":{},\"responseElements\":null,"
	"\"additionalEventData\":{\"eventTimeNanos\":17,\"process\":{\"pid\":\"ppid\":"
	"\"comm\":\"\",\"exe\":\"/usr/bin/\",\"tty\":null,\"cgroupId\":},\"credentials\":"
	"{\"uid\":0,\"euid\":0,\"gid\":0,\"egid\":0}},\"requestID\":\"-0000\",\"eventID\":\"\","
	"\"readOnly\":false,\"eventType\":\"AwsApiCall\",\"managementEvent\":true,"
	"\"recipientAccountId\":\"\",\"eventCategory\":\"Management\"}";

static const char *const schema[] = {
	"CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v BLOB) WITHOUT ROWID",
	/* id: arrival order, the tie-breaker between equal eventTimes. */
	"CREATE TABLE IF NOT EXISTS events(id INTEGER PRIMARY KEY, t INTEGER NOT NULL,"
	" event_id BLOB NOT NULL, name TEXT, source TEXT, user TEXT, akid TEXT,"
	" ro INTEGER NOT NULL, cat INTEGER NOT NULL, rec BLOB NOT NULL)",
	"CREATE TABLE IF NOT EXISTS resources(type TEXT NOT NULL, t INTEGER NOT NULL,"
	" event INTEGER NOT NULL, name TEXT NOT NULL, PRIMARY KEY(type, t, event, name))"
	" WITHOUT ROWID",
	"CREATE INDEX IF NOT EXISTS events_t ON events(t)",
	"CREATE INDEX IF NOT EXISTS events_event_id ON events(event_id)",
	"CREATE INDEX IF NOT EXISTS events_name ON events(name, t)",
	"CREATE INDEX IF NOT EXISTS events_source ON events(source, t)",
	"CREATE INDEX IF NOT EXISTS events_ro ON events(ro, t)",
	"CREATE INDEX IF NOT EXISTS events_user ON events(user, t)",
	"CREATE INDEX IF NOT EXISTS events_akid ON events(akid, t)",
	"CREATE INDEX IF NOT EXISTS resources_name ON resources(name, t, event)",
};

static int category_code(const char *c)
{
	if (!c || !strcmp(c, "Management"))
		return HR_CAT_MANAGEMENT;
	if (!strcmp(c, "Data"))
		return HR_CAT_DATA;
	if (!strcmp(c, "Insight"))
		return HR_CAT_INSIGHT;
	return HR_CAT_OTHER;
}

void hr_history_row_from_record(const struct hr_record *rec, struct hr_history_row *row)
{
	memset(row, 0, sizeof(*row));
	row->time_sec = hr_ns_to_sec(rec->event_time_ns);
	row->event_id = rec->event_id;
	row->event_name = rec->event_name;
	row->event_source = rec->event_source;
	row->category = rec->event_category;
	row->user_name = rec->user_name;
	row->access_key_id = rec->access_key_id;
	row->read_only = rec->read_only;
	for (int i = 0; i < rec->n_resources && i < HR_RECORD_MAX_RESOURCES; i++) {
		if (!rec->resources[i].type || !rec->resources[i].name)
			continue;
		row->resources[row->n_resources].type = rec->resources[i].type;
		row->resources[row->n_resources].name = rec->resources[i].name;
		row->n_resources++;
	}
	row->json = rec->json;
	row->len = rec->len;
}

static int uuid_bytes(const char *s, unsigned char out[16])
{
	char hex[33];
	size_t o = 0, n;

	if (!s || strlen(s) != 36)
		return -EINVAL;
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return -EINVAL;
			continue;
		}
		hex[o++] = s[i];
	}
	hex[32] = '\0';
	/* Lower case only: the stored bytes must map back to the same text. */
	if (strspn(hex, "0123456789abcdef") != 32)
		return -EINVAL;
	return hr_unhex(hex, 32, out, &n);
}

int hr_history_bind_event_id(sqlite3_stmt *st, int col, const char *event_id)
{
	unsigned char b[16];

	if (uuid_bytes(event_id, b) == 0)
		return sqlite3_bind_blob(st, col, b, 16, SQLITE_TRANSIENT);
	return sqlite3_bind_text(st, col, event_id ? event_id : "", -1, SQLITE_TRANSIENT);
}

/* ---- the record blob ---- */

static int deflate_record(struct hr_history *h, const char *json, size_t len, size_t *out)
{
	size_t bound = deflateBound(&h->zd, len) + 16;
	int rc;

	if (bound > h->zcap) {
		unsigned char *p = realloc(h->zbuf, bound);

		if (!p)
			return -ENOMEM;
		h->zbuf = p;
		h->zcap = bound;
	}
	if (deflateReset(&h->zd) != Z_OK ||
	    deflateSetDictionary(&h->zd, (const Bytef *)dictionary, sizeof(dictionary) - 1) != Z_OK)
		return -EIO;
	h->zd.next_in = (Bytef *)json;
	h->zd.avail_in = len;
	h->zd.next_out = h->zbuf;
	h->zd.avail_out = h->zcap;
	rc = deflate(&h->zd, Z_FINISH);
	if (rc != Z_STREAM_END)
		return -EIO;
	*out = h->zcap - h->zd.avail_out;
	return 0;
}

int hr_history_inflate(struct hr_history *h, const void *blob, size_t n, char **buf,
		       size_t *cap, size_t *len)
{
	int rc;

	if (!h->zi_ok)
		return -EBADMSG;
	if (inflateReset(&h->zi) != Z_OK ||
	    inflateSetDictionary(&h->zi, (const Bytef *)dictionary, sizeof(dictionary) - 1) != Z_OK)
		return -EBADMSG;
	h->zi.next_in = (Bytef *)blob;
	h->zi.avail_in = n;
	*len = 0;
	do {
		if (*cap - *len < 4096) {
			size_t nc = *cap ? *cap * 2 : 8192;
			char *p;

			if (nc > RECORD_MAX + 8192)
				return -EBADMSG;
			p = realloc(*buf, nc);
			if (!p)
				return -ENOMEM;
			*buf = p;
			*cap = nc;
		}
		h->zi.next_out = (Bytef *)*buf + *len;
		h->zi.avail_out = *cap - *len - 1;
		rc = inflate(&h->zi, Z_FINISH);
		*len = *cap - 1 - h->zi.avail_out;
	} while (rc == Z_BUF_ERROR && h->zi.avail_out == 0);
	if (rc != Z_STREAM_END)
		return -EBADMSG;
	(*buf)[*len] = '\0';
	return 0;
}

/* ---- open ---- */

static int exec(struct hr_history *h, const char *sql)
{
	return sqlite3_exec(h->db, sql, NULL, NULL, NULL);
}

/* A random key for next-tokens, made once per database. */
static int load_token_key(struct hr_history *h)
{
	sqlite3_stmt *st;
	int rc;

	rc = sqlite3_prepare_v2(h->db, "SELECT v FROM meta WHERE k = 'token_key'", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_bytes(st, 0) == 32) {
		memcpy(h->token_key, sqlite3_column_blob(st, 0), 32);
		sqlite3_finalize(st);
		return SQLITE_OK;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return rc;
	if (h->mode == HR_HISTORY_READ)
		return SQLITE_CORRUPT;
	if (getentropy(h->token_key, sizeof(h->token_key)))
		return SQLITE_IOERR;
	rc = sqlite3_prepare_v2(h->db, "INSERT OR IGNORE INTO meta VALUES('token_key', ?)", -1,
				&st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_blob(st, 1, h->token_key, 32, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return rc;
	/* Two writers racing: the first key stored wins; read it back. */
	return load_token_key(h);
}

/* Check the on-disk format: schema and dictionary versions we understand. */
static int check_meta(struct hr_history *h)
{
	static const char *const keys[2][2] = {
		{ "schema", SCHEMA_VERSION }, { "dictionary", DICT_VERSION },
	};
	sqlite3_stmt *st;
	int rc;

	for (int k = 0; k < 2; k++) {
		if (h->mode != HR_HISTORY_READ) {
			char sql[128];

			snprintf(sql, sizeof(sql), "INSERT OR IGNORE INTO meta VALUES('%s', '%s')",
				 keys[k][0], keys[k][1]);
			rc = exec(h, sql);
			if (rc != SQLITE_OK)
				return rc;
		}
		rc = sqlite3_prepare_v2(h->db, "SELECT v FROM meta WHERE k = ?", -1, &st, NULL);
		if (rc != SQLITE_OK)
			return rc;
		sqlite3_bind_text(st, 1, keys[k][0], -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			rc = strcmp((const char *)sqlite3_column_text(st, 0) ?: "", keys[k][1]) ?
			     SQLITE_MISMATCH : SQLITE_OK;
		else if (rc == SQLITE_DONE)
			rc = SQLITE_CORRUPT;
		sqlite3_finalize(st);
		if (rc != SQLITE_OK)
			return rc;
	}
	return SQLITE_OK;
}

/*
 * Root only, or root and the hostrail group when that group exists. The
 * file is made before SQLite sees it so that it never exists with a wider
 * mode; SQLite gives its -wal and -shm files the database's mode.
 */
static int make_private_file(const char *path)
{
	struct group *g = getgrnam("hostrail");
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600), err = 0;

	if (fd < 0)
		return -errno;
	if (g && fchown(fd, 0, g->gr_gid) == 0)
		err = fchmod(fd, 0640) ? -errno : 0;
	else
		err = fchmod(fd, 0600) ? -errno : 0;
	close(fd);
	return err;
}

static int prepare_all(struct hr_history *h)
{
	int rc = SQLITE_OK;

	rc = rc ?: sqlite3_prepare_v2(h->db, "INSERT INTO events(t, event_id, name, source, user,"
				      " akid, ro, cat, rec) VALUES(?,?,?,?,?,?,?,?,?)", -1,
				      &h->ins_event, NULL);
	rc = rc ?: sqlite3_prepare_v2(h->db, "INSERT OR IGNORE INTO resources(type, t, event, name)"
				      " VALUES(?,?,?,?)", -1, &h->ins_res, NULL);
	rc = rc ?: sqlite3_prepare_v2(h->db, "SELECT 1 FROM events WHERE event_id = ?", -1,
				      &h->has_id, NULL);
	rc = rc ?: sqlite3_prepare_v2(h->db, "BEGIN IMMEDIATE", -1, &h->begin, NULL);
	rc = rc ?: sqlite3_prepare_v2(h->db, "COMMIT", -1, &h->commit, NULL);
	rc = rc ?: sqlite3_prepare_v2(h->db, "ROLLBACK", -1, &h->rollback, NULL);
	return rc;
}

static void close_db(struct hr_history *h)
{
	sqlite3_finalize(h->ins_event);
	sqlite3_finalize(h->ins_res);
	sqlite3_finalize(h->has_id);
	sqlite3_finalize(h->begin);
	sqlite3_finalize(h->commit);
	sqlite3_finalize(h->rollback);
	h->ins_event = h->ins_res = h->has_id = h->begin = h->commit = h->rollback = NULL;
	sqlite3_close(h->db);
	h->db = NULL;
}

/* One attempt; an SQLite result code. */
static int open_db(struct hr_history *h)
{
	int flags = h->mode == HR_HISTORY_READ ? SQLITE_OPEN_READONLY :
		    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	int rc;

	rc = sqlite3_open_v2(h->path, &h->db, flags | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_extended_result_codes(h->db, 0);
	sqlite3_busy_timeout(h->db, 10000);
	if (h->mode != HR_HISTORY_READ) {
		rc = exec(h, "PRAGMA journal_mode=WAL");
		rc = rc ?: exec(h, "PRAGMA synchronous=NORMAL");
		rc = rc ?: exec(h, "PRAGMA cache_size=-16384");
		rc = rc ?: exec(h, "PRAGMA temp_store=MEMORY");
		for (size_t i = 0; rc == SQLITE_OK && i < sizeof(schema) / sizeof(schema[0]); i++)
			rc = exec(h, schema[i]);
	}
	rc = rc ?: check_meta(h);
	rc = rc ?: load_token_key(h);
	if (rc == SQLITE_OK && h->mode != HR_HISTORY_READ)
		rc = prepare_all(h);
	return rc;
}

/* Keep a database SQLite cannot read: never delete what may be evidence. */
static int move_aside(struct hr_history *h, char *moved, size_t len)
{
	static const char *const sfx[] = { "", "-wal", "-shm" };
	char stamp[HR_CT_KEYTIME_LEN + 1], from[PATH_MAX + 8], to[PATH_MAX + 64];

	hr_ct_keytime_fmt(hr_ns_to_sec(hr_wall_ns()), stamp);
	snprintf(moved, len, "%s.corrupt-%s-%d", h->path, stamp, (int)getpid());
	for (int i = 0; i < 3; i++) {
		snprintf(from, sizeof(from), "%s%s", h->path, sfx[i]);
		snprintf(to, sizeof(to), "%s%s", moved, sfx[i]);
		if (rename(from, to) && errno != ENOENT)
			return -errno;
	}
	return 0;
}

static bool is_corrupt(int rc)
{
	return rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT || rc == SQLITE_MISMATCH ||
	       rc == SQLITE_FORMAT;
}

int hr_history_open(const char *state_dir, enum hr_history_mode mode,
		    unsigned retention_days, struct hr_history **out, char *err, size_t errlen)
{
	struct hr_history *h;
	char moved[PATH_MAX + 64];
	int rc, e;

	*out = NULL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->mode = mode;
	h->retention_days = retention_days;
	if (snprintf(h->path, sizeof(h->path), "%s/%s", state_dir, HR_HISTORY_FILE) >=
	    (int)sizeof(h->path)) {
		free(h);
		snprintf(err, errlen, "the state directory path is too long");
		return -ENAMETOOLONG;
	}
	if (mode == HR_HISTORY_READ) {
		if (access(h->path, F_OK) && errno == ENOENT) {
			e = -errno;
			snprintf(err, errlen, "no event history at %s: %s (the agent creates it; "
				 "`hostrail rebuild-history` restores it from the bucket)",
				 h->path, strerror(-e));
			free(h);
			return e;
		}
		if (access(h->path, R_OK)) {
			e = -errno;
			snprintf(err, errlen, "cannot read the event history %s: %s", h->path,
				 strerror(-e));
			free(h);
			return e;
		}
	} else {
		e = make_private_file(h->path);
		if (e) {
			snprintf(err, errlen, "failed to create the event history %s: %s", h->path,
				 strerror(-e));
			free(h);
			return e;
		}
	}
	rc = open_db(h);
	if (is_corrupt(rc) && mode != HR_HISTORY_READ) {
		close_db(h);
		e = move_aside(h, moved, sizeof(moved));
		if (e) {
			snprintf(err, errlen, "the event history %s is unusable (%s) and cannot be "
				 "moved aside: %s", h->path, sqlite3_errstr(rc), strerror(-e));
			free(h);
			return e;
		}
		hr_err("the event history %s is unusable (%s): moved it to %s and started a new "
		       "one; `hostrail rebuild-history --state-dir %s --bucket-dir <bucket>` "
		       "restores it from the delivered log files", h->path, sqlite3_errstr(rc),
		       moved, state_dir);
		e = make_private_file(h->path);
		rc = e ? SQLITE_CANTOPEN : open_db(h);
	}
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "failed to open the event history %s: %s", h->path,
			 h->db ? sqlite3_errmsg(h->db) : sqlite3_errstr(rc));
		if (is_corrupt(rc))
			snprintf(err, errlen, "the event history %s is unusable (%s); "
				 "`hostrail rebuild-history` restores it from the bucket", h->path,
				 sqlite3_errstr(rc));
		close_db(h);
		free(h);
		return is_corrupt(rc) ? -EBADMSG : -EIO;
	}
	h->zd_ok = deflateInit2(&h->zd, DEFLATE_LEVEL, Z_DEFLATED, -12, 5,
				Z_DEFAULT_STRATEGY) == Z_OK;
	h->zi_ok = inflateInit2(&h->zi, -15) == Z_OK;
	if (!h->zd_ok || !h->zi_ok) {
		hr_history_close(h);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	*out = h;
	return 0;
}

void hr_history_close(struct hr_history *h)
{
	if (!h)
		return;
	close_db(h);
	if (h->zd_ok)
		deflateEnd(&h->zd);
	if (h->zi_ok)
		inflateEnd(&h->zi);
	free(h->zbuf);
	for (int i = 0; i < HR_LOOKUP_MAX_RESULTS; i++)
		free(h->page_buf[i]);
	free(h);
}

/* ---- store ---- */

static void bind_text_or_null(sqlite3_stmt *st, int col, const char *s)
{
	if (s)
		sqlite3_bind_text(st, col, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, col);
}

static bool step_done(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	return rc == SQLITE_DONE;
}

static bool already_stored(struct hr_history *h, const char *event_id)
{
	int rc;

	hr_history_bind_event_id(h->has_id, 1, event_id);
	rc = sqlite3_step(h->has_id);
	sqlite3_reset(h->has_id);
	return rc == SQLITE_ROW;
}

static int add_one(struct hr_history *h, const struct hr_history_row *r)
{
	sqlite3_stmt *st = h->ins_event;
	sqlite3_int64 id;
	size_t zlen;

	if (h->mode == HR_HISTORY_REBUILD && already_stored(h, r->event_id)) {
		h->duplicates++;
		return 0;
	}
	if (deflate_record(h, r->json, r->len, &zlen))
		return -EIO;
	sqlite3_bind_int64(st, 1, r->time_sec);
	hr_history_bind_event_id(st, 2, r->event_id);
	bind_text_or_null(st, 3, r->event_name);
	bind_text_or_null(st, 4, r->event_source);
	bind_text_or_null(st, 5, r->user_name);
	bind_text_or_null(st, 6, r->access_key_id);
	sqlite3_bind_int(st, 7, r->read_only);
	sqlite3_bind_int(st, 8, category_code(r->category));
	sqlite3_bind_blob(st, 9, h->zbuf, zlen, SQLITE_STATIC);
	if (!step_done(st))
		return -EIO;
	id = sqlite3_last_insert_rowid(h->db);
	for (int i = 0; i < r->n_resources && i < HR_RECORD_MAX_RESOURCES; i++) {
		sqlite3_bind_text(h->ins_res, 1, r->resources[i].type, -1, SQLITE_STATIC);
		sqlite3_bind_int64(h->ins_res, 2, r->time_sec);
		sqlite3_bind_int64(h->ins_res, 3, id);
		sqlite3_bind_text(h->ins_res, 4, r->resources[i].name, -1, SQLITE_STATIC);
		if (!step_done(h->ins_res))
			return -EIO;
	}
	return 0;
}

static bool row_valid(const struct hr_history_row *r)
{
	return r->json && r->len && r->len <= RECORD_MAX && r->event_id;
}

/* rows in one transaction; false (and rolled back) if any row failed. */
static bool add_all(struct hr_history *h, const struct hr_history_row *rows, size_t n,
		    size_t *invalid)
{
	*invalid = 0;
	if (!step_done(h->begin))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!row_valid(&rows[i])) {
			(*invalid)++;
			continue;
		}
		if (add_one(h, &rows[i])) {
			step_done(h->rollback);
			return false;
		}
	}
	if (step_done(h->commit))
		return true;
	step_done(h->rollback);
	return false;
}

size_t hr_history_add(struct hr_history *h, const struct hr_history_row *rows, size_t n)
{
	uint64_t dups = h ? h->duplicates : 0;
	size_t failed = 0, invalid;

	if (!h || h->mode == HR_HISTORY_READ)
		return n;
	/*
	 * One transaction for the batch; no savepoint per row (SQLite keeps
	 * those in a statement journal, which cost 10x the inserts). If
	 * anything fails, the slow path stores row by row what it can.
	 */
	if (add_all(h, rows, n, &invalid))
		return invalid;
	h->duplicates = dups;
	hr_warn("event history: failed to store %zu records at once (%s); storing them one "
		"by one", n, sqlite3_errmsg(h->db));
	for (size_t i = 0; i < n; i++)
		if (!add_all(h, &rows[i], 1, &invalid) || invalid)
			failed++;
	return failed;
}

size_t hr_history_write(void *arg, const struct hr_record *const *recs, size_t n)
{
	struct hr_history *h = arg;
	struct hr_history_row *rows = malloc(n * sizeof(*rows));
	size_t failed;

	if (!rows)
		return n;
	for (size_t i = 0; i < n; i++)
		hr_history_row_from_record(recs[i], &rows[i]);
	failed = hr_history_add(h, rows, n);
	free(rows);
	hr_history_maybe_prune(h);
	return failed;
}

/* ---- prune ---- */

int hr_history_prune(struct hr_history *h, int64_t now_sec)
{
	int64_t cutoff = now_sec - (int64_t)h->retention_days * 86400;
	sqlite3_stmt *del = NULL, *next = NULL, *del_res = NULL;
	char type[256] = "";
	int rc, changed;

	if (!h->retention_days || h->mode == HR_HISTORY_READ)
		return 0;
	rc = sqlite3_prepare_v2(h->db, "DELETE FROM events WHERE id IN (SELECT id FROM events"
				" WHERE t < ? LIMIT 5000)", -1, &del, NULL);
	rc = rc ?: sqlite3_prepare_v2(h->db, "SELECT type FROM resources WHERE type > ?"
				      " ORDER BY type LIMIT 1", -1, &next, NULL);
	rc = rc ?: sqlite3_prepare_v2(h->db, "DELETE FROM resources WHERE type = ? AND t < ?",
				      -1, &del_res, NULL);
	if (rc != SQLITE_OK)
		goto out;
	/* Small transactions: the agent's inserts wait at most one chunk. */
	do {
		sqlite3_bind_int64(del, 1, cutoff);
		if (!step_done(del)) {
			rc = SQLITE_ERROR;
			goto out;
		}
		changed = sqlite3_changes(h->db);
	} while (changed == PRUNE_CHUNK);
	/* resources is keyed by type first: prune type by type. */
	for (;;) {
		sqlite3_bind_text(next, 1, type, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(next) != SQLITE_ROW) {
			sqlite3_reset(next);
			break;
		}
		snprintf(type, sizeof(type), "%s", (const char *)sqlite3_column_text(next, 0));
		sqlite3_reset(next);
		sqlite3_bind_text(del_res, 1, type, -1, SQLITE_STATIC);
		sqlite3_bind_int64(del_res, 2, cutoff);
		if (!step_done(del_res)) {
			rc = SQLITE_ERROR;
			goto out;
		}
	}
out:
	if (rc != SQLITE_OK)
		hr_warn("event history: failed to prune to %u days: %s", h->retention_days,
			sqlite3_errmsg(h->db));
	sqlite3_finalize(del);
	sqlite3_finalize(next);
	sqlite3_finalize(del_res);
	return rc == SQLITE_OK ? 0 : -EIO;
}

void hr_history_maybe_prune(void *arg)
{
	struct hr_history *h = arg;
	int64_t now = hr_ns_to_sec(hr_wall_ns());

	if (now - h->last_prune < PRUNE_EVERY_S)
		return;
	h->last_prune = now;
	hr_history_prune(h, now);
}

uint64_t hr_history_duplicates(const struct hr_history *h)
{
	return h->duplicates;
}

int64_t hr_history_count(struct hr_history *h)
{
	sqlite3_stmt *st;
	int64_t n = -1;

	if (sqlite3_prepare_v2(h->db, "SELECT count(*) FROM events", -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

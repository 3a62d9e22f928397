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
#include "common/sort.h"
#include "common/log.h"
#include "history/format.h"
#include "history/history_int.h"
#include "history/postings.h"
#include "common/timefmt.h"

#define SCHEMA_VERSION	"3" /* 3: per-block postings instead of per-event indexes */
#define PRUNE_EVERY_S	3600
#define PRUNE_CHUNK	5000
#define SQL_TEXT_(n)	#n
#define SQL_TEXT(n)	SQL_TEXT_(n)
#define PRUNE_CHUNK_SQL SQL_TEXT(PRUNE_CHUNK) /* "5000", in the statements */
#define RECORD_MAX	(1 << 20)
/* zstd level 1: measured (bench_history) several times faster than
 * deflate level 1 on these records, and smaller. */
#define ZSTD_LEVEL 1
/*
 * Records compressed as one zstd frame per block, against the preset
 * dictionary: a record compresses against its neighbours too. Small
 * enough that a lookup decompressing one block per event of its page
 * stays fast.
 */
#define BLOCK_RECORDS 32
_Static_assert(BLOCK_RECORDS <= 1 << HR_HISTORY_BLOCK_SHIFT, "a block's places fit its id bits");
#define BLOCK_BYTES (48 * 1024)
#define BLOCK_MAX   (BLOCK_BYTES + RECORD_MAX) /* uncompressed, at most */

/*
 * The preset dictionary (zstd raw content): what nearly every record
 * repeats, most frequent last. It is part of the on-disk format: never
 * change it, add a new one and a new dict version.
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
	/*
	 * Records compressed together (see add_all), sorted by time, spanning
	 * at most HR_HISTORY_BLOCK_SPAN seconds. dir: per record, its time
	 * (seconds after tmin), where it is in the decompressed block, and its
	 * category (DIR_ENTRY bytes each; before z, so that reading it does
	 * not read z). Ids are never reused.
	 */
	"CREATE TABLE IF NOT EXISTS blocks(id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" tmin INTEGER NOT NULL, tmax INTEGER NOT NULL, dir BLOB NOT NULL, z BLOB NOT NULL)",
	/* A lookup without an attribute walks this, newest block first. */
	"CREATE INDEX IF NOT EXISTS blocks_tmax ON blocks(tmax)",
	/*
	 * The inverted index (postings.c): for attribute a and value v, the
	 * blocks of one time window holding it, and which of their records.
	 * p is the time partition of tmax (HR_HISTORY_PART_SHIFT): inserts
	 * stay on the current partition's hot pages, and pruning deletes
	 * whole partitions by key range.
	 */
	"CREATE TABLE IF NOT EXISTS postings(p INTEGER NOT NULL, a INTEGER NOT NULL,"
	" v BLOB NOT NULL, tmax INTEGER NOT NULL, blk INTEGER NOT NULL, list BLOB NOT NULL,"
	" PRIMARY KEY(p, a, v, tmax, blk)) WITHOUT ROWID",
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

/* ---- record blocks ---- */

/* Compress n records as one zstd frame into h->zbuf; *out = its size. */
static int compress_block(struct hr_history *h, const struct hr_history_row *const *rows, size_t n,
			  size_t total, size_t *out)
{
	size_t bound = ZSTD_compressBound(total) + 64, rc;
	ZSTD_outBuffer ob;

	if (bound > h->zcap) {
		unsigned char *p = realloc(h->zbuf, bound);

		if (!p)
			return -ENOMEM;
		h->zbuf = p;
		h->zcap = bound;
	}
	ob = (ZSTD_outBuffer){.dst = h->zbuf, .size = h->zcap};
	/* The frame says its size: the reader allocates once. */
	if (ZSTD_isError(ZSTD_CCtx_reset(h->zc, ZSTD_reset_session_only)) ||
	    ZSTD_isError(ZSTD_CCtx_setPledgedSrcSize(h->zc, total)) ||
	    ZSTD_isError(ZSTD_CCtx_refCDict(h->zc, h->cdict)))
		return -EIO;
	for (size_t i = 0; i < n; i++) {
		ZSTD_inBuffer ib = {.src = rows[i]->json, .size = rows[i]->len};

		do {
			rc = ZSTD_compressStream2(h->zc, &ob, &ib, ZSTD_e_continue);
			if (ZSTD_isError(rc))
				return -EIO;
		} while (ib.pos < ib.size);
	}
	{
		ZSTD_inBuffer ib = {0};

		rc = ZSTD_compressStream2(h->zc, &ob, &ib, ZSTD_e_end);
		if (rc != 0) /* the bound guarantees it ends in one call */
			return -EIO;
	}
	*out = ob.pos;
	return 0;
}

/* Decompress block blk into h->blk_buf, unless it is there already. */
static int load_block(struct hr_history *h, int64_t blk)
{
	unsigned long long size;
	const void *z;
	size_t got;
	int n;

	if (h->blk_id == blk && h->blk_buf)
		return 0;
	h->blk_id = -1;
	sqlite3_bind_int64(h->get_block, 1, blk);
	if (sqlite3_step(h->get_block) != SQLITE_ROW) {
		sqlite3_reset(h->get_block);
		return -EBADMSG;
	}
	z = sqlite3_column_blob(h->get_block, 0);
	n = sqlite3_column_bytes(h->get_block, 0);
	size = z ? ZSTD_getFrameContentSize(z, (size_t)n) : ZSTD_CONTENTSIZE_ERROR;
	if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN ||
	    size > BLOCK_MAX) {
		sqlite3_reset(h->get_block);
		return -EBADMSG;
	}
	if (h->blk_cap < size + 1) {
		char *p = realloc(h->blk_buf, size + 1);

		if (!p) {
			sqlite3_reset(h->get_block);
			return -ENOMEM;
		}
		h->blk_buf = p;
		h->blk_cap = size + 1;
	}
	got = ZSTD_decompress_usingDDict(h->zx, h->blk_buf, h->blk_cap, z, (size_t)n, h->ddict);
	sqlite3_reset(h->get_block);
	if (ZSTD_isError(got) || got != size)
		return -EBADMSG;
	h->blk_len = got;
	h->blk_id = blk;
	return 0;
}

int hr_history_record(struct hr_history *h, int64_t id, int64_t off, int64_t len, char **buf,
		      size_t *cap)
{
	int rc = load_block(h, hr_history_event_block(id));

	if (rc)
		return rc;
	if (off < 0 || len <= 0 || len > RECORD_MAX || (size_t)(off + len) > h->blk_len)
		return -EBADMSG;
	if (*cap < (size_t)len + 1) {
		char *p = realloc(*buf, (size_t)len + 1);

		if (!p)
			return -ENOMEM;
		*buf = p;
		*cap = (size_t)len + 1;
	}
	memcpy(*buf, h->blk_buf + off, (size_t)len);
	(*buf)[len] = '\0';
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
	rc = sqlite3_prepare_v2(h->db, "INSERT OR IGNORE INTO meta VALUES('token_key', ?)", -1, &st,
				NULL);
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
		{"schema", SCHEMA_VERSION},
		{"dictionary", DICT_VERSION},
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
				     SQLITE_MISMATCH :
				     SQLITE_OK;
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

	rc = rc	   ?:
		     sqlite3_prepare_v2(h->db,
					"INSERT INTO blocks(tmin, tmax, dir, z)"
					" VALUES(?, ?, ?, ?)",
					-1, &h->ins_block, NULL);
	rc = rc	   ?:
		     sqlite3_prepare_v2(h->db,
					"INSERT INTO postings(p, a, v, tmax, blk, list)"
					" VALUES(?, ?, ?, ?, ?, ?)",
					-1, &h->ins_posting, NULL);
	rc = rc	   ?:
		     sqlite3_prepare_v2(h->db,
					"SELECT 1 FROM postings WHERE p IN (?, ?) AND a "
					"= " HR_ATTR_EVENT_ID_SQL " AND v = ?",
					-1, &h->has_id, NULL);
	rc = rc ?: sqlite3_prepare_v2(h->db, "BEGIN IMMEDIATE", -1, &h->begin, NULL);
	rc = rc ?: sqlite3_prepare_v2(h->db, "COMMIT", -1, &h->commit, NULL);
	rc = rc ?: sqlite3_prepare_v2(h->db, "ROLLBACK", -1, &h->rollback, NULL);
	return rc;
}

static void close_db(struct hr_history *h)
{
	sqlite3_finalize(h->ins_block);
	sqlite3_finalize(h->get_block);
	sqlite3_finalize(h->ins_posting);
	sqlite3_finalize(h->has_id);
	sqlite3_finalize(h->begin);
	sqlite3_finalize(h->commit);
	sqlite3_finalize(h->rollback);
	h->ins_block = h->get_block = h->ins_posting = h->has_id = NULL;
	h->begin = h->commit = h->rollback = NULL;
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
		/* 2 MiB: inserts stay on a few hot pages (bench_history
		 * stores about as fast as with 32 MiB), and the agent's memory
		 * target (docs/operations.md "Memory") has no room for more. */
		rc = rc ?: exec(h, "PRAGMA cache_size=-2048");
		/* Checkpoint every 64 MB of WAL rather than 4: a page the
		 * indexes touch again and again is copied back once. */
		rc = rc ?: exec(h, "PRAGMA wal_autocheckpoint=16384");
		rc = rc ?: exec(h, "PRAGMA temp_store=MEMORY");
		for (size_t i = 0; rc == SQLITE_OK && i < sizeof(schema) / sizeof(schema[0]); i++)
			rc = exec(h, schema[i]);
	}
	rc = rc ?: check_meta(h);
	rc = rc ?: load_token_key(h);
	rc = rc	   ?:
		     sqlite3_prepare_v2(h->db, "SELECT z FROM blocks WHERE id = ?", -1,
					&h->get_block, NULL);
	if (rc == SQLITE_OK && h->mode != HR_HISTORY_READ)
		rc = prepare_all(h);
	return rc;
}

/* Keep a database SQLite cannot read: never delete what may be evidence. */
static int move_aside(struct hr_history *h, char *moved, size_t len)
{
	static const char *const sfx[] = {"", "-wal", "-shm"};
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

int hr_history_open(const char *state_dir, enum hr_history_mode mode, unsigned retention_days,
		    struct hr_history **out, char *err, size_t errlen)
{
	struct hr_history *h;
	char moved[PATH_MAX + 64];
	int rc, e;

	*out = NULL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->mode = mode;
	h->skip_stored = mode == HR_HISTORY_REBUILD;
	h->retention_days = retention_days;
	h->blk_id = -1;
	if (snprintf(h->path, sizeof(h->path), "%s/%s", state_dir, HR_HISTORY_FILE) >=
	    (int)sizeof(h->path)) {
		free(h);
		snprintf(err, errlen, "the state directory path is too long");
		return -ENAMETOOLONG;
	}
	if (mode == HR_HISTORY_READ) {
		if (access(h->path, F_OK) && errno == ENOENT) {
			e = -errno;
			snprintf(err, errlen,
				 "no event history at %s: %s (the agent creates it; "
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
			snprintf(err, errlen,
				 "the event history %s is unusable (%s) and cannot be "
				 "moved aside: %s",
				 h->path, sqlite3_errstr(rc), strerror(-e));
			free(h);
			return e;
		}
		hr_err("the event history %s is unusable (%s): moved it to %s and started a new "
		       "one; `hostrail rebuild-history --state-dir %s --bucket-dir <bucket>` "
		       "restores it from the delivered log files",
		       h->path, sqlite3_errstr(rc), moved, state_dir);
		e = make_private_file(h->path);
		rc = e ? SQLITE_CANTOPEN : open_db(h);
	}
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "failed to open the event history %s: %s", h->path,
			 h->db ? sqlite3_errmsg(h->db) : sqlite3_errstr(rc));
		if (is_corrupt(rc))
			snprintf(err, errlen,
				 "the event history %s is unusable (%s); "
				 "`hostrail rebuild-history` restores it from the bucket",
				 h->path, sqlite3_errstr(rc));
		close_db(h);
		free(h);
		return is_corrupt(rc) ? -EBADMSG : -EIO;
	}
	h->zx = ZSTD_createDCtx();
	h->ddict = ZSTD_createDDict(dictionary, sizeof(dictionary) - 1);
	if (mode != HR_HISTORY_READ) {
		h->zc = ZSTD_createCCtx();
		h->cdict = ZSTD_createCDict(dictionary, sizeof(dictionary) - 1, ZSTD_LEVEL);
		h->postings = hr_postings_new();
	}
	if (!h->zx || !h->ddict ||
	    (mode != HR_HISTORY_READ && (!h->zc || !h->cdict || !h->postings))) {
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
	ZSTD_freeCCtx(h->zc);
	ZSTD_freeCDict(h->cdict);
	ZSTD_freeDCtx(h->zx);
	ZSTD_freeDDict(h->ddict);
	free(h->zbuf);
	hr_postings_free(h->postings);
	free(h->blk_buf);
	for (int i = 0; i < HR_LOOKUP_MAX_RESULTS; i++)
		free(h->page_buf[i]);
	free(h);
}

/* ---- store ---- */

static bool step_done(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	return rc == SQLITE_DONE;
}

/* REBUILD: is this eventID stored? Its block's tmax is in [t, t + SPAN],
 * so its posting is in one of two partitions. */
static bool already_stored(struct hr_history *h, const struct hr_history_row *r)
{
	unsigned char uuid[16];
	const void *v;
	size_t n = hr_history_id_value(r->event_id, uuid, &v);
	int rc;

	sqlite3_bind_int64(h->has_id, 1, hr_history_part(r->time_sec));
	sqlite3_bind_int64(h->has_id, 2, hr_history_part(r->time_sec + HR_HISTORY_BLOCK_SPAN));
	sqlite3_bind_blob(h->has_id, 3, v, (int)n, SQLITE_STATIC);
	rc = sqlite3_step(h->has_id);
	sqlite3_reset(h->has_id);
	return rc == SQLITE_ROW;
}

/* One block (rows sorted by time): its records compressed together and its
 * directory; its postings go to the batch's. */
static int add_block(struct hr_history *h, const struct hr_history_row *const *rows, size_t n,
		     size_t total)
{
	unsigned char dir[BLOCK_RECORDS * HR_HISTORY_DIR_ENTRY];
	int64_t blk, tmin = rows[0]->time_sec, tmax = rows[n - 1]->time_sec;
	size_t zlen, off = 0;

	if (compress_block(h, rows, n, total, &zlen))
		return -EIO;
	for (size_t i = 0; i < n; i++) {
		unsigned char *d = dir + i * HR_HISTORY_DIR_ENTRY;

		hr_history_put32(d, (uint32_t)(rows[i]->time_sec - tmin));
		hr_history_put32(d + 4, (uint32_t)off);
		hr_history_put32(d + 8, (uint32_t)rows[i]->len);
		d[12] = (unsigned char)category_code(rows[i]->category);
		off += rows[i]->len;
	}
	sqlite3_bind_int64(h->ins_block, 1, tmin);
	sqlite3_bind_int64(h->ins_block, 2, tmax);
	sqlite3_bind_blob(h->ins_block, 3, dir, (int)(n * HR_HISTORY_DIR_ENTRY), SQLITE_STATIC);
	sqlite3_bind_blob(h->ins_block, 4, h->zbuf, (int)zlen, SQLITE_STATIC);
	if (!step_done(h->ins_block))
		return -EIO;
	blk = sqlite3_last_insert_rowid(h->db);
	for (size_t i = 0; i < n; i++) /* the category as the directory holds it */
		hr_postings_add(h->postings, rows[i], dir[i * HR_HISTORY_DIR_ENTRY + 12], blk, tmax,
				i);
	/* REBUILD looks eventIDs up in the database as it goes */
	if (h->skip_stored && hr_postings_flush(h->postings, h->ins_posting))
		return -EIO;
	return 0;
}

static bool row_valid(const struct hr_history_row *r)
{
	return r->json && r->len && r->len <= RECORD_MAX && r->event_id &&
	       r->time_sec > INT64_MIN / 2 && r->time_sec < INT64_MAX / 2;
}

/* REBUILD: the same eventID twice in one block not yet stored. */
static bool pending(const struct hr_history_row *const *blk, size_t k, const char *event_id)
{
	for (size_t i = 0; i < k; i++)
		if (!strcmp(blk[i]->event_id, event_id))
			return true;
	return false;
}

/* Time order; arrival order between equal times (the sort is not stable). */
static int by_time(const void *a, const void *b)
{
	const struct hr_history_row *x = *(const struct hr_history_row *const *)a;
	const struct hr_history_row *y = *(const struct hr_history_row *const *)b;

	if (x->time_sec != y->time_sec)
		return x->time_sec < y->time_sec ? -1 : 1;
	return x < y ? -1 : x > y;
}

/*
 * rows in one transaction, sorted by time and cut into blocks of at most
 * BLOCK_RECORDS records, BLOCK_BYTES and HR_HISTORY_BLOCK_SPAN seconds;
 * false (and rolled back) if any row failed.
 */
static bool add_all(struct hr_history *h, const struct hr_history_row *rows, size_t n,
		    size_t *invalid)
{
	const struct hr_history_row *blk[BLOCK_RECORDS], **order;
	size_t k = 0, total = 0, m = 0;
	bool ok = false;

	*invalid = 0;
	order = malloc((n ? n : 1) * sizeof(*order));
	if (!order)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (row_valid(&rows[i]))
			order[m++] = &rows[i];
		else
			(*invalid)++;
	}
	hr_sort(order, m, sizeof(*order), by_time);
	if (hr_postings_begin(h->postings, m) || !step_done(h->begin))
		goto out;
	for (size_t i = 0; i <= m; i++) {
		const struct hr_history_row *r = i < m ? order[i] : NULL;

		if (r && h->skip_stored && (already_stored(h, r) || pending(blk, k, r->event_id))) {
			h->duplicates++;
			continue;
		}
		if (k && (!r || k == BLOCK_RECORDS || total + r->len > BLOCK_BYTES ||
			  r->time_sec - blk[0]->time_sec > HR_HISTORY_BLOCK_SPAN)) {
			if (add_block(h, blk, k, total))
				goto fail;
			k = total = 0;
		}
		if (r) {
			blk[k++] = r;
			total += r->len;
		}
	}
	if (hr_postings_flush(h->postings, h->ins_posting))
		goto fail;
	ok = step_done(h->commit);
	if (ok)
		goto out;
fail:
	step_done(h->rollback);
out:
	free(order);
	return ok;
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
		"by one",
		n, sqlite3_errmsg(h->db));
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

/* Run a "DELETE ... LIMIT PRUNE_CHUNK" until it deletes less: small
 * transactions, so the agent's inserts wait at most one chunk. */
static int delete_chunks(struct hr_history *h, sqlite3_stmt *del, int64_t bound)
{
	do {
		sqlite3_bind_int64(del, 1, bound);
		if (!step_done(del))
			return SQLITE_ERROR;
	} while (sqlite3_changes(h->db) == PRUNE_CHUNK);
	return SQLITE_OK;
}

/*
 * Blocks whose newest record is older than the retention go, and the
 * partitions of postings that only such blocks can be in. A partition
 * that straddles the cutoff stays until it is wholly older: its postings
 * of deleted blocks are skipped by the lookup (the block is gone).
 */
int hr_history_prune(struct hr_history *h, int64_t now_sec)
{
	int64_t cutoff = now_sec - (int64_t)h->retention_days * 86400;
	sqlite3_stmt *del_blk = NULL, *del_post = NULL;
	int rc;

	if (!h->retention_days || h->mode == HR_HISTORY_READ)
		return 0;
	rc = sqlite3_prepare_v2(h->db,
				"DELETE FROM blocks WHERE id IN (SELECT id FROM blocks"
				" WHERE tmax < ? LIMIT " PRUNE_CHUNK_SQL ")",
				-1, &del_blk, NULL);
	rc = rc	   ?:
		     sqlite3_prepare_v2(h->db,
					"DELETE FROM postings WHERE (p, a, v, tmax, blk) IN"
					" (SELECT p, a, v, tmax, blk FROM postings WHERE p < ?"
					" LIMIT " PRUNE_CHUNK_SQL ")",
					-1, &del_post, NULL);
	rc = rc ?: delete_chunks(h, del_blk, cutoff);
	rc = rc ?: delete_chunks(h, del_post, hr_history_part(cutoff));
	if (rc != SQLITE_OK)
		hr_warn("event history: failed to prune to %u days: %s", h->retention_days,
			sqlite3_errmsg(h->db));
	sqlite3_finalize(del_blk);
	sqlite3_finalize(del_post);
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

void hr_history_skip_stored(struct hr_history *h, bool on)
{
	if (h)
		h->skip_stored = on || h->mode == HR_HISTORY_REBUILD;
}

uint64_t hr_history_duplicates(const struct hr_history *h)
{
	return h->duplicates;
}

int64_t hr_history_count(struct hr_history *h)
{
	sqlite3_stmt *st;
	int64_t n = -1;

	if (sqlite3_prepare_v2(h->db, "SELECT coalesce(sum(length(dir)), 0) FROM blocks", -1, &st,
			       NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0) / HR_HISTORY_DIR_ENTRY;
	sqlite3_finalize(st);
	return n;
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* test_history.c - lookup-events input parsing, next-tokens, the history
 * database (paging, every attribute, pruning, a corrupt file), the sink
 * worker and journald's MESSAGE line. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <sys/stat.h>
#include <jansson.h>
#include "harness.h"
#include "common/clock.h"
#include "deliver/journal.h"
#include "history/history_int.h"
#include "history/history.h"
#include "common/timefmt.h"
#include "sink/worker.h"

static char err[4096];

TEST(test_attribute_parsing)
{
	struct hr_lookup q = {0};

	CHECK_INT(hr_lookup_parse_attribute("AttributeKey=EventName,AttributeValue=Mount", &q, err,
					    sizeof(err)),
		  0);
	CHECK_INT(q.attr, HR_ATTR_EVENT_NAME);
	CHECK_STR(q.value, "Mount");
	/* a second one is refused, as LookupEvents allows one */
	CHECK_INT(hr_lookup_parse_attribute("AttributeKey=Username,AttributeValue=x", &q, err,
					    sizeof(err)),
		  -EINVAL);
	CHECK(strstr(err, "at most one"));
	memset(&q, 0, sizeof(q));
	/* the value runs to the end: a file name may hold commas and '=' */
	CHECK_INT(hr_lookup_parse_attribute("AttributeKey=ResourceName,AttributeValue=/a,b=c", &q,
					    err, sizeof(err)),
		  0);
	CHECK_INT(q.attr, HR_ATTR_RESOURCE_NAME);
	CHECK_STR(q.value, "/a,b=c");
	memset(&q, 0, sizeof(q));
	CHECK_INT(hr_lookup_parse_attribute("AttributeKey=eventname,AttributeValue=x", &q, err,
					    sizeof(err)),
		  -EINVAL); /* case-sensitive */
	CHECK(strstr(err, "unknown AttributeKey 'eventname'"));
	CHECK_INT(hr_lookup_parse_attribute("AttributeKey=EventName,AttributeValue=", &q, err,
					    sizeof(err)),
		  -EINVAL);
	CHECK_INT(hr_lookup_parse_attribute("EventName=x", &q, err, sizeof(err)), -EINVAL);
	CHECK_INT(hr_lookup_parse_attribute("AttributeKey=EventName", &q, err, sizeof(err)),
		  -EINVAL);
	CHECK_INT(q.attr, HR_ATTR_NONE);
	for (int a = 0; a < 8; a++) {
		static const char *const keys[] = {"EventId",	  "EventName",	  "ReadOnly",
						   "Username",	  "ResourceType", "ResourceName",
						   "EventSource", "AccessKeyId"};
		char arg[128];

		memset(&q, 0, sizeof(q));
		snprintf(arg, sizeof(arg), "AttributeKey=%s,AttributeValue=v", keys[a]);
		CHECK_INT(hr_lookup_parse_attribute(arg, &q, err, sizeof(err)), 0);
		CHECK_INT(q.attr, HR_ATTR_EVENT_ID + a);
	}
}

TEST(test_time_parsing)
{
	int64_t t = 0;

	CHECK_INT(hr_cli_time_parse("2026-11-21T10:00:00Z", &t), 0);
	CHECK_INT(t, 1795255200);
	CHECK_INT(hr_cli_time_parse("2026-11-21T11:00:00+01:00", &t), 0);
	CHECK_INT(t, 1795255200);
	CHECK_INT(hr_cli_time_parse("2026-11-21T02:00:00-0800", &t), 0);
	CHECK_INT(t, 1795255200);
	CHECK_INT(hr_cli_time_parse("2026-11-21 10:00:00.123456", &t), 0);
	CHECK_INT(t, 1795255200);
	CHECK_INT(hr_cli_time_parse("2026-11-21T10:00", &t), 0);
	CHECK_INT(t, 1795255200);
	CHECK_INT(hr_cli_time_parse("2026-11-21", &t), 0);
	CHECK_INT(t, 1795219200);
	CHECK_INT(hr_cli_time_parse("1795255200", &t), 0);
	CHECK_INT(t, 1795255200);
	CHECK_INT(hr_cli_time_parse("1795255200.9", &t), 0);
	CHECK_INT(t, 1795255200);
	CHECK_INT(hr_cli_time_parse("2026-02-30T00:00:00Z", &t), -EINVAL);
	CHECK_INT(hr_cli_time_parse("2026-11-21T25:00:00Z", &t), -EINVAL);
	CHECK_INT(hr_cli_time_parse("2026-11-21T10:00:00+25:00", &t), -EINVAL);
	CHECK_INT(hr_cli_time_parse("yesterday", &t), -EINVAL);
	CHECK_INT(hr_cli_time_parse("", &t), -EINVAL);
	CHECK_INT(hr_cli_time_parse("12.", &t), -EINVAL);
	CHECK_INT(hr_cli_time_parse("2026-11-21T10:00:00Zjunk", &t), -EINVAL);
}

TEST(test_tokens)
{
	unsigned char key[32], other[32];
	struct hr_lookup q = {.attr = HR_ATTR_EVENT_NAME,
			      .value = "Mount",
			      .start_sec = 10,
			      .end_sec = 1000,
			      .max_results = 5};
	struct hr_lookup q2 = q;
	char tok[128], bad[128];
	int64_t t = 0, id = 0;

	memset(key, 7, sizeof(key));
	memset(other, 8, sizeof(other));
	CHECK_INT(hr_lookup_token_make(key, &q, 500, 42, 100000, tok, sizeof(tok)), 0);
	CHECK_INT(hr_lookup_token_check(key, &q, tok, 100010, &t, &id, err, sizeof(err)), 0);
	CHECK_INT(t, 500);
	CHECK_INT(id, 42);
	/* MaxResults may change between pages */
	q2.max_results = 50;
	CHECK_INT(hr_lookup_token_check(key, &q2, tok, 100010, &t, &id, err, sizeof(err)), 0);
	/* any other parameter may not */
	q2 = q;
	q2.end_sec = 1001;
	CHECK_INT(hr_lookup_token_check(key, &q2, tok, 100010, &t, &id, err, sizeof(err)), -EINVAL);
	q2 = q;
	strcpy(q2.value, "Mounts");
	CHECK_INT(hr_lookup_token_check(key, &q2, tok, 100010, &t, &id, err, sizeof(err)), -EINVAL);
	/* another database's key */
	CHECK_INT(hr_lookup_token_check(other, &q, tok, 100010, &t, &id, err, sizeof(err)),
		  -EINVAL);
	/* every single-character change is caught */
	for (size_t i = 0; i < strlen(tok); i++) {
		strcpy(bad, tok);
		bad[i] = bad[i] == 'A' ? 'B' : 'A';
		CHECK_INT(hr_lookup_token_check(key, &q, bad, 100010, &t, &id, err, sizeof(err)),
			  -EINVAL);
	}
	CHECK_INT(hr_lookup_token_check(key, &q, "", 100010, &t, &id, err, sizeof(err)), -EINVAL);
	CHECK_INT(hr_lookup_token_check(key, &q, "not base64!", 100010, &t, &id, err, sizeof(err)),
		  -EINVAL);
	/* a day later it is stale */
	CHECK_INT(hr_lookup_token_check(key, &q, tok, 100000 + 86401, &t, &id, err, sizeof(err)),
		  -EINVAL);
	CHECK(strstr(err, "expired"));
}

/* ---- the database ---- */

static char dir[64];

static void make_dir(void)
{
	strcpy(dir, "/tmp/hr-test-history-XXXXXX");
	CHECK(mkdtemp(dir) != NULL);
}

static void remove_dir(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK_INT(system(cmd), 0);
}

struct fake {
	char id[37], json[512], user[16], akid[16], res1[32], res2[32];
	struct hr_history_row row;
};

/* n rows, three to a second, each named by its index. */
static struct fake *fakes(int n, int64_t t0)
{
	struct fake *f = calloc(n, sizeof(*f));

	for (int i = 0; i < n; i++) {
		struct hr_history_row *r = &f[i].row;

		snprintf(f[i].id, sizeof(f[i].id), "%08x-0000-4000-8000-%012x", i, i);
		snprintf(f[i].user, sizeof(f[i].user), "user%d", i % 4);
		snprintf(f[i].akid, sizeof(f[i].akid), "HRSAS%d", i % 5);
		snprintf(f[i].res1, sizeof(f[i].res1), "/file/%d", i);
		snprintf(f[i].res2, sizeof(f[i].res2), "/file/%d.bak", i);
		snprintf(f[i].json, sizeof(f[i].json), "{\"i\":%d,\"eventID\":\"%s\"}", i, f[i].id);
		r->time_sec = t0 + i / 3;
		r->event_id = f[i].id;
		r->event_name = i % 2 ? "Mount" : "Setuid";
		r->event_source = i % 2 ? "mount.linux" : "identity.linux";
		r->category = "Management";
		r->user_name = f[i].user;
		r->access_key_id = f[i].akid;
		r->read_only = i % 7 == 0;
		r->n_resources = 2;
		r->resources[0].type = "Linux::File";
		r->resources[0].name = f[i].res1;
		/* two of one type: the event must still come back once */
		r->resources[1].type = "Linux::File";
		r->resources[1].name = f[i].res2;
		r->json = f[i].json;
		r->len = strlen(f[i].json);
	}
	return f;
}

/*
 * Every page of q; seen[i] counts how often event i came back. Newest
 * first: by index (events added in time order), or with f by the events'
 * times (added in any order).
 */
static int walk(struct hr_history *h, struct hr_lookup *q, const struct fake *f, int *seen, int n,
		int *pages)
{
	static struct hr_lookup_page page;
	int64_t prev_t = INT64_MAX;
	char token[128];
	int got = 0, prev = n;

	*pages = 0;
	q->next_token = NULL;
	for (;;) {
		CHECK_INT(hr_history_lookup(h, q, &page, err, sizeof(err)), 0);
		(*pages)++;
		for (int k = 0; k < page.n; k++) {
			json_t *j = json_loads(page.events[k].record, 0, NULL);
			int i = (int)json_integer_value(json_object_get(j, "i"));

			json_decref(j);
			CHECK(i >= 0 && i < n);
			if (i < 0 || i >= n)
				continue;
			if (f) {
				CHECK(f[i].row.time_sec <= prev_t);
				CHECK_INT(page.events[k].time_sec, f[i].row.time_sec);
				prev_t = f[i].row.time_sec;
			} else {
				CHECK(i < prev); /* later index, later or same time */
				prev = i;
			}
			seen[i]++;
			got++;
		}
		if (!page.next_token[0])
			break;
		CHECK_INT(page.n, q->max_results);
		strcpy(token, page.next_token);
		q->next_token = token;
	}
	return got;
}

TEST(test_history_store_and_page)
{
	enum { N = 100 };
	struct hr_history *h = NULL, *r = NULL;
	struct fake *f;
	struct hr_lookup q;
	int seen[N], pages, got;
	int64_t t0 = hr_ns_to_sec(hr_wall_ns()) - 3600;

	make_dir();
	f = fakes(N, t0);
	CHECK_INT(hr_history_open(dir, HR_HISTORY_WRITE, 90, &h, err, sizeof(err)), 0);
	for (int i = 0; i < N; i += 10) {
		struct hr_history_row rows[10];

		for (int k = 0; k < 10; k++)
			rows[k] = f[i + k].row;
		CHECK_INT(hr_history_add(h, rows, 10), 0);
	}
	CHECK_INT(hr_history_count(h), N);
	/* a reader beside the writer */
	CHECK_INT(hr_history_open(dir, HR_HISTORY_READ, 0, &r, err, sizeof(err)), 0);

	/* all of it, 7 at a time across shared seconds: none twice, none missing */
	memset(&q, 0, sizeof(q));
	q.start_sec = INT64_MIN;
	q.end_sec = INT64_MAX;
	q.max_results = 7;
	memset(seen, 0, sizeof(seen));
	got = walk(r, &q, NULL, seen, N, &pages);
	CHECK_INT(got, N);
	CHECK_INT(pages, (N + 6) / 7);
	for (int i = 0; i < N; i++)
		CHECK_INT(seen[i], 1);

	/* each attribute */
	struct {
		const char *arg;
		int want;
	} cases[] = {
		{"AttributeKey=EventId,AttributeValue=00000011-0000-4000-8000-000000000011", 1},
		{"AttributeKey=EventName,AttributeValue=Mount", N / 2},
		{"AttributeKey=EventSource,AttributeValue=identity.linux", N / 2},
		{"AttributeKey=ReadOnly,AttributeValue=true", (N + 6) / 7},
		{"AttributeKey=ReadOnly,AttributeValue=false", N - (N + 6) / 7},
		{"AttributeKey=ReadOnly,AttributeValue=maybe", 0},
		{"AttributeKey=Username,AttributeValue=user1", N / 4},
		{"AttributeKey=AccessKeyId,AttributeValue=HRSAS3", N / 5},
		{"AttributeKey=ResourceType,AttributeValue=Linux::File", N},
		{"AttributeKey=ResourceName,AttributeValue=/file/42.bak", 1},
		{"AttributeKey=EventName,AttributeValue=Nothing", 0},
	};
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		memset(&q, 0, sizeof(q));
		q.start_sec = INT64_MIN;
		q.end_sec = INT64_MAX;
		q.max_results = 4;
		CHECK_INT(hr_lookup_parse_attribute(cases[c].arg, &q, err, sizeof(err)), 0);
		memset(seen, 0, sizeof(seen));
		got = walk(r, &q, NULL, seen, N, &pages);
		if (got != cases[c].want)
			fprintf(stderr, "case %s\n", cases[c].arg);
		CHECK_INT(got, cases[c].want);
		for (int i = 0; i < N; i++)
			CHECK(seen[i] <= 1);
	}
	/* a time range, both ends inclusive: seconds 2..4 hold events 6..14 */
	memset(&q, 0, sizeof(q));
	q.start_sec = t0 + 2;
	q.end_sec = t0 + 4;
	q.max_results = 50;
	memset(seen, 0, sizeof(seen));
	CHECK_INT(walk(r, &q, NULL, seen, N, &pages), 9);
	CHECK_INT(seen[6] + seen[14], 2);
	/* a token is for its own query only */
	q.max_results = 2;
	{
		static struct hr_lookup_page page;
		char tok[128];

		CHECK_INT(hr_history_lookup(r, &q, &page, err, sizeof(err)), 0);
		strcpy(tok, page.next_token);
		q.start_sec = t0;
		q.next_token = tok;
		CHECK_INT(hr_history_lookup(r, &q, &page, err, sizeof(err)), -EINVAL);
		CHECK(strstr(err, "another query"));
	}
	/* insights only: none */
	memset(&q, 0, sizeof(q));
	q.start_sec = INT64_MIN;
	q.end_sec = INT64_MAX;
	q.max_results = 50;
	q.insight = true;
	CHECK_INT(walk(r, &q, NULL, seen, N, &pages), 0);

	/* retention: with 90 days nothing goes; an event 91 days old does */
	f[0].row.time_sec = t0 - 91 * 86400;
	strcpy(f[0].id, "ffffffff-0000-4000-8000-000000000000");
	CHECK_INT(hr_history_add(h, &f[0].row, 1), 0);
	CHECK_INT(hr_history_prune(h, t0 + 3600), 0);
	CHECK_INT(hr_history_count(h), N);
	hr_history_close(r);
	hr_history_close(h);
	free(f);
	remove_dir();
}

/* A lookup walks postings partition by partition (~18 hours each): one
 * name over 80 days of them, paged, comes back whole, once, newest first;
 * and pruning drops old records' blocks with them. */
TEST(test_history_name_across_buckets)
{
	enum { N = 40 };
	struct hr_history *h = NULL;
	struct fake *f;
	struct hr_lookup q;
	int seen[N], pages;
	int64_t t0 = hr_ns_to_sec(hr_wall_ns()) - 100 * 86400;

	make_dir();
	f = fakes(N, t0);
	for (int i = 0; i < N; i++) {
		f[i].row.time_sec = t0 + (int64_t)i * 86400 * 2 + (i % 3) * 5000;
		snprintf(f[i].res2, sizeof(f[i].res2), "/shared/%s", i % 2 ? "odd" : "even");
	}
	CHECK_INT(hr_history_open(dir, HR_HISTORY_WRITE, 90, &h, err, sizeof(err)), 0);
	for (int i = 0; i < N; i++) {
		struct hr_history_row row = f[i].row;

		CHECK_INT(hr_history_add(h, &row, 1), 0);
	}
	memset(&q, 0, sizeof(q));
	q.start_sec = INT64_MIN;
	q.end_sec = INT64_MAX;
	q.max_results = 3;
	CHECK_INT(hr_lookup_parse_attribute("AttributeKey=ResourceName,AttributeValue=/shared/odd",
					    &q, err, sizeof(err)),
		  0);
	memset(seen, 0, sizeof(seen));
	CHECK_INT(walk(h, &q, NULL, seen, N, &pages), N / 2);
	for (int i = 0; i < N; i++)
		CHECK_INT(seen[i], i % 2);
	/* a range inside the history: days 20..41 hold events 10..20 */
	q.start_sec = t0 + 20 * 86400;
	q.end_sec = t0 + 41 * 86400;
	memset(seen, 0, sizeof(seen));
	CHECK_INT(walk(h, &q, NULL, seen, N, &pages), 5);
	CHECK_INT(seen[11] + seen[19], 2);
	/* 90 days: events 0..4 (days 0..8) go, their blocks with them */
	CHECK_INT(hr_history_prune(h, t0 + 99 * 86400), 0);
	CHECK_INT(hr_history_count(h), N - 5);
	{
		sqlite3_stmt *st;
		int blocks = -1;

		CHECK_INT(sqlite3_prepare_v2(h->db, "SELECT count(*) FROM blocks", -1, &st, NULL),
			  SQLITE_OK);
		if (sqlite3_step(st) == SQLITE_ROW)
			blocks = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
		CHECK_INT(blocks, N - 5); /* one record a block here */
	}
	q.start_sec = INT64_MIN;
	q.end_sec = INT64_MAX;
	memset(seen, 0, sizeof(seen));
	CHECK_INT(walk(h, &q, NULL, seen, N, &pages), N / 2 - 2);
	hr_history_close(h);
	free(f);
	remove_dir();
}

/*
 * The agent hands over batches whose times interleave with earlier ones
 * (a sign-in recorded after the calls it made, a rebuild of old files):
 * the history sorts each batch into blocks, and a lookup must still give
 * every event once, strictly newest first, across blocks, batches,
 * postings windows (4096 s) and partitions (65536 s).
 */
TEST(test_history_out_of_order_batches)
{
	enum { N = 3000, BATCH = 1000 };
	struct hr_history *h = NULL;
	struct fake *f;
	struct hr_lookup q;
	static int seen[N];
	int pages;
	int64_t t0 = hr_ns_to_sec(hr_wall_ns()) - 86400;
	uint64_t x = 88172645463325252ULL;
	int want;

	make_dir();
	f = fakes(N, t0);
	for (int i = 0; i < N; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		/* 30 hours, in no order; a tenth share one second */
		f[i].row.time_sec = i % 10 ? t0 + (int64_t)(x % (30 * 3600)) : t0 + 40000;
	}
	CHECK_INT(hr_history_open(dir, HR_HISTORY_WRITE, 90, &h, err, sizeof(err)), 0);
	for (int i = 0; i < N; i += BATCH) {
		static struct hr_history_row rows[BATCH];

		for (int k = 0; k < BATCH; k++)
			rows[k] = f[i + k].row;
		CHECK_INT(hr_history_add(h, rows, BATCH), 0);
	}
	CHECK_INT(hr_history_count(h), N);

	memset(&q, 0, sizeof(q));
	q.start_sec = INT64_MIN;
	q.end_sec = INT64_MAX;
	q.max_results = 50;
	memset(seen, 0, sizeof(seen));
	CHECK_INT(walk(h, &q, f, seen, N, &pages), N);
	for (int i = 0; i < N; i++)
		CHECK_INT(seen[i], 1);

	/* one user, pages of 7 */
	q.max_results = 7;
	CHECK_INT(hr_lookup_parse_attribute("AttributeKey=Username,AttributeValue=user3", &q, err,
					    sizeof(err)),
		  0);
	memset(seen, 0, sizeof(seen));
	CHECK_INT(walk(h, &q, f, seen, N, &pages), N / 4);
	for (int i = 0; i < N; i++)
		CHECK_INT(seen[i], i % 4 == 3);

	/* a range of six hours inside, with that user */
	q.start_sec = t0 + 5 * 3600;
	q.end_sec = t0 + 11 * 3600 - 1;
	want = 0;
	for (int i = 0; i < N; i++)
		want += i % 4 == 3 && f[i].row.time_sec >= q.start_sec &&
			f[i].row.time_sec <= q.end_sec;
	memset(seen, 0, sizeof(seen));
	CHECK_INT(walk(h, &q, f, seen, N, &pages), want);
	CHECK(want > 50);
	hr_history_close(h);

	/* a rebuild of the same records, and of one twice in one batch across
	 * blocks: nothing stored twice */
	CHECK_INT(hr_history_open(dir, HR_HISTORY_REBUILD, 0, &h, err, sizeof(err)), 0);
	{
		static struct hr_history_row rows[BATCH + 1];

		for (int k = 0; k < BATCH; k++)
			rows[k] = f[k].row;
		rows[BATCH] = f[0].row;
		CHECK_INT(hr_history_add(h, rows, BATCH + 1), 0);
		CHECK_INT(hr_history_duplicates(h), BATCH + 1);
	}
	CHECK_INT(hr_history_count(h), N);
	hr_history_close(h);
	free(f);
	remove_dir();
}

TEST(test_history_corrupt_file)
{
	struct hr_history *h = NULL;
	char path[128], cmd[256];
	FILE *fp;

	make_dir();
	/* reading a missing history: a clear error */
	CHECK_INT(hr_history_open(dir, HR_HISTORY_READ, 0, &h, err, sizeof(err)), -ENOENT);
	CHECK(strstr(err, "rebuild-history"));
	snprintf(path, sizeof(path), "%s/history.db", dir);
	fp = fopen(path, "w");
	for (int i = 0; fp && i < 512; i++)
		fputs("not a database ", fp);
	if (fp)
		fclose(fp);
	CHECK_INT(hr_history_open(dir, HR_HISTORY_READ, 0, &h, err, sizeof(err)), -EBADMSG);
	/* the writer keeps the file aside and starts afresh */
	CHECK_INT(hr_history_open(dir, HR_HISTORY_WRITE, 90, &h, err, sizeof(err)), 0);
	CHECK_INT(hr_history_count(h), 0);
	hr_history_close(h);
	snprintf(cmd, sizeof(cmd), "grep -q 'not a database' %s/history.db.corrupt-*", dir);
	CHECK_INT(system(cmd), 0);
	{
		struct stat st;

		CHECK_INT(stat(path, &st), 0);
		CHECK_INT(st.st_mode & 0777, 0600); /* no hostrail group on a test box */
	}
	remove_dir();
}

/* ---- the sink worker ---- */

static int slow_calls;

static size_t slow_write(void *ctx, const struct hr_record *const *recs, size_t n)
{
	(void)ctx;
	(void)recs;
	slow_calls++;
	usleep(20000);
	return n > 1 ? 1 : 0; /* refuse one of every batch of several */
}

static struct hr_shared_record *small_record(void)
{
	struct hr_record rec = {0};

	rec.json = strdup("{}");
	rec.len = 2;
	return hr_shared_record_new(&rec);
}

TEST(test_sink_worker_bounds_and_counts)
{
	struct hr_sink_worker *w = NULL;
	struct hr_sink_stats st;
	struct hr_shared_record *one = small_record();
	int pushed = 0;

	/* room for four small records */
	CHECK_INT(hr_sink_worker_start("test", 4 * one->bytes, 2, slow_write, NULL, NULL, &w), 0);
	hr_shared_record_put(one);
	for (int i = 0; i < 50; i++) {
		struct hr_record rec = {0};
		struct hr_shared_record *s;

		rec.json = strdup("{}");
		rec.len = 2;
		s = hr_shared_record_new(&rec);
		CHECK(rec.json == NULL); /* taken over */
		hr_sink_worker_push(w, s);
		hr_shared_record_put(s);
		pushed++;
	}
	hr_sink_worker_drain(w);
	hr_sink_worker_stats(w, &st);
	/* a full queue drops, and says so; nothing vanishes */
	CHECK(st.queue_full > 0);
	CHECK_INT(st.accepted + st.queue_full, pushed);
	CHECK_INT(st.written + st.refused, st.accepted);
	CHECK(st.refused > 0);
	hr_sink_worker_stop(w);
}

/* A write that waits at a gate, so the test decides when the queue drains. */
static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cond = PTHREAD_COND_INITIALIZER;
static bool gate_open, gate_entered;

static size_t gated_write(void *ctx, const struct hr_record *const *recs, size_t n)
{
	(void)ctx;
	(void)recs;
	pthread_mutex_lock(&gate_lock);
	gate_entered = true;
	pthread_cond_broadcast(&gate_cond);
	while (!gate_open)
		pthread_cond_wait(&gate_cond, &gate_lock);
	pthread_mutex_unlock(&gate_lock);
	return 0;
}

/* The bound is bytes, not records: many small records fit (more than the
 * ring's first size), a large one does not once the small ones hold the
 * room, and exactly what passes the bound is counted as queue_full. */
TEST(test_sink_worker_bound_is_bytes)
{
	struct hr_sink_worker *w = NULL;
	struct hr_sink_stats st;
	struct hr_shared_record *s = small_record(), *big;
	struct hr_record rec = {0};
	size_t small = s->bytes, room = 5000, accepted = 1, full = 0, big_bytes;

	CHECK_INT(hr_sink_worker_start("test", room * small, 1, gated_write, NULL, NULL, &w), 0);
	/* the first record goes to the worker, which then waits at the gate */
	CHECK_INT(hr_sink_worker_push(w, s), 0);
	hr_shared_record_put(s);
	pthread_mutex_lock(&gate_lock);
	while (!gate_entered)
		pthread_cond_wait(&gate_cond, &gate_lock);
	pthread_mutex_unlock(&gate_lock);

	/* a record of 4 KB: it fits now, and is taken */
	rec.json = calloc(1, 4097);
	memset(rec.json, 'x', 4096);
	rec.len = 4096;
	big = hr_shared_record_new(&rec);
	big_bytes = big->bytes;
	CHECK(big_bytes > 4096 && big_bytes < room * small);
	CHECK_INT(hr_sink_worker_push(w, big), 0);
	accepted++;
	for (size_t i = 0; i < room + 100; i++) {
		s = small_record();
		if (hr_sink_worker_push(w, s) == 0)
			accepted++;
		else
			full++;
		hr_shared_record_put(s);
	}
	/* the queue is full to the byte: the big record again does not fit */
	CHECK_INT(hr_sink_worker_push(w, big), -ENOBUFS);
	full++;
	hr_shared_record_put(big);
	/* queued: big + as many small ones as the rest of the room holds */
	CHECK_INT(accepted - 2, room - (big_bytes + small - 1) / small);
	hr_sink_worker_stats(w, &st);
	CHECK_INT(st.accepted, accepted);
	CHECK_INT(st.queue_full, full);

	pthread_mutex_lock(&gate_lock);
	gate_open = true;
	pthread_cond_broadcast(&gate_cond);
	pthread_mutex_unlock(&gate_lock);
	hr_sink_worker_drain(w);
	hr_sink_worker_stats(w, &st);
	CHECK_INT(st.written, accepted);
	CHECK_INT(st.refused, 0);
	hr_sink_worker_stop(w);
}

/* ---- journald's line ---- */

TEST(test_journal_message)
{
	struct hr_resource res[1] = {{"Linux::Mount", NULL, (char *)"/mnt\nfake entry"}};
	struct hr_record rec = {
		.event_name = "Mount",
		.event_source = "mount.linux",
		.event_category = "Management",
		.event_type = "AwsApiCall",
		.user_name = (char *)"al\x1b[31mice",
		.source_ip = (char *)"10.0.0.5",
		.via = "ssh",
		.acting_as = (char *)"root",
		.error_code = (char *)"EPERM",
		.n_resources = 1,
	};
	char line[512];

	rec.resources[0] = res[0];
	hr_journal_message(&rec, line, sizeof(line));
	CHECK_STR(line, "al\\x1b[31mice (ssh from 10.0.0.5, as root) Mount /mnt\\x0afake entry: "
			"EPERM");
	CHECK(!strchr(line, '\n'));
	CHECK_INT(hr_journal_priority(&rec), LOG_NOTICE);
	CHECK_STR(hr_journal_message_id(&rec), HR_MSGID_CALL_FAILED);

	rec.error_code = NULL;
	rec.via = NULL;
	rec.source_ip = (char *)"localhost";
	rec.acting_as = NULL;
	rec.user_name = (char *)"bob";
	hr_journal_message(&rec, line, sizeof(line));
	CHECK_STR(line, "bob Mount /mnt\\x0afake entry: success");
	CHECK_INT(hr_journal_priority(&rec), LOG_INFO);
	CHECK_STR(hr_journal_message_id(&rec), HR_MSGID_CALL);

	/* what, when the record has one, says it instead of the resources */
	rec.what = (char *)"tmpfs on /mnt";
	rec.error_code = (char *)"EPERM";
	rec.failed = true;
	hr_journal_message(&rec, line, sizeof(line));
	CHECK_STR(line, "bob Mount tmpfs on /mnt: EPERM");
	rec.what = NULL;
	rec.error_code = NULL;
	rec.failed = false;
}

/* Sign-ins as signin.c builds them: a failed ConsoleLogin has no
 * errorCode, only failed (responseElements: Failure). */
TEST(test_journal_signin)
{
	struct hr_record rec = {
		.event_name = "ConsoleLogin",
		.event_source = "signin.linux",
		.event_category = "Management",
		.event_type = "AwsConsoleSignIn",
		.user_name = (char *)"alice",
		.source_ip = (char *)"127.0.0.1",
		.via = "ssh",
		.failed = true,
	};
	char line[512];

	hr_journal_message(&rec, line, sizeof(line));
	CHECK_STR(line, "alice (ssh from 127.0.0.1) ConsoleLogin: Failure");
	CHECK_INT(hr_journal_priority(&rec), LOG_WARNING);
	CHECK_STR(hr_journal_message_id(&rec), HR_MSGID_SIGNIN_FAILED);

	rec.failed = false;
	hr_journal_message(&rec, line, sizeof(line));
	CHECK_STR(line, "alice (ssh from 127.0.0.1) ConsoleLogin: Success");
	CHECK_INT(hr_journal_priority(&rec), LOG_NOTICE);
	CHECK_STR(hr_journal_message_id(&rec), HR_MSGID_SIGNIN);

	rec.event_name = "ConsoleLogout";
	CHECK_INT(hr_journal_priority(&rec), LOG_INFO);
	CHECK_STR(hr_journal_message_id(&rec), HR_MSGID_SIGNIN);

	/* sudo refused: AssumeRole is an API call with an errorCode */
	rec.event_name = "AssumeRole";
	rec.event_source = "sts.linux";
	rec.event_type = "AwsApiCall";
	rec.what = (char *)"root";
	rec.error_code = (char *)"AccessDenied";
	rec.failed = true;
	hr_journal_message(&rec, line, sizeof(line));
	CHECK_STR(line, "alice (ssh from 127.0.0.1) AssumeRole root: AccessDenied");
	CHECK_INT(hr_journal_priority(&rec), LOG_WARNING);
	CHECK_STR(hr_journal_message_id(&rec), HR_MSGID_SIGNIN_FAILED);
	/* a long name is cut, and the line still ends */
	{
		char big[4000];

		memset(big, 'x', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		rec.user_name = big;
		hr_journal_message(&rec, line, sizeof(line));
		CHECK(strlen(line) < sizeof(line));
		CHECK(strstr(line, "...") != NULL);
	}
}

int main(void)
{
	RUN(test_attribute_parsing);
	RUN(test_time_parsing);
	RUN(test_tokens);
	RUN(test_history_store_and_page);
	RUN(test_history_name_across_buckets);
	RUN(test_history_out_of_order_batches);
	RUN(test_history_corrupt_file);
	RUN(test_sink_worker_bounds_and_counts);
	RUN(test_sink_worker_bound_is_bytes);
	RUN(test_journal_message);
	RUN(test_journal_signin);
	TEST_MAIN_END();
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bench_history - what the event history costs.
 *
 *   insert:  records per second through the history sink's write function
 *            (one transaction per 4096 records, as the worker batches them
 *            under load; making the rows is not timed),
 *            against a same-run baseline: the same rows into a bare SQLite
 *            table with no index and the record uncompressed.
 *   lookup:  the first page (50 events) by one attribute value in a history
 *            of 10 million records, median of 15 runs per attribute.
 *   size:    database bytes per million records.
 *
 * The 10M history is built once and kept under /var/tmp/hostrail-bench/,
 * one directory per format (FORMAT_MARK, rebuilt if its marker is missing),
 * so that two checkouts of different versions do not take turns
 * rebuilding it: repeated runs only look it up.
 *
 * usage: bench_history [records in the big history, default 10000000]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <sqlite3.h>
#include <jansson.h>

#include "common/clock.h"
#include "common/log.h"
#include "history/history.h"
#include "common/timefmt.h"

#define NS	    1000000000LL
#define CACHE_DIR   "/var/tmp/hostrail-bench"
#define FORMAT_MARK "history-v3" /* bump when the schema or dictionary changes */
#define INSERT_N    200000
#define BATCH	    4096

static const char *const names[] = {"Setuid",	"Setresuid", "Mount",	"Umount",      "Chmod",
				    "Fchownat", "Ptrace",    "Unshare", "Sethostname", "Capset"};
static const char *const sources[] = {
	"identity.linux", "identity.linux", "mount.linux",   "mount.linux",  "file.linux",
	"file.linux",	  "process.linux",  "process.linux", "system.linux", "identity.linux"};

struct gen {
	char json[2048], id[37], user[16], akid[32], path[64];
	struct hr_history_row row;
};

static uint64_t rnd(void)
{
	static uint64_t x = 0x9e3779b97f4a7c15ULL;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return x;
}

/* Record i of a host with 50 users and 2,000 sessions, 3 records a second. */
static void make(struct gen *g, uint64_t i, int64_t t0)
{
	int k = (int)(rnd() % 10), u = (int)(i % 50);
	int64_t t = t0 + (int64_t)(i / 3);
	char when[32];
	struct tm tm;
	time_t tt = t;

	gmtime_r(&tt, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	/* time-ordered, as record.c makes them (UUID version 7) */
	{
		uint64_t ms = (uint64_t)t * 1000 + (i % 3) * 300;

		snprintf(g->id, sizeof(g->id), "%08x-%04x-7%03x-a%03x-%012llx",
			 (unsigned)(ms >> 16), (unsigned)(ms & 0xffff), (unsigned)(rnd() & 0xfff),
			 (unsigned)(rnd() & 0xfff),
			 (unsigned long long)(rnd() & 0xffffffffffffULL));
	}
	snprintf(g->user, sizeof(g->user), "user%d", u);
	/* 50 sessions open at a time; a new set every 100,000 records */
	snprintf(g->akid, sizeof(g->akid), "HRS9C10409AF36E46A4S%d", (int)(i / 100000 * 50 + u));
	snprintf(g->path, sizeof(g->path), "/srv/data/%d/file-%llu", u, (unsigned long long)i);
	snprintf(g->json, sizeof(g->json),
		 "{\"eventVersion\":\"1.11\",\"userIdentity\":{\"type\":\"AssumedRole\","
		 "\"principalId\":\"0:%s\",\"arn\":\"arn:hostrail:sts:benchhost:123456789012:"
		 "assumed-role/root/%s\",\"accountId\":\"123456789012\",\"accessKeyId\":\"%s\","
		 "\"sessionContext\":{\"sessionIssuer\":{\"type\":\"IAMUser\",\"principalId\":"
		 "\"%d\",\"arn\":\"arn:hostrail:iam:benchhost:123456789012:user/%s\",\"accountId\":"
		 "\"123456789012\",\"userName\":\"%s\"},\"attributes\":{\"mfaAuthenticated\":"
		 "\"false\"}}},\"eventTime\":\"%s\",\"eventSource\":\"%s\",\"eventName\":\"%s\","
		 "\"awsRegion\":\"benchhost\",\"sourceIPAddress\":\"localhost\",\"userAgent\":"
		 "\"/usr/bin/sudo\",\"requestParameters\":{\"path\":\"%s\",\"mode\":\"0644\"},"
		 "\"responseElements\":null,\"additionalEventData\":{\"eventTimeNanos\":%lld,"
		 "\"process\":{\"pid\":%d,\"ppid\":%d,\"comm\":\"sudo\",\"exe\":\"/usr/bin/sudo\","
		 "\"tty\":\"pts/%d\",\"cgroupId\":%d},\"credentials\":{\"uid\":0,\"euid\":0,"
		 "\"gid\":0,\"egid\":0},\"loginUid\":%d,\"sessionId\":%d},\"requestID\":"
		 "\"9c10409af36e46a4-%016llx-%08x\",\"eventID\":\"%s\",\"readOnly\":false,"
		 "\"resources\":[{\"accountId\":\"123456789012\",\"type\":\"Linux::File\",\"ARN\":"
		 "\"arn:hostrail:file:benchhost:123456789012:%s\"}],\"eventType\":\"AwsApiCall\","
		 "\"managementEvent\":true,\"recipientAccountId\":\"123456789012\","
		 "\"eventCategory\":\"Management\"}",
		 g->user, g->user, g->akid, 1000 + u, g->user, g->user, when, sources[k], names[k],
		 g->path, (long long)t * NS + (long long)(rnd() % NS), (int)(rnd() % 60000) + 1000,
		 (int)(rnd() % 60000) + 1000, u % 8, (int)(rnd() % 500), 1000 + u, (int)(i % 2000),
		 (unsigned long long)rnd(), (unsigned)(rnd() % 100000), g->id, g->path);
	memset(&g->row, 0, sizeof(g->row));
	g->row.time_sec = t;
	g->row.event_id = g->id;
	g->row.event_name = names[k];
	g->row.event_source = sources[k];
	g->row.category = "Management";
	g->row.user_name = g->user;
	g->row.access_key_id = g->akid;
	g->row.n_resources = 1;
	g->row.resources[0].type = "Linux::File";
	g->row.resources[0].name = g->path;
	g->row.json = g->json;
	g->row.len = strlen(g->json);
}

static int64_t now_ns(void)
{
	return hr_clock_ns(CLOCK_MONOTONIC);
}

/* CPU time of this process: what the other tenants of a shared machine
 * cannot inflate (wall time is reported too). */
static int64_t cpu_ns(void)
{
	return hr_clock_ns(CLOCK_PROCESS_CPUTIME_ID);
}

static double fill_cpu, base_cpu; /* seconds of CPU in the last fill/baseline */

static void rm_rf(const char *dir)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		fprintf(stderr, "bench_history: could not remove %s\n", dir);
}

static long long db_bytes(const char *dir)
{
	static const char *const sfx[] = {"", "-wal"};
	long long n = 0;
	char p[512];
	struct stat st;

	for (int i = 0; i < 2; i++) {
		snprintf(p, sizeof(p), "%s/history.db%s", dir, sfx[i]);
		if (stat(p, &st) == 0)
			n += st.st_size;
	}
	return n;
}

/*
 * Insert n generated rows, BATCH to a transaction; returns the seconds
 * spent storing them. Making the rows (snprintf) is not timed, here or in
 * the baseline: the agent hands the history finished records.
 */
static double fill(struct hr_history *h, uint64_t first, uint64_t n, int64_t t0, struct gen *g)
{
	static struct hr_history_row rows[BATCH];
	int64_t spent = 0, start, cpu = 0, c0;

	for (uint64_t done = 0; done < n;) {
		size_t k = n - done < BATCH ? n - done : BATCH;

		for (size_t i = 0; i < k; i++) {
			make(&g[i], first + done + i, t0);
			rows[i] = g[i].row;
		}
		start = now_ns();
		c0 = cpu_ns();
		if (hr_history_add(h, rows, k))
			fprintf(stderr, "bench_history: rows not stored\n");
		cpu += cpu_ns() - c0;
		spent += now_ns() - start;
		done += k;
	}
	fill_cpu = (double)cpu / NS;
	return (double)spent / NS;
}

/* The same rows into a bare table: no index, no compression. */
static double baseline(const char *dir, uint64_t n, int64_t t0, struct gen *g)
{
	char path[512];
	sqlite3 *db;
	sqlite3_stmt *st;
	int64_t start, spent = 0, cpu = 0, c0;

	snprintf(path, sizeof(path), "%s/bare.db", dir);
	sqlite3_open(path, &db);
	sqlite3_exec(db,
		     "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
		     "CREATE TABLE t(id INTEGER PRIMARY KEY, rec BLOB)",
		     NULL, NULL, NULL);
	sqlite3_prepare_v2(db, "INSERT INTO t(rec) VALUES(?)", -1, &st, NULL);
	for (uint64_t done = 0; done < n;) {
		size_t k = n - done < BATCH ? n - done : BATCH;

		for (size_t i = 0; i < k; i++)
			make(&g[i], done + i, t0);
		start = now_ns();
		c0 = cpu_ns();
		sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
		for (size_t i = 0; i < k; i++) {
			sqlite3_bind_blob(st, 1, g[i].json, g[i].row.len, SQLITE_STATIC);
			sqlite3_step(st);
			sqlite3_reset(st);
		}
		sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
		cpu += cpu_ns() - c0;
		spent += now_ns() - start;
		done += k;
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	base_cpu = (double)cpu / NS;
	return (double)spent / NS;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double lookup_ms(struct hr_history *h, const char *attr, int *n)
{
	static struct hr_lookup_page page;
	struct hr_lookup q;
	char err[512];
	double t[15];

	for (int r = 0; r < 15; r++) {
		int64_t s;

		memset(&q, 0, sizeof(q));
		q.start_sec = INT64_MIN;
		q.end_sec = INT64_MAX;
		q.max_results = 50;
		if (attr && hr_lookup_parse_attribute(attr, &q, err, sizeof(err)))
			return -1;
		s = now_ns();
		if (hr_history_lookup(h, &q, &page, err, sizeof(err))) {
			fprintf(stderr, "bench_history: %s\n", err);
			return -1;
		}
		t[r] = (double)(now_ns() - s) / 1e6;
		*n = page.n;
	}
	qsort(t, 15, sizeof(t[0]), cmp_double);
	return t[7];
}

/* The eventID of an event at time t (a lookup of that second). */
static void find_event_id(struct hr_history *h, int64_t t, char *out)
{
	static struct hr_lookup_page page;
	struct hr_lookup q = {.start_sec = t, .end_sec = t, .max_results = 1};
	char err[512];
	json_t *j;

	strcpy(out, "none");
	if (hr_history_lookup(h, &q, &page, err, sizeof(err)) || page.n != 1)
		return;
	j = json_loads(page.events[0].record, 0, NULL);
	if (j && json_string_value(json_object_get(j, "eventID")))
		snprintf(out, 64, "%s", json_string_value(json_object_get(j, "eventID")));
	json_decref(j);
}

int main(int argc, char **argv)
{
	uint64_t big = argc > 1 ? strtoull(argv[1], NULL, 10) : 10000000ULL;
	char tmp[] = "/var/tmp/hostrail-bench-insert-XXXXXX", big_dir[256], mark[300];
	int64_t t0 = hr_ns_to_sec(hr_wall_ns()) - 80LL * 86400;
	struct gen *g = calloc(BATCH, sizeof(*g));
	struct hr_history *h = NULL;
	char err[1024];
	double secs, base, ms;
	int n = 0;
	FILE *f;

	hr_log_set_level(HR_LOG_WARN);
	if (!g || !mkdtemp(tmp))
		return 1;

	/* 1. insert rate, fresh database, against a bare table */
	if (hr_history_open(tmp, HR_HISTORY_WRITE, 0, &h, err, sizeof(err))) {
		fprintf(stderr, "bench_history: %s\n", err);
		return 1;
	}
	secs = fill(h, 0, INSERT_N, t0, g);
	hr_history_close(h);
	base = baseline(tmp, INSERT_N, t0, g);
	printf("history insert: %.0f records/s (target >= 100000): %s\n", INSERT_N / secs,
	       INSERT_N / secs >= 100000 ? "meets target" : "MISSES target");
	printf("  baseline (bare table, no index, uncompressed): %.0f records/s; "
	       "history/baseline time ratio %.2f\n",
	       INSERT_N / base, secs / base);
	printf("  per CPU-second: history %.0f records, baseline %.0f; ratio %.2f\n",
	       INSERT_N / fill_cpu, INSERT_N / base_cpu, fill_cpu / base_cpu);
	rm_rf(tmp);

	/* 2. the big history, built once */
	snprintf(big_dir, sizeof(big_dir), "%s/%s-%llu", CACHE_DIR, FORMAT_MARK,
		 (unsigned long long)big);
	snprintf(mark, sizeof(mark), "%s/" FORMAT_MARK, big_dir);
	if (access(mark, F_OK)) {
		int64_t s = now_ns();

		rm_rf(big_dir);
		mkdir(CACHE_DIR, 0700);
		mkdir(big_dir, 0700);
		printf("  building a %llu-record history in %s (kept for later runs)...\n",
		       (unsigned long long)big, big_dir);
		fflush(stdout);
		if (hr_history_open(big_dir, HR_HISTORY_WRITE, 0, &h, err, sizeof(err))) {
			fprintf(stderr, "bench_history: %s\n", err);
			return 1;
		}
		for (uint64_t done = 0; done < big; done += 1000000) {
			uint64_t k = big - done < 1000000 ? big - done : 1000000;

			fill(h, done, k, t0, g);
		}
		hr_history_close(h);
		printf("  built in %.0f s (%.0f records/s as it grew)\n",
		       (double)(now_ns() - s) / NS, big / ((double)(now_ns() - s) / NS));
		f = fopen(mark, "w");
		if (f)
			fclose(f);
	}
	if (hr_history_open(big_dir, HR_HISTORY_READ, 0, &h, err, sizeof(err))) {
		fprintf(stderr, "bench_history: %s\n", err);
		return 1;
	}
	printf("history size: %.1f MB per million records (%llu records, %.2f GB)\n",
	       db_bytes(big_dir) / 1e6 / (big / 1e6), (unsigned long long)big,
	       db_bytes(big_dir) / 1e9);
	{
		char mid_id[128] = "AttributeKey=EventId,AttributeValue=";

		find_event_id(h, t0 + (int64_t)(big / 2 / 3), mid_id + strlen(mid_id));
		const char *const attrs[] = {
			NULL,
			"AttributeKey=Username,AttributeValue=user7",
			"AttributeKey=EventName,AttributeValue=Mount",
			"AttributeKey=ReadOnly,AttributeValue=false",
			"AttributeKey=ReadOnly,AttributeValue=true", /* none: its partial index */
			"AttributeKey=AccessKeyId,AttributeValue=HRS9C10409AF36E46A4S1234",
			"AttributeKey=EventSource,AttributeValue=system.linux",
			"AttributeKey=ResourceType,AttributeValue=Linux::File",
			"AttributeKey=ResourceName,AttributeValue=/srv/data/7/file-4000007",
			"AttributeKey=ResourceName,AttributeValue=/nowhere", /* every bucket */
			"AttributeKey=EventId,AttributeValue=00000000-0000-4000-a000-000000000000",
			mid_id, /* an event half way back */
		};
		double worst = 0;

		for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
			ms = lookup_ms(h, attrs[i], &n);
			printf("  first page, %-62s %6.2f ms (%d events)\n",
			       attrs[i] ? attrs[i] + 13 : "no attribute", ms, n);
			if (ms > worst || ms < 0)
				worst = ms < 0 ? 1e9 : ms;
		}
		printf("history lookup: first page in %.2f ms at worst over the eight keys in "
		       "%llu records (target < 50 ms): %s\n",
		       worst, (unsigned long long)big,
		       worst < 50 ? "meets target" : "MISSES target");
	}
	hr_history_close(h);
	free(g);
	return 0;
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_catch_up.c - the event history output falls behind and catches up:
 * records its full queue defers are read back from the real log files the
 * trails deliver, a log that is not there yet is waited for, a restart goes
 * on from where the catch-up stood, and a truncated log gives its whole
 * records and counts the rest lost. Restoring a log file is also what
 * `hostrail rebuild-history` does, through the same code.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <zlib.h>
#include "harness.h"
#include "common/clock.h"
#include "common/encode.h"
#include "common/timefmt.h"
#include "deliver/logfile.h"
#include "deliver/output.h"
#include "history/history.h"
#include "sink/worker.h"

extern const struct hr_output_ops hr_output_history;

#define ACCOUNT "111122223333"
#define REGION	"r1"

static char dir[64], bucket[96];

static void make_dirs(void)
{
	strcpy(dir, "/tmp/hr-test-catch-up-XXXXXX");
	CHECK(mkdtemp(dir) != NULL);
	snprintf(bucket, sizeof(bucket), "%s/bucket", dir);
	CHECK_INT(mkdir(bucket, 0700), 0);
}

static void remove_dirs(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK_INT(system(cmd), 0);
}

/* Record i as the agent hands it over, and its text in the log file. */
static char *record_json(int i, int64_t sec)
{
	char t[HR_CT_TIME_LEN + 1], *s = NULL;

	hr_ct_time_fmt(sec, t);
	if (asprintf(&s,
		     "{\"eventVersion\":\"1.11\",\"eventTime\":\"%s\",\"eventSource\":"
		     "\"mount.linux\",\"eventName\":\"Mount\",\"eventID\":"
		     "\"%08x-0000-4000-8000-%012x\",\"i\":%d}",
		     t, i, i, i) < 0)
		return NULL;
	return s;
}

static struct hr_shared_record *record(int i, int64_t sec)
{
	struct hr_record rec = {0};

	rec.json = record_json(i, sec);
	rec.len = strlen(rec.json);
	rec.event_time_ns = sec * 1000000000LL;
	snprintf(rec.event_id, sizeof(rec.event_id), "%08x-0000-4000-8000-%012x", i, i);
	rec.event_name = "Mount";
	rec.event_source = "mount.linux";
	rec.event_category = "Management";
	return hr_shared_record_new(&rec);
}

/* {"Records":[...]} of records from..to-1, as a trail's batch writes it. */
static char *log_text(int from, int to, int64_t sec)
{
	size_t cap = 64 + (size_t)(to - from) * 256, len = 0;
	char *s = malloc(cap);

	len += (size_t)snprintf(s, cap, "{\"Records\":[");
	for (int i = from; i < to; i++) {
		char *r = record_json(i, sec);

		len += (size_t)snprintf(s + len, cap - len, "%s%s", i > from ? "," : "", r);
		free(r);
	}
	snprintf(s + len, cap - len, "]}");
	return s;
}

static void log_key(struct hr_delivered_log *log, int n, int64_t sec)
{
	char unique[HR_LOG_UNIQUE_LEN + 1];

	memset(log, 0, sizeof(*log));
	CHECK_INT(hr_logfile_unique(unique), 0);
	CHECK_INT(hr_logfile_key(log->key, sizeof(log->key), ACCOUNT, REGION, sec * 1000000000LL,
				 unique),
		  0);
	log->n_records = (size_t)n;
	log->bucket_dir = bucket;
}

/* Deliver log (records from..to-1) into the bucket, whole. */
static void deliver(const struct hr_delivered_log *log, int from, int to, int64_t sec)
{
	struct hr_publish p = {0};
	char *text = log_text(from, to, sec);

	CHECK_INT(hr_publish_gz(&p, bucket, log->key, text, strlen(text)), 0);
	CHECK_INT(hr_publish_commit(&p), 0);
	hr_publish_release(&p);
	free(text);
}

/* Deliver it cut short: the first half of its gzip. */
static void deliver_truncated(const struct hr_delivered_log *log, int from, int to, int64_t sec)
{
	char *text = log_text(from, to, sec), path[PATH_MAX], folder[PATH_MAX], e[256];
	size_t cap = compressBound(strlen(text)) + 64;
	unsigned char *gz = malloc(cap);
	z_stream zs = {0};
	size_t keep_bytes;
	int fd;

	CHECK_INT(deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
	zs.next_in = (unsigned char *)text;
	zs.avail_in = (unsigned)strlen(text);
	zs.next_out = gz;
	zs.avail_out = (unsigned)cap;
	CHECK_INT(deflate(&zs, Z_FINISH), Z_STREAM_END);
	keep_bytes = zs.total_out / 2;
	snprintf(path, sizeof(path), "%s/%s", bucket, log->key);
	snprintf(folder, sizeof(folder), "%s", path);
	*strrchr(folder, '/') = '\0';
	CHECK_INT(hr_make_dirs(folder, e, sizeof(e)), 0);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0640);
	CHECK(fd >= 0 && write(fd, gz, keep_bytes) == (ssize_t)keep_bytes);
	close(fd);
	deflateEnd(&zs);
	free(gz);
	free(text);
}

static struct hr_output_counters counters(void *ctx)
{
	struct hr_output_counters c;

	hr_output_history.counters(ctx, &c);
	return c;
}

/* Wait, with a deadline and never a fixed sleep, until behind is at most
 * max_behind and caught_up at least min_caught_up. */
static bool wait_for(void *ctx, uint64_t max_behind, uint64_t min_caught_up)
{
	int64_t until = hr_clock_ns(CLOCK_MONOTONIC) + 30LL * HR_T_SLOWDOWN * 1000000000LL;
	struct hr_output_counters c;

	while (c = counters(ctx), c.behind > max_behind || c.caught_up < min_caught_up) {
		if (hr_clock_ns(CLOCK_MONOTONIC) > until)
			return false;
		usleep(20000);
	}
	return true;
}

static int64_t stored(void)
{
	struct hr_history *h = NULL;
	char e[512];
	int64_t n;

	if (hr_history_open(dir, HR_HISTORY_READ, 0, &h, e, sizeof(e)))
		return -1;
	n = hr_history_count(h);
	hr_history_close(h);
	return n;
}

/*
 * A queue of three records' room under 2,000 records: most are deferred.
 * The first log was published just before its records reached the history
 * (the trails take a record first); the second is heard of before it is in
 * the bucket. Both are read back; the history ends with each record once.
 */
TEST(test_catch_up_from_delivered_logs)
{
	enum { N = 2000 };
	int64_t sec = hr_ns_to_sec(hr_wall_ns()) - 60;
	struct hr_shared_record *one = record(0, sec);
	struct hr_output_env env = {.state_dir = dir, .retention_days = 90};
	struct hr_delivered_log a, b;
	struct hr_output_counters c;
	void *ctx = NULL;

	make_dirs();
	env.queue_bytes = 3 * one->bytes;
	hr_shared_record_put(one);
	CHECK_INT(hr_output_history.open(&env, &ctx), 0);

	log_key(&a, N / 2, sec);
	deliver(&a, 0, N / 2, sec);
	hr_output_history.published(ctx, &a); /* nothing behind yet */
	for (int i = 0; i < N; i++) {
		struct hr_shared_record *r = record(i, sec);

		hr_output_history.take(ctx, r);
		hr_shared_record_put(r);
		if (i == N / 2 - 1) {
			log_key(&b, N / 2, sec + 1);
			hr_output_history.published(ctx, &b); /* not in the bucket yet */
		}
	}
	c = counters(ctx);
	CHECK(c.deferred > N / 2);
	CHECK_INT(c.taken, N);
	/* a's deferred records come back; b's wait for b */
	CHECK(wait_for(ctx, UINT64_MAX, 1));
	c = counters(ctx);
	CHECK(c.behind > 0);
	deliver(&b, N / 2, N, sec + 1);
	CHECK(wait_for(ctx, 0, 0));
	hr_output_history.flush(ctx);
	c = counters(ctx);
	CHECK_INT(c.behind, 0);
	CHECK_INT(c.lost[HR_LOSS_QUEUE_FULL], 0);
	CHECK_INT(c.lost[HR_LOSS_REFUSED], 0);
	CHECK(c.caught_up >= c.deferred);
	hr_output_history.stop(ctx);
	CHECK_INT(stored(), N);
	{
		char path[PATH_MAX];

		snprintf(path, sizeof(path), "%s/history-catch-up.json", dir);
		CHECK(access(path, F_OK) != 0); /* nothing left for a next start */
	}
	remove_dirs();
}

/*
 * No room at all: every record is deferred. The agent stops before its log
 * is delivered; the next start goes on from history-catch-up.json, and the
 * log, when it comes, is truncated: its whole records are stored, the rest
 * counted lost, exactly.
 */
TEST(test_catch_up_across_restart_and_truncated_log)
{
	enum { N = 600 };
	int64_t sec = hr_ns_to_sec(hr_wall_ns()) - 60;
	struct hr_output_env env = {.state_dir = dir, .retention_days = 90, .queue_bytes = 1};
	struct hr_delivered_log log;
	struct hr_output_counters c;
	char path[PATH_MAX];
	void *ctx = NULL;
	int64_t kept;

	make_dirs();
	CHECK_INT(hr_output_history.open(&env, &ctx), 0);
	for (int i = 0; i < N; i++) {
		struct hr_shared_record *r = record(i, sec);

		hr_output_history.take(ctx, r);
		hr_shared_record_put(r);
	}
	log_key(&log, N, sec);
	hr_output_history.published(ctx, &log);
	c = counters(ctx);
	CHECK_INT(c.deferred, N);
	CHECK_INT(c.behind, N);
	hr_output_history.stop(ctx);
	snprintf(path, sizeof(path), "%s/history-catch-up.json", dir);
	CHECK_INT(access(path, F_OK), 0);
	CHECK_INT(stored(), 0);

	/* half the file's gzip: the inflated part ends inside some record */
	deliver_truncated(&log, 0, N, sec);
	ctx = NULL;
	CHECK_INT(hr_output_history.open(&env, &ctx), 0);
	CHECK_INT(counters(ctx).behind, N);
	CHECK(wait_for(ctx, 0, 0));
	c = counters(ctx);
	hr_output_history.stop(ctx);
	kept = stored();
	CHECK(kept > 0 && kept < N);
	CHECK_INT(c.caught_up, kept);
	CHECK_INT(c.lost[HR_LOSS_QUEUE_FULL], N - kept);
	CHECK(access(path, F_OK) != 0);
	remove_dirs();
}

int main(void)
{
	RUN(test_catch_up_from_delivered_logs);
	RUN(test_catch_up_across_restart_and_truncated_log);
	TEST_MAIN_END();
}

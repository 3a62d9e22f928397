// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_batch.c - batching, delivery and crash recovery of the batcher.
 *
 * Crashes are real: a child process spools records and SIGKILLs itself
 * (before delivery, or inside on_delivered); the parent then reopens the
 * spool and checks every record is delivered exactly once. Disk-full cases
 * use small tmpfs mounts and are skipped when mounting is not allowed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <regex.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <openssl/sha.h>
#include <zlib.h>

#include "harness.h"
#include "fixtures.h"
#include "batch/batch.h"
#include "batch/spool.h"
#include "common/log.h"
#include "deliver/logfile.h"

#define NSEC	 1000000000LL
#define ACCOUNT	 "111122223333"
#define REGION	 "us-east-1"
#define T0	 (1700000040LL * NSEC) /* 2023-11-14T22:14:00Z, a minute boundary */
#define MAX_LOGS 64

/* ---- helpers ---- */

struct got {
	int n;
	struct hr_delivered_log logs[MAX_LOGS];
};

static void on_log(void *arg, const struct hr_delivered_log *log)
{
	struct got *g = arg;

	if (g->n < MAX_LOGS)
		g->logs[g->n] = *log;
	g->n++;
}

struct env {
	char dir[64];
	char bucket[128];
	char spool[128];
};

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void env_new(struct env *e)
{
	snprintf(e->dir, sizeof(e->dir), "/tmp/hr-batch-XXXXXX");
	if (!mkdtemp(e->dir))
		abort();
	snprintf(e->bucket, sizeof(e->bucket), "%s/bucket", e->dir);
	snprintf(e->spool, sizeof(e->spool), "%s/spool", e->dir);
}

static void env_free(struct env *e)
{
	nftw(e->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static struct hr_batcher_opts opts_for(struct env *e, struct got *g, unsigned secs)
{
	struct hr_batcher_opts o = {
		.bucket_dir = e->bucket,
		.spool_dir = e->spool,
		.batch_seconds = secs,
		.on_delivered = g ? on_log : NULL,
		.arg = g,
	};

	snprintf(o.frame.account_id, sizeof(o.frame.account_id), ACCOUNT);
	snprintf(o.frame.region, sizeof(o.frame.region), REGION);
	return o;
}

static int64_t ev_time(int seq)
{
	return T0 - 3600 * NSEC + (int64_t)seq * NSEC + 123;
}

/* The record with number seq; pad bytes of random hex if pad > 0. */
static size_t rec_json(char *buf, size_t cap, int seq, size_t pad)
{
	size_t n = (size_t)snprintf(buf, cap,
				    "{\"eventVersion\":\"1.08\",\"eventID\":\"id-%d\","
				    "\"seq\":%d,\"pad\":\"",
				    seq, seq);
	unsigned x = (unsigned)seq * 2654435761u + 1;

	for (size_t i = 0; i < pad && n + 3 < cap; i++) {
		x = x * 1103515245u + 12345u;
		buf[n++] = "0123456789abcdef"[(x >> 16) & 15];
	}
	n += (size_t)snprintf(buf + n, cap - n, "\"}");
	return n;
}

static int add_one(struct hr_batcher *b, int seq, size_t pad)
{
	static char buf[300 * 1024];
	struct hr_record r;

	memset(&r, 0, sizeof(r));
	r.len = rec_json(buf, sizeof(buf), seq, pad);
	r.json = buf;
	r.event_time_ns = ev_time(seq);
	return hr_batcher_add(b, &r);
}

static int add_range(struct hr_batcher *b, int from, int count, size_t pad)
{
	int err = 0;

	for (int i = from; i < from + count && !err; i++)
		err = add_one(b, i, pad);
	return err;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * NSEC + ts.tv_nsec;
}

/* Files under the bucket: published logs, and leftover temporaries. */
static int g_logs, g_tmps, g_other;

static int count_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	const char *name = path + ftw->base;
	size_t n = strlen(name);

	if (flag != FTW_F)
		return 0;
	if (name[0] == '.' && n > 4 && !strcmp(name + n - 4, ".tmp"))
		g_tmps++;
	else if (n > 8 && !strcmp(name + n - 8, ".json.gz"))
		g_logs++;
	else
		g_other++;
	return 0;
}

static int count_logs(struct env *e)
{
	g_logs = g_tmps = g_other = 0;
	nftw(e->bucket, count_one, 16, FTW_PHYS);
	return g_logs;
}

static int count_spools(struct env *e, const char *suffix)
{
	struct dirent *de;
	DIR *d = opendir(e->spool);
	int n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name), k = strlen(suffix);

		if (!strncmp(de->d_name, "spool-", 6) && l > k &&
		    !strcmp(de->d_name + l - k, suffix))
			n++;
	}
	closedir(d);
	return n;
}

static bool spool_path(struct env *e, const char *suffix, char *out, size_t len)
{
	struct dirent *de;
	DIR *d = opendir(e->spool);
	bool found = false;

	if (!d)
		return false;
	while (!found && (de = readdir(d))) {
		size_t l = strlen(de->d_name), k = strlen(suffix);

		if (!strncmp(de->d_name, "spool-", 6) && l > k &&
		    !strcmp(de->d_name + l - k, suffix)) {
			snprintf(out, len, "%s/%s", e->spool, de->d_name);
			found = true;
		}
	}
	closedir(d);
	return found;
}

static bool key_ok(const struct hr_delivered_log *log)
{
	static const char pat[] = "^AWSLogs/[0-9]{12}/CloudTrail/" REGION
				  "/[0-9]{4}/[0-9]{2}/[0-9]{2}/[0-9]{12}"
				  "_CloudTrail_" REGION
				  "_[0-9]{8}T[0-9]{4}Z_[A-Za-z0-9]{16}\\.json\\.gz$";
	char want[HR_LOG_KEY_MAX], unique[HR_LOG_UNIQUE_LEN + 1];
	const char *file, *dates, *stamp;
	regex_t re;
	bool ok;

	if (regcomp(&re, pat, REG_EXTENDED | REG_NOSUB))
		return false;
	ok = regexec(&re, log->key, 0, NULL, 0) == 0;
	regfree(&re);
	if (!ok)
		return false;
	/* the folders are the file's date, and both are the delivery time */
	dates = log->key + strlen("AWSLogs/" ACCOUNT "/CloudTrail/" REGION "/");
	file = strrchr(log->key, '/') + 1;
	stamp = file + strlen(ACCOUNT "_CloudTrail_" REGION "_");

	if (memcmp(dates, stamp, 4) || memcmp(dates + 5, stamp + 4, 2) ||
	    memcmp(dates + 8, stamp + 6, 2))
		return false;
	snprintf(unique, sizeof(unique), "%.16s", stamp + 15);
	if (hr_logfile_key(want, sizeof(want), ACCOUNT, REGION, log->delivered_ns, unique))
		return false;
	return strcmp(want, log->key) == 0;
}

/*
 * The log file is at its key, is one gzip member, and its bytes are exactly
 * {"Records":[...]} of records from..from+count-1 (pad as added), in order;
 * the callback's hash, size and times match.
 */
static void check_log(struct env *e, const struct hr_delivered_log *log, int from, int count,
		      size_t pad)
{
	static char rec[300 * 1024];
	unsigned char *out = NULL, md[32];
	char path[1024], hex[65];
	size_t out_len = 0, pos;
	json_error_t jerr;
	json_t *root, *recs;
	char *want;
	size_t want_cap = 64 + (size_t)count * (pad + 128), wl;

	CHECK(key_ok(log));
	snprintf(path, sizeof(path), "%s/%s", e->bucket, log->key);
	CHECK_INT(gunzip_one(path, &out, &out_len), 0);
	if (!out)
		return;
	CHECK_INT(out_len, log->uncompressed_bytes);
	SHA256(out, out_len, md);
	for (int i = 0; i < 32; i++)
		sprintf(hex + 2 * i, "%02x", md[i]);
	CHECK_STR(log->sha256_hex, hex);
	CHECK_INT(log->n_records, count);
	CHECK_INT(log->oldest_event_ns, ev_time(from));
	CHECK_INT(log->newest_event_ns, ev_time(from + count - 1));

	/* exact bytes */
	want = malloc(want_cap);
	wl = (size_t)snprintf(want, want_cap, "{\"Records\":[");
	for (int i = 0; i < count; i++) {
		size_t n = rec_json(rec, sizeof(rec), from + i, pad);

		if (i)
			want[wl++] = ',';
		memcpy(want + wl, rec, n);
		wl += n;
	}
	memcpy(want + wl, "]}", 2);
	wl += 2;
	CHECK_INT(out_len, wl);
	CHECK(out_len == wl && memcmp(out, want, wl) == 0);
	free(want);

	/* and jansson reads it as CloudTrail's envelope, records in order */
	root = json_loadb((const char *)out, out_len, 0, &jerr);
	CHECK(root && json_is_object(root) && json_object_size(root) == 1);
	recs = json_object_get(root, "Records");
	CHECK(json_is_array(recs) && json_array_size(recs) == (size_t)count);
	pos = 0;
	for (size_t i = 0; recs && i < json_array_size(recs); i++) {
		json_t *seq = json_object_get(json_array_get(recs, i), "seq");

		if (json_integer_value(seq) == from + (json_int_t)i)
			pos++;
	}
	CHECK_INT(pos, count);
	json_decref(root);
	free(out);
}

/* ---- tests ---- */

TEST(test_tick_period)
{
	struct env e;
	struct got g = {0};
	struct hr_batcher_opts o;
	struct hr_batcher *b = NULL;
	struct hr_batcher_stats st;

	env_new(&e);
	o = opts_for(&e, &g, 60);
	CHECK_INT(hr_batcher_open(&o, &b), 0);
	if (!b)
		return;
	CHECK_INT(hr_batcher_tick(b, T0 + 5 * NSEC), 0);
	CHECK_INT(add_range(b, 0, 3, 0), 0);
	CHECK_INT(hr_batcher_tick(b, T0 + 10 * NSEC), 0);
	CHECK_INT(count_logs(&e), 0);
	CHECK_INT(count_spools(&e, ".open"), 1); /* spooled, not delivered */
	CHECK_INT(hr_batcher_tick(b, T0 + 59 * NSEC), 0);
	CHECK_INT(count_logs(&e), 0);
	CHECK_INT(g.n, 0);

	CHECK_INT(hr_batcher_tick(b, T0 + 60 * NSEC + 1000000), 0);
	CHECK_INT(count_logs(&e), 1);
	CHECK_INT(g.n, 1);
	check_log(&e, &g.logs[0], 0, 3, 0);
	CHECK_INT(g.logs[0].delivered_ns, T0 + 60 * NSEC + 1000000);
	CHECK(strstr(g.logs[0].key,
		     "/2023/11/14/" ACCOUNT "_CloudTrail_" REGION "_20231114T2215Z_") != NULL);
	hr_batcher_stats(b, &st);
	CHECK_INT(st.accepted, 3);
	CHECK_INT(st.delivered, 3);
	CHECK_INT(st.files, 1);
	CHECK_INT(st.pending, 0);
	CHECK_INT(st.lost, 0);
	CHECK_INT(st.last_delivery_ns, T0 + 60 * NSEC + 1000000);
	CHECK_STR(st.last_error, "");
	CHECK_INT(count_spools(&e, ""), 0);

	/* an empty period delivers nothing */
	CHECK_INT(hr_batcher_tick(b, T0 + 125 * NSEC), 0);
	CHECK_INT(count_logs(&e), 1);
	CHECK_INT(g.n, 1);

	/* the next batch */
	CHECK_INT(add_range(b, 3, 2, 0), 0);
	CHECK_INT(hr_batcher_tick(b, T0 + 179 * NSEC), 0);
	CHECK_INT(count_logs(&e), 1);
	CHECK_INT(hr_batcher_tick(b, T0 + 180 * NSEC), 0);
	CHECK_INT(count_logs(&e), 2);
	CHECK_INT(g.n, 2);
	check_log(&e, &g.logs[1], 3, 2, 0);
	CHECK_INT(g_tmps + g_other, 0);
	hr_batcher_close(b);
	env_free(&e);
}

TEST(test_flush_and_close)
{
	struct env e;
	struct got g = {0};
	struct hr_batcher_opts o;
	struct hr_batcher *b = NULL;
	struct hr_batcher_stats st;

	env_new(&e);
	o = opts_for(&e, &g, 0);
	CHECK_INT(hr_batcher_open(&o, &b), 0);
	if (!b)
		return;
	CHECK_INT(hr_batcher_flush(b), 0); /* empty: nothing */
	CHECK_INT(count_logs(&e), 0);
	CHECK_INT(add_range(b, 0, 5, 10), 0);
	CHECK_INT(hr_batcher_flush(b), 0);
	CHECK_INT(count_logs(&e), 1);
	CHECK_INT(g.n, 1);
	check_log(&e, &g.logs[0], 0, 5, 10);
	CHECK(g.logs[0].delivered_ns > now_ns() - 60 * NSEC);
	CHECK_INT(hr_batcher_flush(b), 0);
	CHECK_INT(count_logs(&e), 1);

	/* close does not deliver; the next open does */
	CHECK_INT(add_range(b, 5, 2, 10), 0);
	hr_batcher_close(b);
	CHECK_INT(count_logs(&e), 1);
	CHECK_INT(g.n, 1);
	CHECK_INT(hr_batcher_open(&o, &b), 0);
	CHECK_INT(g.n, 2);
	CHECK_INT(count_logs(&e), 2);
	check_log(&e, &g.logs[1], 5, 2, 10);
	hr_batcher_stats(b, &st);
	CHECK_INT(st.recovered, 2);
	CHECK_INT(st.delivered, 2);
	CHECK_INT(st.pending, 0);
	hr_batcher_close(b);
	env_free(&e);
}

TEST(test_open_checks)
{
	struct env e;
	struct hr_batcher_opts o;
	struct hr_batcher *b = NULL, *b2 = NULL;

	env_new(&e);
	o = opts_for(&e, NULL, 0);
	snprintf(o.frame.account_id, sizeof(o.frame.account_id), "1234");
	CHECK_INT(hr_batcher_open(&o, &b), -EINVAL);
	CHECK(b == NULL);
	o = opts_for(&e, NULL, 0);
	snprintf(o.frame.region, sizeof(o.frame.region), "Bad_Region");
	CHECK_INT(hr_batcher_open(&o, &b), -EINVAL);
	o = opts_for(&e, NULL, 0);
	o.spool_dir = NULL;
	CHECK_INT(hr_batcher_open(&o, &b), -EINVAL);

	/* one batcher per spool directory */
	o = opts_for(&e, NULL, 0);
	CHECK_INT(hr_batcher_open(&o, &b), 0);
	CHECK_INT(hr_batcher_open(&o, &b2), -EBUSY);
	CHECK(b2 == NULL);
	hr_batcher_close(b);
	CHECK_INT(hr_batcher_open(&o, &b2), 0);
	hr_batcher_close(b2);
	hr_batcher_close(NULL);
	env_free(&e);
}

TEST(test_bad_records)
{
	struct env e;
	struct got g = {0};
	struct hr_batcher_opts o;
	struct hr_batcher *b = NULL;
	struct hr_batcher_stats st;
	struct hr_record r;
	char two_lines[] = "{\"a\":1}\n{\"b\":2}";

	env_new(&e);
	o = opts_for(&e, &g, 0);
	CHECK_INT(hr_batcher_open(&o, &b), 0);
	if (!b)
		return;
	memset(&r, 0, sizeof(r));
	r.json = two_lines;
	r.len = strlen(two_lines);
	CHECK_INT(hr_batcher_add(b, &r), -EINVAL);
	r.len = 0;
	CHECK_INT(hr_batcher_add(b, &r), -EINVAL);
	CHECK_INT(hr_batcher_add(b, NULL), -EINVAL);
	hr_batcher_stats(b, &st);
	CHECK_INT(st.lost, 3);
	CHECK_INT(st.accepted, 0);
	CHECK(st.last_error[0] != '\0');

	/* a record bigger than the spool buffer goes through whole */
	CHECK_INT(add_one(b, 0, 10), 0);
	CHECK_INT(add_one(b, 1, 200 * 1024), 0);
	CHECK_INT(add_one(b, 2, 10), 0);
	CHECK_INT(hr_batcher_flush(b), 0);
	CHECK_INT(g.n, 1);
	if (g.n == 1) {
		/* check_log rebuilds with one pad: check sizes and hash by hand */
		unsigned char *out = NULL;
		char path[1024];
		size_t len = 0;
		json_t *root;
		json_error_t jerr;

		snprintf(path, sizeof(path), "%s/%s", e.bucket, g.logs[0].key);
		CHECK_INT(gunzip_one(path, &out, &len), 0);
		root = out ? json_loadb((char *)out, len, 0, &jerr) : NULL;
		CHECK(root != NULL);
		CHECK_INT(json_array_size(json_object_get(root, "Records")), 3);
		CHECK_INT(strlen(json_string_value(json_object_get(
				  json_array_get(json_object_get(root, "Records"), 1), "pad"))),
			  200 * 1024);
		json_decref(root);
		free(out);
	}
	hr_batcher_close(b);
	env_free(&e);
}

/* A child spools n records, writes them (tick) and is SIGKILLed. */
static void crash_child(struct env *e, int from, int n)
{
	pid_t pid = fork();
	int status = 0;

	if (pid == 0) {
		struct hr_batcher_opts o = opts_for(e, NULL, 300);
		struct hr_batcher *b;

		if (hr_batcher_open(&o, &b) || add_range(b, from, n, 20))
			_exit(1);
		hr_batcher_tick(b, now_ns());
		raise(SIGKILL);
		_exit(2);
	}
	waitpid(pid, &status, 0);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

TEST(test_crash_recovery)
{
	struct env e;
	struct got g = {0};
	struct hr_batcher_opts o;
	struct hr_batcher *b = NULL;
	struct hr_batcher_stats st;

	env_new(&e);
	crash_child(&e, 0, 5);
	CHECK_INT(count_logs(&e), 0);
	CHECK_INT(count_spools(&e, ".open"), 1);

	o = opts_for(&e, &g, 300);
	CHECK_INT(hr_batcher_open(&o, &b), 0);
	CHECK_INT(g.n, 1);
	CHECK_INT(count_logs(&e), 1);
	if (g.n == 1)
		check_log(&e, &g.logs[0], 0, 5, 20);
	hr_batcher_stats(b, &st);
	CHECK_INT(st.recovered, 5);
	CHECK_INT(st.delivered, 5);
	CHECK_INT(st.files, 1);
	CHECK_INT(st.lost, 0);
	CHECK_INT(st.pending, 0);
	CHECK_INT(count_spools(&e, ""), 0);
	hr_batcher_close(b);

	/* exactly once: nothing more on the next start */
	CHECK_INT(hr_batcher_open(&o, &b), 0);
	CHECK_INT(g.n, 1);
	CHECK_INT(count_logs(&e), 1);
	hr_batcher_close(b);
	env_free(&e);
}

/* The child dies inside on_delivered: after prepare, before the rename. */
static int g_pipe[2];

static void die_in_callback(void *arg, const struct hr_delivered_log *log)
{
	if (write(g_pipe[1], log->key, strlen(log->key) + 1) < 0)
		_exit(3);
	raise(SIGKILL);
}

TEST(test_crash_before_rename)
{
	struct env e;
	struct got g = {0};
	struct hr_batcher_opts o;
	struct hr_batcher *b = NULL;
	char child_key[HR_LOG_KEY_MAX] = "", path[1024];
	struct stat sb;
	int status = 0;
	pid_t pid;

	env_new(&e);
	CHECK_INT(pipe(g_pipe), 0);
	pid = fork();
	if (pid == 0) {
		struct hr_batcher *cb;

		o = opts_for(&e, NULL, 300);
		o.on_delivered = die_in_callback;
		if (hr_batcher_open(&o, &cb) || add_range(cb, 0, 4, 0))
			_exit(1);
		hr_batcher_flush(cb);
		_exit(2);
	}
	close(g_pipe[1]);
	CHECK(read(g_pipe[0], child_key, sizeof(child_key)) > 0);
	close(g_pipe[0]);
	waitpid(pid, &status, 0);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	/* prepared (reported as pending) but never visible */
	CHECK_INT(count_logs(&e), 0);
	CHECK_INT(g_tmps, 1);
	CHECK_INT(count_spools(&e, ".sealed"), 1);

	o = opts_for(&e, &g, 300);
	CHECK_INT(hr_batcher_open(&o, &b), 0);
	CHECK_INT(g.n, 1);
	CHECK_INT(count_logs(&e), 1);
	CHECK_INT(g_tmps, 0); /* the stale temporary is gone */
	if (g.n == 1) {
		check_log(&e, &g.logs[0], 0, 4, 0);
		CHECK(strcmp(g.logs[0].key, child_key) != 0);
	}
	snprintf(path, sizeof(path), "%s/%s", e.bucket, child_key);
	CHECK(child_key[0] && stat(path, &sb) != 0); /* the pending key never appears */
	CHECK_INT(count_spools(&e, ""), 0);
	hr_batcher_close(b);
	env_free(&e);
}

TEST(test_crash_after_rename)
{
	struct env e;
	struct got g = {0};
	struct hr_batcher_opts o;
	struct hr_batcher *b = NULL;
	struct hr_batcher_stats st;
	char name[300], path[512], line[256];
	int fd;

	env_new(&e);
	o = opts_for(&e, &g, 300);
	CHECK_INT(hr_batcher_open(&o, &b), 0);
	if (!b)
		return;
	CHECK_INT(add_range(b, 0, 3, 0), 0);
	CHECK_INT(hr_batcher_flush(b), 0);
	hr_batcher_close(b);
	CHECK_INT(g.n, 1);

	/* Put back the sealed spool as a crash right after the rename leaves it. */
	CHECK_INT(hr_spool_sealed_name(name, sizeof(name), strrchr(g.logs[0].key, '/') + 1), 0);
	snprintf(path, sizeof(path), "%s/%s", e.spool, name);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0640);
	CHECK(fd >= 0);
	for (int i = 0; i < 3; i++) {
		size_t n = hr_spool_prefix(line, ev_time(i));

		n += rec_json(line + n, sizeof(line) - n - 1, i, 0);
		line[n++] = '\n';
		CHECK(write(fd, line, n) == (ssize_t)n);
	}
	close(fd);

	CHECK_INT(hr_batcher_open(&o, &b), 0);
	CHECK_INT(g.n, 1);	      /* not reported again */
	CHECK_INT(count_logs(&e), 1); /* not delivered again */
	CHECK_INT(count_spools(&e, ""), 0);
	hr_batcher_stats(b, &st);
	CHECK_INT(st.pending, 0);
	CHECK_INT(st.recovered, 0);
	hr_batcher_close(b);
	env_free(&e);
}

static void append_file(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_APPEND);

	CHECK(fd >= 0 && write(fd, data, len) == (ssize_t)len);
	if (fd >= 0)
		close(fd);
}

TEST(test_torn_tail)
{
	static const char torn[] =
		"1699996440000000123\t{\"eventVersion\":\"1.08\",\"eventID\":\"i";
	struct env e;
	struct got g = {0};
	struct hr_batcher_opts o;
	struct hr_batcher *b = NULL;
	struct hr_batcher_stats st;
	char path[512];

	env_new(&e);
	crash_child(&e, 0, 4);
	CHECK(spool_path(&e, ".open", path, sizeof(path)));
	append_file(path, torn, sizeof(torn) - 1); /* the write a crash cut */

	o = opts_for(&e, &g, 300);
	CHECK_INT(hr_batcher_open(&o, &b), 0);
	CHECK_INT(g.n, 1);
	if (g.n == 1)
		check_log(&e, &g.logs[0], 0, 4, 20);
	hr_batcher_stats(b, &st);
	CHECK_INT(st.recovered, 4);
	CHECK_INT(st.lost, 1);
	CHECK_INT(st.delivered, 4);
	hr_batcher_close(b);
	env_free(&e);
}

TEST(test_corrupt_middle)
{
	struct env e;
	struct got g = {0};
	struct hr_batcher_opts o;
	struct hr_batcher *b = NULL;
	struct hr_batcher_stats st;
	char path[512], line[512];
	size_t n;

	env_new(&e);
	crash_child(&e, 0, 2);
	CHECK(spool_path(&e, ".open", path, sizeof(path)));
	/* garbage lines (zeros a power loss left, a cut record), then good ones */
	append_file(path, "\0\0\0\0\n", 5);
	append_file(path, "17\t{\"a\":\n", 9);
	append_file(path, "x\t{}\n", 5);
	for (int i = 2; i < 4; i++) {
		n = hr_spool_prefix(line, ev_time(i));
		n += rec_json(line + n, sizeof(line) - n - 1, i, 20);
		line[n++] = '\n';
		append_file(path, line, n);
	}

	o = opts_for(&e, &g, 300);
	CHECK_INT(hr_batcher_open(&o, &b), 0);
	CHECK_INT(g.n, 1);
	if (g.n == 1)
		check_log(&e, &g.logs[0], 0, 4, 20);
	hr_batcher_stats(b, &st);
	CHECK_INT(st.recovered, 4);
	CHECK_INT(st.lost, 3);
	CHECK_INT(count_spools(&e, ""), 0);
	hr_batcher_close(b);
	env_free(&e);
}

TEST(test_delivery_failure_retry)
{
	struct env e;
	struct got g = {0};
	struct hr_batcher_opts o;
	struct hr_batcher *b = NULL;
	struct hr_batcher_stats st;
	char file[256];
	int64_t t;
	int fd;

	env_new(&e);
	/* the bucket's parent is a regular file: stops root too */
	snprintf(file, sizeof(file), "%s/notadir", e.dir);
	fd = open(file, O_CREAT | O_WRONLY, 0600);
	CHECK(fd >= 0);
	close(fd);
	snprintf(e.bucket, sizeof(e.bucket), "%s/notadir/bucket", e.dir);
	o = opts_for(&e, &g, 60);
	CHECK_INT(hr_batcher_open(&o, &b), 0);
	if (!b)
		return;
	t = T0;
	CHECK_INT(hr_batcher_tick(b, t), 0);
	CHECK_INT(add_range(b, 0, 3, 0), 0);
	t += 61 * NSEC;
	CHECK_INT(hr_batcher_tick(b, t), -ENOTDIR);
	hr_batcher_stats(b, &st);
	CHECK_INT(st.files, 0);
	CHECK_INT(st.pending, 3);
	CHECK_INT(st.pending_files, 1);
	CHECK(strncmp(st.last_error, "failed to ", 10) == 0);
	CHECK(strstr(st.last_error, "Not a directory") != NULL);
	CHECK_INT(st.last_error_ns, t);
	CHECK_INT(g.n, 0);
	CHECK_INT(count_spools(&e, ".sealed"), 1); /* kept */

	/* records keep being accepted; retries back off; the next period fails too */
	CHECK_INT(add_range(b, 3, 2, 0), 0);
	CHECK_INT(hr_batcher_tick(b, t + NSEC / 2), 0); /* backing off */
	CHECK_INT(hr_batcher_tick(b, t + NSEC), -ENOTDIR);
	t += 60 * NSEC;
	CHECK_INT(hr_batcher_tick(b, t), -ENOTDIR);
	hr_batcher_stats(b, &st);
	CHECK_INT(st.pending, 5);
	CHECK_INT(st.pending_files, 2);
	CHECK_INT(st.accepted, 5);
	CHECK_INT(st.last_error_ns, t);

	/* the cause goes away: a later tick (after the back-off) delivers both */
	CHECK_INT(unlink(file), 0);
	CHECK_INT(mkdir(file, 0755), 0);
	CHECK_INT(hr_batcher_tick(b, t + NSEC / 10), 0); /* still backing off */
	CHECK_INT(g.n, 0);
	t += 10 * NSEC;
	CHECK_INT(hr_batcher_tick(b, t), 0);
	CHECK_INT(g.n, 2);
	CHECK_INT(count_logs(&e), 2);
	CHECK_INT(g_tmps + g_other, 0);
	if (g.n == 2) {
		check_log(&e, &g.logs[0], 0, 3, 0);
		check_log(&e, &g.logs[1], 3, 2, 0);
	}
	hr_batcher_stats(b, &st);
	CHECK_INT(st.files, 2);
	CHECK_INT(st.delivered, 5);
	CHECK_INT(st.pending, 0);
	CHECK_INT(st.pending_files, 0);
	CHECK_INT(st.lost, 0);
	CHECK_INT(st.last_delivery_ns, t);
	CHECK(st.last_delivery_ns > st.last_error_ns);
	CHECK_INT(count_spools(&e, ""), 0);
	hr_batcher_close(b);
	env_free(&e);
}

/* A failed delivery survives a restart: pending sealed spool, new open. */
TEST(test_failure_then_restart)
{
	struct env e;
	struct got g = {0};
	struct hr_batcher_opts o;
	struct hr_batcher *b = NULL;
	struct hr_batcher_stats st;
	char file[256];
	int fd;

	env_new(&e);
	snprintf(file, sizeof(file), "%s/notadir", e.dir);
	fd = open(file, O_CREAT | O_WRONLY, 0600);
	close(fd);
	snprintf(e.bucket, sizeof(e.bucket), "%s/notadir/bucket", e.dir);
	o = opts_for(&e, &g, 60);
	CHECK_INT(hr_batcher_open(&o, &b), 0);
	if (!b)
		return;
	CHECK_INT(add_range(b, 0, 3, 0), 0);
	CHECK(hr_batcher_flush(b) < 0);
	CHECK_INT(add_range(b, 3, 1, 0), 0);
	hr_batcher_close(b);
	CHECK_INT(count_spools(&e, ".sealed"), 1);
	CHECK_INT(count_spools(&e, ".open"), 1);

	/* still failing at open: no error from open, both pending */
	CHECK_INT(hr_batcher_open(&o, &b), 0);
	hr_batcher_stats(b, &st);
	CHECK_INT(st.pending, 4);
	CHECK_INT(st.pending_files, 2);
	CHECK(st.last_error[0] != '\0');
	hr_batcher_close(b);

	unlink(file);
	mkdir(file, 0755);
	CHECK_INT(hr_batcher_open(&o, &b), 0);
	CHECK_INT(g.n, 2);
	if (g.n == 2) {
		check_log(&e, &g.logs[0], 0, 3, 0);
		check_log(&e, &g.logs[1], 3, 1, 0);
	}
	hr_batcher_stats(b, &st);
	CHECK_INT(st.pending, 0);
	CHECK_INT(st.delivered, 4);
	hr_batcher_close(b);
	env_free(&e);
}

static bool mount_tmpfs(const char *dir, const char *size)
{
	char data[64];

	snprintf(data, sizeof(data), "size=%s,mode=0755", size);
	if (mkdir(dir, 0755) && errno != EEXIST)
		return false;
	if (mount("tmpfs", dir, "tmpfs", 0, data)) {
		printf("skip: cannot mount tmpfs on %s: %s\n", dir, strerror(errno));
		return false;
	}
	return true;
}

static bool grow_tmpfs(const char *dir, const char *size)
{
	char data[64];

	snprintf(data, sizeof(data), "size=%s,mode=0755", size);
	return mount(NULL, dir, NULL, MS_REMOUNT, data) == 0;
}

TEST(test_bucket_enospc)
{
	struct env e;
	struct got g = {0};
	struct hr_batcher_opts o;
	struct hr_batcher *b = NULL;
	struct hr_batcher_stats st;

	env_new(&e);
	if (!mount_tmpfs(e.bucket, "64k")) {
		env_free(&e);
		return;
	}
	o = opts_for(&e, &g, 300);
	CHECK_INT(hr_batcher_open(&o, &b), 0);
	/* ~400 KB of random hex: ~200 KB gzipped, more than the bucket holds */
	CHECK_INT(add_range(b, 0, 400, 1000), 0);
	CHECK_INT(hr_batcher_flush(b), -ENOSPC);
	hr_batcher_stats(b, &st);
	CHECK(strncmp(st.last_error, "failed to write AWSLogs/" ACCOUNT "/CloudTrail/", 37) == 0);
	CHECK(strstr(st.last_error, ": No space left on device") != NULL);
	CHECK_INT(st.pending, 400);
	CHECK_INT(st.files, 0);
	CHECK_INT(g.n, 0);
	CHECK_INT(count_logs(&e), 0);
	CHECK_INT(g_tmps, 0); /* the partial file was removed */

	CHECK(grow_tmpfs(e.bucket, "8m"));
	CHECK_INT(hr_batcher_flush(b), 0);
	CHECK_INT(g.n, 1);
	if (g.n == 1)
		check_log(&e, &g.logs[0], 0, 400, 1000);
	hr_batcher_stats(b, &st);
	CHECK_INT(st.pending, 0);
	CHECK_INT(st.delivered, 400);
	hr_batcher_close(b);
	umount2(e.bucket, MNT_DETACH);
	env_free(&e);
}

TEST(test_spool_enospc)
{
	struct env e;
	struct got g = {0};
	struct hr_batcher_opts o;
	struct hr_batcher *b = NULL;
	struct hr_batcher_stats st;
	int attempts = 0, failures = 0, first_fail = -1;

	env_new(&e);
	if (!mount_tmpfs(e.spool, "64k")) {
		env_free(&e);
		return;
	}
	o = opts_for(&e, &g, 300);
	CHECK_INT(hr_batcher_open(&o, &b), 0);
	if (!b)
		goto out;
	for (int i = 0; i < 300; i++, attempts++) {
		if (add_one(b, i, 1000)) {
			failures++;
			if (first_fail < 0)
				first_fail = i;
		}
	}
	hr_batcher_tick(b, now_ns()); /* writes (and loses) what is buffered */
	hr_batcher_stats(b, &st);
	CHECK(failures > 0);
	CHECK(st.lost >= (uint64_t)failures);
	CHECK_INT(st.pending + st.lost, attempts); /* nothing lost silently */
	CHECK(strstr(st.last_error, "No space left on device") != NULL);

	/* what was spooled is delivered intact */
	CHECK_INT(hr_batcher_flush(b), 0);
	hr_batcher_stats(b, &st);
	CHECK_INT(st.delivered + st.lost, attempts);
	CHECK_INT(g.n, 1);
	if (g.n == 1)
		check_log(&e, &g.logs[0], 0, (int)g.logs[0].n_records, 1000);
	hr_batcher_close(b);
out:
	umount2(e.spool, MNT_DETACH);
	env_free(&e);
}

static double secs_since(const struct timespec *a)
{
	struct timespec b;

	clock_gettime(CLOCK_MONOTONIC, &b);
	return (double)(b.tv_sec - a->tv_sec) + (double)(b.tv_nsec - a->tv_nsec) / 1e9;
}

/* 100,000 records of ~900 bytes: spool them and build the file. */
TEST(test_perf_100k)
{
	struct env e;
	struct got g = {0};
	struct hr_batcher_opts o;
	struct hr_batcher *b = NULL;
	struct hr_record r;
	struct timespec t0;
	static char json[2048];
	double add_s, flush_s;
	bool on_tmpfs;
	int err = 0;

	env_new(&e);
	/* tmpfs: measure the CPU cost, not this VM's disk */
	on_tmpfs = mount_tmpfs(e.dir, "512m");
	o = opts_for(&e, &g, 300);
	CHECK_INT(hr_batcher_open(&o, &b), 0);
	if (!b)
		goto out;
	memset(&r, 0, sizeof(r));
	r.json = json;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 100000 && !err; i++) {
		/* realistic records: mostly repeated text, a unique id and time */
		r.len = (size_t)snprintf(
			json, sizeof(json),
			"{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"IAMUser\","
			"\"principalId\":\"1000\",\"arn\":\"arn:aws:iam::111122223333:user/alice\","
			"\"accountId\":\"111122223333\",\"userName\":\"alice\"},"
			"\"eventTime\":\"2023-11-14T22:%02d:%02dZ\",\"eventSource\":\"linux."
			"amazonaws.com\","
			"\"eventName\":\"Setuid\",\"awsRegion\":\"us-east-1\",\"sourceIPAddress\":"
			"\"localhost\","
			"\"userAgent\":\"/usr/bin/"
			"sudo\",\"requestParameters\":{\"uid\":0,\"pid\":%d,"
			"\"comm\":\"sudo\",\"exe\":\"/usr/bin/sudo\",\"cwd\":\"/home/alice/src/"
			"project\","
			"\"tty\":\"pts/0\",\"sessionId\":%d},\"responseElements\":null,"
			"\"requestID\":\"%08x-1111-2222-3333-444455556666\","
			"\"eventID\":\"%08x-aaaa-bbbb-cccc-ddddeeeeffff\",\"readOnly\":false,"
			"\"resources\":[{\"accountId\":\"111122223333\",\"type\":\"Linux::User\","
			"\"ARN\":\"arn:aws:iam::111122223333:user/"
			"root\"}],\"eventType\":\"AwsApiCall\","
			"\"managementEvent\":true,\"recipientAccountId\":\"111122223333\","
			"\"eventCategory\":\"Management\"}",
			(i / 60) % 60, i % 60, 1000 + i, i % 97, i * 7919u, i * 104729u);
		r.event_time_ns = T0 + i;
		err = hr_batcher_add(b, &r);
	}
	add_s = secs_since(&t0);
	CHECK_INT(err, 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_INT(hr_batcher_flush(b), 0);
	flush_s = secs_since(&t0);
	CHECK_INT(g.n, 1);
	CHECK_INT(g.n ? g.logs[0].n_records : 0, 100000);
	printf("perf: 100k records (%.0f MB, %s): add %.3f s, deliver %.3f s\n",
	       g.n ? g.logs[0].uncompressed_bytes / 1e6 : 0.0, on_tmpfs ? "tmpfs" : "/tmp", add_s,
	       flush_s);
	CHECK(add_s + flush_s < 1.0 * HR_T_SLOWDOWN);
	hr_batcher_close(b);
out:
	if (on_tmpfs)
		umount2(e.dir, MNT_DETACH);
	env_free(&e);
}

int main(void)
{
	hr_log_set_level(HR_LOG_ERROR);
	RUN(test_tick_period);
	RUN(test_flush_and_close);
	RUN(test_open_checks);
	RUN(test_bad_records);
	RUN(test_crash_recovery);
	RUN(test_crash_before_rename);
	RUN(test_crash_after_rename);
	RUN(test_torn_tail);
	RUN(test_corrupt_middle);
	RUN(test_delivery_failure_retry);
	RUN(test_failure_then_restart);
	RUN(test_bucket_enospc);
	RUN(test_spool_enospc);
	RUN(test_perf_100k);
	TEST_MAIN_END();
}

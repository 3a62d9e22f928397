// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* s3_upload.c - a trail's durable S3 upload queue and its thread (s3_upload.h). */
#include "common/grow.h"
#include "common/sandbox.h"
#include "deliver/s3_upload.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "common/clock.h"
#include "common/sort.h"
#include "common/encode.h"
#include "common/files.h"
#include "common/log.h"

#define NS		   1000000000LL
#define OBJECT_MAX	   (1u << 30)
#define MISSING_GIVE_UP_NS (600 * NS) /* a log file that never appeared locally */
#define SIG_ALGORITHM	   "SHA256withRSA"

enum entry_kind { ENTRY_MARKER, ENTRY_LOG, ENTRY_DIGEST };
static const char *const kind_names[] = {"marker", "log", "digest"};

struct entry {
	uint64_t seq;
	enum entry_kind kind;
	char key[HR_LOG_KEY_MAX];
	char *signature;
	int64_t missing_since_ns;
};

struct hr_s3_uploader {
	char *trail, *account, *state_dir, *bucket_dir, *queue_dir, *prefix, *kms_key_id,
		*kms_context, *creds_file, *profile, *url, *region, *bucket, *ca_bundle;
	struct hr_s3_endpoint ep;
	int64_t retry_max_ns;

	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t thread;
	bool started, stop;
	struct entry *q; /* q[head..n) pending, in announce order */
	size_t head, n, cap;
	uint64_t next_seq;
	int64_t retry_at_ns;
	unsigned attempts; /* failures in a row of the head entry */
	struct hr_s3_status st;

	/* the thread's own */
	struct hr_aws_creds creds;
	bool have_creds;
};

static char *dup_or_null(const char *s)
{
	return s && *s ? strdup(s) : NULL;
}

static int push(struct hr_s3_uploader *u, const struct entry *e)
{
	if (u->head > 0 && u->head == u->n) {
		u->head = u->n = 0;
	}
	if (hr_grow(&u->q, &u->cap, u->n, sizeof(*u->q), 16))
		return -ENOMEM;
	u->q[u->n++] = *e;
	u->st.pending = u->n - u->head;
	return 0;
}

static void entry_name(uint64_t seq, char name[32])
{
	snprintf(name, 32, "%016" PRIu64 ".json", seq);
}

/* Record e durably, then queue it. */
static int enqueue(struct hr_s3_uploader *u, enum entry_kind kind, const char *key,
		   const char *signature)
{
	struct entry e = {.kind = kind};
	char name[32], err[512], *json;
	json_t *o;
	int ret;

	snprintf(e.key, sizeof(e.key), "%s", key);
	if (signature && !(e.signature = strdup(signature)))
		return -ENOMEM;
	pthread_mutex_lock(&u->lock);
	e.seq = u->next_seq++;
	o = json_pack("{ss ss}", "kind", kind_names[kind], "key", key);
	if (o && signature)
		json_object_set_new(o, "signature", json_string(signature));
	json = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	entry_name(e.seq, name);
	ret = json ? hr_write_file_atomic(u->queue_dir, name, json, strlen(json), 0600, true, err,
					  sizeof(err)) :
		     -ENOMEM;
	free(json);
	if (!ret)
		ret = push(u, &e);
	if (ret) {
		hr_err("failed to queue %s for upload to s3://%s: %s", key, u->bucket,
		       ret == -ENOMEM ? "out of memory" : err);
		free(e.signature);
	}
	pthread_cond_signal(&u->wake);
	pthread_mutex_unlock(&u->lock);
	return ret;
}

void hr_s3_on_log(void *arg, const struct hr_delivered_log *log)
{
	enqueue(arg, ENTRY_LOG, log->key, NULL);
}

void hr_s3_on_digest(void *arg, const char *key, const char *signature_hex)
{
	enqueue(arg, ENTRY_DIGEST, key, signature_hex);
}

static int seq_cmp(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	return (x->seq > y->seq) - (x->seq < y->seq);
}

/* What a previous run left in the queue directory. */
static int load_queue(struct hr_s3_uploader *u)
{
	DIR *d = opendir(u->queue_dir);
	struct dirent *de;
	int ret = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d)) && !ret) {
		char path[PATH_MAX], *text = NULL, *end;
		struct entry e = {0};
		const char *kind, *key, *sig;
		size_t len;
		json_t *o;

		e.seq = strtoull(de->d_name, &end, 10);
		if (de->d_name[0] == '.' || strcmp(end, ".json"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", u->queue_dir, de->d_name);
		if (hr_read_file(path, 65536, &text, &len))
			continue;
		o = json_loadb(text, len, 0, NULL);
		free(text);
		kind = json_string_value(json_object_get(o, "kind"));
		key = json_string_value(json_object_get(o, "key"));
		sig = json_string_value(json_object_get(o, "signature"));
		if (!kind || !key || (strcmp(kind, "marker") && !hr_key_is_plain(key)) ||
		    strlen(key) >= sizeof(e.key)) {
			hr_warn("upload queue entry %s is not understood; set aside as %s.bad",
				path, path);
			char bad[PATH_MAX + 8];
			snprintf(bad, sizeof(bad), "%s.bad", path);
			rename(path, bad);
			json_decref(o);
			continue;
		}
		e.kind = !strcmp(kind, "marker") ? ENTRY_MARKER :
			 !strcmp(kind, "log")	 ? ENTRY_LOG :
						   ENTRY_DIGEST;
		snprintf(e.key, sizeof(e.key), "%s", key);
		e.signature = sig ? strdup(sig) : NULL;
		ret = push(u, &e);
		if (e.seq >= u->next_seq)
			u->next_seq = e.seq + 1;
		json_decref(o);
	}
	closedir(d);
	hr_sort(u->q, u->n, sizeof(*u->q), seq_cmp);
	return ret;
}

static int64_t backoff_ns(struct hr_s3_uploader *u, enum hr_s3_outcome how)
{
	int64_t d = NS << (u->attempts < 20 ? u->attempts : 20);
	uint32_t r = 0;

	if (how == HR_S3_REFUSED || d > u->retry_max_ns)
		d = u->retry_max_ns;
	if (getrandom(&r, sizeof(r), 0) != sizeof(r))
		r = (uint32_t)hr_wall_ns();
	/* jitter: between half and all of the delay */
	return d / 2 + (int64_t)((double)(d / 2) * (r / 4294967296.0));
}

static int full_key(const struct hr_s3_uploader *u, const struct entry *e, char *buf, size_t len)
{
	int n;

	if (e->kind == ENTRY_MARKER)
		n = snprintf(buf, len, "%s%sAWSLogs/%s/CloudTrail/", u->prefix ? u->prefix : "",
			     u->prefix ? "/" : "", u->account);
	else
		n = snprintf(buf, len, "%s%s%s", u->prefix ? u->prefix : "", u->prefix ? "/" : "",
			     e->key);
	return n < (int)len ? 0 : -ENAMETOOLONG;
}

/* One attempt at the head entry, without the lock. */
static int upload(struct hr_s3_uploader *u, const struct entry *e, struct hr_s3_result *r)
{
	char key[HR_LOG_KEY_MAX + 256], path[PATH_MAX], err[HR_CREDS_ERR_MAX], *body = NULL;
	size_t len = 0;
	int ret;

	memset(r, 0, sizeof(*r));
	if (!u->have_creds) {
		struct hr_creds_opts co = {u->creds_file, u->profile};

		ret = hr_aws_creds_load(&co, &u->creds, err, sizeof(err));
		if (ret) {
			r->outcome = HR_S3_REFUSED;
			snprintf(r->code, sizeof(r->code), "NoCredentials");
			snprintf(r->err, sizeof(r->err), "no credentials for s3://%s: %.300s",
				 u->bucket, err);
			return 0;
		}
		u->have_creds = true;
	}
	if (full_key(u, e, key, sizeof(key)))
		return -ENAMETOOLONG;
	if (e->kind != ENTRY_MARKER) {
		snprintf(path, sizeof(path), "%s/%s", u->bucket_dir, e->key);
		ret = hr_read_file(path, OBJECT_MAX, &body, &len);
		if (ret)
			return ret; /* -ENOENT: not there yet */
	}
	struct hr_s3_put p = {
		.key = key,
		.body = body ? body : "",
		.len = len,
		.content_type = "application/json",
		.content_encoding = "gzip",
		.kms_key_id = u->kms_key_id,
		.kms_context = u->kms_context,
		.meta_signature = e->kind == ENTRY_DIGEST ? e->signature : NULL,
		.meta_signature_algorithm = e->kind == ENTRY_DIGEST ? SIG_ALGORITHM : NULL,
	};
	ret = hr_s3_put_object(&u->ep, &u->creds, &p, r);
	free(body);
	/* a refusal may be fixed by new keys: read them again next time */
	if (!ret && r->outcome != HR_S3_OK) {
		hr_aws_creds_free(&u->creds);
		u->have_creds = false;
	} else if (u->creds.expires_ns && u->creds.expires_ns - hr_wall_ns() < 300 * NS) {
		hr_aws_creds_free(&u->creds);
		u->have_creds = false;
	}
	return ret;
}

static void drop_head(struct hr_s3_uploader *u)
{
	char name[32], path[PATH_MAX];
	struct entry *e = &u->q[u->head];

	entry_name(e->seq, name);
	snprintf(path, sizeof(path), "%s/%s", u->queue_dir, name);
	if (unlink(path) && errno != ENOENT)
		hr_warn("failed to remove upload queue entry %s: %s", path, strerror(errno));
	free(e->signature);
	u->head++;
	u->st.pending = u->n - u->head;
	u->attempts = 0;
}

static void note_result(struct hr_s3_uploader *u, const struct entry *e, int ret,
			const struct hr_s3_result *r)
{
	int64_t now = hr_wall_ns();
	bool digest = e->kind == ENTRY_DIGEST;
	char *code = digest ? u->st.digest_error : u->st.log_error;
	size_t code_len = digest ? sizeof(u->st.digest_error) : sizeof(u->st.log_error);
	char msg[HR_S3_ERR_MAX];

	if (!ret && r->outcome == HR_S3_OK) {
		if (u->attempts)
			hr_info("s3://%s: stored %s after %u failed attempts", u->bucket, e->key,
				u->attempts);
		*(digest ? &u->st.digest_ns : &u->st.log_ns) = now;
		u->st.uploaded++;
		drop_head(u);
		return;
	}
	if (ret == -ENOENT) {
		snprintf(msg, sizeof(msg), "%s waits for its local file %.300s",
			 kind_names[e->kind], e->key);
		snprintf(code, code_len, "LocalFileMissing");
	} else if (ret) {
		snprintf(msg, sizeof(msg), "failed to upload %.200s to s3://%.63s: %s", e->key,
			 u->bucket, strerror(-ret));
		snprintf(code, code_len, "InternalFailure");
	} else {
		snprintf(msg, sizeof(msg), "failed to upload to s3: %.300s", r->err);
		snprintf(code, code_len, "%s", r->code);
	}
	*(digest ? &u->st.digest_error_ns : &u->st.log_error_ns) = now;
	/* one line per new reason, not one per retry */
	if (strcmp(msg, u->st.last_error))
		hr_err("%s", msg);
	snprintf(u->st.last_error, sizeof(u->st.last_error), "%s", msg);
	u->st.retries++;
	u->attempts++;
	u->retry_at_ns = now + backoff_ns(u, ret ? HR_S3_RETRY : r->outcome);
}

static void *run(void *arg)
{
	struct hr_s3_uploader *u = arg;

	pthread_mutex_lock(&u->lock);
	while (!u->stop) {
		struct hr_s3_result r;
		struct entry e;
		int64_t now = hr_wall_ns();
		int ret;

		if (u->head == u->n || now < u->retry_at_ns) {
			int64_t until = u->head == u->n ? now + NS : u->retry_at_ns;
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			until = (int64_t)ts.tv_sec * NS + ts.tv_nsec + (until - now);
			ts.tv_sec = until / NS;
			ts.tv_nsec = until % NS;
			pthread_cond_timedwait(&u->wake, &u->lock, &ts);
			continue;
		}
		e = u->q[u->head]; /* the head is only removed by this thread */
		pthread_mutex_unlock(&u->lock);
		ret = upload(u, &e, &r);
		pthread_mutex_lock(&u->lock);
		if (ret == -ENOENT) {
			struct entry *h = &u->q[u->head];

			if (!h->missing_since_ns)
				h->missing_since_ns = hr_wall_ns();
			if (hr_wall_ns() - h->missing_since_ns < 5 * NS) {
				/* announced just before its rename: it is about to appear */
				u->retry_at_ns = hr_wall_ns() + NS / 5;
				continue;
			}
			if (hr_wall_ns() - h->missing_since_ns > MISSING_GIVE_UP_NS) {
				/* its publish failed; the batcher delivered it under another key */
				hr_warn("s3://%s: %s never appeared locally; not uploaded",
					u->bucket, h->key);
				drop_head(u);
				continue;
			}
		}
		note_result(u, &e, ret, &r);
		pthread_cond_broadcast(&u->wake);
	}
	pthread_mutex_unlock(&u->lock);
	return NULL;
}

static void free_uploader(struct hr_s3_uploader *u)
{
	for (size_t i = u->head; i < u->n; i++)
		free(u->q[i].signature);
	free(u->q);
	hr_aws_creds_free(&u->creds);
	free(u->trail);
	free(u->account);
	free(u->state_dir);
	free(u->bucket_dir);
	free(u->queue_dir);
	free(u->prefix);
	free(u->kms_key_id);
	free(u->kms_context);
	free(u->creds_file);
	free(u->profile);
	free(u->url);
	free(u->region);
	free(u->bucket);
	free(u->ca_bundle);
	pthread_mutex_destroy(&u->lock);
	pthread_cond_destroy(&u->wake);
	free(u);
}

static char *kms_context(const char *arn)
{
	json_t *o = json_pack("{ss}", "aws:cloudtrail:arn", arn ? arn : "");
	char *j = o ? json_dumps(o, JSON_COMPACT) : NULL, *b64;

	json_decref(o);
	b64 = j ? hr_b64_encode(j, strlen(j)) : NULL;
	free(j);
	return b64;
}

int hr_s3_uploader_open(const struct hr_s3_opts *o, struct hr_s3_uploader **out)
{
	struct hr_s3_uploader *u = calloc(1, sizeof(*u));
	char dir[PATH_MAX], err[512];
	int ret;

	*out = NULL;
	if (!u)
		return -ENOMEM;
	pthread_mutex_init(&u->lock, NULL);
	pthread_cond_init(&u->wake, NULL);
	u->trail = strdup(o->trail_name);
	u->account = strdup(o->account_id);
	u->state_dir = strdup(o->state_dir);
	u->bucket_dir = strdup(o->bucket_dir);
	u->prefix = dup_or_null(o->key_prefix);
	u->kms_key_id = dup_or_null(o->kms_key_id);
	u->kms_context = u->kms_key_id ? kms_context(o->trail_arn) : NULL;
	u->creds_file = dup_or_null(o->credentials_file);
	u->profile = dup_or_null(o->profile);
	u->url = dup_or_null(o->endpoint.url);
	u->region = strdup(o->endpoint.region && *o->endpoint.region ? o->endpoint.region :
								       "us-east-1");
	u->bucket = dup_or_null(o->endpoint.bucket);
	u->ca_bundle = dup_or_null(o->endpoint.ca_bundle);
	u->retry_max_ns = (int64_t)(o->retry_max_seconds ? o->retry_max_seconds : 60) * NS;
	snprintf(dir, sizeof(dir), "%s/s3/%s", o->state_dir, o->trail_name);
	u->queue_dir = strdup(dir);
	if (!u->trail || !u->account || !u->state_dir || !u->bucket_dir || !u->queue_dir ||
	    !u->region || (u->kms_key_id && !u->kms_context)) {
		free_uploader(u);
		return -ENOMEM;
	}
	if (!u->url || !u->bucket) {
		hr_err("trail %s: S3 delivery needs an endpoint URL and a bucket", o->trail_name);
		free_uploader(u);
		return -EINVAL;
	}
	u->ep = (struct hr_s3_endpoint){u->url, u->region, u->bucket, o->endpoint.virtual_hosted,
					u->ca_bundle};
	ret = hr_make_dirs(dir, err, sizeof(err));
	if (!ret)
		chmod(dir, 0700);
	if (!ret)
		ret = load_queue(u);
	if (ret) {
		hr_err("failed to open the upload queue %s: %s", dir,
		       err[0] ? err : strerror(-ret));
		free_uploader(u);
		return ret;
	}
	if (u->n)
		hr_info("trail %s: %zu objects left to upload to s3://%s", o->trail_name, u->n,
			u->bucket);
	ret = enqueue(u, ENTRY_MARKER, "preflight", NULL);
	if (!ret) {
		ret = -hr_thread_create(&u->thread, run, u);
		u->started = ret == 0;
	}
	if (ret) {
		free_uploader(u);
		return ret;
	}
	*out = u;
	return 0;
}

void hr_s3_uploader_status(struct hr_s3_uploader *u, struct hr_s3_status *st)
{
	pthread_mutex_lock(&u->lock);
	*st = u->st;
	pthread_mutex_unlock(&u->lock);
}

void hr_s3_uploader_close(struct hr_s3_uploader *u, unsigned wait_ms)
{
	int64_t until;

	if (!u)
		return;
	until = hr_wall_ns() + (int64_t)wait_ms * 1000000;
	pthread_mutex_lock(&u->lock);
	while (u->head < u->n && hr_wall_ns() < until && u->attempts == 0) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 100000000;
		if (ts.tv_nsec >= NS) {
			ts.tv_sec++;
			ts.tv_nsec -= NS;
		}
		pthread_cond_timedwait(&u->wake, &u->lock, &ts);
	}
	if (u->head < u->n)
		hr_info("trail %s: %zu objects left to upload to s3://%s at the next start",
			u->trail, u->n - u->head, u->bucket);
	u->stop = true;
	pthread_cond_broadcast(&u->wake);
	pthread_mutex_unlock(&u->lock);
	if (u->started)
		pthread_join(u->thread, NULL);
	free_uploader(u);
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * batch.c - records -> spool -> one CloudTrail log file per batch.
 *
 * Crash protocol (names in spool.h):
 *
 *  1. Accept: a record is appended as one line to spool-<ns>.open (buffered
 *     at most until the next tick, ~100 ms) and fdatasync'ed at most once a
 *     second; the spool directory is fsynced once, at the first sync after
 *     the file was created. A SIGKILL loses only the unwritten buffer; a
 *     power loss at most the last second.
 *  2. Close: when the period ends the open spool is written out, synced and
 *     queued. Empty spools are removed: no records, no file.
 *  3. Seal: each delivery attempt picks a fresh key K (delivery time = now)
 *     and renames the spool to spool-<K's file stem>.sealed, then fsyncs the
 *     spool directory. From here on a crash can always tell where the batch
 *     may already be in the bucket.
 *  4. Prepare: the gzip file is written under .<name>.tmp next to K and
 *     fsynced; its SHA-256 (uncompressed) is known.
 *  5. Report: on_delivered(K, sha256, ...) - the digest side records K as
 *     pending.
 *  6. Commit: rename .tmp -> K (never replacing), fsync K's directory.
 *  7. Forget: unlink the sealed spool (no sync needed, see 8).
 *
 *  8. Recovery (open), and every retry of a sealed spool:
 *     - sealed spool whose K exists in the bucket: the crash came after 6,
 *       so it was delivered and reported: fsync K's directory, remove the
 *       spool, report nothing.
 *     - sealed spool whose K is absent: the crash (or failure) came before
 *       6. Remove K's stale .tmp and go back to 3 with a new key K'. If the
 *       crash came after 5, K was reported but never appears; the digest
 *       side drops pending keys that never appear, so K' is the only one
 *       that counts.
 *     - open spool: a crashed run's batch. Keep every complete, valid line,
 *       drop (and count as lost) a torn tail or corrupt lines, making the
 *       cleaned file durable first; then 3.
 *     Each record is thus in exactly one published file, whatever instant
 *     the agent dies at.
 *
 * Failures: a failed delivery keeps its sealed spool queued, remembers the
 * error, and is retried from tick with a back-off of 1 s doubling to 60 s
 * (flush retries at once); new records go on into a new open spool. A record
 * that cannot be written to a spool is counted in lost.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "common/grow.h"
#include "batch/batch.h"
#include "batch/spool.h"
#include "common/log.h"
#include "common/sort.h"
#include "deliver/logfile.h"
#include "common/clock.h"

#define NSEC_PER_SEC  1000000000LL
#define BUF_SIZE      (64 * 1024)
#define SYNC_INTERVAL NSEC_PER_SEC
#define BACKOFF_MIN   NSEC_PER_SEC
#define BACKOFF_MAX   (60 * NSEC_PER_SEC)
#define LOCK_NAME     "batch.lock"

struct spool {
	struct spool *next;
	char name[NAME_MAX + 1];
	bool sealed;   /* the name carries a log file key */
	uint64_t size; /* bytes of complete records */
	uint64_t n;
	int64_t oldest_ns, newest_ns;
};

struct hr_batcher {
	char *bucket_dir;
	char *spool_dir;
	int dir_fd; /* spool_dir */
	int lock_fd;
	char account[16];
	char region[64];
	int64_t period_ns;
	void (*on_delivered)(void *arg, const struct hr_delivered_log *log);
	void *arg;

	/* the batch being filled */
	struct spool *open;
	int open_fd;
	bool open_broken; /* a failed write could not be taken back */
	bool data_dirty;  /* written since the last fdatasync */
	bool dir_dirty;	  /* created since the last directory fsync */
	int64_t last_sync_ns;
	int64_t period_end_ns; /* 0 until the first tick */

	/* records not yet written to the open spool */
	char *buf;
	size_t buf_used;
	uint64_t buf_n;
	int64_t buf_oldest, buf_newest;

	/* closed batches, oldest first */
	struct spool *queue, **queue_tail;
	int64_t retry_at_ns, backoff_ns;

	struct hr_batcher_stats st;
};

/* Keep the error for stats; log it once, not on every retry. */
static void note_error(struct hr_batcher *b, int64_t now, const char *text)
{
	if (strcmp(b->st.last_error, text) || b->st.last_delivery_ns > b->st.last_error_ns)
		hr_err("%s", text);
	snprintf(b->st.last_error, sizeof(b->st.last_error), "%s", text);
	b->st.last_error_ns = now;
}

static void note_errno(struct hr_batcher *b, int64_t now, const char *verb, const char *object,
		       int errnum)
{
	char text[HR_BATCHER_ERR_MAX];

	snprintf(text, sizeof(text), "failed to %s %s: %s", verb, object, strerror(errnum));
	note_error(b, now, text);
}

static void merge_times(uint64_t *n, int64_t *oldest, int64_t *newest, uint64_t add_n,
			int64_t add_oldest, int64_t add_newest)
{
	if (!add_n)
		return;
	if (!*n || add_oldest < *oldest)
		*oldest = add_oldest;
	if (!*n || add_newest > *newest)
		*newest = add_newest;
	*n += add_n;
}

static void queue_push(struct hr_batcher *b, struct spool *s)
{
	s->next = NULL;
	*b->queue_tail = s;
	b->queue_tail = &s->next;
	b->st.pending_files++;
}

static void queue_pop(struct hr_batcher *b)
{
	struct spool *s = b->queue;

	b->queue = s->next;
	if (!b->queue)
		b->queue_tail = &b->queue;
	free(s);
	b->st.pending_files--;
}

static int64_t next_period_end(int64_t now, int64_t period)
{
	int64_t q = now / period;

	if (now % period < 0)
		q--;
	return (q + 1) * period;
}

/* ---- the open spool ---- */

static int start_spool(struct hr_batcher *b)
{
	struct spool *s = calloc(1, sizeof(*s));
	int64_t t = hr_wall_ns();
	int fd = -1, err;

	if (!s) {
		note_errno(b, hr_wall_ns(), "create spool in", b->spool_dir, ENOMEM);
		return -ENOMEM;
	}
	for (int i = 0; i < 1000; i++, t++) {
		snprintf(s->name, sizeof(s->name),
			 HR_SPOOL_NAME_PREFIX "%020lld" HR_SPOOL_OPEN_SUFFIX, (long long)t);
		fd = openat(b->dir_fd, s->name, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC,
			    0640);
		if (fd >= 0 || errno != EEXIST)
			break;
	}
	if (fd < 0) {
		err = -errno;
		note_errno(b, hr_wall_ns(), "create spool", s->name, -err);
		free(s);
		return err;
	}
	b->open = s;
	b->open_fd = fd;
	b->open_broken = false;
	b->dir_dirty = true; /* the new name is made durable by the next sync */
	return 0;
}

/* Append whole lines to the open spool, or nothing: a partial write is cut
 * off again so that the next record starts on a line of its own. */
static int spool_write(struct hr_batcher *b, struct iovec *iov, int cnt, uint64_t n, int64_t oldest,
		       int64_t newest)
{
	struct spool *s = b->open;
	size_t total = 0, done = 0;
	int err = 0;

	for (int i = 0; i < cnt; i++)
		total += iov[i].iov_len;
	if (b->open_broken)
		err = -EIO;
	while (!err && done < total) {
		ssize_t w = writev(b->open_fd, iov, cnt);

		if (w < 0) {
			if (errno != EINTR)
				err = -errno;
			continue;
		}
		if (w == 0) {
			err = -EIO;
			break;
		}
		done += (size_t)w;
		while (cnt && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			cnt--;
		}
		if (cnt) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	if (err) {
		if (done && ftruncate(b->open_fd, (off_t)s->size))
			b->open_broken = true; /* roll over to a new spool */
		b->st.lost += n;
		note_errno(b, hr_wall_ns(), "write spool", s->name, -err);
		return err;
	}
	s->size += total;
	merge_times(&s->n, &s->oldest_ns, &s->newest_ns, n, oldest, newest);
	b->data_dirty = true;
	return 0;
}

static int flush_buf(struct hr_batcher *b)
{
	struct iovec iov = {.iov_base = b->buf, .iov_len = b->buf_used};
	int err;

	if (!b->buf_used)
		return 0;
	err = spool_write(b, &iov, 1, b->buf_n, b->buf_oldest, b->buf_newest);
	if (err)
		b->st.pending -= b->buf_n;
	b->buf_used = 0;
	b->buf_n = 0;
	return err;
}

static int sync_open(struct hr_batcher *b, int64_t now)
{
	int err = 0;

	if (b->data_dirty) {
		if (fdatasync(b->open_fd)) {
			err = -errno;
			note_errno(b, now, "sync spool", b->open->name, -err);
		} else {
			b->data_dirty = false;
		}
	}
	if (b->dir_dirty) {
		if (fsync(b->dir_fd)) {
			err = -errno;
			note_errno(b, now, "sync directory", b->spool_dir, -err);
		} else {
			b->dir_dirty = false;
		}
	}
	b->last_sync_ns = now;
	return err;
}

/* End the open batch: queue it for delivery, or drop it if empty. */
static void close_open(struct hr_batcher *b, int64_t now)
{
	struct spool *s = b->open;

	if (!s)
		return;
	flush_buf(b);
	if (s->n) {
		/* a failed sync is noted; the bytes are still delivered */
		sync_open(b, now);
	}
	close(b->open_fd);
	b->open_fd = -1;
	b->open = NULL;
	b->data_dirty = false;
	if (!s->n) {
		unlinkat(b->dir_fd, s->name, 0);
		free(s);
		return;
	}
	queue_push(b, s);
}

/* ---- delivery ---- */

/* account and region out of "AWSLogs/<account>/CloudTrail/<region>/..." */
static int key_frame(const char *key, char *account, size_t alen, char *region, size_t rlen)
{
	const char *a = key + strlen("AWSLogs/");
	const char *r = strchr(a, '/');
	const char *re;

	if (!r || strncmp(r, "/CloudTrail/", 12))
		return -EINVAL;
	r += 12;
	re = strchr(r, '/');
	if (!re || (size_t)(r - 12 - a) >= alen || (size_t)(re - r) >= rlen)
		return -EINVAL;
	snprintf(account, alen, "%.*s", (int)(r - 12 - a), a);
	snprintf(region, rlen, "%.*s", (int)(re - r), r);
	return 0;
}

static void forget_spool(struct hr_batcher *b, struct spool *s)
{
	/* If this fails the next recovery finds the key delivered and retries. */
	if (unlinkat(b->dir_fd, s->name, 0) && errno != ENOENT)
		hr_warn("failed to remove spool %s: %s", s->name, strerror(errno));
	b->st.delivered += s->n;
	b->st.files++;
	b->st.pending -= s->n;
}

static int deliver_one(struct hr_batcher *b, struct spool *s, int64_t now)
{
	struct hr_publish p = {.active = false};
	struct hr_delivered_log log;
	char key[HR_LOG_KEY_MAX], unique[HR_LOG_UNIQUE_LEN + 1], sealed[NAME_MAX + 1];
	char account[sizeof(b->account)], region[sizeof(b->region)];
	uint64_t n = 0;
	int err;

	memcpy(account, b->account, sizeof(account));
	memcpy(region, b->region, sizeof(region));
	if (s->sealed) {
		err = hr_spool_sealed_key(key, sizeof(key), s->name);
		if (!err)
			err = key_frame(key, account, sizeof(account), region, sizeof(region));
		if (err) {
			note_errno(b, now, "read the key of spool", s->name, -err);
			return err;
		}
		err = hr_publish_exists(b->bucket_dir, key);
		if (err < 0) {
			note_errno(b, now, "look for", key, -err);
			return err;
		}
		if (err == 1) {
			/* delivered (and reported) before a crash or failure */
			forget_spool(b, s);
			b->st.last_delivery_ns = now;
			return 0;
		}
		hr_publish_discard_tmp(b->bucket_dir, key);
		/* a sealed batch keeps the account and region it was sealed under */
	}

	err = hr_logfile_unique(unique);
	if (!err)
		err = hr_logfile_key(key, sizeof(key), account, region, now, unique);
	if (!err)
		err = hr_spool_sealed_name(sealed, sizeof(sealed), strrchr(key, '/') + 1);
	if (err) {
		note_errno(b, now, "name a log file for spool", s->name, -err);
		return err;
	}
	/* the key is on disk before anything can appear under it */
	if (renameat(b->dir_fd, s->name, b->dir_fd, sealed)) {
		err = -errno;
		note_errno(b, now, "seal spool", s->name, -err);
		return err;
	}
	memcpy(s->name, sealed, sizeof(s->name));
	s->sealed = true;
	if (fsync(b->dir_fd)) {
		err = -errno;
		note_errno(b, now, "sync directory", b->spool_dir, -err);
		return err;
	}

	err = hr_publish_begin(&p, b->bucket_dir, key);
	if (!err) {
		err = hr_spool_emit(b->dir_fd, s->name, s->size, &p, &n);
		if (err && !p.err[0])
			snprintf(p.err, sizeof(p.err), "failed to read spool %s: %s", s->name,
				 strerror(-err));
	}
	if (!err)
		err = hr_publish_finish(&p);
	if (err)
		goto fail;
	if (n != s->n)
		hr_warn("spool %s held %llu records, expected %llu", s->name, (unsigned long long)n,
			(unsigned long long)s->n);

	memset(&log, 0, sizeof(log));
	memcpy(log.key, key, sizeof(log.key));
	memcpy(log.sha256_hex, p.sha256_hex, sizeof(log.sha256_hex));
	log.oldest_event_ns = s->oldest_ns;
	log.newest_event_ns = s->newest_ns;
	log.n_records = (size_t)n;
	log.uncompressed_bytes = p.in_bytes;
	log.delivered_ns = now;
	log.bucket_dir = b->bucket_dir;
	if (b->on_delivered)
		b->on_delivered(b->arg, &log);

	err = hr_publish_commit(&p);
	if (err)
		goto fail;
	hr_publish_release(&p);
	forget_spool(b, s);
	b->st.last_delivery_ns = now;
	return 0;
fail:
	note_error(b, now, p.err[0] ? p.err : "failed to publish a log file");
	hr_publish_release(&p);
	return err;
}

/* Deliver the queue in order; stop at the first failure (kept for retry). */
static int deliver_queue(struct hr_batcher *b, int64_t now)
{
	int err;

	while (b->queue) {
		err = deliver_one(b, b->queue, now);
		if (err) {
			b->retry_at_ns = now + b->backoff_ns;
			b->backoff_ns = b->backoff_ns * 2 > BACKOFF_MAX ? BACKOFF_MAX :
									  b->backoff_ns * 2;
			return err;
		}
		queue_pop(b);
		b->backoff_ns = BACKOFF_MIN;
	}
	return 0;
}

/* ---- recovery ---- */

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && !strcmp(s + n - k, suffix);
}

/* sealed spools first (they were closed earlier), each kind by name */
static int recover_order(const void *pa, const void *pb)
{
	const char *a = *(const char *const *)pa, *c = *(const char *const *)pb;
	bool sa = has_suffix(a, HR_SPOOL_SEALED_SUFFIX), sc = has_suffix(c, HR_SPOOL_SEALED_SUFFIX);

	if (sa != sc)
		return sa ? -1 : 1;
	return strcmp(a, c);
}

static int list_spools(struct hr_batcher *b, char ***names_out, size_t *count_out)
{
	static const size_t pre = sizeof(HR_SPOOL_NAME_PREFIX) - 1;
	char **names = NULL;
	size_t count = 0, cap = 0;
	struct dirent *de;
	DIR *d = NULL;
	int fd, err = 0;

	fd = openat(b->dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || !(d = fdopendir(fd))) {
		err = -errno;
		if (fd >= 0)
			close(fd);
		goto out;
	}
	while ((errno = 0, de = readdir(d))) {
		const char *name = de->d_name;

		/* a rewrite that a crash interrupted: the original is intact */
		if (name[0] == '.' && !strncmp(name + 1, HR_SPOOL_NAME_PREFIX, pre) &&
		    has_suffix(name, ".tmp")) {
			unlinkat(b->dir_fd, name, 0);
			continue;
		}
		if (strncmp(name, HR_SPOOL_NAME_PREFIX, pre) ||
		    (!has_suffix(name, HR_SPOOL_OPEN_SUFFIX) &&
		     !has_suffix(name, HR_SPOOL_SEALED_SUFFIX)))
			continue;
		if (hr_grow(&names, &cap, count, sizeof(*names), 16)) {
			err = -ENOMEM;
			goto out;
		}
		names[count] = strdup(name);
		if (!names[count]) {
			err = -ENOMEM;
			goto out;
		}
		count++;
	}
	if (errno)
		err = -errno;
out:
	if (d)
		closedir(d);
	if (err) {
		while (count)
			free(names[--count]);
		free(names);
		names = NULL;
	} else if (count) {
		hr_sort(names, count, sizeof(*names), recover_order);
	}
	*names_out = names;
	*count_out = count;
	return err;
}

/* Queue a crashed run's spools; a spool that cannot be read stays on disk. */
static int recover(struct hr_batcher *b)
{
	struct hr_spool_info info;
	char key[HR_LOG_KEY_MAX];
	char **names;
	size_t count;
	int err;

	err = list_spools(b, &names, &count);
	if (err) {
		note_errno(b, hr_wall_ns(), "list spools in", b->spool_dir, -err);
		return err;
	}
	for (size_t i = 0; i < count; i++) {
		const char *name = names[i];
		bool sealed = has_suffix(name, HR_SPOOL_SEALED_SUFFIX);
		struct spool *s;

		if (sealed && hr_spool_sealed_key(key, sizeof(key), name)) {
			note_errno(b, hr_wall_ns(), "recover spool", name, EINVAL);
			continue;
		}
		if (sealed && hr_publish_exists(b->bucket_dir, key) == 1) {
			/* published and reported before the crash (step 8) */
			unlinkat(b->dir_fd, name, 0);
			continue;
		}
		err = hr_spool_recover(b->dir_fd, name, &info);
		if (err) {
			note_errno(b, hr_wall_ns(), "recover spool", name, -err);
			continue;
		}
		b->st.lost += info.dropped;
		if (info.dropped)
			hr_warn("spool %s: dropped %llu torn or corrupt records", name,
				(unsigned long long)info.dropped);
		if (!info.n) {
			unlinkat(b->dir_fd, name, 0);
			continue;
		}
		s = calloc(1, sizeof(*s));
		if (!s) {
			note_errno(b, hr_wall_ns(), "recover spool", name, ENOMEM);
			continue;
		}
		snprintf(s->name, sizeof(s->name), "%s", name);
		s->sealed = sealed;
		s->size = info.size;
		s->n = info.n;
		s->oldest_ns = info.oldest_ns;
		s->newest_ns = info.newest_ns;
		queue_push(b, s);
		b->st.recovered += info.n;
		b->st.pending += info.n;
	}
	for (size_t i = 0; i < count; i++)
		free(names[i]);
	free(names);
	return 0;
}

/* ---- API ---- */

static void batcher_free(struct hr_batcher *b)
{
	if (!b)
		return;
	while (b->queue)
		queue_pop(b);
	free(b->open);
	if (b->open_fd >= 0)
		close(b->open_fd);
	if (b->lock_fd >= 0)
		close(b->lock_fd);
	if (b->dir_fd >= 0)
		close(b->dir_fd);
	free(b->buf);
	free(b->bucket_dir);
	free(b->spool_dir);
	free(b);
}

int hr_batcher_open(const struct hr_batcher_opts *o, struct hr_batcher **out)
{
	char key[HR_LOG_KEY_MAX], errbuf[HR_BATCHER_ERR_MAX];
	struct hr_batcher *b = NULL;
	int err;

	if (out)
		*out = NULL;
	if (!o || !out || !o->bucket_dir || !*o->bucket_dir || !o->spool_dir || !*o->spool_dir ||
	    !memchr(o->frame.account_id, '\0', sizeof(o->frame.account_id)) ||
	    !memchr(o->frame.region, '\0', sizeof(o->frame.region)))
		return -EINVAL;
	/* the frame must make valid keys */
	if (hr_logfile_key(key, sizeof(key), o->frame.account_id, o->frame.region, 0,
			   "AAAAAAAAAAAAAAAA"))
		return -EINVAL;

	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->dir_fd = b->lock_fd = b->open_fd = -1;
	b->queue_tail = &b->queue;
	b->backoff_ns = BACKOFF_MIN;
	b->period_ns = (int64_t)(o->batch_seconds ? o->batch_seconds : 300) * NSEC_PER_SEC;
	b->on_delivered = o->on_delivered;
	b->arg = o->arg;
	memcpy(b->account, o->frame.account_id, sizeof(b->account));
	memcpy(b->region, o->frame.region, sizeof(b->region));
	b->bucket_dir = strdup(o->bucket_dir);
	b->spool_dir = strdup(o->spool_dir);
	b->buf = malloc(BUF_SIZE);
	if (!b->bucket_dir || !b->spool_dir || !b->buf) {
		err = -ENOMEM;
		goto fail;
	}

	/* Errors go back to the caller, which says them once (with the path). */
	err = hr_make_dirs(b->spool_dir, errbuf, sizeof(errbuf));
	if (err)
		goto fail;
	b->dir_fd = open(b->spool_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (b->dir_fd < 0) {
		err = -errno;
		goto fail;
	}
	/* Two batchers on one spool would deliver each other's batches: -EBUSY. */
	b->lock_fd = openat(b->dir_fd, LOCK_NAME, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (b->lock_fd < 0 || flock(b->lock_fd, LOCK_EX | LOCK_NB)) {
		err = errno == EWOULDBLOCK ? -EBUSY : -errno;
		goto fail;
	}

	err = recover(b);
	if (err)
		goto fail;
	if (b->queue)
		deliver_queue(b, hr_wall_ns()); /* failures stay pending */
	*out = b;
	return 0;
fail:
	batcher_free(b);
	return err;
}

int hr_batcher_add(struct hr_batcher *b, const struct hr_record *rec)
{
	size_t need;
	int64_t t;
	int err;

	if (!b)
		return -EINVAL;
	if (!rec || !rec->json || !rec->len || memchr(rec->json, '\n', rec->len)) {
		b->st.lost++;
		note_error(b, hr_wall_ns(), "failed to spool a record: not one line of JSON");
		return -EINVAL;
	}
	if (b->open && b->open_broken)
		close_open(b, hr_wall_ns());
	if (!b->open) {
		err = start_spool(b);
		if (err) {
			b->st.lost++;
			return err;
		}
	}
	t = rec->event_time_ns;
	need = HR_SPOOL_PREFIX_MAX + rec->len + 1;
	if (need > BUF_SIZE - b->buf_used) {
		err = flush_buf(b);
		if (err) {
			b->st.lost++;
			return err;
		}
	}
	if (need > BUF_SIZE) {
		char prefix[HR_SPOOL_PREFIX_MAX];
		struct iovec iov[3] = {
			{.iov_base = prefix, .iov_len = hr_spool_prefix(prefix, t)},
			{.iov_base = rec->json, .iov_len = rec->len},
			{.iov_base = "\n", .iov_len = 1},
		};

		err = spool_write(b, iov, 3, 1, t, t);
		if (err)
			return err;
	} else {
		char *w = b->buf + b->buf_used;

		w += hr_spool_prefix(w, t);
		memcpy(w, rec->json, rec->len);
		w += rec->len;
		*w++ = '\n';
		b->buf_used = (size_t)(w - b->buf);
		merge_times(&b->buf_n, &b->buf_oldest, &b->buf_newest, 1, t, t);
	}
	b->st.accepted++;
	b->st.pending++;
	return 0;
}

int hr_batcher_tick(struct hr_batcher *b, int64_t now)
{
	if (!b)
		return -EINVAL;
	flush_buf(b);
	if (b->open && b->open_broken)
		close_open(b, now);
	if (b->open && (b->data_dirty || b->dir_dirty) &&
	    (now - b->last_sync_ns >= SYNC_INTERVAL || now < b->last_sync_ns))
		sync_open(b, now);

	/* first tick, or the clock stepped back by more than a period */
	if (!b->period_end_ns || b->period_end_ns - now > b->period_ns)
		b->period_end_ns = next_period_end(now, b->period_ns);
	if (now >= b->period_end_ns) {
		close_open(b, now);
		b->period_end_ns = next_period_end(now, b->period_ns);
		b->retry_at_ns = 0; /* a new batch is worth an attempt */
	}
	/* (a back-off longer than its maximum: the clock stepped back) */
	if (b->queue && (now >= b->retry_at_ns || b->retry_at_ns - now > BACKOFF_MAX))
		return deliver_queue(b, now);
	return 0;
}

int hr_batcher_flush(struct hr_batcher *b)
{
	int64_t now = hr_wall_ns();

	if (!b)
		return -EINVAL;
	close_open(b, now);
	return deliver_queue(b, now);
}

void hr_batcher_stats(const struct hr_batcher *b, struct hr_batcher_stats *st)
{
	if (!st)
		return;
	if (!b) {
		memset(st, 0, sizeof(*st));
		return;
	}
	*st = b->st;
}

void hr_batcher_close(struct hr_batcher *b)
{
	if (!b)
		return;
	if (b->open) {
		flush_buf(b);
		sync_open(b, hr_wall_ns());
		if (!b->open->n)
			unlinkat(b->dir_fd, b->open->name, 0);
	}
	batcher_free(b);
}

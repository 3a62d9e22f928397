// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * trails.c - several trails at once (see trails.h).
 *
 * Per trail the start order of the single-trail agent is kept: signer
 * first (it knows where the chain stands), then the batcher (it recovers
 * what a crashed run accepted and hands it to the signer). After open,
 * batchers and signers belong to the delivery thread (deliver/delivery.h):
 * the loop touches them only under hr_delivery_lock().
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include "common/clock.h"
#include "common/log.h"
#include "daemon/trails.h"

static int make_dir(const char *path, mode_t mode)
{
	char tmp[PATH_MAX];

	if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, mode) && errno != EEXIST)
		return -errno;
	return 0;
}

/* Writable means a file can really be created there (read-only mounts,
 * full disks and files in the way all show up here, even for root). */
int hr_check_writable_dir(const char *what, const char *path, mode_t mode)
{
	char probe[PATH_MAX];
	int err = make_dir(path, mode), fd;

	if (err) {
		hr_err("the %s %s cannot be created: %s", what, path, strerror(-err));
		return err;
	}
	snprintf(probe, sizeof(probe), "%s/.hostrail-probe-%d", path, (int)getpid());
	fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = -errno;
		hr_err("the %s %s is not writable: %s", what, path, strerror(-err));
		return err;
	}
	close(fd);
	unlink(probe);
	return 0;
}

void hr_trail_arn(const struct hr_trails *ts, const struct hr_trail *t, char *buf, size_t len)
{
	snprintf(buf, len, "arn:hostrail:cloudtrail:%s:%s:trail/%s", ts->region, ts->account_id,
		 t->cfg.name);
}

/* On the delivery thread: let the loop see the batcher's losses. */
static void note_spool_lost(struct hr_trail_bucket *b)
{
	struct hr_batcher_stats bs;

	hr_batcher_stats(b->batch, &bs);
	__atomic_store_n(&b->spool_lost, bs.lost, __ATOMIC_RELAXED);
}

static void trail_close(struct hr_trail *t)
{
	hr_batcher_close(t->batch);
	hr_signer_close(t->signer);
	/* after the signer: its final digest is queued; what is left of the
	 * queue is uploaded by the next start */
	hr_s3_uploader_close(t->s3, 3000);
	free(t->bucket);
	hr_selectors_free(&t->sel);
	memset(t, 0, sizeof(*t));
}

/* The trail's S3 upload queue (it hears of log files after the signer). */
static int open_s3(struct hr_trails *ts, struct hr_trail *t, const struct hr_trail_config *tc)
{
	char arn[512];
	struct hr_s3_opts o = {
		.trail_name = tc->name,
		.trail_arn = arn,
		.account_id = ts->account_id,
		.state_dir = ts->state_dir,
		.bucket_dir = tc->bucket_dir,
		.endpoint = {tc->s3.endpoint_url, tc->s3.region, tc->s3_bucket_name,
			     tc->s3.virtual_hosted, tc->s3.ca_bundle[0] ? tc->s3.ca_bundle : NULL},
		.key_prefix = tc->s3.key_prefix,
		.kms_key_id = tc->s3.kms_key_id,
		.credentials_file = tc->s3.credentials_file,
		.profile = tc->s3.profile,
		.retry_max_seconds = tc->s3.retry_max_seconds,
	};
	int rc;

	snprintf(arn, sizeof(arn), "arn:hostrail:cloudtrail:%s:%s:trail/%s", ts->region,
		 ts->account_id, tc->name);
	rc = hr_s3_uploader_open(&o, &t->s3);
	if (rc)
		hr_err("failed to start S3 delivery of trail %s: %s", tc->name, strerror(-rc));
	return rc;
}

/* A listener of a trail's bucket: the outputs that trail feeds hear of it. */
static void bucket_published(void *arg, const struct hr_delivered_log *log)
{
	struct hr_trail_bucket *b = arg;

	hr_outputs_published(b->outputs, log, b->outputs_mask);
}

static int trail_open(struct hr_trails *ts, struct hr_trail *t, const struct hr_trail_config *tc)
{
	struct hr_sel_ctx ctx = {ts->region, ts->account_id, "running configuration"};
	struct hr_signer_opts so = {0};
	struct hr_batcher_opts bo = {0};
	struct hr_frame frame = {0};
	char spool[PATH_MAX], err[512];
	int rc;

	memset(t, 0, sizeof(*t));
	t->cfg = *tc;
	t->cfg.event_selectors_json = t->cfg.advanced_selectors_json = NULL;
	memset(&t->cfg.selectors, 0, sizeof(t->cfg.selectors));
	/* The running copy is compiled from what the config shows: it can
	 * then be replaced (put-event-selectors) without touching cfg. */
	rc = hr_selectors_compile_text(
		&t->sel, tc->selectors.shown ? tc->selectors.shown : "{\"EventSelectors\":[]}",
		&ctx, "$", err, sizeof(err));
	if (!tc->selectors.shown && !rc) {
		hr_selectors_free(&t->sel);
		rc = hr_selectors_compile(&t->sel, NULL, NULL, &ctx, "$", err, sizeof(err));
	}
	if (rc) {
		hr_err("failed to set up the selectors of trail %s: %s", tc->name, err);
		return rc;
	}
	if (hr_check_writable_dir("bucket directory", tc->bucket_dir, 0750)) {
		rc = -EACCES;
		goto fail;
	}
	if (snprintf(spool, sizeof(spool), "%s/spool/%s", ts->state_dir, tc->name) >=
		    (int)sizeof(spool) ||
	    make_dir(spool, 0700)) {
		hr_err("the spool directory %s cannot be created", spool);
		rc = -EACCES;
		goto fail;
	}
	snprintf(frame.account_id, sizeof(frame.account_id), "%s", ts->account_id);
	snprintf(frame.region, sizeof(frame.region), "%s", ts->region);
	snprintf(frame.trail_name, sizeof(frame.trail_name), "%s", tc->name);
	snprintf(frame.bucket_name, sizeof(frame.bucket_name), "%s", tc->s3_bucket_name);

	so.state_dir = ts->state_dir;
	so.bucket_dir = tc->bucket_dir;
	so.frame = frame;
	so.digest_seconds = tc->digest_seconds;
	if (tc->s3.endpoint_url[0]) {
		rc = open_s3(ts, t, tc);
		if (rc)
			goto fail;
		so.on_digest = hr_s3_on_digest;
		so.digest_arg = t->s3;
	}
	rc = hr_signer_open(&so, &t->signer);
	if (rc) {
		hr_err("failed to open the digest signer of trail %s in %s: %s", tc->name,
		       ts->state_dir, strerror(-rc));
		goto fail;
	}
	bo.bucket_dir = tc->bucket_dir;
	bo.spool_dir = spool;
	bo.frame = frame;
	bo.batch_seconds = tc->batch_seconds;
	/* The signer hears first: a file must be pending in the chain before
	 * it can appear (signer.h). */
	t->bucket = calloc(1, sizeof(*t->bucket));
	if (!t->bucket) {
		rc = -ENOMEM;
		goto fail;
	}
	hr_listeners_add(&t->bucket->published, hr_signer_on_delivered, t->signer);
	t->bucket->outputs = ts->outputs;
	t->bucket->outputs_mask = hr_trail_outputs(tc);
	if (ts->outputs)
		hr_listeners_add(&t->bucket->published, bucket_published, t->bucket);
	if (t->s3)
		hr_listeners_add(&t->bucket->published, hr_s3_on_log, t->s3);
	bo.on_delivered = hr_listeners_published;
	bo.arg = &t->bucket->published;
	rc = hr_batcher_open(&bo, &t->batch);
	if (rc) {
		hr_err("failed to open the batch spool %s: %s", spool,
		       rc == -EBUSY ? "another hostraild holds it" : strerror(-rc));
		goto fail;
	}
	t->bucket->batch = t->batch;
	note_spool_lost(t->bucket); /* recovery may have dropped torn records */
	return 0;
fail:
	trail_close(t);
	return rc;
}

int hr_trails_add(struct hr_trails *ts, const struct hr_trail_config *tc)
{
	int rc;

	if (ts->n >= HR_MAX_TRAILS)
		return -ENOSPC;
	hr_delivery_lock(ts->delivery);
	rc = trail_open(ts, &ts->t[ts->n], tc);
	if (!rc)
		ts->n++;
	hr_delivery_unlock(ts->delivery);
	return rc;
}

/* The delivery thread's side of hr_trails_deliver(). */
static void add_record(void *target, const struct hr_record *rec)
{
	struct hr_trail_bucket *b = target;

	/* A failed append is counted by the batcher and reported as LostEvents. */
	if (hr_batcher_add(b->batch, rec))
		note_spool_lost(b);
}

static void tick(void *arg, int64_t now_ns)
{
	hr_trails_tick(arg, now_ns);
}

int hr_trails_open(struct hr_trails *ts, const struct hr_config *cfg, struct hr_outputs *outputs)
{
	memset(ts, 0, sizeof(*ts));
	ts->outputs = outputs;
	snprintf(ts->account_id, sizeof(ts->account_id), "%s", cfg->account_id);
	snprintf(ts->region, sizeof(ts->region), "%s", cfg->region);
	snprintf(ts->state_dir, sizeof(ts->state_dir), "%s", cfg->state_dir);
	for (int i = 0; i < cfg->n_trails; i++) {
		int rc = hr_trails_add(ts, &cfg->trails[i]);

		if (rc)
			return rc;
	}
	/* Small: a burst waits in the ring buffer while the loop waits for room. */
	return hr_delivery_start(cfg->bucket_queue_bytes ?: HR_DELIVERY_QUEUE_BYTES, add_record,
				 tick, ts, &ts->delivery);
}

struct hr_trail *hr_trails_find(struct hr_trails *ts, const char *name)
{
	char arn[512];

	if (!name)
		return NULL;
	for (int i = 0; i < ts->n; i++) {
		hr_trail_arn(ts, &ts->t[i], arn, sizeof(arn));
		if (!strcmp(ts->t[i].cfg.name, name) || !strcmp(arn, name))
			return &ts->t[i];
	}
	return NULL;
}

unsigned hr_trails_deliver(struct hr_trails *ts, struct hr_shared_record *sr,
			   const struct hr_record *rec)
{
	bool everywhere = rec->event_type && !strcmp(rec->event_type, "AwsServiceEvent") &&
			  rec->event_name && !strcmp(rec->event_name, "LostEvents");
	unsigned kept = 0;

	for (int i = 0; i < ts->n; i++) {
		struct hr_trail *t = &ts->t[i];

		if (!t->logging || (!everywhere && !hr_select_match(&t->sel, rec)))
			continue;
		if (!sr || hr_delivery_push(ts->delivery, t->bucket, sr))
			t->handoff_full++; /* reported as LostEvents */
		t->recorded++;
		kept |= hr_trail_outputs(&t->cfg);
	}
	return kept;
}

unsigned hr_trail_outputs(const struct hr_trail_config *tc)
{
	int journald = hr_output_bit(HR_OUTPUT_JOURNALD);

	if (!tc->forward_to_journald && journald >= 0)
		return HR_OUTPUTS_ALL & ~tc->outputs_off & ~(1u << journald);
	return HR_OUTPUTS_ALL & ~tc->outputs_off;
}

void hr_trail_counters(const struct hr_trail *t, struct hr_output_counters *c)
{
	memset(c, 0, sizeof(*c));
	c->taken = t->recorded;
	c->lost[HR_LOSS_SPOOL_WRITE] = __atomic_load_n(&t->bucket->spool_lost, __ATOMIC_RELAXED);
	c->lost[HR_LOSS_HANDOFF_FULL] = t->handoff_full;
}

void hr_trails_tick(struct hr_trails *ts, int64_t now_ns)
{
	for (int i = 0; i < ts->n; i++) {
		int err = hr_batcher_tick(ts->t[i].batch, now_ns);

		if (err)
			hr_debug("batch delivery of trail %s deferred: %s", ts->t[i].cfg.name,
				 strerror(-err));
		err = hr_signer_tick(ts->t[i].signer, now_ns);
		if (err)
			hr_debug("digest delivery of trail %s deferred: %s", ts->t[i].cfg.name,
				 strerror(-err));
		note_spool_lost(ts->t[i].bucket);
	}
}

void hr_trail_stats(struct hr_trails *ts, const struct hr_trail *t, struct hr_batcher_stats *bs,
		    struct hr_signer_stats *ss)
{
	hr_delivery_lock(ts->delivery);
	hr_batcher_stats(t->batch, bs);
	hr_signer_stats(t->signer, ss);
	hr_delivery_unlock(ts->delivery);
}

static int trail_stop(struct hr_trail *t)
{
	int err = hr_batcher_flush(t->batch);

	if (err) {
		hr_err("failed to deliver the last batch of trail %s (it stays in the spool "
		       "and is delivered at the next start): %s",
		       t->cfg.name, strerror(-err));
		return 1;
	}
	err = hr_signer_stop(t->signer, hr_clock_ns(CLOCK_REALTIME));
	if (err) {
		hr_err("failed to write the final digest of trail %s: %s", t->cfg.name,
		       strerror(-err));
		return 1;
	}
	return 0;
}

int hr_trails_remove(struct hr_trails *ts, int i)
{
	int rc;

	if (i < 0 || i >= ts->n)
		return -EINVAL;
	hr_delivery_lock(ts->delivery);
	rc = trail_stop(&ts->t[i]);
	trail_close(&ts->t[i]);
	memmove(&ts->t[i], &ts->t[i + 1], (ts->n - i - 1) * sizeof(ts->t[0]));
	ts->n--;
	memset(&ts->t[ts->n], 0, sizeof(ts->t[0]));
	hr_delivery_unlock(ts->delivery);
	return rc;
}

int hr_trails_reopen(struct hr_trails *ts, int i, const struct hr_trail_config *tc)
{
	struct hr_trail old;
	int rc;

	hr_delivery_lock(ts->delivery);
	old = ts->t[i];
	rc = trail_stop(&ts->t[i]);
	hr_batcher_close(old.batch);
	hr_signer_close(old.signer);
	free(old.bucket);
	hr_selectors_free(&ts->t[i].sel);
	rc |= trail_open(ts, &ts->t[i], tc);
	if (!rc) {
		ts->t[i].logging = old.logging;
		ts->t[i].start_ns = old.start_ns;
		ts->t[i].stop_ns = old.stop_ns;
		ts->t[i].recorded = old.recorded;
		/* the queue's losses go on being reported from where they were */
		ts->t[i].handoff_full = old.handoff_full;
		ts->t[i].reported[HR_LOSS_HANDOFF_FULL] = old.reported[HR_LOSS_HANDOFF_FULL];
	}
	hr_delivery_unlock(ts->delivery);
	return rc ? -EIO : 0;
}

int hr_trails_stop(struct hr_trails *ts)
{
	int rc = 0;

	/* The thread spools everything handed over (StopLogging is in the
	 * last batch) and ends: no tick may follow a final digest. */
	hr_delivery_stop(ts->delivery);
	ts->delivery = NULL;
	for (int i = 0; i < ts->n; i++)
		rc |= trail_stop(&ts->t[i]);
	return rc;
}

void hr_trails_close(struct hr_trails *ts)
{
	/* The thread spools what is still queued (delivery waits for the
	 * next start), then no longer touches the trails. */
	hr_delivery_stop(ts->delivery);
	ts->delivery = NULL;
	for (int i = 0; i < ts->n; i++)
		trail_close(&ts->t[i]);
	ts->n = 0;
}

bool hr_trails_may_record(const struct hr_trails *ts, const char *category, const char *source,
			  const char *name, const char *resource_type)
{
	return hr_trails_may_record_ro(ts, category, source, name, resource_type, NULL);
}

bool hr_trails_may_record_ro(const struct hr_trails *ts, const char *category, const char *source,
			     const char *name, const char *resource_type, const char *read_only)
{
	for (int i = 0; i < ts->n; i++)
		if (ts->t[i].logging && hr_select_may_match_ro(&ts->t[i].sel, category, source,
							       name, resource_type, read_only))
			return true;
	return false;
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * agent.c - wire the pipeline stages together and run the loop.
 *
 * Start order matters for integrity: the signer first (it knows where the
 * chain stands), then the batcher (it recovers what a crashed run accepted
 * and hands those files to the signer), then capture. A clean stop runs
 * the other way: detach, drain, StopLogging, deliver, final digest.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include "batch/batch.h"
#include "capture/capture.h"
#include "common/log.h"
#include "daemon/agent.h"
#include "record/record.h"
#include "record/signin.h"
#include "sign/signer.h"
#include "sink/sinks.h"
#include "common/clock.h"

#define POLL_MS 100

struct agent {
	const struct hr_config *cfg;
	const struct hr_trail_config *trail;
	struct hr_recorder *rec;
	struct hr_capture *cap;
	struct hr_batcher *batch;
	struct hr_signer *signer;
	struct hr_sinks *sinks;		/* journald, history: off the loop */

	/* Loss accounting: what was already reported as LostEvents. */
	uint64_t kernel_reported[HR_DROP_NR];
	uint64_t malformed, malformed_reported;
	uint64_t spool_reported;
	int64_t loss_window_start_ns;
	uint64_t recorded;
};

static const char *const drop_reason_names[HR_DROP_NR] = {
	[HR_DROP_RINGBUF] = "ringBufferFull",
	[HR_DROP_INFLIGHT] = "inFlightTableFull",
	[HR_DROP_STR] = "argumentUnreadable",
};

/* Events carry CLOCK_BOOTTIME; records need wall-clock time. */
static void refresh_clock(struct agent *a)
{
	hr_recorder_set_clock(a->rec, hr_clock_ns(CLOCK_REALTIME) - hr_clock_ns(CLOCK_BOOTTIME));
}

/* Every record goes through here to every sink (but not_to, if set). */
static void emit_to(struct agent *a, struct hr_record *rec, const char *not_to)
{
	/* A failed append is counted by the batcher and reported as LostEvents. */
	hr_batcher_add(a->batch, rec);
	a->recorded++;
	hr_sinks_add(a->sinks, rec, not_to);	/* takes rec; counts its own losses */
	hr_record_free(rec);
}

static void emit(struct agent *a, struct hr_record *rec)
{
	emit_to(a, rec, NULL);
}

static void emit_login(void *ctx, struct hr_record *rec)
{
	emit(ctx, rec);
}

static int on_event(void *ctx, const void *data, size_t size)
{
	const struct hr_header *h = data;
	struct agent *a = ctx;
	struct hr_record rec = { 0 };

	if (size < sizeof(*h)) {
		a->malformed++;
		return 0;
	}
	switch (h->type) {
	case HR_EV_SYSCALL:
		if (hr_record_syscall(a->rec, data, size, &rec)) {
			a->malformed++;
			break;
		}
		emit(a, &rec);
		break;
	case HR_EV_EXEC:
		hr_recorder_exec(a->rec, data, size);
		break;
	case HR_EV_LOGIN:
		if (hr_record_login(a->rec, data, size, emit_login, a))
			a->malformed++;
		break;
	case HR_EV_EXIT:
		if (size >= sizeof(struct hr_exit_event))
			hr_recorder_exit(a->rec, data);
		break;
	default:
		a->malformed++;
	}
	return 0;
}

static void report_loss(struct agent *a, uint64_t count, int64_t now_ns, const char *reason,
			const char *sink)
{
	struct hr_record rec = { 0 };

	hr_warn("lost %llu events (%s, %s) since the last report",
		(unsigned long long)count, reason, sink);
	if (hr_record_lost(a->rec, count, a->loss_window_start_ns, now_ns, reason, sink, &rec)) {
		hr_err("failed to build a LostEvents record");
		return;
	}
	/* A sink's own losses are not sent to it: it would lose them again. */
	emit_to(a, &rec, sink);
}

/* Nothing is lost silently: every counter that moved becomes a record. */
static void account_losses(struct agent *a, int64_t now_ns)
{
	uint64_t totals[HR_DROP_NR];
	struct hr_batcher_stats bs;
	struct hr_sink_loss sl[HR_SINKS_MAX_LOSSES];
	bool reported = false;
	int nsl;

	if (a->cap && hr_capture_drops(a->cap, totals) == 0) {
		for (int k = 0; k < HR_DROP_NR; k++) {
			if (totals[k] == a->kernel_reported[k])
				continue;
			report_loss(a, totals[k] - a->kernel_reported[k], now_ns,
				    drop_reason_names[k], "kernel");
			a->kernel_reported[k] = totals[k];
			reported = true;
		}
	}
	if (a->malformed != a->malformed_reported) {
		report_loss(a, a->malformed - a->malformed_reported, now_ns, "malformedEvent",
			    "kernel");
		a->malformed_reported = a->malformed;
		reported = true;
	}
	hr_batcher_stats(a->batch, &bs);
	if (bs.lost != a->spool_reported) {
		uint64_t n = bs.lost - a->spool_reported;

		/* Count first: the report itself may fail the same way. */
		a->spool_reported = bs.lost;
		report_loss(a, n, now_ns, "spoolWriteFailed", "bucket");
		reported = true;
	}
	nsl = hr_sinks_losses(a->sinks, sl);
	for (int k = 0; k < nsl; k++) {
		report_loss(a, sl[k].count, now_ns, sl[k].reason, sl[k].sink);
		reported = true;
	}
	if (reported)
		a->loss_window_start_ns = now_ns;
}

static void tick(struct agent *a, int64_t now_ns)
{
	int err = hr_batcher_tick(a->batch, now_ns);

	if (err)
		hr_debug("batch delivery deferred: %s", strerror(-err));
	err = hr_signer_tick(a->signer, now_ns);
	if (err)
		hr_debug("digest delivery deferred: %s", strerror(-err));
}

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
static int check_writable_dir(const char *what, const char *path, mode_t mode)
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

static void agent_close(struct agent *a)
{
	hr_capture_close(a->cap);
	hr_batcher_close(a->batch);
	hr_sinks_close(a->sinks);
	hr_signer_close(a->signer);
	hr_recorder_free(a->rec);
}

static int agent_open(struct agent *a, const struct hr_config *cfg)
{
	struct hr_recorder_opts ro = { 0 };
	struct hr_signer_opts so = { 0 };
	struct hr_batcher_opts bo = { 0 };
	struct hr_capture_opts co = { 0 };
	const struct hr_trail_config *t = &cfg->trails[0];
	char spool[PATH_MAX];
	int err;

	a->cfg = cfg;
	a->trail = t;
	/* Before anything is created on disk: a start that cannot succeed
	 * leaves nothing behind. */
	err = hr_capture_check_environment();
	if (err)
		return err;
	if (check_writable_dir("state directory", cfg->state_dir, 0700) ||
	    check_writable_dir("bucket directory", t->bucket_dir, 0750))
		return -EACCES;
	if (snprintf(spool, sizeof(spool), "%s/spool/%s", cfg->state_dir, t->name) >=
	    (int)sizeof(spool) || make_dir(spool, 0700)) {
		hr_err("the spool directory %s cannot be created", spool);
		return -EACCES;
	}

	snprintf(ro.frame.account_id, sizeof(ro.frame.account_id), "%s", cfg->account_id);
	snprintf(ro.frame.region, sizeof(ro.frame.region), "%s", cfg->region);
	snprintf(ro.frame.trail_name, sizeof(ro.frame.trail_name), "%s", t->name);
	snprintf(ro.frame.bucket_name, sizeof(ro.frame.bucket_name), "%s", t->s3_bucket_name);
	ro.proc_root = "/proc";
	err = hr_recorder_new(&ro, &a->rec);
	if (err) {
		hr_err("failed to set up the recorder: %s", strerror(-err));
		return err;
	}
	refresh_clock(a);

	so.state_dir = cfg->state_dir;
	so.bucket_dir = t->bucket_dir;
	so.frame = ro.frame;
	so.digest_seconds = t->digest_seconds;
	err = hr_signer_open(&so, &a->signer);
	if (err) {
		hr_err("failed to open the digest signer in %s: %s", cfg->state_dir,
		       strerror(-err));
		return err;
	}

	bo.bucket_dir = t->bucket_dir;
	bo.spool_dir = spool;
	bo.frame = ro.frame;
	bo.batch_seconds = t->batch_seconds;
	bo.on_delivered = hr_signer_on_delivered;
	bo.arg = a->signer;
	err = hr_batcher_open(&bo, &a->batch);
	if (err) {
		hr_err("failed to open the batch spool %s: %s", spool, strerror(-err));
		return err;
	}

	err = hr_sinks_open(&(struct hr_sinks_opts){ .state_dir = cfg->state_dir,
			    .retention_days = cfg->history_retention_days,
			    .journald = t->forward_to_journald }, &a->sinks);
	if (err)
		return err;

	co.on_event = on_event;
	co.ctx = a;
	return hr_capture_open(&co, &a->cap);
}

/* StartLogging says what this kernel cannot record, so a reader of the
 * trail knows what its silence means. */
static void record_start(struct agent *a)
{
	const char *missing = hr_capture_unavailable(a->cap);
	struct hr_record rec = { 0 };
	char extra[1400];
	size_t o;

	o = snprintf(extra, sizeof(extra), "{\"agentVersion\":\"%s\",\"recordedCalls\":%d,"
		     "\"notRecordable\":[", HOSTRAIL_VERSION, hr_capture_attached(a->cap));
	for (const char *p = missing; *p && o < sizeof(extra) - 8;) {
		size_t n = strcspn(p, ",");

		o += snprintf(extra + o, sizeof(extra) - o, "%s\"%.*s\"", p == missing ? "" : ",",
			      (int)n, p);
		p += n + (p[n] == ',');
	}
	snprintf(extra + o, sizeof(extra) - o, "]}");
	if (hr_record_control(a->rec, "StartLogging", NULL, extra, &rec) == 0)
		emit(a, &rec);
}

static int agent_stop(struct agent *a)
{
	struct hr_record rec = { 0 };
	int64_t now;
	int err;

	sd_notify(0, "STOPPING=1");
	/* No new events after this; then take everything already queued. */
	hr_capture_detach(a->cap);
	hr_capture_poll(a->cap, 0);
	hr_sinks_drain(a->sinks);	/* so that their losses are in this trail */
	now = hr_clock_ns(CLOCK_REALTIME);
	account_losses(a, now);
	if (hr_record_control(a->rec, "StopLogging", NULL, NULL, &rec) == 0)
		emit(a, &rec);
	err = hr_batcher_flush(a->batch);
	if (err) {
		hr_err("failed to deliver the last batch (it stays in the spool and is "
		       "delivered at the next start): %s", strerror(-err));
		return 1;
	}
	err = hr_signer_stop(a->signer, hr_clock_ns(CLOCK_REALTIME));
	if (err) {
		hr_err("failed to write the final digest: %s", strerror(-err));
		return 1;
	}
	hr_info("stopped after %llu records", (unsigned long long)a->recorded);
	return 0;
}

int hr_agent_run(const struct hr_config *cfg, volatile int *stop)
{
	struct agent a = { 0 };
	int64_t last_second = 0;
	int rc = 1, err;

	if (agent_open(&a, cfg))
		goto out;
	a.loss_window_start_ns = hr_clock_ns(CLOCK_REALTIME);
	record_start(&a);
	hr_info("recording %d system calls on %s into %s (trail %s, batches every %us)",
		hr_capture_attached(a.cap), cfg->region, a.trail->bucket_dir, a.trail->name,
		a.trail->batch_seconds);
	sd_notifyf(0, "READY=1\nSTATUS=recording %d system calls", hr_capture_attached(a.cap));

	while (!*stop) {
		int64_t now;

		err = hr_capture_poll(a.cap, POLL_MS);
		if (err) {
			hr_err("failed to read the ring buffer: %s", strerror(-err));
			goto out;
		}
		now = hr_clock_ns(CLOCK_REALTIME);
		if (now - last_second >= 1000000000LL) {
			refresh_clock(&a);
			account_losses(&a, now);
			last_second = now;
		}
		tick(&a, now);
	}
	rc = agent_stop(&a);
out:
	agent_close(&a);
	return rc;
}

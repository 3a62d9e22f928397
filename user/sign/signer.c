// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * signer.c - the digest chain (see signer.h).
 *
 * Durability order of one digest:
 *	publish the digest into a temporary file (fsynced)
 *	-> state: "inflight" = its key, hash, signature and the logs it lists
 *	-> signature sidecar in place -> digest renamed into place
 *	-> state: "last" = it, listed logs no longer pending, inflight cleared.
 * A crash anywhere is resolved by the next start from "inflight" alone:
 * digest present (with the recorded hash) -> roll forward; else roll back.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "sign/chain.h"
#include "sign/digest.h"
#include "sign/keys.h"
#include "sign/signer.h"
#include "common/timefmt.h"
#include "common/encode.h"
#include "common/files.h"
#include "common/gz.h"
#include "common/clock.h"

#define NS	 1000000000LL
#define RETRY_NS (5 * NS)
/* A log reported by this run that never appears (its rename failed and the
 * batcher redelivers under another key) is forgotten after this long. */
#define STALE_PERIODS 2
#define ERRBUF	      HR_SIGNER_ERR_MAX

struct hr_signer {
	char *state_dir;
	char *bucket_dir;
	struct hr_frame frame;
	unsigned period;
	void (*on_digest)(void *arg, const char *key, const char *signature_hex);
	void *digest_arg;
	struct hr_signkey *key;
	struct hr_chain_state st;
	bool dirty;	     /* st changed but is not on disk yet */
	int64_t retry_at_ns; /* no digest attempt before this */
	struct hr_signer_stats stats;
};

static void note_error(struct hr_signer *s, int err, const char *msg)
{
	hr_err("%s", msg);
	snprintf(s->stats.last_error, sizeof(s->stats.last_error), "%s", msg);
	s->stats.last_error_ns = hr_wall_ns();
	(void)err;
}

static int save(struct hr_signer *s)
{
	char err[ERRBUF];
	int ret = hr_chain_save(s->state_dir, &s->st, err, sizeof(err));

	s->dirty = ret != 0;
	if (ret)
		note_error(s, ret, err);
	return ret;
}

static char *sidecar_path(const struct hr_signer *s, const char *key)
{
	char *p;

	return asprintf(&p, "%s/%s" HR_SIDECAR_SUFFIX, s->bucket_dir, key) < 0 ? NULL : p;
}

/* Split bucket_dir/key into the directory and the sidecar's file name. */
static int write_sidecar(struct hr_signer *s, const char *key, const char *sig, char *err,
			 size_t errlen)
{
	const char *slash = strrchr(key, '/');
	char *dir = NULL, *name = NULL, *json = NULL;
	size_t len;
	int ret = -ENOMEM;

	if (asprintf(&dir, "%s/%.*s", s->bucket_dir, slash ? (int)(slash - key) : 0, key) < 0) {
		dir = NULL;
		goto out;
	}
	if (asprintf(&name, "%s" HR_SIDECAR_SUFFIX, slash ? slash + 1 : key) < 0) {
		name = NULL;
		goto out;
	}
	ret = hr_digest_sidecar_json(sig, &json, &len);
	if (!ret)
		ret = hr_write_file_atomic(dir, name, json, len, 0640, false, err, errlen);
out:
	if (ret == -ENOMEM)
		snprintf(err, errlen, "failed to write the signature of %s: out of memory", key);
	free(json);
	free(name);
	free(dir);
	return ret;
}

/* The digest object's uncompressed SHA-256, or -ENOENT if it is not there. */
static int object_sha256(const char *bucket_dir, const char *key, char hex[65])
{
	unsigned char md[32];
	int bfd, fd, ret;

	bfd = open(bucket_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (bfd < 0)
		return -errno;
	fd = hr_bucket_open(bfd, key);
	close(bfd);
	if (fd < 0)
		return fd;
	ret = hr_gz_inflate_fd(fd, md, NULL, NULL, NULL);
	close(fd);
	if (ret)
		return ret < 0 ? ret : -EBADMSG;
	hr_hex(md, 32, hex);
	return 0;
}

static void drop_pending(struct hr_chain_state *st, char **keys, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < st->n_pending; i++) {
		bool listed = false;

		for (size_t j = 0; j < n && !listed; j++)
			listed = !strcmp(st->pending[i].log.key, keys[j]);
		if (!listed)
			st->pending[o++] = st->pending[i];
	}
	st->n_pending = o;
}

/* inflight -> last: the digest is in place. */
static int roll_forward(struct hr_signer *s)
{
	struct hr_chain_state *st = &s->st;
	int ret = hr_chain_link_copy(&st->last, &st->inflight);

	if (ret)
		return ret;
	st->have_last = true;
	st->link_previous = !st->inflight_final;
	st->stopped = st->inflight_final;
	st->period_start = st->inflight.end;
	drop_pending(st, st->inflight_listed, st->n_inflight_listed);
	hr_chain_clear_inflight(st);
	return 0;
}

static void tell_digest(struct hr_signer *s)
{
	if (s->on_digest && s->st.have_last)
		s->on_digest(s->digest_arg, s->st.last.key, s->st.last.signature);
}

/* A digest a crash interrupted: finish it, or undo what is visible of it. */
static int recover_inflight(struct hr_signer *s)
{
	struct hr_chain_link *in = &s->st.inflight;
	char hex[65], err[ERRBUF], *side;
	int ret;

	ret = object_sha256(s->bucket_dir, in->key, hex);
	if (!ret && !strcmp(hex, in->sha256_hex)) {
		/* in place: make sure its signature is too, then take it */
		ret = write_sidecar(s, in->key, in->signature, err, sizeof(err));
		if (ret) {
			note_error(s, ret, err);
			return ret;
		}
		hr_info("finished digest %s that the previous run left in flight", in->key);
		ret = roll_forward(s);
		if (!ret)
			tell_digest(s);
		return ret;
	}
	if (ret && ret != -ENOENT) {
		hr_warn("digest %s left in flight cannot be read (%s); it is not part of the "
			"chain",
			in->key, strerror(-ret));
	} else if (!ret) {
		hr_warn("digest %s left in flight does not match what was signed; it is not "
			"part of the chain",
			in->key);
	}
	/* not visible: undo the sidecar and the temporary file */
	side = sidecar_path(s, in->key);
	if (side && ret == -ENOENT)
		unlink(side);
	free(side);
	hr_publish_discard_tmp(s->bucket_dir, in->key);
	hr_chain_clear_inflight(&s->st);
	return 0;
}

static bool same_frame(const struct hr_chain_state *st, const struct hr_signer *s)
{
	return !strcmp(st->frame.account_id, s->frame.account_id) &&
	       !strcmp(st->frame.region, s->frame.region) &&
	       !strcmp(st->frame.trail_name, s->frame.trail_name) &&
	       !strcmp(st->frame.bucket_name, s->frame.bucket_name) && st->bucket_dir &&
	       !strcmp(st->bucket_dir, s->bucket_dir);
}

static int load_key(struct hr_signer *s)
{
	char fp[HR_FP_LEN + 1], err[ERRBUF];
	struct hr_signkey *k;
	int ret;

	ret = hr_keys_current(s->state_dir, fp, err, sizeof(err));
	if (!ret && s->key && !strcmp(fp, hr_signkey_fingerprint(s->key)))
		return 0;
	if (!ret)
		ret = hr_signkey_load(s->state_dir, fp, &k, err, sizeof(err));
	if (ret) {
		note_error(s, ret, err);
		return ret;
	}
	if (s->key)
		hr_info("signing digests with the new key %s from now on", fp);
	hr_signkey_free(s->key);
	s->key = k;
	snprintf(s->stats.fingerprint, sizeof(s->stats.fingerprint), "%s", fp);
	return 0;
}

static int load_state(struct hr_signer *s, int64_t now)
{
	struct hr_chain_state *st = &s->st;
	char err[ERRBUF];
	int ret;

	ret = hr_chain_load(s->state_dir, s->frame.trail_name, st, err, sizeof(err));
	if (ret == -EINVAL) {
		/* Recording matters more than the old chain: keep the damaged
		 * file for inspection and start a new chain. validate-logs then
		 * reports the break and any log file the lost state had pending. */
		char from[PATH_MAX], to[PATH_MAX + 32];

		snprintf(from, sizeof(from), "%s/chain/%s.json", s->state_dir, s->frame.trail_name);
		snprintf(to, sizeof(to), "%s.damaged-%lld", from, (long long)now);
		if (!rename(from, to))
			hr_err("%s; kept as %s, starting a new digest chain", err, to);
		else
			hr_err("%s; starting a new digest chain", err);
		ret = -ENOENT;
	} else if (ret && ret != -ENOENT) {
		hr_err("%s", err);
		return ret;
	}
	if (!ret && !same_frame(st, s)) {
		/* Same account and region: the old bucket's newest digest is
		 * remembered, so validate-logs can still check that bucket. */
		bool keep = !strcmp(st->frame.account_id, s->frame.account_id) &&
			    !strcmp(st->frame.region, s->frame.region);

		hr_warn("the trail's account, region, bucket or bucket directory changed: "
			"starting a new digest chain (%zu log files of the old place are not "
			"digested)",
			st->n_pending);
		if (hr_chain_restart_in(st, &s->frame, s->bucket_dir, keep))
			return -ENOMEM;
	}
	if (ret == -ENOENT) {
		st->frame = s->frame;
		st->bucket_dir = strdup(s->bucket_dir);
		if (!st->bucket_dir)
			return -ENOMEM;
		st->stopped = true;
	}
	if (st->have_inflight) {
		ret = recover_inflight(s);
		if (ret)
			return ret;
	}
	if (st->stopped) {
		/* a new chain, as CloudTrail after StartLogging; "last" stays
		 * only so that the next key never repeats its time */
		st->stopped = false;
		st->link_previous = false;
		st->period_start = now;
	} else {
		hr_info("continuing the digest chain of a run that did not stop cleanly "
			"from %s (%zu log files pending)",
			st->have_last ? st->last.key : "its start", st->n_pending);
	}
	return save(s);
}

int hr_signer_open(const struct hr_signer_opts *o, struct hr_signer **out)
{
	struct hr_signer *s;
	char err[ERRBUF];
	int64_t now = hr_wall_ns();
	int ret;

	*out = NULL;
	if (!o || !o->state_dir || !o->bucket_dir || !o->frame.account_id[0] ||
	    !o->frame.region[0] || !o->frame.bucket_name[0] ||
	    !hr_trail_name_valid(o->frame.trail_name))
		return -EINVAL; /* the caller says so, once */
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->state_dir = strdup(o->state_dir);
	s->bucket_dir = strdup(o->bucket_dir);
	if (!s->state_dir || !s->bucket_dir) {
		ret = -ENOMEM;
		goto fail;
	}
	s->frame = o->frame;
	s->period = o->digest_seconds ? o->digest_seconds : HR_DEFAULT_DIGEST_SECONDS;
	s->on_digest = o->on_digest;
	s->digest_arg = o->digest_arg;

	ret = hr_keys_ensure(s->state_dir, hr_ns_to_sec(now), err, sizeof(err));
	if (ret) {
		hr_err("%s", err);
		goto fail;
	}
	ret = load_key(s);
	if (ret)
		goto fail;
	ret = load_state(s, hr_ns_to_sec(now));
	if (ret)
		goto fail;
	*out = s;
	return 0;
fail:
	hr_signer_close(s);
	return ret;
}

void hr_signer_on_delivered(void *arg, const struct hr_delivered_log *log)
{
	struct hr_signer *s = arg;
	struct hr_chain_pending p = {0};

	if (!s || !log)
		return;
	snprintf(p.log.key, sizeof(p.log.key), "%s", log->key);
	memcpy(p.log.sha256_hex, log->sha256_hex, sizeof(p.log.sha256_hex));
	p.log.sha256_hex[64] = '\0';
	p.log.oldest_ns = log->oldest_event_ns;
	p.log.newest_ns = log->newest_event_ns;
	p.log.n_records = log->n_records;
	p.bytes = log->uncompressed_bytes;
	p.delivered_ns = log->delivered_ns;
	if (hr_chain_add_pending(&s->st, &p)) {
		note_error(s, -ENOMEM, "failed to remember a delivered log file: out of memory");
		return;
	}
	/* durable before the batcher renames the file into place */
	save(s);
}

/* Which pending logs the digest lists now, and which are forgotten. */
static int select_logs(struct hr_signer *s, int64_t now_ns, struct hr_digest_log **logs,
		       size_t *n_logs, char ***gone, size_t *n_gone)
{
	struct hr_chain_state *st = &s->st;
	int64_t stale = now_ns - (int64_t)(STALE_PERIODS * s->period + 60) * NS;

	*logs = calloc(st->n_pending + 1, sizeof(**logs));
	*gone = calloc(2 * st->n_pending + 1, sizeof(char *));
	*n_logs = *n_gone = 0;
	if (!*logs || !*gone)
		return -ENOMEM;
	for (size_t i = 0; i < st->n_pending; i++) {
		struct hr_chain_pending *p = &st->pending[i];
		/* also makes the directory entry durable before it is listed */
		int r = hr_publish_exists(s->bucket_dir, p->log.key);

		if (r == 1) {
			(*logs)[(*n_logs)++] = p->log;
			(*gone)[(*n_gone)++] = p->log.key;
		} else if (r == 0 && (p->inherited || p->delivered_ns < stale)) {
			hr_warn("log file %s was reported but never appeared; it is not listed",
				p->log.key);
			(*gone)[(*n_gone)++] = p->log.key;
		}
	}
	return 0;
}

static int write_digest(struct hr_signer *s, int64_t end, bool final, int64_t now_ns)
{
	struct hr_chain_state *st = &s->st;
	struct hr_publish pub = {0};
	struct hr_digest_log *logs = NULL;
	struct hr_digest_in in = {0};
	char key[HR_LOG_KEY_MAX], end_s[HR_CT_TIME_LEN + 1], err[ERRBUF];
	char *json = NULL, *sts = NULL, *sig = NULL, **gone = NULL;
	size_t n_logs = 0, n_gone = 0, len, stslen;
	bool link = st->link_previous && st->have_last;
	int ret;

	err[0] = '\0';
	/* rotate-key takes effect here: the pointer is re-read per digest */
	load_key(s);
	if (!s->key)
		return -ENOKEY;
	ret = select_logs(s, now_ns, &logs, &n_logs, &gone, &n_gone);
	if (ret)
		goto out;
	ret = hr_digest_key(key, sizeof(key), &s->frame, end);
	if (ret) {
		snprintf(err, sizeof(err), "failed to name the digest: %s", strerror(-ret));
		goto out;
	}
	in.frame = &s->frame;
	in.start = st->period_start;
	in.end = end;
	in.fingerprint = hr_signkey_fingerprint(s->key);
	in.logs = logs;
	in.n_logs = n_logs;
	if (link) {
		in.prev_bucket = st->last.bucket;
		in.prev_key = st->last.key;
		in.prev_sha256 = st->last.sha256_hex;
		in.prev_signature = st->last.signature;
	}
	ret = hr_digest_json(&in, key, &json, &len);
	if (ret)
		goto out;
	ret = hr_publish_gz(&pub, s->bucket_dir, key, json, len);
	if (ret) {
		snprintf(err, sizeof(err), "%s", pub.err);
		goto out;
	}
	hr_ct_time_fmt(end, end_s);
	ret = hr_digest_string_to_sign(end_s, s->frame.bucket_name, key, pub.sha256_hex,
				       link ? st->last.signature : NULL, &sts, &stslen);
	if (!ret)
		ret = hr_signkey_sign(s->key, sts, stslen, &sig);
	if (ret) {
		snprintf(err, sizeof(err), "failed to sign %s: %s", key, strerror(-ret));
		goto out;
	}

	/* in flight: from here a crash is finished or undone by the next start */
	snprintf(st->inflight.bucket, sizeof(st->inflight.bucket), "%s", s->frame.bucket_name);
	snprintf(st->inflight.key, sizeof(st->inflight.key), "%s", key);
	memcpy(st->inflight.sha256_hex, pub.sha256_hex, sizeof(st->inflight.sha256_hex));
	st->inflight.signature = sig;
	sig = NULL;
	st->inflight.end = end;
	st->inflight_start = st->period_start;
	st->inflight_final = final;
	st->inflight_listed = calloc(n_gone + 1, sizeof(char *));
	st->have_inflight = true;
	for (size_t i = 0; st->inflight_listed && i < n_gone; i++) {
		st->inflight_listed[i] = strdup(gone[i]);
		if (!st->inflight_listed[i])
			break;
		st->n_inflight_listed = i + 1;
	}
	if (st->n_inflight_listed != n_gone) {
		ret = -ENOMEM;
		snprintf(err, sizeof(err), "failed to write digest %s: out of memory", key);
		goto undo;
	}
	ret = save(s);
	if (ret)
		goto undo;

	/* the signature first: a visible digest always has its sidecar */
	ret = write_sidecar(s, key, st->inflight.signature, err, sizeof(err));
	if (!ret) {
		ret = hr_publish_commit(&pub);
		if (ret)
			snprintf(err, sizeof(err), "%s", pub.err);
	}
	if (ret) {
		char *side = sidecar_path(s, key);

		if (side)
			unlink(side);
		free(side);
		goto undo;
	}

	/* done: if this save fails, the next start rolls forward from disk */
	ret = roll_forward(s);
	if (!ret) {
		save(s);
		s->stats.digests++;
		s->stats.last_digest_ns = hr_wall_ns();
		snprintf(s->stats.last_digest_key, sizeof(s->stats.last_digest_key), "%s", key);
		tell_digest(s);
		hr_debug("delivered digest %s listing %zu log files", key, n_logs);
	}
	goto out;
undo:
	hr_chain_clear_inflight(st);
	save(s);
out:
	if (ret && err[0])
		note_error(s, ret, err);
	hr_publish_release(&pub);
	free(sig);
	free(sts);
	free(json);
	free(gone);
	free(logs);
	return ret;
}

int hr_signer_tick(struct hr_signer *s, int64_t now_ns)
{
	int64_t now = hr_ns_to_sec(now_ns);
	int ret;

	if (!s)
		return -EINVAL;
	if (now_ns < s->retry_at_ns)
		return 0;
	if (s->dirty && save(s)) {
		s->retry_at_ns = now_ns + RETRY_NS;
		return -EIO;
	}
	if (now < s->st.period_start + (int64_t)s->period)
		return 0;
	/* a key is named by its end second: never reuse one (clock steps back) */
	if (s->st.have_last && now <= s->st.last.end)
		return 0;
	ret = write_digest(s, now, false, now_ns);
	if (ret)
		s->retry_at_ns = now_ns + RETRY_NS;
	return ret;
}

int hr_signer_stop(struct hr_signer *s, int64_t now_ns)
{
	int64_t end = hr_ns_to_sec(now_ns);
	int ret;

	if (!s)
		return -EINVAL;
	if (s->st.have_last && end <= s->st.last.end) {
		/* within the second of the previous digest: wait it out (at most
		 * a second), or, if the clock went back further, step past it */
		if (end == s->st.last.end) {
			struct timespec ts = {0, NS - now_ns % NS};

			nanosleep(&ts, NULL);
			now_ns = hr_wall_ns();
			end = hr_ns_to_sec(now_ns);
		}
		if (end <= s->st.last.end)
			end = s->st.last.end + 1;
	}
	if (end < s->st.period_start)
		end = s->st.period_start;
	ret = write_digest(s, end, true, now_ns);
	if (ret)
		return ret;
	/* roll_forward has marked the chain stopped and saved it */
	hr_info("final digest %s delivered; the digest chain ends here", s->st.last.key);
	return 0;
}

void hr_signer_stats(const struct hr_signer *s, struct hr_signer_stats *st)
{
	if (!s || !st)
		return;
	*st = s->stats;
	st->pending = s->st.n_pending;
}

void hr_signer_close(struct hr_signer *s)
{
	if (!s)
		return;
	if (s->dirty)
		save(s);
	hr_signkey_free(s->key);
	hr_chain_free(&s->st);
	free(s->state_dir);
	free(s->bucket_dir);
	free(s);
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* validate_logs.c - log-file checks for validate-logs (validate_logs.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>

#include "common/grow.h"
#include "deliver/logfile.h"
#include "sign/logscan.h"
#include "common/timefmt.h"
#include "common/files.h"
#include "sign/validate_bucket.h"
#include "sign/validate_logs.h"

void vl_check_log_contents(struct ctx *c, struct vdigest *d)
{
	const char *d_old = vl_jstr(d->doc, "oldestEventTime");
	const char *d_new = vl_jstr(d->doc, "newestEventTime");
	bool any_times = false, cover = true;
	char *where = vl_s3(c, d->key);

	for (size_t i = 0; i < d->n_logs; i++) {
		struct vlog *l = &d->logs[i];
		struct hr_logscan *sc = &l->scan;

		if (l->key[0] && vl_sset_add(&c->listed, l->key) == 0)
			vl_invalidate(c, l->entry,
				      vl_xasprintf("listed a second time, by %s", where));
		if (!l->times_ok) {
			vl_invalidate(c, l->entry,
				      vl_xasprintf("oldestEventTime/newestEventTime in %s "
						   "are not event times",
						   where));
			continue;
		}
		if (l->oldest) {
			any_times = true;
			if (!d_old || !d_new || strcmp(l->oldest, d_old) < 0 ||
			    strcmp(l->newest, d_new) > 0)
				cover = false;
		}
		if (!l->checked)
			continue;
		if (!l->scan_ok) {
			vl_invalidate(c, l->entry,
				      strdup("its records cannot be read as a CloudTrail "
					     "log file"));
			continue;
		}
		if (sc->bad_times) {
			vl_invalidate(c, l->entry,
				      vl_xasprintf("%llu records have no valid eventTime",
						   (unsigned long long)sc->bad_times));
			continue;
		}
		if (!sc->records)
			continue;
		if (!l->oldest)
			vl_invalidate(c, l->entry,
				      vl_xasprintf("%s lists no event times for its %llu "
						   "records",
						   where, (unsigned long long)sc->records));
		else if (strcmp(sc->oldest, l->oldest) < 0)
			vl_invalidate(c, l->entry,
				      vl_xasprintf("record eventTime %s is before the "
						   "oldestEventTime %s listed in %s",
						   sc->oldest, l->oldest, where));
		else if (strcmp(sc->newest, l->newest) > 0)
			vl_invalidate(c, l->entry,
				      vl_xasprintf("record eventTime %s is after the "
						   "newestEventTime %s listed in %s",
						   sc->newest, l->newest, where));
	}
	if (!cover || (any_times && (!d_old || !d_new)) ||
	    (!any_times &&
	     (!vl_is_null(d->doc, "oldestEventTime") || !vl_is_null(d->doc, "newestEventTime"))))
		vl_invalidate(c, d->entry,
			      strdup("oldestEventTime/newestEventTime do not match "
				     "those of its log files"));
	free(where);
}

/* Logs listed by signed digests just outside the traversal: they may list
 * log files delivered at the edges of the range. */
static void add_neighbour_listings(struct ctx *c, int64_t lo, int64_t hi, bool after_newest)
{
	for (size_t i = 0; i < c->all_digests.n; i++) {
		const char *k = c->all_digests.v[i];
		struct vdigest d;
		json_t *lfs, *lf;
		char *msg = NULL;
		int64_t t;
		size_t j;

		if (vl_sset_get(&c->visited, k) || !vl_key_time(k, &t) || t < lo || t > hi)
			continue;
		if (vl_load_digest(c, c->bucket, k, false, &d, &msg) != LD_VALID) {
			free(msg);
			continue;
		}
		lfs = json_object_get(d.doc, "logFiles");
		json_array_foreach(lfs, j, lf) {
			const char *lk = vl_jstr(lf, "s3Object");

			if (lk)
				vl_sset_add(&c->listed, lk);
		}
		vl_vdigest_free(&d);
		if (after_newest)
			break; /* the one right after the newest is enough */
	}
}

static struct unlisted *g_ul; /* walk callbacks get only the ctx */

static int collect_log_file(struct ctx *c, const char *key, const struct stat *st)
{
	const char *name = strrchr(key, '/') + 1;
	char rebuilt[HR_LOG_KEY_MAX], full[HR_CT_KEYTIME_LEN + 1];
	struct unlisted *ul = g_ul;
	size_t nl = strlen(name);
	int64_t m;

	/* a delivery in progress (the publisher's temporary name) */
	if (name[0] == '.' && nl > 5 && !strcmp(name + nl - 4, ".tmp"))
		return 0;
	if (vl_sset_get(&c->listed, key))
		return 0;
	if (!S_ISREG(st->st_mode)) {
		vl_add_entry(c, ENT_LOG, false, c->bucket, key,
			     strdup("not a regular file, in the trail's log folder"));
		return 0;
	}
	if (hr_logfile_key_from_name(rebuilt, sizeof(rebuilt), name) || strcmp(rebuilt, key)) {
		vl_add_entry(c, ENT_LOG, false, c->bucket, key,
			     strdup("not a log file name of this trail, in its log folder, and "
				    "listed in no digest"));
		return 0;
	}
	/* <acct>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<16>.json.gz */
	memcpy(full, name + nl - 8 - 16 - 1 - 14, 13);
	memcpy(full + 13, "00Z", 4);
	if (hr_ct_keytime_parse(full, HR_CT_KEYTIME_LEN, &m) || m + 60 <= ul->scope_lo ||
	    m > c->end)
		return 0;
	if (hr_grow(&ul->v, &ul->cap, ul->n, sizeof(*ul->v), 32))
		return -ENOMEM;
	ul->v[ul->n].key = strdup(key);
	if (!ul->v[ul->n].key)
		return -ENOMEM;
	ul->v[ul->n++].minute = m;
	return 0;
}

int vl_collect_unlisted(struct ctx *c, struct unlisted *ul)
{
	int64_t cov_start = INT64_MAX;
	char *folder;
	int ret;

	ul->cov_end = INT64_MIN;
	for (size_t i = 0; i < c->n_ds; i++) {
		if (c->ds[i].start < cov_start)
			cov_start = c->ds[i].start;
		if (c->ds[i].end > ul->cov_end)
			ul->cov_end = c->ds[i].end;
	}
	ul->scope_lo = cov_start < c->start ? cov_start : c->start;
	/* a log delivered just before the oldest digest checked is listed by
	 * the digest before it; one delivered as the newest was written, by
	 * the next one */
	add_neighbour_listings(c, ul->scope_lo - 120, cov_start == INT64_MAX ? c->start : cov_start,
			       false);
	if (c->n_ds)
		add_neighbour_listings(c, ul->cov_end + 1, INT64_MAX, true);

	folder = vl_xasprintf("AWSLogs/%s/CloudTrail/%s", c->account, c->region);
	if (!folder)
		return -ENOMEM;
	g_ul = ul;
	ret = vl_walk_folder(c, folder, collect_log_file);
	g_ul = NULL;
	free(folder);
	return ret;
}

static bool pending_in_state(const struct ctx *c, const char *key)
{
	for (size_t i = 0; c->have_state && i < c->state.n_pending; i++)
		if (!strcmp(c->state.pending[i].log.key, key))
			return true;
	return false;
}

/*
 * Decide with the agent's state read after the walk. The agent records a
 * log file as pending before the file appears, so one the walk saw is
 * pending now, or listed by a digest newer than the ones we listed (the
 * state's newest digest is one we did not see), or was never reported to
 * the signer at all. Without the state, only time can tell.
 */
void vl_decide_unlisted(struct ctx *c, struct unlisted *ul)
{
	int64_t limit = c->end < c->now ? c->end : c->now;
	bool closed = !c->n_ds || c->ds[0].closed;
	bool advanced = false;

	if (c->have_state && c->state.have_last && !vl_sset_get(&c->visited, c->state.last.key)) {
		int fd = hr_bucket_open(c->bfd, c->state.last.key);

		advanced = fd >= 0;
		if (fd >= 0)
			close(fd);
	}
	for (size_t i = 0; i < ul->n; i++) {
		struct candidate *k = &ul->v[i];
		bool report;

		if (pending_in_state(c, k->key))
			report = false; /* reported, not digested yet */
		else if (k->minute + 60 <= ul->cov_end)
			report = true; /* within what the digests cover */
		else if (c->have_state)
			report = !advanced;
		else
			report = closed &&
				 k->minute + 60 + (int64_t)c->period + vl_slack(c) <= limit;
		if (report)
			vl_add_entry(c, ENT_LOG, false, c->bucket, k->key,
				     strdup("not listed in any digest"));
		free(k->key);
	}
	free(ul->v);
	ul->v = NULL;
	ul->n = 0;
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* chain.c - the digest chain's durable state (see chain.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <jansson.h>

#include "common/grow.h"
#include "sign/chain.h"
#include "common/timefmt.h"
#include "common/files.h"

#define STATE_MAX (64 << 20)

void hr_chain_link_clear(struct hr_chain_link *l)
{
	free(l->signature);
	memset(l, 0, sizeof(*l));
}

int hr_chain_link_copy(struct hr_chain_link *dst, const struct hr_chain_link *src)
{
	char *sig = src->signature ? strdup(src->signature) : NULL;

	if (src->signature && !sig)
		return -ENOMEM;
	hr_chain_link_clear(dst);
	*dst = *src;
	dst->signature = sig;
	return 0;
}

void hr_chain_clear_inflight(struct hr_chain_state *st)
{
	for (size_t i = 0; i < st->n_inflight_listed; i++)
		free(st->inflight_listed[i]);
	free(st->inflight_listed);
	st->inflight_listed = NULL;
	st->n_inflight_listed = 0;
	hr_chain_link_clear(&st->inflight);
	st->have_inflight = false;
}

static void earlier_entry_free(struct hr_chain_earlier *e)
{
	free(e->bucket_dir);
	hr_chain_link_clear(&e->last);
}

static void earlier_free(struct hr_chain_state *st)
{
	for (size_t i = 0; i < st->n_earlier; i++)
		earlier_entry_free(&st->earlier[i]);
	free(st->earlier);
	st->earlier = NULL;
	st->n_earlier = 0;
}

void hr_chain_free(struct hr_chain_state *st)
{
	if (!st)
		return;
	earlier_free(st);
	free(st->bucket_dir);
	hr_chain_link_clear(&st->last);
	hr_chain_clear_inflight(st);
	free(st->pending);
	memset(st, 0, sizeof(*st));
}

int hr_chain_add_pending(struct hr_chain_state *st, const struct hr_chain_pending *p)
{
	for (size_t i = 0; i < st->n_pending; i++) {
		/* a crashed delivery redone under the same key: the new one counts */
		if (!strcmp(st->pending[i].log.key, p->log.key)) {
			st->pending[i] = *p;
			return 0;
		}
	}
	if (hr_grow(&st->pending, &st->cap_pending, st->n_pending, sizeof(*st->pending), 16))
		return -ENOMEM;
	st->pending[st->n_pending++] = *p;
	return 0;
}

bool hr_chain_same_dir(const char *a, const char *b)
{
	struct stat sa, sb;

	if (!a || !b)
		return false;
	if (!strcmp(a, b))
		return true;
	/* "/srv/b" and "/srv/b/", or a symlink to it */
	return !stat(a, &sa) && !stat(b, &sb) && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

const struct hr_chain_earlier *hr_chain_earlier_find(const struct hr_chain_state *st,
						     const char *bucket_dir)
{
	for (size_t i = 0; i < st->n_earlier; i++)
		if (hr_chain_same_dir(st->earlier[i].bucket_dir, bucket_dir))
			return &st->earlier[i];
	return NULL;
}

/* Remove entry i (its contents are the caller's or freed). */
static void earlier_remove(struct hr_chain_state *st, size_t i)
{
	memmove(&st->earlier[i], &st->earlier[i + 1],
		(st->n_earlier - i - 1) * sizeof(st->earlier[0]));
	st->n_earlier--;
}

/* Append (dir, link) as the newest entry, replacing one for the same
 * directory; takes ownership of dir and of link's signature. */
static int earlier_push(struct hr_chain_state *st, char *dir, struct hr_chain_link *link)
{
	const struct hr_chain_earlier *old = hr_chain_earlier_find(st, dir);
	struct hr_chain_earlier *v;

	if (old) {
		size_t i = (size_t)(old - st->earlier);

		earlier_entry_free(&st->earlier[i]);
		earlier_remove(st, i);
	}
	if (st->n_earlier == HR_CHAIN_EARLIER_MAX) {
		earlier_entry_free(&st->earlier[0]);
		earlier_remove(st, 0);
	}
	v = realloc(st->earlier, (st->n_earlier + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	st->earlier = v;
	v[st->n_earlier].bucket_dir = dir;
	v[st->n_earlier].last = *link;
	memset(link, 0, sizeof(*link));
	st->n_earlier++;
	return 0;
}

int hr_chain_restart_in(struct hr_chain_state *st, const struct hr_frame *frame,
			const char *bucket_dir, bool keep_earlier)
{
	char *dir = strdup(bucket_dir);
	const struct hr_chain_earlier *back;

	if (!dir)
		return -ENOMEM;
	if (!keep_earlier) {
		earlier_free(st);
	} else if (st->have_last && st->bucket_dir) {
		if (earlier_push(st, st->bucket_dir, &st->last)) {
			free(dir);
			return -ENOMEM;
		}
		st->bucket_dir = NULL; /* now the entry's */
	}
	free(st->bucket_dir);
	st->bucket_dir = dir;
	hr_chain_link_clear(&st->last);
	st->have_last = false;
	back = keep_earlier ? hr_chain_earlier_find(st, dir) : NULL;
	if (back) {
		/* back in a bucket left before: its newest digest is "last" again */
		size_t i = (size_t)(back - st->earlier);

		st->last = st->earlier[i].last;
		st->have_last = true;
		free(st->earlier[i].bucket_dir);
		earlier_remove(st, i);
	}
	hr_chain_clear_inflight(st);
	st->inflight_final = false;
	st->n_pending = 0;
	st->frame = *frame;
	st->stopped = true;
	st->link_previous = false;
	return 0;
}

static char *state_dir_path(const char *state_dir)
{
	char *p;

	return asprintf(&p, "%s/chain", state_dir) < 0 ? NULL : p;
}

/* ---- writing ---- */

static json_t *link_json(const struct hr_chain_link *l)
{
	char end[HR_CT_TIME_LEN + 1];

	hr_ct_time_fmt(l->end, end);
	return json_pack("{s:s, s:s, s:s, s:s, s:s}", "bucket", l->bucket, "key", l->key,
			 "hashValue", l->sha256_hex, "signature", l->signature ? l->signature : "",
			 "endTime", end);
}

static json_t *state_json(const struct hr_chain_state *st)
{
	char start[HR_CT_TIME_LEN + 1];
	json_t *doc, *pend, *v;

	hr_ct_time_fmt(st->period_start, start);
	doc = json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:s}", "version", 1, "accountId",
			st->frame.account_id, "region", st->frame.region, "trailName",
			st->frame.trail_name, "bucketName", st->frame.bucket_name, "bucketDir",
			st->bucket_dir ? st->bucket_dir : "", "status",
			st->stopped ? "stopped" : "logging", "linkPrevious", st->link_previous,
			"periodStart", start);
	if (!doc)
		return NULL;
	v = st->have_last ? link_json(&st->last) : json_null();
	if (!v || json_object_set_new(doc, "last", v))
		goto fail;
	if (st->have_inflight) {
		char s2[HR_CT_TIME_LEN + 1];
		json_t *listed = json_array();

		hr_ct_time_fmt(st->inflight_start, s2);
		v = link_json(&st->inflight);
		if (!v || !listed) {
			json_decref(v);
			json_decref(listed);
			goto fail;
		}
		for (size_t i = 0; i < st->n_inflight_listed; i++)
			json_array_append_new(listed, json_string(st->inflight_listed[i]));
		json_object_set_new(v, "startTime", json_string(s2));
		json_object_set_new(v, "final", json_boolean(st->inflight_final));
		json_object_set_new(v, "listed", listed);
	} else {
		v = json_null();
	}
	if (json_object_set_new(doc, "inflight", v))
		goto fail;
	pend = json_array();
	if (!pend || json_object_set_new(doc, "pending", pend))
		goto fail;
	for (size_t i = 0; i < st->n_pending; i++) {
		const struct hr_chain_pending *p = &st->pending[i];

		v = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I}", "key", p->log.key, "hashValue",
			      p->log.sha256_hex, "oldestEventNs", (json_int_t)p->log.oldest_ns,
			      "newestEventNs", (json_int_t)p->log.newest_ns, "records",
			      (json_int_t)p->log.n_records, "bytes", (json_int_t)p->bytes,
			      "deliveredNs", (json_int_t)p->delivered_ns);
		if (!v || json_array_append_new(pend, v))
			goto fail;
	}
	if (st->n_earlier) {
		json_t *arr = json_array();

		if (!arr || json_object_set_new(doc, "earlierBuckets", arr))
			goto fail;
		for (size_t i = 0; i < st->n_earlier; i++) {
			json_t *l = link_json(&st->earlier[i].last);

			v = l ? json_pack("{s:s, s:o}", "bucketDir", st->earlier[i].bucket_dir,
					  "last", l) :
				NULL;
			if (!v || json_array_append_new(arr, v))
				goto fail;
		}
	}
	return doc;
fail:
	json_decref(doc);
	return NULL;
}

int hr_chain_save(const char *state_dir, const struct hr_chain_state *st, char *err, size_t errlen)
{
	char *dir = state_dir_path(state_dir), *text = NULL, name[160];
	json_t *doc = NULL;
	int ret;

	if (!dir) {
		ret = -ENOMEM;
		goto nomem;
	}
	if (mkdir(dir, 0700) && errno != EEXIST) {
		ret = -errno;
		snprintf(err, errlen, "failed to create %s: %s", dir, strerror(errno));
		goto out;
	}
	doc = state_json(st);
	text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	if (!text) {
		ret = -ENOMEM;
		goto nomem;
	}
	snprintf(name, sizeof(name), "%s.json", st->frame.trail_name);
	ret = hr_write_file_atomic(dir, name, text, strlen(text), 0600, false, err, errlen);
	goto out;
nomem:
	snprintf(err, errlen, "failed to save the digest chain state: out of memory");
out:
	free(text);
	json_decref(doc);
	free(dir);
	return ret;
}

/* ---- reading ---- */

static int get_str(json_t *o, const char *k, char *dst, size_t n)
{
	json_t *v = json_object_get(o, k);

	if (!json_is_string(v) || json_string_length(v) >= n)
		return -EINVAL;
	memcpy(dst, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

static int get_time(json_t *o, const char *k, int64_t *t)
{
	json_t *v = json_object_get(o, k);

	if (!json_is_string(v))
		return -EINVAL;
	return hr_ct_time_parse(json_string_value(v), json_string_length(v), t);
}

static int get_int(json_t *o, const char *k, int64_t *i)
{
	json_t *v = json_object_get(o, k);

	if (!json_is_integer(v))
		return -EINVAL;
	*i = (int64_t)json_integer_value(v);
	return 0;
}

static int read_link(json_t *o, struct hr_chain_link *l)
{
	json_t *sig = json_object_get(o, "signature");

	if (!json_is_object(o) || get_str(o, "bucket", l->bucket, sizeof(l->bucket)) ||
	    get_str(o, "key", l->key, sizeof(l->key)) ||
	    get_str(o, "hashValue", l->sha256_hex, sizeof(l->sha256_hex)) ||
	    get_time(o, "endTime", &l->end) || !json_is_string(sig))
		return -EINVAL;
	l->signature = strdup(json_string_value(sig));
	return l->signature ? 0 : -ENOMEM;
}

static int read_state(json_t *doc, struct hr_chain_state *st)
{
	json_t *v, *e;
	const char *status;
	size_t i;
	int ret;

	if (!json_is_object(doc) || !json_is_integer(json_object_get(doc, "version")) ||
	    json_integer_value(json_object_get(doc, "version")) != 1)
		return -EINVAL;
	if (get_str(doc, "accountId", st->frame.account_id, sizeof(st->frame.account_id)) ||
	    get_str(doc, "region", st->frame.region, sizeof(st->frame.region)) ||
	    get_str(doc, "trailName", st->frame.trail_name, sizeof(st->frame.trail_name)) ||
	    get_str(doc, "bucketName", st->frame.bucket_name, sizeof(st->frame.bucket_name)) ||
	    !json_is_string(json_object_get(doc, "bucketDir")) ||
	    !json_is_boolean(json_object_get(doc, "linkPrevious")) ||
	    get_time(doc, "periodStart", &st->period_start))
		return -EINVAL;
	st->bucket_dir = strdup(json_string_value(json_object_get(doc, "bucketDir")));
	if (!st->bucket_dir)
		return -ENOMEM;
	status = json_string_value(json_object_get(doc, "status"));
	if (!status || (strcmp(status, "logging") && strcmp(status, "stopped")))
		return -EINVAL;
	st->stopped = !strcmp(status, "stopped");
	st->link_previous = json_is_true(json_object_get(doc, "linkPrevious"));

	v = json_object_get(doc, "last");
	if (v && !json_is_null(v)) {
		ret = read_link(v, &st->last);
		if (ret)
			return ret;
		st->have_last = true;
	}
	v = json_object_get(doc, "inflight");
	if (v && !json_is_null(v)) {
		json_t *listed = json_object_get(v, "listed");

		ret = read_link(v, &st->inflight);
		if (ret)
			return ret;
		st->have_inflight = true;
		if (get_time(v, "startTime", &st->inflight_start) ||
		    !json_is_boolean(json_object_get(v, "final")) || !json_is_array(listed))
			return -EINVAL;
		st->inflight_final = json_is_true(json_object_get(v, "final"));
		st->inflight_listed = calloc(json_array_size(listed) + 1, sizeof(char *));
		if (!st->inflight_listed)
			return -ENOMEM;
		json_array_foreach(listed, i, e) {
			if (!json_is_string(e))
				return -EINVAL;
			st->inflight_listed[i] = strdup(json_string_value(e));
			if (!st->inflight_listed[i])
				return -ENOMEM;
			st->n_inflight_listed = i + 1;
		}
	}
	v = json_object_get(doc, "pending");
	if (!json_is_array(v))
		return -EINVAL;
	json_array_foreach(v, i, e) {
		struct hr_chain_pending p = {.inherited = true};
		int64_t n, bytes;

		if (!json_is_object(e) || get_str(e, "key", p.log.key, sizeof(p.log.key)) ||
		    get_str(e, "hashValue", p.log.sha256_hex, sizeof(p.log.sha256_hex)) ||
		    get_int(e, "oldestEventNs", &p.log.oldest_ns) ||
		    get_int(e, "newestEventNs", &p.log.newest_ns) || get_int(e, "records", &n) ||
		    get_int(e, "bytes", &bytes) || get_int(e, "deliveredNs", &p.delivered_ns) ||
		    n < 0 || bytes < 0)
			return -EINVAL;
		p.log.n_records = (uint64_t)n;
		p.bytes = (uint64_t)bytes;
		ret = hr_chain_add_pending(st, &p);
		if (ret)
			return ret;
	}
	v = json_object_get(doc, "earlierBuckets"); /* optional */
	if (v && !json_is_array(v))
		return -EINVAL;
	json_array_foreach(v, i, e) {
		struct hr_chain_link l = {0};
		json_t *dir = json_object_get(e, "bucketDir");
		char *d;

		if (!json_is_object(e) || !json_is_string(dir))
			return -EINVAL;
		ret = read_link(json_object_get(e, "last"), &l);
		if (ret) {
			hr_chain_link_clear(&l);
			return ret;
		}
		d = strdup(json_string_value(dir));
		if (!d || earlier_push(st, d, &l)) {
			free(d);
			hr_chain_link_clear(&l);
			return -ENOMEM;
		}
	}
	return 0;
}

int hr_chain_load(const char *state_dir, const char *trail, struct hr_chain_state *st, char *err,
		  size_t errlen)
{
	char *dir = state_dir_path(state_dir), *path = NULL, *buf = NULL;
	json_error_t jerr;
	json_t *doc = NULL;
	size_t len;
	int ret;

	memset(st, 0, sizeof(*st));
	if (!dir || asprintf(&path, "%s/%s.json", dir, trail) < 0) {
		path = NULL;
		ret = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	ret = hr_read_file(path, STATE_MAX, &buf, &len);
	if (ret) {
		snprintf(err, errlen, "failed to read %s: %s", path, strerror(-ret));
		goto out;
	}
	doc = json_loadb(buf, len, 0, &jerr);
	ret = doc ? read_state(doc, st) : -EINVAL;
	if (ret) {
		snprintf(err, errlen, "failed to read %s: %s", path,
			 ret == -EINVAL ? "not a digest chain state" : strerror(-ret));
		hr_chain_free(st);
	}
out:
	json_decref(doc);
	free(buf);
	free(path);
	free(dir);
	return ret;
}

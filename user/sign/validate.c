// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * validate.c - hostrail validate-logs (see validate.h).
 *
 * Two phases. The first is a port of aws-cli 2.9.19's DigestTraverser and
 * CloudTrailValidateLogs (validation.py): list the trail's digest keys in
 * [start, end + 1 h], walk from the newest backwards along
 * previousDigestS3Object, check each digest (format, location, key,
 * signature) and each log file it lists (SHA-256 of the inflated bytes),
 * jumping to the next older listed key where a digest is missing or invalid
 * or a chain starts. Its findings are kept, not printed, so that the second
 * phase - the checks aws-cli does not make - can turn a line aws-cli calls
 * valid into an INVALID one or add lines. Then everything is printed in
 * aws-cli's order and format.
 *
 * Nothing read from the bucket is trusted: keys are opened with openat2
 * RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS, sizes are bounded, names are
 * escaped when printed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "sign/chain.h"
#include "sign/keys.h"
#include "common/timefmt.h"
#include "common/encode.h"
#include "common/sort.h"
#include "common/files.h"
#include "common/gz.h"
#include "sign/validate.h"
#include "sign/validate_bucket.h"
#include "sign/validate_chain.h"
#include "sign/validate_logs.h"

/* ---- the report (validation.py's _write_status and summary) ---- */

static void report(struct ctx *c)
{
	struct hr_validate_result *r = c->res;
	char s[HR_CT_TIME_LEN + 1], e[HR_CT_TIME_LEN + 1];
	bool dbl = true;

	for (size_t i = 0; i < c->n_ents; i++) {
		struct entry *en = &c->ents[i];
		char *b = en->bucket ? hr_printable(en->bucket) : NULL;
		char *k = en->key ? hr_printable(en->key) : NULL;
		char *line;
		bool error = !en->valid || en->kind == ENT_NOTE;

		if (en->kind == ENT_NOTE)
			line = strdup(en->reason);
		else if (en->valid)
			line = vl_xasprintf("%s\ts3://%s/%s\tvalid",
					    en->kind == ENT_DIGEST ? "Digest file" : "Log file", b,
					    k);
		else
			line = vl_xasprintf("%s\ts3://%s/%s\tINVALID: %s",
					    en->kind == ENT_DIGEST ? "Digest file" : "Log file", b,
					    k, en->reason);
		if (en->kind == ENT_DIGEST)
			en->valid ? r->digests_valid++ : r->digests_invalid++;
		else if (en->kind == ENT_LOG)
			en->valid ? r->logs_valid++ : r->logs_invalid++;
		if (error) {
			fprintf(c->err, dbl ? "%s\n\n" : "\n%s\n\n", line ? line : "?");
			dbl = true;
		} else if (c->o->verbose) {
			dbl = false;
			fprintf(c->out, "%s\n", line ? line : "?");
		}
		free(line);
		free(b);
		free(k);
	}
	if (!dbl)
		fputc('\n', c->out);
	hr_ct_time_fmt(c->start, s);
	hr_ct_time_fmt(c->end, e);
	fprintf(c->out, "Results requested for %s to %s\n", s, e);
	if (!r->digests_valid && !r->digests_invalid) {
		fprintf(c->out, "No digests found\n");
		if (!r->logs_invalid)
			return;
	} else if (!c->found_end_set) {
		fprintf(c->out, "No valid digests found in range\n");
	} else {
		hr_ct_time_fmt(c->found_start, s);
		hr_ct_time_fmt(c->found_end, e);
		fprintf(c->out, "Results found for %s to %s:\n", s, e);
	}
	if (r->digests_valid + r->digests_invalid) {
		unsigned t = r->digests_valid + r->digests_invalid;

		fprintf(c->out, "\n%u/%u digest files valid", r->digests_valid, t);
		if (r->digests_invalid)
			fprintf(c->out, ", %u/%u digest files INVALID", r->digests_invalid, t);
	}
	if (r->logs_valid + r->logs_invalid) {
		unsigned t = r->logs_valid + r->logs_invalid;

		fprintf(c->out, "\n%u/%u log files valid", r->logs_valid, t);
		if (r->logs_invalid)
			fprintf(c->out, ", %u/%u log files INVALID", r->logs_invalid, t);
	}
	fputc('\n', c->out);
}

/* ---- which trail, which bucket ---- */

struct trail_id {
	char account[16], region[64], trail[128];
};

struct trails {
	struct trail_id *v;
	size_t n;
	const struct hr_validate_opts *o;
};

static struct trails *g_tr;

static void add_trail(struct trails *t, const char *a, const char *r, const char *n)
{
	struct trail_id *nv;

	if ((t->o->account_id && strcmp(a, t->o->account_id)) ||
	    (t->o->region && strcmp(r, t->o->region)) ||
	    (t->o->trail_name && strcmp(n, t->o->trail_name)))
		return;
	if (strlen(a) >= sizeof(nv->account) || strlen(r) >= sizeof(nv->region) ||
	    strlen(n) >= sizeof(nv->trail))
		return;
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->v[i].account, a) && !strcmp(t->v[i].region, r) &&
		    !strcmp(t->v[i].trail, n))
			return;
	nv = realloc(t->v, (t->n + 1) * sizeof(*nv));
	if (!nv)
		return;
	t->v = nv;
	snprintf(nv[t->n].account, sizeof(nv->account), "%s", a);
	snprintf(nv[t->n].region, sizeof(nv->region), "%s", r);
	snprintf(nv[t->n].trail, sizeof(nv->trail), "%s", n);
	t->n++;
}

/* AWSLogs/<a>/CloudTrail-Digest/<r>/Y/M/D/<a>_CloudTrail-Digest_<r>_<trail>_<home>_<stamp>.json.gz */
static int discover_cb(struct ctx *c, const char *key, const struct stat *st)
{
	char a[64], r[128], *name, *p, *end;
	const char *base = strrchr(key, '/') + 1;
	size_t pl;

	(void)c;
	if (!S_ISREG(st->st_mode) ||
	    sscanf(key, "AWSLogs/%63[^/]/CloudTrail-Digest/%127[^/]/", a, r) != 2)
		return 0;
	name = vl_xasprintf("%s_CloudTrail-Digest_%s_", a, r);
	if (!name)
		return -ENOMEM;
	pl = strlen(name);
	if (strncmp(base, name, pl) || strlen(base) < pl + 1 + 1 + 16 + 8 ||
	    strcmp(base + strlen(base) - 8, ".json.gz")) {
		free(name);
		return 0;
	}
	free(name);
	p = strdup(base + pl);
	if (!p)
		return -ENOMEM;
	/* <trail>_<home>_<stamp>.json.gz: regions have no '_' */
	end = p + strlen(p) - 8 - 16;
	if (end[-1] == '_') {
		end[-1] = '\0';
		name = strrchr(p, '_');
		if (name && name > p && !strcmp(name + 1, r)) {
			*name = '\0';
			add_trail(g_tr, a, r, p);
		}
	}
	free(p);
	return 0;
}

static int discover_trails(struct ctx *c, struct trails *t)
{
	DIR *d;
	struct dirent *de;
	int fd = openat(c->bfd, "AWSLogs", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return 0;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	g_tr = t;
	while ((de = readdir(d))) {
		char *rel;

		if (de->d_name[0] == '.')
			continue;
		rel = vl_xasprintf("AWSLogs/%s/CloudTrail-Digest", de->d_name);
		if (!rel)
			break;
		vl_walk_folder(c, rel, discover_cb);
		free(rel);
	}
	g_tr = NULL;
	closedir(d);
	return 0;
}

/* Trails the state dir's chain states know, when the bucket has no digest. */
static void trails_from_state(const char *state_dir, struct trails *t)
{
	char *dir = vl_xasprintf("%s/chain", state_dir);
	DIR *d = dir ? opendir(dir) : NULL;
	struct dirent *de;

	while (d && (de = readdir(d))) {
		struct hr_chain_state st;
		char name[256], err[256];
		size_t n = strlen(de->d_name);

		if (n < 6 || n >= sizeof(name) || strcmp(de->d_name + n - 5, ".json") ||
		    de->d_name[0] == '.')
			continue;
		memcpy(name, de->d_name, n - 5);
		name[n - 5] = '\0';
		if (hr_chain_load(state_dir, name, &st, err, sizeof(err)))
			continue;
		add_trail(t, st.frame.account_id, st.frame.region, st.frame.trail_name);
		hr_chain_free(&st);
	}
	if (d)
		closedir(d);
	free(dir);
}

/* digestS3Bucket of the newest digest, read without trusting it: if it is
 * wrong every digest comes out "moved". */
static char *bucket_from_digests(struct ctx *c)
{
	for (size_t i = c->all_digests.n; i-- > 0;) {
		unsigned char *raw = NULL;
		json_error_t jerr;
		json_t *doc;
		char *b = NULL;
		size_t len;
		int fd = hr_bucket_open(c->bfd, c->all_digests.v[i]);

		if (fd < 0)
			continue;
		if (!hr_gz_inflate_fd_all(fd, DIGEST_MAX, &raw, &len)) {
			doc = json_loadb((const char *)raw, len, 0, &jerr);
			if (vl_jstr(doc, "digestS3Bucket"))
				b = strdup(vl_jstr(doc, "digestS3Bucket"));
			json_decref(doc);
		}
		free(raw);
		close(fd);
		if (b)
			return b;
	}
	return NULL;
}

static char *base_name(const char *dir)
{
	char *copy = strdup(dir), *b;
	size_t n;

	if (!copy)
		return NULL;
	n = strlen(copy);
	while (n > 1 && copy[n - 1] == '/')
		copy[--n] = '\0';
	b = strrchr(copy, '/');
	b = strdup(b ? b + 1 : copy);
	free(copy);
	return b;
}

/* ---- entry point ---- */

static int usage_error(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int usage_error(struct ctx *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(c->err, "hostrail validate-logs: ");
	va_start(ap, fmt);
	vfprintf(c->err, fmt, ap);
	va_end(ap);
	fputc('\n', c->err);
	return 2;
}

static int pick_trail(struct ctx *c, struct trail_id *out)
{
	const struct hr_validate_opts *o = c->o;
	struct trails t = {.o = o};
	int ret = 0;

	discover_trails(c, &t);
	if (!t.n && o->state_dir)
		trails_from_state(o->state_dir, &t);
	if (!t.n && o->account_id && o->region && o->trail_name)
		add_trail(&t, o->account_id, o->region, o->trail_name);
	if (t.n == 1) {
		*out = t.v[0];
	} else if (!t.n) {
		ret = usage_error(c,
				  "no digest files under %s/AWSLogs%s; name the trail with "
				  "--account-id, --region and --trail-name",
				  o->bucket_dir,
				  (o->account_id || o->region || o->trail_name) ?
					  " for the trail given" :
					  "");
	} else {
		fprintf(c->err,
			"hostrail validate-logs: %s holds digests of %zu trails; choose "
			"one with --account-id, --region and --trail-name:\n",
			o->bucket_dir, t.n);
		for (size_t i = 0; i < t.n; i++)
			fprintf(c->err, "  --account-id %s --region %s --trail-name %s\n",
				t.v[i].account, t.v[i].region, t.v[i].trail);
		ret = 2;
	}
	free(t.v);
	return ret;
}

static void ctx_free(struct ctx *c)
{
	for (size_t i = 0; i < c->n_ents; i++) {
		free(c->ents[i].bucket);
		free(c->ents[i].key);
		free(c->ents[i].reason);
	}
	free(c->ents);
	for (size_t i = 0; i < c->n_ds; i++)
		vl_vdigest_free(&c->ds[i]);
	free(c->ds);
	vl_strv_free(&c->all_digests);
	vl_sset_free(&c->visited);
	vl_sset_free(&c->listed);
	hr_pubkeys_free(&c->keys);
	hr_chain_free(&c->state);
	free(c->bucket);
	free(c->arn);
	if (c->bfd >= 0)
		close(c->bfd);
}

int hr_validate_logs(const struct hr_validate_opts *o, struct hr_validate_result *res)
{
	struct hr_validate_result local;
	struct unlisted ul = {0};
	struct trail_id tid;
	struct ctx c = {.o = o, .bfd = -1};
	char err[1024], s[HR_CT_TIME_LEN + 1], e[HR_CT_TIME_LEN + 1], *folder = NULL;
	size_t in_range = 0;
	int ret;

	if (!res)
		res = &local;
	memset(res, 0, sizeof(*res));
	c.res = res;
	c.out = o->out ? o->out : stdout;
	c.err = o->err ? o->err : stderr;
	c.now = (int64_t)time(NULL);
	c.start = o->start;
	c.end = o->end ? o->end : c.now;
	if (c.start > c.end) {
		ret = usage_error(&c, "invalid time range: the start time must not be after the "
				      "end time");
		goto out;
	}
	if (!o->bucket_dir) {
		ret = usage_error(&c, "--bucket-dir is required");
		goto out;
	}
	c.bfd = open(o->bucket_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c.bfd < 0) {
		ret = usage_error(&c, "cannot open the bucket directory %s: %s", o->bucket_dir,
				  strerror(errno));
		goto out;
	}
	if (o->public_keys_file)
		ret = hr_pubkeys_load_file(o->public_keys_file, &c.keys, err, sizeof(err));
	else if (o->state_dir)
		ret = hr_keys_load_public(o->state_dir, &c.keys, err, sizeof(err));
	else
		ret = snprintf(err, sizeof(err), "give --state-dir or --public-keys") ? -EINVAL : 0;
	if (ret) {
		ret = usage_error(&c, "%s", err);
		goto out;
	}
	ret = pick_trail(&c, &tid);
	if (ret)
		goto out;
	c.account = tid.account;
	c.region = tid.region;
	c.trail = tid.trail;

	vl_read_state(&c); /* for the bucket name; read again at the end */

	folder = vl_xasprintf("AWSLogs/%s/CloudTrail-Digest/%s", c.account, c.region);
	if (!folder || vl_walk_folder(&c, folder, vl_collect_digest)) {
		ret = usage_error(&c, "cannot list %s/%s", o->bucket_dir, folder ? folder : "");
		goto out;
	}
	hr_sort(c.all_digests.v, c.all_digests.n, sizeof(char *), vl_cmp_str);

	if (o->bucket_name)
		c.bucket = strdup(o->bucket_name);
	else if (c.have_state && c.state.frame.bucket_name[0])
		c.bucket = strdup(c.state.frame.bucket_name);
	else
		c.bucket = bucket_from_digests(&c);
	if (!c.bucket)
		c.bucket = base_name(o->bucket_dir);
	c.arn = o->trail_arn ? strdup(o->trail_arn) :
			       vl_xasprintf("arn:hostrail:cloudtrail:%s:%s:trail/%s", c.region,
					    c.account, c.trail);
	if (!c.bucket || !c.arn) {
		ret = usage_error(&c, "out of memory");
		goto out;
	}

	hr_ct_time_fmt(c.start, s);
	hr_ct_time_fmt(c.end, e);
	fprintf(c.out, "Validating log files for trail %s between %s and %s\n\n", c.arn, s, e);
	for (size_t i = 0; i < c.keys.n; i++)
		in_range += hr_pubkey_in_range(&c.keys.v[i], c.start, c.end);
	if (!in_range) {
		/* aws-cli raises here, before looking at any digest */
		fflush(c.out);
		fprintf(c.err, "\nNo public keys found between %s and %s\n", s, e);
		ret = 2;
		goto out;
	}
	c.found_start = c.start;

	ret = vl_traverse(&c);
	if (ret) {
		ret = usage_error(&c, "%s", strerror(-ret));
		goto out;
	}
	c.period = vl_infer_period(&c);
	for (size_t i = 0; i < c.n_ds; i++) {
		vl_check_algorithms(&c, &c.ds[i]);
		vl_check_previous_fields(&c, &c.ds[i]);
		vl_check_key_window(&c, &c.ds[i]);
		vl_check_link(&c, &c.ds[i]);
		vl_check_log_contents(&c, &c.ds[i]);
	}
	vl_check_unreached(&c);
	ret = vl_collect_unlisted(&c, &ul);
	if (ret) {
		vl_decide_unlisted(&c, &ul);
		ret = usage_error(&c, "cannot list the log files: %s", strerror(-ret));
		goto out;
	}
	vl_read_state(&c);
	vl_check_chain_ends(&c);
	vl_decide_unlisted(&c, &ul);
	if (c.oom) {
		ret = usage_error(&c, "out of memory");
		goto out;
	}
	report(&c);
	ret = (res->digests_invalid || res->logs_invalid) ? 1 : 0;
out:
	fflush(c.out);
	free(folder);
	ctx_free(&c);
	return ret;
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* config.c - the configuration file, checked field by field. */
#include <ctype.h>
#include <stddef.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>
#include "config/config.h"
#include "deliver/output.h"

void hr_config_region_from_hostname(char *buf, size_t len)
{
	char host[256] = "";
	size_t o = 0;

	gethostname(host, sizeof(host) - 1);
	for (const char *p = host; *p && *p != '.' && o + 1 < len; p++) {
		unsigned char ch = tolower((unsigned char)*p);

		buf[o++] = (isalnum(ch) && ch < 0x80) ? (char)ch : '-';
	}
	buf[o] = '\0';
	if (!o)
		snprintf(buf, len, "localhost");
}

void hr_config_default(struct hr_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->source, sizeof(c->source), "embedded default");
	snprintf(c->account_id, sizeof(c->account_id), HR_DEFAULT_ACCOUNT_ID);
	snprintf(c->state_dir, sizeof(c->state_dir), HR_DEFAULT_STATE_DIR);
	c->history_retention_days = HR_DEFAULT_HISTORY_DAYS;
	c->sandbox = true;
	snprintf(c->control_group, sizeof(c->control_group), HR_DEFAULT_CONTROL_GROUP);
	c->n_trails = 1;
	c->trails[0].forward_to_journald = true;
	snprintf(c->trails[0].name, sizeof(c->trails[0].name), HR_DEFAULT_TRAIL_NAME);
	snprintf(c->trails[0].bucket_dir, sizeof(c->trails[0].bucket_dir), HR_DEFAULT_BUCKET_DIR);
	c->trails[0].batch_seconds = HR_DEFAULT_PERIOD_S;
}

/* Refusal helper: "FILE: $.path: reason". */
static int refuse(char *err, size_t errlen, const char *file, const char *path, const char *reason)
{
	snprintf(err, errlen, "%s: %s: %s", file, path, reason);
	return -EINVAL;
}

static int get_string(json_t *v, char *dst, size_t dstlen, const char *file, const char *path,
		      char *err, size_t errlen)
{
	if (!json_is_string(v))
		return refuse(err, errlen, file, path, "expected a string");
	if (json_string_length(v) >= dstlen ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return refuse(err, errlen, file, path, "string too long or contains NUL");
	memcpy(dst, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

static int get_seconds(json_t *v, unsigned *dst, const char *file, const char *path, char *err,
		       size_t errlen)
{
	if (!json_is_integer(v))
		return refuse(err, errlen, file, path, "expected a whole number of seconds");
	if (json_integer_value(v) < 1 || json_integer_value(v) > 86400)
		return refuse(err, errlen, file, path, "must be between 1 and 86400 seconds");
	*dst = (unsigned)json_integer_value(v);
	return 0;
}

static int get_bool(json_t *v, bool *dst, const char *file, const char *path, char *err,
		    size_t errlen)
{
	if (!json_is_boolean(v))
		return refuse(err, errlen, file, path, "expected true or false");
	*dst = json_is_true(v);
	return 0;
}

static void trail_free(struct hr_trail_config *tc)
{
	json_decref(tc->event_selectors_json);
	json_decref(tc->advanced_selectors_json);
	hr_selectors_free(&tc->selectors);
	memset(tc, 0, sizeof(*tc));
}

void hr_config_free(struct hr_config *c)
{
	if (!c)
		return;
	for (int i = 0; i < HR_MAX_TRAILS; i++)
		trail_free(&c->trails[i]);
	c->n_trails = 0;
	hr_rules_config_free(&c->rules);
}

/* "outputs": ["journald", "history"], each at most once. */
static int get_outputs(json_t *v, unsigned *off, const char *file, const char *path, char *err,
		       size_t errlen)
{
	unsigned on = 0;
	size_t i;
	json_t *o;

	if (!json_is_array(v))
		return refuse(err, errlen, file, path, "expected an array of output names");
	json_array_foreach(v, i, o) {
		int bit = json_is_string(o) ? hr_output_bit(json_string_value(o)) : -ENOENT;

		if (bit < 0)
			return refuse(err, errlen, file, path,
				      "unknown output (known: \"journald\", \"history\")");
		if (on & (1u << bit))
			return refuse(err, errlen, file, path, "an output is listed twice");
		on |= 1u << bit;
	}
	*off = HR_OUTPUTS_ALL & ~on;
	return 0;
}

/* "queueMiB": {"bucket": 8, "journald": 8, "history": 8}, any of them. */
static int get_queue_mib(json_t *v, struct hr_config *c, const char *file, const char *path,
			 char *err, size_t errlen)
{
	const char *name;
	json_t *n;

	if (!json_is_object(v))
		return refuse(err, errlen, file, path,
			      "expected an object of queue bounds in MiB by output name");
	json_object_foreach(v, name, n) {
		bool bucket = !strcmp(name, HR_OUTPUT_BUCKET);
		int bit = bucket ? 0 : hr_output_bit(name);
		size_t bytes;

		if (bit < 0)
			return refuse(
				err, errlen, file, path,
				"unknown queue (known: \"bucket\", \"journald\", \"history\")");
		if (!json_is_integer(n) || json_integer_value(n) < 1 ||
		    json_integer_value(n) > 1024)
			return refuse(err, errlen, file, path,
				      "a queue bound is a whole number of MiB, 1 to 1024");
		bytes = (size_t)json_integer_value(n) << 20;
		if (bucket)
			c->bucket_queue_bytes = bytes;
		else
			c->output_queue_bytes[bit] = bytes;
	}
	return 0;
}

/* The S3 delivery fields of a trail ("s3EndpointUrl", ...). */
static int get_s3_field(const char *key, json_t *v, struct hr_trail_s3 *s3, const char *file,
			const char *path, char *err, size_t errlen)
{
	static const struct {
		const char *name;
		size_t off, len;
	} strs[] = {
#define S3STR(n, f) {n, offsetof(struct hr_trail_s3, f), sizeof(((struct hr_trail_s3 *)0)->f)}
		S3STR("s3EndpointUrl", endpoint_url),
		S3STR("s3Region", region),
		S3STR("s3KeyPrefix", key_prefix),
		S3STR("s3CaBundle", ca_bundle),
		S3STR("s3CredentialsFile", credentials_file),
		S3STR("s3Profile", profile),
#undef S3STR
	};

	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		if (!strcmp(key, strs[i].name))
			return get_string(v, (char *)s3 + strs[i].off, strs[i].len, file, path, err,
					  errlen);
	if (!strcmp(key, "s3AddressingStyle")) {
		const char *style = json_string_value(v);

		if (!style || (strcmp(style, "path") && strcmp(style, "virtual")))
			return refuse(err, errlen, file, path, "expected \"path\" or \"virtual\"");
		s3->virtual_hosted = !strcmp(style, "virtual");
		return 0;
	}
	if (!strcmp(key, "s3RetryMaxSeconds"))
		return get_seconds(v, &s3->retry_max_seconds, file, path, err, errlen);
	return refuse(err, errlen, file, path, "unknown field");
}

/* What S3 delivery needs of a trail that has it. */
static int check_s3(const struct hr_trail_s3 *s3, const char *f, int i, char *err, size_t errlen)
{
	const char *u = s3->endpoint_url, *p = s3->key_prefix;
	size_t pl = strlen(p);
	char path[64];

	if (!u[0]) {
		snprintf(path, sizeof(path), "$.trails[%d]", i);
		if (p[0] || s3->kms_key_id[0] || s3->credentials_file[0])
			return refuse(
				err, errlen, f, path,
				"s3KeyPrefix, kmsKeyId and s3CredentialsFile need s3EndpointUrl");
		return 0;
	}
	snprintf(path, sizeof(path), "$.trails[%d].s3EndpointUrl", i);
	if (strncmp(u, "https://", 8) && strncmp(u, "http://", 7))
		return refuse(err, errlen, f, path, "must be an http:// or https:// URL");
	snprintf(path, sizeof(path), "$.trails[%d].s3KeyPrefix", i);
	if (pl && (p[0] == '/' || p[pl - 1] == '/' || strstr(p, "//") || !hr_key_is_plain(p)))
		return refuse(err, errlen, f, path,
			      "must be a relative key without a leading or trailing '/'");
	snprintf(path, sizeof(path), "$.trails[%d].s3CredentialsFile", i);
	if (s3->credentials_file[0] && s3->credentials_file[0] != '/')
		return refuse(err, errlen, f, path, "must be an absolute path");
	snprintf(path, sizeof(path), "$.trails[%d].s3CaBundle", i);
	if (s3->ca_bundle[0] && s3->ca_bundle[0] != '/')
		return refuse(err, errlen, f, path, "must be an absolute path");
	return 0;
}

static int load_trail(json_t *t, struct hr_trail_config *tc, const char *file, int idx, char *err,
		      size_t errlen)
{
	char path[96];
	const char *key;
	json_t *v;
	int rc = 0;

	snprintf(path, sizeof(path), "$.trails[%d]", idx);
	if (!json_is_object(t))
		return refuse(err, errlen, file, path, "expected an object");
	json_object_foreach(t, key, v) {
		snprintf(path, sizeof(path), "$.trails[%d].%.40s", idx, key);
		if (!strcmp(key, "name"))
			rc = get_string(v, tc->name, sizeof(tc->name), file, path, err, errlen);
		else if (!strcmp(key, "bucketDir"))
			rc = get_string(v, tc->bucket_dir, sizeof(tc->bucket_dir), file, path, err,
					errlen);
		else if (!strcmp(key, "s3BucketName"))
			rc = get_string(v, tc->s3_bucket_name, sizeof(tc->s3_bucket_name), file,
					path, err, errlen);
		else if (!strncmp(key, "s3", 2) && strcmp(key, "s3BucketName"))
			rc = get_s3_field(key, v, &tc->s3, file, path, err, errlen);
		else if (!strcmp(key, "kmsKeyId"))
			rc = get_string(v, tc->s3.kms_key_id, sizeof(tc->s3.kms_key_id), file, path,
					err, errlen);
		else if (!strcmp(key, "batchSeconds"))
			rc = get_seconds(v, &tc->batch_seconds, file, path, err, errlen);
		else if (!strcmp(key, "digestSeconds"))
			rc = get_seconds(v, &tc->digest_seconds, file, path, err, errlen);
		else if (!strcmp(key, "forwardToJournald"))
			rc = get_bool(v, &tc->forward_to_journald, file, path, err, errlen);
		else if (!strcmp(key, "outputs"))
			rc = get_outputs(v, &tc->outputs_off, file, path, err, errlen);
		else if (!strcmp(key, "eventSelectors"))
			tc->event_selectors_json = json_incref(v); /* checked in finish */
		else if (!strcmp(key, "advancedEventSelectors"))
			tc->advanced_selectors_json = json_incref(v);
		else
			rc = refuse(err, errlen, file, path, "unknown field");
		if (rc)
			return rc;
	}
	return 0;
}

int hr_config_load_file(struct hr_config *c, const char *file, char *err, size_t errlen)
{
	json_error_t jerr;
	const char *key;
	json_t *root, *v;
	char path[96];
	int rc = 0;

	root = json_load_file(file, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		if (jerr.line < 0 || access(file, R_OK))
			snprintf(err, errlen, "%s: cannot read: %s", file, strerror(errno));
		else
			snprintf(err, errlen, "%s: line %d column %d: %s", file, jerr.line,
				 jerr.column, jerr.text);
		return -EINVAL;
	}
	if (!json_is_object(root)) {
		rc = refuse(err, errlen, file, "$", "expected an object");
		goto out;
	}
	snprintf(c->source, sizeof(c->source), "%s", file);
	json_object_foreach(root, key, v) {
		snprintf(path, sizeof(path), "$.%.60s", key);
		if (!strcmp(key, "accountId")) {
			rc = get_string(v, c->account_id, sizeof(c->account_id), file, path, err,
					errlen);
		} else if (!strcmp(key, "region")) {
			rc = get_string(v, c->region, sizeof(c->region), file, path, err, errlen);
		} else if (!strcmp(key, "stateDir")) {
			rc = get_string(v, c->state_dir, sizeof(c->state_dir), file, path, err,
					errlen);
		} else if (!strcmp(key, "controlGroup")) {
			rc = get_string(v, c->control_group, sizeof(c->control_group), file, path,
					err, errlen);
		} else if (!strcmp(key, "captureHook")) {
			const char *h = json_string_value(v);

			if (h && !strcmp(h, "auto"))
				c->capture_hook = HR_CAPTURE_AUTO;
			else if (h && !strcmp(h, "tracepoint"))
				c->capture_hook = HR_CAPTURE_TRACEPOINT;
			else if (h && !strcmp(h, "exit-only"))
				c->capture_hook = HR_CAPTURE_EXIT_ONLY;
			else
				rc = refuse(err, errlen, file, path,
					    "expected \"auto\", \"tracepoint\" or \"exit-only\"");
		} else if (!strcmp(key, "sandbox")) {
			rc = get_bool(v, &c->sandbox, file, path, err, errlen);
		} else if (!strcmp(key, "queueMiB")) {
			rc = get_queue_mib(v, c, file, path, err, errlen);
		} else if (!strcmp(key, "historyRetentionDays")) {
			if (!json_is_integer(v) || json_integer_value(v) < 1 ||
			    json_integer_value(v) > 3650)
				rc = refuse(err, errlen, file, path,
					    "expected a whole number of days, 1 to 3650");
			else
				c->history_retention_days = (unsigned)json_integer_value(v);
		} else if (!strcmp(key, "trails")) {
			size_t i;
			json_t *t;

			if (!json_is_array(v) || json_array_size(v) < 1) {
				rc = refuse(err, errlen, file, path, "expected a non-empty array");
				break;
			}
			if (json_array_size(v) > HR_MAX_TRAILS) {
				rc = refuse(err, errlen, file, path, "too many trails (at most 8)");
				break;
			}
			c->n_trails = (int)json_array_size(v);
			json_array_foreach(v, i, t) {
				struct hr_trail_config *tc = &c->trails[i];

				trail_free(tc);
				tc->batch_seconds = HR_DEFAULT_PERIOD_S;
				tc->forward_to_journald = true;
				rc = load_trail(t, tc, file, (int)i, err, errlen);
				if (rc)
					break;
			}
		} else if (!strcmp(key, "rules")) {
			rc = hr_rules_config_load(&c->rules, v, file, err, errlen);
		} else {
			rc = refuse(err, errlen, file, path, "unknown field");
		}
		if (rc)
			break;
	}
out:
	json_decref(root);
	return rc;
}

static bool all_chars(const char *s, const char *allowed_punct, bool lower_only)
{
	for (; *s; s++) {
		unsigned char ch = *s;

		if (ch >= 0x80 || !(isdigit(ch) || (islower(ch)) || (!lower_only && isupper(ch)) ||
				    strchr(allowed_punct, ch)))
			return false;
	}
	return true;
}

static const char *base_name(const char *path)
{
	size_t n = strlen(path);
	const char *p;

	while (n > 1 && path[n - 1] == '/')
		n--;
	for (p = path + n; p > path && p[-1] != '/'; p--)
		;
	return p;
}

int hr_config_finish(struct hr_config *c, char *err, size_t errlen)
{
	const char *f = c->source;

	if (strlen(c->account_id) != 12 || !all_chars(c->account_id, "", true) ||
	    strspn(c->account_id, "0123456789") != 12)
		return refuse(err, errlen, f, "$.accountId", "must be 12 digits");
	if (!c->region[0])
		hr_config_region_from_hostname(c->region, sizeof(c->region));
	if (!all_chars(c->region, "-", true))
		return refuse(err, errlen, f, "$.region", "only a-z, 0-9 and '-' are allowed");
	if (c->state_dir[0] != '/')
		return refuse(err, errlen, f, "$.stateDir", "must be an absolute path");
	for (int i = 0; i < c->n_trails; i++) {
		struct hr_trail_config *t = &c->trails[i];
		char path[64];

		snprintf(path, sizeof(path), "$.trails[%d].name", i);
		if (!t->name[0] || !all_chars(t->name, "._-", false))
			return refuse(err, errlen, f, path,
				      "must be non-empty: letters, digits, '.', '_' and '-'");
		for (int j = 0; j < i; j++)
			if (!strcmp(c->trails[j].name, t->name))
				return refuse(err, errlen, f, path, "two trails have this name");
		snprintf(path, sizeof(path), "$.trails[%d].bucketDir", i);
		if (t->bucket_dir[0] != '/')
			return refuse(err, errlen, f, path, "must be an absolute path");
		if (!t->s3_bucket_name[0])
			snprintf(t->s3_bucket_name, sizeof(t->s3_bucket_name), "%s",
				 base_name(t->bucket_dir));
		snprintf(path, sizeof(path), "$.trails[%d].s3BucketName", i);
		/* S3's own rule, so a bucket can later be mirrored under this name. */
		if (strlen(t->s3_bucket_name) < 3 || strlen(t->s3_bucket_name) > 63 ||
		    !all_chars(t->s3_bucket_name, ".-", true))
			return refuse(err, errlen, f, path,
				      "must be 3 to 63 characters: a-z, 0-9, '.' and '-' "
				      "(set s3BucketName when the directory's name is not one)");
		if (!t->digest_seconds)
			t->digest_seconds = t->batch_seconds;
		if (check_s3(&t->s3, f, i, err, errlen))
			return -EINVAL;
		/* Log file keys do not name the trail: two trails in one
		 * bucket would mix their files and break both chains. */
		for (int j = 0; j < i; j++)
			if (!strcmp(c->trails[j].bucket_dir, t->bucket_dir)) {
				snprintf(path, sizeof(path), "$.trails[%d].bucketDir", i);
				return refuse(err, errlen, f, path,
					      "two trails deliver to this "
					      "directory; give each trail its own");
			}
		{
			struct hr_sel_ctx ctx = {c->region, c->account_id, f};

			snprintf(path, sizeof(path), "$.trails[%d]", i);
			hr_selectors_free(&t->selectors);
			if (hr_selectors_compile(&t->selectors, t->event_selectors_json,
						 t->advanced_selectors_json, &ctx, path, err,
						 errlen))
				return -EINVAL;
		}
	}
	return 0;
}

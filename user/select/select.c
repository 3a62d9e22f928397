// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * select.c - event selectors: strict parsing, basic -> advanced conversion,
 * evaluation over struct hr_record (see select.h for the semantics).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "record/record.h"
#include "select/select.h"

#define VALUE_MAX     2048 /* CloudTrail: values are 1-2048 characters */
#define NAME_MAX_     1000
#define MAX_SELECTORS 64
#define MAX_VALUES    256

const char *const hr_sel_field_names[HR_SF_NR] = {
	[HR_SF_EVENT_CATEGORY] = "eventCategory",  [HR_SF_EVENT_SOURCE] = "eventSource",
	[HR_SF_EVENT_NAME] = "eventName",	   [HR_SF_READ_ONLY] = "readOnly",
	[HR_SF_RESOURCES_TYPE] = "resources.type", [HR_SF_RESOURCES_ARN] = "resources.ARN",
	[HR_SF_USER_ARN] = "userIdentity.arn",	   [HR_SF_ERROR_CODE] = "errorCode",
};

const char *const hr_sel_op_names[HR_OP_NR] = {
	[HR_OP_EQUALS] = "Equals",
	[HR_OP_STARTS_WITH] = "StartsWith",
	[HR_OP_ENDS_WITH] = "EndsWith",
	[HR_OP_NOT_EQUALS] = "NotEquals",
	[HR_OP_NOT_STARTS_WITH] = "NotStartsWith",
	[HR_OP_NOT_ENDS_WITH] = "NotEndsWith",
};

/* The data resource types hostrail records, and their ARN service. */
static const struct {
	const char *type, *service;
} data_types[] = {
	{"Linux::File", "file"},
	{"Linux::Process", "process"},
};

static const char *data_type_service(const char *type)
{
	for (size_t i = 0; i < sizeof(data_types) / sizeof(data_types[0]); i++)
		if (!strcmp(type, data_types[i].type))
			return data_types[i].service;
	return NULL;
}

int hr_select_arn_head(const struct hr_sel_ctx *ctx, const char *resource_type, char *buf,
		       size_t len)
{
	const char *svc = data_type_service(resource_type);
	int n;

	if (!svc)
		return -EINVAL;
	n = snprintf(buf, len, "arn:hostrail:%s:%s:%s:", svc, ctx->region, ctx->account_id);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* ---- building ---- */

struct parse {
	const struct hr_sel_ctx *ctx;
	char *err;
	size_t errlen;
	struct hr_selectors *out;
};

static int refuse(struct parse *p, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int refuse(struct parse *p, const char *path, const char *fmt, ...)
{
	char reason[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	snprintf(p->err, p->errlen, "%s: %s: %s", p->ctx->file ? p->ctx->file : "selectors", path,
		 reason);
	return -EINVAL;
}

static struct hr_sel *new_sel(struct parse *p)
{
	struct hr_selectors *s = p->out;
	struct hr_sel *n = realloc(s->sel, (s->n + 1) * sizeof(*n));

	if (!n)
		return NULL;
	s->sel = n;
	memset(&n[s->n], 0, sizeof(n[0]));
	return &n[s->n++];
}

static struct hr_sel_cond *new_cond(struct hr_sel *sel, int field, int op)
{
	struct hr_sel_cond *n = realloc(sel->conds, (sel->n + 1) * sizeof(*n));

	if (!n)
		return NULL;
	sel->conds = n;
	memset(&n[sel->n], 0, sizeof(n[0]));
	n[sel->n].field = field;
	n[sel->n].op = op;
	return &n[sel->n++];
}

static int add_value(struct hr_sel_cond *c, const char *v, size_t len)
{
	char **n = realloc(c->values, (c->n + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	c->values = n;
	c->values[c->n] = strndup(v, len);
	if (!c->values[c->n])
		return -ENOMEM;
	c->n++;
	return 0;
}

/* One condition with one value: the conversions' building block. */
static int add_cond1(struct hr_sel *sel, int field, int op, const char *v)
{
	struct hr_sel_cond *c = new_cond(sel, field, op);

	return c ? add_value(c, v, strlen(v)) : -ENOMEM;
}

static int field_by_name(const char *s)
{
	for (int f = 0; f < HR_SF_NR; f++)
		if (!strcmp(s, hr_sel_field_names[f]))
			return f;
	return -1;
}

static int op_by_name(const char *s)
{
	for (int o = 0; o < HR_OP_NR; o++)
		if (!strcmp(s, hr_sel_op_names[o]))
			return o;
	return -1;
}

static const struct hr_sel_cond *find_cond(const struct hr_sel *sel, int field, int op)
{
	for (int i = 0; i < sel->n; i++)
		if (sel->conds[i].field == field && (op < 0 || sel->conds[i].op == op))
			return &sel->conds[i];
	return NULL;
}

/* What CloudTrail refuses in a whole selector, checked once it is read. */
static int check_selector(struct parse *p, const struct hr_sel *sel, const char *path)
{
	const struct hr_sel_cond *cat = find_cond(sel, HR_SF_EVENT_CATEGORY, HR_OP_EQUALS);
	const struct hr_sel_cond *type = find_cond(sel, HR_SF_RESOURCES_TYPE, HR_OP_EQUALS);
	bool data;
	char head[256];

	if (!cat)
		return refuse(p, path, "eventCategory is required (Equals Management or Data)");
	if (cat->n != 1)
		return refuse(p, path, "eventCategory takes exactly one value");
	data = !strcmp(cat->values[0], "Data");
	if (!data && (type || find_cond(sel, HR_SF_RESOURCES_ARN, -1)))
		return refuse(p, path,
			      "resources.type and resources.ARN are only allowed "
			      "with eventCategory Data");
	if (!data)
		return 0;
	if (!type || type->n != 1)
		return refuse(p, path,
			      "a Data selector needs resources.type Equals exactly one "
			      "of Linux::File, Linux::Process");
	if (hr_select_arn_head(p->ctx, type->values[0], head, sizeof(head)))
		return refuse(p, path,
			      "resources.type must be Linux::File or Linux::Process, "
			      "not '%s'",
			      type->values[0]);
	for (int i = 0; i < sel->n; i++) {
		const struct hr_sel_cond *c = &sel->conds[i];

		if (c->field != HR_SF_RESOURCES_ARN || c->op == HR_OP_ENDS_WITH ||
		    c->op == HR_OP_NOT_ENDS_WITH)
			continue;
		/* An ARN of another host or account would silently select
		 * nothing: say so instead. */
		for (int k = 0; k < c->n; k++)
			if (strncmp(c->values[k], head, strlen(head)))
				return refuse(p, path,
					      "resources.ARN %s value '%.200s' must begin "
					      "with %s (this host's region and account)",
					      hr_sel_op_names[c->op], c->values[k], head);
	}
	return 0;
}

static int check_value(struct parse *p, int field, int op, const char *v, const char *path)
{
	if ((field == HR_SF_EVENT_CATEGORY || field == HR_SF_READ_ONLY ||
	     field == HR_SF_RESOURCES_TYPE) &&
	    op != HR_OP_EQUALS)
		return refuse(p, path, "%s allows only the Equals operator",
			      hr_sel_field_names[field]);
	if (field == HR_SF_EVENT_CATEGORY && strcmp(v, "Management") && strcmp(v, "Data"))
		return refuse(p, path, "unknown eventCategory '%.100s' (Management or Data)", v);
	if (field == HR_SF_READ_ONLY && strcmp(v, "true") && strcmp(v, "false"))
		return refuse(p, path, "readOnly is \"true\" or \"false\", not '%.100s'", v);
	return 0;
}

static int parse_field_selector(struct parse *p, struct hr_sel *sel, json_t *fs, const char *path,
				bool seen[HR_SF_NR])
{
	char sub[512];
	const char *key;
	json_t *v, *f;
	int field, rc;

	if (!json_is_object(fs))
		return refuse(p, path, "expected an object with Field and operators");
	f = json_object_get(fs, "Field");
	snprintf(sub, sizeof(sub), "%.380s.Field", path);
	if (!f)
		return refuse(p, path, "Field is missing");
	if (!json_is_string(f))
		return refuse(p, sub, "expected a string");
	field = field_by_name(json_string_value(f));
	if (field < 0)
		return refuse(p, sub,
			      "unknown field '%.100s' (eventCategory, eventSource, "
			      "eventName, readOnly, resources.type, resources.ARN, "
			      "userIdentity.arn, errorCode)",
			      json_string_value(f));
	if (seen[field])
		return refuse(p, sub, "%s appears twice in one selector",
			      hr_sel_field_names[field]);
	seen[field] = true;
	if (json_object_size(fs) < 2)
		return refuse(p, path,
			      "at least one operator (Equals, StartsWith, EndsWith, "
			      "NotEquals, NotStartsWith, NotEndsWith) is required");
	json_object_foreach(fs, key, v) {
		struct hr_sel_cond *c;
		size_t i;
		json_t *e;
		int op;

		if (!strcmp(key, "Field"))
			continue;
		snprintf(sub, sizeof(sub), "%.380s.%.40s", path, key);
		op = op_by_name(key);
		if (op < 0)
			return refuse(p, sub, "unknown operator");
		if (!json_is_array(v) || !json_array_size(v))
			return refuse(p, sub, "expected a non-empty array of strings");
		if (json_array_size(v) > MAX_VALUES)
			return refuse(p, sub, "too many values (at most %d)", MAX_VALUES);
		c = new_cond(sel, field, op);
		if (!c)
			return -ENOMEM;
		json_array_foreach(v, i, e) {
			snprintf(sub, sizeof(sub), "%.380s.%.40s[%zu]", path, key, i);
			if (!json_is_string(e))
				return refuse(p, sub, "expected a string");
			if (!json_string_length(e) || json_string_length(e) > VALUE_MAX ||
			    strlen(json_string_value(e)) != json_string_length(e))
				return refuse(p, sub,
					      "values are 1 to 2048 characters, without NUL");
			rc = check_value(p, field, op, json_string_value(e), sub);
			if (!rc)
				rc = add_value(c, json_string_value(e), json_string_length(e));
			if (rc)
				return rc;
		}
	}
	return 0;
}

static int parse_advanced(struct parse *p, json_t *arr, const char *path)
{
	char sub[512], fpath[512];
	size_t i, j;
	json_t *s, *fs;
	int rc;

	if (!json_is_array(arr) || json_array_size(arr) > MAX_SELECTORS)
		return refuse(p, path, "expected an array of at most %d selectors", MAX_SELECTORS);
	json_array_foreach(arr, i, s) {
		bool seen[HR_SF_NR] = {false};
		struct hr_sel *sel;
		const char *key;
		json_t *v;

		snprintf(sub, sizeof(sub), "%.380s[%zu]", path, i);
		if (!json_is_object(s))
			return refuse(p, sub, "expected an object with Name and FieldSelectors");
		json_object_foreach(s, key, v) {
			if (strcmp(key, "Name") && strcmp(key, "FieldSelectors")) {
				snprintf(fpath, sizeof(fpath), "%.380s.%.40s", sub, key);
				return refuse(p, fpath, "unknown field");
			}
		}
		sel = new_sel(p);
		if (!sel)
			return -ENOMEM;
		v = json_object_get(s, "Name");
		if (v) {
			snprintf(fpath, sizeof(fpath), "%.380s.Name", sub);
			if (!json_is_string(v) || json_string_length(v) > NAME_MAX_)
				return refuse(p, fpath,
					      "expected a string of at most 1000 characters");
			sel->name = strdup(json_string_value(v));
			if (!sel->name)
				return -ENOMEM;
		}
		fs = json_object_get(s, "FieldSelectors");
		snprintf(fpath, sizeof(fpath), "%.380s.FieldSelectors", sub);
		if (!json_is_array(fs) || !json_array_size(fs))
			return refuse(p, fs ? fpath : sub,
				      "FieldSelectors: expected a non-empty "
				      "array");
		json_array_foreach(fs, j, v) {
			char fp[512];

			snprintf(fp, sizeof(fp), "%.380s[%zu]", fpath, j);
			rc = parse_field_selector(p, sel, v, fp, seen);
			if (rc)
				return rc;
		}
		rc = check_selector(p, sel, sub);
		if (rc)
			return rc;
	}
	return 0;
}

/*
 * Basic -> advanced, as CloudTrail documents the equivalence:
 *   IncludeManagementEvents  -> {eventCategory=Management [, readOnly]
 *                                [, eventSource NotEquals excluded]}
 *   each DataResources entry -> {eventCategory=Data, resources.type=Type,
 *                                resources.ARN StartsWith <ARN of each value>
 *                                [, readOnly]}
 * ReadWriteType ReadOnly/WriteOnly adds readOnly Equals true/false.
 */
static int basic_one(struct parse *p, json_t *s, const char *path)
{
	const char *rw = "All", *key;
	bool mgmt = true;
	json_t *v, *dr = NULL, *excl = NULL;
	char sub[512];
	int rc;

	if (!json_is_object(s))
		return refuse(p, path, "expected an object");
	json_object_foreach(s, key, v) {
		snprintf(sub, sizeof(sub), "%.380s.%.40s", path, key);
		if (!strcmp(key, "ReadWriteType")) {
			if (!json_is_string(v) || (strcmp(json_string_value(v), "All") &&
						   strcmp(json_string_value(v), "ReadOnly") &&
						   strcmp(json_string_value(v), "WriteOnly")))
				return refuse(p, sub, "expected ReadOnly, WriteOnly or All");
			rw = json_string_value(v);
		} else if (!strcmp(key, "IncludeManagementEvents")) {
			if (!json_is_boolean(v))
				return refuse(p, sub, "expected true or false");
			mgmt = json_is_true(v);
		} else if (!strcmp(key, "DataResources")) {
			if (!json_is_array(v))
				return refuse(p, sub, "expected an array");
			dr = v;
		} else if (!strcmp(key, "ExcludeManagementEventSources")) {
			size_t i;
			json_t *e;

			if (!json_is_array(v))
				return refuse(p, sub, "expected an array of strings");
			json_array_foreach(v, i, e)
				if (!json_is_string(e) || !json_string_length(e) ||
				    json_string_length(e) > VALUE_MAX)
					return refuse(p, sub,
						      "expected an array of non-empty strings");
			excl = v;
		} else {
			return refuse(p, sub, "unknown field");
		}
	}
	if (mgmt) {
		struct hr_sel *sel = new_sel(p);
		struct hr_sel_cond *c;
		size_t i;
		json_t *e;

		if (!sel || add_cond1(sel, HR_SF_EVENT_CATEGORY, HR_OP_EQUALS, "Management"))
			return -ENOMEM;
		if (strcmp(rw, "All") && add_cond1(sel, HR_SF_READ_ONLY, HR_OP_EQUALS,
						   !strcmp(rw, "ReadOnly") ? "true" : "false"))
			return -ENOMEM;
		if (excl && json_array_size(excl)) {
			c = new_cond(sel, HR_SF_EVENT_SOURCE, HR_OP_NOT_EQUALS);
			if (!c)
				return -ENOMEM;
			json_array_foreach(excl, i, e)
				if (add_value(c, json_string_value(e), json_string_length(e)))
					return -ENOMEM;
		}
	}
	for (size_t i = 0; dr && i < json_array_size(dr); i++) {
		json_t *d = json_array_get(dr, i), *type, *vals, *e;
		struct hr_sel_cond *c;
		struct hr_sel *sel;
		char head[256];
		size_t j;

		snprintf(sub, sizeof(sub), "%.380s.DataResources[%zu]", path, i);
		if (!json_is_object(d))
			return refuse(p, sub, "expected an object with Type and Values");
		json_object_foreach(d, key, v)
			if (strcmp(key, "Type") && strcmp(key, "Values")) {
				snprintf(sub, sizeof(sub), "%.380s.DataResources[%zu].%.40s", path,
					 i, key);
				return refuse(p, sub, "unknown field");
			}
		type = json_object_get(d, "Type");
		vals = json_object_get(d, "Values");
		if (!json_is_string(type) ||
		    hr_select_arn_head(p->ctx, json_string_value(type), head, sizeof(head))) {
			snprintf(sub, sizeof(sub), "%.380s.DataResources[%zu].Type", path, i);
			return refuse(p, sub, "expected Linux::File or Linux::Process");
		}
		if (!json_is_array(vals) || !json_array_size(vals) ||
		    json_array_size(vals) > MAX_VALUES) {
			snprintf(sub, sizeof(sub), "%.380s.DataResources[%zu].Values", path, i);
			return refuse(p, sub, "expected a non-empty array of absolute paths");
		}
		sel = new_sel(p);
		if (!sel || add_cond1(sel, HR_SF_EVENT_CATEGORY, HR_OP_EQUALS, "Data") ||
		    add_cond1(sel, HR_SF_RESOURCES_TYPE, HR_OP_EQUALS, json_string_value(type)))
			return -ENOMEM;
		c = new_cond(sel, HR_SF_RESOURCES_ARN, HR_OP_STARTS_WITH);
		if (!c)
			return -ENOMEM;
		json_array_foreach(vals, j, e) {
			char arn[VALUE_MAX + 300];

			snprintf(sub, sizeof(sub), "%.380s.DataResources[%zu].Values[%zu]", path, i,
				 j);
			if (!json_is_string(e) || json_string_value(e)[0] != '/' ||
			    json_string_length(e) > VALUE_MAX ||
			    strlen(json_string_value(e)) != json_string_length(e))
				return refuse(p, sub,
					      "expected an absolute path (a prefix: end it "
					      "with '/' to select a directory's contents)");
			snprintf(arn, sizeof(arn), "%s%s", head, json_string_value(e));
			rc = add_value(c, arn, strlen(arn));
			if (rc)
				return rc;
		}
		if (strcmp(rw, "All") && add_cond1(sel, HR_SF_READ_ONLY, HR_OP_EQUALS,
						   !strcmp(rw, "ReadOnly") ? "true" : "false"))
			return -ENOMEM;
	}
	return 0;
}

static int parse_basic(struct parse *p, json_t *arr, const char *path)
{
	char sub[512];
	size_t i;
	json_t *s;
	int rc;

	if (!json_is_array(arr) || json_array_size(arr) > MAX_SELECTORS)
		return refuse(p, path, "expected an array of at most %d selectors", MAX_SELECTORS);
	json_array_foreach(arr, i, s) {
		snprintf(sub, sizeof(sub), "%.380s[%zu]", path, i);
		rc = basic_one(p, s, sub);
		if (rc)
			return rc;
	}
	return 0;
}

/* key_basic / key_adv: how the two arrays are named where they came from
 * (the config file's trails use lowerCamelCase, aws-cli's JSON does not). */
static int compile_at(struct hr_selectors *out, const void *basic, const void *advanced,
		      const struct hr_sel_ctx *ctx, const char *path, const char *key_basic,
		      const char *key_adv, char *err, size_t errlen)
{
	struct parse p = {.ctx = ctx, .err = err, .errlen = errlen, .out = out};
	char sub[512];
	json_t *shown;
	int rc;

	memset(out, 0, sizeof(*out));
	if (basic && advanced)
		return refuse(&p, path, "a trail has %s or %s, not both", key_basic, key_adv);
	if (advanced) {
		snprintf(sub, sizeof(sub), "%.380s.%s", path, key_adv);
		rc = parse_advanced(&p, (json_t *)advanced, sub);
		shown = json_pack("{sO}", "AdvancedEventSelectors", (json_t *)advanced);
		out->advanced = true;
	} else if (basic) {
		snprintf(sub, sizeof(sub), "%.380s.%s", path, key_basic);
		rc = parse_basic(&p, (json_t *)basic, sub);
		shown = json_pack("{sO}", "EventSelectors", (json_t *)basic);
	} else {
		/* CloudTrail's default: management events, read and write. */
		rc = -ENOMEM;
		if (new_sel(&p))
			rc = add_cond1(&out->sel[0], HR_SF_EVENT_CATEGORY, HR_OP_EQUALS,
				       "Management");
		shown = json_pack("{s[{sssbs[]s[]}]}", "EventSelectors", "ReadWriteType", "All",
				  "IncludeManagementEvents", 1, "DataResources",
				  "ExcludeManagementEventSources");
	}
	if (!rc) {
		out->shown = shown ? json_dumps(shown, JSON_COMPACT) : NULL;
		if (!out->shown)
			rc = -ENOMEM;
	}
	json_decref(shown);
	if (rc == -ENOMEM)
		snprintf(err, errlen, "%s: %s: out of memory", ctx->file ? ctx->file : "selectors",
			 path);
	if (rc)
		hr_selectors_free(out);
	return rc;
}

int hr_selectors_compile(struct hr_selectors *out, const void *basic, const void *advanced,
			 const struct hr_sel_ctx *ctx, const char *path, char *err, size_t errlen)
{
	return compile_at(out, basic, advanced, ctx, path, "eventSelectors",
			  "advancedEventSelectors", err, errlen);
}

int hr_selectors_compile_text(struct hr_selectors *out, const char *text,
			      const struct hr_sel_ctx *ctx, const char *path, char *err,
			      size_t errlen)
{
	struct parse p = {.ctx = ctx, .err = err, .errlen = errlen, .out = out};
	json_error_t jerr;
	json_t *root, *basic, *adv;
	const char *key;
	json_t *v;
	int rc;

	memset(out, 0, sizeof(*out));
	root = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return refuse(&p, path, "not JSON: %s", jerr.text);
	rc = 0;
	if (!json_is_object(root))
		rc = refuse(&p, path, "expected an object");
	json_object_foreach(root, key, v)
		if (!rc && strcmp(key, "EventSelectors") && strcmp(key, "AdvancedEventSelectors"))
			rc = refuse(&p, path, "unknown field '%.40s'", key);
	if (!rc) {
		basic = json_object_get(root, "EventSelectors");
		adv = json_object_get(root, "AdvancedEventSelectors");
		if (!basic && !adv)
			rc = refuse(&p, path,
				    "EventSelectors or AdvancedEventSelectors is required");
		else
			rc = compile_at(out, basic, adv, ctx, path, "EventSelectors",
					"AdvancedEventSelectors", err, errlen);
	}
	json_decref(root);
	return rc;
}

void hr_selectors_free(struct hr_selectors *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->n; i++) {
		for (int j = 0; j < s->sel[i].n; j++) {
			for (int k = 0; k < s->sel[i].conds[j].n; k++)
				free(s->sel[i].conds[j].values[k]);
			free(s->sel[i].conds[j].values);
		}
		free(s->sel[i].conds);
		free(s->sel[i].name);
	}
	free(s->sel);
	free(s->shown);
	memset(s, 0, sizeof(*s));
}

/* ---- evaluation ---- */

static bool positive(uint8_t op, const char *v, size_t vlen, const char *want)
{
	size_t wlen = strlen(want);

	switch (op % 3) { /* Equals/NotEquals, StartsWith/..., EndsWith/... */
	case HR_OP_EQUALS:
		return vlen == wlen && !memcmp(v, want, vlen);
	case HR_OP_STARTS_WITH:
		return vlen >= wlen && !memcmp(v, want, wlen);
	default:
		return vlen >= wlen && !memcmp(v + vlen - wlen, want, wlen);
	}
}

/* Positive form of the condition on one value (NULL: field absent). */
static bool any_value(const struct hr_sel_cond *c, const char *v)
{
	size_t len;

	if (!v)
		return false;
	len = strlen(v);
	for (int k = 0; k < c->n; k++)
		if (positive(c->op, v, len, c->values[k]))
			return true;
	return false;
}

static bool cond_holds(const struct hr_sel_cond *c, const struct hr_record *r)
{
	bool neg = c->op >= HR_OP_NOT_EQUALS, hit = false;

	switch (c->field) {
	case HR_SF_EVENT_CATEGORY:
		hit = any_value(c, r->event_category);
		break;
	case HR_SF_EVENT_SOURCE:
		hit = any_value(c, r->event_source);
		break;
	case HR_SF_EVENT_NAME:
		hit = any_value(c, r->event_name);
		break;
	case HR_SF_READ_ONLY:
		hit = any_value(c, r->read_only ? "true" : "false");
		break;
	case HR_SF_USER_ARN:
		hit = any_value(c, r->user_arn);
		break;
	case HR_SF_ERROR_CODE:
		hit = any_value(c, r->error_code);
		break;
	case HR_SF_RESOURCES_TYPE:
	case HR_SF_RESOURCES_ARN:
		for (int i = 0; i < r->n_resources && i < HR_RECORD_MAX_RESOURCES && !hit; i++)
			hit = any_value(c, c->field == HR_SF_RESOURCES_TYPE ? r->resources[i].type :
									      r->resources[i].arn);
		break;
	}
	return hit != neg;
}

bool hr_select_match(const struct hr_selectors *s, const struct hr_record *rec)
{
	for (int i = 0; i < s->n; i++) {
		int j;

		for (j = 0; j < s->sel[i].n; j++)
			if (!cond_holds(&s->sel[i].conds[j], rec))
				break;
		if (j == s->sel[i].n)
			return true;
	}
	return false;
}

bool hr_select_may_match(const struct hr_selectors *s, const char *category, const char *source,
			 const char *name, const char *resource_type)
{
	return hr_select_may_match_ro(s, category, source, name, resource_type, NULL);
}

bool hr_select_may_match_ro(const struct hr_selectors *s, const char *category, const char *source,
			    const char *name, const char *resource_type, const char *read_only)
{
	for (int i = 0; i < s->n; i++) {
		bool ok = true;

		for (int j = 0; j < s->sel[i].n && ok; j++) {
			const struct hr_sel_cond *c = &s->sel[i].conds[j];
			const char *v;

			switch (c->field) {
			case HR_SF_EVENT_CATEGORY:
				v = category;
				break;
			case HR_SF_EVENT_SOURCE:
				v = source;
				break;
			case HR_SF_EVENT_NAME:
				v = name;
				break;
			case HR_SF_RESOURCES_TYPE:
				v = resource_type;
				break;
			case HR_SF_READ_ONLY:
				v = read_only;
				break;
			default:
				continue; /* unknown before the call: may hold */
			}
			if (!v)
				continue;
			ok = any_value(c, v) != (c->op >= HR_OP_NOT_EQUALS);
		}
		if (ok)
			return true;
	}
	return false;
}

int hr_select_prefixes(const struct hr_selectors *s, const struct hr_sel_ctx *ctx,
		       const char *resource_type, hr_prefix_fn fn, void *arg)
{
	char head[256];
	size_t hl;
	int n = 0;

	if (hr_select_arn_head(ctx, resource_type, head, sizeof(head)))
		return 0;
	hl = strlen(head);
	for (int i = 0; i < s->n; i++) {
		const struct hr_sel *sel = &s->sel[i];
		bool narrowed = false;

		if (!hr_select_may_match(
			    &(struct hr_selectors){.n = 1, .sel = (struct hr_sel *)sel}, "Data",
			    NULL, NULL, resource_type))
			continue;
		/* A selector that names the type only through NotEquals etc.
		 * must still be sure the type is this one. */
		if (!find_cond(sel, HR_SF_RESOURCES_TYPE, HR_OP_EQUALS))
			continue;
		for (int j = 0; j < sel->n; j++) {
			const struct hr_sel_cond *c = &sel->conds[j];

			if (c->field != HR_SF_RESOURCES_ARN ||
			    (c->op != HR_OP_EQUALS && c->op != HR_OP_STARTS_WITH))
				continue;
			/* AND: one narrowing condition is enough for a superset. */
			for (int k = 0; k < c->n; k++) {
				if (strncmp(c->values[k], head, hl))
					continue; /* refused at parse; never matches */
				fn(arg, c->values[k] + hl, strlen(c->values[k] + hl),
				   c->op == HR_OP_EQUALS);
				n++;
			}
			narrowed = true;
			break;
		}
		if (!narrowed) {
			fn(arg, "/", 1, false);
			n++;
		}
	}
	return n;
}

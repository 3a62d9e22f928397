// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * rules_conf.c - the configuration's "rules" (rules_conf.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "config/rules_conf.h"
#include "rules/pattern.h"

struct where {
	const char *file;
	char path[32];
	const char *rule; /* the rule's Name once known: refusals say it */
	char *err;
	size_t errlen;
};

/* "FILE: $.rules[i].Field: rule "NAME": reason" */
static int refuse(struct where *w, const char *field, const char *fmt, const char *arg)
{
	int n = snprintf(w->err, w->errlen, "%s: %s%s: %s%s%s", w->file, w->path, field,
			 w->rule ? "rule \"" : "", w->rule ? w->rule : "", w->rule ? "\": " : "");

	if (n >= 0 && (size_t)n < w->errlen)
		snprintf(w->err + n, w->errlen - (size_t)n, fmt, arg);
	return -EINVAL;
}

void hr_rules_config_free(struct hr_rules_config *rc)
{
	for (int i = 0; rc && i < rc->n; i++)
		free(rc->rules[i].event_pattern);
	if (rc) {
		free(rc->rules);
		rc->rules = NULL;
		rc->n = 0;
	}
}

const struct hr_rule_config *hr_rules_config_find(const struct hr_rules_config *rc,
						  const char *name)
{
	for (int i = 0; i < rc->n; i++)
		if (!strcmp(rc->rules[i].name, name))
			return &rc->rules[i];
	return NULL;
}

static size_t utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* EventBridge's RuleName: 1 to 64 of [.-_A-Za-z0-9]. */
static bool valid_name(const char *s)
{
	size_t len = strlen(s);

	return len >= 1 && len <= 64 &&
	       strspn(s, "._-ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") ==
		       len;
}

static int load_name(struct hr_rule_config *r, const json_t *v, struct where *w)
{
	const char *s = json_string_value(v);

	if (!v)
		return refuse(w, "", "%s", "a rule needs a Name");
	if (!s || !valid_name(s))
		return refuse(w, ".Name", "%s",
			      "must be 1 to 64 letters, digits, '.', '-' and '_' (EventBridge's "
			      "rule names)");
	snprintf(r->name, sizeof(r->name), "%s", s);
	w->rule = r->name; /* from here on the refusals name the rule */
	return 0;
}

static int load_pattern(struct hr_rule_config *r, const json_t *v, struct where *w)
{
	char reason[1024];
	struct hr_pattern *p;

	if (!v)
		return refuse(w, "", "%s", "a rule needs an EventPattern");
	if (json_is_string(v))
		r->event_pattern = strdup(json_string_value(v));
	else if (json_is_object(v))
		r->event_pattern = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
	else
		return refuse(w, ".EventPattern", "%s",
			      "expected the pattern as a JSON string (as PutRule takes it) or an "
			      "object");
	if (!r->event_pattern)
		return refuse(w, ".EventPattern", "%s", "out of memory");
	p = hr_pattern_compile(r->event_pattern, reason, sizeof(reason));
	if (!p)
		return refuse(w, ".EventPattern", "%s", reason);
	hr_pattern_free(p);
	return 0;
}

static int load_rule(struct hr_rule_config *r, const json_t *obj, struct where *w)
{
	const char *key;
	json_t *v;
	int rc;

	if (!json_is_object(obj))
		return refuse(w, "", "%s", "expected an object");
	r->state = HR_RULE_ENABLED;
	rc = load_name(r, json_object_get(obj, "Name"), w);
	if (!rc)
		rc = load_pattern(r, json_object_get(obj, "EventPattern"), w);
	json_object_foreach((json_t *)obj, key, v) {
		if (rc)
			break;
		if (!strcmp(key, "Name") || !strcmp(key, "EventPattern"))
			continue;
		if (!strcmp(key, "State")) {
			if (hr_rule_state_parse(json_string_value(v), &r->state))
				rc = refuse(w, ".State", "%s",
					    "expected \"ENABLED\", \"DISABLED\" or "
					    "\"ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS\"");
		} else if (!strcmp(key, "Description")) {
			if (!json_is_string(v) || utf8_chars(json_string_value(v)) > 512 ||
			    json_string_length(v) >= sizeof(r->description))
				rc = refuse(w, ".Description", "%s",
					    "expected a string of at most 512 characters");
			else
				snprintf(r->description, sizeof(r->description), "%s",
					 json_string_value(v));
		} else {
			char field[72];

			snprintf(field, sizeof(field), ".%.60s", key);
			rc = refuse(w, field, "%s", "unknown field");
		}
	}
	return rc;
}

int hr_rules_config_load(struct hr_rules_config *rc, const json_t *v, const char *file, char *err,
			 size_t errlen)
{
	struct where w = {.file = file, .err = err, .errlen = errlen};
	size_t n = json_array_size(v);

	hr_rules_config_free(rc);
	snprintf(w.path, sizeof(w.path), "$.rules");
	if (!json_is_array(v))
		return refuse(&w, "", "%s", "expected an array");
	if (n > HR_MAX_RULES)
		return refuse(&w, "", "%s", "too many rules (at most 2000)");
	rc->rules = calloc(n ? n : 1, sizeof(*rc->rules));
	if (!rc->rules)
		return refuse(&w, "", "%s", "out of memory");
	for (size_t i = 0; i < n; i++) {
		struct hr_rule_config *r = &rc->rules[i];

		snprintf(w.path, sizeof(w.path), "$.rules[%zu]", i);
		w.rule = NULL;
		rc->n++;
		if (load_rule(r, json_array_get(v, i), &w))
			return -EINVAL;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(rc->rules[j].name, r->name))
				return refuse(&w, ".Name", "%s", "two rules have this name");
	}
	return 0;
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * envelope.c - the EventBridge envelope of a record, and the rule states
 * (envelope.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include "common/encode.h"
#include "rules/envelope.h"

static const struct {
	const char *event_type, *detail_type;
} detail_types[] = {
	{"AwsApiCall", "AWS API Call via CloudTrail"},
	/* The EventBridge docs spell it "Signin"; rules and events in the
	 * wild use "Sign In" (next-capabilities.md 2.1, observed). */
	{"AwsConsoleSignIn", "AWS Console Sign In via CloudTrail"},
	{"AwsConsoleAction", "AWS Console Action via CloudTrail"},
	{"AwsServiceEvent", "AWS Service Event via CloudTrail"},
	{"AwsCloudTrailInsight", "AWS Insight via CloudTrail"},
};

static const char *const state_names[] = {
	[HR_RULE_DISABLED] = "DISABLED",
	[HR_RULE_ENABLED] = "ENABLED",
	[HR_RULE_ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS] =
		"ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS",
};

const char *hr_envelope_detail_type(const char *event_type)
{
	for (size_t i = 0; event_type && i < sizeof(detail_types) / sizeof(detail_types[0]); i++)
		if (!strcmp(event_type, detail_types[i].event_type))
			return detail_types[i].detail_type;
	return detail_types[0].detail_type;
}

int hr_envelope_source(const char *event_source, char *buf, size_t size)
{
	size_t len = strcspn(event_source, ".");
	int n = snprintf(buf, size, "aws.%.*s", (int)len, event_source);

	return n < 0 || (size_t)n >= size ? -ENOSPC : 0;
}

/* A random (version 4) UUID: the envelope id is EventBridge's own, never the
 * record's eventID. */
static int fresh_uuid(char out[37])
{
	unsigned char b[16];

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
		return -EIO;
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	hr_uuid_text(b, out);
	return 0;
}

static json_t *string_or_empty(json_t *record, const char *key)
{
	const char *s = json_string_value(json_object_get(record, key));

	return json_string(s ? s : "");
}

json_t *hr_envelope_new(json_t *record)
{
	const char *event_source = json_string_value(json_object_get(record, "eventSource"));
	const char *event_type = json_string_value(json_object_get(record, "eventType"));
	char source[128], id[37];
	json_t *env;

	if (!event_source || !json_is_string(json_object_get(record, "eventTime")) ||
	    hr_envelope_source(event_source, source, sizeof(source)) || fresh_uuid(id))
		return NULL;
	env = json_object();
	if (!env || json_object_set_new(env, "version", json_string("0")) ||
	    json_object_set_new(env, "id", json_string(id)) ||
	    json_object_set_new(env, "detail-type",
				json_string(hr_envelope_detail_type(event_type))) ||
	    json_object_set_new(env, "source", json_string(source)) ||
	    json_object_set_new(env, "account", string_or_empty(record, "recipientAccountId")) ||
	    json_object_set_new(env, "time", string_or_empty(record, "eventTime")) ||
	    json_object_set_new(env, "region", string_or_empty(record, "awsRegion")) ||
	    json_object_set_new(env, "resources", json_array()) ||
	    json_object_set(env, "detail", record)) {
		json_decref(env);
		return NULL;
	}
	return env;
}

int hr_rule_state_parse(const char *name, enum hr_rule_state *out)
{
	for (size_t i = 0; name && i < sizeof(state_names) / sizeof(state_names[0]); i++) {
		if (!strcmp(name, state_names[i])) {
			*out = (enum hr_rule_state)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *hr_rule_state_name(enum hr_rule_state state)
{
	if ((size_t)state >= sizeof(state_names) / sizeof(state_names[0]))
		return "DISABLED";
	return state_names[state];
}

bool hr_rule_state_admits(enum hr_rule_state state, const json_t *record)
{
	if (state == HR_RULE_DISABLED)
		return false;
	if (json_is_true(json_object_get(record, "readOnly")))
		return state == HR_RULE_ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS;
	return true;
}

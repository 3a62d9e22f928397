/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * envelope.h - a hostrail record as EventBridge delivers a CloudTrail
 * event to rules (next-capabilities.md 2.1):
 *
 *   {"version":"0","id":<fresh UUID>,"detail-type":<from eventType>,
 *    "source":"aws."<eventSource up to its first dot>,
 *    "account":<recipientAccountId>,"time":<eventTime>,"region":<awsRegion>,
 *    "resources":[],"detail":<the record>}
 *
 * hostrail's eventSources are <service>.linux, so "file.linux" becomes
 * "aws.file" and "signin.linux" "aws.signin", as AWS's own sign-in events
 * are (docs/rules.md has the whole table).
 *
 * And the rule state: EventBridge hands read-only CloudTrail events only to
 * rules in ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS. hostrail applies
 * it to every readOnly record, which keeps its high-volume reads (open for
 * reading, stat...) out of plain ENABLED rules.
 */
#ifndef HOSTRAIL_RULES_ENVELOPE_H
#define HOSTRAIL_RULES_ENVELOPE_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

enum hr_rule_state {
	HR_RULE_DISABLED,
	HR_RULE_ENABLED,
	HR_RULE_ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS,
};

/* CloudTrail's detail-type for an eventType; an unknown one (hostrail writes
 * none) is taken as an API call rather than leaving the event unmatched. */
const char *hr_envelope_detail_type(const char *event_type);
/* "aws." + eventSource up to its first dot, into buf; -ENOSPC if too long. */
int hr_envelope_source(const char *event_source, char *buf, size_t size);
/* The envelope around record (which it holds a new reference to); NULL if
 * out of memory or if the record lacks eventSource or eventTime. */
json_t *hr_envelope_new(json_t *record);

/* 0, or -EINVAL for a name EventBridge does not have. */
int hr_rule_state_parse(const char *name, enum hr_rule_state *out);
const char *hr_rule_state_name(enum hr_rule_state state);
/* May a rule in this state see the record at all? */
bool hr_rule_state_admits(enum hr_rule_state state, const json_t *record);

#endif

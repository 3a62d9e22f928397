/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * pattern.h - EventBridge event patterns: parse, validate, match.
 *
 * A pattern is compiled into BRANCHES: each "$or" forks the branches built
 * so far, as EventBridge's rule compiler does, so a branch is a plain AND of
 * fields (a dotted path and its leaf: the ORed matchers of one pattern
 * array). `{"a":{"b":[1]}}` and `{"a.b":[1]}` give the same path. For
 * matching, a branch's paths are folded back into a tree of objects so that
 * fields under an event array are taken from ONE element (Ruler's
 * rulesForJSONEvent "array consistency").
 *
 * Event-side rules (docs/rules.md has the table):
 *  - a missing field matches nothing but {"exists": false}; an object or an
 *    empty array at the path counts as missing;
 *  - anything-but never matches a missing field but does match JSON null;
 *  - against an event array a leaf matches if any element matches;
 *  - numbers are compared numerically (300 == 300.0 == 3.0e2).
 *
 * Invalid patterns are refused with "Event pattern is not valid. Reason: "
 * and the reason text EventBridge (aws/event-ruler) uses; the text goes into
 * the caller's buffer, nothing is printed.
 *
 * A RULE SET answers "which of N rules match this event" without trying all
 * N. Each branch is filed in one of three places when it is added:
 *   1. under value keys of one of its fields whose matchers all have one:
 *      (path, exact value), (path, a prefix's first bytes, at most 63) or
 *      (path, a cidr block's whole bytes); the branch can only match an
 *      event that has a leaf there giving that key;
 *   2. else under the path of a field that needs some value there (anything
 *      but exists:false needs one);
 *   3. else on a short "always try" list (a branch of exists:false only).
 * Of several fields the one whose postings are shortest at that moment is
 * taken, the deeper path on a tie (source and detail-type are shared by
 * many rules; detail.eventName or a path prefix rarely is). Matching walks
 * the event's leaves once; a leaf's path is looked up first, and only the
 * kinds of key filed under that path are built: its exact key, its leading
 * bytes at each prefix length in use there, an address's leading bytes at
 * each length (0..4 or 0..16). Only the branches found are fully evaluated;
 * hr_rule_set_visits() counts those evaluations, so a test can prove the
 * rest were never looked at (make bench: bench_rules, 10 against 1,000).
 */
#ifndef HOSTRAIL_RULES_PATTERN_H
#define HOSTRAIL_RULES_PATTERN_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

/* EventBridge's API limit on EventPattern, in characters. */
#define HR_PATTERN_MAX_CHARS 4096

struct hr_pattern;
struct hr_rule_set;

/* Parse and validate; NULL with the reason in err on an invalid pattern. */
struct hr_pattern *hr_pattern_compile(const char *text, char *err, size_t errlen);
/* Same, from parsed JSON (no length limit: the caller applies it). */
struct hr_pattern *hr_pattern_compile_json(const json_t *pattern, char *err, size_t errlen);
bool hr_pattern_match(const struct hr_pattern *p, const json_t *event);
void hr_pattern_free(struct hr_pattern *p);

struct hr_rule_set *hr_rule_set_new(void);
/* Takes ownership of p; returns the rule's index (0, 1, ...) or -ENOMEM. */
int hr_rule_set_add(struct hr_rule_set *s, struct hr_pattern *p);
/* Calls found(arg, index) once per matching rule; returns how many matched. */
size_t hr_rule_set_match(struct hr_rule_set *s, const json_t *event,
			 void (*found)(void *arg, size_t index), void *arg);
/* Branches fully evaluated by hr_rule_set_match since the set was made. */
unsigned long hr_rule_set_visits(const struct hr_rule_set *s);
void hr_rule_set_free(struct hr_rule_set *s);

#endif

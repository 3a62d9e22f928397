/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * fuzz_rules.c - EventBridge patterns and the events they are matched
 * against. The input is a pattern, then (after the first NUL, if any) an
 * event. A pattern comes from the configuration file and the command line:
 * it is refused with EventBridge's reason or compiled; a compiled one in a
 * rule set, among fixed rules, matches exactly when it matches alone (the
 * index never loses a match).
 */
#include "fuzz.h"
#include <jansson.h>
#include "rules/envelope.h"
#include "rules/pattern.h"

#define REASON "Event pattern is not valid. Reason: "

static const char *const others[] = {
	"{\"source\":[\"aws.module\"],\"detail\":{\"eventName\":[\"FinitModule\"]}}",
	"{\"detail\":{\"sourceIPAddress\":[{\"cidr\":\"10.0.0.0/8\"}]}}",
	"{\"a\":[{\"prefix\":\"x\"}],\"$or\":[{\"b\":[1]},{\"c\":[{\"exists\":false}]}]}",
};

static void hit(void *arg, size_t index)
{
	((size_t *)arg)[index]++;
}

static void check_set(const char *text, const json_t *event, bool alone)
{
	struct hr_rule_set *s = hr_rule_set_new();
	size_t hits[4] = {0}, n = sizeof(others) / sizeof(others[0]);
	char err[600];

	FUZZ_CLAIM(s != NULL);
	for (size_t i = 0; i < n; i++)
		FUZZ_CLAIM(hr_rule_set_add(s, hr_pattern_compile(others[i], err, sizeof(err))) ==
			   (int)i);
	FUZZ_CLAIM(hr_rule_set_add(s, hr_pattern_compile(text, err, sizeof(err))) == (int)n);
	hr_rule_set_match(s, event, hit, hits);
	FUZZ_CLAIM(hits[n] == (alone ? 1 : 0));
	hr_rule_set_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	size_t plen = nul ? (size_t)(nul - data) : size;
	char *text = fuzz_strndup(data, plen), err[600] = "";
	char *etext = nul ? fuzz_strndup(nul + 1, size - plen - 1) : strdup("{}");
	struct hr_pattern *p = hr_pattern_compile(text, err, sizeof(err));
	json_t *event = json_loads(etext, JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL, NULL);

	if (!p)
		FUZZ_CLAIM(!strncmp(err, REASON, strlen(REASON)) && err[strlen(REASON)]);
	if (p && event) {
		bool alone = hr_pattern_match(p, event);
		json_t *env = hr_envelope_new(event);

		check_set(text, event, alone);
		if (env) {
			hr_pattern_match(p, env);
			json_decref(env);
		}
	}
	hr_pattern_free(p);
	json_decref(event);
	free(text);
	free(etext);
	return 0;
}

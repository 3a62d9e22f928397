/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * rules_conf.h - the configuration's "rules": EventBridge rules by name,
 * each {Name, EventPattern, State, Description} as PutRule takes them
 * (docs/rules.md). Every pattern is compiled at load, so a bad one is
 * refused with the rule's name and EventBridge's reason; the agent does not
 * run rules yet.
 */
#ifndef HOSTRAIL_CONFIG_RULES_CONF_H
#define HOSTRAIL_CONFIG_RULES_CONF_H

#include <stddef.h>
#include <jansson.h>
#include "rules/envelope.h"

/* EventBridge's default quota of rules per event bus is 300; this bound
 * keeps a typo from allocating without end. */
#define HR_MAX_RULES 2000

struct hr_rule_config {
	char name[65];		  /* [.-_A-Za-z0-9]{1,64}, unique */
	char description[513];	  /* at most 512 characters, may be "" */
	enum hr_rule_state state; /* default ENABLED, as PutRule's */
	char *event_pattern;	  /* JSON text, as given or (an object) compacted */
};

struct hr_rules_config {
	int n;
	struct hr_rule_config *rules;
};

/* Read $.rules (v) over rc; err gets "FILE: $.rules[i]...: reason". */
int hr_rules_config_load(struct hr_rules_config *rc, const json_t *v, const char *file, char *err,
			 size_t errlen);
void hr_rules_config_free(struct hr_rules_config *rc);
const struct hr_rule_config *hr_rules_config_find(const struct hr_rules_config *rc,
						  const char *name);

#endif

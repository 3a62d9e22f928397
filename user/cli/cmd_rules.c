// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * hostrail test-event-pattern - does an EventBridge pattern match an event?
 * aws-cli's `aws events test-event-pattern`: the same options, file:// for
 * either value, the same output and the same error line (rules/pattern.h).
 *
 * hostrail list-rules / describe-rule - the configuration's rules, read from
 * the file (not the daemon: it does not run them yet), in the shape of
 * `aws events list-rules` / `describe-rule`.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>

#include "cli/commands.h"
#include "common/files.h"
#include "config/config.h"
#include "rules/pattern.h"

/* aws-cli reads file://PATH itself and sends the contents. */
#define FILE_PREFIX    "file://"
#define MAX_ARG_FILE   (1u << 20)
#define ERROR_PREFIX   "An error occurred (InvalidEventPatternException) when calling the "
#define OPERATION_NAME "TestEventPattern"
/* hostrail has one event bus, named as EventBridge names an account's own */
#define EVENT_BUS "default"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: hostrail test-event-pattern --event-pattern JSON --event JSON\n\n"
		"  --event-pattern JSON  an EventBridge event pattern (or file://PATH)\n"
		"  --event JSON          the event to test, e.g. a record's envelope (or\n"
		"                        file://PATH)\n\n"
		"Prints {\"Result\": true} or {\"Result\": false} as aws-cli does; an invalid\n"
		"pattern exits 2 with EventBridge's reason. docs/rules.md has the language.\n");
}

/* The option's value, or the file it names; malloc'd, NULL on error. */
static char *arg_value(const char *opt, const char *value)
{
	char *text = NULL;
	size_t len;
	int rc;

	if (strncmp(value, FILE_PREFIX, strlen(FILE_PREFIX)))
		return strdup(value);
	rc = hr_read_file(value + strlen(FILE_PREFIX), MAX_ARG_FILE, &text, &len);
	if (rc) {
		fprintf(stderr, "hostrail test-event-pattern: failed to read %s %s: %s\n", opt,
			value, strerror(-rc));
		return NULL;
	}
	return text;
}

static int test_pattern(const char *pattern_text, const char *event_text)
{
	char err[1024];
	struct hr_pattern *p = hr_pattern_compile(pattern_text, err, sizeof(err));
	json_error_t je;
	json_t *event;
	bool hit;

	if (!p) {
		/* aws-cli writes a client error between blank-line breaks */
		fprintf(stderr, "\n" ERROR_PREFIX OPERATION_NAME " operation: %s\n", err);
		return 2;
	}
	event = json_loads(event_text, JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL, &je);
	if (!event) {
		fprintf(stderr, "hostrail test-event-pattern: --event is not valid JSON: %s\n",
			je.text);
		hr_pattern_free(p);
		return 2;
	}
	hit = hr_pattern_match(p, event);
	/* aws-cli's JSON output: indented by 4 */
	printf("{\n    \"Result\": %s\n}\n", hit ? "true" : "false");
	json_decref(event);
	hr_pattern_free(p);
	return 0;
}

int hr_cmd_test_event_pattern(int argc, char **argv)
{
	enum { O_PATTERN = 256, O_EVENT, O_HELP };
	static const struct option opts[] = {
		{"event-pattern", required_argument, NULL, O_PATTERN},
		{"event", required_argument, NULL, O_EVENT},
		{"help", no_argument, NULL, O_HELP},
		{0},
	};
	const char *pattern_arg = NULL, *event_arg = NULL;
	char *pattern = NULL, *event = NULL;
	int opt, rc = 2;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case O_PATTERN:
			pattern_arg = optarg;
			break;
		case O_EVENT:
			event_arg = optarg;
			break;
		case O_HELP:
			usage(stdout);
			return 0;
		default:
			fprintf(stderr,
				"hostrail test-event-pattern: unknown option or missing value: "
				"%s\n",
				argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc || !pattern_arg || !event_arg) {
		usage(stderr);
		return 2;
	}
	pattern = arg_value("--event-pattern", pattern_arg);
	event = pattern ? arg_value("--event", event_arg) : NULL;
	if (pattern && event)
		rc = test_pattern(pattern, event);
	free(pattern);
	free(event);
	return rc;
}

/* ---- list-rules, describe-rule ---- */

/* As the agent: the default file if there is one, else the embedded
 * default (no rules); a file named with --config must be there. */
static int load_config(const char *cmd, const char *path, bool named, struct hr_config *c)
{
	char err[1024];

	hr_config_default(c);
	if ((named || access(path, F_OK) == 0) && hr_config_load_file(c, path, err, sizeof(err)))
		goto refused;
	if (hr_config_finish(c, err, sizeof(err)))
		goto refused;
	return 0;
refused:
	fprintf(stderr, "hostrail %s: refused configuration: %s\n", cmd, err);
	hr_config_free(c);
	return -1;
}

/* One rule in EventBridge's member order (botocore's Rule and
 * DescribeRuleResponse shapes), which is the order aws-cli prints. */
static json_t *rule_json(const struct hr_config *c, const struct hr_rule_config *r, bool describe)
{
	char arn[512];
	json_t *o = json_object();

	snprintf(arn, sizeof(arn), "arn:hostrail:events:%s:%s:rule/%s", c->region, c->account_id,
		 r->name);
	json_object_set_new(o, "Name", json_string(r->name));
	json_object_set_new(o, "Arn", json_string(arn));
	json_object_set_new(o, "EventPattern", json_string(r->event_pattern));
	json_object_set_new(o, "State", json_string(hr_rule_state_name(r->state)));
	if (r->description[0])
		json_object_set_new(o, "Description", json_string(r->description));
	json_object_set_new(o, "EventBusName", json_string(EVENT_BUS));
	if (describe)
		json_object_set_new(o, "CreatedBy", json_string(c->account_id));
	return o;
}

/* aws-cli's JSON: 4-space indent, keys in order, UTF-8 as is. */
static void print_json(json_t *v)
{
	char *s = json_dumps(v, JSON_INDENT(4) | JSON_PRESERVE_ORDER);

	if (s)
		printf("%s\n", s);
	free(s);
}

static void rules_usage(FILE *out, const char *cmd)
{
	fprintf(out,
		"usage: hostrail %s [--config FILE] %s\n\n"
		"  --config FILE       the agent's configuration (default %s)\n"
		"  --name-prefix P     list-rules: only rules whose Name starts with P\n"
		"  --name NAME         describe-rule: the rule\n"
		"  --event-bus-name B  accepted as aws-cli does; hostrail has only \"default\"\n\n"
		"The configuration's \"rules\" as `aws events %s` prints them.\n",
		cmd, strcmp(cmd, "list-rules") ? "--name NAME" : "[--name-prefix P]",
		HR_DEFAULT_CONFIG_PATH, cmd);
}

static int list_rules(const struct hr_config *c, const char *prefix)
{
	json_t *out = json_object(), *list = json_array();

	for (int i = 0; i < c->rules.n; i++) {
		const struct hr_rule_config *r = &c->rules.rules[i];

		if (!prefix || !strncmp(r->name, prefix, strlen(prefix)))
			json_array_append_new(list, rule_json(c, r, false));
	}
	json_object_set_new(out, "Rules", list);
	print_json(out);
	json_decref(out);
	return 0;
}

static int describe_rule(const struct hr_config *c, const char *name)
{
	const struct hr_rule_config *r = hr_rules_config_find(&c->rules, name);
	json_t *out;

	if (!r) {
		fprintf(stderr,
			"\nAn error occurred (ResourceNotFoundException) when calling the "
			"DescribeRule operation: Rule %s does not exist on EventBus " EVENT_BUS
			".\n",
			name);
		return 2;
	}
	out = rule_json(c, r, true);
	print_json(out);
	json_decref(out);
	return 0;
}

int hr_cmd_rules(int argc, char **argv)
{
	enum { O_CONFIG = 256, O_PREFIX, O_NAME, O_BUS, O_HELP };
	static const struct option opts[] = {
		{"config", required_argument, NULL, O_CONFIG},
		{"name-prefix", required_argument, NULL, O_PREFIX},
		{"name", required_argument, NULL, O_NAME},
		{"event-bus-name", required_argument, NULL, O_BUS},
		{"help", no_argument, NULL, O_HELP},
		{0},
	};
	const char *cmd = argv[0], *config = HR_DEFAULT_CONFIG_PATH, *prefix = NULL, *name = NULL;
	bool list = !strcmp(cmd, "list-rules"), named = false;
	struct hr_config *c;
	int opt, rc;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case O_CONFIG:
			config = optarg;
			named = true;
			break;
		case O_PREFIX:
			prefix = optarg;
			break;
		case O_NAME:
			name = optarg;
			break;
		case O_BUS:
			if (strcmp(optarg, EVENT_BUS)) {
				fprintf(stderr,
					"\nAn error occurred (ResourceNotFoundException) when "
					"calling the %s operation: Event bus %s does not exist.\n",
					list ? "ListRules" : "DescribeRule", optarg);
				return 2;
			}
			break;
		case O_HELP:
			rules_usage(stdout, cmd);
			return 0;
		default:
			fprintf(stderr, "hostrail %s: unknown option or missing value: %s\n", cmd,
				argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc || (list ? name != NULL : (!name || prefix))) {
		rules_usage(stderr, cmd);
		return 2;
	}
	c = calloc(1, sizeof(*c));
	if (!c || load_config(cmd, config, named, c)) {
		free(c);
		return 2;
	}
	rc = list ? list_rules(c, prefix) : describe_rule(c, name);
	hr_config_free(c);
	free(c);
	return rc;
}

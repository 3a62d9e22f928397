// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * hostrail test-event-pattern - does an EventBridge pattern match an event?
 * aws-cli's `aws events test-event-pattern`: the same options, file:// for
 * either value, the same output and the same error line (rules/pattern.h).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "cli/commands.h"
#include "common/files.h"
#include "rules/pattern.h"

/* aws-cli reads file://PATH itself and sends the contents. */
#define FILE_PREFIX    "file://"
#define MAX_ARG_FILE   (1u << 20)
#define ERROR_PREFIX   "An error occurred (InvalidEventPatternException) when calling the "
#define OPERATION_NAME "TestEventPattern"

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

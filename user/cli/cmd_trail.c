// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * hostrail describe-trails / get-trail-status / get-event-selectors /
 * put-event-selectors / start-logging / stop-logging / update-trail:
 * aws-cli's names, options and output, answered by the running daemon over
 * its control socket (control/ctlsock.h). The daemon decides who may do
 * what, from the socket's peer credentials.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "cli/commands.h"
#include "config/config.h"
#include "control/ctlsock.h"

#define TIMEOUT_MS 10000

static const struct {
	const char *command, *operation;
} ops[] = {
	{"describe-trails", "DescribeTrails"},
	{"get-trail-status", "GetTrailStatus"},
	{"get-event-selectors", "GetEventSelectors"},
	{"put-event-selectors", "PutEventSelectors"},
	{"start-logging", "StartLogging"},
	{"stop-logging", "StopLogging"},
	{"update-trail", "UpdateTrail"},
};

static void usage(FILE *out, const char *cmd)
{
	fprintf(out,
		"usage: hostrail %s [--state-dir DIR] [options]\n"
		"  --name NAME                      trail (get-trail-status, start-logging,\n"
		"                                   stop-logging, update-trail)\n"
		"  --trail-name NAME                trail (get-event-selectors,\n"
		"                                   put-event-selectors)\n"
		"  --trail-name-list NAME...        describe-trails: only these\n"
		"  --event-selectors JSON           put-event-selectors: basic form\n"
		"  --advanced-event-selectors JSON  put-event-selectors: advanced form\n"
		"  --s3-bucket-name NAME            update-trail: bucket name in records\n"
		"  --bucket-dir DIR                 update-trail: where files are delivered\n"
		"  --batch-seconds N                update-trail: one log file per N seconds\n"
		"  --digest-seconds N               update-trail: one digest per N seconds\n"
		"  --state-dir DIR                  where the daemon's socket is (default %s)\n",
		cmd, HR_DEFAULT_STATE_DIR);
}

/* A JSON option value: parsed, so that a typo is refused here. */
static int set_json(json_t *params, const char *key, const char *text, const char *opt)
{
	json_error_t e;
	json_t *v = json_loads(text, JSON_DECODE_ANY, &e);

	if (!v) {
		fprintf(stderr, "hostrail: %s is not valid JSON: %s\n", opt, e.text);
		return -1;
	}
	json_object_set_new(params, key, v);
	return 0;
}

int hr_cmd_trail(int argc, char **argv)
{
	enum {
		O_STATE = 256,
		O_NAME,
		O_TRAIL,
		O_LIST,
		O_BASIC,
		O_ADV,
		O_S3,
		O_HELP,
		O_DIR,
		O_BATCH,
		O_DIGEST
	};
	static const struct option opts[] = {
		{"state-dir", required_argument, NULL, O_STATE},
		{"name", required_argument, NULL, O_NAME},
		{"trail-name", required_argument, NULL, O_TRAIL},
		{"trail-name-list", required_argument, NULL, O_LIST},
		{"event-selectors", required_argument, NULL, O_BASIC},
		{"advanced-event-selectors", required_argument, NULL, O_ADV},
		{"s3-bucket-name", required_argument, NULL, O_S3},
		{"bucket-dir", required_argument, NULL, O_DIR},
		{"batch-seconds", required_argument, NULL, O_BATCH},
		{"digest-seconds", required_argument, NULL, O_DIGEST},
		{"help", no_argument, NULL, O_HELP},
		{0},
	};
	const char *cmd = argv[0], *op = NULL, *state = HR_DEFAULT_STATE_DIR;
	json_t *params = json_object(), *req = NULL, *rep = NULL, *list = NULL;
	char path[108], *text = NULL, *reply = NULL;
	int opt, rc = 2;

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (!strcmp(cmd, ops[i].command))
			op = ops[i].operation;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case O_STATE:
			state = optarg;
			break;
		case O_NAME:
			json_object_set_new(params, "Name", json_string(optarg));
			break;
		case O_TRAIL:
			json_object_set_new(params, "TrailName", json_string(optarg));
			break;
		case O_S3:
			json_object_set_new(params, "S3BucketName", json_string(optarg));
			break;
		case O_DIR:
			json_object_set_new(params, "BucketDir", json_string(optarg));
			break;
		case O_BATCH:
		case O_DIGEST:
			/* the daemon checks the range; a number is all we insist on */
			if (set_json(params, opt == O_BATCH ? "BatchSeconds" : "DigestSeconds",
				     optarg,
				     opt == O_BATCH ? "--batch-seconds" : "--digest-seconds"))
				goto out;
			break;
		case O_LIST:
			/* aws-cli: the names follow the option, up to the next one */
			if (!list)
				list = json_array();
			json_array_append_new(list, json_string(optarg));
			while (optind < argc && strncmp(argv[optind], "--", 2))
				json_array_append_new(list, json_string(argv[optind++]));
			break;
		case O_BASIC:
			if (set_json(params, "EventSelectors", optarg, "--event-selectors"))
				goto out;
			break;
		case O_ADV:
			if (set_json(params, "AdvancedEventSelectors", optarg,
				     "--advanced-event-selectors"))
				goto out;
			break;
		case O_HELP:
			usage(stdout, cmd);
			rc = 0;
			goto out;
		default:
			fprintf(stderr, "hostrail %s: unknown option %s\n", cmd, argv[optind - 1]);
			usage(stderr, cmd);
			goto out;
		}
	}
	if (list)
		json_object_set(params, "trailNameList", list);
	if (!op || optind < argc) {
		usage(stderr, cmd);
		goto out;
	}
	if (hr_ctl_path(state, path, sizeof(path))) {
		fprintf(stderr, "hostrail %s: the state directory's path is too long\n", cmd);
		goto out;
	}
	req = json_pack("{sssO}", "command", cmd, "params", params);
	text = req ? json_dumps(req, JSON_COMPACT) : NULL;
	if (!text)
		goto out;
	rc = hr_ctl_call(path, text, TIMEOUT_MS, &reply);
	if (rc) {
		fprintf(stderr, "hostrail %s: failed to reach the daemon at %s: %s%s\n", cmd, path,
			strerror(-rc),
			rc == -EACCES ? " (root, or a member of its control group)" : "");
		rc = 1;
		goto out;
	}
	rep = json_loads(reply, 0, NULL);
	if (!rep) {
		fprintf(stderr, "hostrail %s: the daemon's answer is not JSON\n", cmd);
		rc = 1;
	} else if (json_is_true(json_object_get(rep, "ok"))) {
		json_t *result = json_object_get(rep, "result");

		/* aws-cli prints nothing for an empty response */
		if (json_object_size(result)) {
			char *out = json_dumps(result, JSON_INDENT(4) | JSON_PRESERVE_ORDER);

			if (out)
				printf("%s\n", out);
			free(out);
		}
		rc = 0;
	} else {
		json_t *e = json_object_get(rep, "error");

		fprintf(stderr, "\nAn error occurred (%s) when calling the %s operation: %s\n",
			json_string_value(json_object_get(e, "Code")), op,
			json_string_value(json_object_get(e, "Message")));
		rc = 1;
	}
out:
	free(text);
	free(reply);
	json_decref(list);
	json_decref(req);
	json_decref(rep);
	json_decref(params);
	return rc;
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * hostrail list-public-keys / rotate-key - the digest signing keys
 * (sign/keys.h). Only public halves and fingerprints are ever printed.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/commands.h"
#include "config/config.h"
#include "sign/keys.h"
#include "common/timefmt.h"

static int parse_time_arg(const char *cmd, const char *what, const char *s, int64_t *t)
{
	if (hr_cli_time_parse(s, t) == 0)
		return 0;
	fprintf(stderr,
		"hostrail %s: unable to parse the %s: %s (use 2026-11-21T10:00:00Z, "
		"2026-11-21T10:00:00, 2026-11-21 or epoch seconds)\n",
		cmd, what, s);
	return -1;
}

int hr_cmd_list_public_keys(int argc, char **argv)
{
	enum { O_STATE = 256, O_START, O_END, O_HELP };
	static const struct option opts[] = {
		{"state-dir", required_argument, NULL, O_STATE},
		{"start-time", required_argument, NULL, O_START},
		{"end-time", required_argument, NULL, O_END},
		{"help", no_argument, NULL, O_HELP},
		{0},
	};
	const char *state = HR_DEFAULT_STATE_DIR;
	int64_t now = (int64_t)time(NULL), start = now, end = now;
	struct hr_pubkeys keys;
	char err[1024];
	int opt;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case O_STATE:
			state = optarg;
			break;
		case O_START:
			if (parse_time_arg("list-public-keys", "start time", optarg, &start))
				return 2;
			break;
		case O_END:
			if (parse_time_arg("list-public-keys", "end time", optarg, &end))
				return 2;
			break;
		case O_HELP:
			printf("usage: hostrail list-public-keys [--state-dir DIR] [--start-time "
			       "T] "
			       "[--end-time T]\n\n"
			       "Print CloudTrail's ListPublicKeys JSON for the digest signing keys "
			       "valid at\nsome time in [T, T] (both default to now: the current "
			       "key). "
			       "Default state dir: %s\n",
			       HR_DEFAULT_STATE_DIR);
			return 0;
		default:
			fprintf(stderr,
				"hostrail list-public-keys: unknown option or missing "
				"value: %s\n",
				argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "hostrail list-public-keys: unexpected argument: %s\n",
			argv[optind]);
		return 2;
	}
	if (start > end) {
		fprintf(stderr, "hostrail list-public-keys: the start time is after the end "
				"time\n");
		return 2;
	}
	if (hr_keys_load_public(state, &keys, err, sizeof(err))) {
		fprintf(stderr,
			"hostrail list-public-keys: %s (the agent creates its first key "
			"when it starts)\n",
			err);
		return 2;
	}
	hr_pubkeys_print(stdout, &keys, start, end);
	hr_pubkeys_free(&keys);
	return 0;
}

int hr_cmd_rotate_key(int argc, char **argv)
{
	enum { O_STATE = 256, O_HELP };
	static const struct option opts[] = {
		{"state-dir", required_argument, NULL, O_STATE},
		{"help", no_argument, NULL, O_HELP},
		{0},
	};
	const char *state = HR_DEFAULT_STATE_DIR;
	char fp[HR_FP_LEN + 1], err[1024];
	int opt;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case O_STATE:
			state = optarg;
			break;
		case O_HELP:
			printf("usage: hostrail rotate-key [--state-dir DIR]\n\n"
			       "Start a new digest signing key. The old public keys stay listed "
			       "with their\nvalidity windows and the digests they signed stay "
			       "valid. A running agent\nsigns with the new key from its next "
			       "digest on. Default state dir: %s\n",
			       HR_DEFAULT_STATE_DIR);
			return 0;
		default:
			fprintf(stderr,
				"hostrail rotate-key: unknown option or missing value: %s\n",
				argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "hostrail rotate-key: unexpected argument: %s\n", argv[optind]);
		return 2;
	}
	err[0] = '\0';
	if (hr_keys_rotate(state, (int64_t)time(NULL), fp, err, sizeof(err))) {
		fprintf(stderr, "hostrail rotate-key: %s\n", err);
		return 2;
	}
	printf("new digest signing key %s; the agent signs with it from its next digest\n", fp);
	if (err[0]) {
		fprintf(stderr, "hostrail rotate-key: warning: %s\n", err);
		return 1;
	}
	return 0;
}

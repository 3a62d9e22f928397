// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * hostrail - the command-line tool: validate what the agent delivered,
 * manage its keys, and (later) talk to the running daemon.
 */
#include <stdio.h>
#include <string.h>
#include "cli/commands.h"

static const struct hr_cli_command commands[] = {
	{"validate-logs", hr_cmd_validate_logs,
	 "check log files and the signed digest chain in a bucket directory"},
	{"list-public-keys", hr_cmd_list_public_keys,
	 "print the digest signing keys as CloudTrail's ListPublicKeys JSON"},
	{"rotate-key", hr_cmd_rotate_key,
	 "start a new digest signing key; old keys stay listed and valid"},
	{"lookup-events", hr_cmd_lookup_events,
	 "search the event history, as `aws cloudtrail lookup-events` does"},
	{"rebuild-history", hr_cmd_rebuild_history,
	 "restore the event history from the delivered log files"},
	{"describe-trails", hr_cmd_trail, "the running trails (aws-cli's shape)"},
	{"get-trail-status", hr_cmd_trail, "--name N: logging, deliveries, counters"},
	{"get-event-selectors", hr_cmd_trail, "--trail-name N: the running selectors"},
	{"put-event-selectors", hr_cmd_trail, "--trail-name N --(advanced-)event-selectors JSON"},
	{"start-logging", hr_cmd_trail, "--name N: resume recording"},
	{"stop-logging", hr_cmd_trail, "--name N: stop recording (recorded)"},
	{"update-trail", hr_cmd_trail, "--name N: change a trail (see docs)"},
	{"test-event-pattern", hr_cmd_test_event_pattern,
	 "does an EventBridge pattern match an event (aws-cli's shape)"},
	{"list-rules", hr_cmd_rules, "the configuration's EventBridge rules (aws-cli's shape)"},
	{"describe-rule", hr_cmd_rules, "--name N: one rule of the configuration"},
};

static void usage(FILE *out)
{
	fprintf(out, "usage: hostrail <command> [options]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-18s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\n`hostrail <command> --help` describes a command's options.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "hostrail: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}

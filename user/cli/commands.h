/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* commands.h - the `hostrail` subcommands; one file each under user/cli/. */
#ifndef HOSTRAIL_CLI_COMMANDS_H
#define HOSTRAIL_CLI_COMMANDS_H

/*
 * Each command gets argv starting at its own name (getopt_long-ready) and
 * returns the process exit status: 0 success, 1 a negative finding
 * (validate-logs found something INVALID), 2 bad usage or input.
 */
typedef int (*hr_cli_fn)(int argc, char **argv);

struct hr_cli_command {
	const char *name;
	hr_cli_fn run;
	const char *summary; /* one line for `hostrail help` */
};

int hr_cmd_validate_logs(int argc, char **argv);
int hr_cmd_list_public_keys(int argc, char **argv);
int hr_cmd_rotate_key(int argc, char **argv);
int hr_cmd_lookup_events(int argc, char **argv);
int hr_cmd_rebuild_history(int argc, char **argv);
int hr_cmd_test_event_pattern(int argc, char **argv);
/* list-rules, describe-rule: argv[0] says which */
int hr_cmd_rules(int argc, char **argv);
/* describe-trails ... update-trail: one function, argv[0] says which */
int hr_cmd_trail(int argc, char **argv);

#endif

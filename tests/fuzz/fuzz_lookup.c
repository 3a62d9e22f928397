/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * fuzz_lookup.c - lookup-events' arguments as the command takes them:
 * the input is up to four newline-separated fields, the
 * --lookup-attributes value, --start-time, --end-time and --next-token,
 * run against a real (empty) history database. The time parser is also
 * fed the whole input alone.
 */
#include "fuzz.h"
#include "cli/commands.h"
#include "common/timefmt.h"
#include "history/history.h"

static const char *state_dir(void)
{
	static char dir[256];
	struct hr_history *h;
	char err[256];

	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "%s/state", fuzz_tmpdir());
		if (mkdir(dir, 0700) ||
		    hr_history_open(dir, HR_HISTORY_WRITE, 0, &h, err, sizeof(err)))
			abort();
		hr_history_close(h);
		/* the command prints its answer and its refusals; only
		 * crashes matter here. The sanitizers and libFuzzer still
		 * report on fd 2 (this replaces stdio's stream, not the fd). */
		if (!freopen("/dev/null", "w", stdout))
			abort();
		stderr = fopen("/dev/null", "w");
		if (!stderr)
			abort();
	}
	return dir;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const opt[] = {"--lookup-attributes", "--start-time", "--end-time",
					  "--next-token"};
	char *text = fuzz_strndup(data, size), *field = text, *nl;
	char *argv[16] = {"lookup-events", "--state-dir", (char *)state_dir(), "--output", "json"};
	int argc = 5;
	int64_t sec;

	if (!hr_cli_time_parse(text, &sec)) {
		char iso[HR_CT_TIME_LEN + 1];

		hr_ct_time_fmt(sec, iso);
	}
	for (int i = 0; i < 4 && field; i++) {
		nl = strchr(field, '\n');
		if (nl)
			*nl = '\0';
		if (*field) {
			argv[argc++] = (char *)opt[i];
			argv[argc++] = field;
		}
		field = nl ? nl + 1 : NULL;
	}
	argv[argc] = NULL;
	hr_cmd_lookup_events(argc, argv);
	free(text);
	return 0;
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "common/log.h"

static enum hr_log_level max_level = HR_LOG_INFO;

void hr_log_set_level(enum hr_log_level max)
{
	max_level = max;
}

void hr_vlog(enum hr_log_level level, const char *fmt, va_list ap)
{
	char line[1024];

	if (level > max_level)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	/* "<N>" is the sd-daemon(3) prefix journald turns into PRIORITY. */
	if (getenv("JOURNAL_STREAM"))
		fprintf(stderr, "<%d>%s\n", level, line);
	else
		fprintf(stderr, "hostraild: %s\n", line);
}

void hr_log(enum hr_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	hr_vlog(level, fmt, ap);
	va_end(ap);
}

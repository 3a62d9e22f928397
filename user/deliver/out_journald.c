// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* out_journald.c - the journald output: journal.c on a sink worker. */
#include <string.h>
#include "common/log.h"
#include "deliver/journal.h"
#include "deliver/output.h"

/* journald throttles bursts itself (RateLimitBurst), so a deep queue would
 * mostly delay its refusals: 4 MiB, ~3,000 records, keeps the agent within
 * its memory target (docs/operations.md "Memory"); "queueMiB" raises it. */
#define JOURNALD_QUEUE_BYTES (4u << 20)

static void journal_close(void *j)
{
	hr_journal_close(j);
}

static int journald_open(const struct hr_output_env *env, void **ctx)
{
	struct hr_journal *j = NULL;
	int rc = hr_journal_open(&j);

	if (rc)
		hr_err("failed to start forwarding to journald: %s", strerror(-rc));
	return hr_queued_output_open(HR_OUTPUT_JOURNALD, env->queue_bytes ?: JOURNALD_QUEUE_BYTES,
				     64, rc ? NULL : hr_journal_write, NULL, j, journal_close, ctx);
}

const struct hr_output_ops hr_output_journald = {
	.name = HR_OUTPUT_JOURNALD,
	.open = journald_open,
	.take = hr_queued_output_take,
	.flush = hr_queued_output_flush,
	.stop = hr_queued_output_stop,
	.counters = hr_queued_output_counters,
};

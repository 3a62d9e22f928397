// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* out_history.c - the event history output: the SQLite history on a sink worker. */
#include <limits.h>
#include "common/log.h"
#include "deliver/output.h"
#include "history/history.h"

/* The history must take a burst whole (100,000 calls in half a second is
 * what an attack looks like, and the history is where it is looked up):
 * 256 MiB is ~200,000 records of ~1.3 KB. */
#define HISTORY_QUEUE_BYTES (256u << 20)

static void history_close(void *h)
{
	hr_history_close(h);
}

static int history_open(const struct hr_output_env *env, void **ctx)
{
	struct hr_history *h = NULL;
	char err[PATH_MAX + 256];
	int rc = hr_history_open(env->state_dir, HR_HISTORY_WRITE, env->retention_days, &h, err,
				 sizeof(err));

	if (rc)
		hr_err("%s; recording goes on into the bucket, and the records the history "
		       "misses are counted (LostEvents, sink history)",
		       err);
	return hr_queued_output_open(HR_OUTPUT_HISTORY, env->queue_bytes ?: HISTORY_QUEUE_BYTES,
				     4096, rc ? NULL : hr_history_write, hr_history_maybe_prune, h,
				     history_close, ctx);
}

const struct hr_output_ops hr_output_history = {
	.name = HR_OUTPUT_HISTORY,
	.open = history_open,
	.take = hr_queued_output_take,
	.flush = hr_queued_output_flush,
	.stop = hr_queued_output_stop,
	.counters = hr_queued_output_counters,
};

/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * sinks.h - the agent's sinks besides the bucket: journald and the event
 * history, each on its own sink worker (worker.h). The agent hands every
 * finished record over once; what a sink could not take is counted per
 * sink and comes back from hr_sinks_losses() for LostEvents.
 */
#ifndef HOSTRAIL_SINKS_H
#define HOSTRAIL_SINKS_H

#include <stdbool.h>
#include <stdint.h>
#include "record/record.h"
#include "sink/worker.h"

#define HR_SINK_JOURNALD "journald"
#define HR_SINK_HISTORY  "history"

struct hr_sinks_opts {
	const char *state_dir;		/* the history lives here */
	unsigned retention_days;	/* historyRetentionDays */
	bool journald;			/* the trail's forwardToJournald */
	size_t queue_bytes;		/* bound of each sink's queue; 0: defaults */
};

struct hr_sinks;

/* Never fails for a sink that cannot open: that sink's records are counted
 * as lost instead, and the bucket goes on. -ENOMEM only. */
int hr_sinks_open(const struct hr_sinks_opts *o, struct hr_sinks **out);
/* Hand rec over (it is left zeroed) to every sink but not_to (a sink name
 * or NULL): a LostEvents record about journald's losses does not go to
 * journald, or a journald outage would feed itself one record a second. */
void hr_sinks_add(struct hr_sinks *s, struct hr_record *rec, const char *not_to);

struct hr_sink_loss {
	const char *sink;
	const char *reason;	/* "sinkQueueFull", "sinkRefused" */
	uint64_t count;
};
#define HR_SINKS_MAX_LOSSES 4
/* Losses not yet returned by an earlier call; the number filled. */
int hr_sinks_losses(struct hr_sinks *s, struct hr_sink_loss out[HR_SINKS_MAX_LOSSES]);
/* Totals for one sink (for get-trail-status). -ENOENT if it is off. */
int hr_sinks_stats(struct hr_sinks *s, const char *sink, struct hr_sink_stats *st);
/* Wait until every record handed over so far was written or refused. */
void hr_sinks_drain(struct hr_sinks *s);
/* Drain, stop the workers, close. NULL-safe. */
void hr_sinks_close(struct hr_sinks *s);

#endif

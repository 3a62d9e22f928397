/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * trail_cmds.h - the control commands, with aws-cli's names and shapes:
 * describe-trails, get-trail-status, get-event-selectors (read: root and
 * the control group), put-event-selectors, start-logging, stop-logging,
 * update-trail (change: root only). Every change, and every refused
 * change, is recorded as CloudTrail's own event with the caller's identity.
 */
#ifndef HOSTRAIL_TRAIL_CMDS_H
#define HOSTRAIL_TRAIL_CMDS_H

#include <sys/socket.h>
#include "daemon/trails.h"
#include "record/record.h"

struct hr_cmd_env {
	struct hr_trails *trails;
	struct hr_recorder *rec;
	void *agent;
	/* agent.c's emit(): the one way to the trails and the other sinks */
	void (*emit)(void *agent, struct hr_record *rec);
	/* selectors or logging changed: re-attach and refill kernel filters */
	void (*selection_changed)(void *agent);
	/* hostrail's own counters for get-trail-status: fills a JSON object
	 * (json_t *) with what was lost, by sink */
	void (*lost_counters)(void *agent, void *json_obj);
	/* the kernel's data event filter: fills a JSON object (json_t *) */
	void (*filter_counters)(void *agent, void *json_obj);
	/* the event history's catch-up from the bucket: behind, deferred, caughtUp */
	void (*catch_up_counters)(void *agent, void *json_obj);
	/* the hooks capture probed and chose: fills a JSON object (json_t *) */
	void (*capture_hooks)(void *agent, void *json_obj);
};

/* One request line in, one reply line out (malloc'd). */
char *hr_trail_command(struct hr_cmd_env *env, const char *request, const struct ucred *peer);

/* The identity of a process (from SO_PEERCRED or a signal's sender),
 * read from /proc where the kernel did not say it. */
void hr_task_from_peer(uint32_t pid, uint32_t uid, uint32_t gid, struct hr_task *t);

/* Record a control event for trail t (PutEventSelectors etc.); request /
 * response are JSON object texts or NULL; error_code NULL on success. */
void hr_trail_record_change(struct hr_cmd_env *env, const char *event_name,
			    const struct hr_task *caller, const char *request, const char *response,
			    const char *error_code, const char *message);

/*
 * SIGHUP: make the running trails those of cfg (already loaded and
 * checked), recording each change as its CloudTrail event with caller's
 * identity: StartLogging (a new trail), StopLogging (a trail removed),
 * UpdateTrail (delivery settings: the trail's chain restarts),
 * PutEventSelectors (selectors). Account, region and state directory
 * need a restart: a change to them refuses the whole reload.
 */
int hr_trails_reload(struct hr_cmd_env *env, const struct hr_config *cfg,
		     const struct hr_task *caller);

#endif

/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * agent.h - the running agent: capture -> decode/enrich/record -> batch
 * -> sign, for one configuration, until asked to stop.
 */
#ifndef HOSTRAIL_AGENT_H
#define HOSTRAIL_AGENT_H

#include "config/config.h"

#include <signal.h>
#include <sys/types.h>

/* SIGHUP: the handler sets requested and who sent it; the agent calls
 * load (the file plus the command line's overrides, checked) from its
 * loop. */
struct hr_reload {
	volatile sig_atomic_t requested;
	volatile pid_t sender_pid;
	volatile uid_t sender_uid;
	int (*load)(struct hr_config *out, char *err, size_t errlen);
};

/* Runs until *stop becomes non-zero (signals set it). Returns the exit
 * status: 0 after a clean stop, 1 when the agent could not start or run
 * (the reason already logged, in one sentence). reload may be NULL. */
int hr_agent_run(const struct hr_config *cfg, volatile int *stop, struct hr_reload *reload);

#endif

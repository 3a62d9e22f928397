/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * agent.h - the running agent: capture -> decode/enrich/record -> batch
 * -> sign, for one configuration, until asked to stop.
 */
#ifndef HOSTRAIL_AGENT_H
#define HOSTRAIL_AGENT_H

#include "config/config.h"

/* Runs until *stop becomes non-zero (signals set it). Returns the exit
 * status: 0 after a clean stop, 1 when the agent could not start or run
 * (the reason already logged, in one sentence). */
int hr_agent_run(const struct hr_config *cfg, volatile int *stop);

#endif

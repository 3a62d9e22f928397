/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * validate_logs.h - validate-logs' checks of log files that aws-cli does
 * not make: records outside the times their file and digest give, and log
 * files in the trail's folder that no digest lists.
 */
#ifndef HOSTRAIL_SIGN_VALIDATE_LOGS_H
#define HOSTRAIL_SIGN_VALIDATE_LOGS_H

#include "sign/validate_ctx.h"

/* Log files no checked digest lists, waiting for the agent's state. */
struct candidate {
	char *key;
	int64_t minute; /* delivered within [minute, minute + 60) */
};

struct unlisted {
	int64_t scope_lo, cov_end;
	struct candidate *v;
	size_t n, cap;
};

void vl_check_log_contents(struct ctx *c, struct vdigest *d);
int vl_collect_unlisted(struct ctx *c, struct unlisted *ul);
void vl_decide_unlisted(struct ctx *c, struct unlisted *ul);

#endif

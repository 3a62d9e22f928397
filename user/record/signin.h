/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * signin.h - login events into CloudTrail sign-in records: ConsoleLogin,
 * ConsoleLogout, SwitchRole (su) and AssumeRole (sudo), and the session
 * table that lets every later system call carry its login.
 */
#ifndef HOSTRAIL_SIGNIN_H
#define HOSTRAIL_SIGNIN_H

#include <stddef.h>
#include "record.h"

#define HR_HIDDEN_USER "HIDDEN_DUE_TO_SECURITY_REASONS"

/* Receives each finished record; it owns it (hr_record_free). */
typedef void (*hr_record_fn)(void *ctx, struct hr_record *rec);

/*
 * One HR_EV_LOGIN event: follow its PAM transaction, open or close the
 * session it starts or ends, and hand every record it completes to emit
 * (zero, one or more). Returns 0, -EINVAL for a malformed event, or the
 * first error of a record that could not be built (the caller counts it
 * as lost).
 */
int hr_record_login(struct hr_recorder *r, const struct hr_login_event *ev, size_t size,
		    hr_record_fn emit, void *ctx);

#endif

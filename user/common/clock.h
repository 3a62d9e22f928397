/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* clock.h - one way to read a clock in nanoseconds, for every stage. */
#ifndef HOSTRAIL_CLOCK_H
#define HOSTRAIL_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline int64_t hr_clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Wall-clock time: what records, keys and digests are stamped with. */
static inline int64_t hr_wall_ns(void)
{
	return hr_clock_ns(CLOCK_REALTIME);
}

#endif

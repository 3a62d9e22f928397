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

/* The wall-clock time of a kernel boot-clock stamp, given CLOCK_REALTIME -
 * CLOCK_BOOTTIME. The stamp comes from an event: a damaged one saturates
 * instead of overflowing. */
static inline int64_t hr_boot_to_wall_ns(uint64_t boot_ns, int64_t realtime_minus_boottime_ns)
{
	int64_t wall;

	if (boot_ns > INT64_MAX ||
	    __builtin_add_overflow((int64_t)boot_ns, realtime_minus_boottime_ns, &wall))
		return INT64_MAX;
	return wall;
}

#endif

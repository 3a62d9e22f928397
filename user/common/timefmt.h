/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * timefmt.h - CloudTrail times: the formats it writes, strict parsers for
 * what it wrote, and one parser for every time a user gives (a command
 * line option, a config value).
 */
#ifndef HOSTRAIL_COMMON_TIMEFMT_H
#define HOSTRAIL_COMMON_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

/* "YYYY-MM-DDTHH:MM:SSZ": CloudTrail's eventTime/digest time format. */
#define HR_CT_TIME_LEN 20
/* "YYYYMMDDTHHMMSSZ": the time in a digest key. */
#define HR_CT_KEYTIME_LEN 16

/* Seconds since the epoch (UTC) as "YYYY-MM-DDTHH:MM:SSZ". */
void hr_ct_time_fmt(int64_t sec, char buf[HR_CT_TIME_LEN + 1]);
/* ... and as "YYYYMMDDTHHMMSSZ". */
void hr_ct_keytime_fmt(int64_t sec, char buf[HR_CT_KEYTIME_LEN + 1]);
/* Floor of a nanosecond wall-clock time to seconds (also for negatives). */
int64_t hr_ns_to_sec(int64_t ns);

/* Strict: exactly "YYYY-MM-DDTHH:MM:SSZ" (len bytes), a real date. 0 or -EINVAL. */
int hr_ct_time_parse(const char *s, size_t len, int64_t *sec);
/* Strict: exactly "YYYYMMDDTHHMMSSZ". 0 or -EINVAL. */
int hr_ct_keytime_parse(const char *s, size_t len, int64_t *sec);
/* A UTC ISO 8601 time as others write it in a file (digests, key store):
 * "...T10:00:00Z", with an optional fraction, "+00:00" or no zone.
 * 0 or -EINVAL. */
int hr_iso_time_parse(const char *s, int64_t *sec);
/*
 * The one parser for a time a user gives (every command line option), as
 * aws-cli accepts it: ISO 8601 (a date alone, or date, 'T' or ' ',
 * HH:MM[:SS[.fraction]], then Z, +-HH[:MM] or no zone = UTC) or epoch
 * seconds (a fraction allowed, dropped). 0 or -EINVAL.
 */
int hr_cli_time_parse(const char *s, int64_t *sec);

/* n decimal digits as a number; -1 if any is not a digit. */
int hr_digits(const char *s, int n);

#endif

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* timefmt.c - CloudTrail times: formatting, strict parsing, and the one
 * parser for times a user gives (command line, config). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/timefmt.h"

int64_t hr_ns_to_sec(int64_t ns)
{
	int64_t s = ns / 1000000000;

	return (ns % 1000000000 < 0) ? s - 1 : s;
}

static void to_tm(int64_t sec, struct tm *tm)
{
	time_t t = (time_t)sec;

	if (!gmtime_r(&t, tm))
		memset(tm, 0, sizeof(*tm));
}

/* Fixed-width decimal into p; the year is taken modulo 10000. */
static char *put(char *p, int v, int width)
{
	for (int i = width - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + width;
}

static void fmt(int64_t sec, char *buf, bool separators)
{
	struct tm tm;
	char *p = buf;

	to_tm(sec, &tm);
	p = put(p, (tm.tm_year + 1900) % 10000, 4);
	if (separators)
		*p++ = '-';
	p = put(p, tm.tm_mon + 1, 2);
	if (separators)
		*p++ = '-';
	p = put(p, tm.tm_mday, 2);
	*p++ = 'T';
	p = put(p, tm.tm_hour, 2);
	if (separators)
		*p++ = ':';
	p = put(p, tm.tm_min, 2);
	if (separators)
		*p++ = ':';
	p = put(p, tm.tm_sec, 2);
	*p++ = 'Z';
	*p = '\0';
}

void hr_ct_time_fmt(int64_t sec, char buf[HR_CT_TIME_LEN + 1])
{
	fmt(sec, buf, true);
}

void hr_ct_keytime_fmt(int64_t sec, char buf[HR_CT_KEYTIME_LEN + 1])
{
	fmt(sec, buf, false);
}

int hr_digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* Build a time from fields, refusing dates that do not exist (Feb 30). */
static int make_time(int y, int mo, int d, int h, int mi, int s, int64_t *out)
{
	struct tm tm = {0}, back;
	time_t t;

	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 ||
	    mi > 59 || s < 0 || s > 59)
		return -EINVAL;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	t = timegm(&tm);
	if (t == (time_t)-1 || !gmtime_r(&t, &back) || back.tm_mday != d || back.tm_mon != mo - 1)
		return -EINVAL;
	*out = (int64_t)t;
	return 0;
}

int hr_ct_time_parse(const char *s, size_t len, int64_t *sec)
{
	if (!s || len != HR_CT_TIME_LEN || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
	    s[13] != ':' || s[16] != ':' || s[19] != 'Z')
		return -EINVAL;
	return make_time(hr_digits(s, 4), hr_digits(s + 5, 2), hr_digits(s + 8, 2),
			 hr_digits(s + 11, 2), hr_digits(s + 14, 2), hr_digits(s + 17, 2), sec);
}

int hr_ct_keytime_parse(const char *s, size_t len, int64_t *sec)
{
	if (!s || len != HR_CT_KEYTIME_LEN || s[8] != 'T' || s[15] != 'Z')
		return -EINVAL;
	return make_time(hr_digits(s, 4), hr_digits(s + 4, 2), hr_digits(s + 6, 2),
			 hr_digits(s + 9, 2), hr_digits(s + 11, 2), hr_digits(s + 13, 2), sec);
}

int hr_iso_time_parse(const char *s, int64_t *sec)
{
	char buf[HR_CT_TIME_LEN + 1];
	const char *rest;

	if (!s || strlen(s) < 19)
		return -EINVAL;
	memcpy(buf, s, 19);
	buf[19] = 'Z';
	buf[20] = '\0';
	rest = s + 19;
	if (*rest == '.')
		rest += 1 + strspn(rest + 1, "0123456789");
	if (*rest && strcmp(rest, "Z") && strcmp(rest, "+00:00"))
		return -EINVAL;
	return hr_ct_time_parse(buf, HR_CT_TIME_LEN, sec);
}

/* Epoch seconds: at most 12 digits (past year 33658 is not a time anyone
 * means), maybe with a fraction ("1424476529.0"), which is dropped. */
static int epoch_parse(const char *s, size_t digits, int64_t *sec)
{
	int64_t v = 0;

	if (!digits || digits > 12)
		return -EINVAL;
	for (size_t i = 0; i < digits; i++)
		v = v * 10 + (s[i] - '0');
	*sec = v;
	return 0;
}

int hr_cli_time_parse(const char *s, int64_t *sec)
{
	int hh = 0, mm = 0, ss = 0, off = 0;
	size_t n, i;
	const char *p;

	if (!s || !*s)
		return -EINVAL;
	n = strlen(s);
	i = strspn(s, "0123456789");
	if (i == n ||
	    (i && s[i] == '.' && i + 1 < n && strspn(s + i + 1, "0123456789") == n - i - 1))
		return epoch_parse(s, i, sec);
	if (n < 10 || i != 4 || s[4] != '-' || s[7] != '-')
		return -EINVAL;
	p = s + 10;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if (strlen(p) < 5 || (hh = hr_digits(p, 2)) < 0 || p[2] != ':' ||
		    (mm = hr_digits(p + 3, 2)) < 0)
			return -EINVAL;
		p += 5;
		if (*p == ':') {
			if ((ss = hr_digits(p + 1, 2)) < 0)
				return -EINVAL;
			p += 3;
			if (*p == '.' || *p == ',') {
				p++;
				if (*p < '0' || *p > '9')
					return -EINVAL;
				while (*p >= '0' && *p <= '9')
					p++;
			}
		}
	} else if (*p) {
		return -EINVAL;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p == '-' ? -1 : 1, oh, om = 0;

		if ((oh = hr_digits(p + 1, 2)) < 0 || oh > 23)
			return -EINVAL;
		p += 3;
		if (*p == ':')
			p++;
		if (*p) {
			if ((om = hr_digits(p, 2)) < 0 || om > 59)
				return -EINVAL;
			p += 2;
		}
		off = sign * (oh * 3600 + om * 60);
	}
	if (*p ||
	    make_time(hr_digits(s, 4), hr_digits(s + 5, 2), hr_digits(s + 8, 2), hh, mm, ss, sec))
		return -EINVAL;
	*sec -= off;
	return 0;
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* logscan.c - records' event times out of a log file (see logscan.h). */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <jansson.h>

#include "sign/logscan.h"

static const char prefix[] = "{\"Records\":[";

enum { P_PREFIX, P_BODY, P_SUFFIX, P_TAIL };
enum { X_NONE, X_KEY, X_COLON, X_VALUE }; /* what comes next at record level */
enum { C_NONE, C_KEY, C_VALUE };	  /* the string being captured */
enum { K_OTHER, K_TIME, K_NAME };	  /* record-level keys of interest */

/* The bytes that change the scanner's state inside a nested value. */
static const unsigned char structural[256] = {
	['"'] = 1, ['{'] = 1, ['}'] = 1, ['['] = 1, [']'] = 1,
};

void hr_logscan_init(struct hr_logscan *s)
{
	memset(s, 0, sizeof(*s));
}

static bool ct_time_shape(const char *t, size_t n)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";

	if (n != HR_CT_TIME_LEN)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (shape[i] == 'd' ? (t[i] < '0' || t[i] > '9') : t[i] != shape[i])
			return false;
	}
	return true;
}

static void take_time(struct hr_logscan *s, const char *t)
{
	if (!s->oldest[0] || memcmp(t, s->oldest, HR_CT_TIME_LEN) < 0)
		memcpy(s->oldest, t, HR_CT_TIME_LEN + 1);
	if (!s->newest[0] || memcmp(t, s->newest, HR_CT_TIME_LEN) > 0)
		memcpy(s->newest, t, HR_CT_TIME_LEN + 1);
}

static void record_begin(struct hr_logscan *s)
{
	s->expect = X_KEY;
	s->seen = 0;
	s->rec_time_ok = false;
	s->rec_stop = false;
	s->cur_key = K_OTHER;
}

static void record_end(struct hr_logscan *s)
{
	s->records++;
	if (s->rec_time_ok)
		take_time(s, s->rec_time);
	else
		s->bad_times++;
	if (s->rec_stop)
		s->stop_logging = true;
	s->expect = X_NONE;
}

static void string_end(struct hr_logscan *s)
{
	if (s->cap == C_KEY) {
		s->cur_key = K_OTHER;
		if (!s->overflow && s->blen == 9 && !memcmp(s->buf, "eventTime", 9))
			s->cur_key = K_TIME;
		else if (!s->overflow && s->blen == 9 && !memcmp(s->buf, "eventName", 9))
			s->cur_key = K_NAME;
		if (s->cur_key != K_OTHER) {
			/* a duplicate key: which one wins is the parser's call */
			if (s->seen & (1u << s->cur_key))
				s->need_exact = true;
			s->seen |= 1u << s->cur_key;
		}
		s->expect = X_COLON;
	} else if (s->cap == C_VALUE) {
		if (s->cur_key == K_TIME && !s->overflow && ct_time_shape(s->buf, s->blen)) {
			memcpy(s->rec_time, s->buf, HR_CT_TIME_LEN);
			s->rec_time[HR_CT_TIME_LEN] = '\0';
			s->rec_time_ok = true;
		} else if (s->cur_key == K_NAME) {
			s->rec_stop = !s->overflow && s->blen == 11 &&
				      !memcmp(s->buf, "StopLogging", 11);
		}
	}
	s->cap = C_NONE;
}

/* A value starts at record level that is not a string. */
static void nonstring_value(struct hr_logscan *s)
{
	if (s->cur_key == K_TIME)
		s->rec_time_ok = false;
	else if (s->cur_key == K_NAME)
		s->rec_stop = false;
	s->expect = X_NONE;
}

void hr_logscan_feed(struct hr_logscan *s, const unsigned char *p, size_t n)
{
	size_t i = 0;

	while (i < n && !s->need_exact) {
		unsigned char c;

		if (s->phase == P_PREFIX) {
			if (p[i++] != (unsigned char)prefix[s->pos++]) {
				s->need_exact = true;
				return;
			}
			if (!prefix[s->pos]) {
				s->phase = P_BODY;
				s->depth = 2;
			}
			continue;
		}
		if (s->in_str) {
			if (s->esc) {
				s->esc = false;
				/* an escape in a key, or in a value we read */
				if (s->cap != C_NONE)
					s->need_exact = true;
				i++;
				continue;
			}
			if (s->cap == C_NONE) {
				/* most bytes are in strings: find the closing quote with
				 * memchr and count the backslashes before it (everything
				 * before i is accounted for, so the run starts at i) */
				const unsigned char *q = memchr(p + i, '"', n - i);
				size_t bs = 0;

				while (q) {
					for (bs = 0;
					     q - bs > p + i && q[-1 - (ptrdiff_t)bs] == '\\'; bs++)
						;
					if (!(bs & 1))
						break;
					q = memchr(q + 1, '"', (size_t)(p + n - q - 1));
				}
				if (!q) {
					/* the chunk ends inside the string: is its last
					 * byte an unfinished escape? */
					for (bs = 0; n - bs > i && p[n - 1 - bs] == '\\'; bs++)
						;
					s->esc = bs & 1;
					break;
				}
				i = (size_t)(q - p);
			}
			c = p[i++];
			if (c == '\\') {
				s->esc = true;
			} else if (c == '"') {
				s->in_str = false;
				string_end(s);
			} else if (s->blen < sizeof(s->buf)) {
				s->buf[s->blen++] = (char)c;
			} else {
				s->overflow = true;
			}
			continue;
		}
		/* inside a nested value only quotes and brackets matter: skip
		 * the rest in a tight loop (most of a record is nested) */
		if (s->depth >= 4) {
			while (i < n && !structural[p[i]])
				i++;
			if (i == n)
				break;
		}
		c = p[i++];
		if (c == ' ' || c == '\n' || c == '\t' || c == '\r')
			continue;
		if (s->phase == P_SUFFIX) {
			if (c != '}')
				s->need_exact = true; /* more than Records at the top */
			s->phase = P_TAIL;
			continue;
		}
		if (s->phase == P_TAIL) {
			s->need_exact = true;
			continue;
		}
		switch (c) {
		case '"':
			s->in_str = true;
			s->blen = 0;
			s->overflow = false;
			s->cap = C_NONE;
			if (s->depth == 3 && s->expect == X_KEY) {
				s->cap = C_KEY;
			} else if (s->depth == 3 && s->expect == X_VALUE) {
				if (s->cur_key != K_OTHER)
					s->cap = C_VALUE;
				s->expect = X_NONE;
			} else if (s->depth == 2) {
				s->need_exact = true; /* a record that is not an object */
			}
			break;
		case '{':
		case '[':
			if (s->depth == 2) {
				if (c != '{') {
					s->need_exact = true;
					break;
				}
				record_begin(s);
			} else if (s->depth == 3 && s->expect == X_VALUE) {
				nonstring_value(s);
			}
			s->depth++;
			break;
		case '}':
		case ']':
			s->depth--;
			if (s->depth == 2)
				record_end(s);
			else if (s->depth == 1)
				s->phase = P_SUFFIX;
			else if (s->depth < 1)
				s->need_exact = true;
			break;
		case ',':
			if (s->depth == 3)
				s->expect = X_KEY;
			break;
		case ':':
			if (s->depth == 3)
				s->expect = X_VALUE;
			break;
		default:
			if (s->depth == 3 && s->expect == X_VALUE)
				nonstring_value(s);
			else if (s->depth == 2)
				s->need_exact = true;
		}
	}
}

void hr_logscan_end(struct hr_logscan *s)
{
	if (s->phase != P_TAIL || s->in_str)
		s->need_exact = true;
}

int hr_logscan_exact(struct hr_logscan *s, const char *doc, size_t len)
{
	json_error_t jerr;
	json_t *root, *recs, *r;
	size_t i;

	hr_logscan_init(s);
	root = json_loadb(doc, len, 0, &jerr);
	recs = root ? json_object_get(root, "Records") : NULL;
	if (!json_is_object(root) || !json_is_array(recs)) {
		json_decref(root);
		return -EINVAL;
	}
	json_array_foreach(recs, i, r) {
		json_t *t = json_object_get(r, "eventTime"),
		       *name = json_object_get(r, "eventName");

		s->records++;
		if (json_is_string(t) && ct_time_shape(json_string_value(t), json_string_length(t)))
			take_time(s, json_string_value(t));
		else
			s->bad_times++;
		if (json_is_string(name) && !strcmp(json_string_value(name), "StopLogging"))
			s->stop_logging = true;
	}
	json_decref(root);
	return 0;
}

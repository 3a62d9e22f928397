// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* jsonw.c - the record path's JSON writer (see jsonw.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "jsonw.h"

#define JW_DEFAULT_CAP 4096

static const char hexdig[16] = "0123456789abcdef";

/*
 * For each ASCII byte: 0 = copy as is, otherwise the character after the
 * backslash ('u' = \u00XX). NUL is handled as invalid before this table.
 */
static const char esc[128] = {
	['\b'] = 'b', ['\t'] = 't', ['\n'] = 'n', ['\f'] = 'f',	 ['\r'] = 'r', [0x01] = 'u',
	[0x02] = 'u', [0x03] = 'u', [0x04] = 'u', [0x05] = 'u',	 [0x06] = 'u', [0x07] = 'u',
	[0x0b] = 'u', [0x0e] = 'u', [0x0f] = 'u', [0x10] = 'u',	 [0x11] = 'u', [0x12] = 'u',
	[0x13] = 'u', [0x14] = 'u', [0x15] = 'u', [0x16] = 'u',	 [0x17] = 'u', [0x18] = 'u',
	[0x19] = 'u', [0x1a] = 'u', [0x1b] = 'u', [0x1c] = 'u',	 [0x1d] = 'u', [0x1e] = 'u',
	[0x1f] = 'u', [0x7f] = 'u', ['"'] = '"',  ['\\'] = '\\',
};

int jw_init(struct jsonw *w, size_t cap_hint)
{
	memset(w, 0, sizeof(*w));
	w->cap = cap_hint ? cap_hint : JW_DEFAULT_CAP;
	w->buf = malloc(w->cap);
	if (!w->buf) {
		w->cap = 0;
		w->err = -ENOMEM;
		return -ENOMEM;
	}
	w->buf[0] = '\0';
	return 0;
}

void jw_free(struct jsonw *w)
{
	if (!w)
		return;
	free(w->buf);
	memset(w, 0, sizeof(*w));
}

void jw_reset(struct jsonw *w)
{
	w->len = 0;
	w->err = w->buf ? 0 : -ENOMEM;
	w->depth = 0;
	w->need_comma = 0;
	w->in_object = 0;
	w->after_key = false;
	if (w->buf)
		w->buf[0] = '\0';
}

int jw_error(const struct jsonw *w)
{
	if (w->err)
		return w->err;
	/* Unbalanced at the end is the builder's bug; say so. */
	return (w->depth || w->after_key) ? -EINVAL : 0;
}

const char *jw_text(const struct jsonw *w, size_t *len)
{
	if (w->err || !w->buf) {
		if (len)
			*len = 0;
		return "";
	}
	if (len)
		*len = w->len;
	return w->buf;
}

/* Make room for n more bytes plus a NUL. */
static bool reserve(struct jsonw *w, size_t n)
{
	size_t need, cap;
	char *p;

	if (w->err)
		return false;
	need = w->len + n + 1;
	if (need <= w->cap)
		return true;
	cap = w->cap ? w->cap : JW_DEFAULT_CAP;
	while (cap < need)
		cap *= 2;
	p = realloc(w->buf, cap);
	if (!p) {
		w->err = -ENOMEM;
		return false;
	}
	w->buf = p;
	w->cap = cap;
	return true;
}

static inline void put(struct jsonw *w, const char *s, size_t n)
{
	if (!reserve(w, n))
		return;
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

static inline void putc1(struct jsonw *w, char c)
{
	if (!reserve(w, 1))
		return;
	w->buf[w->len++] = c;
	w->buf[w->len] = '\0';
}

/* Before any value or key: the comma, and the check that a key is (or is
 * not) expected here. */
static bool pre_value(struct jsonw *w)
{
	uint64_t bit;

	if (w->err)
		return false;
	if (w->depth > 0) {
		bit = 1ULL << (w->depth - 1);
		if ((w->in_object & bit) && !w->after_key) {
			w->err = -EINVAL; /* value without a key */
			return false;
		}
		if (!w->after_key && (w->need_comma & bit))
			putc1(w, ',');
		w->need_comma |= bit;
	} else if (w->len && !w->after_key) {
		w->err = -EINVAL; /* a second top-level value */
		return false;
	}
	w->after_key = false;
	return !w->err;
}

static void begin(struct jsonw *w, char c, bool obj)
{
	uint64_t bit;

	if (!pre_value(w))
		return;
	if (w->depth >= JW_MAX_DEPTH) {
		w->err = -E2BIG;
		return;
	}
	putc1(w, c);
	bit = 1ULL << w->depth;
	w->need_comma &= ~bit;
	if (obj)
		w->in_object |= bit;
	else
		w->in_object &= ~bit;
	w->depth++;
}

static void end(struct jsonw *w, char c, bool obj)
{
	uint64_t bit;

	if (w->err)
		return;
	if (w->depth == 0 || w->after_key) {
		w->err = -EINVAL;
		return;
	}
	bit = 1ULL << (w->depth - 1);
	if (!!(w->in_object & bit) != obj) {
		w->err = -EINVAL;
		return;
	}
	w->depth--;
	putc1(w, c);
}

void jw_obj_begin(struct jsonw *w)
{
	begin(w, '{', true);
}
void jw_obj_end(struct jsonw *w)
{
	end(w, '}', true);
}
void jw_arr_begin(struct jsonw *w)
{
	begin(w, '[', false);
}
void jw_arr_end(struct jsonw *w)
{
	end(w, ']', false);
}

/*
 * Length of the valid UTF-8 sequence at p (at most n bytes), or 0 if the
 * byte at p does not start one. Rejects overlongs (C0, C1, E0 80..9F,
 * F0 80..8F), surrogates (ED A0..BF) and code points past U+10FFFF
 * (F4 90.., F5..FF), and sequences cut short.
 */
static inline size_t utf8_seq(const unsigned char *p, size_t n)
{
	unsigned char c = p[0], lo = 0x80, hi = 0xbf;
	size_t len;

	if (c < 0x80)
		return c ? 1 : 0;
	if (c < 0xc2)
		return 0;
	if (c < 0xe0) {
		len = 2;
	} else if (c < 0xf0) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c < 0xf5) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else {
		return 0;
	}
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

bool hr_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, l;

	while (i < len) {
		if (p[i] >= 0x01 && p[i] < 0x80) {
			i++;
			continue;
		}
		l = utf8_seq(p + i, len - i);
		if (!l)
			return false;
		i += l;
	}
	return true;
}

/* The string body, without quotes. Returns true if nothing was replaced. */
static bool put_escaped(struct jsonw *w, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	bool exact = true;
	size_t i = 0, run, l;
	char *o;

	/* Worst case is 6 output bytes per input byte (\u00XX); reserving
	 * it up front keeps the loop free of bounds checks. */
	if (!reserve(w, len * 6))
		return false;
	o = w->buf + w->len;
	while (i < len) {
		/* Copy the longest run of plain printable ASCII at once. */
		run = i;
		while (run < len && p[run] < 0x80 && p[run] >= 0x20 && !esc[p[run]])
			run++;
		if (run > i) {
			memcpy(o, p + i, run - i);
			o += run - i;
			i = run;
			if (i == len)
				break;
		}
		if (p[i] < 0x80 && p[i] != 0) {
			char e = esc[p[i]];

			*o++ = '\\';
			*o++ = e;
			if (e == 'u') {
				*o++ = '0';
				*o++ = '0';
				*o++ = hexdig[p[i] >> 4];
				*o++ = hexdig[p[i] & 15];
			}
			i++;
			continue;
		}
		l = utf8_seq(p + i, len - i);
		if (l) {
			memcpy(o, p + i, l);
			o += l;
			i += l;
		} else {
			/* U+FFFD REPLACEMENT CHARACTER, one per bad byte */
			*o++ = (char)0xef;
			*o++ = (char)0xbf;
			*o++ = (char)0xbd;
			exact = false;
			i++;
		}
	}
	w->len = (size_t)(o - w->buf);
	w->buf[w->len] = '\0';
	return exact;
}

void jw_key(struct jsonw *w, const char *key)
{
	uint64_t bit;

	if (w->err)
		return;
	if (w->depth == 0 || w->after_key || !(w->in_object & (bit = 1ULL << (w->depth - 1)))) {
		w->err = -EINVAL;
		return;
	}
	if (w->need_comma & bit)
		putc1(w, ',');
	w->need_comma |= bit;
	putc1(w, '"');
	put_escaped(w, key, strlen(key));
	put(w, "\":", 2);
	w->after_key = true;
}

bool jw_strn(struct jsonw *w, const char *s, size_t len)
{
	bool exact;

	if (!pre_value(w))
		return true;
	putc1(w, '"');
	exact = put_escaped(w, s, len);
	putc1(w, '"');
	return exact;
}

void jw_str(struct jsonw *w, const char *s)
{
	if (!s)
		jw_null(w);
	else
		jw_strn(w, s, strlen(s));
}

/* Decimal digits of v, right-aligned ending at end; returns the start. */
static char *utoa_rev(uint64_t v, char *end)
{
	do {
		*--end = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return end;
}

void jw_uint(struct jsonw *w, uint64_t v)
{
	char tmp[24], *s;

	if (!pre_value(w))
		return;
	s = utoa_rev(v, tmp + sizeof(tmp));
	put(w, s, (size_t)(tmp + sizeof(tmp) - s));
}

void jw_int(struct jsonw *w, int64_t v)
{
	char tmp[24], *s;
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

	if (!pre_value(w))
		return;
	s = utoa_rev(u, tmp + sizeof(tmp));
	if (v < 0)
		*--s = '-';
	put(w, s, (size_t)(tmp + sizeof(tmp) - s));
}

void jw_bool(struct jsonw *w, bool v)
{
	if (!pre_value(w))
		return;
	if (v)
		put(w, "true", 4);
	else
		put(w, "false", 5);
}

void jw_null(struct jsonw *w)
{
	if (!pre_value(w))
		return;
	put(w, "null", 4);
}

void jw_raw(struct jsonw *w, const char *json, size_t len)
{
	if (!pre_value(w))
		return;
	put(w, json, len);
}

void jw_hex(struct jsonw *w, const void *p, size_t len)
{
	const unsigned char *b = p;
	char *o;

	if (!pre_value(w) || !reserve(w, 2 * len + 2))
		return;
	o = w->buf + w->len;
	*o++ = '"';
	for (size_t i = 0; i < len; i++) {
		*o++ = hexdig[b[i] >> 4];
		*o++ = hexdig[b[i] & 15];
	}
	*o++ = '"';
	w->len = (size_t)(o - w->buf);
	w->buf[w->len] = '\0';
}

void jw_strf(struct jsonw *w, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0) {
		if (!w->err)
			w->err = -EINVAL;
		return;
	}
	jw_strn(w, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

bool jw_kstr(struct jsonw *w, const char *key, const char *s, size_t len)
{
	uint64_t bit;

	jw_key(w, key);
	if (jw_strn(w, s, len))
		return true;
	if (w->err)
		return false;
	/* "<key>Hex": written as one key so no temporary name is needed. */
	bit = 1ULL << (w->depth - 1);
	w->need_comma |= bit;
	putc1(w, ',');
	putc1(w, '"');
	put_escaped(w, key, strlen(key));
	put(w, "Hex\":", 5);
	w->after_key = true;
	jw_hex(w, s, len);
	return false;
}

void jw_kstrz(struct jsonw *w, const char *key, const char *s)
{
	jw_key(w, key);
	jw_str(w, s);
}

void jw_kint(struct jsonw *w, const char *key, int64_t v)
{
	jw_key(w, key);
	jw_int(w, v);
}

void jw_kuint(struct jsonw *w, const char *key, uint64_t v)
{
	jw_key(w, key);
	jw_uint(w, v);
}

void jw_kbool(struct jsonw *w, const char *key, bool v)
{
	jw_key(w, key);
	jw_bool(w, v);
}

void jw_knull(struct jsonw *w, const char *key)
{
	jw_key(w, key);
	jw_null(w);
}

char *hr_utf8_sanitize(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, l;
	char *out, *o;

	out = malloc(len * 3 + 1);
	if (!out)
		return NULL;
	o = out;
	while (i < len) {
		l = utf8_seq(p + i, len - i);
		if (l) {
			memcpy(o, p + i, l);
			o += l;
			i += l;
		} else {
			memcpy(o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
		}
	}
	*o = '\0';
	return out;
}

/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * jsonw.h - a small, fast JSON writer for the record path.
 *
 * Appends compact JSON to a growable buffer. Commas are placed by the
 * writer; the caller only says begin/end, key and value. Errors (out of
 * memory, nesting too deep, unbalanced end) are sticky: every call after
 * the first failure does nothing and jw_error() reports it once at the end,
 * so builders need not check each call.
 *
 * Strings are untrusted bytes: quotes, backslashes, control bytes and DEL
 * are escaped; bytes that are not valid UTF-8 (and NUL, which common
 * parsers refuse even as \u0000) become U+FFFD. jw_kstr() then adds a
 * sibling "<key>Hex" with the exact bytes, so nothing is lost.
 */
#ifndef HOSTRAIL_JSONW_H
#define HOSTRAIL_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JW_MAX_DEPTH 64

struct jsonw {
	char *buf;
	size_t len;
	size_t cap;
	int err; /* 0 or the first -errno */
	int depth;
	uint64_t need_comma; /* bit d: a value was written at depth d */
	uint64_t in_object;  /* bit d: depth d is an object */
	bool after_key;	     /* a key was written, its value comes next */
};

/* Start with cap_hint bytes (0: a default). Returns 0 or -ENOMEM. */
int jw_init(struct jsonw *w, size_t cap_hint);
/* Free the buffer; NULL-safe; leaves *w zeroed. */
void jw_free(struct jsonw *w);
/* Empty the buffer (keeping its memory) and clear errors. */
void jw_reset(struct jsonw *w);
/* 0, or the first error met since init/reset. */
int jw_error(const struct jsonw *w);
/* The text written so far, NUL-terminated (empty string on error). */
const char *jw_text(const struct jsonw *w, size_t *len);

void jw_obj_begin(struct jsonw *w);
void jw_obj_end(struct jsonw *w);
void jw_arr_begin(struct jsonw *w);
void jw_arr_end(struct jsonw *w);

/* A member name: trusted, NUL-terminated; escaped all the same. */
void jw_key(struct jsonw *w, const char *key);

/* Values. jw_strn returns true if s was valid UTF-8 without NUL, i.e.
 * written exactly; false if bytes were replaced by U+FFFD. */
bool jw_strn(struct jsonw *w, const char *s, size_t len);
void jw_str(struct jsonw *w, const char *s); /* NUL-terminated; NULL -> null */
void jw_int(struct jsonw *w, int64_t v);
void jw_uint(struct jsonw *w, uint64_t v);
void jw_bool(struct jsonw *w, bool v);
void jw_null(struct jsonw *w);
/* A pre-formed JSON value, copied verbatim: the caller vouches for it. */
void jw_raw(struct jsonw *w, const char *json, size_t len);
/* A string value of lower-case hex digits of the bytes. */
void jw_hex(struct jsonw *w, const void *p, size_t len);
/* A string value from printf formatting (short: up to 255 bytes). */
void jw_strf(struct jsonw *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * key + string in one call, for untrusted bytes: writes "key":"<text>" and,
 * if the bytes were not written exactly, "keyHex":"<hex of the bytes>"
 * right after it. Returns true if the value was exact.
 */
bool jw_kstr(struct jsonw *w, const char *key, const char *s, size_t len);

/* key + value shorthands. */
void jw_kstrz(struct jsonw *w, const char *key, const char *s); /* NULL -> null */
void jw_kint(struct jsonw *w, const char *key, int64_t v);
void jw_kuint(struct jsonw *w, const char *key, uint64_t v);
void jw_kbool(struct jsonw *w, const char *key, bool v);
void jw_knull(struct jsonw *w, const char *key);

/* True if the len bytes are valid UTF-8 (no overlongs, surrogates or
 * code points past U+10FFFF) and contain no NUL. */
bool hr_utf8_valid(const char *s, size_t len);

/* A NUL-terminated, valid UTF-8 copy with every invalid byte (and NUL)
 * replaced by U+FFFD; malloc'd, NULL on ENOMEM. */
char *hr_utf8_sanitize(const char *s, size_t len);

#endif

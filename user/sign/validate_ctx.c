// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* validate_ctx.c - validate-logs' findings and containers (validate_ctx.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "common/grow.h"
#include "sign/validate_ctx.h"

/* ---- small containers ---- */

int vl_strv_push(struct strv *s, char *str)
{
	if (!str)
		return -ENOMEM;
	if (hr_grow(&s->v, &s->cap, s->n, sizeof(*s->v), 64)) {
		free(str);
		return -ENOMEM;
	}
	s->v[s->n++] = str;
	return 0;
}

void vl_strv_free(struct strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

int vl_cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static uint64_t fnv(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

const char *vl_sset_get(const struct sset *s, const char *k)
{
	if (!s->cap)
		return NULL;
	for (size_t i = fnv(k) & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
		if (!s->slot[i])
			return NULL;
		if (!strcmp(s->slot[i], k))
			return s->slot[i];
	}
}

/* Add k (copied); 1 if it was new, 0 if it was there, -ENOMEM. */
int vl_sset_add(struct sset *s, const char *k)
{
	if (2 * (s->n + 1) > s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 256;
		char **slot = calloc(cap, sizeof(char *));

		if (!slot)
			return -ENOMEM;
		for (size_t i = 0; i < s->cap; i++) {
			size_t j;

			if (!s->slot[i])
				continue;
			for (j = fnv(s->slot[i]) & (cap - 1); slot[j]; j = (j + 1) & (cap - 1))
				;
			slot[j] = s->slot[i];
		}
		free(s->slot);
		s->slot = slot;
		s->cap = cap;
	}
	for (size_t i = fnv(k) & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
		if (!s->slot[i]) {
			s->slot[i] = strdup(k);
			if (!s->slot[i])
				return -ENOMEM;
			s->n++;
			return 1;
		}
		if (!strcmp(s->slot[i], k))
			return 0;
	}
}

void vl_sset_free(struct sset *s)
{
	for (size_t i = 0; i < s->cap; i++)
		free(s->slot[i]);
	free(s->slot);
	memset(s, 0, sizeof(*s));
}

char *vl_xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	return n < 0 ? NULL : s;
}

size_t vl_add_entry(struct ctx *c, int kind, bool valid, const char *bucket, const char *key,
		    char *reason)
{
	struct entry *e;

	if (hr_grow(&c->ents, &c->cap_ents, c->n_ents, sizeof(*c->ents), 256)) {
		free(reason);
		c->oom = true;
		return SIZE_MAX;
	}
	e = &c->ents[c->n_ents];
	e->kind = kind;
	e->valid = valid;
	e->bucket = bucket ? strdup(bucket) : NULL;
	e->key = key ? strdup(key) : NULL;
	e->reason = reason;
	return c->n_ents++;
}

/* A line aws-cli called valid turns INVALID (the first reason wins). */
void vl_invalidate(struct ctx *c, size_t ent, char *reason)
{
	struct entry *e = ent < c->n_ents ? &c->ents[ent] : NULL;

	if (!e || !e->valid) {
		free(reason);
		return;
	}
	e->valid = false;
	e->reason = reason;
}

/* Python's str() of a JSON value, as aws-cli formats it into messages. */
char *vl_pystr(json_t *v)
{
	if (json_is_string(v))
		return strdup(json_string_value(v));
	if (!v || json_is_null(v))
		return strdup("None");
	if (json_is_true(v))
		return strdup("True");
	if (json_is_false(v))
		return strdup("False");
	return json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
}

const char *vl_jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

char *vl_s3(const struct ctx *c, const char *key)
{
	return vl_xasprintf("s3://%s/%s", c->bucket, key);
}

bool vl_is_null(json_t *doc, const char *k)
{
	json_t *v = json_object_get(doc, k);

	return !v || json_is_null(v);
}

int64_t vl_slack(const struct ctx *c)
{
	int64_t s = c->period / 10;

	return (s < 5 ? 5 : s) + 1;
}

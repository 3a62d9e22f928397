// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * pattern_match.c - one compiled pattern against one event (pattern.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include "rules/pattern.h"
#include "rules/pattern_int.h"

/* ASCII case folding only: hostrail's records are ASCII names and paths
 * where it matters; EventBridge folds Unicode (docs/rules.md). */
static bool bytes_eq(const char *a, const char *b, size_t len, bool ignore_case)
{
	return ignore_case ? !strncasecmp(a, b, len) : !memcmp(a, b, len);
}

static bool glob_match(const struct hr_pt_glob *g, const char *s, size_t len)
{
	size_t first = g->lens[0], last = g->lens[g->n_parts - 1];
	size_t at, end;

	if (g->n_parts == 1)
		return len == first && !memcmp(s, g->parts[0], len);
	if (len < first + last || memcmp(s, g->parts[0], first) ||
	    memcmp(s + len - last, g->parts[g->n_parts - 1], last))
		return false;
	/* The middle parts, leftmost first: a glob of only stars needs no
	 * backtracking, the earliest place for each part is always best. */
	at = first;
	end = len - last;
	for (size_t i = 1; i + 1 < g->n_parts; i++) {
		const char *hit = memmem(s + at, end - at, g->parts[i], g->lens[i]);

		if (!hit)
			return false;
		at = (size_t)(hit - s) + g->lens[i];
	}
	return true;
}

static bool string_test(const struct hr_pt_test *t, const struct hr_pt_lit *l, const char *s,
			size_t len)
{
	switch (t->op) {
	case HR_PT_EXACT:
		return l->type == JSON_STRING && len == l->len &&
		       bytes_eq(s, l->s, len, t->ignore_case);
	case HR_PT_PREFIX:
		return len >= l->len && bytes_eq(s, l->s, l->len, t->ignore_case);
	case HR_PT_SUFFIX:
		return len >= l->len && bytes_eq(s + len - l->len, l->s, l->len, t->ignore_case);
	case HR_PT_WILDCARD:
		return glob_match(&l->glob, s, len);
	default:
		return false;
	}
}

static bool scalar_lit(const struct hr_pt_test *t, const struct hr_pt_lit *l, const json_t *v)
{
	if (json_is_string(v))
		return string_test(t, l, json_string_value(v), json_string_length(v));
	if (t->op != HR_PT_EXACT)
		return false;
	if (json_is_number(v))
		return l->type == JSON_REAL && json_number_value(v) == l->d;
	return l->type == json_typeof(v);
}

static bool in_range(const struct hr_pt_test *t, double d)
{
	if (t->has_lo && (t->lo_open ? d <= t->lo : d < t->lo))
		return false;
	if (t->has_hi && (t->hi_open ? d >= t->hi : d > t->hi))
		return false;
	return true;
}

static bool in_cidr(const struct hr_pt_test *t, const json_t *v)
{
	unsigned char ip[16];
	int full = t->bits / 8, rest = t->bits % 8;

	if (!json_is_string(v) || inet_pton(t->family, json_string_value(v), ip) != 1)
		return false;
	if (memcmp(ip, t->net, full))
		return false;
	return !rest || ((ip[full] ^ t->net[full]) & (0xff << (8 - rest)) & 0xff) == 0;
}

/* Does the test hold for one leaf value (not an array or object)? */
static bool value_test(const struct hr_pt_test *t, const json_t *v)
{
	bool hit = false;

	if (t->op == HR_PT_NUMERIC)
		return json_is_number(v) && in_range(t, json_number_value(v));
	if (t->op == HR_PT_CIDR)
		return in_cidr(t, v);
	for (size_t i = 0; i < t->n_lits && !hit; i++)
		hit = scalar_lit(t, &t->lits[i], v);
	return hit != t->negate;
}

static bool has_leaf_value(const json_t *v)
{
	size_t i;
	json_t *e;

	if (!v || json_is_object(v))
		return false;
	if (!json_is_array(v))
		return true;
	json_array_foreach(v, i, e)
		if (has_leaf_value(e))
			return true;
	return false;
}

/* Any leaf value at v (through arrays) that passes t. */
static bool any_value(const struct hr_pt_test *t, const json_t *v)
{
	size_t i;
	json_t *e;

	if (!v || json_is_object(v))
		return false;
	if (!json_is_array(v))
		return value_test(t, v);
	json_array_foreach(v, i, e)
		if (any_value(t, e))
			return true;
	return false;
}

static bool leaf_match(const struct hr_pt_leaf *leaf, const json_t *v)
{
	for (size_t i = 0; i < leaf->n_tests; i++) {
		const struct hr_pt_test *t = &leaf->tests[i];

		if (t->op == HR_PT_EXISTS ? t->exists == has_leaf_value(v) : any_value(t, v))
			return true;
	}
	return false;
}

/* All of the node's fields hold in ONE object; under an array, in one of
 * its elements (array consistency). v NULL: nothing there. */
static bool node_match(const struct hr_pt_node *n, const json_t *v)
{
	size_t i;
	json_t *e;

	if (json_is_array(v) && json_array_size(v)) {
		json_array_foreach(v, i, e)
			if (node_match(n, e))
				return true;
		return false;
	}
	for (i = 0; i < n->n; i++) {
		const struct hr_pt_field *f = &n->fields[i];
		const json_t *sub = json_is_object(v) ? json_object_get(v, f->name) : NULL;

		if (f->leaf && !leaf_match(f->leaf, sub))
			return false;
		if (f->child && !node_match(f->child, sub))
			return false;
	}
	return true;
}

bool hr_pt_branch_match(const struct hr_pt_branch *b, const json_t *event)
{
	return node_match(b->root, event);
}

bool hr_pattern_match(const struct hr_pattern *p, const json_t *event)
{
	for (size_t i = 0; i < p->n_branches; i++)
		if (hr_pt_branch_match(&p->branches[i], event))
			return true;
	return false;
}

/* ---- index keys (ruleset.c) ---- */

int hr_pt_buf_put(struct hr_pt_buf *b, const void *data, size_t len)
{
	if (b->len + len + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 128;
		char *grown;

		while (cap < b->len + len + 1)
			cap *= 2;
		grown = realloc(b->p, cap);
		if (!grown)
			return -ENOMEM;
		b->p = grown;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
	b->p[b->len] = '\0';
	return 0;
}

static int number_key(struct hr_pt_buf *b, double d)
{
	char text[40];
	int n = snprintf(text, sizeof(text), "n%.17g", d == 0 ? 0.0 : d);

	return hr_pt_buf_put(b, text, (size_t)n);
}

int hr_pt_value_key(struct hr_pt_buf *b, const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		if (hr_pt_buf_put(b, "s", 1))
			return -ENOMEM;
		return hr_pt_buf_put(b, json_string_value(v), json_string_length(v));
	case JSON_INTEGER:
	case JSON_REAL:
		return number_key(b, json_number_value(v));
	case JSON_TRUE:
		return hr_pt_buf_put(b, "t", 1);
	case JSON_FALSE:
		return hr_pt_buf_put(b, "f", 1);
	case JSON_NULL:
		return hr_pt_buf_put(b, "z", 1);
	default:
		return -EINVAL;
	}
}

int hr_pt_lit_key(struct hr_pt_buf *b, const struct hr_pt_lit *l)
{
	switch (l->type) {
	case JSON_STRING:
		if (hr_pt_buf_put(b, "s", 1))
			return -ENOMEM;
		return hr_pt_buf_put(b, l->s, l->len);
	case JSON_REAL:
		return number_key(b, l->d);
	case JSON_TRUE:
		return hr_pt_buf_put(b, "t", 1);
	case JSON_FALSE:
		return hr_pt_buf_put(b, "f", 1);
	default:
		return hr_pt_buf_put(b, "z", 1);
	}
}

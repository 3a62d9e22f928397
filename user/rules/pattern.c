// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * pattern.c - parse and validate an EventBridge pattern into branches
 * (pattern.h). The reason texts are EventBridge's, kept verbatim: users
 * search for them.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include "rules/pattern.h"
#include "rules/pattern_int.h"

/* $or forks branches; a few nested ones multiply. Past this the pattern
 * is refused rather than compiled into an unbounded number of branches. */
#define MAX_BRANCHES 256

struct parse {
	struct hr_pattern *p;
	char *err;
	size_t errlen;
	bool failed;
};

/* A list of branches while parsing (the pattern's final one at the end). */
struct blist {
	size_t n;
	struct hr_pt_branch *b;
};

static bool fail(struct parse *ps, const char *fmt, ...)
{
	char reason[512];
	va_list ap;

	if (ps->failed)
		return false;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	snprintf(ps->err, ps->errlen, "Event pattern is not valid. Reason: %s", reason);
	ps->failed = true;
	return false;
}

static bool nomem(struct parse *ps)
{
	return fail(ps, "out of memory");
}

/* ---- freeing ---- */

static void free_node(struct hr_pt_node *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n; i++) {
		free(n->fields[i].name);
		free_node(n->fields[i].child);
	}
	free(n->fields);
	free(n);
}

static void free_branch(struct hr_pt_branch *b)
{
	for (size_t i = 0; i < b->n_paths; i++)
		free(b->paths[i].path);
	free(b->paths);
	free_node(b->root);
}

static void free_blist(struct blist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free_branch(&l->b[i]);
	free(l->b);
	l->b = NULL;
	l->n = 0;
}

static void free_test(struct hr_pt_test *t)
{
	for (size_t i = 0; i < t->n_lits; i++) {
		struct hr_pt_glob *g = &t->lits[i].glob;

		for (size_t j = 0; j < g->n_parts; j++)
			free(g->parts[j]);
		free(g->parts);
		free(g->lens);
		free(t->lits[i].s);
	}
	free(t->lits);
}

static void free_leaf(struct hr_pt_leaf *l)
{
	for (size_t i = 0; i < l->n_tests; i++)
		free_test(&l->tests[i]);
	free(l->tests);
	free(l);
}

void hr_pattern_free(struct hr_pattern *p)
{
	if (!p)
		return;
	struct blist l = {p->n_branches, p->branches};

	free_blist(&l);
	for (size_t i = 0; i < p->n_leaves; i++)
		free_leaf(p->leaves[i]);
	free(p->leaves);
	free(p);
}

/* ---- branches ---- */

static bool copy_branch(struct hr_pt_branch *to, const struct hr_pt_branch *from)
{
	to->root = NULL;
	to->n_paths = 0;
	to->paths = calloc(from->n_paths + 1, sizeof(*to->paths));
	if (!to->paths)
		return false;
	for (size_t i = 0; i < from->n_paths; i++) {
		to->paths[i].path = strdup(from->paths[i].path);
		to->paths[i].leaf = from->paths[i].leaf;
		if (!to->paths[i].path)
			return false;
		to->n_paths++;
	}
	return true;
}

static bool copy_blist(struct parse *ps, struct blist *to, const struct blist *from)
{
	to->n = 0;
	to->b = calloc(from->n + 1, sizeof(*to->b));
	if (!to->b)
		return nomem(ps);
	for (size_t i = 0; i < from->n; i++) {
		bool ok = copy_branch(&to->b[i], &from->b[i]);

		to->n++;
		if (!ok)
			return nomem(ps);
	}
	return true;
}

/* Set path to leaf in one branch; a repeated path takes the later leaf, as
 * Ruler's map does. */
static bool branch_put(struct hr_pt_branch *b, const char *path, struct hr_pt_leaf *leaf)
{
	struct hr_pt_path *grown;

	for (size_t i = 0; i < b->n_paths; i++) {
		if (!strcmp(b->paths[i].path, path)) {
			b->paths[i].leaf = leaf;
			return true;
		}
	}
	grown = realloc(b->paths, (b->n_paths + 1) * sizeof(*grown));
	if (!grown)
		return false;
	b->paths = grown;
	grown[b->n_paths].path = strdup(path);
	grown[b->n_paths].leaf = leaf;
	if (!grown[b->n_paths].path)
		return false;
	b->n_paths++;
	return true;
}

static bool blist_put(struct parse *ps, struct blist *l, const char *path, struct hr_pt_leaf *leaf)
{
	if (l->n == 0) {
		free(l->b); /* an empty copy still has its array */
		l->b = calloc(1, sizeof(*l->b));
		if (!l->b)
			return nomem(ps);
		l->n = 1;
	}
	for (size_t i = 0; i < l->n; i++)
		if (!branch_put(&l->b[i], path, leaf))
			return nomem(ps);
	return true;
}

static bool keep_leaf(struct parse *ps, struct hr_pt_leaf *leaf)
{
	struct hr_pattern *p = ps->p;

	if (p->n_leaves == p->cap_leaves) {
		size_t cap = p->cap_leaves ? 2 * p->cap_leaves : 8;
		struct hr_pt_leaf **grown = realloc(p->leaves, cap * sizeof(*grown));

		if (!grown) {
			free_leaf(leaf);
			return nomem(ps);
		}
		p->leaves = grown;
		p->cap_leaves = cap;
	}
	p->leaves[p->n_leaves++] = leaf;
	return true;
}

/* ---- literals and matchers ---- */

static bool set_string(struct parse *ps, struct hr_pt_lit *l, const json_t *s)
{
	l->type = JSON_STRING;
	l->len = json_string_length(s);
	l->s = malloc(l->len + 1);
	if (!l->s)
		return nomem(ps);
	memcpy(l->s, json_string_value(s), l->len + 1);
	return true;
}

static bool set_literal(struct parse *ps, struct hr_pt_lit *l, const json_t *v)
{
	if (json_is_string(v))
		return set_string(ps, l, v);
	if (json_is_number(v)) {
		l->type = JSON_REAL;
		l->d = json_number_value(v);
		return true;
	}
	l->type = json_typeof(v);
	return true;
}

static struct hr_pt_lit *add_lits(struct parse *ps, struct hr_pt_test *t, size_t n)
{
	t->lits = calloc(n ? n : 1, sizeof(*t->lits));
	if (!t->lits) {
		nomem(ps);
		return NULL;
	}
	t->n_lits = n;
	return t->lits;
}

/* A matcher whose value is one string, e.g. {"prefix": "s"}. */
static bool one_string(struct parse *ps, struct hr_pt_test *t, const json_t *v, const char *what)
{
	if (!json_is_string(v))
		return fail(ps, "%s match pattern must be a string", what);
	if (!add_lits(ps, t, 1))
		return false;
	return set_string(ps, &t->lits[0], v);
}

/* Ruler reports the byte offset in the value as it quotes it: one more. */
static bool compile_glob(struct parse *ps, struct hr_pt_lit *l)
{
	struct hr_pt_glob *g = &l->glob;
	size_t stars = 0, o = 0;
	char *cur;

	for (size_t i = 0; i < l->len; i++) {
		if (l->s[i] == '*' && i + 1 < l->len && l->s[i + 1] == '*')
			return fail(ps, "Consecutive wildcard characters at pos %zu", i + 1);
		if (l->s[i] == '\\') {
			if (i + 1 >= l->len || (l->s[i + 1] != '*' && l->s[i + 1] != '\\'))
				return fail(ps, "Invalid escape character at pos %zu", i + 1);
			i++;
		} else if (l->s[i] == '*') {
			stars++;
		}
	}
	g->parts = calloc(stars + 1, sizeof(*g->parts));
	g->lens = calloc(stars + 1, sizeof(*g->lens));
	cur = malloc(l->len + 1);
	if (!g->parts || !g->lens || !cur) {
		free(cur);
		return nomem(ps);
	}
	for (size_t i = 0; i <= l->len; i++) {
		if (i == l->len || l->s[i] == '*') {
			g->parts[g->n_parts] = malloc(o + 1);
			if (!g->parts[g->n_parts]) {
				free(cur);
				return nomem(ps);
			}
			memcpy(g->parts[g->n_parts], cur, o);
			g->lens[g->n_parts++] = o;
			o = 0;
			continue;
		}
		if (l->s[i] == '\\')
			i++;
		cur[o++] = l->s[i];
	}
	free(cur);
	return true;
}

/* Numbers are parsed as doubles (an account number overflows jansson's
 * integers); an integral one prints as the integer it most likely was. */
static void format_number(double d, char *buf, size_t size)
{
	if (d == (double)(long long)d && d > -1e15 && d < 1e15)
		snprintf(buf, size, "%lld", (long long)d);
	else
		snprintf(buf, size, "%.17g", d);
}

/* A jansson value as Jackson's getText() shows it in a reason. */
static void token_text(const json_t *v, char *buf, size_t size)
{
	if (!v)
		snprintf(buf, size, "]");
	else if (json_is_array(v))
		snprintf(buf, size, "[");
	else if (json_is_object(v))
		snprintf(buf, size, "{");
	else if (json_is_string(v))
		snprintf(buf, size, "%s", json_string_value(v));
	else if (json_is_number(v))
		format_number(json_number_value(v), buf, size);
	else
		snprintf(buf, size, "%s",
			 json_is_true(v)  ? "true" :
			 json_is_false(v) ? "false" :
					    "null");
}

static bool numeric_value(struct parse *ps, const json_t *v, const char *op, double *out)
{
	if (!json_is_number(v))
		return fail(ps, "Value of %s must be numeric", !strcmp(op, "=") ? "equals" : op);
	*out = json_number_value(v);
	return true;
}

static bool numeric_upper(struct parse *ps, struct hr_pt_test *t, const json_t *a, size_t at)
{
	const json_t *op = json_array_get(a, at);
	char text[64];

	if (!json_is_string(op)) {
		token_text(op, text, sizeof(text));
		return fail(ps, "Bad value in numeric range: %s", text);
	}
	if (strcmp(json_string_value(op), "<") && strcmp(json_string_value(op), "<="))
		return fail(ps, "Bad numeric range operator: %s", json_string_value(op));
	t->has_hi = true;
	t->hi_open = !strcmp(json_string_value(op), "<");
	if (!numeric_value(ps, json_array_get(a, at + 1), json_string_value(op), &t->hi))
		return false;
	if (json_array_size(a) > at + 2)
		return fail(ps, "Too many terms in numeric range expression");
	if (t->has_lo && t->lo >= t->hi)
		return fail(ps, "Bottom must be less than top");
	return true;
}

static bool compile_numeric(struct parse *ps, struct hr_pt_test *t, const json_t *a)
{
	const json_t *first = json_array_get(a, 0);
	const char *op;
	char text[64];

	t->op = HR_PT_NUMERIC;
	if (!json_is_array(a))
		return fail(ps, "Value of numeric must be an array.");
	if (!json_is_string(first)) {
		token_text(first, text, sizeof(text));
		return fail(ps, "Invalid member in numeric match: %s", text);
	}
	op = json_string_value(first);
	if (!strcmp(op, "=")) {
		t->has_lo = t->has_hi = true;
		if (!numeric_value(ps, json_array_get(a, 1), op, &t->lo))
			return false;
		t->hi = t->lo;
	} else if (!strcmp(op, ">") || !strcmp(op, ">=")) {
		t->has_lo = true;
		t->lo_open = !strcmp(op, ">");
		if (!numeric_value(ps, json_array_get(a, 1), op, &t->lo))
			return false;
		return json_array_size(a) == 2 || numeric_upper(ps, t, a, 2);
	} else if (!strcmp(op, "<") || !strcmp(op, "<=")) {
		t->has_hi = true;
		t->hi_open = !strcmp(op, "<");
		if (!numeric_value(ps, json_array_get(a, 1), op, &t->hi))
			return false;
	} else {
		return fail(ps, "Unrecognized numeric range operator: %s", op);
	}
	if (json_array_size(a) > 2)
		return fail(ps, "Too many elements in numeric expression");
	return true;
}

static bool compile_cidr(struct parse *ps, struct hr_pt_test *t, const json_t *v)
{
	char addr[64], *slash, *end;
	const char *s;
	long bits;

	t->op = HR_PT_CIDR;
	if (!json_is_string(v))
		return fail(ps, "prefix match pattern must be a string");
	s = json_string_value(v);
	slash = strchr(s, '/');
	if (!slash || strchr(slash + 1, '/'))
		return fail(ps, "Malformed CIDR, one '/' required");
	bits = strtol(slash + 1, &end, 10);
	if (!slash[1] || *end)
		return fail(ps, "Malformed CIDR, mask bits must be an integer");
	snprintf(addr, sizeof(addr), "%.*s", (int)(slash - s), s);
	if (inet_pton(AF_INET, addr, t->net) == 1)
		t->family = AF_INET;
	else if (inet_pton(AF_INET6, addr, t->net) == 1)
		t->family = AF_INET6;
	if (!t->family || (size_t)(slash - s) >= sizeof(addr) || bits < 0 ||
	    bits > (t->family == AF_INET ? 32 : 128))
		return fail(ps, "Nonstandard IP address: %s", addr);
	t->bits = (int)bits;
	return true;
}

static bool compile_exists(struct parse *ps, struct hr_pt_test *t, const json_t *v)
{
	t->op = HR_PT_EXISTS;
	if (!json_is_boolean(v))
		return fail(ps, "exists match pattern must be either true or false.");
	t->exists = json_is_true(v);
	return true;
}

/* {"prefix": "s"} or {"prefix": {"equals-ignore-case": "s"}}; suffix alike. */
static bool compile_affix(struct parse *ps, struct hr_pt_test *t, const json_t *v, const char *name)
{
	t->op = !strcmp(name, "prefix") ? HR_PT_PREFIX : HR_PT_SUFFIX;
	if (json_is_object(v)) {
		const char *key = json_object_iter_key(json_object_iter((json_t *)v));

		if (!key || strcmp(key, "equals-ignore-case"))
			return fail(ps, "Unsupported %s pattern: %s", name, key ? key : "");
		if (json_object_size(v) > 1)
			return fail(ps, "Only one key allowed in match expression");
		t->ignore_case = true;
		return one_string(ps, t, json_object_get(v, key), "equals-ignore-case");
	}
	return one_string(ps, t, v, name);
}

/* anything-but's list or single value: all strings or all numbers. */
static bool anything_but_values(struct parse *ps, struct hr_pt_test *t, const json_t *v)
{
	size_t n = json_is_array(v) ? json_array_size(v) : 1;
	size_t strings = 0, numbers = 0;

	if (!json_is_array(v) && !json_is_string(v) && !json_is_number(v))
		return fail(ps, "Value of anything-but must be an array or single string/number "
				"value.");
	if (!add_lits(ps, t, n))
		return false;
	for (size_t i = 0; i < n; i++) {
		const json_t *e = json_is_array(v) ? json_array_get(v, i) : v;

		if (!json_is_string(e) && !json_is_number(e))
			return fail(ps, "Inside anything but list, start|null|boolean is not "
					"supported.");
		strings += json_is_string(e);
		numbers += json_is_number(e);
		if (!set_literal(ps, &t->lits[i], e))
			return false;
	}
	if ((strings && numbers) || n == 0)
		return fail(ps, "Inside anything but list, either all values are number or string, "
				"mixed type is not supported");
	return true;
}

/* A string or a list of strings, for the anything-but {op: ...} forms. */
static bool string_values(struct parse *ps, struct hr_pt_test *t, const json_t *v, const char *bad)
{
	size_t n = json_is_array(v) ? json_array_size(v) : 1;

	if (json_is_array(v) && n == 0)
		return fail(ps, "%s", bad);
	if (!add_lits(ps, t, n))
		return false;
	for (size_t i = 0; i < n; i++) {
		const json_t *e = json_is_array(v) ? json_array_get(v, i) : v;

		if (!json_is_string(e))
			return fail(ps, "%s", bad);
		if (!set_string(ps, &t->lits[i], e))
			return false;
	}
	return true;
}

static bool anything_but_op(struct parse *ps, struct hr_pt_test *t, const json_t *obj)
{
	const char *op = json_object_iter_key(json_object_iter((json_t *)obj));
	const json_t *v;

	if (!op)
		return fail(ps, "Anything-But expression name not found");
	v = json_object_get(obj, op);
	if (!strcmp(op, "equals-ignore-case")) {
		t->ignore_case = true;
		if (!json_is_array(v) && !json_is_string(v) && !json_is_number(v))
			return fail(ps, "Value of anything-but must be an array or single "
					"string/number value.");
		if (!string_values(ps, t, v,
				   json_is_array(v) ?
					   "Inside anything-but/equals-ignore-case list, "
					   "numberic|start|null|boolean is not supported." :
					   "Inside anything-but/equals-ignore-case list, "
					   "number|start|null|boolean is not supported."))
			return false;
	} else if (!strcmp(op, "prefix") || !strcmp(op, "suffix") || !strcmp(op, "wildcard")) {
		bool wild = !strcmp(op, "wildcard");

		t->op = wild ? HR_PT_WILDCARD : op[0] == 'p' ? HR_PT_PREFIX : HR_PT_SUFFIX;
		if (!string_values(ps, t, v,
				   wild ? "wildcard match pattern must be a string" :
					  "prefix/suffix match pattern must be a string"))
			return false;
		for (size_t i = 0; i < t->n_lits; i++) {
			if (!wild && t->lits[i].len == 0)
				return fail(ps, "Null prefix/suffix not allowed");
			if (wild && !compile_glob(ps, &t->lits[i]))
				return false;
		}
	} else {
		return fail(ps, "Unsupported anything-but pattern: %s", op);
	}
	if (json_object_size(obj) > 1)
		return fail(ps, "Only one key allowed in match expression");
	return true;
}

static bool compile_anything_but(struct parse *ps, struct hr_pt_test *t, const json_t *v)
{
	t->op = HR_PT_EXACT;
	t->negate = true;
	if (json_is_object(v))
		return anything_but_op(ps, t, v);
	return anything_but_values(ps, t, v);
}

static bool compile_named(struct parse *ps, struct hr_pt_test *t, const char *name, const json_t *v)
{
	if (!strcmp(name, "exact")) {
		t->op = HR_PT_EXACT;
		return one_string(ps, t, v, "exact");
	}
	if (!strcmp(name, "prefix") || !strcmp(name, "suffix"))
		return compile_affix(ps, t, v, name);
	if (!strcmp(name, "equals-ignore-case")) {
		t->op = HR_PT_EXACT;
		t->ignore_case = true;
		return one_string(ps, t, v, "equals-ignore-case");
	}
	if (!strcmp(name, "wildcard")) {
		t->op = HR_PT_WILDCARD;
		return one_string(ps, t, v, "wildcard") && compile_glob(ps, &t->lits[0]);
	}
	if (!strcmp(name, "numeric"))
		return compile_numeric(ps, t, v);
	if (!strcmp(name, "anything-but"))
		return compile_anything_but(ps, t, v);
	if (!strcmp(name, "exists"))
		return compile_exists(ps, t, v);
	if (!strcmp(name, "cidr"))
		return compile_cidr(ps, t, v);
	return fail(ps, "Unrecognized match type %s", name);
}

/* {"matcher": value}: exactly one key, checked after the value as Ruler does. */
static bool compile_expression(struct parse *ps, struct hr_pt_test *t, const json_t *obj)
{
	const char *name = json_object_iter_key(json_object_iter((json_t *)obj));

	if (!name)
		return fail(ps, "Match expression name not found");
	if (!compile_named(ps, t, name, json_object_get(obj, name)))
		return false;
	if (json_object_size(obj) > 1) {
		if (!strcmp(name, "numeric") || !strcmp(name, "anything-but"))
			return fail(ps, "Too many elements in numeric expression");
		return fail(ps, "Only one key allowed in match expression");
	}
	return true;
}

static bool compile_element(struct parse *ps, struct hr_pt_test *t, const json_t *e)
{
	if (json_is_object(e))
		return compile_expression(ps, t, e);
	if (json_is_array(e))
		return fail(ps, "Match value must be String, number, true, false, or null");
	t->op = HR_PT_EXACT;
	if (!add_lits(ps, t, 1))
		return false;
	return set_literal(ps, &t->lits[0], e);
}

static bool compile_leaf(struct parse *ps, struct blist *l, const char *path, const json_t *a)
{
	struct hr_pt_leaf *leaf = calloc(1, sizeof(*leaf));
	size_t n = json_array_size(a);

	if (!leaf || !(leaf->tests = calloc(n ? n : 1, sizeof(*leaf->tests)))) {
		free(leaf);
		return nomem(ps);
	}
	if (!keep_leaf(ps, leaf))
		return false;
	for (size_t i = 0; i < n; i++) {
		leaf->n_tests++;
		if (!compile_element(ps, &leaf->tests[i], json_array_get(a, i)))
			return false;
	}
	if (n == 0)
		return fail(ps, "Empty arrays are not allowed");
	return blist_put(ps, l, path, leaf);
}

/* ---- objects and $or ---- */

static bool parse_object(struct parse *ps, struct blist *l, const char *path, const json_t *obj,
			 bool in_or);

static bool reserved_in_or(const char *key)
{
	static const char *const names[] = {
		"anything-but",	      "exists",	  "prefix", "suffix", "numeric", "cidr",
		"equals-ignore-case", "wildcard", "exact"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(key, names[i]))
			return true;
	return false;
}

static bool append_blist(struct parse *ps, struct blist *to, struct blist *from)
{
	struct hr_pt_branch *grown;

	if (to->n + from->n > MAX_BRANCHES)
		return fail(ps,
			    "Rule is too complex - too many $or combinations (hostrail "
			    "allows %d)",
			    MAX_BRANCHES);
	grown = realloc(to->b, (to->n + from->n + 1) * sizeof(*grown));
	if (!grown)
		return nomem(ps);
	to->b = grown;
	memcpy(to->b + to->n, from->b, from->n * sizeof(*grown));
	to->n += from->n;
	free(from->b);
	from->b = NULL;
	from->n = 0;
	return true;
}

/* Each object of the $or array continues a copy of the branches so far. */
static bool parse_or(struct parse *ps, struct blist *l, const char *path, const json_t *a)
{
	struct blist before = *l, fork = {0};
	bool ok = true;
	size_t i;
	json_t *e;

	*l = (struct blist){0};
	if (!json_is_array(a)) {
		free_blist(&before);
		return fail(ps, "It must be an Array followed with $or.");
	}
	json_array_foreach(a, i, e) {
		if (!json_is_object(e)) {
			ok = fail(ps, "Only JSON object is allowed in array of $or relationship.");
			break;
		}
		ok = copy_blist(ps, &fork, &before) && parse_object(ps, &fork, path, e, true) &&
		     append_blist(ps, l, &fork);
		free_blist(&fork);
		if (!ok)
			break;
	}
	free_blist(&before);
	if (ok && json_array_size(a) < 2)
		ok = fail(ps, "There must have at least 2 Objects in $or relationship.");
	return ok;
}

static char *join_path(const char *path, const char *key)
{
	char *out;

	if (asprintf(&out, "%s%s%s", path, *path ? "." : "", key) < 0)
		return NULL;
	return out;
}

static bool parse_field(struct parse *ps, struct blist *l, const char *path, const char *key,
			const json_t *v, bool in_or)
{
	char *sub;
	bool ok;

	if (!strcmp(key, "$or"))
		return parse_or(ps, l, path, v);
	if (in_or && reserved_in_or(key))
		return fail(ps, "%s is Ruler reserved fieldName which cannot be used inside $or.",
			    key);
	if (!json_is_object(v) && !json_is_array(v))
		return fail(ps, "\"%s\" must be an object or an array", key);
	sub = join_path(path, key);
	if (!sub)
		return nomem(ps);
	if (json_is_object(v))
		ok = parse_object(ps, l, sub, v, in_or);
	else
		ok = compile_leaf(ps, l, sub, v);
	free(sub);
	return ok;
}

static bool parse_object(struct parse *ps, struct blist *l, const char *path, const json_t *obj,
			 bool in_or)
{
	const char *key;
	json_t *v;

	if (json_object_size(obj) == 0)
		return fail(ps, "Empty objects are not allowed");
	json_object_foreach((json_t *)obj, key, v)
		if (!parse_field(ps, l, path, key, v, in_or))
			return false;
	return true;
}

/* ---- the match tree of a branch ---- */

static struct hr_pt_field *node_field(struct hr_pt_node *n, const char *name, size_t len)
{
	struct hr_pt_field *grown;

	for (size_t i = 0; i < n->n; i++)
		if (strlen(n->fields[i].name) == len && !memcmp(n->fields[i].name, name, len))
			return &n->fields[i];
	grown = realloc(n->fields, (n->n + 1) * sizeof(*grown));
	if (!grown)
		return NULL;
	n->fields = grown;
	grown[n->n] = (struct hr_pt_field){.name = strndup(name, len)};
	if (!grown[n->n].name)
		return NULL;
	return &grown[n->n++];
}

/* Put leaf at the dotted path under root, making the objects on the way. */
static bool tree_put(struct hr_pt_node *root, const char *path, struct hr_pt_leaf *leaf)
{
	struct hr_pt_node *n = root;

	for (;;) {
		const char *dot = strchr(path, '.');
		size_t len = dot ? (size_t)(dot - path) : strlen(path);
		struct hr_pt_field *f = node_field(n, path, len);

		if (!f)
			return false;
		if (!dot) {
			f->leaf = leaf;
			return true;
		}
		if (!f->child && !(f->child = calloc(1, sizeof(*f->child))))
			return false;
		n = f->child;
		path = dot + 1;
	}
}

static bool build_trees(struct parse *ps, struct hr_pattern *p)
{
	for (size_t i = 0; i < p->n_branches; i++) {
		struct hr_pt_branch *b = &p->branches[i];

		b->root = calloc(1, sizeof(*b->root));
		if (!b->root)
			return nomem(ps);
		for (size_t j = 0; j < b->n_paths; j++)
			if (!tree_put(b->root, b->paths[j].path, b->paths[j].leaf))
				return nomem(ps);
	}
	return true;
}

struct hr_pattern *hr_pattern_compile_json(const json_t *pattern, char *err, size_t errlen)
{
	struct parse ps = {.err = err, .errlen = errlen};
	struct blist l = {0};
	bool ok;

	if (errlen)
		err[0] = '\0';
	ps.p = calloc(1, sizeof(*ps.p));
	if (!ps.p) {
		nomem(&ps);
		return NULL;
	}
	if (!json_is_object(pattern))
		ok = fail(&ps, "Filter is not an object");
	else
		ok = parse_object(&ps, &l, "", pattern, false);
	ps.p->branches = l.b;
	ps.p->n_branches = l.n;
	if (ok)
		ok = build_trees(&ps, ps.p);
	if (!ok) {
		hr_pattern_free(ps.p);
		return NULL;
	}
	return ps.p;
}

static size_t utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

struct hr_pattern *hr_pattern_compile(const char *text, char *err, size_t errlen)
{
	struct parse ps = {.err = err, .errlen = errlen};
	struct hr_pattern *p;
	json_error_t je;
	json_t *j;

	if (utf8_chars(text) > HR_PATTERN_MAX_CHARS) {
		fail(&ps, "EventPattern is longer than %d characters", HR_PATTERN_MAX_CHARS);
		return NULL;
	}
	j = json_loads(text, JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL, &je);
	if (!j) {
		fail(&ps, "%s at line %d, column %d", je.text, je.line, je.column);
		return NULL;
	}
	p = hr_pattern_compile_json(j, err, errlen);
	json_decref(j);
	return p;
}

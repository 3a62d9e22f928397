// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * ruleset.c - many patterns, matched through an index of the values and
 * paths they require, not by trying each one (pattern.h says how).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include "rules/pattern.h"
#include "rules/pattern_int.h"

/* Separates a path from its value in a key: JSON keys hardly carry it, and
 * a collision only makes an extra candidate, never a missed match. */
#define KEY_SEP "\x1f"

struct posting {
	char *key;
	size_t klen;
	uint64_t hash;
	size_t n, cap;
	size_t *branches;
	struct posting *next;
	/* in by_path only: which value keys exist under this path, so an event
	 * leaf builds only the keys that can hit */
	bool has_exact, has_cidr;
	uint64_t prefix_lens; /* bit L: a prefix filed by its first L bytes */
};

struct table {
	size_t n_buckets, n;
	struct posting **buckets;
};

struct branch_ref {
	size_t rule;
	const struct hr_pt_branch *branch;
};

struct hr_rule_set {
	size_t n_rules, cap_rules;
	struct hr_pattern **rules;
	size_t n_refs, cap_refs;
	struct branch_ref *refs;
	struct table by_value, by_path;
	struct posting always;
	/* stamps against evaluating a branch, or reporting a rule, twice */
	uint32_t epoch;
	uint32_t *branch_seen, *rule_seen;
	unsigned long visits;
	struct hr_pt_buf key;
};

static uint64_t hash_bytes(const char *p, size_t len)
{
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)p[i]) * 1099511628211ULL;
	return h;
}

static struct posting *table_find(const struct table *t, const char *key, size_t klen, uint64_t h)
{
	if (!t->n_buckets)
		return NULL;
	for (struct posting *p = t->buckets[h & (t->n_buckets - 1)]; p; p = p->next)
		if (p->hash == h && p->klen == klen && !memcmp(p->key, key, klen))
			return p;
	return NULL;
}

static int table_grow(struct table *t)
{
	size_t n = t->n_buckets ? 2 * t->n_buckets : 64;
	struct posting **b = calloc(n, sizeof(*b));

	if (!b)
		return -ENOMEM;
	for (size_t i = 0; i < t->n_buckets; i++) {
		for (struct posting *p = t->buckets[i], *next; p; p = next) {
			next = p->next;
			p->next = b[p->hash & (n - 1)];
			b[p->hash & (n - 1)] = p;
		}
	}
	free(t->buckets);
	t->buckets = b;
	t->n_buckets = n;
	return 0;
}

static struct posting *table_get(struct table *t, const char *key, size_t klen)
{
	uint64_t h = hash_bytes(key, klen);
	struct posting *p = table_find(t, key, klen, h);

	if (p)
		return p;
	if (t->n >= t->n_buckets && table_grow(t))
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p || !(p->key = malloc(klen + 1))) {
		free(p);
		return NULL;
	}
	memcpy(p->key, key, klen);
	p->key[klen] = '\0';
	p->klen = klen;
	p->hash = h;
	p->next = t->buckets[h & (t->n_buckets - 1)];
	t->buckets[h & (t->n_buckets - 1)] = p;
	t->n++;
	return p;
}

static int posting_add(struct posting *p, size_t branch)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 4;
		size_t *grown = realloc(p->branches, cap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		p->branches = grown;
		p->cap = cap;
	}
	p->branches[p->n++] = branch;
	return 0;
}

static void table_free(struct table *t)
{
	for (size_t i = 0; i < t->n_buckets; i++) {
		for (struct posting *p = t->buckets[i], *next; p; p = next) {
			next = p->next;
			free(p->key);
			free(p->branches);
			free(p);
		}
	}
	free(t->buckets);
}

struct hr_rule_set *hr_rule_set_new(void)
{
	return calloc(1, sizeof(struct hr_rule_set));
}

void hr_rule_set_free(struct hr_rule_set *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_rules; i++)
		hr_pattern_free(s->rules[i]);
	free(s->rules);
	free(s->refs);
	table_free(&s->by_value);
	table_free(&s->by_path);
	free(s->always.branches);
	free(s->branch_seen);
	free(s->rule_seen);
	free(s->key.p);
	free(s);
}

unsigned long hr_rule_set_visits(const struct hr_rule_set *s)
{
	return s->visits;
}

/* ---- choosing where a branch is filed ---- */

/* Prefixes are filed by at most this many leading bytes: a longer one is
 * found through its start (a candidate more, never a miss). */
#define MAX_PREFIX_KEY 63

/* A test whose every match has a value key: exact, prefix, cidr. */
static bool keyed_test(const struct hr_pt_test *t)
{
	if (t->negate || t->ignore_case)
		return false;
	return t->op == HR_PT_EXACT || t->op == HR_PT_PREFIX || t->op == HR_PT_CIDR;
}

static bool keyed_leaf(const struct hr_pt_leaf *l)
{
	for (size_t i = 0; i < l->n_tests; i++)
		if (!keyed_test(&l->tests[i]))
			return false;
	return true;
}

/* exists:false can hold where the event has nothing: no index entry. */
static bool needs_value(const struct hr_pt_leaf *l)
{
	for (size_t i = 0; i < l->n_tests; i++)
		if (l->tests[i].op == HR_PT_EXISTS && !l->tests[i].exists)
			return false;
	return true;
}

static int path_key(struct hr_pt_buf *b, const char *path, size_t plen)
{
	b->len = 0;
	return hr_pt_buf_put(b, path, plen);
}

static int cidr_key(struct hr_pt_buf *b, int family, const unsigned char *addr, size_t bytes)
{
	char fam = family == AF_INET ? '4' : '6';

	if (hr_pt_buf_put(b, KEY_SEP "c", 2) || hr_pt_buf_put(b, &fam, 1))
		return -ENOMEM;
	return hr_pt_buf_put(b, addr, bytes);
}

/* The value key of a keyed test, after path: exact value, prefix or block. */
static int test_key(struct hr_pt_buf *b, const char *path, const struct hr_pt_test *t)
{
	const struct hr_pt_lit *l = t->lits; /* none for a cidr */
	size_t n;

	if (path_key(b, path, strlen(path)))
		return -ENOMEM;
	if (t->op == HR_PT_CIDR)
		return cidr_key(b, t->family, t->net, (size_t)t->bits / 8);
	if (t->op == HR_PT_PREFIX) {
		n = l->len < MAX_PREFIX_KEY ? l->len : MAX_PREFIX_KEY;
		if (hr_pt_buf_put(b, KEY_SEP "p", 2))
			return -ENOMEM;
		return hr_pt_buf_put(b, l->s, n);
	}
	if (hr_pt_buf_put(b, KEY_SEP, 1))
		return -ENOMEM;
	return hr_pt_lit_key(b, l);
}

static size_t posting_size(const struct table *t, const struct hr_pt_buf *key)
{
	struct posting *p = table_find(t, key->p, key->len, hash_bytes(key->p, key->len));

	return p ? p->n : 0;
}

/* How many branches are filed under the field's keys now: the cost an
 * event with those values would pay. SIZE_MAX: no memory. */
static size_t field_cost(struct hr_rule_set *s, const struct hr_pt_path *f, bool keyed)
{
	const struct hr_pt_leaf *l = f->leaf;
	size_t cost = 0;

	if (!keyed) {
		if (path_key(&s->key, f->path, strlen(f->path)))
			return SIZE_MAX;
		return posting_size(&s->by_path, &s->key) + 1;
	}
	for (size_t i = 0; i < l->n_tests; i++) {
		if (test_key(&s->key, f->path, &l->tests[i]))
			return SIZE_MAX;
		cost += posting_size(&s->by_value, &s->key) + 1;
	}
	return cost;
}

static size_t depth(const char *path)
{
	size_t d = 0;

	for (; *path; path++)
		d += *path == '.';
	return d;
}

/* The best field of b, keyed or by path only, or -1 if none qualifies. */
static long pick_field(struct hr_rule_set *s, const struct hr_pt_branch *b, bool keyed)
{
	long best = -1;
	size_t best_cost = SIZE_MAX;

	for (size_t i = 0; i < b->n_paths; i++) {
		const struct hr_pt_path *f = &b->paths[i];
		size_t cost;

		if (keyed ? !keyed_leaf(f->leaf) : !needs_value(f->leaf))
			continue;
		cost = field_cost(s, f, keyed);
		if (best < 0 || cost < best_cost ||
		    (cost == best_cost && depth(f->path) > depth(b->paths[best].path))) {
			best = (long)i;
			best_cost = cost;
		}
	}
	return best;
}

/* Note on the path's entry which kind of value key to build for it. */
static int mark_path(struct hr_rule_set *s, const char *path, const struct hr_pt_test *t)
{
	struct posting *p;
	size_t n;

	if (path_key(&s->key, path, strlen(path)))
		return -ENOMEM;
	p = table_get(&s->by_path, s->key.p, s->key.len);
	if (!p)
		return -ENOMEM;
	if (t->op == HR_PT_EXACT)
		p->has_exact = true;
	else if (t->op == HR_PT_CIDR)
		p->has_cidr = true;
	else {
		n = t->lits[0].len < MAX_PREFIX_KEY ? t->lits[0].len : MAX_PREFIX_KEY;
		p->prefix_lens |= 1ULL << n;
	}
	return 0;
}

static int file_keyed(struct hr_rule_set *s, const struct hr_pt_path *f, size_t id)
{
	for (size_t i = 0; i < f->leaf->n_tests; i++) {
		const struct hr_pt_test *t = &f->leaf->tests[i];
		struct posting *p;

		if (mark_path(s, f->path, t) || test_key(&s->key, f->path, t))
			return -ENOMEM;
		p = table_get(&s->by_value, s->key.p, s->key.len);
		if (!p || posting_add(p, id))
			return -ENOMEM;
	}
	return 0;
}

static int file_branch(struct hr_rule_set *s, const struct hr_pt_branch *b, size_t id)
{
	long f = pick_field(s, b, true);
	struct posting *p;

	if (f >= 0)
		return file_keyed(s, &b->paths[f], id);
	f = pick_field(s, b, false);
	if (f < 0)
		return posting_add(&s->always, id);
	if (path_key(&s->key, b->paths[f].path, strlen(b->paths[f].path)))
		return -ENOMEM;
	p = table_get(&s->by_path, s->key.p, s->key.len);
	return p ? posting_add(p, id) : -ENOMEM;
}

static int grow_arrays(struct hr_rule_set *s, size_t more_refs)
{
	if (s->n_rules == s->cap_rules) {
		size_t cap = s->cap_rules ? 2 * s->cap_rules : 16;
		void *r = realloc(s->rules, cap * sizeof(*s->rules));
		void *seen = r ? realloc(s->rule_seen, cap * sizeof(*s->rule_seen)) : NULL;

		if (r)
			s->rules = r;
		if (!r || !seen)
			return -ENOMEM;
		s->rule_seen = seen;
		memset(s->rule_seen + s->cap_rules, 0, (cap - s->cap_rules) * sizeof(uint32_t));
		s->cap_rules = cap;
	}
	if (s->n_refs + more_refs > s->cap_refs) {
		size_t cap = s->cap_refs ? 2 * s->cap_refs : 16;
		void *r, *seen;

		while (cap < s->n_refs + more_refs)
			cap *= 2;
		r = realloc(s->refs, cap * sizeof(*s->refs));
		if (r)
			s->refs = r;
		seen = r ? realloc(s->branch_seen, cap * sizeof(uint32_t)) : NULL;
		if (!r || !seen)
			return -ENOMEM;
		s->branch_seen = seen;
		memset(s->branch_seen + s->cap_refs, 0, (cap - s->cap_refs) * sizeof(uint32_t));
		s->cap_refs = cap;
	}
	return 0;
}

int hr_rule_set_add(struct hr_rule_set *s, struct hr_pattern *p)
{
	size_t rule = s->n_rules;

	if (grow_arrays(s, p->n_branches)) {
		hr_pattern_free(p);
		return -ENOMEM;
	}
	s->rules[s->n_rules++] = p;
	for (size_t i = 0; i < p->n_branches; i++) {
		size_t id = s->n_refs++;

		s->refs[id] = (struct branch_ref){rule, &p->branches[i]};
		if (file_branch(s, &p->branches[i], id))
			return -ENOMEM;
	}
	return (int)rule;
}

/* ---- matching ---- */

struct walk {
	struct hr_rule_set *s;
	const json_t *event;
	void (*found)(void *arg, size_t index);
	void *arg;
	size_t matched;
	struct hr_pt_buf path;
	int rc;
};

static void try_posting(struct walk *w, const struct posting *p)
{
	struct hr_rule_set *s = w->s;

	for (size_t i = 0; p && i < p->n; i++) {
		size_t id = p->branches[i];
		size_t rule = s->refs[id].rule;

		if (s->branch_seen[id] == s->epoch || s->rule_seen[rule] == s->epoch)
			continue;
		s->branch_seen[id] = s->epoch;
		s->visits++;
		if (!hr_pt_branch_match(s->refs[id].branch, w->event))
			continue;
		s->rule_seen[rule] = s->epoch;
		w->matched++;
		if (w->found)
			w->found(w->arg, rule);
	}
}

static void lookup(struct walk *w, struct table *t, const char *key, size_t klen)
{
	try_posting(w, table_find(t, key, klen, hash_bytes(key, klen)));
}

/* path SEP tail..., looked up in by_value; the path stays in w->path. */
static void lookup_value(struct walk *w, size_t plen,
			 int (*put)(struct hr_pt_buf *, const void *, size_t, const void *),
			 const void *a, size_t n, const void *b)
{
	w->path.len = plen;
	if (put(&w->path, a, n, b)) {
		w->rc = -ENOMEM;
		return;
	}
	lookup(w, &w->s->by_value, w->path.p, w->path.len);
}

static int put_exact(struct hr_pt_buf *k, const void *v, size_t n, const void *unused)
{
	return hr_pt_buf_put(k, KEY_SEP, 1) || hr_pt_value_key(k, v) ? -ENOMEM : 0;
}

static int put_prefix(struct hr_pt_buf *k, const void *s, size_t n, const void *unused)
{
	return hr_pt_buf_put(k, KEY_SEP "p", 2) || hr_pt_buf_put(k, s, n) ? -ENOMEM : 0;
}

static int put_cidr(struct hr_pt_buf *k, const void *addr, size_t n, const void *family)
{
	return cidr_key(k, *(const int *)family, addr, n);
}

/* Every block length a cidr could be filed under: 0 to all bytes. */
static void lookup_cidrs(struct walk *w, size_t plen, const char *ip)
{
	unsigned char addr[16];
	int family = AF_INET;
	size_t n = 4;

	if (inet_pton(AF_INET, ip, addr) != 1) {
		family = AF_INET6;
		n = 16;
		if (inet_pton(AF_INET6, ip, addr) != 1)
			return;
	}
	for (size_t i = 0; i <= n; i++)
		lookup_value(w, plen, put_cidr, addr, i, &family);
}

static void visit_leaf(struct walk *w, const json_t *v)
{
	size_t plen = w->path.len;
	const struct posting *at;
	const char *str = json_string_value(v);
	size_t len = str ? json_string_length(v) : 0;

	at = table_find(&w->s->by_path, w->path.p ? w->path.p : "", plen,
			hash_bytes(w->path.p ? w->path.p : "", plen));
	if (!at)
		return; /* no rule names this path */
	try_posting(w, at);
	if (at->has_exact)
		lookup_value(w, plen, put_exact, v, 0, NULL);
	for (size_t n = 0; str && n <= MAX_PREFIX_KEY && n <= len && at->prefix_lens >> n; n++)
		if (at->prefix_lens & (1ULL << n))
			lookup_value(w, plen, put_prefix, str, n, NULL);
	if (str && at->has_cidr)
		lookup_cidrs(w, plen, str);
	w->path.len = plen;
}

/* Every leaf of the event, with its dotted path (arrays add no step). */
static void walk_value(struct walk *w, const json_t *v)
{
	size_t plen = w->path.len, i;
	const char *key;
	json_t *e;

	if (json_is_array(v)) {
		json_array_foreach(v, i, e)
			walk_value(w, e);
		return;
	}
	if (!json_is_object(v)) {
		visit_leaf(w, v);
		return;
	}
	json_object_foreach((json_t *)v, key, e) {
		if ((plen && hr_pt_buf_put(&w->path, ".", 1)) ||
		    hr_pt_buf_put(&w->path, key, strlen(key))) {
			w->rc = -ENOMEM;
			return;
		}
		walk_value(w, e);
		w->path.len = plen;
	}
}

size_t hr_rule_set_match(struct hr_rule_set *s, const json_t *event,
			 void (*found)(void *arg, size_t index), void *arg)
{
	struct walk w = {.s = s, .event = event, .found = found, .arg = arg};

	if (++s->epoch == 0) {
		memset(s->branch_seen, 0, s->cap_refs * sizeof(uint32_t));
		memset(s->rule_seen, 0, s->cap_rules * sizeof(uint32_t));
		s->epoch = 1;
	}
	try_posting(&w, &s->always);
	walk_value(&w, event);
	free(w.path.p);
	return w.matched;
}

/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* pattern_int.h - the compiled form of a pattern, shared by pattern.c and ruleset.c. */
#ifndef HOSTRAIL_RULES_PATTERN_INT_H
#define HOSTRAIL_RULES_PATTERN_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

enum hr_pt_op {
	HR_PT_EXACT, /* literals; ignore_case for equals-ignore-case */
	HR_PT_PREFIX,
	HR_PT_SUFFIX,
	HR_PT_WILDCARD,
	HR_PT_NUMERIC,
	HR_PT_CIDR,
	HR_PT_EXISTS,
};

/* A wildcard, split at its unescaped stars: parts[0] * parts[1] * ... */
struct hr_pt_glob {
	size_t n_parts;
	char **parts;
	size_t *lens;
};

/* One literal of a pattern: type is JSON_STRING, JSON_REAL (any number),
 * JSON_TRUE, JSON_FALSE or JSON_NULL. */
struct hr_pt_lit {
	json_type type;
	char *s;
	size_t len;
	double d;
	struct hr_pt_glob glob;
};

/* One matcher of a leaf array. negate: the anything-but forms. */
struct hr_pt_test {
	enum hr_pt_op op;
	bool ignore_case, negate, exists;
	size_t n_lits;
	struct hr_pt_lit *lits;
	bool has_lo, has_hi, lo_open, hi_open;
	double lo, hi;
	int family; /* AF_INET / AF_INET6 for cidr */
	unsigned char net[16];
	int bits;
};

/* A pattern array: the event's value matches if ANY test holds. */
struct hr_pt_leaf {
	size_t n_tests;
	struct hr_pt_test *tests;
};

struct hr_pt_node;

struct hr_pt_field {
	char *name;		  /* one path segment */
	struct hr_pt_leaf *leaf;  /* may be NULL */
	struct hr_pt_node *child; /* may be NULL */
};

struct hr_pt_node {
	size_t n;
	struct hr_pt_field *fields;
};

/* A (dotted path, leaf) pair of a branch, as parsed. */
struct hr_pt_path {
	char *path;
	struct hr_pt_leaf *leaf; /* owned by the pattern's leaf list */
};

/* One AND of fields: a pattern without "$or" has exactly one. */
struct hr_pt_branch {
	size_t n_paths;
	struct hr_pt_path *paths;
	struct hr_pt_node *root;
};

struct hr_pattern {
	size_t n_branches;
	struct hr_pt_branch *branches;
	size_t n_leaves, cap_leaves;
	struct hr_pt_leaf **leaves;
};

bool hr_pt_branch_match(const struct hr_pt_branch *b, const json_t *event);

/* A growable byte buffer, for index keys: path "\x1f" tag bytes. */
struct hr_pt_buf {
	char *p;
	size_t len, cap;
};

int hr_pt_buf_put(struct hr_pt_buf *b, const void *data, size_t len);
/* Append a leaf value's key (tag "s" "n" "t" "f" "z" + its text); -EINVAL for
 * an object or array, -ENOMEM. Numbers print as %.17g so 300 == 300.0. */
int hr_pt_value_key(struct hr_pt_buf *b, const json_t *v);
int hr_pt_lit_key(struct hr_pt_buf *b, const struct hr_pt_lit *l);

#endif

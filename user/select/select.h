/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * select.h - which records a trail keeps: CloudTrail's event selectors.
 *
 * Both of CloudTrail's forms are accepted (cloudtrail-format.md §5) and
 * compiled into one: basic EventSelectors are converted into the advanced
 * selectors CloudTrail documents as their equivalent, so that one evaluator
 * serves both. Evaluation is a pure function of struct hr_record's index
 * fields: the JSON is never re-parsed.
 *
 * Semantics: a record is kept if ANY selector matches (OR across); a
 * selector matches if ALL its conditions hold (AND within). A condition is
 * (field, operator, values): a positive operator holds if the field equals /
 * starts with / ends with ANY value; its Not- form is the exact negation.
 * A field the record does not carry (errorCode on success, resources on a
 * call without any) satisfies no positive operator; for resources.type and
 * resources.ARN a positive operator holds if ANY resource satisfies it.
 */
#ifndef HOSTRAIL_SELECT_H
#define HOSTRAIL_SELECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hr_record;

enum hr_sel_field {
	HR_SF_EVENT_CATEGORY,
	HR_SF_EVENT_SOURCE,
	HR_SF_EVENT_NAME,
	HR_SF_READ_ONLY,
	HR_SF_RESOURCES_TYPE,
	HR_SF_RESOURCES_ARN,
	HR_SF_USER_ARN,
	HR_SF_ERROR_CODE,
	HR_SF_NR,
};

enum hr_sel_op {
	HR_OP_EQUALS,
	HR_OP_STARTS_WITH,
	HR_OP_ENDS_WITH,
	HR_OP_NOT_EQUALS,
	HR_OP_NOT_STARTS_WITH,
	HR_OP_NOT_ENDS_WITH,
	HR_OP_NR,
};

struct hr_sel_cond {
	uint8_t field; /* enum hr_sel_field */
	uint8_t op;    /* enum hr_sel_op */
	int n;
	char **values; /* owned */
};

struct hr_sel {
	char *name; /* owned, may be NULL */
	int n;
	struct hr_sel_cond *conds;
};

struct hr_selectors {
	int n;
	struct hr_sel *sel;
	/* What the user gave, compact JSON, as get-event-selectors shows it:
	 * {"EventSelectors":[...]} or {"AdvancedEventSelectors":[...]}. */
	char *shown;
	bool advanced; /* the user gave advanced selectors */
};

/* Where ARNs point: resources.ARN values are checked against it. */
struct hr_sel_ctx {
	const char *region;
	const char *account_id;
	const char *file; /* for refusals: "FILE: $.path: reason" */
};

/*
 * Compile a trail's selectors. basic / advanced are jansson values (json_t *,
 * either may be NULL, not both set); both NULL gives CloudTrail's default:
 * every management event, no data event. path is the JSON path of the
 * trail ("$.trails[0]"). Returns 0 or -EINVAL / -ENOMEM with err set.
 */
int hr_selectors_compile(struct hr_selectors *out, const void *basic, const void *advanced,
			 const struct hr_sel_ctx *ctx, const char *path, char *err, size_t errlen);

/* Same, from the text of a JSON object {"EventSelectors":...} or
 * {"AdvancedEventSelectors":...} (as shown, or as put-event-selectors
 * sends). */
int hr_selectors_compile_text(struct hr_selectors *out, const char *text,
			      const struct hr_sel_ctx *ctx, const char *path, char *err,
			      size_t errlen);

void hr_selectors_free(struct hr_selectors *s); /* NULL-safe, leaves it zeroed */

/* Does the trail keep this record? */
bool hr_select_match(const struct hr_selectors *s, const struct hr_record *rec);

/*
 * Could any record with this category, source, name and resource type
 * (NULL: unknown, any) be kept? Conditions on other fields are assumed
 * satisfiable. Decides which system calls are attached at all.
 */
bool hr_select_may_match(const struct hr_selectors *s, const char *category, const char *source,
			 const char *name, const char *resource_type);
/* ... and with this readOnly ("true", "false"; NULL: either). */
bool hr_select_may_match_ro(const struct hr_selectors *s, const char *category, const char *source,
			    const char *name, const char *resource_type, const char *read_only);

/*
 * The path prefixes the kernel must let through for data events on
 * resource_type ("Linux::File", "Linux::Process"): for every selector that
 * may keep such data events, the StartsWith/Equals values of its
 * resources.ARN conditions with the ARN's head removed, or "/" when the
 * selector does not narrow by ARN. A superset: user space applies the
 * full semantics. exact: the value came from Equals. Returns the number of
 * prefixes reported.
 */
typedef void (*hr_prefix_fn)(void *arg, const char *path, size_t len, bool exact);
int hr_select_prefixes(const struct hr_selectors *s, const struct hr_sel_ctx *ctx,
		       const char *resource_type, hr_prefix_fn fn, void *arg);

/* "arn:hostrail:<service>:<region>:<account>:" for a resource type. */
int hr_select_arn_head(const struct hr_sel_ctx *ctx, const char *resource_type, char *buf,
		       size_t len);

extern const char *const hr_sel_field_names[HR_SF_NR];
extern const char *const hr_sel_op_names[HR_OP_NR];

#endif

/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * rows.h - what the history indexes of a record (a row), from a struct
 * hr_record or from a record as delivered (JSON), and the attributes a
 * row is looked up by.
 */
#ifndef HOSTRAIL_HISTORY_ROWS_H
#define HOSTRAIL_HISTORY_ROWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "record/record.h"

/* What the history indexes, from a struct hr_record or a delivered record. */
struct hr_history_row {
	int64_t time_sec; /* eventTime */
	const char *event_id;
	const char *event_name;
	const char *event_source;
	const char *category;	   /* eventCategory: "Management", "Data", "Insight" */
	const char *user_name;	   /* may be NULL */
	const char *access_key_id; /* may be NULL */
	bool read_only;
	int n_resources;
	struct {
		const char *type, *name;
	} resources[HR_RECORD_MAX_RESOURCES];
	const char *json;
	size_t len;
};

/* The LookupEvents attributes; their numbers are part of the on-disk format. */
enum hr_lookup_attr {
	HR_ATTR_NONE = 0,
	HR_ATTR_EVENT_ID,
	HR_ATTR_EVENT_NAME,
	HR_ATTR_READ_ONLY,
	HR_ATTR_USERNAME,
	HR_ATTR_RESOURCE_TYPE,
	HR_ATTR_RESOURCE_NAME,
	HR_ATTR_EVENT_SOURCE,
	HR_ATTR_ACCESS_KEY_ID,
};

void hr_history_row_from_record(const struct hr_record *rec, struct hr_history_row *row);

/*
 * Fill row from the parsed record rec (strings point into rec); json/len
 * are the record's exact text, stored as it is. 0, or -EINVAL for a
 * record without a CloudTrail eventTime or eventID.
 */
int hr_history_row_from_json(json_t *rec, const char *json, size_t len, struct hr_history_row *row);

#endif

/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* rows.h - history index fields from a record as delivered (JSON). */
#ifndef HOSTRAIL_HISTORY_ROWS_H
#define HOSTRAIL_HISTORY_ROWS_H

#include <jansson.h>
#include "history/history.h"

/*
 * Fill row from the parsed record rec (strings point into rec); json/len
 * are the record's exact text, stored as it is. 0, or -EINVAL for a
 * record without a CloudTrail eventTime or eventID.
 */
int hr_history_row_from_json(json_t *rec, const char *json, size_t len,
			     struct hr_history_row *row);

#endif

/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* postings.h - a batch's postings (the inverted index), built in memory, then written. */
#ifndef HOSTRAIL_HISTORY_POSTINGS_H
#define HOSTRAIL_HISTORY_POSTINGS_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>
#include "history/rows.h"

struct hr_postings;
struct hr_postings *hr_postings_new(void);
void hr_postings_free(struct hr_postings *ps);
/* Size for a batch of rows; forgets what was not flushed. */
int hr_postings_begin(struct hr_postings *ps, size_t rows);
/* The record at place in block blk (newest time tmax), category cat. */
void hr_postings_add(struct hr_postings *ps, const struct hr_history_row *r, int cat, int64_t blk,
		     int64_t tmax, size_t place);
/* Insert the rows with ins (p, a, v, tmax, blk, list); 0 or -errno. */
int hr_postings_flush(struct hr_postings *ps, sqlite3_stmt *ins);

#endif

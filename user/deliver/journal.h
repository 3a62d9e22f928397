/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * journal.h - every record as one journald entry (docs/journald.md).
 *
 * MESSAGE is one readable line built from struct hr_record (never from the
 * JSON): who, via what, from where, as whom, did what to what, result. The
 * structured HOSTRAIL_* fields and the whole record (HOSTRAIL_RECORD) go
 * beside it, binary-safe. MESSAGE_ID names the event family; the catalog
 * (packaging/hostrail.catalog) explains each one.
 */
#ifndef HOSTRAIL_JOURNAL_H
#define HOSTRAIL_JOURNAL_H

#include <stddef.h>
#include <stdint.h>
#include "record/record.h"

/* The families, with their fixed MESSAGE_IDs (never change one). */
#define HR_MSGID_CALL	       "0319ea515d90424bb60eae0b779e1b76" /* privileged call done */
#define HR_MSGID_CALL_FAILED   "32b0ff38c9cf4a5ba394f8baf7dc8b54" /* privileged call refused */
#define HR_MSGID_SIGNIN	       "670890bbfc574d09b12bd8fd827dc097" /* sign-in */
#define HR_MSGID_SIGNIN_FAILED "9a707f79b79e4bd1abdc9e9b21d18b36" /* failed sign-in */
#define HR_MSGID_DATA	       "963c7e344a8e41bbada7b28e7b91c407" /* data event */
#define HR_MSGID_AGENT	       "66c488a31b984be6b9fea283fd32f582" /* Start/StopLogging */
#define HR_MSGID_LOST	       "b190fd0b85ae4fd8bbba08cf88bbd74b" /* LostEvents */

/* The line for MESSAGE, control bytes escaped (\xNN); always one line. */
void hr_journal_message(const struct hr_record *rec, char *buf, size_t len);
/* syslog priority (LOG_WARNING, LOG_NOTICE, LOG_INFO) and MESSAGE_ID. */
int hr_journal_priority(const struct hr_record *rec);
const char *hr_journal_message_id(const struct hr_record *rec);

struct hr_journal;

int hr_journal_open(struct hr_journal **out);
void hr_journal_close(struct hr_journal *j); /* NULL-safe */
/* The sink worker's write function: how many records journald refused. */
size_t hr_journal_write(void *j, const struct hr_record *const *recs, size_t n);

#endif

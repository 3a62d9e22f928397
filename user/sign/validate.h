/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * validate.h - `hostrail validate-logs`: check the log files and the signed
 * digest chain in a bucket directory.
 *
 * First it does exactly what `aws cloudtrail validate-logs` (aws-cli 2.9.19,
 * validation.py) does - the same digests in the same order, the same lines,
 * counts and exit status - so that on an untouched bucket both print the
 * same thing. Then it closes the holes aws-cli leaves, each reported as an
 * INVALID line naming the object and the reason:
 *  - previousDigestHashValue / previousDigestSignature / digestStartTime
 *    that do not match the previous digest;
 *  - a chain that ends without StopLogging: more than one digest period
 *    before the end of the range (the newest digests were deleted), or
 *    before the next chain starts; with the agent's state, its newest
 *    digest missing;
 *  - log files in the trail's folder that no digest lists;
 *  - records whose eventTime lies outside the log file's (or the digest's)
 *    oldestEventTime..newestEventTime, or that have none;
 *  - algorithm names other than SHA256withRSA / SHA-256;
 *  - a digest signed with a key outside that key's validity window;
 *  - digest files in range that are not part of the chain, log files
 *    listed twice.
 */
#ifndef HOSTRAIL_SIGN_VALIDATE_H
#define HOSTRAIL_SIGN_VALIDATE_H

#include "sign/validate_opts.h"

/*
 * Validate and print the report. Returns 0 when every digest and log file
 * is valid, 1 when anything is INVALID, 2 for bad input (no such bucket
 * directory, no public keys, several trails and none chosen...; the reason
 * is on err). res may be NULL.
 */
int hr_validate_logs(const struct hr_validate_opts *o, struct hr_validate_result *res);

#endif

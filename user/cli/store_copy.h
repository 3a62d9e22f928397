/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * store_copy.h - validate-logs over an S3-compatible store: its objects
 * under a prefix, listed (ListObjectsV2, every page) and read into a
 * private directory laid out as the agent's bucket directory, each digest's
 * x-amz-meta-signature as its signature sidecar, for the validator to read.
 */
#ifndef HOSTRAIL_CLI_STORE_COPY_H
#define HOSTRAIL_CLI_STORE_COPY_H

#include <stddef.h>
#include "deliver/s3_client.h"

/* Copy every log file and digest under prefix ("" or NULL: the bucket)
 * into dir, the prefix taken off their keys. 0 or -errno; err says why. */
int hr_store_copy(const struct hr_s3_endpoint *e, const char *prefix, const char *dir,
		  size_t *n_objects, char *err, size_t errlen);

#endif

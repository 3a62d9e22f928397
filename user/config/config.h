/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * config.h - what the agent records and where it delivers it.
 *
 * One JSON file (docs/configuration.md), or the embedded default when there
 * is none. Refusals name the file, the JSON path and the reason.
 */
#ifndef HOSTRAIL_CONFIG_H
#define HOSTRAIL_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include "capture/probe.h"
#include "select/select.h"
#include "config/rules_conf.h"
#include "deliver/output.h"

#define HR_DEFAULT_CONFIG_PATH	 "/etc/hostrail/hostrail.json"
#define HR_DEFAULT_STATE_DIR	 "/var/lib/hostrail"
#define HR_DEFAULT_BUCKET_DIR	 "/var/lib/hostrail/bucket"
#define HR_DEFAULT_ACCOUNT_ID	 "000000000000"
#define HR_DEFAULT_TRAIL_NAME	 "hostrail"
#define HR_DEFAULT_PERIOD_S	 300
#define HR_MAX_TRAILS		 8
#define HR_DEFAULT_HISTORY_DAYS	 90
#define HR_DEFAULT_CONTROL_GROUP "hostrail"

struct hr_trail_config {
	char name[128];
	char bucket_dir[PATH_MAX];
	char s3_bucket_name[256]; /* "" until resolved: bucket_dir's base name */
	unsigned batch_seconds;
	unsigned digest_seconds;  /* 0 until resolved: batch_seconds */
	bool forward_to_journald; /* "forwardToJournald", default true */
	/* the outputs (hr_output_bit) NOT in "outputs": 0, every output, is
	 * the default; journald also needs forward_to_journald */
	unsigned outputs_off;
	/* "eventSelectors" / "advancedEventSelectors" as read (json_t *,
	 * owned), compiled by hr_config_finish() once region and account are
	 * known. */
	void *event_selectors_json;
	void *advanced_selectors_json;
	struct hr_selectors selectors;
	/* Delivery to an S3-compatible store (docs/fleet.md): on when
	 * endpoint_url is set; the bucket is s3_bucket_name. */
	struct hr_trail_s3 {
		char endpoint_url[512];		 /* "s3EndpointUrl" */
		char region[64];		 /* "s3Region", default us-east-1 */
		char key_prefix[201];		 /* "s3KeyPrefix" (CloudTrail's S3KeyPrefix) */
		char kms_key_id[256];		 /* "kmsKeyId": SSE-KMS; "" SSE-S3 */
		char ca_bundle[PATH_MAX];	 /* "s3CaBundle" */
		char credentials_file[PATH_MAX]; /* "s3CredentialsFile": root 0600 */
		char profile[128];		 /* "s3Profile" */
		bool virtual_hosted;		 /* "s3AddressingStyle": "virtual" */
		unsigned retry_max_seconds;	 /* "s3RetryMaxSeconds", default 60 */
	} s3;
};

struct hr_config {
	char source[PATH_MAX]; /* the file read, or "embedded default" */
	char account_id[16];
	char region[64]; /* "" until resolved: the host name */
	char state_dir[PATH_MAX];
	unsigned history_retention_days; /* "historyRetentionDays", default 90 */
	/* "controlGroup": members may read trail status over the control
	 * socket when this group exists; default "hostrail" */
	char control_group[64];
	/* "captureHook": "auto" (the probe's cheapest hook, the default),
	 * "tracepoint" (the syscall tracepoints for every call) or
	 * "exit-only" (a measurement: docs/operations.md) */
	enum hr_capture_choice capture_hook;
	/* "sandbox": drop to the running phase's capabilities and seccomp
	 * filter once attached (common/sandbox.h); default true */
	bool sandbox;
	/* "queueMiB": {"bucket": N, "journald": N, "history": N}, the bounds
	 * of the in-memory queues, 1 to 1024 MiB (0 here: each one's default,
	 * docs/operations.md "Memory") */
	size_t bucket_queue_bytes;
	size_t output_queue_bytes[HR_OUTPUTS_MAX]; /* by hr_output_bit() */
	struct hr_trail_config trails[HR_MAX_TRAILS];
	int n_trails;
	/* "rules": checked and kept, not yet run by the agent (docs/rules.md) */
	struct hr_rules_config rules;
};

/* The embedded default: one trail, everything under /var/lib/hostrail. */
void hr_config_default(struct hr_config *c);

/* Read a JSON file over the defaults. Unknown fields and wrong types are
 * refused; err gets "FILE: $.json.path: reason". */
int hr_config_load_file(struct hr_config *c, const char *path, char *err, size_t errlen);

/* Fill what depends on other fields (region from the host name, bucket name,
 * digest period) and check every value. */
int hr_config_finish(struct hr_config *c, char *err, size_t errlen);

/* Release what load and finish allocated (selectors, rules). NULL-safe. */
void hr_config_free(struct hr_config *c);

/* The host's short name as a region: lower-case, [a-z0-9-] only. */
void hr_config_region_from_hostname(char *buf, size_t len);

#endif

/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * awscreds.h - AWS credentials, found the way the AWS tools find them.
 *
 * Order: a credentials file named in the trail (only that, and refused
 * unless root-owned and 0600); else the environment (AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN); else the shared credentials
 * file (AWS_SHARED_CREDENTIALS_FILE, ~/.aws/credentials) and then the config
 * file (AWS_CONFIG_FILE, ~/.aws/config, "[profile NAME]") for the profile
 * (AWS_PROFILE, else the trail's, else "default"); else IMDSv2 (endpoint
 * AWS_EC2_METADATA_SERVICE_ENDPOINT, off with AWS_EC2_METADATA_DISABLED=true).
 *
 * No error message ever holds a key: only where it came from and why.
 */
#ifndef HOSTRAIL_COMMON_AWSCREDS_H
#define HOSTRAIL_COMMON_AWSCREDS_H

#include <stddef.h>
#include <stdint.h>

#define HR_CREDS_ERR_MAX 512

enum hr_creds_source {
	HR_CREDS_NONE,
	HR_CREDS_TRAIL_FILE,
	HR_CREDS_ENV,
	HR_CREDS_SHARED_FILE,
	HR_CREDS_CONFIG_FILE,
	HR_CREDS_IMDS,
};

struct hr_aws_creds {
	char *access_key_id;
	char *secret_access_key;
	char *session_token; /* NULL: none */
	int64_t expires_ns;  /* wall clock; 0: does not expire */
	enum hr_creds_source source;
};

struct hr_creds_opts {
	const char *trail_file; /* the trail's credentials file, or NULL */
	const char *profile;	/* the trail's profile, or NULL */
};

/* The name of a source for status and errors ("environment", ...). */
const char *hr_creds_source_name(enum hr_creds_source s);

/* Find credentials. 0, or -ENOENT (none anywhere), -EACCES (a file that
 * is not root-owned 0600), -EINVAL (a file that cannot be parsed), -EIO;
 * err says which source and why. */
int hr_aws_creds_load(const struct hr_creds_opts *o, struct hr_aws_creds *out, char *err,
		      size_t errlen);

/* The keys of one section of an INI text ("default", "profile x"): 0,
 * -ENOENT (no such section, or no key pair in it), -EINVAL (a line that is
 * not "key = value"; err names its number). */
int hr_aws_creds_parse_ini(const char *text, const char *section, struct hr_aws_creds *out,
			   char *err, size_t errlen);

/* IMDSv2 at endpoint ("http://169.254.169.254"): token, role, keys. */
int hr_aws_creds_imds(const char *endpoint, struct hr_aws_creds *out, char *err, size_t errlen);

/* Wipe and free the keys. NULL-safe. */
void hr_aws_creds_free(struct hr_aws_creds *c);

#endif

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * hostrail validate-logs - the same report as `aws cloudtrail validate-logs`
 * over a bucket directory, plus the checks aws-cli does not make
 * (sign/validate.h, docs/integrity.md).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ftw.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/store_copy.h"
#include "config/config.h"
#include "common/timefmt.h"
#include "sign/validate.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: hostrail validate-logs --bucket-dir DIR --start-time T [--end-time T]\n"
		"                              [--state-dir DIR | --public-keys FILE] [--verbose]\n"
		"                              [--account-id A] [--region R] [--trail-name N]\n"
		"                              [--trail-arn ARN] [--s3-bucket NAME]\n"
		"                              [--digest-seconds N]\n"
		"       hostrail validate-logs --endpoint-url URL --s3-bucket NAME [--s3-prefix "
		"P]\n"
		"                              --start-time T ... (the same options)\n"
		"\n"
		"Check every digest and log file delivered between the two times (T: "
		"2026-11-21T10:00:00Z,\n"
		"2026-11-21T10:00:00, 2026-11-21 or epoch seconds; the end defaults to now) and "
		"print\n"
		"what `aws cloudtrail validate-logs` prints, plus what it does not check.\n"
		"\n"
		"  --bucket-dir DIR      the bucket directory the agent delivers into\n"
		"  --state-dir DIR       the agent's state (public keys and chain state; default "
		"%s)\n"
		"  --public-keys FILE    ListPublicKeys JSON (`hostrail list-public-keys`) instead "
		"of a\n"
		"                        state directory, e.g. for a copy of the bucket off the "
		"host\n"
		"  --account-id, --region, --trail-name, --trail-arn\n"
		"                        which trail, when the bucket holds several\n"
		"  --s3-bucket NAME      the bucket name in the digests (default: as they say)\n"
		"  --digest-seconds N    the agent's digest period (default: inferred, else 300)\n"
		"  --endpoint-url URL    read the objects from this S3-compatible store instead\n"
		"                        (credentials as the AWS tools find them; AWS_REGION)\n"
		"  --s3-prefix P         the trail's S3KeyPrefix in that store\n"
		"  --verbose             also print the valid digest and log files\n"
		"\n"
		"Exit status: 0 all valid, 1 something INVALID, 2 bad usage or input.\n",
		HR_DEFAULT_STATE_DIR);
}

/* arn:<partition>:cloudtrail:<region>:<12 digits>:trail/<name>, as aws-cli checks it. */
static int parse_arn(const char *arn, char *acct, char *region, char *trail)
{
	char part[64];
	int n = 0;

	if (sscanf(arn, "arn:%63[^:]:cloudtrail:%63[^:]:%15[0-9]:trail/%n", part, region, acct,
		   &n) != 3 ||
	    !n || strlen(acct) != 12 || !arn[n] || strlen(arn + n) >= 128)
		return -EINVAL;
	strcpy(trail, arn + n);
	return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

/* --endpoint-url: the store's objects into a private directory, validated
 * there by the same validator, then removed. */
static int validate_store(struct hr_validate_opts *o, const char *endpoint, const char *prefix,
			  const char *start, const char *end)
{
	char dir[] = "/tmp/hostrail-validate-XXXXXX", err[1024];
	const char *region = getenv("AWS_REGION") ? getenv("AWS_REGION") :
						    getenv("AWS_DEFAULT_REGION");
	struct hr_s3_endpoint e = {endpoint, region ? region : "us-east-1", o->bucket_name, false,
				   NULL};
	size_t n = 0;
	int rc;

	if (o->bucket_dir || !o->bucket_name || !start) {
		fprintf(stderr, "hostrail validate-logs: --endpoint-url needs --s3-bucket and "
				"--start-time, and no --bucket-dir\n");
		return 2;
	}
	if (hr_cli_time_parse(start, &o->start) || (end && hr_cli_time_parse(end, &o->end))) {
		fprintf(stderr, "hostrail validate-logs: unable to parse the start or end time\n");
		return 2;
	}
	if (end && o->end == 0)
		o->end = 1;
	if (!mkdtemp(dir)) {
		fprintf(stderr, "hostrail validate-logs: cannot create %s: %s\n", dir,
			strerror(errno));
		return 2;
	}
	rc = hr_store_copy(&e, prefix, dir, &n, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "hostrail validate-logs: failed to read s3://%s/%s: %s\n",
			o->bucket_name, prefix ? prefix : "", err);
		rc = 2;
	} else {
		o->bucket_dir = dir;
		if (!o->public_keys_file && !o->state_dir)
			o->state_dir = HR_DEFAULT_STATE_DIR;
		rc = hr_validate_logs(o, NULL);
	}
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return rc;
}

int hr_cmd_validate_logs(int argc, char **argv)
{
	enum {
		O_BUCKET = 256,
		O_STATE,
		O_KEYS,
		O_START,
		O_END,
		O_VERBOSE,
		O_ACCT,
		O_REGION,
		O_TRAIL,
		O_ARN,
		O_S3,
		O_DIGEST,
		O_ENDPOINT,
		O_PREFIX,
		O_HELP,
	};
	static const struct option opts[] = {
		{"bucket-dir", required_argument, NULL, O_BUCKET},
		{"state-dir", required_argument, NULL, O_STATE},
		{"public-keys", required_argument, NULL, O_KEYS},
		{"start-time", required_argument, NULL, O_START},
		{"end-time", required_argument, NULL, O_END},
		{"verbose", no_argument, NULL, O_VERBOSE},
		{"account-id", required_argument, NULL, O_ACCT},
		{"region", required_argument, NULL, O_REGION},
		{"trail-name", required_argument, NULL, O_TRAIL},
		{"trail-arn", required_argument, NULL, O_ARN},
		{"s3-bucket", required_argument, NULL, O_S3},
		{"digest-seconds", required_argument, NULL, O_DIGEST},
		{"endpoint-url", required_argument, NULL, O_ENDPOINT},
		{"s3-prefix", required_argument, NULL, O_PREFIX},
		{"help", no_argument, NULL, O_HELP},
		{0},
	};
	struct hr_validate_opts o = {0};
	char acct[16], region[64], trail[128];
	const char *start = NULL, *end = NULL, *endpoint = NULL, *prefix = NULL;
	int opt;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case O_BUCKET:
			o.bucket_dir = optarg;
			break;
		case O_STATE:
			o.state_dir = optarg;
			break;
		case O_KEYS:
			o.public_keys_file = optarg;
			break;
		case O_START:
			start = optarg;
			break;
		case O_END:
			end = optarg;
			break;
		case O_VERBOSE:
			o.verbose = true;
			break;
		case O_ACCT:
			o.account_id = optarg;
			break;
		case O_REGION:
			o.region = optarg;
			break;
		case O_TRAIL:
			o.trail_name = optarg;
			break;
		case O_S3:
			o.bucket_name = optarg;
			break;
		case O_ARN:
			if (parse_arn(optarg, acct, region, trail)) {
				fprintf(stderr, "hostrail validate-logs: invalid trail ARN: %s\n",
					optarg);
				return 2;
			}
			o.trail_arn = optarg;
			o.account_id = acct;
			o.region = region;
			o.trail_name = trail;
			break;
		case O_DIGEST: {
			char *e;
			unsigned long v = strtoul(optarg, &e, 10);

			if (*e || !*optarg || v == 0 || v > 86400) {
				fprintf(stderr,
					"hostrail validate-logs: --digest-seconds: not a "
					"number of seconds (1-86400): %s\n",
					optarg);
				return 2;
			}
			o.digest_seconds = (unsigned)v;
			break;
		}
		case O_ENDPOINT:
			endpoint = optarg;
			break;
		case O_PREFIX:
			prefix = optarg;
			break;
		case O_HELP:
			usage(stdout);
			return 0;
		default:
			fprintf(stderr,
				"hostrail validate-logs: unknown option or missing value: "
				"%s\n\n",
				argv[optind - 1]);
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "hostrail validate-logs: unexpected argument: %s\n", argv[optind]);
		return 2;
	}
	if (endpoint)
		return validate_store(&o, endpoint, prefix, start, end);
	if (!o.bucket_dir || !start) {
		fprintf(stderr, "hostrail validate-logs: --bucket-dir and --start-time are "
				"required\n\n");
		usage(stderr);
		return 2;
	}
	if (hr_cli_time_parse(start, &o.start)) {
		fprintf(stderr, "hostrail validate-logs: unable to parse the start time: %s\n",
			start);
		return 2;
	}
	if (end && hr_cli_time_parse(end, &o.end)) {
		fprintf(stderr, "hostrail validate-logs: unable to parse the end time: %s\n", end);
		return 2;
	}
	if (end && o.end == 0)
		o.end = 1; /* 0 means "now" to the library */
	if (!o.public_keys_file && !o.state_dir)
		o.state_dir = HR_DEFAULT_STATE_DIR;
	return hr_validate_logs(&o, NULL);
}

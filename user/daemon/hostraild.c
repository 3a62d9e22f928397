// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * hostraild - the hostrail agent. Runs in the foreground; systemd or a
 * terminal owns it. Options override the configuration file, which
 * overrides the embedded default.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "common/log.h"
#include "common/sandbox.h"
#include "config/config.h"
#include "daemon/agent.h"

static volatile int stop_requested;
static struct hr_reload reload_request;

static void on_stop_signal(int sig)
{
	stop_requested = sig;
}

/* SIGHUP: who sent it is recorded with the changes it causes. */
static void on_reload_signal(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	reload_request.sender_pid = si->si_pid;
	reload_request.sender_uid = si->si_uid;
	reload_request.requested = 1;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: hostraild [options]\n"
		"  --config FILE          configuration file (default %s if it exists,\n"
		"                         else the embedded default)\n"
		"  --check-config         validate the configuration and exit\n"
		"  --bucket-dir DIR       where log and digest files are delivered\n"
		"  --state-dir DIR        keys, chain state, spool\n"
		"  --batch-seconds N      seconds per log file batch (default 300)\n"
		"  --digest-seconds N     seconds per digest (default: the batch period)\n"
		"  --account-id ID        12-digit account id (default 000000000000)\n"
		"  --region NAME          region written in records (default: host name)\n"
		"  --trail-name NAME      trail name (default hostrail)\n"
		"  --s3-bucket-name NAME  bucket name written in records and digests\n"
		"  --verbose              debug logging\n",
		HR_DEFAULT_CONFIG_PATH);
}

/* A whole number of seconds in [1, 86400], or -1. */
static long parse_seconds(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > 86400)
		return -1;
	return v;
}

static int set_str(char *dst, size_t len, const char *src, const char *opt)
{
	if (strlen(src) >= len) {
		fprintf(stderr, "hostraild: %s is too long\n", opt);
		return -1;
	}
	memcpy(dst, src, strlen(src) + 1);
	return 0;
}

/* Overrides are collected first and applied after the file is read, at
 * start and again at every SIGHUP. */
static const char *config_path, *bucket, *state, *account, *region, *trail, *s3name;
static long batch, digest;

/* The file (or the embedded default) plus the overrides, checked.
 * 0, 1 (refused: err says why) or 2 (an option is wrong). */
static int load_config(struct hr_config *cfg, char *err, size_t errlen)
{
	hr_config_default(cfg);
	if (config_path && hr_config_load_file(cfg, config_path, err, errlen))
		return 1;
	if ((bucket && set_str(cfg->trails[0].bucket_dir, sizeof(cfg->trails[0].bucket_dir), bucket,
			       "--bucket-dir")) ||
	    (state && set_str(cfg->state_dir, sizeof(cfg->state_dir), state, "--state-dir")) ||
	    (account &&
	     set_str(cfg->account_id, sizeof(cfg->account_id), account, "--account-id")) ||
	    (region && set_str(cfg->region, sizeof(cfg->region), region, "--region")) ||
	    (trail &&
	     set_str(cfg->trails[0].name, sizeof(cfg->trails[0].name), trail, "--trail-name")) ||
	    (s3name && set_str(cfg->trails[0].s3_bucket_name, sizeof(cfg->trails[0].s3_bucket_name),
			       s3name, "--s3-bucket-name"))) {
		snprintf(err, errlen, "an option is too long");
		return 2;
	}
	if (batch)
		cfg->trails[0].batch_seconds = batch;
	if (digest)
		cfg->trails[0].digest_seconds = digest;
	if (hr_config_finish(cfg, err, errlen))
		return 1;
	return 0;
}

static int reload_config(struct hr_config *cfg, char *err, size_t errlen)
{
	return load_config(cfg, err, errlen) ? -EINVAL : 0;
}

enum {
	OPT_CONFIG = 1,
	OPT_CHECK,
	OPT_BUCKET,
	OPT_STATE,
	OPT_BATCH,
	OPT_DIGEST,
	OPT_ACCOUNT,
	OPT_REGION,
	OPT_TRAIL,
	OPT_S3NAME,
	OPT_VERBOSE,
	OPT_HELP,
};

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, OPT_CONFIG},
		{"check-config", no_argument, NULL, OPT_CHECK},
		{"bucket-dir", required_argument, NULL, OPT_BUCKET},
		{"state-dir", required_argument, NULL, OPT_STATE},
		{"batch-seconds", required_argument, NULL, OPT_BATCH},
		{"digest-seconds", required_argument, NULL, OPT_DIGEST},
		{"account-id", required_argument, NULL, OPT_ACCOUNT},
		{"region", required_argument, NULL, OPT_REGION},
		{"trail-name", required_argument, NULL, OPT_TRAIL},
		{"s3-bucket-name", required_argument, NULL, OPT_S3NAME},
		{"verbose", no_argument, NULL, OPT_VERBOSE},
		{"help", no_argument, NULL, OPT_HELP},
		{0},
	};
	int check_only = 0, opt;
	static struct hr_config cfg;
	struct sigaction sa = {0};
	char err[1024];
	int rc = 0;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case OPT_CONFIG:
			config_path = optarg;
			break;
		case OPT_CHECK:
			check_only = 1;
			break;
		case OPT_BUCKET:
			bucket = optarg;
			break;
		case OPT_STATE:
			state = optarg;
			break;
		case OPT_ACCOUNT:
			account = optarg;
			break;
		case OPT_REGION:
			region = optarg;
			break;
		case OPT_TRAIL:
			trail = optarg;
			break;
		case OPT_S3NAME:
			s3name = optarg;
			break;
		case OPT_VERBOSE:
			hr_log_set_level(HR_LOG_DEBUG);
			break;
		case OPT_BATCH:
		case OPT_DIGEST: {
			long v = parse_seconds(optarg);

			if (v < 0) {
				fprintf(stderr,
					"hostraild: --%s takes a whole number of seconds "
					"from 1 to 86400, not '%s'\n",
					opt == OPT_BATCH ? "batch-seconds" : "digest-seconds",
					optarg);
				return 2;
			}
			*(opt == OPT_BATCH ? &batch : &digest) = v;
			break;
		}
		case OPT_HELP:
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "hostraild: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}

	if (!config_path && access(HR_DEFAULT_CONFIG_PATH, F_OK) == 0)
		config_path = HR_DEFAULT_CONFIG_PATH;
	rc = load_config(&cfg, err, sizeof(err));
	if (rc == 2)
		return 2;
	if (rc) {
		fprintf(stderr, "hostraild: refused configuration: %s\n", err);
		return 1;
	}
	if (check_only) {
		printf("%s: configuration is valid\n", cfg.source);
		return 0;
	}

	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sa.sa_handler = NULL;
	sa.sa_sigaction = on_reload_signal;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigaction(SIGHUP, &sa, NULL);
	reload_request.load = reload_config;

	hr_info("hostrail %s starting with %s", HOSTRAIL_VERSION, cfg.source);
	hr_sandbox_set_enabled(cfg.sandbox);
	rc = hr_agent_run(&cfg, &stop_requested, &reload_request);
	hr_config_free(&cfg);
	return rc;
}

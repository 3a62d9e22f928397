// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bench_validate - what integrity costs.
 *
 *   validate-logs: MB of uncompressed log files checked per second (inflate,
 *                  SHA-256, the record scan, the digest chain), one thread,
 *                  files in the page cache, as `hostrail validate-logs` runs.
 *   sign:          one SHA256withRSA signature (RSA-2048) per digest, and the
 *                  whole digest delivery (build, gzip, sign, three fsyncs).
 *
 * usage: bench_validate [MB of uncompressed logs, default 256]
 * Prints "validate-logs: X MB/s" and "sign: Y us/digest" (plus detail lines).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "deliver/logfile.h"
#include "sign/keys.h"
#include "sign/signer.h"
#include "common/timefmt.h"
#include "sign/validate.h"

#define NS	1000000000LL
#define FILE_MB 8 /* ~ a busy host's five-minute batch */

/* One ~900-byte record shaped like the agent's own (record.c). */
static const char record_fmt[] =
	"{\"eventVersion\":\"1.11\",\"userIdentity\":{\"type\":\"IAMUser\",\"principalId\":"
	"\"1000\","
	"\"arn\":\"arn:hostrail:iam:benchhost:123456789012:user/alice\",\"accountId\":"
	"\"123456789012\",\"userName\":\"alice\",\"accessKeyId\":\"HRS%016llx\","
	"\"sessionContext\":{\"attributes\":{\"creationDate\":\"2026-11-21T09:00:00Z\","
	"\"mfaAuthenticated\":\"false\"}}},\"eventTime\":\"%s\",\"eventSource\":"
	"\"identity.linux\",\"eventName\":\"Setuid\",\"awsRegion\":\"benchhost\","
	"\"sourceIPAddress\":\"192.0.2.%d\",\"userAgent\":\"/usr/bin/sudo\","
	"\"requestParameters\":{\"uid\":0,\"userName\":\"root\"},\"responseElements\":null,"
	"\"additionalEventData\":{\"eventTimeNanos\":%lld,\"process\":{\"pid\":%d,\"ppid\":%d,"
	"\"comm\":\"sudo\",\"exe\":\"/usr/bin/sudo\",\"tty\":\"pts/%d\",\"cgroupId\":%d},"
	"\"credentials\":{\"uid\":1000,\"euid\":0,\"gid\":1000,\"egid\":1000}},"
	"\"requestID\":\"%016llx-%016llx\",\"eventID\":\"%08x-%04x-4%03x-a%03x-%012llx\","
	"\"readOnly\":false,\"resources\":[{\"accountId\":\"123456789012\",\"type\":"
	"\"Linux::User\",\"ARN\":\"arn:hostrail:iam:benchhost:123456789012:user/root\"}],"
	"\"eventType\":\"AwsApiCall\",\"managementEvent\":true,\"recipientAccountId\":"
	"\"123456789012\",\"eventCategory\":\"Management\"}";

static int64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * NS + ts.tv_nsec;
}

static uint64_t rnd(void)
{
	static uint64_t x = 0x9e3779b97f4a7c15ULL;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return x;
}

/* One log file of about FILE_MB MB, delivered as the batcher does. */
static int deliver_one(struct hr_signer *s, const char *bucket, int64_t t_ns, uint64_t *bytes)
{
	struct hr_delivered_log d = {0};
	struct hr_publish p = {0};
	char unique[HR_LOG_UNIQUE_LEN + 1], rec[2048], when[HR_CT_TIME_LEN + 1];
	int64_t ev = t_ns - 60 * NS;
	int err;

	err = hr_logfile_unique(unique);
	err = err   ?:
		      hr_logfile_key(d.key, sizeof(d.key), "123456789012", "benchhost", t_ns,
				     unique);
	err = err ?: hr_publish_begin(&p, bucket, d.key);
	err = err ?: hr_publish_write(&p, "{\"Records\":[", 12);
	d.oldest_event_ns = ev;
	while (!err && p.in_bytes < (uint64_t)FILE_MB << 20) {
		uint64_t r = rnd();
		int n;

		ev += (int64_t)(r % 1000000);
		hr_ct_time_fmt(hr_ns_to_sec(ev), when);
		n = snprintf(rec, sizeof(rec), record_fmt, (unsigned long long)(r >> 8), when,
			     (int)(r % 250) + 1, (long long)ev, (int)(r % 30000) + 1000,
			     (int)(r % 900) + 100, (int)(r % 8), (int)(r % 5000),
			     (unsigned long long)rnd(), (unsigned long long)r, (unsigned)rnd(),
			     (unsigned)(r & 0xffff), (unsigned)(r >> 20) & 0xfff,
			     (unsigned)(r >> 32) & 0xfff, (unsigned long long)(rnd() >> 16));
		err = hr_publish_write(&p, d.n_records ? "," : "", d.n_records ? 1 : 0);
		err = err ?: hr_publish_write(&p, rec, (size_t)n);
		d.n_records++;
	}
	d.newest_event_ns = ev;
	err = err ?: hr_publish_write(&p, "]}", 2);
	err = err ?: hr_publish_finish(&p);
	if (!err) {
		memcpy(d.sha256_hex, p.sha256_hex, sizeof(d.sha256_hex));
		d.uncompressed_bytes = p.in_bytes;
		d.delivered_ns = t_ns;
		hr_signer_on_delivered(s, &d);
		err = hr_publish_commit(&p);
		*bytes += p.in_bytes;
	}
	if (err)
		fprintf(stderr, "bench_validate: %s\n", p.err[0] ? p.err : strerror(-err));
	hr_publish_release(&p);
	return err;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	char dir[] = "/tmp/hostrail-bench-XXXXXX", bucket[64], state[64], cmd[128];
	struct hr_signer_opts so = {0};
	struct hr_signer *s = NULL;
	struct hr_signkey *key = NULL;
	struct hr_validate_result res;
	struct hr_validate_opts vo = {0};
	unsigned mb = argc > 1 ? (unsigned)atoi(argv[1]) : 256;
	int64_t now = clock_ns(CLOCK_REALTIME), t0;
	uint64_t bytes = 0;
	double mbs[3], us;
	char fp[HR_FP_LEN + 1], err[1024], *sig = NULL;
	FILE *devnull = fopen("/dev/null", "w");
	int rc = 1, n_digests = 100;

	hr_log_set_level(HR_LOG_ERROR);
	if (!mkdtemp(dir) || !devnull) {
		perror("bench_validate");
		return 1;
	}
	snprintf(bucket, sizeof(bucket), "%s/bucket", dir);
	snprintf(state, sizeof(state), "%s/state", dir);
	so.state_dir = state;
	so.bucket_dir = bucket;
	snprintf(so.frame.account_id, sizeof(so.frame.account_id), "123456789012");
	snprintf(so.frame.region, sizeof(so.frame.region), "benchhost");
	snprintf(so.frame.trail_name, sizeof(so.frame.trail_name), "hostrail");
	snprintf(so.frame.bucket_name, sizeof(so.frame.bucket_name), "bucket");
	so.digest_seconds = 1;
	if (mkdir(state, 0700) || mkdir(bucket, 0750) || hr_signer_open(&so, &s)) {
		fprintf(stderr, "bench_validate: cannot set up %s\n", dir);
		goto out;
	}

	/* signing alone */
	if (hr_keys_current(state, fp, err, sizeof(err)) ||
	    hr_signkey_load(state, fp, &key, err, sizeof(err)))
		goto out;
	t0 = clock_ns(CLOCK_MONOTONIC);
	for (int i = 0; i < 200; i++) {
		free(sig);
		if (hr_signkey_sign(key, record_fmt, 300, &sig))
			goto out;
	}
	us = (double)(clock_ns(CLOCK_MONOTONIC) - t0) / 200 / 1000;
	printf("sign: %.0f us/digest (SHA256withRSA, RSA-%d)\n", us, HR_KEY_BITS);

	/* whole empty digests, one a second of (pretended) time */
	t0 = clock_ns(CLOCK_MONOTONIC);
	for (int i = 1; i <= n_digests; i++)
		if (hr_signer_tick(s, now + (int64_t)i * NS)) {
			fprintf(stderr, "bench_validate: digest %d failed\n", i);
			goto out;
		}
	us = (double)(clock_ns(CLOCK_MONOTONIC) - t0) / n_digests / 1000;
	printf("digest delivery: %.0f us/digest (build, gzip, sign, sidecar, 3 fsyncs)\n", us);

	/* a bucket of mb MB of logs, then the final digest */
	now += (int64_t)(n_digests + 1) * NS;
	for (unsigned i = 0; bytes < (uint64_t)mb << 20; i++)
		if (deliver_one(s, bucket, now, &bytes))
			goto out;
	if (hr_signer_stop(s, now + NS))
		goto out;

	vo.bucket_dir = bucket;
	vo.state_dir = state;
	vo.start = hr_ns_to_sec(now) - 3600;
	vo.end = hr_ns_to_sec(now) + 3600;
	vo.out = devnull;
	vo.err = devnull;
	for (int i = 0; i < 3; i++) {
		int64_t c0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID), w0 = clock_ns(CLOCK_MONOTONIC);
		int v = hr_validate_logs(&vo, &res);
		int64_t wall = clock_ns(CLOCK_MONOTONIC) - w0;
		int64_t cpu = clock_ns(CLOCK_PROCESS_CPUTIME_ID) - c0;

		if (v != 0 || res.logs_invalid || res.log_bytes < bytes) {
			fprintf(stderr, "bench_validate: validation failed (%d, %u invalid)\n", v,
				res.logs_invalid);
			goto out;
		}
		/* one thread: wall and CPU time agree unless the machine is busy */
		mbs[i] = (double)res.log_bytes / 1e6 / ((double)(wall > cpu ? cpu : wall) / 1e9);
	}
	qsort(mbs, 3, sizeof(mbs[0]), cmp_double);
	printf("validate-logs: %.0f MB/s (median of 3; %.0f MB of logs in %u files, %llu records, "
	       "%u digests)\n",
	       mbs[1], (double)res.log_bytes / 1e6, res.logs_valid, (unsigned long long)res.records,
	       res.digests_valid);
	rc = 0;
out:
	free(sig);
	hr_signkey_free(key);
	hr_signer_close(s);
	fclose(devnull);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		fprintf(stderr, "bench_validate: could not remove %s\n", dir);
	return rc;
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bench_rules - what EventBridge rules cost per record (issue 18 point 4):
 * the matching cost with 1,000 rules against the cost with 10, target at
 * most 3x. The rules are a security team's kind: an eventName with a user,
 * a path prefix or an address block, spread over hostrail's calls; the
 * records are envelopes of Setuid, Openat, FinitModule and ConsoleLogin
 * records, some matching. One thread, records parsed beforehand (the agent
 * would hand over its JSON object).
 *
 * usage: bench_rules [records, default 200000]
 * Prints "rules: 10 X ns/record, 1000 Y ns/record, ratio R (target <= 3)".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>

#include "rules/envelope.h"
#include "rules/pattern.h"

static const char *const names[] = {
	"Setuid", "Setgid", "Openat", "Unlinkat", "Renameat2", "FinitModule", "InitModule", "Mount",
	"Execve", "Ptrace", "Chmod",  "Fchownat", "Bpf",       "Reboot",      "Sethostname"};
#define N_NAMES (sizeof(names) / sizeof(names[0]))

static void rule_text(char *buf, size_t size, int i)
{
	const char *name = names[i % N_NAMES];

	switch (i % 3) {
	case 0:
		snprintf(buf, size,
			 "{\"source\":[{\"prefix\":\"aws.\"}],\"detail\":{\"eventName\":[\"%s\"],"
			 "\"userIdentity\":{\"userName\":[\"user%d\"]}}}",
			 name, i);
		break;
	case 1:
		snprintf(buf, size,
			 "{\"detail-type\":[\"AWS API Call via CloudTrail\"],\"detail\":{"
			 "\"eventName\":[\"%s\"],\"requestParameters\":{\"path\":[{\"prefix\":"
			 "\"/etc/app%d/\"}]},\"errorCode\":[{\"exists\":false}]}}",
			 name, i);
		break;
	default:
		snprintf(
			buf, size,
			"{\"source\":[\"aws.signin\"],\"detail\":{\"eventName\":[\"ConsoleLogin\"],"
			"\"sourceIPAddress\":[{\"cidr\":\"10.%d.%d.0/24\"}]}}",
			(i / 256) % 256, i % 256);
	}
}

static json_t *record(int i)
{
	static const char *const sources[] = {"identity.linux", "file.linux", "module.linux",
					      "signin.linux"};
	static const char *const events[] = {"Setuid", "Openat", "FinitModule", "ConsoleLogin"};
	char user[32], path[64], ip[32];
	int k = i % 4;
	json_t *r;

	snprintf(user, sizeof(user), "user%d", i % 1200);
	snprintf(path, sizeof(path), "/etc/app%d/conf", i % 1100);
	snprintf(ip, sizeof(ip), "10.%d.%d.7", (i / 7) % 4, i % 256);
	r = json_pack("{s:s,s:{s:s,s:s,s:s,s:s},s:s,s:s,s:s,s:s,s:s,s:s,s:{s:s,s:i},s:n,"
		      "s:{s:{s:i,s:i,s:s}},s:b,s:s,s:s,s:[{s:s,s:s}]}",
		      "eventVersion", "1.11", "userIdentity", "type", "IAMUser", "userName", user,
		      "arn", "arn:hostrail:iam:bench:123456789012:user/x", "accountId",
		      "123456789012", "eventTime", "2026-12-07T05:00:00Z", "eventSource",
		      sources[k], "eventName", events[k], "awsRegion", "bench", "sourceIPAddress",
		      k == 3 ? ip : "localhost", "userAgent", "/usr/bin/sudo", "requestParameters",
		      "path", path, "flags", 0, "responseElements", "additionalEventData",
		      "process", "pid", 100 + i, "ppid", 1, "comm", "sudo", "readOnly", 0,
		      "eventType", k == 3 ? "AwsConsoleSignIn" : "AwsApiCall", "recipientAccountId",
		      "123456789012", "resources", "type", "Linux::File", "ARN", path);
	return r;
}

static void count(void *arg, size_t index)
{
	(*(size_t *)arg)++;
}

static double ns_per_record(int n_rules, json_t **envs, int n_envs, int records, size_t *matched,
			    unsigned long *visits)
{
	struct hr_rule_set *s = hr_rule_set_new();
	struct timespec a, b;
	char text[512], err[600];

	for (int i = 0; i < n_rules; i++) {
		rule_text(text, sizeof(text), i);
		if (hr_rule_set_add(s, hr_pattern_compile(text, err, sizeof(err))) < 0) {
			fprintf(stderr, "bench_rules: rule %d: %s\n", i, err);
			exit(1);
		}
	}
	*matched = 0;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < records; i++)
		hr_rule_set_match(s, envs[i % n_envs], count, matched);
	clock_gettime(CLOCK_MONOTONIC, &b);
	*visits = hr_rule_set_visits(s);
	hr_rule_set_free(s);
	return ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / records;
}

int main(int argc, char **argv)
{
	enum { N_ENVS = 4096 };
	int records = argc > 1 ? atoi(argv[1]) : 200000;
	static json_t *envs[N_ENVS];
	size_t m10, m1000;
	unsigned long v10, v1000;
	double t10, t1000;

	if (records < 1)
		records = 200000;
	for (int i = 0; i < N_ENVS; i++) {
		json_t *r = record(i);

		envs[i] = hr_envelope_new(r);
		json_decref(r);
	}
	/* once to warm caches and the allocator, then measured */
	ns_per_record(1000, envs, N_ENVS, records / 10 + 1, &m1000, &v1000);
	t10 = ns_per_record(10, envs, N_ENVS, records, &m10, &v10);
	t1000 = ns_per_record(1000, envs, N_ENVS, records, &m1000, &v1000);
	printf("rules: 10 %.0f ns/record, 1000 %.0f ns/record, ratio %.2f (target <= 3): %s\n", t10,
	       t1000, t1000 / t10, t1000 <= 3 * t10 ? "ok" : "MISSED");
	printf("  rules evaluated per record: %.2f with 10 rules, %.2f with 1000; matches per "
	       "record %.3f and %.3f\n",
	       (double)v10 / records, (double)v1000 / records, (double)m10 / records,
	       (double)m1000 / records);
	for (int i = 0; i < N_ENVS; i++)
		json_decref(envs[i]);
	return 0;
}

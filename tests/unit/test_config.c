// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* test_config.c - the configuration file: what is accepted, and each
 * refusal with its exact "FILE: $.path: reason" message. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include "harness.h"
#include "config/config.h"
#include "deliver/output.h"
#include "record/record.h"

static char file[64];

/* Load text as a file over the defaults and finish; err gets the refusal. */
static int load(struct hr_config *c, const char *text, char *err, size_t len)
{
	FILE *f = fopen(file, "w");
	int rc;

	fputs(text, f);
	fclose(f);
	hr_config_default(c);
	err[0] = '\0';
	rc = hr_config_load_file(c, file, err, len);
	if (!rc)
		rc = hr_config_finish(c, err, len);
	return rc;
}

TEST(two_trails_with_selectors)
{
	struct hr_config c;
	char err[1024];
	struct hr_record r = {0};

	CHECK_INT(load(&c,
		       "{\"accountId\":\"123456789012\",\"region\":\"web-1\",\"trails\":["
		       "{\"name\":\"mgmt\",\"bucketDir\":\"/b/mgmt\"},"
		       "{\"name\":\"files\",\"bucketDir\":\"/b/files\",\"eventSelectors\":["
		       "{\"IncludeManagementEvents\":false,\"DataResources\":["
		       "{\"Type\":\"Linux::File\",\"Values\":[\"/srv/data/\"]}]}]}]}",
		       err, sizeof(err)),
		  0);
	CHECK_STR(err, "");
	CHECK_INT(c.n_trails, 2);
	r.event_category = "Management";
	r.event_source = "identity.linux";
	r.event_name = "Setuid";
	CHECK(hr_select_match(&c.trails[0].selectors, &r));
	CHECK(!hr_select_match(&c.trails[1].selectors, &r));
	r.event_category = "Data";
	r.n_resources = 1;
	r.resources[0].type = "Linux::File";
	r.resources[0].arn = (char *)"arn:hostrail:file:web-1:123456789012:/srv/data/x";
	CHECK(!hr_select_match(&c.trails[0].selectors, &r));
	CHECK(hr_select_match(&c.trails[1].selectors, &r));
	CHECK(c.trails[1].forward_to_journald);
	CHECK_INT(c.trails[1].outputs_off, 0); /* every output by default */
	hr_config_free(&c);
}

/* "outputs" turns the others off; forwardToJournald keeps its meaning. */
TEST(trail_outputs)
{
	struct hr_config c;
	char err[1024];
	int history = hr_output_bit(HR_OUTPUT_HISTORY),
	    journald = hr_output_bit(HR_OUTPUT_JOURNALD);

	CHECK(history >= 0 && journald >= 0 && history != journald);
	CHECK_INT(load(&c,
		       "{\"trails\":[{\"name\":\"a\",\"bucketDir\":\"/b/hist\","
		       "\"outputs\":[\"history\"]}]}",
		       err, sizeof(err)),
		  0);
	CHECK_STR(err, "");
	CHECK(!(c.trails[0].outputs_off & (1u << history)));
	CHECK(c.trails[0].outputs_off & (1u << journald));
	hr_config_free(&c);
}

/* captureHook: the probe's choice by default, or one the operator forces. */
TEST(capture_hook)
{
	static const struct {
		const char *text;
		enum hr_capture_choice want;
	} t[] = {
		{"{}", HR_CAPTURE_AUTO},
		{"{\"captureHook\":\"auto\"}", HR_CAPTURE_AUTO},
		{"{\"captureHook\":\"tracepoint\"}", HR_CAPTURE_TRACEPOINT},
		{"{\"captureHook\":\"exit-only\"}", HR_CAPTURE_EXIT_ONLY},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct hr_config c;
		char err[1024];

		CHECK_INT(load(&c, t[i].text, err, sizeof(err)), 0);
		CHECK_STR(err, "");
		CHECK_INT(c.capture_hook, t[i].want);
		hr_config_free(&c);
	}
}

/* "queueMiB": each named bound, the others left at 0 (the default). */
TEST(queue_bounds)
{
	struct hr_config c;
	char err[1024];
	int history = hr_output_bit(HR_OUTPUT_HISTORY),
	    journald = hr_output_bit(HR_OUTPUT_JOURNALD);

	CHECK_INT(load(&c, "{}", err, sizeof(err)), 0);
	CHECK(c.bucket_queue_bytes == 0 && c.output_queue_bytes[history] == 0 &&
	      c.output_queue_bytes[journald] == 0);
	hr_config_free(&c);
	CHECK_INT(load(&c, "{\"queueMiB\":{\"bucket\":16,\"history\":1}}", err, sizeof(err)), 0);
	CHECK_STR(err, "");
	CHECK(c.bucket_queue_bytes == 16u << 20);
	CHECK(c.output_queue_bytes[history] == 1u << 20);
	CHECK(c.output_queue_bytes[journald] == 0);
	hr_config_free(&c);
}

TEST(each_refusal)
{
	static const struct {
		const char *text, *want; /* want: after "FILE: " */
	} t[] = {
		{"{\"trails\":[{\"name\":\"a\",", "line 1 column 23: string or '}' expected near "
						  "end of file"},
		{"[]", "$: expected an object"},
		{"{\"colour\":1}", "$.colour: unknown field"},
		{"{\"accountId\":12}", "$.accountId: expected a string"},
		{"{\"captureHook\":\"fentry\"}",
		 "$.captureHook: expected \"auto\", \"tracepoint\" or \"exit-only\""},
		{"{\"captureHook\":1}",
		 "$.captureHook: expected \"auto\", \"tracepoint\" or \"exit-only\""},
		{"{\"accountId\":\"12\"}", "$.accountId: must be 12 digits"},
		{"{\"queueMiB\":8}", "$.queueMiB: expected an object of queue bounds in MiB by "
				     "output name"},
		{"{\"queueMiB\":{\"s3\":8}}",
		 "$.queueMiB: unknown queue (known: \"bucket\", \"journald\", \"history\")"},
		{"{\"queueMiB\":{\"journald\":0}}",
		 "$.queueMiB: a queue bound is a whole number of MiB, 1 to 1024"},
		{"{\"queueMiB\":{\"history\":2048}}",
		 "$.queueMiB: a queue bound is a whole number of MiB, 1 to 1024"},
		{"{\"region\":\"Web 1\"}", "$.region: only a-z, 0-9 and '-' are allowed"},
		{"{\"trails\":[]}", "$.trails: expected a non-empty array"},
		{"{\"trails\":[{\"name\":\"a\",\"bucketDir\":\"/b\",\"batchSeconds\":0}]}",
		 "$.trails[0].batchSeconds: must be between 1 and 86400 seconds"},
		{"{\"trails\":[{\"name\":\"a\",\"bucketDir\":\"/b\",\"selectors\":[]}]}",
		 "$.trails[0].selectors: unknown field"},
		{"{\"trails\":[{\"name\":\"a\",\"bucketDir\":\"/b\",\"forwardToJournald\":1}]}",
		 "$.trails[0].forwardToJournald: expected true or false"},
		{"{\"trails\":[{\"name\":\"a\",\"bucketDir\":\"/b\",\"outputs\":[\"s3\"]}]}",
		 "$.trails[0].outputs: unknown output (known: \"journald\", \"history\")"},
		{"{\"trails\":[{\"name\":\"a\",\"bucketDir\":\"/b\",\"outputs\":"
		 "[\"history\",\"history\"]}]}",
		 "$.trails[0].outputs: an output is listed twice"},
		{"{\"trails\":[{\"name\":\"a\",\"bucketDir\":\"/bkt\"},"
		 "{\"name\":\"a\",\"bucketDir\":\"/c\"}]}",
		 "$.trails[1].name: two trails have this name"},
		{"{\"trails\":[{\"name\":\"a\",\"bucketDir\":\"/bkt\"},"
		 "{\"name\":\"b\",\"bucketDir\":\"/bkt\"}]}",
		 "$.trails[1].bucketDir: two trails deliver to this directory; give each trail "
		 "its own"},
		{"{\"trails\":[{\"name\":\"a\",\"bucketDir\":\"/bkt\",\"eventSelectors\":[],"
		 "\"advancedEventSelectors\":[]}]}",
		 "$.trails[0]: a trail has eventSelectors or advancedEventSelectors, not both"},
		{"{\"trails\":[{\"name\":\"a\",\"bucketDir\":\"/bkt\",\"advancedEventSelectors\":"
		 "[{\"FieldSelectors\":[{\"Field\":\"eventCategory\",\"Equals\":[\"Insight\"]}]}]}]"
		 "}",
		 "$.trails[0].advancedEventSelectors[0].FieldSelectors[0].Equals[0]: unknown "
		 "eventCategory 'Insight' (Management or Data)"},
		{"{\"trails\":[{\"name\":\"a\",\"bucketDir\":\"/bkt\",\"advancedEventSelectors\":"
		 "[{\"FieldSelectors\":[{\"Field\":\"readOnly\",\"NotEquals\":[\"true\"]}]}]}]}",
		 "$.trails[0].advancedEventSelectors[0].FieldSelectors[0].NotEquals[0]: readOnly "
		 "allows only the Equals operator"},
		{"{\"trails\":[{\"name\":\"a\",\"bucketDir\":\"/bkt\",\"eventSelectors\":"
		 "[{\"DataResources\":[{\"Type\":\"Linux::File\",\"Values\":[\"data/\"]}]}]}]}",
		 "$.trails[0].eventSelectors[0].DataResources[0].Values[0]: expected an absolute "
		 "path (a prefix: end it with '/' to select a directory's contents)"},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct hr_config c;
		char err[1024], want[1200];

		snprintf(want, sizeof(want), "%s: %s", file, t[i].want);
		CHECK_INT(load(&c, t[i].text, err, sizeof(err)), -EINVAL);
		CHECK_STR(err, want);
		hr_config_free(&c);
	}
}

/* The S3 delivery fields (docs/configuration.md), and what they refuse. */
TEST(trail_s3_fields)
{
	static const struct {
		const char *fields, *want;
	} bad[] = {
		{"\"s3KeyPrefix\":\"p\"", "$.trails[0]: s3KeyPrefix, kmsKeyId and "
					  "s3CredentialsFile need s3EndpointUrl"},
		{"\"s3EndpointUrl\":\"ftp://h\"",
		 "$.trails[0].s3EndpointUrl: must be an http:// or https:// URL"},
		{"\"s3EndpointUrl\":\"http://h\",\"s3KeyPrefix\":\"/p\"",
		 "$.trails[0].s3KeyPrefix: must be a relative key without a leading or trailing "
		 "'/'"},
		{"\"s3EndpointUrl\":\"http://h\",\"s3KeyPrefix\":\"a/../b\"",
		 "$.trails[0].s3KeyPrefix: must be a relative key without a leading or trailing "
		 "'/'"},
		{"\"s3EndpointUrl\":\"http://h\",\"s3CredentialsFile\":\"creds\"",
		 "$.trails[0].s3CredentialsFile: must be an absolute path"},
		{"\"s3AddressingStyle\":\"dns\"",
		 "$.trails[0].s3AddressingStyle: expected \"path\" or \"virtual\""},
		{"\"s3Colour\":1", "$.trails[0].s3Colour: unknown field"},
	};
	struct hr_config c;
	char err[1024], text[1024], want[1200];

	CHECK_INT(load(&c,
		       "{\"trails\":[{\"name\":\"a\",\"bucketDir\":\"/b/logs\","
		       "\"s3EndpointUrl\":\"https://s3.eu-west-3.amazonaws.com\","
		       "\"s3Region\":\"eu-west-3\",\"s3KeyPrefix\":\"fleet/web\","
		       "\"kmsKeyId\":\"arn:aws:kms:eu-west-3:1:key/k\",\"s3AddressingStyle\":"
		       "\"virtual\",\"s3CaBundle\":\"/etc/ca.pem\",\"s3CredentialsFile\":"
		       "\"/etc/hostrail/creds\",\"s3Profile\":\"ops\",\"s3RetryMaxSeconds\":5}]}",
		       err, sizeof(err)),
		  0);
	CHECK_STR(err, "");
	CHECK_STR(c.trails[0].s3.endpoint_url, "https://s3.eu-west-3.amazonaws.com");
	CHECK_STR(c.trails[0].s3.region, "eu-west-3");
	CHECK_STR(c.trails[0].s3.key_prefix, "fleet/web");
	CHECK_STR(c.trails[0].s3.kms_key_id, "arn:aws:kms:eu-west-3:1:key/k");
	CHECK_STR(c.trails[0].s3.ca_bundle, "/etc/ca.pem");
	CHECK_STR(c.trails[0].s3.credentials_file, "/etc/hostrail/creds");
	CHECK_STR(c.trails[0].s3.profile, "ops");
	CHECK(c.trails[0].s3.virtual_hosted);
	CHECK_INT(c.trails[0].s3.retry_max_seconds, 5);
	hr_config_free(&c);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text),
			 "{\"trails\":[{\"name\":\"a\",\"bucketDir\":\"/bkt\",%s}]}",
			 bad[i].fields);
		snprintf(want, sizeof(want), "%s: %s", file, bad[i].want);
		CHECK_INT(load(&c, text, err, sizeof(err)), -EINVAL);
		CHECK_STR(err, want);
		hr_config_free(&c);
	}
}

/* "rules": EventBridge rules, each pattern compiled at load. */
TEST(rules)
{
	struct hr_config c;
	char err[1024];
	const struct hr_rule_config *r;

	CHECK_INT(load(&c,
		       "{\"rules\":[{\"Name\":\"module-load\",\"Description\":\"modules\","
		       "\"EventPattern\":{\"source\":[\"aws.module\"]}},"
		       "{\"Name\":\"reads\",\"State\":\"ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_"
		       "EVENTS\","
		       "\"EventPattern\":\"{\\\"source\\\": [\\\"aws.file\\\"]}\"},"
		       "{\"Name\":\"off.1\",\"State\":\"DISABLED\",\"EventPattern\":{\"a\":[1]}}]}",
		       err, sizeof(err)),
		  0);
	CHECK_STR(err, "");
	CHECK_INT(c.rules.n, 3);
	r = hr_rules_config_find(&c.rules, "module-load");
	CHECK(r != NULL);
	if (r) {
		CHECK_STR(r->event_pattern, "{\"source\":[\"aws.module\"]}");
		CHECK_STR(r->description, "modules");
		CHECK_INT(r->state, HR_RULE_ENABLED);
	}
	r = hr_rules_config_find(&c.rules, "reads");
	CHECK(r != NULL);
	if (r) {
		/* a string is kept as written, as EventBridge keeps it */
		CHECK_STR(r->event_pattern, "{\"source\": [\"aws.file\"]}");
		CHECK_INT(r->state, HR_RULE_ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS);
	}
	CHECK(hr_rules_config_find(&c.rules, "nope") == NULL);
	hr_config_free(&c);
	CHECK_INT(c.rules.n, 0);
}

TEST(rule_refusals)
{
	static const struct {
		const char *text, *want; /* want: after "FILE: " */
	} t[] = {
		{"{\"rules\":{}}", "$.rules: expected an array"},
		{"{\"rules\":[1]}", "$.rules[0]: expected an object"},
		{"{\"rules\":[{\"EventPattern\":{\"a\":[1]}}]}", "$.rules[0]: a rule needs a Name"},
		{"{\"rules\":[{\"Name\":\"a b\",\"EventPattern\":{\"a\":[1]}}]}",
		 "$.rules[0].Name: must be 1 to 64 letters, digits, '.', '-' and '_' "
		 "(EventBridge's "
		 "rule names)"},
		{"{\"rules\":[{\"Name\":\"r\"}]}",
		 "$.rules[0]: rule \"r\": a rule needs an EventPattern"},
		{"{\"rules\":[{\"Name\":\"ok\",\"EventPattern\":{\"a\":[1]}},"
		 "{\"Name\":\"bad-one\",\"EventPattern\":{\"source\":\"aws.module\"}}]}",
		 "$.rules[1].EventPattern: rule \"bad-one\": Event pattern is not valid. Reason: "
		 "\"source\" must be an object or an array"},
		{"{\"rules\":[{\"Name\":\"w\",\"EventPattern\":\"{\\\"a\\\":[{\\\"wildcard\\\":"
		 "\\\"x**\\\"}]}\"}]}",
		 "$.rules[0].EventPattern: rule \"w\": Event pattern is not valid. Reason: "
		 "Consecutive wildcard characters at pos 2"},
		{"{\"rules\":[{\"Name\":\"r\",\"EventPattern\":[1]}]}",
		 "$.rules[0].EventPattern: rule \"r\": expected the pattern as a JSON string (as "
		 "PutRule takes it) or an object"},
		{"{\"rules\":[{\"Name\":\"r\",\"EventPattern\":{\"a\":[1]},\"State\":\"enabled\"}]"
		 "}",
		 "$.rules[0].State: rule \"r\": expected \"ENABLED\", \"DISABLED\" or "
		 "\"ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS\""},
		{"{\"rules\":[{\"Name\":\"r\",\"EventPattern\":{\"a\":[1]},\"Description\":1}]}",
		 "$.rules[0].Description: rule \"r\": expected a string of at most 512 characters"},
		{"{\"rules\":[{\"Name\":\"r\",\"EventPattern\":{\"a\":[1]},\"Targets\":[]}]}",
		 "$.rules[0].Targets: rule \"r\": unknown field"},
		{"{\"rules\":[{\"Name\":\"r\",\"EventPattern\":{\"a\":[1]}},"
		 "{\"Name\":\"r\",\"EventPattern\":{\"a\":[2]}}]}",
		 "$.rules[1].Name: rule \"r\": two rules have this name"},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct hr_config c;
		char err[1024], want[1200];

		snprintf(want, sizeof(want), "%s: %s", file, t[i].want);
		CHECK_INT(load(&c, t[i].text, err, sizeof(err)), -EINVAL);
		CHECK_STR(err, want);
		hr_config_free(&c);
	}
}

int main(void)
{
	snprintf(file, sizeof(file), "/tmp/hostrail-test-config-%d.json", (int)getpid());
	RUN(two_trails_with_selectors);
	RUN(trail_outputs);
	RUN(capture_hook);
	RUN(queue_bounds);
	RUN(each_refusal);
	RUN(trail_s3_fields);
	RUN(rules);
	RUN(rule_refusals);
	unlink(file);
	TEST_MAIN_END();
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* test_select.c - event selector semantics, table by table: every operator
 * on every field, AND within a selector, OR across selectors, the default,
 * basic -> advanced conversion, the kernel prefixes, and every refusal. */
#include <errno.h>
#include <stdlib.h>
#include <jansson.h>
#include "harness.h"
#include "record/record.h"
#include "select/select.h"

#define HEAD  "arn:hostrail:file:web-1:123456789012:"
#define PHEAD "arn:hostrail:process:web-1:123456789012:"

static const struct hr_sel_ctx ctx = {"web-1", "123456789012", "t.json"};

/* A data event: Openat of /srv/data/a.txt by alice, read-only, success. */
static struct hr_record open_rec(void)
{
	struct hr_record r = {0};

	r.event_category = "Data";
	r.event_source = "file.linux";
	r.event_name = "Openat";
	r.read_only = true;
	r.user_arn = (char *)"arn:hostrail:iam:web-1:123456789012:user/alice";
	r.error_code = NULL;
	r.n_resources = 1;
	r.resources[0].type = "Linux::File";
	r.resources[0].arn = (char *)HEAD "/srv/data/a.txt";
	return r;
}

/* A management event: Setuid by root that failed with EPERM. */
static struct hr_record setuid_rec(void)
{
	struct hr_record r = {0};

	r.event_category = "Management";
	r.event_source = "identity.linux";
	r.event_name = "Setuid";
	r.read_only = false;
	r.user_arn = (char *)"arn:hostrail:iam:web-1:123456789012:root";
	r.error_code = (char *)"EPERM";
	return r;
}

static int compile_adv(struct hr_selectors *s, const char *text, char *err, size_t len)
{
	char doc[4096];

	snprintf(doc, sizeof(doc), "{\"AdvancedEventSelectors\":%s}", text);
	return hr_selectors_compile_text(s, doc, &ctx, "$", err, len);
}

/* One selector of one field selector; does it keep the record? */
static int one(const char *field, const char *op, const char *values, const struct hr_record *r)
{
	char text[2048], err[512] = "";
	struct hr_selectors s;
	int m;

	/* Conditions on resources need a Data selector naming the type. */
	if (!strcmp(field, "eventCategory"))
		snprintf(text, sizeof(text),
			 "[{\"FieldSelectors\":[{\"Field\":\"%s\","
			 "\"%s\":%s}%s]}]",
			 field, op, values,
			 !strcmp(r->event_category, "Data") ?
				 ",{\"Field\":\"resources.type\",\"Equals\":[\"Linux::File\"]}" :
				 "");
	else
		snprintf(text, sizeof(text),
			 "[{\"FieldSelectors\":[{\"Field\":\"eventCategory\",\"Equals\":"
			 "[\"%s\"]}%s,{\"Field\":\"%s\",\"%s\":%s}]}]",
			 r->event_category,
			 !strcmp(r->event_category, "Data") && strcmp(field, "resources.type") ?
				 ",{\"Field\":\"resources.type\",\"Equals\":[\"Linux::File\"]}" :
				 "",
			 field, op, values);
	if (compile_adv(&s, text, err, sizeof(err))) {
		fprintf(stderr, "compile failed: %s\n", err);
		return -1;
	}
	m = hr_select_match(&s, r);
	hr_selectors_free(&s);
	return m;
}

TEST(every_operator_on_every_field)
{
	static const struct {
		int rec; /* 0: open_rec, 1: setuid_rec */
		const char *field, *op, *values;
		int want;
	} t[] = {
		{0, "eventCategory", "Equals", "[\"Data\"]", 1},
		{1, "eventCategory", "Equals", "[\"Management\"]", 1},
		{0, "eventSource", "Equals", "[\"x.linux\",\"file.linux\"]", 1},
		{0, "eventSource", "Equals", "[\"file.linu\"]", 0},
		{0, "eventSource", "StartsWith", "[\"file.\"]", 1},
		{0, "eventSource", "EndsWith", "[\".linux\"]", 1},
		{0, "eventSource", "NotEquals", "[\"file.linux\"]", 0},
		{0, "eventSource", "NotStartsWith", "[\"mount.\"]", 1},
		{0, "eventSource", "NotEndsWith", "[\".linux\"]", 0},
		{0, "eventName", "Equals", "[\"Openat\"]", 1},
		{0, "eventName", "StartsWith", "[\"Unlink\",\"Open\"]", 1},
		{0, "eventName", "EndsWith", "[\"at\"]", 1},
		{0, "eventName", "NotEquals", "[\"Unlinkat\",\"Renameat2\"]", 1},
		{0, "eventName", "NotEquals", "[\"Unlinkat\",\"Openat\"]", 0},
		{0, "eventName", "NotStartsWith", "[\"Op\"]", 0},
		{0, "eventName", "NotEndsWith", "[\"x\"]", 1},
		{0, "readOnly", "Equals", "[\"true\"]", 1},
		{0, "readOnly", "Equals", "[\"false\"]", 0},
		{1, "readOnly", "Equals", "[\"false\"]", 1},
		{0, "resources.type", "Equals", "[\"Linux::File\"]", 1},
		{0, "resources.type", "Equals", "[\"Linux::Process\"]", 0},
		{0, "resources.ARN", "Equals", "[\"" HEAD "/srv/data/a.txt\"]", 1},
		{0, "resources.ARN", "StartsWith", "[\"" HEAD "/srv/data/\"]", 1},
		{0, "resources.ARN", "StartsWith", "[\"" HEAD "/srv/database/\"]", 0},
		{0, "resources.ARN", "EndsWith", "[\".txt\"]", 1},
		{0, "resources.ARN", "NotEquals", "[\"" HEAD "/srv/data/a.txt\"]", 0},
		{0, "resources.ARN", "NotStartsWith", "[\"" HEAD "/srv/data/private/\"]", 1},
		{0, "resources.ARN", "NotEndsWith", "[\".txt\"]", 0},
		{0, "userIdentity.arn", "Equals",
		 "[\"arn:hostrail:iam:web-1:123456789012:user/alice\"]", 1},
		{0, "userIdentity.arn", "StartsWith", "[\"arn:hostrail:sts:\"]", 0},
		{0, "userIdentity.arn", "EndsWith", "[\"/alice\"]", 1},
		{0, "userIdentity.arn", "NotEndsWith", "[\"/alice\"]", 0},
		{1, "userIdentity.arn", "NotEquals", "[\"x\"]", 1},
		{1, "userIdentity.arn", "NotStartsWith", "[\"arn:hostrail:iam\"]", 0},
		{1, "errorCode", "Equals", "[\"EPERM\"]", 1},
		{1, "errorCode", "StartsWith", "[\"EP\"]", 1},
		{1, "errorCode", "EndsWith", "[\"RM\"]", 1},
		{1, "errorCode", "NotEquals", "[\"EPERM\"]", 0},
		{1, "errorCode", "NotStartsWith", "[\"EA\"]", 1},
		{1, "errorCode", "NotEndsWith", "[\"ACCES\"]", 1},
		/* success: no errorCode; positive never holds, negation always */
		{0, "errorCode", "Equals", "[\"EPERM\"]", 0},
		{0, "errorCode", "NotEquals", "[\"EPERM\"]", 1},
		{0, "errorCode", "StartsWith", "[\"E\"]", 0},
		{0, "errorCode", "NotStartsWith", "[\"E\"]", 1},
	};
	struct hr_record recs[2] = {open_rec(), setuid_rec()};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int got = one(t[i].field, t[i].op, t[i].values, &recs[t[i].rec]);

		if (got != t[i].want)
			fprintf(stderr, "row %zu: %s %s %s\n", i, t[i].field, t[i].op, t[i].values);
		CHECK_INT(got, t[i].want);
	}
}

TEST(and_within_or_across)
{
	struct hr_record r = open_rec();
	struct hr_selectors s;
	char err[512];

	/* AND: both must hold */
	CHECK_INT(compile_adv(&s,
			      "[{\"FieldSelectors\":["
			      "{\"Field\":\"eventCategory\",\"Equals\":[\"Data\"]},"
			      "{\"Field\":\"resources.type\",\"Equals\":[\"Linux::File\"]},"
			      "{\"Field\":\"readOnly\",\"Equals\":[\"false\"]}]}]",
			      err, sizeof(err)),
		  0);
	CHECK(!hr_select_match(&s, &r));
	r.read_only = false;
	CHECK(hr_select_match(&s, &r));
	hr_selectors_free(&s);

	/* several operators in one field selector: AND as well */
	r = open_rec();
	CHECK_INT(compile_adv(&s,
			      "[{\"FieldSelectors\":["
			      "{\"Field\":\"eventCategory\",\"Equals\":[\"Data\"]},"
			      "{\"Field\":\"resources.type\",\"Equals\":[\"Linux::File\"]},"
			      "{\"Field\":\"resources.ARN\",\"StartsWith\":[\"" HEAD "/srv/\"],"
			      "\"NotStartsWith\":[\"" HEAD "/srv/data/\"]}]}]",
			      err, sizeof(err)),
		  0);
	CHECK(!hr_select_match(&s, &r));
	r.resources[0].arn = (char *)HEAD "/srv/other/b";
	CHECK(hr_select_match(&s, &r));
	hr_selectors_free(&s);

	/* OR: either selector */
	CHECK_INT(compile_adv(&s,
			      "[{\"Name\":\"mgmt\",\"FieldSelectors\":["
			      "{\"Field\":\"eventCategory\",\"Equals\":[\"Management\"]}]},"
			      "{\"Name\":\"files\",\"FieldSelectors\":["
			      "{\"Field\":\"eventCategory\",\"Equals\":[\"Data\"]},"
			      "{\"Field\":\"resources.type\",\"Equals\":[\"Linux::File\"]},"
			      "{\"Field\":\"resources.ARN\",\"StartsWith\":[\"" HEAD "/srv/\"]}]}]",
			      err, sizeof(err)),
		  0);
	r = open_rec();
	CHECK(hr_select_match(&s, &r));
	r = setuid_rec();
	CHECK(hr_select_match(&s, &r));
	r = open_rec();
	r.resources[0].arn = (char *)HEAD "/etc/passwd";
	CHECK(!hr_select_match(&s, &r));
	CHECK_STR(s.sel[0].name, "mgmt");
	hr_selectors_free(&s);
}

TEST(default_is_management_only)
{
	struct hr_record m = setuid_rec(), d = open_rec();
	struct hr_selectors s;
	char err[256];

	CHECK_INT(hr_selectors_compile(&s, NULL, NULL, &ctx, "$.trails[0]", err, sizeof(err)), 0);
	CHECK(hr_select_match(&s, &m));
	CHECK(!hr_select_match(&s, &d));
	CHECK(!s.advanced);
	CHECK_STR(s.shown, "{\"EventSelectors\":[{\"ReadWriteType\":\"All\","
			   "\"IncludeManagementEvents\":true,\"DataResources\":[],"
			   "\"ExcludeManagementEventSources\":[]}]}");
	CHECK(hr_select_may_match(&s, "Management", "identity.linux", "Setuid", NULL));
	CHECK(!hr_select_may_match(&s, "Data", "file.linux", "Openat", "Linux::File"));
	hr_selectors_free(&s);
}

static int compile_basic(struct hr_selectors *s, const char *text, char *err, size_t len)
{
	char doc[4096];

	snprintf(doc, sizeof(doc), "{\"EventSelectors\":%s}", text);
	return hr_selectors_compile_text(s, doc, &ctx, "$", err, len);
}

TEST(basic_converts_as_cloudtrail_documents)
{
	struct hr_record m = setuid_rec(), d = open_rec();
	struct hr_selectors s;
	char err[512];

	CHECK_INT(compile_basic(&s,
				"[{\"ReadWriteType\":\"WriteOnly\","
				"\"IncludeManagementEvents\":true,"
				"\"ExcludeManagementEventSources\":[\"kernel.linux\"],"
				"\"DataResources\":[{\"Type\":\"Linux::File\","
				"\"Values\":[\"/srv/data/\",\"/etc/shadow\"]}]}]",
				err, sizeof(err)),
		  0);
	/* management selector: category, readOnly false, eventSource NotEquals */
	CHECK_INT(s.n, 2);
	CHECK_INT(s.sel[0].n, 3);
	CHECK_INT(s.sel[0].conds[1].field, HR_SF_READ_ONLY);
	CHECK_STR(s.sel[0].conds[1].values[0], "false");
	CHECK_INT(s.sel[0].conds[2].op, HR_OP_NOT_EQUALS);
	CHECK_STR(s.sel[0].conds[2].values[0], "kernel.linux");
	/* data selector: category, type, ARN StartsWith <head><path>, readOnly */
	CHECK_INT(s.sel[1].n, 4);
	CHECK_INT(s.sel[1].conds[2].field, HR_SF_RESOURCES_ARN);
	CHECK_INT(s.sel[1].conds[2].op, HR_OP_STARTS_WITH);
	CHECK_STR(s.sel[1].conds[2].values[0], HEAD "/srv/data/");
	CHECK_STR(s.sel[1].conds[2].values[1], HEAD "/etc/shadow");
	CHECK(hr_select_match(&s, &m));
	m.event_source = "kernel.linux";
	CHECK(!hr_select_match(&s, &m));
	CHECK(!hr_select_match(&s, &d)); /* a read; WriteOnly */
	d.read_only = false;
	CHECK(hr_select_match(&s, &d));
	d.resources[0].arn = (char *)HEAD "/srv/database/x"; /* sibling, not inside */
	CHECK(!hr_select_match(&s, &d));
	CHECK(hr_select_may_match(&s, "Data", "file.linux", "Openat", "Linux::File"));
	CHECK(!hr_select_may_match(&s, "Data", "process.linux", "Execve", "Linux::Process"));
	CHECK(!hr_select_may_match(&s, "Management", "kernel.linux", "Bpf", NULL));
	hr_selectors_free(&s);

	/* IncludeManagementEvents false, ReadOnly: no management at all */
	CHECK_INT(compile_basic(&s,
				"[{\"ReadWriteType\":\"ReadOnly\","
				"\"IncludeManagementEvents\":false,\"DataResources\":["
				"{\"Type\":\"Linux::Process\",\"Values\":[\"/usr/bin/\"]}]}]",
				err, sizeof(err)),
		  0);
	m = setuid_rec();
	CHECK(!hr_select_match(&s, &m));
	CHECK_INT(s.n, 1);
	CHECK_STR(s.sel[0].conds[2].values[0], PHEAD "/usr/bin/");
	hr_selectors_free(&s);
}

struct pfx {
	int n;
	char path[4][64];
	bool exact[4];
};

static void collect(void *arg, const char *path, size_t len, bool exact)
{
	struct pfx *p = arg;

	if (p->n < 4) {
		snprintf(p->path[p->n], sizeof(p->path[0]), "%.*s", (int)len, path);
		p->exact[p->n++] = exact;
	}
}

TEST(kernel_prefixes)
{
	struct hr_selectors s;
	struct pfx p = {0};
	char err[512];

	CHECK_INT(
		compile_adv(&s,
			    "[{\"FieldSelectors\":["
			    "{\"Field\":\"eventCategory\",\"Equals\":[\"Data\"]},"
			    "{\"Field\":\"resources.type\",\"Equals\":[\"Linux::File\"]},"
			    "{\"Field\":\"resources.ARN\",\"StartsWith\":[\"" HEAD "/srv/data/\"],"
			    "\"NotStartsWith\":[\"" HEAD "/srv/data/tmp/\"]}]},"
			    "{\"FieldSelectors\":["
			    "{\"Field\":\"eventCategory\",\"Equals\":[\"Data\"]},"
			    "{\"Field\":\"resources.type\",\"Equals\":[\"Linux::File\"]},"
			    "{\"Field\":\"resources.ARN\",\"Equals\":[\"" HEAD "/etc/shadow\"]}]},"
			    "{\"FieldSelectors\":["
			    "{\"Field\":\"eventCategory\",\"Equals\":[\"Data\"]},"
			    "{\"Field\":\"resources.type\",\"Equals\":[\"Linux::Process\"]}]}]",
			    err, sizeof(err)),
		0);
	CHECK_INT(hr_select_prefixes(&s, &ctx, "Linux::File", collect, &p), 2);
	CHECK_STR(p.path[0], "/srv/data/");
	CHECK(!p.exact[0]);
	CHECK_STR(p.path[1], "/etc/shadow");
	CHECK(p.exact[1]);
	memset(&p, 0, sizeof(p));
	/* a selector that does not narrow by ARN lets every path through */
	CHECK_INT(hr_select_prefixes(&s, &ctx, "Linux::Process", collect, &p), 1);
	CHECK_STR(p.path[0], "/");
	hr_selectors_free(&s);
}

TEST(refusals_name_the_path_and_reason)
{
	static const struct {
		const char *doc, *want;
	} t[] = {
		{"{\"AdvancedEventSelectors\":[{\"FieldSelectors\":[{\"Field\":\"eventName\","
		 "\"Equals\":[\"X\"]}]}]}",
		 "t.json: $.AdvancedEventSelectors[0]: eventCategory is required (Equals "
		 "Management or Data)"},
		{"{\"AdvancedEventSelectors\":[{\"FieldSelectors\":[{\"Field\":\"eventCategory\","
		 "\"Equals\":[\"Insight\"]}]}]}",
		 "t.json: $.AdvancedEventSelectors[0].FieldSelectors[0].Equals[0]: unknown "
		 "eventCategory 'Insight' (Management or Data)"},
		{"{\"AdvancedEventSelectors\":[{\"FieldSelectors\":[{\"Field\":\"eventCategory\","
		 "\"StartsWith\":[\"Man\"]}]}]}",
		 "t.json: $.AdvancedEventSelectors[0].FieldSelectors[0].StartsWith[0]: "
		 "eventCategory allows only the Equals operator"},
		{"{\"AdvancedEventSelectors\":[{\"FieldSelectors\":[{\"Field\":\"readOnly\","
		 "\"Equals\":[\"yes\"]}]}]}",
		 "t.json: $.AdvancedEventSelectors[0].FieldSelectors[0].Equals[0]: readOnly is "
		 "\"true\" or \"false\", not 'yes'"},
		{"{\"AdvancedEventSelectors\":[{\"FieldSelectors\":[{\"Field\":\"vpcEndpointId\","
		 "\"Equals\":[\"x\"]}]}]}",
		 "t.json: $.AdvancedEventSelectors[0].FieldSelectors[0].Field: unknown field "
		 "'vpcEndpointId' (eventCategory, eventSource, eventName, readOnly, "
		 "resources.type, resources.ARN, userIdentity.arn, errorCode)"},
		{"{\"AdvancedEventSelectors\":[{\"FieldSelectors\":[{\"Field\":\"eventName\","
		 "\"Like\":[\"x\"]}]}]}",
		 "t.json: $.AdvancedEventSelectors[0].FieldSelectors[0].Like: unknown operator"},
		{"{\"AdvancedEventSelectors\":[{\"FieldSelectors\":[{\"Field\":\"eventName\","
		 "\"Equals\":[]}]}]}",
		 "t.json: $.AdvancedEventSelectors[0].FieldSelectors[0].Equals: expected a "
		 "non-empty array of strings"},
		{"{\"AdvancedEventSelectors\":[{\"FieldSelectors\":[{\"Field\":\"eventName\","
		 "\"Equals\":[\"\"]}]}]}",
		 "t.json: $.AdvancedEventSelectors[0].FieldSelectors[0].Equals[0]: values are 1 to "
		 "2048 characters, without NUL"},
		{"{\"AdvancedEventSelectors\":[{\"FieldSelectors\":[{\"Field\":\"eventName\"}]}]}",
		 "t.json: $.AdvancedEventSelectors[0].FieldSelectors[0]: at least one operator "
		 "(Equals, StartsWith, EndsWith, NotEquals, NotStartsWith, NotEndsWith) is "
		 "required"},
		{"{\"AdvancedEventSelectors\":[{\"FieldSelectors\":["
		 "{\"Field\":\"eventCategory\",\"Equals\":[\"Data\"]}]}]}",
		 "t.json: $.AdvancedEventSelectors[0]: a Data selector needs resources.type "
		 "Equals exactly one of Linux::File, Linux::Process"},
		{"{\"AdvancedEventSelectors\":[{\"FieldSelectors\":["
		 "{\"Field\":\"eventCategory\",\"Equals\":[\"Data\"]},"
		 "{\"Field\":\"resources.type\",\"Equals\":[\"AWS::S3::Object\"]}]}]}",
		 "t.json: $.AdvancedEventSelectors[0]: resources.type must be Linux::File or "
		 "Linux::Process, not 'AWS::S3::Object'"},
		{"{\"AdvancedEventSelectors\":[{\"FieldSelectors\":["
		 "{\"Field\":\"eventCategory\",\"Equals\":[\"Management\"]},"
		 "{\"Field\":\"resources.type\",\"Equals\":[\"Linux::File\"]}]}]}",
		 "t.json: $.AdvancedEventSelectors[0]: resources.type and resources.ARN are only "
		 "allowed with eventCategory Data"},
		{"{\"AdvancedEventSelectors\":[{\"FieldSelectors\":["
		 "{\"Field\":\"eventCategory\",\"Equals\":[\"Data\"]},"
		 "{\"Field\":\"resources.type\",\"Equals\":[\"Linux::File\"]},"
		 "{\"Field\":\"resources.ARN\",\"StartsWith\":[\"arn:hostrail:file:other:"
		 "123456789012:/srv/\"]}]}]}",
		 "t.json: $.AdvancedEventSelectors[0]: resources.ARN StartsWith value "
		 "'arn:hostrail:file:other:123456789012:/srv/' must begin with " HEAD
		 " (this host's region and account)"},
		{"{\"AdvancedEventSelectors\":[{\"FieldSelectors\":["
		 "{\"Field\":\"eventCategory\",\"Equals\":[\"Management\"]},"
		 "{\"Field\":\"eventCategory\",\"Equals\":[\"Management\"]}]}]}",
		 "t.json: $.AdvancedEventSelectors[0].FieldSelectors[1].Field: eventCategory "
		 "appears twice in one selector"},
		{"{\"AdvancedEventSelectors\":[{\"Nom\":\"x\"}]}",
		 "t.json: $.AdvancedEventSelectors[0].Nom: unknown field"},
		{"{\"EventSelectors\":[{\"ReadWriteType\":\"Write\"}]}",
		 "t.json: $.EventSelectors[0].ReadWriteType: expected ReadOnly, WriteOnly or All"},
		{"{\"EventSelectors\":[{\"DataResources\":[{\"Type\":\"Linux::File\","
		 "\"Values\":[\"srv/data\"]}]}]}",
		 "t.json: $.EventSelectors[0].DataResources[0].Values[0]: expected an absolute "
		 "path (a prefix: end it with '/' to select a directory's contents)"},
		{"{\"EventSelectors\":[{\"DataResources\":[{\"Type\":\"AWS::S3::Object\","
		 "\"Values\":[\"/x\"]}]}]}",
		 "t.json: $.EventSelectors[0].DataResources[0].Type: expected Linux::File or "
		 "Linux::Process"},
		{"{\"EventSelectors\":[{\"IncludeManagementEvents\":\"yes\"}]}",
		 "t.json: $.EventSelectors[0].IncludeManagementEvents: expected true or false"},
		{"{\"EventSelectors\":[],\"AdvancedEventSelectors\":[]}",
		 "t.json: $: a trail has EventSelectors or AdvancedEventSelectors, not both"},
		{"{\"Selectors\":[]}", "t.json: $: unknown field 'Selectors'"},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct hr_selectors s;
		char err[1024] = "";

		CHECK_INT(hr_selectors_compile_text(&s, t[i].doc, &ctx, "$", err, sizeof(err)),
			  -EINVAL);
		CHECK_STR(err, t[i].want);
		CHECK_INT(s.n, 0);
	}
}

int main(void)
{
	RUN(every_operator_on_every_field);
	RUN(and_within_or_across);
	RUN(default_is_management_only);
	RUN(basic_converts_as_cloudtrail_documents);
	RUN(kernel_prefixes);
	RUN(refusals_name_the_path_and_reason);
	TEST_MAIN_END();
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_rules.c - EventBridge patterns: one case or more per bullet of
 * next-capabilities.md 2.2 (matchers, event-side rules, refusals), the
 * rule set's index, the envelope, and the test-event-pattern command.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <jansson.h>

#include "harness.h"
#include "rules/envelope.h"
#include "rules/pattern.h"

struct match_case {
	const char *pattern, *event;
	bool want;
};

struct refusal_case {
	const char *pattern, *reason;
};

static int check_match(const struct match_case *c)
{
	char err[600];
	struct hr_pattern *p = hr_pattern_compile(c->pattern, err, sizeof(err));
	json_error_t je;
	json_t *ev = json_loads(c->event, JSON_DECODE_ANY, &je);
	int bad = 0;

	if (!p || !ev) {
		fprintf(stderr, "case %s / %s: %s\n", c->pattern, c->event, p ? je.text : err);
		bad = 1;
	} else if (hr_pattern_match(p, ev) != c->want) {
		fprintf(stderr, "case %s against %s: got %d, want %d\n", c->pattern, c->event,
			!c->want, c->want);
		bad = 1;
	}
	hr_pattern_free(p);
	json_decref(ev);
	return bad;
}

static void run_matches(const struct match_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++)
		CHECK_INT(check_match(&cases[i]), 0);
}

#define RUN_MATCHES(cases) run_matches(cases, sizeof(cases) / sizeof(cases[0]))

TEST(exact_values)
{
	static const struct match_case cases[] = {
		{"{\"a\":[\"x\"]}", "{\"a\":\"x\"}", true},
		{"{\"a\":[\"x\"]}", "{\"a\":\"X\"}", false},
		{"{\"a\":[\"x\"]}", "{\"a\":\"xy\"}", false},
		{"{\"a\":[\"\"]}", "{\"a\":\"\"}", true},
		{"{\"a\":[\"\"]}", "{\"a\":null}", false},
		{"{\"a\":[\"\"]}", "{\"a\":\"x\"}", false},
		{"{\"a\":[null]}", "{\"a\":null}", true},
		{"{\"a\":[null]}", "{\"a\":\"null\"}", false},
		{"{\"a\":[null]}", "{}", false},
		{"{\"a\":[true]}", "{\"a\":true}", true},
		{"{\"a\":[true]}", "{\"a\":\"true\"}", false},
		{"{\"a\":[false]}", "{\"a\":false}", true},
		{"{\"a\":[false]}", "{\"a\":true}", false},
		/* numbers numerically: real AWS matched [300] against 300.0 */
		{"{\"a\":[300]}", "{\"a\":300.0}", true},
		{"{\"a\":[300]}", "{\"a\":3.0e2}", true},
		{"{\"a\":[3.0e2]}", "{\"a\":300}", true},
		{"{\"a\":[300]}", "{\"a\":\"300\"}", false},
		{"{\"a\":[\"300\"]}", "{\"a\":300}", false},
		{"{\"a\":[300]}", "{\"a\":301}", false},
		/* the exact matcher's object form */
		{"{\"a\":[{\"exact\":\"x\"}]}", "{\"a\":\"x\"}", true},
		/* unnamed fields are ignored; fields are ANDed */
		{"{\"a\":[\"x\"]}", "{\"a\":\"x\",\"b\":1}", true},
		{"{\"a\":[\"x\"],\"b\":[1]}", "{\"a\":\"x\",\"b\":2}", false},
		{"{\"a\":[\"x\"],\"b\":[1]}", "{\"a\":\"x\",\"b\":1}", true},
	};

	RUN_MATCHES(cases);
}

TEST(arrays_are_or)
{
	static const struct match_case cases[] = {
		{"{\"a\":[\"x\",\"y\"]}", "{\"a\":\"y\"}", true},
		{"{\"a\":[\"x\",\"y\"]}", "{\"a\":\"z\"}", false},
		{"{\"a\":[\"x\",{\"prefix\":\"z\"}]}", "{\"a\":\"zz\"}", true},
		/* event arrays: any element; pattern and event arrays intersect */
		{"{\"a\":[\"x\"]}", "{\"a\":[\"q\",\"x\"]}", true},
		{"{\"a\":[\"x\",\"y\"]}", "{\"a\":[\"q\",\"y\"]}", true},
		{"{\"a\":[\"x\",\"y\"]}", "{\"a\":[\"q\",\"r\"]}", false},
		{"{\"a\":[1]}", "{\"a\":[[2,[1]]]}", true},
	};

	RUN_MATCHES(cases);
}

TEST(prefix_suffix)
{
	static const struct match_case cases[] = {
		{"{\"a\":[{\"prefix\":\"ab\"}]}", "{\"a\":\"abc\"}", true},
		{"{\"a\":[{\"prefix\":\"ab\"}]}", "{\"a\":\"ab\"}", true},
		{"{\"a\":[{\"prefix\":\"ab\"}]}", "{\"a\":\"Abc\"}", false},
		{"{\"a\":[{\"prefix\":\"ab\"}]}", "{\"a\":\"a\"}", false},
		{"{\"a\":[{\"prefix\":\"1\"}]}", "{\"a\":12}", false},
		{"{\"a\":[{\"prefix\":\"\"}]}", "{\"a\":\"\"}", true},
		{"{\"a\":[{\"prefix\":{\"equals-ignore-case\":\"AB\"}}]}", "{\"a\":\"abc\"}", true},
		{"{\"a\":[{\"prefix\":{\"equals-ignore-case\":\"AB\"}}]}", "{\"a\":\"xabc\"}",
		 false},
		{"{\"a\":[{\"suffix\":\".png\"}]}", "{\"a\":\"x.png\"}", true},
		{"{\"a\":[{\"suffix\":\".png\"}]}", "{\"a\":\"x.PNG\"}", false},
		{"{\"a\":[{\"suffix\":{\"equals-ignore-case\":\".png\"}}]}", "{\"a\":\"x.PNG\"}",
		 true},
		{"{\"a\":[{\"suffix\":\".png\"}]}", "{\"a\":\"png\"}", false},
	};

	RUN_MATCHES(cases);
}

TEST(equals_ignore_case)
{
	static const struct match_case cases[] = {
		{"{\"a\":[{\"equals-ignore-case\":\"AlIcE\"}]}", "{\"a\":\"alice\"}", true},
		{"{\"a\":[{\"equals-ignore-case\":\"alice\"}]}", "{\"a\":\"alicex\"}", false},
		{"{\"a\":[{\"equals-ignore-case\":\"1\"}]}", "{\"a\":1}", false},
	};

	RUN_MATCHES(cases);
}

TEST(wildcard)
{
	static const struct match_case cases[] = {
		{"{\"a\":[{\"wildcard\":\"a*b\"}]}", "{\"a\":\"ab\"}", true},
		{"{\"a\":[{\"wildcard\":\"a*b\"}]}", "{\"a\":\"axxb\"}", true},
		{"{\"a\":[{\"wildcard\":\"a*b\"}]}", "{\"a\":\"axxbc\"}", false},
		{"{\"a\":[{\"wildcard\":\"*\"}]}", "{\"a\":\"\"}", true},
		{"{\"a\":[{\"wildcard\":\"*/bin/*\"}]}", "{\"a\":\"/usr/bin/su\"}", true},
		{"{\"a\":[{\"wildcard\":\"a*b*c\"}]}", "{\"a\":\"abbbc\"}", true},
		{"{\"a\":[{\"wildcard\":\"a*b*c\"}]}", "{\"a\":\"acb\"}", false},
		{"{\"a\":[{\"wildcard\":\"a*aa\"}]}", "{\"a\":\"aa\"}", false},
		{"{\"a\":[{\"wildcard\":\"a*aa\"}]}", "{\"a\":\"aaa\"}", true},
		{"{\"a\":[{\"wildcard\":\"abc\"}]}", "{\"a\":\"abc\"}", true},
		/* \* a literal star, \\ a literal backslash */
		{"{\"a\":[{\"wildcard\":\"a\\\\*b\"}]}", "{\"a\":\"a*b\"}", true},
		{"{\"a\":[{\"wildcard\":\"a\\\\*b\"}]}", "{\"a\":\"axb\"}", false},
		{"{\"a\":[{\"wildcard\":\"a\\\\\\\\b\"}]}", "{\"a\":\"a\\\\b\"}", true},
		{"{\"a\":[{\"wildcard\":\"a*\"}]}", "{\"a\":5}", false},
	};

	RUN_MATCHES(cases);
}

TEST(anything_but)
{
	static const struct match_case cases[] = {
		{"{\"a\":[{\"anything-but\":\"x\"}]}", "{\"a\":\"y\"}", true},
		{"{\"a\":[{\"anything-but\":\"x\"}]}", "{\"a\":\"x\"}", false},
		/* missing: no; explicit null: yes */
		{"{\"a\":[{\"anything-but\":\"x\"}]}", "{}", false},
		{"{\"a\":[{\"anything-but\":\"x\"}]}", "{\"a\":null}", true},
		{"{\"a\":[{\"anything-but\":\"x\"}]}", "{\"a\":5}", true},
		{"{\"a\":[{\"anything-but\":[\"x\",\"y\"]}]}", "{\"a\":\"y\"}", false},
		{"{\"a\":[{\"anything-but\":[\"x\",\"y\"]}]}", "{\"a\":\"z\"}", true},
		{"{\"a\":[{\"anything-but\":5}]}", "{\"a\":5.0}", false},
		{"{\"a\":[{\"anything-but\":5}]}", "{\"a\":6}", true},
		{"{\"a\":[{\"anything-but\":[1,2]}]}", "{\"a\":2}", false},
		{"{\"a\":[{\"anything-but\":[1,2]}]}", "{\"a\":3}", true},
		{"{\"a\":[{\"anything-but\":[1,2]}]}", "{\"a\":\"1\"}", true},
		{"{\"a\":[{\"anything-but\":\"x\"}]}", "{\"a\":[\"x\",\"y\"]}", true},
		{"{\"a\":[{\"anything-but\":\"x\"}]}", "{\"a\":[\"x\"]}", false},
		{"{\"a\":[{\"anything-but\":{\"prefix\":\"ab\"}}]}", "{\"a\":\"abc\"}", false},
		{"{\"a\":[{\"anything-but\":{\"prefix\":\"ab\"}}]}", "{\"a\":\"xabc\"}", true},
		{"{\"a\":[{\"anything-but\":{\"prefix\":[\"ab\",\"cd\"]}}]}", "{\"a\":\"cde\"}",
		 false},
		{"{\"a\":[{\"anything-but\":{\"suffix\":\".txt\"}}]}", "{\"a\":\"x.txt\"}", false},
		{"{\"a\":[{\"anything-but\":{\"suffix\":\".txt\"}}]}", "{\"a\":\"x.log\"}", true},
		{"{\"a\":[{\"anything-but\":{\"equals-ignore-case\":\"X\"}}]}", "{\"a\":\"x\"}",
		 false},
		{"{\"a\":[{\"anything-but\":{\"equals-ignore-case\":[\"X\",\"Y\"]}}]}",
		 "{\"a\":\"z\"}", true},
		{"{\"a\":[{\"anything-but\":{\"wildcard\":\"*.tmp\"}}]}", "{\"a\":\"a.tmp\"}",
		 false},
		{"{\"a\":[{\"anything-but\":{\"wildcard\":\"*.tmp\"}}]}", "{\"a\":\"a.tmpx\"}",
		 true},
		{"{\"a\":[{\"anything-but\":{\"wildcard\":[\"*.tmp\",\"x*\"]}}]}", "{\"a\":\"xa\"}",
		 false},
	};

	RUN_MATCHES(cases);
}

TEST(numeric)
{
	static const struct match_case cases[] = {
		{"{\"a\":[{\"numeric\":[\">\",0,\"<=\",5]}]}", "{\"a\":5}", true},
		{"{\"a\":[{\"numeric\":[\">\",0,\"<=\",5]}]}", "{\"a\":0}", false},
		{"{\"a\":[{\"numeric\":[\">\",0,\"<=\",5]}]}", "{\"a\":0.000001}", true},
		{"{\"a\":[{\"numeric\":[\">\",0,\"<\",5]}]}", "{\"a\":5}", false},
		{"{\"a\":[{\"numeric\":[\">=\",0,\"<\",5]}]}", "{\"a\":0}", true},
		{"{\"a\":[{\"numeric\":[\"=\",3.018e2]}]}", "{\"a\":301.8}", true},
		{"{\"a\":[{\"numeric\":[\"=\",300]}]}", "{\"a\":300.0}", true},
		{"{\"a\":[{\"numeric\":[\"<\",10]}]}", "{\"a\":-1e9}", true},
		{"{\"a\":[{\"numeric\":[\"<\",10]}]}", "{\"a\":10}", false},
		{"{\"a\":[{\"numeric\":[\"<=\",10]}]}", "{\"a\":10}", true},
		{"{\"a\":[{\"numeric\":[\">=\",1e9]}]}", "{\"a\":1000000000}", true},
		/* JSON numbers only */
		{"{\"a\":[{\"numeric\":[\"<\",10]}]}", "{\"a\":\"5\"}", false},
		{"{\"a\":[{\"numeric\":[\"<\",10]}]}", "{\"a\":[20,5]}", true},
	};

	RUN_MATCHES(cases);
}

TEST(cidr)
{
	static const struct match_case cases[] = {
		{"{\"ip\":[{\"cidr\":\"10.0.0.0/24\"}]}", "{\"ip\":\"10.0.0.255\"}", true},
		{"{\"ip\":[{\"cidr\":\"10.0.0.0/24\"}]}", "{\"ip\":\"10.0.1.0\"}", false},
		{"{\"ip\":[{\"cidr\":\"10.0.0.0/8\"}]}", "{\"ip\":\"10.200.3.4\"}", true},
		{"{\"ip\":[{\"cidr\":\"192.168.1.0/23\"}]}", "{\"ip\":\"192.168.0.9\"}", true},
		{"{\"ip\":[{\"cidr\":\"192.168.1.0/23\"}]}", "{\"ip\":\"192.168.2.9\"}", false},
		{"{\"ip\":[{\"cidr\":\"0.0.0.0/0\"}]}", "{\"ip\":\"8.8.8.8\"}", true},
		{"{\"ip\":[{\"cidr\":\"2001:db8::/32\"}]}", "{\"ip\":\"2001:db8:1::5\"}", true},
		{"{\"ip\":[{\"cidr\":\"2001:db8::/32\"}]}", "{\"ip\":\"2001:db9::5\"}", false},
		{"{\"ip\":[{\"cidr\":\"2001:db8::/32\"}]}", "{\"ip\":\"10.0.0.1\"}", false},
		/* a non-IP string in the event just fails to match */
		{"{\"ip\":[{\"cidr\":\"10.0.0.0/8\"}]}", "{\"ip\":\"hostrail.linux\"}", false},
		{"{\"ip\":[{\"cidr\":\"10.0.0.0/8\"}]}", "{\"ip\":167772161}", false},
	};

	RUN_MATCHES(cases);
}

TEST(exists)
{
	static const struct match_case cases[] = {
		{"{\"a\":[{\"exists\":true}]}", "{\"a\":\"x\"}", true},
		{"{\"a\":[{\"exists\":true}]}", "{\"a\":null}", true},
		{"{\"a\":[{\"exists\":true}]}", "{}", false},
		{"{\"a\":[{\"exists\":false}]}", "{}", true},
		{"{\"a\":[{\"exists\":false}]}", "{\"a\":1}", false},
		/* false also matches an object or an empty array at the name */
		{"{\"a\":[{\"exists\":false}]}", "{\"a\":{\"b\":1}}", true},
		{"{\"a\":[{\"exists\":true}]}", "{\"a\":{\"b\":1}}", false},
		{"{\"a\":[{\"exists\":false}]}", "{\"a\":[]}", true},
		{"{\"a\":[{\"exists\":true}]}", "{\"a\":[]}", false},
		{"{\"a\":{\"b\":[{\"exists\":false}]}}", "{\"a\":[]}", true},
		{"{\"a\":{\"b\":[{\"exists\":false}]}}", "{\"a\":5}", true},
	};

	RUN_MATCHES(cases);
}

TEST(missing_fields_and_nulls)
{
	static const struct match_case cases[] = {
		/* missing: nothing but exists:false */
		{"{\"a\":[\"x\"]}", "{}", false},
		{"{\"a\":[{\"prefix\":\"\"}]}", "{}", false},
		{"{\"a\":[{\"numeric\":[\">\",0]}]}", "{}", false},
		{"{\"a\":[{\"cidr\":\"0.0.0.0/0\"}]}", "{}", false},
		{"{\"a\":[{\"wildcard\":\"*\"}]}", "{}", false},
		{"{\"a\":[{\"anything-but\":{\"prefix\":\"x\"}}]}", "{}", false},
		{"{\"a\":[\"x\",{\"exists\":false}]}", "{}", true},
		/* {"resources":[null]} is not "resources":[] */
		{"{\"resources\":[null]}", "{\"resources\":[]}", false},
		{"{\"resources\":[null]}", "{\"resources\":null}", true},
		{"{\"resources\":[null]}", "{\"resources\":[null]}", true},
	};

	RUN_MATCHES(cases);
}

TEST(nested_and_dotted)
{
	static const struct match_case cases[] = {
		{"{\"a\":{\"b\":[1]}}", "{\"a\":{\"b\":1}}", true},
		{"{\"a.b\":[1]}", "{\"a\":{\"b\":1}}", true},
		{"{\"a\":{\"b.c\":[1]}}", "{\"a\":{\"b\":{\"c\":1}}}", true},
		{"{\"a\":{\"b\":[1]}}", "{\"a\":{\"b\":2}}", false},
		{"{\"a\":{\"b\":[1]}}", "{\"a\":1}", false},
		{"{\"a\":{\"b\":[1]},\"a.c\":[2]}", "{\"a\":{\"b\":1,\"c\":2}}", true},
		/* keys are case-sensitive */
		{"{\"A\":[1]}", "{\"a\":1}", false},
		/* array consistency: two fields from ONE element */
		{"{\"r\":{\"type\":[\"file\"],\"ARN\":[\"/etc/passwd\"]}}",
		 "{\"r\":[{\"type\":\"file\",\"ARN\":\"/tmp/x\"},{\"type\":\"dir\",\"ARN\":\"/etc/"
		 "passwd\"}]}",
		 false},
		{"{\"r\":{\"type\":[\"file\"],\"ARN\":[\"/etc/passwd\"]}}",
		 "{\"r\":[{\"type\":\"dir\",\"ARN\":\"/tmp\"},{\"type\":\"file\",\"ARN\":\"/etc/"
		 "passwd\"}]}",
		 true},
		{"{\"r.type\":[\"file\"],\"r.ARN\":[\"/etc/passwd\"]}",
		 "{\"r\":[{\"type\":\"file\"},{\"ARN\":\"/etc/passwd\"}]}", false},
		{"{\"r\":{\"s\":{\"t\":[1],\"u\":[2]}}}",
		 "{\"r\":[{\"s\":[{\"t\":1},{\"u\":2}]},{\"s\":{\"t\":1,\"u\":2}}]}", true},
	};

	RUN_MATCHES(cases);
}

TEST(or_branches)
{
	static const struct match_case cases[] = {
		{"{\"$or\":[{\"a\":[1]},{\"b\":[2]}]}", "{\"b\":2}", true},
		{"{\"$or\":[{\"a\":[1]},{\"b\":[2]}]}", "{\"a\":2,\"b\":1}", false},
		{"{\"s\":[\"x\"],\"$or\":[{\"a\":[1]},{\"b\":[2],\"c\":[3]}]}",
		 "{\"s\":\"x\",\"b\":2,\"c\":3}", true},
		{"{\"s\":[\"x\"],\"$or\":[{\"a\":[1]},{\"b\":[2],\"c\":[3]}]}",
		 "{\"s\":\"x\",\"b\":2}", false},
		{"{\"s\":[\"x\"],\"$or\":[{\"a\":[1]},{\"b\":[2],\"c\":[3]}]}",
		 "{\"s\":\"y\",\"a\":1}", false},
		/* nested $or, and $or inside an object */
		{"{\"$or\":[{\"a\":[1]},{\"$or\":[{\"b\":[2]},{\"c\":[3]}]}]}", "{\"c\":3}", true},
		{"{\"d\":{\"$or\":[{\"x\":[{\"numeric\":[\">\",0,\"<=\",5]}]},{\"y\":[{"
		 "\"numeric\":[\"<\",10]}]}]}}",
		 "{\"d\":{\"y\":9}}", true},
		{"{\"d\":{\"$or\":[{\"x\":[{\"numeric\":[\">\",0,\"<=\",5]}]},{\"y\":[{"
		 "\"numeric\":[\"<\",10]}]}]}}",
		 "{\"y\":9}", false},
		/* fields after the $or apply to every branch */
		{"{\"$or\":[{\"a\":[1]},{\"b\":[2]}],\"s\":[\"x\"]}", "{\"a\":1,\"s\":\"y\"}",
		 false},
		{"{\"$or\":[{\"a\":[1]},{\"b\":[2]}],\"s\":[\"x\"]}", "{\"a\":1,\"s\":\"x\"}",
		 true},
	};

	RUN_MATCHES(cases);
}

static int check_refusal(const struct refusal_case *c)
{
	char err[600], want[600];
	struct hr_pattern *p = hr_pattern_compile(c->pattern, err, sizeof(err));

	snprintf(want, sizeof(want), "Event pattern is not valid. Reason: %s", c->reason);
	if (p) {
		fprintf(stderr, "case %s: accepted, want \"%s\"\n", c->pattern, c->reason);
		hr_pattern_free(p);
		return 1;
	}
	if (strcmp(err, want)) {
		fprintf(stderr, "case %s:\n  got  \"%s\"\n  want \"%s\"\n", c->pattern, err, want);
		return 1;
	}
	return 0;
}

TEST(refusals)
{
	static const struct refusal_case cases[] = {
		{"[1]", "Filter is not an object"},
		{"{\"x\":\"v\"}", "\"x\" must be an object or an array"},
		{"{\"x\":5}", "\"x\" must be an object or an array"},
		{"{\"x\":[]}", "Empty arrays are not allowed"},
		{"{}", "Empty objects are not allowed"},
		{"{\"x\":{}}", "Empty objects are not allowed"},
		{"{\"x\":[[1]]}", "Match value must be String, number, true, false, or null"},
		{"{\"x\":[{}]}", "Match expression name not found"},
		{"{\"x\":[{\"EXISTS\":true}]}", "Unrecognized match type EXISTS"},
		{"{\"x\":[{\"prefix\":1}]}", "prefix match pattern must be a string"},
		{"{\"x\":[{\"prefix\":\"a\",\"suffix\":\"b\"}]}",
		 "Only one key allowed in match expression"},
		{"{\"x\":[{\"suffix\":[\"a\"]}]}", "suffix match pattern must be a string"},
		{"{\"x\":[{\"equals-ignore-case\":[\"a\"]}]}",
		 "equals-ignore-case match pattern must be a string"},
		{"{\"x\":[{\"wildcard\":5}]}", "wildcard match pattern must be a string"},
		{"{\"x\":[{\"wildcard\":\"a**b\"}]}", "Consecutive wildcard characters at pos 2"},
		{"{\"key\":[{\"wildcard\":\"abc**def\"}]}",
		 "Consecutive wildcard characters at pos 4"},
		{"{\"x\":[{\"wildcard\":\"a\\\\bc\"}]}", "Invalid escape character at pos 2"},
		{"{\"x\":[{\"wildcard\":\"a\\\\\"}]}", "Invalid escape character at pos 2"},
		{"{\"x\":[{\"anything-but\":null}]}",
		 "Value of anything-but must be an array or single string/number value."},
		{"{\"x\":[{\"anything-but\":[\"a\",1]}]}",
		 "Inside anything but list, either all values are number or string, mixed type is "
		 "not supported"},
		{"{\"x\":[{\"anything-but\":[true]}]}",
		 "Inside anything but list, start|null|boolean is not supported."},
		{"{\"x\":[{\"anything-but\":{\"exists\":true}}]}",
		 "Unsupported anything-but pattern: exists"},
		{"{\"x\":[{\"anything-but\":{\"prefix\":\"\"}}]}",
		 "Null prefix/suffix not allowed"},
		{"{\"x\":[{\"anything-but\":{\"prefix\":5}}]}",
		 "prefix/suffix match pattern must be a string"},
		{"{\"x\":[{\"anything-but\":{\"equals-ignore-case\":[1]}}]}",
		 "Inside anything-but/equals-ignore-case list, numberic|start|null|boolean is not "
		 "supported."},
		{"{\"x\":[{\"numeric\":5}]}", "Value of numeric must be an array."},
		{"{\"x\":[{\"numeric\":[\">\",0,\">\",5]}]}", "Bad numeric range operator: >"},
		{"{\"x\":[{\"numeric\":[\"<\",5,\">\",0]}]}",
		 "Too many elements in numeric expression"},
		{"{\"x\":[{\"numeric\":[\">\",0,\"<\",5,\"<\",6]}]}",
		 "Too many terms in numeric range expression"},
		{"{\"x\":[{\"numeric\":[\">\",\"0\"]}]}", "Value of > must be numeric"},
		{"{\"x\":[{\"numeric\":[\"=\",\"0\"]}]}", "Value of equals must be numeric"},
		{"{\"x\":[{\"numeric\":[\"!=\",0]}]}", "Unrecognized numeric range operator: !="},
		{"{\"x\":[{\"numeric\":[0]}]}", "Invalid member in numeric match: 0"},
		{"{\"x\":[{\"numeric\":[\">\",0,5]}]}", "Bad value in numeric range: 5"},
		{"{\"x\":[{\"exists\":\"true\"}]}",
		 "exists match pattern must be either true or false."},
		{"{\"x\":[{\"cidr\":5}]}", "prefix match pattern must be a string"},
		{"{\"x\":[{\"cidr\":\"10.0.0.0\"}]}", "Malformed CIDR, one '/' required"},
		{"{\"x\":[{\"cidr\":\"10.0.0.0/x\"}]}",
		 "Malformed CIDR, mask bits must be an integer"},
		{"{\"x\":[{\"cidr\":\"10.0.0.0/33\"}]}", "Nonstandard IP address: 10.0.0.0"},
		{"{\"x\":[{\"cidr\":\"10.0.0/8\"}]}", "Nonstandard IP address: 10.0.0"},
		{"{\"$or\":[{\"a\":[1]}]}",
		 "There must have at least 2 Objects in $or relationship."},
		{"{\"$or\":{\"a\":[1]}}", "It must be an Array followed with $or."},
		{"{\"$or\":[{\"a\":[1]},2]}",
		 "Only JSON object is allowed in array of $or relationship."},
		{"{\"$or\":[{\"a\":[1]},{\"prefix\":[1]}]}",
		 "prefix is Ruler reserved fieldName which cannot be used inside $or."},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK_INT(check_refusal(&cases[i]), 0);
}

TEST(length_limit)
{
	char text[HR_PATTERN_MAX_CHARS + 64], err[600];
	struct hr_pattern *p;
	size_t n;

	/* exactly 4096 characters is allowed, one more is not */
	n = (size_t)snprintf(text, sizeof(text), "{\"a\":[\"");
	memset(text + n, 'x', HR_PATTERN_MAX_CHARS - n - 3);
	strcpy(text + HR_PATTERN_MAX_CHARS - 3, "\"]}");
	CHECK_INT(strlen(text), HR_PATTERN_MAX_CHARS);
	p = hr_pattern_compile(text, err, sizeof(err));
	CHECK(p != NULL);
	hr_pattern_free(p);
	memmove(text + 7, text + 6, strlen(text + 6) + 1);
	text[6] = 'y';
	p = hr_pattern_compile(text, err, sizeof(err));
	CHECK(p == NULL);
	CHECK_STR(err, "Event pattern is not valid. Reason: EventPattern is longer than 4096 "
		       "characters");
}

TEST(or_explosion_is_refused)
{
	char text[4096], err[600];
	size_t n = 0;
	struct hr_pattern *p;

	/* nine nested pairs would be 512 branches */
	n += (size_t)snprintf(text + n, sizeof(text) - n, "{");
	for (int i = 0; i < 9; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n,
				      "\"k%d\":{\"$or\":[{\"a\":[1]},{\"b\":[2]}]}%s", i,
				      i < 8 ? "," : "}");
	p = hr_pattern_compile(text, err, sizeof(err));
	CHECK(p == NULL);
	CHECK(strstr(err, "Rule is too complex") != NULL);
}

/* The index never loses a match: for random patterns and events over a
 * small vocabulary, the rule set reports exactly the rules that match one
 * by one. A fixed seed, so a failure can be repeated. */
static void count_hit(void *arg, size_t index);

static const char *const fuzz_leaves[] = {
	"[\"x\"]",
	"[\"x\",\"y\"]",
	"[1]",
	"[1.0,\"1\"]",
	"[null]",
	"[true]",
	"[{\"prefix\":\"x\"}]",
	"[{\"suffix\":\"y\"}]",
	"[{\"anything-but\":\"x\"}]",
	"[{\"anything-but\":[1,2]}]",
	"[{\"exists\":true}]",
	"[{\"exists\":false}]",
	"[{\"numeric\":[\">\",0,\"<=\",1]}]",
	"[{\"wildcard\":\"*y\"}]",
	"[{\"equals-ignore-case\":\"X\"}]",
	"[\"x\",{\"exists\":false}]",
};
static const char *const fuzz_paths[] = {"a", "b", "a.b", "a.c", "d.e.f"};
static const char *const fuzz_values[] = {
	"\"x\"",
	"\"y\"",
	"\"X\"",
	"1",
	"2",
	"null",
	"true",
	"\"xy\"",
	"[]",
	"[\"x\",1]",
	"{}",
	"\"10.1.3.4\"",
	"\"10.2.0.1\"",
	"\"2001:db8::1\"",
	"[\"yx\",\"11.0.0.1\"]",
	"\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaabcd\"",
	"\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaabd\"",
};

static unsigned fuzz_next(unsigned *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return (*seed >> 16) & 0x7fff;
}

#define PICK(arr, seed) arr[fuzz_next(seed) % (sizeof(arr) / sizeof(arr[0]))]

static void fuzz_pattern(char *buf, size_t size, unsigned *seed)
{
	int n = 1 + (int)(fuzz_next(seed) % 3), o = 0;
	bool or = fuzz_next(seed) % 4 == 0;

	o += snprintf(buf + o, size - (size_t)o, "{");
	if (or)
		o += snprintf(buf + o, size - (size_t)o, "\"$or\":[{\"%s\":%s},{\"%s\":%s}],",
			      PICK(fuzz_paths, seed), PICK(fuzz_leaves, seed),
			      PICK(fuzz_paths, seed), PICK(fuzz_leaves, seed));
	for (int i = 0; i < n; i++)
		o += snprintf(buf + o, size - (size_t)o, "%s\"%s\":%s", i ? "," : "",
			      PICK(fuzz_paths, seed), PICK(fuzz_leaves, seed));
	snprintf(buf + o, size - (size_t)o, "}");
}

/* {"a": V | {"b": V, "c": V} | [{"b": V}, {"c": V}], "b": V, "d": {"e": {"f": V}}} */
static void fuzz_event(char *buf, size_t size, unsigned *seed)
{
	const char *a_forms[] = {"%s", "{\"b\":%s,\"c\":%s}", "[{\"b\":%s},{\"c\":%s}]"};
	char a[256];

	snprintf(a, sizeof(a), PICK(a_forms, seed), PICK(fuzz_values, seed),
		 PICK(fuzz_values, seed));
	snprintf(buf, size, "{\"a\":%s,\"b\":%s,\"d\":{\"e\":{\"f\":%s}}}", a,
		 PICK(fuzz_values, seed), PICK(fuzz_values, seed));
}

TEST(rule_set_agrees_with_one_by_one)
{
	enum { RULES = 300, EVENTS = 2000 };
	static struct hr_pattern *one[RULES];
	static size_t hits[RULES];
	struct hr_rule_set *s = hr_rule_set_new();
	unsigned seed = 18;
	char text[1024], err[600];
	int n = 0, disagree = 0;
	size_t matched = 0;

	while (n < RULES) {
		struct hr_pattern *p, *q;

		fuzz_pattern(text, sizeof(text), &seed);
		p = hr_pattern_compile(text, err, sizeof(err));
		q = hr_pattern_compile(text, err, sizeof(err));
		if (!p) /* a repeated path, e.g.: ignore */
			continue;
		one[n] = q;
		CHECK_INT(hr_rule_set_add(s, p), n);
		n++;
	}
	for (int e = 0; e < EVENTS && disagree < 5; e++) {
		json_t *ev;

		fuzz_event(text, sizeof(text), &seed);
		ev = json_loads(text, 0, NULL);
		memset(hits, 0, sizeof(hits));
		matched += hr_rule_set_match(s, ev, count_hit, hits);
		for (int i = 0; i < RULES; i++) {
			if ((hits[i] == 1) != hr_pattern_match(one[i], ev) || hits[i] > 1) {
				fprintf(stderr, "rule %d, event %s: set %zu, alone %d\n", i, text,
					hits[i], hr_pattern_match(one[i], ev));
				disagree++;
			}
		}
		json_decref(ev);
	}
	CHECK_INT(disagree, 0);
	/* not a vacuous agreement, and even this tiny vocabulary is pruned */
	CHECK(matched > EVENTS * 10);
	CHECK(hr_rule_set_visits(s) < (unsigned long)RULES * EVENTS / 2);
	for (int i = 0; i < RULES; i++)
		hr_pattern_free(one[i]);
	hr_rule_set_free(s);
}

/* ---- the envelope ---- */

static json_t *sample_record(const char *source, const char *name, const char *type, bool ro)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:b,s:s,s:s,s:{s:s}}", "eventVersion", "1.11",
			 "eventTime", "2026-12-07T05:00:00Z", "eventSource", source, "eventName",
			 name, "awsRegion", "web-1", "eventID",
			 "0190aaaa-0000-7000-8000-000000000000", "readOnly", ro, "eventType", type,
			 "recipientAccountId", "123456789012", "userIdentity", "type", "Root");
}

TEST(envelope_fields)
{
	json_t *rec = sample_record("module.linux", "FinitModule", "AwsApiCall", false);
	json_t *env = hr_envelope_new(rec);
	char id[40] = "";

	CHECK(env != NULL);
	snprintf(id, sizeof(id), "%s", json_string_value(json_object_get(env, "id")));
	CHECK_STR(json_string_value(json_object_get(env, "version")), "0");
	CHECK(strlen(id) == 36 && id[14] == '4');
	CHECK(strcmp(id, "0190aaaa-0000-7000-8000-000000000000") != 0);
	CHECK_STR(json_string_value(json_object_get(env, "detail-type")),
		  "AWS API Call via CloudTrail");
	CHECK_STR(json_string_value(json_object_get(env, "source")), "aws.module");
	CHECK_STR(json_string_value(json_object_get(env, "account")), "123456789012");
	CHECK_STR(json_string_value(json_object_get(env, "time")), "2026-12-07T05:00:00Z");
	CHECK_STR(json_string_value(json_object_get(env, "region")), "web-1");
	CHECK(json_is_array(json_object_get(env, "resources")));
	CHECK_INT(json_array_size(json_object_get(env, "resources")), 0);
	CHECK(json_object_get(env, "detail") == rec);
	CHECK_INT(json_object_size(env), 9);
	json_decref(env);
	/* each envelope has its own id */
	env = hr_envelope_new(rec);
	CHECK(strcmp(json_string_value(json_object_get(env, "id")), id) != 0);
	json_decref(env);
	json_object_del(rec, "eventSource");
	CHECK(hr_envelope_new(rec) == NULL);
	json_decref(rec);
}

TEST(envelope_mapping)
{
	static const struct {
		const char *from, *to;
	} sources[] = {
		{"file.linux", "aws.file"},
		{"signin.linux", "aws.signin"},
		{"sts.linux", "aws.sts"},
		{"module.linux", "aws.module"},
		{"hostrail.linux", "aws.hostrail"},
		{"iam.amazonaws.com", "aws.iam"},
		{"nodot", "aws.nodot"},
	};
	char buf[64];

	for (size_t i = 0; i < sizeof(sources) / sizeof(sources[0]); i++) {
		CHECK_INT(hr_envelope_source(sources[i].from, buf, sizeof(buf)), 0);
		CHECK_STR(buf, sources[i].to);
	}
	CHECK(hr_envelope_source("averyveryverylongname.linux", buf, 8) < 0);
	CHECK_STR(hr_envelope_detail_type("AwsApiCall"), "AWS API Call via CloudTrail");
	CHECK_STR(hr_envelope_detail_type("AwsConsoleSignIn"),
		  "AWS Console Sign In via CloudTrail");
	CHECK_STR(hr_envelope_detail_type("AwsConsoleAction"), "AWS Console Action via CloudTrail");
	CHECK_STR(hr_envelope_detail_type("AwsServiceEvent"), "AWS Service Event via CloudTrail");
	CHECK_STR(hr_envelope_detail_type("AwsCloudTrailInsight"), "AWS Insight via CloudTrail");
	CHECK_STR(hr_envelope_detail_type("Else"), "AWS API Call via CloudTrail");
}

TEST(rule_states)
{
	json_t *ro = sample_record("file.linux", "Open", "AwsApiCall", true);
	json_t *rw = sample_record("file.linux", "Unlink", "AwsApiCall", false);
	enum hr_rule_state st;

	CHECK(!hr_rule_state_admits(HR_RULE_ENABLED, ro));
	CHECK(hr_rule_state_admits(HR_RULE_ENABLED, rw));
	CHECK(hr_rule_state_admits(HR_RULE_ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS, ro));
	CHECK(hr_rule_state_admits(HR_RULE_ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS, rw));
	CHECK(!hr_rule_state_admits(HR_RULE_DISABLED, rw));
	CHECK_INT(hr_rule_state_parse("ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS", &st), 0);
	CHECK_INT(st, HR_RULE_ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS);
	CHECK_INT(hr_rule_state_parse("DISABLED", &st), 0);
	CHECK_INT(st, HR_RULE_DISABLED);
	CHECK(hr_rule_state_parse("enabled", &st) < 0);
	CHECK_STR(hr_rule_state_name(HR_RULE_ENABLED), "ENABLED");
	json_decref(ro);
	json_decref(rw);
}

/* The docs/rules.md examples, against envelopes of hostrail records. */
TEST(example_failed_setuid)
{
	char err[600];
	struct hr_pattern *p = hr_pattern_compile(
		"{\"source\":[\"aws.identity\"],\"detail\":{\"eventName\":[\"Setuid\"],"
		"\"errorCode\":[{\"exists\":true}]}}",
		err, sizeof(err));
	json_t *rec = sample_record("identity.linux", "Setuid", "AwsApiCall", false);
	json_t *env = hr_envelope_new(rec);

	CHECK(p != NULL);
	CHECK(!hr_pattern_match(p, env));
	json_object_set_new(rec, "errorCode", json_string("EPERM"));
	CHECK(hr_pattern_match(p, env));
	json_object_set_new(rec, "eventName", json_string("Setgid"));
	CHECK(!hr_pattern_match(p, env));
	json_decref(env);
	json_decref(rec);
	hr_pattern_free(p);
}

TEST(examples_on_envelopes)
{
	static const char module_rule[] =
		"{\"source\":[\"aws.module\"],\"detail-type\":[\"AWS API Call via CloudTrail\"],"
		"\"detail\":{\"eventName\":[\"InitModule\",\"FinitModule\"]}}";
	static const char root_login[] =
		"{\"source\":[\"aws.signin\"],\"detail-type\":[\"AWS Console Sign In via "
		"CloudTrail\"],\"detail\":{\"userIdentity\":{\"type\":[\"Root\"]},"
		"\"sourceIPAddress\":[{\"anything-but\":{\"wildcard\":\"10.*\"}}]}}";
	/* "outside 10.0.0.0/8" as the CIDR blocks that cover everything else */
	static const char root_login_cidr[] =
		"{\"detail\":{\"eventName\":[\"ConsoleLogin\"],\"userIdentity\":{\"type\":["
		"\"Root\"]},"
		"\"sourceIPAddress\":[{\"cidr\":\"0.0.0.0/5\"},{\"cidr\":\"8.0.0.0/7\"},"
		"{\"cidr\":\"11.0.0.0/8\"},{\"cidr\":\"12.0.0.0/6\"},{\"cidr\":\"16.0.0.0/4\"},"
		"{\"cidr\":\"32.0.0.0/3\"},{\"cidr\":\"64.0.0.0/2\"},{\"cidr\":\"128.0.0.0/1\"},"
		"{\"cidr\":\"::/0\"}]}}";
	char err[600];
	struct hr_pattern *mod = hr_pattern_compile(module_rule, err, sizeof(err));
	struct hr_pattern *login = hr_pattern_compile(root_login, err, sizeof(err));
	struct hr_pattern *cidr = hr_pattern_compile(root_login_cidr, err, sizeof(err));
	json_t *rec = sample_record("module.linux", "FinitModule", "AwsApiCall", false);
	json_t *env = hr_envelope_new(rec);

	CHECK(mod && login && cidr);
	CHECK(hr_pattern_match(mod, env));
	CHECK(!hr_pattern_match(login, env));
	json_decref(env);
	json_decref(rec);

	rec = sample_record("signin.linux", "ConsoleLogin", "AwsConsoleSignIn", false);
	json_object_set_new(rec, "sourceIPAddress", json_string("192.0.2.7"));
	env = hr_envelope_new(rec);
	CHECK(hr_pattern_match(login, env));
	CHECK(!hr_pattern_match(mod, env));
	CHECK(hr_pattern_match(cidr, env));
	json_object_set_new(rec, "sourceIPAddress", json_string("10.1.2.3"));
	CHECK(!hr_pattern_match(login, env));
	CHECK(!hr_pattern_match(cidr, env));
	json_object_set_new(rec, "sourceIPAddress", json_string("9.255.255.255"));
	CHECK(hr_pattern_match(cidr, env));
	json_object_set_new(rec, "sourceIPAddress", json_string("2001:db8::1"));
	CHECK(hr_pattern_match(cidr, env));
	json_decref(env);
	json_decref(rec);
	hr_pattern_free(mod);
	hr_pattern_free(login);
	hr_pattern_free(cidr);
}

/* ---- the rule set ---- */

static void count_hit(void *arg, size_t index)
{
	size_t *hits = arg;

	hits[index]++;
}

TEST(rule_set_visits_only_candidates)
{
	enum { N = 1000 };
	struct hr_rule_set *s = hr_rule_set_new();
	static size_t hits[N + 2];
	char text[256], err[600];
	json_t *ev;
	unsigned long before;

	for (int i = 0; i < N; i++) {
		snprintf(text, sizeof(text),
			 "{\"source\":[\"aws.module\"],\"detail-type\":[\"AWS API Call via "
			 "CloudTrail\"],\"detail\":{\"eventName\":[\"Call%d\"]}}",
			 i);
		CHECK_INT(hr_rule_set_add(s, hr_pattern_compile(text, err, sizeof(err))), i);
	}
	/* one rule that needs a path, not a value, and one that needs nothing */
	CHECK_INT(hr_rule_set_add(s, hr_pattern_compile("{\"detail\":{\"errorCode\":[{\"prefix\":"
							"\"E\"}]}}",
							err, sizeof(err))),
		  N);
	CHECK_INT(hr_rule_set_add(s, hr_pattern_compile("{\"detail\":{\"x\":[{\"exists\":false}]}}",
							err, sizeof(err))),
		  N + 1);

	ev = json_loads("{\"source\":\"aws.module\",\"detail-type\":\"AWS API Call via "
			"CloudTrail\",\"detail\":{\"eventName\":\"Call500\",\"x\":1}}",
			0, NULL);
	before = hr_rule_set_visits(s);
	memset(hits, 0, sizeof(hits));
	CHECK_INT(hr_rule_set_match(s, ev, count_hit, hits), 1);
	CHECK_INT(hits[500], 1);
	/* the exists:false rule is always tried; the Call500 rule is the only
	 * other candidate */
	CHECK_INT(hr_rule_set_visits(s) - before, 2);
	json_decref(ev);

	ev = json_loads("{\"source\":\"aws.module\",\"detail\":{\"eventName\":\"Other\","
			"\"errorCode\":\"EPERM\"}}",
			0, NULL);
	before = hr_rule_set_visits(s);
	memset(hits, 0, sizeof(hits));
	CHECK_INT(hr_rule_set_match(s, ev, count_hit, hits), 2);
	CHECK_INT(hits[N], 1);
	CHECK_INT(hits[N + 1], 1);
	CHECK_INT(hr_rule_set_visits(s) - before, 2);
	json_decref(ev);
	hr_rule_set_free(s);
}

TEST(rule_set_or_and_arrays)
{
	struct hr_rule_set *s = hr_rule_set_new();
	size_t hits[3] = {0};
	char err[600];
	json_t *ev;

	hr_rule_set_add(
		s, hr_pattern_compile("{\"$or\":[{\"a\":[1]},{\"b\":[2]}]}", err, sizeof(err)));
	hr_rule_set_add(
		s, hr_pattern_compile("{\"r\":{\"t\":[\"f\"],\"n\":[\"x\"]}}", err, sizeof(err)));
	hr_rule_set_add(s, hr_pattern_compile("{\"n\":[300]}", err, sizeof(err)));
	/* both branches of rule 0 match: reported once */
	ev = json_loads("{\"a\":1,\"b\":2,\"n\":300.0,\"r\":[{\"t\":\"f\"},{\"n\":\"x\"}]}", 0,
			NULL);
	CHECK_INT(hr_rule_set_match(s, ev, count_hit, hits), 2);
	CHECK_INT(hits[0], 1);
	CHECK_INT(hits[1], 0);
	CHECK_INT(hits[2], 1);
	json_decref(ev);
	hr_rule_set_free(s);
}

/* ---- the command ---- */

static char hostrail_bin[4096];

/* Run `hostrail ARGS`; stdout into out, stderr into err. */
static int run_cli(const char *args, char *out, size_t outlen, char *err, size_t errlen)
{
	char cmd[8192], errfile[] = "/tmp/hostrail-test-rules-XXXXXX";
	int fd = mkstemp(errfile), status;
	size_t n;
	FILE *p, *e;

	if (fd < 0)
		return -1;
	close(fd);
	snprintf(cmd, sizeof(cmd), "'%s' %s 2>'%s'", hostrail_bin, args, errfile);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	n = fread(out, 1, outlen - 1, p);
	out[n] = '\0';
	status = pclose(p);
	e = fopen(errfile, "r");
	n = e ? fread(err, 1, errlen - 1, e) : 0;
	err[n] = '\0';
	if (e)
		fclose(e);
	unlink(errfile);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(cli_test_event_pattern)
{
	char out[1024], err[1024], file[] = "/tmp/hostrail-test-rules-XXXXXX", args[256];
	int fd;

	CHECK_INT(run_cli("test-event-pattern --event-pattern '{\"source\":[\"aws.module\"]}' "
			  "--event '{\"source\":\"aws.module\"}'",
			  out, sizeof(out), err, sizeof(err)),
		  0);
	CHECK_STR(out, "{\n    \"Result\": true\n}\n");
	CHECK_STR(err, "");
	CHECK_INT(run_cli("test-event-pattern --event-pattern '{\"source\":[\"aws.module\"]}' "
			  "--event '{\"source\":\"aws.file\"}'",
			  out, sizeof(out), err, sizeof(err)),
		  0);
	CHECK_STR(out, "{\n    \"Result\": false\n}\n");
	CHECK_INT(run_cli("test-event-pattern --event-pattern '{\"source\":\"aws.module\"}' "
			  "--event '{}'",
			  out, sizeof(out), err, sizeof(err)),
		  2);
	CHECK_STR(out, "");
	CHECK_STR(err, "\nAn error occurred (InvalidEventPatternException) when calling the "
		       "TestEventPattern operation: Event pattern is not valid. Reason: "
		       "\"source\" must be an object or an array\n");
	/* file:// for either value, as aws-cli reads it */
	fd = mkstemp(file);
	CHECK(fd >= 0);
	CHECK(write(fd, "{\"a\":[{\"numeric\":[\">\",1]}]}", 27) == 27);
	close(fd);
	snprintf(args, sizeof(args),
		 "test-event-pattern --event-pattern file://%s --event '{\"a\":2}'", file);
	CHECK_INT(run_cli(args, out, sizeof(out), err, sizeof(err)), 0);
	CHECK_STR(out, "{\n    \"Result\": true\n}\n");
	unlink(file);
	CHECK_INT(run_cli(args, out, sizeof(out), err, sizeof(err)), 2);
	CHECK(strstr(err, "failed to read --event-pattern") != NULL);
	CHECK_INT(run_cli("test-event-pattern --event-pattern '{\"a\":[1]}'", out, sizeof(out), err,
			  sizeof(err)),
		  2);
}

TEST(cli_list_and_describe_rules)
{
	static const char config[] =
		"{\"accountId\":\"123456789012\",\"region\":\"web-1\",\"rules\":["
		"{\"Name\":\"module-load\",\"Description\":\"a module is loaded\","
		"\"EventPattern\":{\"source\":[\"aws.module\"]}},"
		"{\"Name\":\"reads\",\"State\":\"ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS\","
		"\"EventPattern\":\"{\\\"source\\\":[\\\"aws.file\\\"]}\"}]}";
	char out[4096], err[1024], file[] = "/tmp/hostrail-test-rules-XXXXXX", args[256];
	int fd = mkstemp(file);

	CHECK(fd >= 0);
	CHECK(write(fd, config, sizeof(config) - 1) == (ssize_t)(sizeof(config) - 1));
	close(fd);
	snprintf(args, sizeof(args), "list-rules --config %s", file);
	CHECK_INT(run_cli(args, out, sizeof(out), err, sizeof(err)), 0);
	CHECK_STR(out,
		  "{\n"
		  "    \"Rules\": [\n"
		  "        {\n"
		  "            \"Name\": \"module-load\",\n"
		  "            \"Arn\": "
		  "\"arn:hostrail:events:web-1:123456789012:rule/module-load\",\n"
		  "            \"EventPattern\": \"{\\\"source\\\":[\\\"aws.module\\\"]}\",\n"
		  "            \"State\": \"ENABLED\",\n"
		  "            \"Description\": \"a module is loaded\",\n"
		  "            \"EventBusName\": \"default\"\n"
		  "        },\n"
		  "        {\n"
		  "            \"Name\": \"reads\",\n"
		  "            \"Arn\": \"arn:hostrail:events:web-1:123456789012:rule/reads\",\n"
		  "            \"EventPattern\": \"{\\\"source\\\":[\\\"aws.file\\\"]}\",\n"
		  "            \"State\": \"ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS\",\n"
		  "            \"EventBusName\": \"default\"\n"
		  "        }\n"
		  "    ]\n"
		  "}\n");
	snprintf(args, sizeof(args), "list-rules --config %s --name-prefix zz", file);
	CHECK_INT(run_cli(args, out, sizeof(out), err, sizeof(err)), 0);
	CHECK_STR(out, "{\n    \"Rules\": []\n}\n");
	snprintf(args, sizeof(args), "describe-rule --config %s --name module-load", file);
	CHECK_INT(run_cli(args, out, sizeof(out), err, sizeof(err)), 0);
	CHECK_STR(out, "{\n"
		       "    \"Name\": \"module-load\",\n"
		       "    \"Arn\": \"arn:hostrail:events:web-1:123456789012:rule/module-load\",\n"
		       "    \"EventPattern\": \"{\\\"source\\\":[\\\"aws.module\\\"]}\",\n"
		       "    \"State\": \"ENABLED\",\n"
		       "    \"Description\": \"a module is loaded\",\n"
		       "    \"EventBusName\": \"default\",\n"
		       "    \"CreatedBy\": \"123456789012\"\n"
		       "}\n");
	snprintf(args, sizeof(args), "describe-rule --config %s --name nope", file);
	CHECK_INT(run_cli(args, out, sizeof(out), err, sizeof(err)), 2);
	CHECK_STR(err, "\nAn error occurred (ResourceNotFoundException) when calling the "
		       "DescribeRule operation: Rule nope does not exist on EventBus default.\n");
	unlink(file);
	/* a file named with --config must be there */
	CHECK_INT(run_cli(args, out, sizeof(out), err, sizeof(err)), 2);
	CHECK(strstr(err, "refused configuration") != NULL);
}

/* Prefix and cidr rules are filed by their leading bytes: each length,
 * from none (prefix "", a /0 or /5 block) to past the 63 bytes kept. */
TEST(rule_set_keyed_prefixes_and_blocks)
{
	static const char *const rules[] = {
		"{\"p\":[{\"prefix\":\"\"}]}",
		"{\"p\":[{\"prefix\":\"/etc/\"}]}",
		"{\"p\":[{\"prefix\":"
		"\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaXY\"}]}",
		"{\"ip\":[{\"cidr\":\"::/0\"}]}",
		"{\"ip\":[{\"cidr\":\"8.0.0.0/5\"}]}",
		"{\"ip\":[{\"cidr\":\"10.1.2.0/23\"}]}",
		"{\"ip\":[{\"cidr\":\"10.1.2.3/32\"}]}",
	};
	static const struct {
		const char *event;
		size_t want[7];
	} cases[] = {
		{"{\"p\":\"\"}", {1, 0, 0, 0, 0, 0, 0}},
		{"{\"p\":\"/etc/passwd\"}", {1, 1, 0, 0, 0, 0, 0}},
		{"{\"p\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaXYZ\"}",
		 {1, 0, 1, 0, 0, 0, 0}},
		{"{\"p\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaXZ\"}",
		 {1, 0, 0, 0, 0, 0, 0}},
		{"{\"ip\":\"2001:db8::1\"}", {0, 0, 0, 1, 0, 0, 0}},
		{"{\"ip\":\"12.0.0.1\"}", {0, 0, 0, 0, 1, 0, 0}},
		{"{\"ip\":\"10.1.3.255\"}", {0, 0, 0, 0, 1, 1, 0}},
		{"{\"ip\":\"10.1.2.3\"}", {0, 0, 0, 0, 1, 1, 1}},
		{"{\"ip\":[\"16.0.0.1\",\"10.1.4.0\"]}", {0, 0, 0, 0, 1, 0, 0}},
		{"{\"ip\":\"localhost\"}", {0, 0, 0, 0, 0, 0, 0}},
	};
	struct hr_rule_set *s = hr_rule_set_new();
	char err[600];

	for (size_t i = 0; i < 7; i++)
		CHECK_INT(hr_rule_set_add(s, hr_pattern_compile(rules[i], err, sizeof(err))),
			  (int)i);
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		size_t hits[7] = {0};
		json_t *ev = json_loads(cases[c].event, 0, NULL);

		hr_rule_set_match(s, ev, count_hit, hits);
		for (size_t i = 0; i < 7; i++)
			if (hits[i] != cases[c].want[i]) {
				fprintf(stderr, "event %s, rule %zu: %zu, want %zu\n",
					cases[c].event, i, hits[i], cases[c].want[i]);
				CHECK(0);
			}
		json_decref(ev);
	}
	hr_rule_set_free(s);
}

int main(void)
{
	/* build/hostrail for build/tests/test_rules (build-san/ alike) */
	ssize_t n = readlink("/proc/self/exe", hostrail_bin, sizeof(hostrail_bin) - 16);
	char *slash;

	hostrail_bin[n > 0 ? n : 0] = '\0';
	for (int i = 0; i < 2 && (slash = strrchr(hostrail_bin, '/')); i++)
		*slash = '\0';
	strcat(hostrail_bin, "/hostrail");
	RUN(exact_values);
	RUN(arrays_are_or);
	RUN(prefix_suffix);
	RUN(equals_ignore_case);
	RUN(wildcard);
	RUN(anything_but);
	RUN(numeric);
	RUN(cidr);
	RUN(exists);
	RUN(missing_fields_and_nulls);
	RUN(nested_and_dotted);
	RUN(or_branches);
	RUN(refusals);
	RUN(length_limit);
	RUN(or_explosion_is_refused);
	RUN(rule_set_visits_only_candidates);
	RUN(rule_set_or_and_arrays);
	RUN(rule_set_agrees_with_one_by_one);
	RUN(rule_set_keyed_prefixes_and_blocks);
	RUN(envelope_fields);
	RUN(envelope_mapping);
	RUN(rule_states);
	RUN(examples_on_envelopes);
	RUN(example_failed_setuid);
	RUN(cli_test_event_pattern);
	RUN(cli_list_and_describe_rules);
	TEST_MAIN_END();
}

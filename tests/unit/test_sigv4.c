// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_sigv4.c - the SigV4 signer against the published test suite
 * (aws-c-auth's v4 cases, read where they are) and, for what S3 sends,
 * against botocore signing the same requests (tests/sigv4_botocore.py).
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>

#include "harness.h"
#include "common/encode.h"
#include "common/files.h"
#include "common/sigv4.h"

static bool in_ci(void)
{
	const char *ci = getenv("CI");

	return ci && strcmp(ci, "true") == 0;
}

/* $HOSTRAIL_SIGV4_SUITE, else ../shared/testdata/sigv4 beside the checkout
 * (the tests run from its root), else /work/shared/testdata/sigv4. */
static const char *suite_dir(void)
{
	static char buf[4096];
	const char *env = getenv("HOSTRAIL_SIGV4_SUITE");
	struct stat st;

	if (env && *env)
		return stat(env, &st) == 0 ? env : NULL;
	if (getcwd(buf, sizeof(buf) - 40)) {
		strcat(buf, "/../shared/testdata/sigv4");
		if (stat(buf, &st) == 0)
			return buf;
	}
	if (stat("/work/shared/testdata/sigv4", &st) == 0)
		return "/work/shared/testdata/sigv4";
	return NULL;
}

static char *slurp(const char *dir, const char *name)
{
	char *path, *data = NULL;
	size_t len;
	int ret;

	if (asprintf(&path, "%s/%s", dir, name) < 0)
		return NULL;
	ret = hr_read_file(path, 1 << 20, &data, &len);
	free(path);
	return ret ? NULL : data;
}

/* One request.txt: request line, headers (folded lines kept, joined by
 * newlines as the suite writes them), blank line, body. */
struct parsed {
	char method[16];
	char *path, *query;
	struct hr_sigv4_header h[32];
	size_t nh;
	char *body;
	char *buf;
};

static int parse_request(char *text, struct parsed *r)
{
	char *line, *save = NULL, *sp, *target, *end;

	memset(r, 0, sizeof(*r));
	r->buf = text;
	end = strstr(text, "\n\n");
	if (end) {
		*end = '\0';
		r->body = end + 2;
	}
	line = strtok_r(text, "\n", &save);
	if (!line || !(sp = strchr(line, ' ')))
		return -EINVAL;
	snprintf(r->method, sizeof(r->method), "%.*s", (int)(sp - line), line);
	target = sp + 1;
	sp = strrchr(target, ' ');
	if (!sp)
		return -EINVAL;
	*sp = '\0';
	r->path = target;
	if ((sp = strchr(target, '?'))) {
		*sp = '\0';
		r->query = sp + 1;
	}
	while ((line = strtok_r(NULL, "\n", &save))) {
		char *colon;

		if ((*line == ' ' || *line == '\t') && r->nh) {
			/* a folded line: undo strtok's cut so the value runs on */
			line[-1] = '\n';
			continue;
		}
		colon = strchr(line, ':');
		if (!colon || r->nh == 32)
			return -EINVAL;
		*colon = '\0';
		r->h[r->nh].name = line;
		r->h[r->nh].value = colon + 1;
		r->nh++;
	}
	return 0;
}

static char *authorization_of(char *signed_request)
{
	char *a = strstr(signed_request, "\nAuthorization:"), *nl;

	if (!a)
		return NULL;
	a += strlen("\nAuthorization:");
	if ((nl = strchr(a, '\n')))
		*nl = '\0';
	return a;
}

static int run_case(const char *suite, const char *name)
{
	char dir[8192];
	char *ctx_text, *req_text, *creq, *sts, *sig, *sreq;
	struct hr_sigv4_creds c = {0};
	struct hr_sigv4_params p = {0};
	struct hr_sigv4_signed s;
	struct parsed r;
	json_t *ctx;
	struct tm tm = {0};
	int before = hr_t_failed_checks;

	snprintf(dir, sizeof(dir), "%s/v4/%s", suite, name);
	ctx_text = slurp(dir, "context.json");
	req_text = slurp(dir, "request.txt");
	creq = slurp(dir, "header-canonical-request.txt");
	sts = slurp(dir, "header-string-to-sign.txt");
	sig = slurp(dir, "header-signature.txt");
	sreq = slurp(dir, "header-signed-request.txt");
	CHECK(ctx_text && req_text && creq && sts && sig && sreq);
	ctx = ctx_text ? json_loads(ctx_text, 0, NULL) : NULL;
	CHECK(ctx != NULL);
	if (!ctx || !req_text || !creq || !sts || !sig || !sreq)
		goto out;
	CHECK_INT(parse_request(req_text, &r), 0);

	c.access_key_id = json_string_value(
		json_object_get(json_object_get(ctx, "credentials"), "access_key_id"));
	c.secret_access_key = json_string_value(
		json_object_get(json_object_get(ctx, "credentials"), "secret_access_key"));
	c.session_token = json_string_value(
		json_object_get(json_object_get(ctx, "credentials"), "token"));
	p.region = json_string_value(json_object_get(ctx, "region"));
	p.service = json_string_value(json_object_get(ctx, "service"));
	p.path_kind = json_is_true(json_object_get(ctx, "normalize")) ?
			      HR_SIGV4_PATH_DOUBLE_NORMALIZED :
			      HR_SIGV4_PATH_DOUBLE;
	p.content_sha256_header = json_is_true(json_object_get(ctx, "sign_body"));
	p.omit_session_token = json_is_true(json_object_get(ctx, "omit_session_token"));
	strptime(json_string_value(json_object_get(ctx, "timestamp")), "%Y-%m-%dT%H:%M:%SZ", &tm);
	p.when = timegm(&tm);

	struct hr_sigv4_request req = {
		.method = r.method,
		.path = r.path,
		.query = r.query,
		.headers = r.h,
		.n_headers = r.nh,
		.body = r.body,
		.body_len = r.body ? strlen(r.body) : 0,
	};
	CHECK_INT(hr_sigv4_sign(&p, &c, &req, &s), 0);
	CHECK_STR(s.canonical_request, creq);
	CHECK_STR(s.string_to_sign, sts);
	CHECK_STR(s.signature, sig);
	CHECK_STR(s.authorization, authorization_of(sreq));
	hr_sigv4_signed_free(&s);
out:
	if (hr_t_failed_checks != before)
		fprintf(stderr, "  in suite case %s\n", name);
	json_decref(ctx);
	free(ctx_text);
	free(req_text);
	free(creq);
	free(sts);
	free(sig);
	free(sreq);
	return hr_t_failed_checks == before;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

TEST(test_suite_every_case)
{
	const char *suite = suite_dir();
	char v4[4096], *names[256];
	size_t n = 0, ok = 0;
	struct dirent *de;
	DIR *d;

	snprintf(v4, sizeof(v4), "%s/v4", suite);
	d = opendir(v4);
	CHECK(d != NULL);
	if (!d)
		return;
	while ((de = readdir(d)) && n < 256)
		if (de->d_name[0] != '.')
			names[n++] = strdup(de->d_name);
	closedir(d);
	qsort(names, n, sizeof(*names), name_cmp);
	for (size_t i = 0; i < n; i++) {
		ok += run_case(suite, names[i]);
		free(names[i]);
	}
	printf("sigv4 suite: %zu of %zu cases match\n", ok, n);
	CHECK(n >= 30); /* the suite has 38; fewer means it is not the suite */
	CHECK_INT(ok, n);
}

TEST(test_uri_encode)
{
	char *e = hr_sigv4_uri_encode("a b/c~d+e=f%", 12, true);

	CHECK_STR(e, "a%20b/c~d%2Be%3Df%25");
	free(e);
	e = hr_sigv4_uri_encode("a/b", 3, false);
	CHECK_STR(e, "a%2Fb");
	free(e);
}

/* The S3 requests hostrail sends, each signed by us and by botocore. */
struct s3_case {
	const char *what;
	const char *key; /* unencoded, after the bucket */
	const char *query;
	const char *token;
	const char *body;
	struct hr_sigv4_header extra[6];
};

static const struct s3_case s3_cases[] = {
	{"log file, SSE-S3",
	 "AWSLogs/123456789012/CloudTrail/us-east-1/2026/12/06/f.json.gz",
	 NULL,
	 NULL,
	 "\x1f\x8b log bytes",
	 {{"Content-Type", "application/json"},
	  {"Content-Encoding", "gzip"},
	  {"x-amz-acl", "bucket-owner-full-control"},
	  {"x-amz-server-side-encryption", "AES256"},
	  {"Content-MD5", "1B2M2Y8AsgTpgAmY7PhCfg=="}}},
	{"digest: x-amz-meta-signature before -algorithm, SSE-KMS after -kms-key-id",
	 "p/AWSLogs/1/CloudTrail-Digest/us-east-1/2026/12/06/d.json.gz",
	 NULL,
	 NULL,
	 "{}",
	 {{"x-amz-meta-signature-algorithm", "SHA256withRSA"},
	  {"x-amz-meta-signature", "0a1b2c"},
	  {"x-amz-server-side-encryption-aws-kms-key-id", "arn:aws:kms:us-east-1:1:key/abc"},
	  {"x-amz-server-side-encryption", "aws:kms"},
	  {"x-amz-server-side-encryption-context", "eyJhIjoiYiJ9"},
	  {"x-amz-acl", "bucket-owner-full-control"}}},
	{"a key that needs encoding, once",
	 "dir with space/a+b=c,d;e@f%g~h(i).gz",
	 NULL,
	 NULL,
	 "",
	 {{"x-amz-acl", "bucket-owner-full-control"}}},
	{"session token",
	 "AWSLogs/1/CloudTrail/",
	 NULL,
	 "FwoGZXIvYXdzE//token+/=",
	 "",
	 {{"x-amz-acl", "bucket-owner-full-control"}}},
	{"ListObjectsV2 query",
	 "",
	 "list-type=2&prefix=AWSLogs%2F1%2F&continuation-token=a%2Bb%3D",
	 NULL,
	 "",
	 {{"Accept", "*/*"}}},
};

static json_t *s3_case_json(const struct s3_case *k, const char *url, const char *host,
			    const char *ts)
{
	json_t *h = json_array();
	char *b64 = hr_b64_encode(k->body, strlen(k->body));
	json_t *o;

	json_array_append_new(h, json_pack("[ss]", "Host", host));
	for (size_t i = 0; i < 6 && k->extra[i].name; i++)
		json_array_append_new(h, json_pack("[ss]", k->extra[i].name, k->extra[i].value));
	o = json_pack("{ss ss so ss ss ss ss ss}", "method", k->query ? "GET" : "PUT", "url", url,
		      "headers", h, "body_b64", b64 ? b64 : "", "access_key", "AKIDEXAMPLE",
		      "secret_key", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "region",
		      "eu-west-3", "timestamp", ts);
	if (k->token)
		json_object_set_new(o, "token", json_string(k->token));
	free(b64);
	return o;
}

TEST(test_s3_requests_match_botocore)
{
	const char *host = "127.0.0.1:9000";
	const time_t when = 1765065600 + 3723; /* 2025-12-07T01:02:03Z */
	size_t n = sizeof(s3_cases) / sizeof(s3_cases[0]);
	char *ours[8] = {0}, path_in[] = "/tmp/hostrail-test-sigv4-XXXXXX", cmd[8192];
	char line[8192];
	struct tm tm;
	char ts[17];
	FILE *in, *out;
	size_t got = 0;
	int fd;

	gmtime_r(&when, &tm);
	strftime(ts, sizeof(ts), "%Y%m%dT%H%M%SZ", &tm);
	fd = mkstemp(path_in);
	CHECK(fd >= 0);
	in = fdopen(fd, "w");
	for (size_t i = 0; i < n; i++) {
		const struct s3_case *k = &s3_cases[i];
		struct hr_sigv4_header h[8] = {{"Host", host}};
		size_t nh = 1;
		char raw[1024], url[2048], *path;
		struct hr_sigv4_signed s;
		json_t *j;

		for (size_t e = 0; e < 6 && k->extra[e].name; e++)
			h[nh++] = k->extra[e];
		snprintf(raw, sizeof(raw), "/bucket/%s", k->key);
		path = hr_sigv4_encode_path(raw);
		struct hr_sigv4_params p = {.region = "eu-west-3",
					    .service = "s3",
					    .when = when,
					    .path_kind = HR_SIGV4_PATH_S3,
					    .content_sha256_header = true};
		struct hr_sigv4_creds c = {"AKIDEXAMPLE",
					   "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", k->token};
		struct hr_sigv4_request r = {.method = k->query ? "GET" : "PUT",
					     .path = path,
					     .query = k->query,
					     .headers = h,
					     .n_headers = nh,
					     .body = k->body,
					     .body_len = strlen(k->body)};
		CHECK_INT(hr_sigv4_sign(&p, &c, &r, &s), 0);
		CHECK_STR(s.amz_date, ts);
		ours[i] = s.authorization ? strdup(s.authorization) : NULL;
		hr_sigv4_signed_free(&s);
		snprintf(url, sizeof(url), "http://%s%s%s%s", host, path, k->query ? "?" : "",
			 k->query ? k->query : "");
		free(path);
		j = s3_case_json(k, url, host, ts);
		json_dumpf(j, in, JSON_COMPACT);
		fputc('\n', in);
		json_decref(j);
	}
	fclose(in);
	snprintf(cmd, sizeof(cmd), "/usr/bin/python3 tests/sigv4_botocore.py < %s", path_in);
	out = popen(cmd, "r");
	CHECK(out != NULL);
	while (out && got < n && fgets(line, sizeof(line), out)) {
		json_t *a = json_loads(line, 0, NULL);

		CHECK_STR(ours[got], json_string_value(json_object_get(a, "authorization")));
		if (!ours[got] ||
		    strcmp(ours[got], json_string_value(json_object_get(a, "authorization")) ?: ""))
			fprintf(stderr, "  S3 case: %s\n  botocore's canonical request:\n%s\n",
				s3_cases[got].what,
				json_string_value(json_object_get(a, "canonical_request")));
		json_decref(a);
		got++;
	}
	CHECK_INT(out ? pclose(out) : -1, 0);
	CHECK_INT(got, n);
	unlink(path_in);
	for (size_t i = 0; i < n; i++)
		free(ours[i]);
}

int main(void)
{
	if (suite_dir()) {
		RUN(test_suite_every_case);
	} else if (in_ci()) {
		fprintf(stderr, "the SigV4 test suite is missing: set HOSTRAIL_SIGV4_SUITE or put "
				"it at ../shared/testdata/sigv4\n");
		hr_t_failed++;
	} else {
		printf("SKIP test_suite_every_case: no SigV4 test suite (HOSTRAIL_SIGV4_SUITE, "
		       "../shared/testdata/sigv4)\n");
	}
	RUN(test_uri_encode);
	RUN(test_s3_requests_match_botocore);
	TEST_MAIN_END();
}

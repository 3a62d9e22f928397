/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * fuzz_selectors.c - both selector grammars. The first byte picks the
 * form: 'B' the rest is a basic EventSelectors array, 'A' an advanced
 * AdvancedEventSelectors array, anything else the whole input is the
 * JSON object put-event-selectors sends.
 */
#include "fuzz.h"
#include "record/record.h"
#include "select/select.h"

#define DATA_PATH "/srv/data/x.txt"

struct prefix_hit {
	bool hit;
};

/* Does the kernel's path filter let DATA_PATH through? */
static void covers(void *arg, const char *path, size_t len, bool exact)
{
	struct prefix_hit *h = arg;

	if (exact ? len == strlen(DATA_PATH) && !memcmp(path, DATA_PATH, len) :
		    len <= strlen(DATA_PATH) && !memcmp(path, DATA_PATH, len))
		h->hit = true;
}

/*
 * What the kernel side is told must be a superset of what user space
 * keeps: a record the selectors keep is one hr_select_may_match allows,
 * and for a file data event one the path filter lets through.
 */
static void check_superset(const struct hr_selectors *s, const struct hr_sel_ctx *ctx)
{
	struct hr_resource file = {.type = "Linux::File",
				   .arn = "arn:hostrail:file:fuzzhost:123456789012:" DATA_PATH,
				   .name = DATA_PATH};
	struct hr_record mgmt = {.event_name = "Setuid",
				 .event_source = "identity.linux",
				 .event_category = "Management",
				 .user_arn = "arn:hostrail:iam:fuzzhost:123456789012:root"};
	struct hr_record data = {.event_name = "Open",
				 .event_source = "file.linux",
				 .event_category = "Data",
				 .read_only = true,
				 .error_code = "EACCES",
				 .failed = true,
				 .n_resources = 1};
	struct prefix_hit h = {false};

	data.resources[0] = file;
	if (hr_select_match(s, &mgmt))
		FUZZ_CLAIM(hr_select_may_match_ro(s, "Management", "identity.linux", "Setuid", NULL,
						  "false"));
	if (hr_select_match(s, &data)) {
		FUZZ_CLAIM(hr_select_may_match_ro(s, "Data", "file.linux", "Open", "Linux::File",
						  "true"));
		hr_select_prefixes(s, ctx, "Linux::File", covers, &h);
		FUZZ_CLAIM(h.hit);
	}
}

static void count_prefix(void *arg, const char *path, size_t len, bool exact)
{
	FUZZ_CLAIM(path != NULL);
	FUZZ_CLAIM(memchr(path, '\0', len) == NULL);
	(*(int *)arg)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct hr_sel_ctx ctx = {
		.region = "fuzzhost", .account_id = "123456789012", .file = "fuzz"};
	struct hr_selectors s = {0}, again = {0};
	char err[1024] = "", *text, *body;
	int rc, n = 0;

	if (size && (data[0] == 'A' || data[0] == 'B')) {
		body = fuzz_strndup(data + 1, size - 1);
		if (asprintf(&text, "{\"%sEventSelectors\":%s}", data[0] == 'A' ? "Advanced" : "",
			     body) < 0)
			abort();
		free(body);
	} else {
		text = fuzz_strndup(data, size);
	}
	rc = hr_selectors_compile_text(&s, text, &ctx, "$", err, sizeof(err));
	FUZZ_CLAIM(rc == 0 || rc == -EINVAL || rc == -ENOMEM);
	FUZZ_CLAIM(rc == 0 || err[0]);
	if (!rc) {
		hr_select_may_match(&s, "Management", "linux.hostrail", "Mount", NULL);
		hr_select_may_match_ro(&s, "Data", "linux.hostrail", "Open", "Linux::File", "true");
		hr_select_prefixes(&s, &ctx, "Linux::File", count_prefix, &n);
		hr_select_prefixes(&s, &ctx, "Linux::Process", count_prefix, &n);
		check_superset(&s, &ctx);
		/* what get-event-selectors shows is accepted back, as the same */
		FUZZ_CLAIM(s.shown != NULL);
		rc = hr_selectors_compile_text(&again, s.shown, &ctx, "$", err, sizeof(err));
		if (rc)
			fprintf(stderr, "shown %s refused: %s\n", s.shown, err);
		FUZZ_CLAIM(rc == 0);
		FUZZ_CLAIM(again.n == s.n && again.advanced == s.advanced);
		FUZZ_CLAIM(strcmp(again.shown, s.shown) == 0);
		hr_selectors_free(&again);
	}
	hr_selectors_free(&s);
	free(text);
	return 0;
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* test_jsonw.c - the record writer against jansson's parser. */
#include <errno.h>
#include <stdlib.h>
#include <jansson.h>
#include "harness.h"
#include "common/jsonw.h"

/* Parse what w holds; NULL (and a message) if jansson refuses it. */
static json_t *parse(struct jsonw *w)
{
	json_error_t err;
	size_t len;
	const char *text = jw_text(w, &len);
	json_t *j = json_loadb(text, len, 0, &err);

	if (!j)
		fprintf(stderr, "jansson: %s at %d: %.200s\n", err.text, err.position, text);
	return j;
}

static void hex_of(const unsigned char *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
	out[2 * n] = '\0';
}

TEST(test_scalars_and_nesting)
{
	struct jsonw w;
	json_t *j, *a;

	CHECK_INT(jw_init(&w, 16), 0); /* tiny: forces growth */
	jw_obj_begin(&w);
	jw_kstrz(&w, "s", "hello");
	jw_kint(&w, "neg", INT64_MIN);
	jw_kint(&w, "pos", INT64_MAX);
	jw_kuint(&w, "u", 4000000000u);
	jw_kbool(&w, "t", true);
	jw_kbool(&w, "f", false);
	jw_knull(&w, "n");
	jw_kstrz(&w, "nullstr", NULL);
	jw_key(&w, "arr");
	jw_arr_begin(&w);
	jw_int(&w, 1);
	jw_arr_begin(&w);
	jw_arr_end(&w);
	jw_obj_begin(&w);
	jw_obj_end(&w);
	jw_str(&w, "x");
	jw_arr_end(&w);
	jw_key(&w, "raw");
	jw_raw(&w, "{\"k\":[1,2]}", 11);
	jw_key(&w, "hex");
	jw_hex(&w, "\x01\xab", 2);
	jw_key(&w, "f2");
	jw_strf(&w, "%04o", 0755);
	jw_obj_end(&w);
	CHECK_INT(jw_error(&w), 0);
	j = parse(&w);
	CHECK(j != NULL);
	if (j) {
		CHECK_STR(json_string_value(json_object_get(j, "s")), "hello");
		CHECK(json_integer_value(json_object_get(j, "neg")) == INT64_MIN);
		CHECK(json_integer_value(json_object_get(j, "pos")) == INT64_MAX);
		CHECK_INT(json_integer_value(json_object_get(j, "u")), 4000000000LL);
		CHECK(json_is_true(json_object_get(j, "t")));
		CHECK(json_is_false(json_object_get(j, "f")));
		CHECK(json_is_null(json_object_get(j, "n")));
		CHECK(json_is_null(json_object_get(j, "nullstr")));
		a = json_object_get(j, "arr");
		CHECK_INT(json_array_size(a), 4);
		CHECK(json_is_array(json_array_get(a, 1)));
		CHECK(json_is_object(json_array_get(a, 2)));
		CHECK_INT(json_array_size(json_object_get(json_object_get(j, "raw"), "k")), 2);
		CHECK_STR(json_string_value(json_object_get(j, "hex")), "01ab");
		CHECK_STR(json_string_value(json_object_get(j, "f2")), "0755");
		json_decref(j);
	}
	/* exact text: compact, no spaces */
	jw_reset(&w);
	jw_obj_begin(&w);
	jw_kuint(&w, "a", UINT64_MAX);
	jw_key(&w, "b");
	jw_arr_begin(&w);
	jw_null(&w);
	jw_bool(&w, true);
	jw_arr_end(&w);
	jw_obj_end(&w);
	CHECK_STR(jw_text(&w, NULL), "{\"a\":18446744073709551615,\"b\":[null,true]}");
	jw_free(&w);
	jw_free(&w); /* NULL-safe and idempotent */
	jw_free(NULL);
}

TEST(test_misuse_is_an_error)
{
	struct jsonw w;

	jw_init(&w, 0);
	jw_obj_begin(&w);
	jw_int(&w, 1); /* value without key */
	CHECK_INT(jw_error(&w), -EINVAL);
	jw_reset(&w);
	jw_obj_begin(&w);
	CHECK_INT(jw_error(&w), -EINVAL); /* unbalanced */
	jw_reset(&w);
	jw_arr_begin(&w);
	jw_key(&w, "k"); /* key in an array */
	CHECK_INT(jw_error(&w), -EINVAL);
	jw_reset(&w);
	jw_arr_begin(&w);
	jw_obj_end(&w); /* wrong closer */
	CHECK_INT(jw_error(&w), -EINVAL);
	jw_reset(&w);
	for (int i = 0; i < JW_MAX_DEPTH + 1; i++)
		jw_arr_begin(&w);
	CHECK_INT(jw_error(&w), -E2BIG);
	CHECK_STR(jw_text(&w, NULL), "");
	jw_reset(&w);
	jw_int(&w, 1);
	jw_int(&w, 2); /* two top-level values */
	CHECK_INT(jw_error(&w), -EINVAL);
	jw_free(&w);
}

TEST(test_escapes_exact)
{
	struct jsonw w;
	char all[128];
	json_t *j;

	jw_init(&w, 0);
	jw_arr_begin(&w);
	jw_strn(&w, "a\"b\\c\nd\te\x01\x1f\x7f/", 13);
	jw_arr_end(&w);
	CHECK_STR(jw_text(&w, NULL), "[\"a\\\"b\\\\c\\nd\\te\\u0001\\u001f\\u007f/\"]");

	/* every byte 1..127 round-trips through jansson */
	for (int i = 1; i < 128; i++)
		all[i - 1] = (char)i;
	jw_reset(&w);
	jw_obj_begin(&w);
	CHECK(jw_kstr(&w, "all", all, 127));
	jw_obj_end(&w);
	j = parse(&w);
	CHECK(j != NULL);
	if (j) {
		json_t *s = json_object_get(j, "all");

		CHECK_INT(json_string_length(s), 127);
		CHECK(!memcmp(json_string_value(s), all, 127));
		CHECK(json_object_get(j, "allHex") == NULL);
		json_decref(j);
	}
	jw_free(&w);
}

struct utf8_case {
	const char *bytes;
	size_t len;
	bool valid;
	int replaced; /* U+FFFD count when invalid */
};

TEST(test_utf8_validation)
{
	static const struct utf8_case cases[] = {
		{"plain", 5, true, 0},
		{"\xc3\xa9", 2, true, 0},	   /* é */
		{"\xe2\x82\xac", 3, true, 0},	   /* € */
		{"\xf0\x9f\x98\x80", 4, true, 0},  /* U+1F600 */
		{"\xf4\x8f\xbf\xbf", 4, true, 0},  /* U+10FFFF */
		{"\xed\x9f\xbf", 3, true, 0},	   /* U+D7FF */
		{"\xee\x80\x80", 3, true, 0},	   /* U+E000 */
		{"\xc0\xaf", 2, false, 2},	   /* overlong '/' */
		{"\xc1\xbf", 2, false, 2},	   /* overlong */
		{"\xe0\x80\xaf", 3, false, 3},	   /* overlong */
		{"\xf0\x80\x80\xaf", 4, false, 4}, /* overlong */
		{"\xed\xa0\x80", 3, false, 3},	   /* surrogate D800 */
		{"\xed\xbf\xbf", 3, false, 3},	   /* surrogate DFFF */
		{"\xf4\x90\x80\x80", 4, false, 4}, /* U+110000 */
		{"\xf5\x80\x80\x80", 4, false, 4},
		{"\xff", 1, false, 1},
		{"\x80", 1, false, 1},	     /* lone continuation */
		{"ab\xe2\x82", 4, false, 2}, /* cut at the end */
		{"\xe2\x82z", 3, false, 2},  /* cut in the middle */
		{"a\0b", 3, false, 1},	     /* NUL */
	};
	struct jsonw w;

	jw_init(&w, 0);
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		const struct utf8_case *c = &cases[k];
		char hex[64];
		json_t *j, *v, *h;

		CHECK_INT(hr_utf8_valid(c->bytes, c->len), c->valid);
		jw_reset(&w);
		jw_obj_begin(&w);
		CHECK_INT(jw_kstr(&w, "v", c->bytes, c->len), c->valid);
		jw_obj_end(&w);
		j = parse(&w);
		CHECK(j != NULL);
		if (!j)
			continue;
		v = json_object_get(j, "v");
		h = json_object_get(j, "vHex");
		if (c->valid) {
			CHECK_INT(json_string_length(v), c->len);
			CHECK(!memcmp(json_string_value(v), c->bytes, c->len));
			CHECK(h == NULL);
		} else {
			int n = 0;
			const char *s = json_string_value(v);

			for (const char *p = s; (p = strstr(p, "\xef\xbf\xbd")); p += 3)
				n++;
			if (n != c->replaced)
				fprintf(stderr, "case %zu: %d replacements\n", k, n);
			CHECK_INT(n, c->replaced);
			hex_of((const unsigned char *)c->bytes, c->len, hex);
			CHECK_STR(json_string_value(h), hex);
		}
		json_decref(j);
	}
	jw_free(&w);
}

/* Random bytes biased toward UTF-8 edge cases; jansson must accept every
 * output; valid input comes back exact, invalid input via the Hex key. */
TEST(test_fuzz_against_jansson)
{
	static const unsigned char pick[] = {
		0x00, 0x01, 0x1f, 0x20, '"',  '\\', 'a',  0x7f, 0x80, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf,
		0xe0, 0xe1, 0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf4, 0xf5, 0xff, 0x9f, 0xa0, 0x8f, 0x90,
	};
	unsigned char buf[64];
	char hex[129];
	struct jsonw w;
	unsigned int seed = 12345;
	int bad = 0;

	jw_init(&w, 0);
	for (int iter = 0; iter < 20000 && bad < 5; iter++) {
		size_t len = (size_t)(rand_r(&seed) % (int)sizeof(buf));
		json_t *j, *v, *h, *ref;
		bool valid, jvalid;

		for (size_t i = 0; i < len; i++)
			buf[i] = (rand_r(&seed) & 1) ? pick[rand_r(&seed) % sizeof(pick)] :
						       (unsigned char)rand_r(&seed);
		valid = hr_utf8_valid((const char *)buf, len);
		/* jansson's own UTF-8 check is the reference (it allows NUL) */
		ref = json_stringn((const char *)buf, len);
		jvalid = ref && !memchr(buf, 0, len);
		json_decref(ref);
		if (valid != jvalid) {
			bad++;
			CHECK(valid == jvalid);
		}
		jw_reset(&w);
		jw_obj_begin(&w);
		jw_kstr(&w, "p", (const char *)buf, len);
		jw_obj_end(&w);
		j = parse(&w);
		if (!j) {
			bad++;
			CHECK(j != NULL);
			continue;
		}
		v = json_object_get(j, "p");
		h = json_object_get(j, "pHex");
		if (valid) {
			CHECK(h == NULL);
			if (json_string_length(v) != len ||
			    memcmp(json_string_value(v), buf, len)) {
				bad++;
				CHECK(!"valid string changed");
			}
		} else {
			hex_of(buf, len, hex);
			CHECK(h && !strcmp(json_string_value(h), hex));
		}
		json_decref(j);
	}
	jw_free(&w);
}

TEST(test_big_and_sanitize)
{
	size_t n = 1 << 20;
	char *big = malloc(n), *s;
	struct jsonw w;
	json_t *j;

	memset(big, 'x', n);
	big[100] = '\n';
	jw_init(&w, 0);
	jw_arr_begin(&w);
	jw_strn(&w, big, n);
	jw_arr_end(&w);
	j = parse(&w);
	CHECK(j && json_string_length(json_array_get(j, 0)) == n);
	json_decref(j);
	jw_free(&w);
	free(big);

	s = hr_utf8_sanitize("a\xff\xc3\xa9\0z", 6);
	CHECK_STR(s, "a\xef\xbf\xbd\xc3\xa9\xef\xbf\xbdz");
	free(s);
}

int main(void)
{
	RUN(test_scalars_and_nesting);
	RUN(test_misuse_is_an_error);
	RUN(test_escapes_exact);
	RUN(test_utf8_validation);
	RUN(test_fuzz_against_jansson);
	RUN(test_big_and_sanitize);
	TEST_MAIN_END();
}

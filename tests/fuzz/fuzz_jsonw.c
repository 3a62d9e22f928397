/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * fuzz_jsonw.c - the record writer's string escaping: any bytes in, valid
 * JSON out, and the exact bytes back from the "...Hex" sibling when the
 * text could not carry them.
 */
#include <jansson.h>
#include "fuzz.h"
#include "common/jsonw.h"

static int unhex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *text, *hex;
	json_t *doc, *v, *vhex;
	json_error_t jerr;
	struct jsonw w;
	size_t len, vlen;
	char *clean;
	bool exact;

	if (jw_init(&w, 0))
		abort();
	jw_obj_begin(&w);
	exact = jw_kstr(&w, "v", s, size);
	jw_key(&w, "n");
	jw_strn(&w, s, size);
	jw_obj_end(&w);
	FUZZ_CLAIM(jw_error(&w) == 0);
	FUZZ_CLAIM(exact == hr_utf8_valid(s, size));
	text = jw_text(&w, &len);
	FUZZ_CLAIM(strlen(text) == len);

	/* valid JSON, by a parser that refuses bad UTF-8 and \u0000 */
	doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc)
		fprintf(stderr, "not JSON (%s): %s\n", jerr.text, text);
	FUZZ_CLAIM(doc != NULL);
	v = json_object_get(doc, "v");
	vhex = json_object_get(doc, "vHex");
	FUZZ_CLAIM(json_is_string(v));
	FUZZ_CLAIM(json_equal(v, json_object_get(doc, "n")));
	vlen = json_string_length(v);
	if (exact) {
		FUZZ_CLAIM(vhex == NULL);
		FUZZ_CLAIM(vlen == size && memcmp(json_string_value(v), s, size) == 0);
	} else {
		/* the text is the sanitized bytes; the hex the raw ones */
		clean = hr_utf8_sanitize(s, size);
		FUZZ_CLAIM(clean && strlen(clean) == vlen &&
			   memcmp(clean, json_string_value(v), vlen) == 0);
		free(clean);
		FUZZ_CLAIM(json_is_string(vhex));
		hex = json_string_value(vhex);
		FUZZ_CLAIM(json_string_length(vhex) == 2 * size);
		for (size_t i = 0; i < size; i++) {
			int hi = unhex(hex[2 * i]), lo = unhex(hex[2 * i + 1]);

			FUZZ_CLAIM(hi >= 0 && lo >= 0);
			FUZZ_CLAIM((uint8_t)(hi << 4 | lo) == data[i]);
		}
	}
	json_decref(doc);
	jw_free(&w);
	return 0;
}

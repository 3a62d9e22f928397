// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* test_pathnorm.c - lexical normal form of absolute paths. */
#include <string.h>
#include "harness.h"
#include "decode/pathnorm.h"

TEST(test_normal_forms)
{
	static const struct {
		const char *in, *want;
		bool needs;
	} cases[] = {
		{"/srv/other/../data/x", "/srv/data/x", true},
		{"/srv/data/../other/x", "/srv/other/x", true},
		{"/srv//data/x", "/srv/data/x", true},
		{"/srv/./data/x", "/srv/data/x", true},
		{"/srv/data/.", "/srv/data", true},
		{"/srv/data/..", "/srv", true},
		{"/srv/data/x/", "/srv/data/x/", false}, /* trailing slash kept */
		{"/srv/data//", "/srv/data/", true},
		{"/..", "/", true}, /* the root's parent is the root */
		{"/../../etc/shadow", "/etc/shadow", true},
		{"/", "/", false},
		{"//", "/", true},
		{"/a/b/c/../../d", "/a/d", true},
		{"/srv/.hidden/..x/...", "/srv/.hidden/..x/...", false}, /* names, not dots */
		{"/srv/data/x", "/srv/data/x", false},
	};
	char out[64];

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		size_t len = strlen(cases[k].in);
		long n = hr_path_normalize(cases[k].in, len, out, sizeof(out));

		CHECK_STR(out, cases[k].want);
		CHECK_INT(n, strlen(cases[k].want));
		CHECK(hr_path_needs_normalize(cases[k].in, len) == cases[k].needs);
	}
}

TEST(test_refusals)
{
	char out[8];

	CHECK_INT(hr_path_normalize("relative/x", 10, out, sizeof(out)), -1);
	CHECK_INT(hr_path_normalize("", 0, out, sizeof(out)), -1);
	/* out must hold len + 2 bytes: refused, never cut */
	CHECK_INT(hr_path_normalize("/abcdefgh/ij", 12, out, sizeof(out)), -1);
	CHECK_INT(hr_path_normalize("/a/../ij", 8, out, sizeof(out)), -1);
	CHECK_INT(hr_path_normalize("/a/../", 6, out, sizeof(out)), 1);
	CHECK_STR(out, "/");
	/* not NUL-terminated input: only len bytes are read */
	CHECK_INT(hr_path_normalize("/a/./bXXXX", 6, out, sizeof(out)), 4);
	CHECK_STR(out, "/a/b");
}

int main(void)
{
	RUN(test_normal_forms);
	RUN(test_refusals);
	TEST_MAIN_END();
}

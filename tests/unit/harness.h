/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * harness.h - the unit tests' assert harness.
 *
 * A test file defines TEST(name) functions and lists them in main() with
 * RUN(name). A failed CHECK reports file:line and the values, and the test
 * goes on; the program prints "N passed, N failed" and exits non-zero on
 * any failure.
 */
#ifndef HOSTRAIL_TEST_HARNESS_H
#define HOSTRAIL_TEST_HARNESS_H

#include <stdio.h>
#include <string.h>
#include <stdint.h>
#include <inttypes.h>

/* Time bounds of the speed checks stretch this much under ASan (make SAN=1),
 * which slows the code several times over; the checks still catch a
 * complexity regression. */
#if defined(__SANITIZE_ADDRESS__)
#define HR_T_SLOWDOWN 4
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HR_T_SLOWDOWN 4
#endif
#endif
#ifndef HR_T_SLOWDOWN
#define HR_T_SLOWDOWN 1
#endif

static int hr_t_failed_checks;
static int hr_t_passed, hr_t_failed;

#define TEST(name) static void name(void)

#define RUN(name)                                            \
	do {                                                 \
		int before_ = hr_t_failed_checks;            \
		name();                                      \
		if (hr_t_failed_checks == before_) {         \
			hr_t_passed++;                       \
		} else {                                     \
			hr_t_failed++;                       \
			fprintf(stderr, "FAIL %s\n", #name); \
		}                                            \
	} while (0)

#define CHECK(cond)                                                                              \
	do {                                                                                     \
		if (!(cond)) {                                                                   \
			hr_t_failed_checks++;                                                    \
			fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
		}                                                                                \
	} while (0)

#define CHECK_INT(got, want)                                                                       \
	do {                                                                                       \
		long long g_ = (long long)(got), w_ = (long long)(want);                           \
		if (g_ != w_) {                                                                    \
			hr_t_failed_checks++;                                                      \
			fprintf(stderr, "%s:%d: %s = %lld, want %lld\n", __FILE__, __LINE__, #got, \
				g_, w_);                                                           \
		}                                                                                  \
	} while (0)

#define CHECK_STR(got, want)                                                                     \
	do {                                                                                     \
		const char *g_ = (got), *w_ = (want);                                            \
		if (!g_ || !w_ || strcmp(g_, w_) != 0) {                                         \
			hr_t_failed_checks++;                                                    \
			fprintf(stderr, "%s:%d: %s = \"%s\", want \"%s\"\n", __FILE__, __LINE__, \
				#got, g_ ? g_ : "(null)", w_ ? w_ : "(null)");                   \
		}                                                                                \
	} while (0)

#define TEST_MAIN_END()                                                                   \
	do {                                                                              \
		printf("%s: %d passed, %d failed\n", __FILE__, hr_t_passed, hr_t_failed); \
		return hr_t_failed ? 1 : 0;                                               \
	} while (0)

#endif

/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* sort.h - the one sort every stage uses. */
#ifndef HOSTRAIL_SORT_H
#define HOSTRAIL_SORT_H

#include <stdlib.h>

/*
 * qsort() that takes an empty array.  C says qsort's base must be valid even
 * when nmemb is 0, and an empty list here is often a NULL pointer (nothing
 * was ever allocated); UBSan under the fuzzers flags that, so every sort in
 * the tree goes through this one.
 */
static inline void hr_sort(void *base, size_t n, size_t size,
			   int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(base, n, size, cmp);
}

#endif

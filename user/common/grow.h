/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* grow.h - the one growing array every stage uses. */
#ifndef HOSTRAIL_GROW_H
#define HOSTRAIL_GROW_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

/*
 * Room for element n of the array *items (elements of size bytes, room for
 * *cap): when it is full the room doubles, from first when empty. 0, or
 * -ENOMEM with the array and *cap as they were. items is the address of the
 * array's pointer (&v), whatever its element type.
 */
static inline int hr_grow(void *items, size_t *cap, size_t n, size_t size, size_t first)
{
	void **p = items;
	size_t ncap;
	void *np;

	if (n < *cap)
		return 0;
	ncap = *cap ? 2 * *cap : first;
	if (ncap > SIZE_MAX / size)
		return -ENOMEM;
	np = realloc(*p, ncap * size);
	if (!np)
		return -ENOMEM;
	*p = np;
	*cap = ncap;
	return 0;
}

#endif

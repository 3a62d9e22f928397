// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* pathnorm.c - lexical normal form of absolute paths (see pathnorm.h). */
#include <string.h>
#include "decode/pathnorm.h"

/* The component starting at p[i] (after a '/'): its length up to the next '/'. */
static size_t component(const char *p, size_t len, size_t i)
{
	const char *slash = memchr(p + i, '/', len - i);

	return slash ? (size_t)(slash - (p + i)) : len - i;
}

static bool is_dot(const char *c, size_t n)
{
	return n == 1 && c[0] == '.';
}

static bool is_dotdot(const char *c, size_t n)
{
	return n == 2 && c[0] == '.' && c[1] == '.';
}

bool hr_path_needs_normalize(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		size_t n;

		if (p[i] != '/' || i + 1 >= len)
			continue;
		n = component(p, len, i + 1);
		if (!n || is_dot(p + i + 1, n) || is_dotdot(p + i + 1, n))
			return true;
	}
	return false;
}

long hr_path_normalize(const char *p, size_t len, char *out, size_t outlen)
{
	size_t o = 0, i = 0;

	/* never longer than p plus a '/': one check up front, not a cut */
	if (!len || p[0] != '/' || outlen < len + 2)
		return -1;
	while (i < len) {
		size_t n;

		while (i < len && p[i] == '/')
			i++;
		if (i >= len)
			break;
		n = component(p, len, i);
		if (is_dotdot(p + i, n)) {
			/* back to the '/' before the last component, or the root */
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
		} else if (!is_dot(p + i, n)) {
			out[o++] = '/';
			memcpy(out + o, p + i, n);
			o += n;
		}
		i += n;
	}
	if (!o || p[len - 1] == '/')
		out[o++] = '/';
	out[o] = '\0';
	return (long)o;
}

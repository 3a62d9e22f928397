/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * pathnorm.h - an absolute path in its lexical normal form.
 *
 * "/srv/other/../data/./x" and "/srv//data/x" name /srv/data/x for the
 * kernel, so selectors must see that name: a prefix check on the text as
 * given would miss the first and could be evaded with the second. Purely
 * lexical (the filesystem is never touched, the caller may be gone): a
 * ".." after a symbolic link is taken as the shell's `cd` takes it, not as
 * the kernel's lookup does (docs/configuration.md).
 */
#ifndef HOSTRAIL_PATHNORM_H
#define HOSTRAIL_PATHNORM_H

#include <stdbool.h>
#include <stddef.h>

/* Does the absolute path p (len bytes, no NUL needed) hold "//", a "."
 * or a ".." component? Those are what hr_path_normalize changes. */
bool hr_path_needs_normalize(const char *p, size_t len);

/*
 * Normalise the absolute path p (len bytes) into out (outlen bytes, NUL
 * terminated): no empty, "." or ".." components; ".." at the root stays at
 * the root; a trailing '/' is kept if p had one. Returns the length, or -1
 * if p is not absolute or out is smaller than len + 2. out may not
 * overlap p.
 */
long hr_path_normalize(const char *p, size_t len, char *out, size_t outlen);

#endif

/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * uprobes.h - attach the login probes (bpf/logins.bpf.c) to libpam and
 * libaudit, found through the dynamic linker's cache.
 */
#ifndef HOSTRAIL_UPROBES_H
#define HOSTRAIL_UPROBES_H

#include <stddef.h>

struct hostrail_bpf;

/*
 * Attach every login probe whose library and symbol exist. A missing
 * library or symbol is not fatal: the eventNames it would have given are
 * appended to missing (comma-separated, as capture reports tracepoints)
 * and logged once. Links belong to the skeleton (detached with it).
 * Returns the number of probes attached.
 */
int hr_uprobes_attach(struct hostrail_bpf *skel, char *missing, size_t missing_size);

/*
 * The path the dynamic linker's cache (ld_cache, normally
 * /etc/ld.so.cache) gives for a library soname of this machine's ABI.
 * Returns 0, or -ENOENT / -EINVAL (unreadable or unknown cache format).
 */
int hr_ldcache_lookup(const char *ld_cache, const char *soname, char *path, size_t size);

#endif

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * uprobes.c - find libpam.so.0 and libaudit.so.1 as the dynamic linker
 * would, and attach the login probes to their exported functions.
 *
 * Uprobes live on the library file's inode, so one attachment covers
 * every process that maps it: sshd, login, su, sudo, display managers,
 * started before or after the agent. A login program that links PAM
 * statically, or a container with its own copy of libpam, is a
 * different file and is not seen (docs/logins.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <bpf/libbpf.h>
#include "hostrail.skel.h"
#include "capture/uprobes.h"
#include "common/log.h"

#define LD_CACHE "/etc/ld.so.cache"

/* glibc's ld.so.cache, "new" format (glibc >= 2.32 writes only this). */
#define CACHE_MAGIC	   "glibc-ld.so.cache1.1"
#define FLAG_ELF_LIBC6	   0x0003
#define FLAG_TYPE_MASK	   0x00ff
#define FLAG_REQUIRED_MASK 0xff00
#if defined(__x86_64__)
#define FLAG_ARCH 0x0300 /* FLAG_X8664_LIB64 */
#elif defined(__aarch64__)
#define FLAG_ARCH 0x0a00 /* FLAG_AARCH64_LIB64 */
#else
#define FLAG_ARCH 0x0000
#endif

struct cache_header {
	char magic[20]; /* "glibc-ld.so.cache" "1.1" */
	uint32_t nlibs;
	uint32_t len_strings;
	uint8_t flags;
	uint8_t pad[3];
	uint32_t extension_offset;
	uint32_t unused[3];
};

struct cache_entry {
	int32_t flags;
	uint32_t key, value; /* offsets from the start of the file */
	uint32_t osversion;
	uint64_t hwcap;
};

_Static_assert(sizeof(struct cache_header) == 48, "ld.so.cache header");
_Static_assert(sizeof(struct cache_entry) == 24, "ld.so.cache entry");

int hr_ldcache_lookup(const char *ld_cache, const char *soname, char *path, size_t size)
{
	const struct cache_header *h;
	const struct cache_entry *e;
	struct stat st;
	const char *base;
	int fd, rc = -ENOENT;
	void *map;

	fd = open(ld_cache, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || (size_t)st.st_size < sizeof(*h)) {
		close(fd);
		return -EINVAL;
	}
	map = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return -errno;
	base = map;
	h = map;
	/* Untrusted layout: every offset is checked against the file size. */
	if (memcmp(h->magic, CACHE_MAGIC, sizeof(h->magic)) ||
	    h->nlibs > ((size_t)st.st_size - sizeof(*h)) / sizeof(*e)) {
		rc = -EINVAL;
		goto out;
	}
	e = (const struct cache_entry *)(h + 1);
	for (uint32_t i = 0; i < h->nlibs; i++) {
		const char *k, *v;
		size_t vl;

		if ((e[i].flags & FLAG_TYPE_MASK) != FLAG_ELF_LIBC6 ||
		    (e[i].flags & FLAG_REQUIRED_MASK) != FLAG_ARCH || e[i].key >= st.st_size ||
		    e[i].value >= st.st_size)
			continue;
		k = base + e[i].key;
		v = base + e[i].value;
		if (strnlen(k, st.st_size - e[i].key) == (size_t)st.st_size - e[i].key ||
		    strcmp(k, soname))
			continue;
		vl = strnlen(v, st.st_size - e[i].value);
		if (vl == (size_t)st.st_size - e[i].value || vl >= size)
			continue;
		memcpy(path, v, vl + 1);
		rc = 0;
		break;
	}
out:
	munmap(map, st.st_size);
	return rc;
}

enum { LIB_PAM, LIB_AUDIT, LIB_N };

static const struct {
	const char *soname;
	const char *events; /* what is lost without it */
} libs[LIB_N] = {
	[LIB_PAM] = {"libpam.so.0", "ConsoleLogin,ConsoleLogout,SwitchRole"},
	[LIB_AUDIT] = {"libaudit.so.1", "AssumeRole"},
};

struct probe {
	int lib;
	const char *func;
	bool ret;
	size_t prog_off; /* offsetof(struct hostrail_bpf, progs.X) */
	size_t link_off; /* offsetof(struct hostrail_bpf, links.X) */
};

#define P(lib, func, ret, prog)                                            \
	{                                                                  \
		lib, func, ret, offsetof(struct hostrail_bpf, progs.prog), \
			offsetof(struct hostrail_bpf, links.prog)          \
	}

static const struct probe probes[] = {
	P(LIB_PAM, "pam_start", false, hr_pam_start),
	P(LIB_PAM, "pam_start", true, hr_pam_start_ret),
	P(LIB_PAM, "pam_set_item", false, hr_pam_set_item),
	P(LIB_PAM, "pam_authenticate", false, hr_pam_authenticate),
	P(LIB_PAM, "pam_authenticate", true, hr_pam_authenticate_ret),
	P(LIB_PAM, "pam_acct_mgmt", false, hr_pam_acct_mgmt),
	P(LIB_PAM, "pam_acct_mgmt", true, hr_pam_acct_mgmt_ret),
	P(LIB_PAM, "pam_open_session", false, hr_pam_open_session),
	P(LIB_PAM, "pam_open_session", true, hr_pam_open_session_ret),
	P(LIB_PAM, "pam_close_session", false, hr_pam_close_session),
	P(LIB_PAM, "pam_close_session", true, hr_pam_close_session_ret),
	P(LIB_PAM, "pam_end", false, hr_pam_end),
	P(LIB_AUDIT, "audit_log_acct_message", false, hr_audit_acct),
	P(LIB_AUDIT, "audit_log_user_command", false, hr_audit_cmd),
};

static void note_missing(char *missing, size_t size, const char *events)
{
	size_t used = strlen(missing);

	for (const char *p = events; *p;) {
		size_t n = strcspn(p, ",");
		char name[64];

		snprintf(name, sizeof(name), "%.*s", (int)n, p);
		p += n + (p[n] == ',');
		/* the tracepoint list may already name it */
		if (used + n + 2 >= size)
			return;
		if (strstr(missing, name))
			continue;
		used += snprintf(missing + used, size - used, "%s%s", used ? "," : "", name);
	}
}

int hr_uprobes_attach(struct hostrail_bpf *skel, char *missing, size_t missing_size)
{
	char path[LIB_N][PATH_MAX];
	int attached = 0;

	for (int l = 0; l < LIB_N; l++)
		if (hr_ldcache_lookup(LD_CACHE, libs[l].soname, path[l], sizeof(path[l])))
			/* Not in the cache (or a cache format we do not know):
			 * libbpf searches the standard directories itself. */
			snprintf(path[l], sizeof(path[l]), "%s", libs[l].soname);

	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		const struct probe *pr = &probes[i];
		struct bpf_program *prog = *(struct bpf_program **)((char *)skel + pr->prog_off);
		struct bpf_link **link = (struct bpf_link **)((char *)skel + pr->link_off);
		LIBBPF_OPTS(bpf_uprobe_opts, opts, .func_name = pr->func, .retprobe = pr->ret);

		*link = bpf_program__attach_uprobe_opts(prog, -1, path[pr->lib], 0, &opts);
		if (*link) {
			attached++;
			continue;
		}
		hr_warn("failed to attach a uprobe to %s in %s: %s; not recorded: %s", pr->func,
			path[pr->lib], strerror(errno), libs[pr->lib].events);
		note_missing(missing, missing_size, libs[pr->lib].events);
	}
	hr_debug("%d login probes on %s and %s", attached, path[LIB_PAM], path[LIB_AUDIT]);
	return attached;
}

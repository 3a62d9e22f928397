/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * users.h - uid -> user name and gid -> group name, cached.
 *
 * Lookups go through NSS (getpwuid_r/getgrgid_r), which may be slow
 * (LDAP, sssd), so answers are cached, misses too. Entries live for a
 * short TTL so a user added or renamed shows up within seconds. The cache
 * is a fixed set-associative table: bounded by construction; replacing a
 * live entry counts as an eviction. Not thread-safe: one per recorder.
 */
#ifndef HOSTRAIL_USERS_H
#define HOSTRAIL_USERS_H

#include <stddef.h>
#include <stdint.h>

#define HR_USER_NAME_MAX	256 /* bytes incl. NUL; longer names are cut */
#define HR_USERS_DEFAULT_MAX	1024
#define HR_USERS_DEFAULT_TTL_NS (30LL * 1000000000LL)

struct hr_users;

struct hr_users_stats {
	uint64_t hits, misses, evictions, lookups_failed;
};

/* max entries (0: default), ttl_ns (0: default). 0 or -ENOMEM. */
int hr_users_new(size_t max, int64_t ttl_ns, struct hr_users **out);
void hr_users_free(struct hr_users *u); /* NULL-safe */

/*
 * Copy the name of uid (gid) into buf. Returns 0, -ENOENT if there is no
 * such user (group), or another -errno if NSS failed (not cached long).
 */
int hr_users_uid_name(struct hr_users *u, uint32_t uid, char *buf, size_t size);
int hr_users_gid_name(struct hr_users *u, uint32_t gid, char *buf, size_t size);

void hr_users_get_stats(const struct hr_users *u, struct hr_users_stats *st);

#endif

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* users.c - bounded, expiring uid/gid name cache (see users.h). */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "users.h"

#define WAYS 4
/* An NSS failure that is not "no such entry" may be transient (sssd
 * restarting): remember it only briefly. */
#define ERROR_TTL_NS 1000000000LL
#define NSS_BUF_START 4096
#define NSS_BUF_MAX (1 << 20)

enum { E_EMPTY = 0, E_FOUND, E_ABSENT, E_ERROR };

struct uentry {
	uint64_t key;		/* kind << 32 | id */
	int64_t expires;	/* monotonic ns */
	uint64_t used;		/* tick of last use: the least recent goes */
	int state;
	int err;		/* E_ERROR: the -errno */
	char *name;		/* E_FOUND: owned */
};

struct hr_users {
	struct uentry *e;
	size_t nsets;		/* power of two */
	int64_t ttl;
	uint64_t tick;
	struct hr_users_stats st;
};

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int hr_users_new(size_t max, int64_t ttl_ns, struct hr_users **out)
{
	struct hr_users *u;
	size_t sets = 1;

	*out = NULL;
	if (!max)
		max = HR_USERS_DEFAULT_MAX;
	while (sets * WAYS < max)
		sets <<= 1;
	u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	u->e = calloc(sets * WAYS, sizeof(*u->e));
	if (!u->e) {
		free(u);
		return -ENOMEM;
	}
	u->nsets = sets;
	u->ttl = ttl_ns > 0 ? ttl_ns : HR_USERS_DEFAULT_TTL_NS;
	*out = u;
	return 0;
}

void hr_users_free(struct hr_users *u)
{
	if (!u)
		return;
	for (size_t i = 0; i < u->nsets * WAYS; i++)
		free(u->e[i].name);
	free(u->e);
	free(u);
}

/* Ask NSS. 0 with *name malloc'd, -ENOENT, or -errno. */
static int nss_lookup(bool group, uint32_t id, char **name)
{
	char stackbuf[NSS_BUF_START], *buf = stackbuf, *heap = NULL;
	size_t size = sizeof(stackbuf);
	struct passwd pw, *pwp = NULL;
	struct group gr, *grp = NULL;
	const char *n = NULL;
	int rc, ret;

	*name = NULL;
	for (;;) {
		if (group) {
			rc = getgrgid_r((gid_t)id, &gr, buf, size, &grp);
			n = grp ? grp->gr_name : NULL;
		} else {
			rc = getpwuid_r((uid_t)id, &pw, buf, size, &pwp);
			n = pwp ? pwp->pw_name : NULL;
		}
		if (rc != ERANGE || size >= NSS_BUF_MAX)
			break;
		size *= 2;
		free(heap);
		heap = malloc(size);
		if (!heap) {
			ret = -ENOMEM;
			goto out;
		}
		buf = heap;
	}
	if (n) {
		*name = strndup(n, HR_USER_NAME_MAX - 1);
		ret = *name ? 0 : -ENOMEM;
	} else if (rc == 0 || rc == ENOENT || rc == ESRCH || rc == EBADF || rc == EPERM) {
		/* getpwuid_r(3) lists these as "not found" */
		ret = -ENOENT;
	} else {
		ret = -rc;
	}
out:
	free(heap);
	return ret;
}

static int lookup(struct hr_users *u, bool group, uint32_t id, char *buf, size_t size)
{
	uint64_t key = ((uint64_t)group << 32) | id;
	/* Fibonacci hashing spreads consecutive ids over the sets. */
	size_t set = (size_t)((key * 0x9e3779b97f4a7c15ULL) >> 32) & (u->nsets - 1);
	struct uentry *ways = &u->e[set * WAYS], *victim = NULL, *e;
	int64_t now = mono_ns();
	char *name;
	int rc;

	u->tick++;
	for (int i = 0; i < WAYS; i++) {
		e = &ways[i];
		if (e->state == E_EMPTY || e->key != key)
			continue;
		if (e->expires <= now)
			break;	/* stale: refill below, in place */
		e->used = u->tick;
		u->st.hits++;
		if (e->state == E_FOUND) {
			if (buf && size) {
				strncpy(buf, e->name, size - 1);
				buf[size - 1] = '\0';
			}
			return 0;
		}
		return e->state == E_ABSENT ? -ENOENT : e->err;
	}
	u->st.misses++;
	rc = nss_lookup(group, id, &name);
	if (rc && rc != -ENOENT)
		u->st.lookups_failed++;

	/* The victim: this key's stale entry, an empty or expired way, or the
	 * least recently used one. */
	for (int i = 0; i < WAYS && !victim; i++)
		if (ways[i].state != E_EMPTY && ways[i].key == key)
			victim = &ways[i];
	for (int i = 0; i < WAYS && !victim; i++)
		if (ways[i].state == E_EMPTY || ways[i].expires <= now)
			victim = &ways[i];
	if (!victim) {
		victim = &ways[0];
		for (int i = 1; i < WAYS; i++)
			if (ways[i].used < victim->used)
				victim = &ways[i];
		u->st.evictions++;
	}
	free(victim->name);
	victim->name = NULL;
	victim->key = key;
	victim->used = u->tick;
	if (rc == 0) {
		victim->state = E_FOUND;
		victim->name = name;
		victim->expires = now + u->ttl;
		if (buf && size) {
			strncpy(buf, name, size - 1);
			buf[size - 1] = '\0';
		}
	} else if (rc == -ENOENT) {
		victim->state = E_ABSENT;
		victim->expires = now + u->ttl;
	} else {
		victim->state = E_ERROR;
		victim->err = rc;
		victim->expires = now + (u->ttl < ERROR_TTL_NS ? u->ttl : ERROR_TTL_NS);
	}
	return rc;
}

int hr_users_uid_name(struct hr_users *u, uint32_t uid, char *buf, size_t size)
{
	return lookup(u, false, uid, buf, size);
}

int hr_users_gid_name(struct hr_users *u, uint32_t gid, char *buf, size_t size)
{
	return lookup(u, true, gid, buf, size);
}

void hr_users_get_stats(const struct hr_users *u, struct hr_users_stats *st)
{
	*st = u->st;
}

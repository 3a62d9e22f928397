// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* users.c - bounded, expiring uid/gid name cache (see users.h). */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "common/setassoc.h"
#include "users.h"

#define WAYS 4
/* An NSS failure that is not "no such entry" may be transient (sssd
 * restarting): remember it only briefly. */
#define ERROR_TTL_NS  1000000000LL
#define NSS_BUF_START 4096
#define NSS_BUF_MAX   (1 << 20)

enum { E_FOUND = 1, E_ABSENT, E_ERROR };

struct uentry {
	int64_t expires; /* monotonic ns */
	int state;
	int err;    /* E_ERROR: the -errno */
	char *name; /* E_FOUND: owned */
};

struct hr_users {
	struct hr_setassoc t; /* of struct uentry, by kind << 32 | id */
	int64_t ttl;
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

	*out = NULL;
	if (!max)
		max = HR_USERS_DEFAULT_MAX;
	u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	if (hr_setassoc_init(&u->t, max, WAYS, sizeof(struct uentry))) {
		free(u);
		return -ENOMEM;
	}
	u->ttl = ttl_ns > 0 ? ttl_ns : HR_USERS_DEFAULT_TTL_NS;
	*out = u;
	return 0;
}

void hr_users_free(struct hr_users *u)
{
	if (!u)
		return;
	for (size_t i = 0; i < hr_setassoc_size(&u->t); i++)
		free(((struct uentry *)hr_setassoc_slot(&u->t, i))->name);
	hr_setassoc_fini(&u->t);
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

static bool expired(const void *v, void *now)
{
	return ((const struct uentry *)v)->expires <= *(int64_t *)now;
}

static int lookup(struct hr_users *u, bool group, uint32_t id, char *buf, size_t size)
{
	uint64_t key = ((uint64_t)group << 32) | id;
	struct uentry *victim, *e = hr_setassoc_find(&u->t, key);
	int64_t now = mono_ns();
	enum hr_sa_took took;
	char *name;
	int rc;

	/* a stale entry is refilled below, in place */
	if (e && e->expires > now) {
		hr_setassoc_touch(&u->t, e);
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

	/* The victim: this key's stale entry, an empty or expired slot, or the
	 * least recently used one. */
	victim = hr_setassoc_claim(&u->t, key, expired, &now, &took);
	if (took == HR_SA_EVICTED)
		u->st.evictions++;
	free(victim->name);
	victim->name = NULL;
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

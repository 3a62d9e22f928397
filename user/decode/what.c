// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * what.c - what a call did, in a few words (struct hr_decoded.what), for
 * the rows whose resources' names alone do not say it; elsewhere what
 * stays NULL and journald's line shows the resources. Built once per
 * record from what decoding already resolved: cheap.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/mount.h>
#include "decode/decode_int.h"
#include "enrich/users.h"
#include "common/jsonw.h"

static void set_what(struct hr_dctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void set_what(struct hr_dctx *c, const char *fmt, ...)
{
	char buf[2 * PATHBUF];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	free(c->out->what);
	c->out->what = hr_utf8_sanitize(buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
	if (!c->out->what)
		c->err = -ENOMEM;
}

/* The first resource of a type: names were resolved while decoding. */
static const char *res_of(const struct hr_dctx *c, const char *type)
{
	for (int k = 0; k < c->out->n_res; k++)
		if (!strcmp(c->out->res[k].type, type))
			return c->out->res[k].name;
	return NULL;
}

void hrd_what_mount(struct hr_dctx *c)
{
	uint64_t flags = arg_u64(c, 3);
	const char *target = res_of(c, "Linux::Mount"), *s;
	size_t len;

	if ((flags & 0xffff0000ULL) == 0xc0ed0000ULL)
		flags &= 0xffff;
	if (!target)
		return;
	if (flags & MS_REMOUNT)
		set_what(c, "remount of %s", target);
	else if ((flags & (MS_BIND | MS_MOVE)) && hrd_slot_str(c, 0, &s, &len))
		set_what(c, "%.*s %s %s", (int)len, s, flags & MS_MOVE ? "moved to" : "bound on",
			 target);
	else if (hrd_slot_str(c, 2, &s, &len) && len)
		set_what(c, "%.*s on %s", (int)len, s, target);
}

static void what_id(struct hr_dctx *c, bool group)
{
	char name[HR_USER_NAME_MAX];
	uint32_t id = arg_u32(c, 0);
	int rc = -ENOENT;

	/* the names were looked up for requestParameters: cache hits */
	if (c->env->users)
		rc = group ? hr_users_gid_name(c->env->users, id, name, sizeof(name)) :
			     hr_users_uid_name(c->env->users, id, name, sizeof(name));
	if (rc)
		set_what(c, "%s %u", group ? "gid" : "uid", id);
	else
		set_what(c, "%s %u (%s)", group ? "gid" : "uid", id, name);
}

void hrd_what_uid(struct hr_dctx *c)
{
	what_id(c, false);
}

void hrd_what_gid(struct hr_dctx *c)
{
	what_id(c, true);
}

void hrd_what_mode(struct hr_dctx *c)
{
	const char *path = res_of(c, "Linux::File");

	if (!path)
		return;
	for (int i = 0; i < c->d->nargs; i++)
		if (c->d->args[i].show == HR_SHOW_MODE) {
			set_what(c, "%s to %04o", path, arg_u32(c, i));
			return;
		}
}

void hrd_what_name(struct hr_dctx *c)
{
	const char *s;
	size_t len;

	if (hrd_slot_str(c, 0, &s, &len))
		set_what(c, "to %.*s", (int)len, s);
}

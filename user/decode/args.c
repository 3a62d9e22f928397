// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * args.c - the argument kinds a table row describes (enum hr_show), and
 * the writers every decoder uses: strings, paths, fds, ids, modes, flags.
 *
 * Never a raw pointer: what a reader can act on is the path, the name,
 * the flag names.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "decode/decode_int.h"
#include "decode/flags.h"
#include "decode/pathnorm.h"
#include "enrich/procs.h"
#include "enrich/users.h"
#include "common/jsonw.h"

#define UNCHANGED_ID 0xffffffffu /* (uid_t)-1: "leave as is" */

bool hrd_truncated(const struct hr_dctx *c, int i)
{
	for (int k = 0; k < HR_MAX_STRS; k++)
		if (c->ev->str_len[k] && c->ev->str_arg[k] == i)
			return c->ev->str_truncated & (1u << k);
	return false;
}

/* "<key><suffix>" for the companion keys (pathTruncated...). */
const char *hrd_key2(char *buf, size_t size, const char *key, const char *suffix)
{
	snprintf(buf, size, "%s%s", key, suffix);
	return buf;
}

void hrd_kflag(struct hr_dctx *c, const char *key, const char *suffix, bool v)
{
	char k[64];

	jw_kbool(c->w, hrd_key2(k, sizeof(k), key, suffix), v);
}

void hrd_mark_truncated(struct hr_dctx *c, int i, const char *key)
{
	if (!hrd_truncated(c, i))
		return;
	c->out->truncated |= (uint8_t)(1u << i);
	hrd_kflag(c, key, "Truncated", true);
}

/* Read a little-endian field of a captured struct; false if not captured. */
bool hrd_mem_u32(const struct hr_dctx *c, int i, size_t off, uint32_t *v)
{
	if (!c->slot[i] || c->slot_len[i] < off + sizeof(*v))
		return false;
	memcpy(v, c->slot[i] + off, sizeof(*v));
	return true;
}

bool hrd_mem_u64(const struct hr_dctx *c, int i, size_t off, uint64_t *v)
{
	if (!c->slot[i] || c->slot_len[i] < off + sizeof(*v))
		return false;
	memcpy(v, c->slot[i] + off, sizeof(*v));
	return true;
}

void hrd_add_res(struct hr_dctx *c, const char *type, const char *name, size_t len)
{
	struct hr_decoded *o = c->out;
	char *s;

	if (o->n_res >= HR_DECODE_MAX_RES)
		return;
	/* chown a b: one resource. Types are compared as text: the table's
	 * literals and the decoders' are not one object. */
	for (int k = 0; k < o->n_res; k++)
		if (!strcmp(o->res[k].type, type) && strlen(o->res[k].name) == len &&
		    !memcmp(o->res[k].name, name, len))
			return;
	s = hr_utf8_sanitize(name, len);
	if (!s) {
		c->err = -ENOMEM;
		return;
	}
	o->res[o->n_res].type = type;
	o->res[o->n_res].name = s;
	o->n_res++;
}

/* ---- strings and paths ---- */

/* The captured string of argument i (up to its first NUL). */
bool hrd_slot_str(const struct hr_dctx *c, int i, const char **s, size_t *len)
{
	if (!c->slot[i])
		return false;
	*s = c->slot[i];
	*len = strnlen(c->slot[i], c->slot_len[i]);
	return true;
}

/* A non-path string argument: text, null for a NULL pointer, null plus
 * "<key>Unreadable" when the pointer was set but could not be read. */
bool hrd_string(struct hr_dctx *c, int i, const char *key, const char **s, size_t *len)
{
	if (!hrd_slot_str(c, i, s, len)) {
		jw_knull(c->w, key);
		if (arg_u64(c, i))
			hrd_kflag(c, key, "Unreadable", true);
		return false;
	}
	jw_kstr(c->w, key, *s, *len);
	hrd_mark_truncated(c, i, key);
	return true;
}

/*
 * Resolve the base a relative path starts from: the dirfd's target, or the
 * cwd for AT_FDCWD (dirfd < 0 given as have_dirfd=false too). Returns its
 * length or -errno.
 */
static ssize_t base_dir(const struct hr_dctx *c, bool have_dirfd, int32_t dirfd, char *buf,
			size_t size)
{
	char what[32];

	if (!have_dirfd || dirfd == AT_FDCWD)
		return hr_proc_readlink(c->env->proc_root, c->ev->hdr.task.tgid, "cwd", buf, size);
	if (dirfd < 0)
		return -EBADF;
	snprintf(what, sizeof(what), "fd/%d", dirfd);
	return hr_proc_readlink(c->env->proc_root, c->ev->hdr.task.tgid, what, buf, size);
}

/* "<key>": the absolute path abs, "<key>Requested": the text as given. */
static void w_path_resolved(struct hr_dctx *c, int i, const char *key, const char *given,
			    size_t glen, const char *abs, size_t alen, const char *res_type)
{
	char k[64];

	jw_kstr(c->w, key, abs, alen);
	jw_kstr(c->w, hrd_key2(k, sizeof(k), key, "Requested"), given, glen);
	hrd_mark_truncated(c, i, key);
	if (res_type)
		hrd_add_res(c, res_type, abs, alen);
}

/*
 * A path argument. Absolute: as given, or in its normal form (pathnorm.h)
 * if it holds "//", "." or ".." components. Relative: made absolute through the
 * dirfd (or cwd), with the given text kept as "<key>Requested"; an empty
 * path with empty_ok names the dirfd itself (AT_EMPTY_PATH). When the base
 * cannot be read (process gone, fd closed), the given text stays and
 * "<key>Resolved":false says so. res_type: resource to add, or NULL.
 */
void hrd_path_at(struct hr_dctx *c, int i, const char *key, bool have_dirfd, int32_t dirfd,
		 bool empty_ok, const char *res_type)
{
	char buf[PATHBUF];
	const char *s;
	size_t len;
	ssize_t n;

	if (!hrd_slot_str(c, i, &s, &len)) {
		jw_knull(c->w, key);
		if (arg_u64(c, i))
			hrd_kflag(c, key, "Unreadable", true);
		return;
	}
	if (len && s[0] == '/' && hr_path_needs_normalize(s, len)) {
		/* the name the kernel looks up, so that selectors see it */
		n = hr_path_normalize(s, len, buf, sizeof(buf));
		if (n > 0) {
			w_path_resolved(c, i, key, s, len, buf, (size_t)n, res_type);
			return;
		}
	}
	if ((len && s[0] == '/') || (!len && !empty_ok)) {
		jw_kstr(c->w, key, s, len);
		hrd_mark_truncated(c, i, key);
		if (res_type && len)
			hrd_add_res(c, res_type, s, len);
		return;
	}
	n = base_dir(c, have_dirfd, dirfd, buf, PATH_MAX);
	if (n <= 0 || buf[0] != '/') {
		/* no resource: its ARN would claim an absolute path */
		jw_kstr(c->w, key, s, len);
		hrd_kflag(c, key, "Resolved", false);
		hrd_mark_truncated(c, i, key);
		return;
	}
	if (len) {
		/* Joined, then normalised lexically (pathnorm.h). */
		char joined[PATHBUF];

		if (buf[n - 1] != '/')
			buf[n++] = '/';
		memcpy(joined, buf, (size_t)n);
		memcpy(joined + n, s, len);
		n = hr_path_normalize(joined, (size_t)n + len, buf, sizeof(buf));
		if (n <= 0) {
			jw_kstr(c->w, key, s, len);
			hrd_kflag(c, key, "Resolved", false);
			hrd_mark_truncated(c, i, key);
			return;
		}
	}
	w_path_resolved(c, i, key, s, len, buf, (size_t)n, res_type);
}

void hrd_path(struct hr_dctx *c, int i, const char *key, const char *res_type)
{
	hrd_path_at(c, i, key, false, AT_FDCWD, false, res_type);
}

/*
 * An fd argument and what it refers to: "<fdkey>": n, then "<pathkey>"
 * from /proc/<tgid>/fd/<n>, read after the call (or null +
 * "<pathkey>Resolved":false). Targets
 * that are not files ("anon_inode:[pidfd]", "net:[4026531840]") are kept
 * as they read. Adds res_type for an absolute target.
 */
void hrd_fd_val(struct hr_dctx *c, int32_t fd, const char *fdkey, const char *pathkey,
		const char *res_type)
{
	char buf[PATH_MAX], what[32];
	ssize_t n = -EBADF;

	jw_kint(c->w, fdkey, fd);
	if (!pathkey)
		return;
	if (fd >= 0) {
		snprintf(what, sizeof(what), "fd/%d", fd);
		n = hr_proc_readlink(c->env->proc_root, c->ev->hdr.task.tgid, what, buf,
				     sizeof(buf));
	}
	if (n <= 0) {
		jw_knull(c->w, pathkey);
		hrd_kflag(c, pathkey, "Resolved", false);
		return;
	}
	jw_kstr(c->w, pathkey, buf, (size_t)n);
	if (res_type && buf[0] == '/')
		hrd_add_res(c, res_type, buf, (size_t)n);
}

/*
 * An fd argument i. When the table captures its file's path in the kernel
 * (HR_ARG_FD), that path, taken at entry, is exact even if the file was
 * renamed, unlinked or closed before the agent got here: "<pathkey>":
 * the path, "<pathkey>Resolved": true. Otherwise, as hrd_fd_val, from /proc.
 */
void hrd_fd(struct hr_dctx *c, int i, const char *fdkey, const char *pathkey, const char *res_type)
{
	const char *s;
	size_t len;

	if (!pathkey || c->d->args[i].kind != HR_ARG_FD || !hrd_slot_str(c, i, &s, &len) || !len ||
	    s[0] != '/') {
		hrd_fd_val(c, arg_i32(c, i), fdkey, pathkey, res_type);
		return;
	}
	jw_kint(c->w, fdkey, arg_i32(c, i));
	jw_kstr(c->w, pathkey, s, len);
	hrd_kflag(c, pathkey, "Resolved", true);
	hrd_mark_truncated(c, i, pathkey);
	if (res_type)
		hrd_add_res(c, res_type, s, len);
}

/* ---- ids, modes, flags ---- */

void hrd_id(struct hr_dctx *c, const char *key, const char *namekey, uint32_t id, bool group,
	    const char *res_type)
{
	char name[HR_USER_NAME_MAX];
	int rc = -ENOENT;

	if (id == UNCHANGED_ID) {
		jw_kint(c->w, key, -1);
		return;
	}
	jw_kuint(c->w, key, id);
	if (c->env->users)
		rc = group ? hr_users_gid_name(c->env->users, id, name, sizeof(name)) :
			     hr_users_uid_name(c->env->users, id, name, sizeof(name));
	if (rc == 0)
		jw_kstr(c->w, namekey, name, strlen(name));
	else
		jw_knull(c->w, namekey);
	if (res_type && !group) {
		/* Linux::User names an account; an unknown uid gets the
		 * same stable "uid-<n>" the identity uses. */
		if (rc)
			snprintf(name, sizeof(name), "uid-%u", id);
		hrd_add_res(c, res_type, name, strlen(name));
	}
}

void hrd_mode(struct hr_dctx *c, const char *key, uint32_t mode)
{
	jw_key(c->w, key);
	jw_strf(c->w, "%04o", mode);
}

void hrd_flags(struct hr_dctx *c, const char *key, const struct hr_names *t, uint64_t v)
{
	jw_key(c->w, key);
	hr_flags_write(c->w, t, v);
}

void hrd_enum(struct hr_dctx *c, const char *key, const struct hr_names *t, uint64_t v)
{
	jw_key(c->w, key);
	hr_enum_write(c->w, t, v);
}

void hrd_hex(struct hr_dctx *c, const char *key, uint64_t v)
{
	jw_key(c->w, key);
	jw_strf(c->w, "0x%llx", (unsigned long long)v);
}

/* A path argument: relative to its dirfd argument or the cwd. */
static void arg_path(struct hr_dctx *c, int i, const struct hr_arg_desc *a)
{
	bool empty_ok = a->empty == HR_EMPTY_ALWAYS ||
			(a->empty && (arg_u64(c, a->empty - 1) & a->empty_bit));

	if (!a->dirfd)
		hrd_path_at(c, i, a->name, false, AT_FDCWD, empty_ok, a->res);
	else
		hrd_path_at(c, i, a->name, true, arg_i32(c, a->dirfd - 1), empty_ok, a->res);
}

/* A uid or gid argument: the name under .key2, else "<name>Name". */
static void arg_id(struct hr_dctx *c, int i, const struct hr_arg_desc *a, bool group)
{
	char nk[64];

	if (a->key2)
		snprintf(nk, sizeof(nk), "%s", a->key2);
	else
		hrd_key2(nk, sizeof(nk), a->name, "Name");
	hrd_id(c, a->name, nk, arg_u32(c, i), group, a->res);
}

void hrd_arg(struct hr_dctx *c, int i)
{
	const struct hr_arg_desc *a = &c->d->args[i];
	const char *s;
	size_t len;

	switch (a->show) {
	case HR_SHOW_INT:
		jw_kint(c->w, a->name, arg_i64(c, i));
		break;
	case HR_SHOW_UINT:
		jw_kuint(c->w, a->name, arg_u64(c, i));
		break;
	case HR_SHOW_U32:
		jw_kuint(c->w, a->name, arg_u32(c, i));
		break;
	case HR_SHOW_BOOL:
		jw_kbool(c->w, a->name, arg_u32(c, i) != 0);
		break;
	case HR_SHOW_HEX:
		hrd_hex(c, a->name, arg_u64(c, i));
		break;
	case HR_SHOW_MODE:
		hrd_mode(c, a->name, arg_u32(c, i));
		break;
	case HR_SHOW_FLAGS:
		hrd_flags(c, a->name, a->names, arg_u32(c, i));
		break;
	case HR_SHOW_FLAGS64:
		hrd_flags(c, a->name, a->names, arg_u64(c, i));
		break;
	case HR_SHOW_ENUM:
		hrd_enum(c, a->name, a->names, arg_u32(c, i));
		break;
	case HR_SHOW_UID:
		arg_id(c, i, a, false);
		break;
	case HR_SHOW_GID:
		arg_id(c, i, a, true);
		break;
	case HR_SHOW_STR:
		if (hrd_string(c, i, a->name, &s, &len) && len && a->res)
			hrd_add_res(c, a->res, s, len);
		break;
	case HR_SHOW_PATH:
		arg_path(c, i, a);
		break;
	case HR_SHOW_FD:
		hrd_fd(c, i, a->name, a->key2, a->res);
		break;
	case HR_SHOW_FN:
		a->fn(c, i);
		break;
	default: /* SKIP; UNSET rows have a .decode */
		break;
	}
}

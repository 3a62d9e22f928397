// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * decode.c - requestParameters for every recorded system call.
 *
 * One decoder per call (switch on the number) rather than a generic walk
 * over the table's argument kinds: a generic walk would print pointer
 * values and raw flag words, and the point is what a reader can act on.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/syscall.h>
#include <sys/timex.h>
#include <linux/mount.h>
#include "decode.h"
#include "flags.h"
#include "decode/pathnorm.h"
#include "enrich/procs.h"
#include "enrich/users.h"
#include "record/jsonw.h"

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif

/* Room for a cwd or fd target (PATH_MAX) plus a captured path. */
#define PATHBUF (PATH_MAX + HR_STR_MAX + 2)

#define UNCHANGED_ID 0xffffffffu	/* (uid_t)-1: "leave as is" */

struct dctx {
	struct jsonw *w;
	const struct hr_decode_env *env;
	const struct hr_syscall_desc *d;
	const struct hr_syscall_event *ev;
	struct hr_decoded *out;
	int err;
	/* argument i's captured bytes, if any */
	const char *slot[HR_MAX_ARGS];
	size_t slot_len[HR_MAX_ARGS];
};

static int64_t arg_i64(const struct dctx *c, int i) { return (int64_t)c->ev->args[i]; }
static uint64_t arg_u64(const struct dctx *c, int i) { return c->ev->args[i]; }
static uint32_t arg_u32(const struct dctx *c, int i) { return (uint32_t)c->ev->args[i]; }
static int32_t arg_i32(const struct dctx *c, int i) { return (int32_t)(uint32_t)c->ev->args[i]; }
static const char *argname(const struct dctx *c, int i) { return c->d->args[i].name; }

static bool truncated(const struct dctx *c, int i)
{
	for (int k = 0; k < HR_MAX_STRS; k++)
		if (c->ev->str_len[k] && c->ev->str_arg[k] == i)
			return c->ev->str_truncated & (1u << k);
	return false;
}

/* "<key><suffix>" for the companion keys (pathTruncated...). */
static const char *key2(char *buf, size_t size, const char *key, const char *suffix)
{
	snprintf(buf, size, "%s%s", key, suffix);
	return buf;
}

static void kflag(struct dctx *c, const char *key, const char *suffix, bool v)
{
	char k[64];

	jw_kbool(c->w, key2(k, sizeof(k), key, suffix), v);
}

static void mark_truncated(struct dctx *c, int i, const char *key)
{
	if (!truncated(c, i))
		return;
	c->out->truncated |= (uint8_t)(1u << i);
	kflag(c, key, "Truncated", true);
}

/* Read a little-endian field of a captured struct; false if not captured. */
static bool mem_u32(const struct dctx *c, int i, size_t off, uint32_t *v)
{
	if (!c->slot[i] || c->slot_len[i] < off + sizeof(*v))
		return false;
	memcpy(v, c->slot[i] + off, sizeof(*v));
	return true;
}

static bool mem_u64(const struct dctx *c, int i, size_t off, uint64_t *v)
{
	if (!c->slot[i] || c->slot_len[i] < off + sizeof(*v))
		return false;
	memcpy(v, c->slot[i] + off, sizeof(*v));
	return true;
}

static void add_res(struct dctx *c, const char *type, const char *name, size_t len)
{
	struct hr_decoded *o = c->out;
	char *s;

	if (o->n_res >= HR_DECODE_MAX_RES)
		return;
	for (int k = 0; k < o->n_res; k++)	/* chown a b: one resource */
		if (o->res[k].type == type && strlen(o->res[k].name) == len &&
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
static bool slot_str(const struct dctx *c, int i, const char **s, size_t *len)
{
	if (!c->slot[i])
		return false;
	*s = c->slot[i];
	*len = strnlen(c->slot[i], c->slot_len[i]);
	return true;
}

/* A non-path string argument: text, null for a NULL pointer, null plus
 * "<key>Unreadable" when the pointer was set but could not be read. */
static bool w_string(struct dctx *c, int i, const char *key, const char **s, size_t *len)
{
	if (!slot_str(c, i, s, len)) {
		jw_knull(c->w, key);
		if (arg_u64(c, i))
			kflag(c, key, "Unreadable", true);
		return false;
	}
	jw_kstr(c->w, key, *s, *len);
	mark_truncated(c, i, key);
	return true;
}

/*
 * Resolve the base a relative path starts from: the dirfd's target, or the
 * cwd for AT_FDCWD (dirfd < 0 given as have_dirfd=false too). Returns its
 * length or -errno.
 */
static ssize_t base_dir(const struct dctx *c, bool have_dirfd, int32_t dirfd, char *buf,
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
static void w_path_resolved(struct dctx *c, int i, const char *key, const char *given,
			    size_t glen, const char *abs, size_t alen, const char *res_type)
{
	char k[64];

	jw_kstr(c->w, key, abs, alen);
	jw_kstr(c->w, key2(k, sizeof(k), key, "Requested"), given, glen);
	mark_truncated(c, i, key);
	if (res_type)
		add_res(c, res_type, abs, alen);
}

/*
 * A path argument. Absolute: as given, or in its normal form (pathnorm.h)
 * if it holds "//", "." or ".." components. Relative: made absolute through the
 * dirfd (or cwd), with the given text kept as "<key>Requested"; an empty
 * path with empty_ok names the dirfd itself (AT_EMPTY_PATH). When the base
 * cannot be read (process gone, fd closed), the given text stays and
 * "<key>Resolved":false says so. res_type: resource to add, or NULL.
 */
static void w_path_at(struct dctx *c, int i, const char *key, bool have_dirfd, int32_t dirfd,
		      bool empty_ok, const char *res_type)
{
	char buf[PATHBUF];
	const char *s;
	size_t len;
	ssize_t n;

	if (!slot_str(c, i, &s, &len)) {
		jw_knull(c->w, key);
		if (arg_u64(c, i))
			kflag(c, key, "Unreadable", true);
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
		mark_truncated(c, i, key);
		if (res_type && len)
			add_res(c, res_type, s, len);
		return;
	}
	n = base_dir(c, have_dirfd, dirfd, buf, PATH_MAX);
	if (n <= 0 || buf[0] != '/') {
		/* no resource: its ARN would claim an absolute path */
		jw_kstr(c->w, key, s, len);
		kflag(c, key, "Resolved", false);
		mark_truncated(c, i, key);
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
			kflag(c, key, "Resolved", false);
			mark_truncated(c, i, key);
			return;
		}
	}
	w_path_resolved(c, i, key, s, len, buf, (size_t)n, res_type);
}

static void w_path(struct dctx *c, int i, const char *key, const char *res_type)
{
	w_path_at(c, i, key, false, AT_FDCWD, false, res_type);
}

/*
 * An fd argument and what it refers to: "<fdkey>": n, then "<pathkey>"
 * from /proc/<tgid>/fd/<n>, read after the call (or null +
 * "<pathkey>Resolved":false). Targets
 * that are not files ("anon_inode:[pidfd]", "net:[4026531840]") are kept
 * as they read. Adds res_type for an absolute target.
 */
static void w_fd_val(struct dctx *c, int32_t fd, const char *fdkey, const char *pathkey,
		     const char *res_type)
{
	char buf[PATH_MAX], what[32];
	ssize_t n = -EBADF;

	jw_kint(c->w, fdkey, fd);
	if (!pathkey)
		return;
	if (fd >= 0) {
		snprintf(what, sizeof(what), "fd/%d", fd);
		n = hr_proc_readlink(c->env->proc_root, c->ev->hdr.task.tgid, what,
				     buf, sizeof(buf));
	}
	if (n <= 0) {
		jw_knull(c->w, pathkey);
		kflag(c, pathkey, "Resolved", false);
		return;
	}
	jw_kstr(c->w, pathkey, buf, (size_t)n);
	if (res_type && buf[0] == '/')
		add_res(c, res_type, buf, (size_t)n);
}

/*
 * An fd argument i. When the table captures its file's path in the kernel
 * (HR_ARG_FD), that path, taken at entry, is exact even if the file was
 * renamed, unlinked or closed before the agent got here: "<pathkey>":
 * the path, "<pathkey>Resolved": true. Otherwise, as w_fd_val, from /proc.
 */
static void w_fd(struct dctx *c, int i, const char *fdkey, const char *pathkey,
		 const char *res_type)
{
	const char *s;
	size_t len;

	if (!pathkey || c->d->args[i].kind != HR_ARG_FD || !slot_str(c, i, &s, &len) ||
	    !len || s[0] != '/') {
		w_fd_val(c, arg_i32(c, i), fdkey, pathkey, res_type);
		return;
	}
	jw_kint(c->w, fdkey, arg_i32(c, i));
	jw_kstr(c->w, pathkey, s, len);
	kflag(c, pathkey, "Resolved", true);
	mark_truncated(c, i, pathkey);
	if (res_type)
		add_res(c, res_type, s, len);
}

/* ---- ids, modes, flags ---- */

static void w_id(struct dctx *c, const char *key, const char *namekey, uint32_t id,
		 bool group, bool resource)
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
	if (resource && !group) {
		/* Linux::User names an account; an unknown uid gets the
		 * same stable "uid-<n>" the identity uses. */
		if (rc)
			snprintf(name, sizeof(name), "uid-%u", id);
		add_res(c, "Linux::User", name, strlen(name));
	}
}

/* The id argument i: key is the table's name; the name key is userName /
 * groupName for the single-id calls, "<key>Name" otherwise. */
static void w_idarg(struct dctx *c, int i, bool group, bool single)
{
	char nk[64];
	const char *key = argname(c, i);

	if (single)
		snprintf(nk, sizeof(nk), "%s", group ? "groupName" : "userName");
	else
		key2(nk, sizeof(nk), key, "Name");
	w_id(c, key, nk, arg_u32(c, i), group, !group);
}

static void w_mode(struct dctx *c, const char *key, uint32_t mode)
{
	jw_key(c->w, key);
	jw_strf(c->w, "%04o", mode);
}

static void w_flags(struct dctx *c, const char *key, const struct hr_names *t, uint64_t v)
{
	jw_key(c->w, key);
	hr_flags_write(c->w, t, v);
}

static void w_enum(struct dctx *c, const char *key, const struct hr_names *t, uint64_t v)
{
	jw_key(c->w, key);
	hr_enum_write(c->w, t, v);
}

static void w_hex(struct dctx *c, const char *key, uint64_t v)
{
	jw_key(c->w, key);
	jw_strf(c->w, "0x%llx", (unsigned long long)v);
}

/* ---- time ---- */

size_t hr_format_utc(int64_t sec, char *buf, size_t size)
{
	struct tm tm;
	time_t t = (time_t)sec;
	size_t n;

	if (!gmtime_r(&t, &tm) || tm.tm_year < -1900 || tm.tm_year > 9999 - 1900)
		return 0;
	n = strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return n;
}

/* {"tvSec":..,"tvNsec"/"tvUsec":..,"time":"<UTC>"} from a captured
 * struct timespec / timeval (two 64-bit words). */
static void w_timeval(struct dctx *c, int i, const char *key, bool nsec)
{
	uint64_t sec, frac;
	char t[40];

	jw_key(c->w, key);
	if (!mem_u64(c, i, 0, &sec) || !mem_u64(c, i, 8, &frac)) {
		jw_null(c->w);
		if (arg_u64(c, i))
			kflag(c, key, "Unreadable", true);
		return;
	}
	jw_obj_begin(c->w);
	jw_kint(c->w, "tvSec", (int64_t)sec);
	jw_kint(c->w, nsec ? "tvNsec" : "tvUsec", (int64_t)frac);
	if (hr_format_utc((int64_t)sec, t, sizeof(t)))
		jw_kstrz(c->w, "time", t);
	jw_obj_end(c->w);
}

/* A clockid_t: a name, or for a dynamic (PTP, fd-based) clock the fd and
 * the device it refers to. */
static void w_clock(struct dctx *c, int i)
{
	int32_t id = arg_i32(c, i);

	if (id < 0 && (id & 7) == 3) {	/* CLOCKFD: ((~fd) << 3) | 3 */
		jw_kstrz(c->w, "clockId", "CLOCKFD");
		w_fd_val(c, ~(id >> 3), "clockFd", "clockPath", NULL);
		return;
	}
	w_enum(c, "clockId", &hr_clock_ids, (uint32_t)id);
}

/* struct __kernel_timex (x86_64 layout): the modes, then only the fields
 * those modes set. */
static void w_timex(struct dctx *c, int i, const char *key)
{
	uint32_t modes, status;
	uint64_t v, usec;

	jw_key(c->w, key);
	if (!mem_u32(c, i, 0, &modes)) {
		jw_null(c->w);
		if (arg_u64(c, i))
			kflag(c, key, "Unreadable", true);
		return;
	}
	jw_obj_begin(c->w);
	jw_key(c->w, "modes");
	hr_flags_write(c->w, &hr_adjtimex_modes, modes);
	if ((modes & ADJ_OFFSET) && mem_u64(c, i, 8, &v))
		jw_kint(c->w, "offset", (int64_t)v);
	if ((modes & ADJ_FREQUENCY) && mem_u64(c, i, 16, &v))
		jw_kint(c->w, "freq", (int64_t)v);
	if ((modes & ADJ_MAXERROR) && mem_u64(c, i, 24, &v))
		jw_kint(c->w, "maxerror", (int64_t)v);
	if ((modes & ADJ_ESTERROR) && mem_u64(c, i, 32, &v))
		jw_kint(c->w, "esterror", (int64_t)v);
	if ((modes & ADJ_STATUS) && mem_u32(c, i, 40, &status)) {
		jw_key(c->w, "status");
		hr_flags_write(c->w, &hr_adjtimex_status, status);
	}
	if ((modes & (ADJ_TIMECONST | ADJ_TAI)) && mem_u64(c, i, 48, &v))
		jw_kint(c->w, "constant", (int64_t)v);
	if ((modes & ADJ_SETOFFSET) && mem_u64(c, i, 72, &v) && mem_u64(c, i, 80, &usec)) {
		jw_key(c->w, "time");
		jw_obj_begin(c->w);
		jw_kint(c->w, "tvSec", (int64_t)v);
		jw_kint(c->w, (modes & ADJ_NANO) ? "tvNsec" : "tvUsec", (int64_t)usec);
		jw_obj_end(c->w);
	}
	if ((modes & ADJ_TICK) && mem_u64(c, i, 88, &v))
		jw_kint(c->w, "tick", (int64_t)v);
	jw_obj_end(c->w);
}

/* ---- per call ---- */

static void dec_setgroups(struct dctx *c)
{
	int32_t size = arg_i32(c, 0);
	size_t have, n;
	char name[HR_USER_NAME_MAX];

	jw_kint(c->w, "size", size);
	jw_key(c->w, "groups");
	if (size > 0 && !c->slot[1]) {
		jw_null(c->w);
		if (arg_u64(c, 1))
			kflag(c, "groups", "Unreadable", true);
		return;
	}
	have = c->slot[1] ? c->slot_len[1] / 4 : 0;
	n = size > 0 ? (size_t)size : 0;
	if (n > have)
		n = have;
	jw_arr_begin(c->w);
	for (size_t k = 0; k < n; k++) {
		uint32_t gid;

		memcpy(&gid, c->slot[1] + 4 * k, 4);
		jw_obj_begin(c->w);
		jw_kuint(c->w, "gid", gid);
		if (c->env->users && !hr_users_gid_name(c->env->users, gid, name, sizeof(name)))
			jw_kstr(c->w, "groupName", name, strlen(name));
		else
			jw_knull(c->w, "groupName");
		jw_obj_end(c->w);
	}
	jw_arr_end(c->w);
	if (size > 0 && (size_t)size > n) {
		c->out->truncated |= 1u << 1;
		kflag(c, "groups", "Truncated", true);
	}
}

static void dec_capset(struct dctx *c)
{
	uint32_t version = 0, pid, d[6] = { 0 };
	uint64_t eff, prm, inh;
	bool two;

	jw_key(c->w, "header");
	if (!mem_u32(c, 0, 0, &version) || !mem_u32(c, 0, 4, &pid)) {
		jw_null(c->w);
	} else {
		jw_obj_begin(c->w);
		jw_key(c->w, "version");
		hr_enum_write(c->w, &hr_capset_versions, version);
		jw_kint(c->w, "pid", (int32_t)pid);
		jw_obj_end(c->w);
	}
	if (!c->slot[1] || c->slot_len[1] < 12) {
		jw_knull(c->w, "data");
		if (arg_u64(c, 1))
			kflag(c, "data", "Unreadable", true);
		return;
	}
	memcpy(d, c->slot[1], c->slot_len[1] < sizeof(d) ? c->slot_len[1] : sizeof(d));
	/* v1 has one 32-bit set; v2 and v3 split 64 bits over two */
	two = c->slot_len[1] >= 24 && version != 0x19980330;
	eff = d[0] | (two ? (uint64_t)d[3] << 32 : 0);
	prm = d[1] | (two ? (uint64_t)d[4] << 32 : 0);
	inh = d[2] | (two ? (uint64_t)d[5] << 32 : 0);
	jw_key(c->w, "data");
	jw_obj_begin(c->w);
	w_flags(c, "effective", &hr_caps, eff);
	w_flags(c, "permitted", &hr_caps, prm);
	w_flags(c, "inheritable", &hr_caps, inh);
	jw_obj_end(c->w);
}

/* "ext4.ko.zst" -> "ext4": the module as its file names it. */
static void module_res_from_path(struct dctx *c)
{
	const char *path = NULL, *base;
	size_t len;
	static const char *const sfx[] = { ".ko.zst", ".ko.xz", ".ko.gz", ".ko" };

	for (int k = 0; k < c->out->n_res; k++)
		if (!strcmp(c->out->res[k].type, "Linux::File"))
			path = c->out->res[k].name;
	if (!path)
		return;
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	len = strlen(base);
	for (size_t k = 0; k < sizeof(sfx) / sizeof(sfx[0]); k++) {
		size_t sl = strlen(sfx[k]);

		if (len > sl && !strcmp(base + len - sl, sfx[k])) {
			len -= sl;
			break;
		}
	}
	if (len)
		add_res(c, "Linux::KernelModule", base, len);
}

static void dec_bpf(struct dctx *c)
{
	uint32_t cmd = arg_u32(c, 0), a, b, t;
	const char *s;

	w_enum(c, "cmd", &hr_bpf_cmds, cmd);
	if (!c->slot[1]) {
		jw_knull(c->w, "attr");
		if (arg_u64(c, 1))
			kflag(c, "attr", "Unreadable", true);
		jw_kuint(c->w, "size", arg_u32(c, 2));
		return;
	}
	jw_key(c->w, "attr");
	jw_obj_begin(c->w);
	switch (cmd) {
	case 0:	/* BPF_MAP_CREATE */
		if (mem_u32(c, 1, 0, &t))
			w_enum(c, "mapType", &hr_bpf_map_types, t);
		if (mem_u32(c, 1, 4, &a))
			jw_kuint(c->w, "keySize", a);
		if (mem_u32(c, 1, 8, &a))
			jw_kuint(c->w, "valueSize", a);
		if (mem_u32(c, 1, 12, &a))
			jw_kuint(c->w, "maxEntries", a);
		if (c->slot_len[1] >= 28 + 16) {
			s = c->slot[1] + 28;
			jw_kstr(c->w, "mapName", s, strnlen(s, 16));
		}
		break;
	case 5:	/* BPF_PROG_LOAD */
		if (mem_u32(c, 1, 0, &t))
			w_enum(c, "progType", &hr_bpf_prog_types, t);
		if (mem_u32(c, 1, 4, &a))
			jw_kuint(c->w, "insnCnt", a);
		if (c->slot_len[1] >= 48 + 16) {
			s = c->slot[1] + 48;
			jw_kstr(c->w, "progName", s, strnlen(s, 16));
		}
		break;
	case 8:	/* BPF_PROG_ATTACH */
	case 9:	/* BPF_PROG_DETACH */
		if (mem_u32(c, 1, 0, &a))
			jw_kint(c->w, "targetFd", (int32_t)a);
		if (mem_u32(c, 1, 4, &b))
			jw_kint(c->w, "attachBpfFd", (int32_t)b);
		if (mem_u32(c, 1, 8, &t))
			w_enum(c, "attachType", &hr_bpf_attach_types, t);
		break;
	case 17:	/* BPF_RAW_TRACEPOINT_OPEN: name is a pointer */
		if (mem_u32(c, 1, 8, &a))
			jw_kint(c->w, "progFd", (int32_t)a);
		break;
	case 18:	/* BPF_BTF_LOAD */
		if (mem_u32(c, 1, 16, &a))
			jw_kuint(c->w, "btfSize", a);
		break;
	case 28:	/* BPF_LINK_CREATE */
		if (mem_u32(c, 1, 0, &a))
			jw_kint(c->w, "progFd", (int32_t)a);
		if (mem_u32(c, 1, 4, &b))
			jw_kint(c->w, "targetFd", (int32_t)b);
		if (mem_u32(c, 1, 8, &t))
			w_enum(c, "attachType", &hr_bpf_attach_types, t);
		break;
	case 29:	/* BPF_LINK_UPDATE */
		if (mem_u32(c, 1, 0, &a))
			jw_kint(c->w, "linkFd", (int32_t)a);
		if (mem_u32(c, 1, 4, &b))
			jw_kint(c->w, "newProgFd", (int32_t)b);
		break;
	}
	jw_obj_end(c->w);
	jw_kuint(c->w, "size", arg_u32(c, 2));
}

/* A ptrace/process_vm_writev target: its pid, what it runs, a resource. */
static void w_target(struct dctx *c, const char *key, int32_t pid)
{
	struct hr_proc_info *pi;
	char name[16];

	jw_kint(c->w, key, pid);
	if (pid <= 0)
		return;
	if (c->env->procs) {
		pi = malloc(sizeof(*pi));
		if (!pi) {
			c->err = -ENOMEM;
			return;
		}
		if (!hr_procs_lookup(c->env->procs, (uint32_t)pid, pi) && pi->exe_known)
			jw_kstr(c->w, "targetExe", pi->exe, pi->exe_len);
		else
			jw_knull(c->w, "targetExe");
		free(pi);
	}
	snprintf(name, sizeof(name), "%d", pid);
	add_res(c, "Linux::Process", name, strlen(name));
}

static void dec_ptrace(struct dctx *c)
{
	uint64_t req = arg_u64(c, 0);

	w_enum(c, "request", &hr_ptrace_requests, req);
	if (req == 0) {	/* PTRACE_TRACEME: the tracer-to-be is the parent */
		w_target(c, "pid", (int32_t)c->ev->hdr.task.ppid);
		return;
	}
	w_target(c, "pid", arg_i32(c, 1));
	/* addr and data are pointers or the word being poked: not recorded,
	 * except SEIZE's data, which is its option set. */
	if (req == 0x4206)
		w_flags(c, "options", &hr_ptrace_options, arg_u64(c, 3));
}

static void dec_mount_setattr(struct dctx *c)
{
	uint32_t flags = arg_u32(c, 2);
	uint64_t set, clr, prop, userns;

	w_fd(c, 0, "dirfd", NULL, NULL);
	w_path_at(c, 1, "path", true, arg_i32(c, 0), flags & AT_EMPTY_PATH, "Linux::Mount");
	w_flags(c, "flags", &hr_at_flags, flags);
	jw_key(c->w, "attr");
	if (!mem_u64(c, 3, 0, &set) || !mem_u64(c, 3, 8, &clr) ||
	    !mem_u64(c, 3, 16, &prop) || !mem_u64(c, 3, 24, &userns)) {
		jw_null(c->w);
		if (arg_u64(c, 3))
			kflag(c, "attr", "Unreadable", true);
	} else {
		jw_obj_begin(c->w);
		w_flags(c, "attrSet", &hr_mount_attr_flags, set);
		w_flags(c, "attrClr", &hr_mount_attr_flags, clr);
		if (prop)
			w_enum(c, "propagation", &hr_mount_propagation, prop);
		else
			jw_knull(c->w, "propagation");
		if (set & 0x00100000)	/* MOUNT_ATTR_IDMAP */
			jw_kint(c->w, "usernsFd", (int64_t)userns);
		jw_obj_end(c->w);
	}
	jw_kuint(c->w, "size", arg_u64(c, 4));
}

static void dec_kexec_file_load(struct dctx *c)
{
	uint32_t flags = arg_u32(c, 4);
	const char *s;
	size_t len;

	w_fd(c, 0, "kernelFd", (flags & 1) ? NULL : "kernelPath", "Linux::File");
	/* UNLOAD and NO_INITRAMFS make the fds meaningless */
	w_fd(c, 1, "initrdFd", (flags & 5) ? NULL : "initrdPath", "Linux::File");
	jw_kuint(c->w, "cmdlineLen", arg_u64(c, 2));
	w_string(c, 3, "cmdline", &s, &len);
	w_flags(c, "flags", &hr_kexec_file_flags, flags);
}

/* sethostname/setdomainname: a length-bounded buffer, not a C string;
 * what the kernel keeps ends at the first NUL. */
static void dec_name_buf(struct dctx *c)
{
	uint64_t len = arg_u64(c, 1);

	if (!c->slot[0]) {
		jw_knull(c->w, "name");
		if (arg_u64(c, 0) && len)
			kflag(c, "name", "Unreadable", true);
	} else {
		jw_kstr(c->w, "name", c->slot[0], strnlen(c->slot[0], c->slot_len[0]));
		if (truncated(c, 0) || len > c->slot_len[0]) {
			c->out->truncated |= 1u;
			kflag(c, "name", "Truncated", true);
		}
	}
	jw_kuint(c->w, "len", len);
}

static void dec_settimeofday(struct dctx *c)
{
	uint32_t mw, dst;

	w_timeval(c, 0, "tv", false);
	jw_key(c->w, "tz");
	if (mem_u32(c, 1, 0, &mw) && mem_u32(c, 1, 4, &dst)) {
		jw_obj_begin(c->w);
		jw_kint(c->w, "minutesWest", (int32_t)mw);
		jw_kint(c->w, "dstTime", (int32_t)dst);
		jw_obj_end(c->w);
	} else {
		jw_null(c->w);
	}
}

static void dec_mount(struct dctx *c)
{
	uint64_t flags = arg_u64(c, 3);
	const char *s;
	size_t len;

	/* The magic number old callers put in the top half means nothing. */
	if ((flags & 0xffff0000ULL) == 0xc0ed0000ULL)
		flags &= 0xffff;
	/* The source is a path only for bind mounts and moves; otherwise a
	 * device or a free-form name ("proc", "tmpfs", "server:/export"). */
	if (flags & (MS_BIND | MS_MOVE))
		w_path(c, 0, "source", NULL);
	else
		w_string(c, 0, "source", &s, &len);
	w_path(c, 1, "target", "Linux::Mount");
	w_string(c, 2, "fsType", &s, &len);
	w_flags(c, "flags", &hr_mount_flags, flags);
	jw_kbool(c->w, "dataPresent", arg_u64(c, 4) != 0);
}

static void dec_move_mount(struct dctx *c)
{
	uint32_t flags = arg_u32(c, 4);

	w_fd(c, 0, "fromDirfd", NULL, NULL);
	w_path_at(c, 1, "fromPath", true, arg_i32(c, 0), flags & 0x04, NULL);
	w_fd(c, 2, "toDirfd", NULL, NULL);
	w_path_at(c, 3, "toPath", true, arg_i32(c, 2), flags & 0x40, "Linux::Mount");
	w_flags(c, "flags", &hr_move_mount_flags, flags);
}

static void dec_chown(struct dctx *c, int path_kind)
{
	int base = 1;

	switch (path_kind) {
	case 0:		/* chown, lchown */
		w_path(c, 0, "path", "Linux::File");
		break;
	case 1:		/* fchown */
		w_fd(c, 0, "fd", "path", "Linux::File");
		break;
	default:	/* fchownat */
		w_fd(c, 0, "dirfd", NULL, NULL);
		w_path_at(c, 1, "path", true, arg_i32(c, 0), arg_u32(c, 4) & AT_EMPTY_PATH,
			  "Linux::File");
		base = 2;
		break;
	}
	w_id(c, "uid", "userName", arg_u32(c, base), false, false);
	w_id(c, "gid", "groupName", arg_u32(c, base + 1), true, false);
	if (path_kind == 2)
		w_flags(c, "flags", &hr_at_flags, arg_u32(c, 4));
}

/* execve's argv: the captured NUL-separated strings as an array. */
static void w_argv(struct dctx *c, int i, const char *key)
{
	const char *p = c->slot[i];
	size_t left = c->slot_len[i];

	jw_key(c->w, key);
	jw_arr_begin(c->w);
	while (p && left) {
		size_t n = strnlen(p, left);

		jw_strn(c->w, p, n);
		if (n == left)
			break;
		p += n + 1;
		left -= n + 1;
	}
	jw_arr_end(c->w);
	mark_truncated(c, i, key);
}

/* open's flags and, when it may create a file, its mode (open, openat, openat2). */
static void w_open_flags(struct dctx *c, uint32_t flags, uint32_t mode)
{
	w_enum(c, "accessMode", &hr_open_access, flags & O_ACCMODE);
	w_flags(c, "flags", &hr_open_flags, flags & ~(uint32_t)O_ACCMODE);
	if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE)
		w_mode(c, "mode", mode);
}

static void dec_data_event(struct dctx *c)
{
	uint32_t flags;

	switch (c->d->nr) {
	case SYS_openat:
		flags = arg_u32(c, 2);
		w_fd(c, 0, "dirfd", NULL, NULL);
		w_path_at(c, 1, "path", true, arg_i32(c, 0), false, "Linux::File");
		w_open_flags(c, flags, arg_u32(c, 3));
		break;
	case SYS_unlinkat:
		w_fd(c, 0, "dirfd", NULL, NULL);
		w_path_at(c, 1, "path", true, arg_i32(c, 0), false, "Linux::File");
		w_flags(c, "flags", &hr_unlink_flags, arg_u32(c, 2));
		break;
	case SYS_renameat2:
	case SYS_renameat:
	case SYS_linkat:
		w_fd(c, 0, "oldDirfd", NULL, NULL);
		w_path_at(c, 1, "oldPath", true, arg_i32(c, 0), c->d->nr == SYS_linkat,
			  "Linux::File");
		w_fd(c, 2, "newDirfd", NULL, NULL);
		w_path_at(c, 3, "newPath", true, arg_i32(c, 2), false, "Linux::File");
		if (c->d->nr != SYS_renameat)	/* renameat has no flags */
			w_flags(c, "flags", c->d->nr == SYS_linkat ? &hr_at_flags :
				&hr_rename_flags, arg_u32(c, 4));
		break;
	case SYS_truncate:
		w_path(c, 0, "path", "Linux::File");
		jw_kint(c->w, "length", arg_i64(c, 1));
		break;
	case SYS_symlinkat: {
		const char *s;
		size_t len;

		w_string(c, 0, "target", &s, &len);
		w_fd(c, 1, "newDirfd", NULL, NULL);
		w_path_at(c, 2, "linkPath", true, arg_i32(c, 1), false, "Linux::File");
		break;
	}
	case SYS_openat2: {
		uint64_t how_flags = 0, how_mode = 0;

		w_fd(c, 0, "dirfd", NULL, NULL);
		w_path_at(c, 1, "path", true, arg_i32(c, 0), false, "Linux::File");
		if (mem_u64(c, 2, 0, &how_flags) && mem_u64(c, 2, 8, &how_mode)) {
			w_open_flags(c, (uint32_t)how_flags, (uint32_t)how_mode);
		} else {
			jw_knull(c->w, "how");
			kflag(c, "how", "Unreadable", true);
		}
		break;
	}
#ifdef SYS_open
	case SYS_open:
		flags = arg_u32(c, 1);
		w_path(c, 0, "path", "Linux::File");
		w_open_flags(c, flags, arg_u32(c, 2));
		break;
	case SYS_creat:
		w_path(c, 0, "path", "Linux::File");
		w_mode(c, "mode", arg_u32(c, 1));
		break;
	case SYS_unlink:
	case SYS_rmdir:
		w_path(c, 0, "path", "Linux::File");
		break;
	case SYS_rename:
	case SYS_link:
		w_path(c, 0, "oldPath", "Linux::File");
		w_path(c, 1, "newPath", "Linux::File");
		break;
	case SYS_symlink: {
		const char *s;
		size_t len;

		w_string(c, 0, "target", &s, &len);
		w_path(c, 1, "linkPath", "Linux::File");
		break;
	}
#endif
	case SYS_execve:
		w_path(c, 0, "filename", "Linux::Process");
		w_argv(c, 1, "argv");
		break;
	case SYS_execveat:
		flags = arg_u32(c, 4);
		w_fd(c, 0, "dirfd", NULL, NULL);
		w_path_at(c, 1, "filename", true, arg_i32(c, 0), flags & AT_EMPTY_PATH,
			  "Linux::Process");
		w_argv(c, 2, "argv");
		w_flags(c, "flags", &hr_at_flags, flags);
		break;
	}
}

bool hr_decode_read_only(const struct hr_syscall_desc *d, const struct hr_syscall_event *ev)
{
	uint64_t flags;

	if (d->nr == SYS_openat)
		flags = ev->args[2];
#ifdef SYS_open
	else if (d->nr == SYS_open)
		flags = ev->args[1];
#endif
	else if (d->nr == SYS_openat2 && ev->str_len[0] && ev->str_len[1] >= sizeof(flags) &&
		 ev->str_arg[1] == 2 && ev->str_len[0] + sizeof(flags) <= HR_STRS_SIZE)
		memcpy(&flags, ev->strs + ev->str_len[0], sizeof(flags));	/* how.flags */
	else
		return false;
	return (flags & O_ACCMODE) == O_RDONLY && !(flags & (O_CREAT | O_TRUNC)) &&
	       (flags & O_TMPFILE) != O_TMPFILE;
}

static bool decode_one(struct dctx *c)
{
	const char *s;
	size_t len;
	uint64_t u;

	switch (c->d->nr) {
	/* identity.linux */
	case SYS_setuid:
	case SYS_setfsuid:
		w_idarg(c, 0, false, c->d->nr == SYS_setuid);
		break;
	case SYS_setgid:
	case SYS_setfsgid:
		w_idarg(c, 0, true, c->d->nr == SYS_setgid);
		break;
	case SYS_setreuid:
	case SYS_setresuid:
	case SYS_setregid:
	case SYS_setresgid: {
		bool group = c->d->nr == SYS_setregid || c->d->nr == SYS_setresgid;

		for (int i = 0; i < c->d->nargs; i++)
			w_idarg(c, i, group, false);
		break;
	}
	case SYS_setgroups:
		dec_setgroups(c);
		break;
	case SYS_capset:
		dec_capset(c);
		break;

	/* module.linux */
	case SYS_init_module:
		jw_kuint(c->w, "len", arg_u64(c, 1));
		w_string(c, 2, "params", &s, &len);
		break;
	case SYS_finit_module:
		w_fd(c, 0, "fd", "path", "Linux::File");
		w_string(c, 1, "params", &s, &len);
		w_flags(c, "flags", &hr_finit_module_flags, arg_u32(c, 2));
		module_res_from_path(c);
		break;
	case SYS_delete_module:
		if (w_string(c, 0, "name", &s, &len) && len)
			add_res(c, "Linux::KernelModule", s, len);
		w_flags(c, "flags", &hr_delete_module_flags, arg_u32(c, 1));
		break;

	/* kernel.linux */
	case SYS_kexec_load:
		u = arg_u64(c, 3);
		w_hex(c, "entry", arg_u64(c, 0));
		jw_kuint(c->w, "nrSegments", arg_u64(c, 1));
		w_flags(c, "flags", &hr_kexec_flags, u & 0xffff);
		w_enum(c, "arch", &hr_kexec_archs, (u >> 16) & 0xffff);
		break;
	case SYS_kexec_file_load:
		dec_kexec_file_load(c);
		break;
	case SYS_bpf:
		dec_bpf(c);
		break;
	case SYS_reboot:
		w_enum(c, "magic1", &hr_reboot_magic, arg_u32(c, 0));
		w_enum(c, "magic2", &hr_reboot_magic, arg_u32(c, 1));
		w_enum(c, "cmd", &hr_reboot_cmds, arg_u32(c, 2));
		break;
	case SYS_swapon:
		u = arg_u32(c, 1);
		w_path(c, 0, "path", "Linux::File");
		w_flags(c, "flags", &hr_swap_flags, u & ~0x7fffULL);
		if (u & 0x8000)
			jw_kuint(c->w, "priority", u & 0x7fff);
		break;
	case SYS_swapoff:
		w_path(c, 0, "path", "Linux::File");
		break;
	case SYS_iopl:
		jw_kuint(c->w, "level", arg_u32(c, 0));
		break;
	case SYS_ioperm:
		jw_kuint(c->w, "from", arg_u64(c, 0));
		jw_kuint(c->w, "num", arg_u64(c, 1));
		jw_kbool(c->w, "turnOn", arg_u32(c, 2) != 0);
		break;
	case SYS_acct:
		/* NULL turns accounting off: "path": null says exactly that */
		w_path(c, 0, "path", "Linux::File");
		break;

	/* system.linux */
	case SYS_sethostname:
	case SYS_setdomainname:
		dec_name_buf(c);
		break;
	case SYS_settimeofday:
		dec_settimeofday(c);
		break;
	case SYS_clock_settime:
		w_clock(c, 0);
		w_timeval(c, 1, "tp", true);
		break;
	case SYS_adjtimex:
		w_timex(c, 0, "buf");
		break;
	case SYS_clock_adjtime:
		w_clock(c, 0);
		w_timex(c, 1, "buf");
		break;

	/* mount.linux */
	case SYS_mount:
		dec_mount(c);
		break;
	case SYS_umount2:
		w_path(c, 0, "target", "Linux::Mount");
		w_flags(c, "flags", &hr_umount_flags, arg_u32(c, 1));
		break;
	case SYS_pivot_root:
		w_path(c, 0, "newRoot", "Linux::Mount");
		w_path(c, 1, "putOld", NULL);
		break;
	case SYS_chroot:
		w_path(c, 0, "path", "Linux::File");
		break;
	case SYS_move_mount:
		dec_move_mount(c);
		break;
	case SYS_fsmount:
		w_fd(c, 0, "fsFd", NULL, NULL);
		w_flags(c, "flags", &hr_fsmount_flags, arg_u32(c, 1));
		w_flags(c, "attrFlags", &hr_mount_attr_flags, arg_u32(c, 2));
		break;
	case SYS_mount_setattr:
		dec_mount_setattr(c);
		break;

	/* process.linux */
	case SYS_ptrace:
		dec_ptrace(c);
		break;
	case SYS_process_vm_writev:
		w_target(c, "pid", arg_i32(c, 0));
		jw_kuint(c->w, "localIovCount", arg_u64(c, 2));
		jw_kuint(c->w, "remoteIovCount", arg_u64(c, 4));
		jw_kuint(c->w, "flags", arg_u64(c, 5));
		break;
	case SYS_unshare:
		w_flags(c, "flags", &hr_clone_flags, arg_u64(c, 0));
		break;
	case SYS_setns:
		w_fd(c, 0, "fd", "namespace", NULL);
		w_flags(c, "nsType", &hr_clone_flags, arg_u32(c, 1));
		break;

	/* file.linux */
	case SYS_chmod:
		w_path(c, 0, "path", "Linux::File");
		w_mode(c, "mode", arg_u32(c, 1));
		break;
	case SYS_fchmod:
		w_fd(c, 0, "fd", "path", "Linux::File");
		w_mode(c, "mode", arg_u32(c, 1));
		break;
	/* data events */
	case SYS_openat:
	case SYS_unlinkat:
	case SYS_renameat2:
	case SYS_truncate:
	case SYS_linkat:
	case SYS_symlinkat:
	case SYS_openat2:
	case SYS_renameat:
#ifdef SYS_open
	case SYS_open:
	case SYS_creat:
	case SYS_unlink:
	case SYS_rmdir:
	case SYS_rename:
	case SYS_link:
	case SYS_symlink:
#endif
	case SYS_execve:
	case SYS_execveat:
		dec_data_event(c);
		break;
	case SYS_fchmodat:
	case SYS_fchmodat2: {
		uint32_t flags = c->d->nr == SYS_fchmodat2 ? arg_u32(c, 3) : 0;

		w_fd(c, 0, "dirfd", NULL, NULL);
		w_path_at(c, 1, "path", true, arg_i32(c, 0), flags & AT_EMPTY_PATH, "Linux::File");
		w_mode(c, "mode", arg_u32(c, 2));
		if (c->d->nr == SYS_fchmodat2)
			w_flags(c, "flags", &hr_at_flags, flags);
		break;
	}
	case SYS_chown:
	case SYS_lchown:
		dec_chown(c, 0);
		break;
	case SYS_fchown:
		dec_chown(c, 1);
		break;
	case SYS_fchownat:
		dec_chown(c, 2);
		break;
	default:
		return false;
	}
	return true;
}

/* ---- what, in a few words (struct hr_decoded.what) ---- */

static void set_what(struct dctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void set_what(struct dctx *c, const char *fmt, ...)
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
static const char *res_of(const struct dctx *c, const char *type)
{
	for (int k = 0; k < c->out->n_res; k++)
		if (!strcmp(c->out->res[k].type, type))
			return c->out->res[k].name;
	return NULL;
}

static void what_mount(struct dctx *c)
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
	else if ((flags & (MS_BIND | MS_MOVE)) && slot_str(c, 0, &s, &len))
		set_what(c, "%.*s %s %s", (int)len, s, flags & MS_MOVE ? "moved to" : "bound on",
			 target);
	else if (slot_str(c, 2, &s, &len) && len)
		set_what(c, "%.*s on %s", (int)len, s, target);
}

static void what_id(struct dctx *c, bool group)
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

/*
 * Only where the resources' names alone do not say it; elsewhere what
 * stays NULL and journald's line shows the resources. A few words, built
 * once per record from what decoding already resolved: cheap.
 */
static void decode_what(struct dctx *c)
{
	const char *path = res_of(c, "Linux::File"), *s;
	size_t len;

	switch (c->d->nr) {
	case SYS_mount:
		what_mount(c);
		break;
	case SYS_setuid:
	case SYS_setfsuid:
		what_id(c, false);
		break;
	case SYS_setgid:
	case SYS_setfsgid:
		what_id(c, true);
		break;
	case SYS_chmod:
	case SYS_fchmod:
		if (path)
			set_what(c, "%s to %04o", path, arg_u32(c, 1));
		break;
	case SYS_fchmodat:
	case SYS_fchmodat2:
		if (path)
			set_what(c, "%s to %04o", path, arg_u32(c, 2));
		break;
	case SYS_sethostname:
	case SYS_setdomainname:
		if (slot_str(c, 0, &s, &len))
			set_what(c, "to %.*s", (int)len, s);
		break;
	}
}

bool hr_decode_known(int nr)
{
	static const struct hr_syscall_desc probe_desc;
	struct hr_syscall_desc d = probe_desc;
	struct hr_syscall_event ev;
	struct hr_decode_env env = { .proc_root = "/nonexistent" };
	struct hr_decoded out = { 0 };
	struct jsonw w;
	struct dctx c = { 0 };
	bool known;

	/* Run the decoder over an all-zero event: cheap, and it is the
	 * switch itself that answers. */
	if (jw_init(&w, 512))
		return false;
	memset(&ev, 0, HR_SYSCALL_EVENT_FIXED_SIZE);
	d.nr = nr;
	d.nargs = 0;
	for (int i = 0; i < HR_MAX_ARGS; i++)
		d.args[i].name = "arg";
	c.w = &w;
	c.env = &env;
	c.d = &d;
	c.ev = &ev;
	c.out = &out;
	jw_obj_begin(&w);
	known = decode_one(&c);
	hr_decoded_clear(&out);
	jw_free(&w);
	return known;
}

/* For a row without a decoder (a table row added before its decoder):
 * numbers and strings only, so no pointer is mistaken for meaning. */
static void decode_generic(struct dctx *c)
{
	const char *s;
	size_t len;

	for (int i = 0; i < c->d->nargs && i < HR_MAX_ARGS; i++) {
		if (c->d->args[i].kind == HR_ARG_STR)
			w_string(c, i, argname(c, i), &s, &len);
		else if (c->d->args[i].kind == HR_ARG_VALUE)
			jw_kint(c->w, argname(c, i), arg_i64(c, i));
	}
}

int hr_syscall_event_check(const struct hr_syscall_event *ev, size_t size)
{
	size_t used = 0;

	if (!ev || size < HR_SYSCALL_EVENT_FIXED_SIZE || size > sizeof(*ev))
		return -EINVAL;
	if (ev->hdr.type != HR_EV_SYSCALL || ev->nargs > HR_MAX_ARGS)
		return -EINVAL;
	for (int k = 0; k < HR_MAX_STRS; k++) {
		if (!ev->str_len[k])
			continue;
		if (ev->str_len[k] > HR_STR_MAX || ev->str_arg[k] >= HR_MAX_ARGS)
			return -EINVAL;
		used += ev->str_len[k];
	}
	if (used > size - HR_SYSCALL_EVENT_FIXED_SIZE)
		return -EINVAL;
	return 0;
}

int hr_decode_request(struct jsonw *w, const struct hr_decode_env *env,
		      const struct hr_syscall_desc *d, const struct hr_syscall_event *ev,
		      struct hr_decoded *out)
{
	struct dctx c = { .w = w, .env = env, .d = d, .ev = ev, .out = out };
	size_t off = 0;

	memset(out, 0, sizeof(*out));
	for (int k = 0; k < HR_MAX_STRS; k++) {
		if (!ev->str_len[k])
			continue;
		/* first slot wins should the kernel ever fill two for one arg */
		if (!c.slot[ev->str_arg[k]]) {
			c.slot[ev->str_arg[k]] = ev->strs + off;
			c.slot_len[ev->str_arg[k]] = ev->str_len[k];
		}
		off += ev->str_len[k];
	}
	jw_obj_begin(w);
	if (!decode_one(&c))
		decode_generic(&c);
	else if (!c.err)
		decode_what(&c);
	jw_obj_end(w);
	if (c.err) {
		hr_decoded_clear(out);
		return c.err;
	}
	return jw_error(w) == -ENOMEM ? -ENOMEM : 0;
}

void hr_decoded_clear(struct hr_decoded *dec)
{
	if (!dec)
		return;
	for (int k = 0; k < dec->n_res && k < HR_DECODE_MAX_RES; k++)
		free(dec->res[k].name);
	free(dec->what);
	memset(dec, 0, sizeof(*dec));
}

bool hr_decode_error(int64_t ret, char *code_buf, size_t code_size, const char **message)
{
	const char *name, *desc;
	int err;

	/* Only -1..-4095 are errors; other negatives are values (lseek). */
	if (ret >= 0 || ret < -4095)
		return false;
	err = (int)-ret;
	name = strerrorname_np(err);
	desc = strerrordesc_np(err);
	if (name)
		snprintf(code_buf, code_size, "%s", name);
	else
		snprintf(code_buf, code_size, "E%d", err);
	*message = desc ? desc : "Unknown error";
	return true;
}

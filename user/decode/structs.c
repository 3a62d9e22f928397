// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * structs.c - arguments a row shows with a function of its own
 * (HR_SHOW_FN): captured structs (time, open_how, mount_attr), words that
 * pack two values, argv, a target process; and readOnly of the opens.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/timex.h>
#include "decode/decode_int.h"
#include "decode/flags.h"
#include "enrich/procs.h"
#include "common/jsonw.h"

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
static void w_timeval(struct hr_dctx *c, int i, const char *key, bool nsec)
{
	uint64_t sec, frac;
	char t[40];

	jw_key(c->w, key);
	if (!hrd_mem_u64(c, i, 0, &sec) || !hrd_mem_u64(c, i, 8, &frac)) {
		jw_null(c->w);
		if (arg_u64(c, i))
			hrd_kflag(c, key, "Unreadable", true);
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
void hrd_clock(struct hr_dctx *c, int i)
{
	int32_t id = arg_i32(c, i);

	if (id < 0 && (id & 7) == 3) { /* CLOCKFD: ((~fd) << 3) | 3 */
		jw_kstrz(c->w, "clockId", "CLOCKFD");
		hrd_fd_val(c, ~(id >> 3), "clockFd", "clockPath", NULL);
		return;
	}
	hrd_enum(c, "clockId", &hr_clock_ids, (uint32_t)id);
}

/* struct __kernel_timex (x86_64 layout): the modes, then only the fields
 * those modes set. */
static void w_timex(struct hr_dctx *c, int i, const char *key)
{
	uint32_t modes, status;
	uint64_t v, usec;

	jw_key(c->w, key);
	if (!hrd_mem_u32(c, i, 0, &modes)) {
		jw_null(c->w);
		if (arg_u64(c, i))
			hrd_kflag(c, key, "Unreadable", true);
		return;
	}
	jw_obj_begin(c->w);
	jw_key(c->w, "modes");
	hr_flags_write(c->w, &hr_adjtimex_modes, modes);
	if ((modes & ADJ_OFFSET) && hrd_mem_u64(c, i, 8, &v))
		jw_kint(c->w, "offset", (int64_t)v);
	if ((modes & ADJ_FREQUENCY) && hrd_mem_u64(c, i, 16, &v))
		jw_kint(c->w, "freq", (int64_t)v);
	if ((modes & ADJ_MAXERROR) && hrd_mem_u64(c, i, 24, &v))
		jw_kint(c->w, "maxerror", (int64_t)v);
	if ((modes & ADJ_ESTERROR) && hrd_mem_u64(c, i, 32, &v))
		jw_kint(c->w, "esterror", (int64_t)v);
	if ((modes & ADJ_STATUS) && hrd_mem_u32(c, i, 40, &status)) {
		jw_key(c->w, "status");
		hr_flags_write(c->w, &hr_adjtimex_status, status);
	}
	if ((modes & (ADJ_TIMECONST | ADJ_TAI)) && hrd_mem_u64(c, i, 48, &v))
		jw_kint(c->w, "constant", (int64_t)v);
	if ((modes & ADJ_SETOFFSET) && hrd_mem_u64(c, i, 72, &v) && hrd_mem_u64(c, i, 80, &usec)) {
		jw_key(c->w, "time");
		jw_obj_begin(c->w);
		jw_kint(c->w, "tvSec", (int64_t)v);
		jw_kint(c->w, (modes & ADJ_NANO) ? "tvNsec" : "tvUsec", (int64_t)usec);
		jw_obj_end(c->w);
	}
	if ((modes & ADJ_TICK) && hrd_mem_u64(c, i, 88, &v))
		jw_kint(c->w, "tick", (int64_t)v);
	jw_obj_end(c->w);
}

void hrd_timespec(struct hr_dctx *c, int i)
{
	w_timeval(c, i, argname(c, i), true);
}

void hrd_timeval(struct hr_dctx *c, int i)
{
	w_timeval(c, i, argname(c, i), false);
}

/* struct timezone: null when not given (the common case) */
void hrd_timezone(struct hr_dctx *c, int i)
{
	uint32_t mw, dst;

	jw_key(c->w, argname(c, i));
	if (hrd_mem_u32(c, i, 0, &mw) && hrd_mem_u32(c, i, 4, &dst)) {
		jw_obj_begin(c->w);
		jw_kint(c->w, "minutesWest", (int32_t)mw);
		jw_kint(c->w, "dstTime", (int32_t)dst);
		jw_obj_end(c->w);
	} else {
		jw_null(c->w);
	}
}

void hrd_timex(struct hr_dctx *c, int i)
{
	w_timex(c, i, argname(c, i));
}

/* ---- files and processes ---- */

/* open's flags and, when it may create a file, its mode (open, openat, openat2). */
static void open_flags(struct hr_dctx *c, uint32_t flags, uint32_t mode)
{
	hrd_enum(c, "accessMode", &hr_open_access, flags & O_ACCMODE);
	hrd_flags(c, "flags", &hr_open_flags, flags & ~(uint32_t)O_ACCMODE);
	if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE)
		hrd_mode(c, "mode", mode);
}

void hrd_open_flags(struct hr_dctx *c, int i)
{
	open_flags(c, arg_u32(c, i), arg_u32(c, i + 1));
}

void hrd_open_how(struct hr_dctx *c, int i)
{
	uint64_t how_flags = 0, how_mode = 0;

	if (hrd_mem_u64(c, i, 0, &how_flags) && hrd_mem_u64(c, i, 8, &how_mode)) {
		open_flags(c, (uint32_t)how_flags, (uint32_t)how_mode);
	} else {
		jw_knull(c->w, argname(c, i));
		hrd_kflag(c, argname(c, i), "Unreadable", true);
	}
}

static bool open_read_only(uint64_t flags)
{
	return (flags & O_ACCMODE) == O_RDONLY && !(flags & (O_CREAT | O_TRUNC)) &&
	       (flags & O_TMPFILE) != O_TMPFILE;
}

/* An open for reading that creates and truncates nothing. */
bool hrd_ro_open(const struct hr_syscall_desc *d, const struct hr_syscall_event *ev)
{
	for (int i = 0; i < d->nargs; i++)
		if (d->args[i].fn == hrd_open_flags)
			return open_read_only(ev->args[i]);
	return false;
}

/* openat2: how.flags, when the path and the struct were both captured */
bool hrd_ro_open_how(const struct hr_syscall_desc *d, const struct hr_syscall_event *ev)
{
	uint64_t flags;

	if (!ev->str_len[0] || ev->str_len[1] < sizeof(flags) || ev->str_arg[1] != 2 ||
	    ev->str_len[0] + sizeof(flags) > HR_STRS_SIZE)
		return false;
	memcpy(&flags, ev->strs + ev->str_len[0], sizeof(flags));
	return open_read_only(flags);
}

/* The timex is the first captured slot of both calls, modes its first word
 * (the kernel's HR_SPEC_F_SKIP_MODES0 test reads the same word). */
bool hrd_ro_modes0(const struct hr_syscall_desc *d, const struct hr_syscall_event *ev)
{
	uint32_t modes;

	if (ev->str_len[0] < sizeof(modes))
		return false;
	memcpy(&modes, ev->strs, sizeof(modes));
	return modes == 0;
}

/* execve's argv: the captured NUL-separated strings as an array. */
void hrd_argv(struct hr_dctx *c, int i)
{
	const char *key = argname(c, i);
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
	hrd_mark_truncated(c, i, key);
}

/* A ptrace/process_vm_writev target: its pid, what it runs, a resource. */
void hrd_target(struct hr_dctx *c, const char *key, int32_t pid)
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
	hrd_add_res(c, "Linux::Process", name, strlen(name));
}

void hrd_pid(struct hr_dctx *c, int i)
{
	hrd_target(c, argname(c, i), arg_i32(c, i));
}

/* ---- words and structs of the management calls ---- */

/* swapon: the flags, and the priority that SWAP_FLAG_PREFER sets */
void hrd_swap_flags(struct hr_dctx *c, int i)
{
	uint64_t u = arg_u32(c, i);

	hrd_flags(c, argname(c, i), &hr_swap_flags, u & ~0x7fffULL);
	if (u & 0x8000)
		jw_kuint(c->w, "priority", u & 0x7fff);
}

/* kexec_load: flags in the low half, the architecture in the high */
void hrd_kexec_flags(struct hr_dctx *c, int i)
{
	uint64_t u = arg_u64(c, i);

	hrd_flags(c, argname(c, i), &hr_kexec_flags, u & 0xffff);
	hrd_enum(c, "arch", &hr_kexec_archs, (u >> 16) & 0xffff);
}

void hrd_mount_attr(struct hr_dctx *c, int i)
{
	uint64_t set, clr, prop, userns;

	jw_key(c->w, argname(c, i));
	if (!hrd_mem_u64(c, i, 0, &set) || !hrd_mem_u64(c, i, 8, &clr) ||
	    !hrd_mem_u64(c, i, 16, &prop) || !hrd_mem_u64(c, i, 24, &userns)) {
		jw_null(c->w);
		if (arg_u64(c, i))
			hrd_kflag(c, argname(c, i), "Unreadable", true);
		return;
	}
	jw_obj_begin(c->w);
	hrd_flags(c, "attrSet", &hr_mount_attr_flags, set);
	hrd_flags(c, "attrClr", &hr_mount_attr_flags, clr);
	if (prop)
		hrd_enum(c, "propagation", &hr_mount_propagation, prop);
	else
		jw_knull(c->w, "propagation");
	if (set & 0x00100000) /* MOUNT_ATTR_IDMAP */
		jw_kint(c->w, "usernsFd", (int64_t)userns);
	jw_obj_end(c->w);
}

/* "ext4.ko.zst" -> "ext4": the module as its file names it. */
static void module_res(struct hr_dctx *c)
{
	const char *path = NULL, *base;
	size_t len;
	static const char *const sfx[] = {".ko.zst", ".ko.xz", ".ko.gz", ".ko"};

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
		hrd_add_res(c, "Linux::KernelModule", base, len);
}

/* finit_module's fd: its file, and the module the file's name says */
void hrd_module_fd(struct hr_dctx *c, int i)
{
	const struct hr_arg_desc *a = &c->d->args[i];

	hrd_fd(c, i, a->name, a->key2, a->res);
	module_res(c);
}

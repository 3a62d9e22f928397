/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * decoders.h - the functions a row of the recorded-call table names
 * (.fn, .decode, .what, .read_only). Apart from decode_int.h so that the
 * table includes only what it names, and no include circle closes.
 */
#ifndef HOSTRAIL_DECODE_DECODERS_H
#define HOSTRAIL_DECODE_DECODERS_H

#include <stdbool.h>
#include <stdint.h>

struct hr_dctx;
struct hr_syscall_desc;
struct hr_syscall_event;

/* ---- structs.c: arguments with a function of their own (HR_SHOW_FN) ---- */

void hrd_timespec(struct hr_dctx *c, int i);	/* struct timespec */
void hrd_timeval(struct hr_dctx *c, int i);	/* struct timeval */
void hrd_timezone(struct hr_dctx *c, int i);	/* struct timezone */
void hrd_timex(struct hr_dctx *c, int i);	/* struct __kernel_timex */
void hrd_clock(struct hr_dctx *c, int i);	/* clockid_t, dynamic clocks too */
void hrd_open_flags(struct hr_dctx *c, int i);	/* open flags; mode is argument i + 1 */
void hrd_open_how(struct hr_dctx *c, int i);	/* struct open_how */
void hrd_argv(struct hr_dctx *c, int i);	/* NUL-separated argv */
void hrd_pid(struct hr_dctx *c, int i);		/* a target process */
void hrd_swap_flags(struct hr_dctx *c, int i);	/* swapon: flags and priority */
void hrd_kexec_flags(struct hr_dctx *c, int i); /* kexec_load: flags and arch */
void hrd_mount_attr(struct hr_dctx *c, int i);	/* struct mount_attr */
void hrd_module_fd(struct hr_dctx *c, int i);	/* finit_module's file and module */
/* A target process by pid: its number, executable and resource. */
void hrd_target(struct hr_dctx *c, const char *key, int32_t pid);

/* readOnly of the open calls (.read_only) */
bool hrd_ro_open(const struct hr_syscall_desc *d, const struct hr_syscall_event *ev);
bool hrd_ro_open_how(const struct hr_syscall_desc *d, const struct hr_syscall_event *ev);
/* readOnly of adjtimex and clock_adjtime: modes 0 reads the clock's state */
bool hrd_ro_modes0(const struct hr_syscall_desc *d, const struct hr_syscall_event *ev);

/* ---- calls.c: irregular calls (.decode) ---- */

void hrd_setgroups(struct hr_dctx *c);
void hrd_capset(struct hr_dctx *c);
void hrd_bpf(struct hr_dctx *c);
void hrd_kexec_file_load(struct hr_dctx *c);
void hrd_name_buf(struct hr_dctx *c); /* sethostname, setdomainname */
void hrd_mount(struct hr_dctx *c);
void hrd_ptrace(struct hr_dctx *c);

/* ---- what.c: hr_decoded.what (.what) ---- */

void hrd_what_mount(struct hr_dctx *c);
void hrd_what_uid(struct hr_dctx *c); /* of argument 0 */
void hrd_what_gid(struct hr_dctx *c);
void hrd_what_mode(struct hr_dctx *c); /* the path and its HR_SHOW_MODE argument */
void hrd_what_name(struct hr_dctx *c); /* "to <argument 0>" */

#endif

/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * syscall_table.h - the recorded system calls, in one place.
 *
 * One row per call says everything about it: its CloudTrail
 * eventSource/eventName, its category, how the BPF entry program captures
 * each argument, and how requestParameters shows each argument (or, for an
 * irregular call, the function that writes them), its "what" and readOnly.
 * The loader turns rows into the kernel's spec map and attaches only these
 * tracepoints; the decoder walks the same rows. docs/recipes-recorded-call.md
 * says how to add one.
 */
#ifndef HOSTRAIL_SYSCALL_TABLE_H
#define HOSTRAIL_SYSCALL_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "hostrail_abi.h"

struct hr_names;
struct hr_dctx; /* decode/decode_int.h: one event being decoded */

/* How requestParameters shows an argument (decode/decode.c walks them). */
enum hr_show {
	HR_SHOW_UNSET,	 /* not described: the row must have a .decode */
	HR_SHOW_SKIP,	 /* a pointer or a word of no meaning: not written */
	HR_SHOW_INT,	 /* signed 64-bit number */
	HR_SHOW_UINT,	 /* unsigned 64-bit number */
	HR_SHOW_U32,	 /* unsigned 32-bit number */
	HR_SHOW_BOOL,	 /* true if the low 32 bits are not 0 */
	HR_SHOW_HEX,	 /* "0x..." (an address) */
	HR_SHOW_MODE,	 /* octal "0644" */
	HR_SHOW_FLAGS,	 /* 32-bit flag set named by .names */
	HR_SHOW_FLAGS64, /* 64-bit flag set named by .names */
	HR_SHOW_ENUM,	 /* 32-bit value named by .names */
	HR_SHOW_UID,	 /* number, name under .key2 (else "<name>Name"), .res */
	HR_SHOW_GID,	 /* as UID, never a resource */
	HR_SHOW_STR,	 /* captured text; .res: a resource named by it */
	HR_SHOW_PATH,	 /* a path made absolute (.dirfd, .empty); .res */
	HR_SHOW_FD,	 /* fd number; with .key2, what it refers to; .res */
	HR_SHOW_FN,	 /* .fn writes it */
};

#define HR_EMPTY_ALWAYS 0xff /* .empty: "" always names the dirfd */

struct hr_arg_desc {
	const char *name; /* lowerCamelCase requestParameters key */
	uint8_t kind;	  /* enum hr_arg_kind: how BPF captures it */
	uint16_t size;	  /* bound for BUFLEN, MEM, COUNT32 */
	/* how requestParameters shows it */
	uint8_t show;  /* enum hr_show */
	uint8_t dirfd; /* PATH: the dirfd's argument index + 1; 0: the cwd */
	uint8_t empty; /* PATH: "" names the dirfd (AT_EMPTY_PATH) if argument
				 * empty - 1 has empty_bit; 0: never */
	uint32_t empty_bit;
	const char *key2;		      /* FD: key of its target; UID/GID: key of the name */
	const char *res;		      /* the resource type it names, or NULL */
	const struct hr_names *names;	      /* FLAGS, FLAGS64, ENUM */
	void (*fn)(struct hr_dctx *c, int i); /* FN */
};

/* eventCategory. The text is what records and selectors carry. */
enum hr_category {
	HR_CAT_MANAGEMENT,
	HR_CAT_DATA,
};
const char *hr_category_name(enum hr_category c);

struct hr_syscall_desc {
	int nr;			  /* x86_64 number (SYS_*) */
	const char *syscall;	  /* kernel name: tracepoint sys_enter_<syscall> */
	const char *event_source; /* "identity.linux" */
	const char *event_name;	  /* "Setuid" */
	enum hr_category category;
	uint8_t nargs;
	struct hr_arg_desc args[HR_MAX_ARGS];
	uint8_t flags;	    /* HR_SPEC_F_* */
	uint64_t arg0_mask; /* with HR_SPEC_F_ARG0_FILTER */
	uint32_t arg0_extra;
	uint8_t filter_kind;	   /* with HR_SPEC_F_PATH_FILTER: HR_PATH_KIND_* */
	const char *resource_type; /* data events: what a selector names */
	/* An irregular call's requestParameters; NULL: args[] as described. */
	void (*decode)(struct hr_dctx *c);
	/* hr_decoded.what, where the resources alone do not say it; or NULL */
	void (*what)(struct hr_dctx *c);
	/* readOnly; NULL: false (the call changes the system) */
	bool (*read_only)(const struct hr_syscall_desc *d, const struct hr_syscall_event *ev);
};

/* Every row, management calls first. */
extern const struct hr_syscall_desc hr_syscall_table[];
extern const size_t hr_syscall_table_len;

/* The row for a system call number, or NULL if hostrail does not record it. */
const struct hr_syscall_desc *hr_syscall_lookup(int nr);

/* The row's kernel spec-map entry. */
void hr_syscall_spec_fill(const struct hr_syscall_desc *d, struct hr_syscall_spec *spec);

#endif

/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * syscall_table.h - the recorded system calls, in one place.
 *
 * One row per call: its CloudTrail eventSource/eventName, its category,
 * and how the BPF entry program captures each argument. The loader turns
 * rows into the kernel's spec map and attaches only these tracepoints; the
 * decoder turns captured arguments back into requestParameters.
 */
#ifndef HOSTRAIL_SYSCALL_TABLE_H
#define HOSTRAIL_SYSCALL_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "hostrail_abi.h"

struct hr_arg_desc {
	const char *name;	/* lowerCamelCase requestParameters key */
	uint8_t kind;		/* enum hr_arg_kind */
	uint16_t size;		/* bound for BUFLEN, MEM, COUNT32 */
};

struct hr_syscall_desc {
	int nr;			/* x86_64 number (SYS_*) */
	const char *syscall;	/* kernel name: tracepoint sys_enter_<syscall> */
	const char *event_source;	/* "identity.linux" */
	const char *event_name;		/* "Setuid" */
	const char *category;		/* "Management" or "Data" */
	uint8_t nargs;
	struct hr_arg_desc args[HR_MAX_ARGS];
	uint8_t flags;		/* HR_SPEC_F_* */
	uint64_t arg0_mask;	/* with HR_SPEC_F_ARG0_FILTER */
	uint32_t arg0_extra;
	uint8_t filter_kind;	/* with HR_SPEC_F_PATH_FILTER: HR_PATH_KIND_* */
	const char *resource_type;	/* data events: what a selector names */
};

/* Every row, management calls first. */
extern const struct hr_syscall_desc hr_syscall_table[];
extern const size_t hr_syscall_table_len;

/* The row for a system call number, or NULL if hostrail does not record it. */
const struct hr_syscall_desc *hr_syscall_lookup(int nr);

/* The row's kernel spec-map entry. */
void hr_syscall_spec_fill(const struct hr_syscall_desc *d, struct hr_syscall_spec *spec);

#endif

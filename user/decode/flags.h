/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * flags.h - symbolic names of the values recorded system calls take.
 *
 * Two shapes: flag sets (a word of OR-ed bits, written as a JSON array of
 * names with the unknown rest as one "0x..." string) and enumerations (one
 * value, one name). Names are the kernel's own macro names, so a reader
 * can grep the man page for them.
 */
#ifndef HOSTRAIL_FLAGS_H
#define HOSTRAIL_FLAGS_H

#include <stddef.h>
#include <stdint.h>

struct jsonw;

struct hr_name {
	uint64_t value; /* flag sets: the bit(s); enums: the value */
	const char *name;
};

struct hr_names {
	const struct hr_name *v;
	size_t n;
};

/* Flag sets. Multi-bit entries come first so they win over their parts. */
extern const struct hr_names hr_mount_flags;	     /* MS_* (mount) */
extern const struct hr_names hr_umount_flags;	     /* MNT_FORCE, MNT_DETACH, ... */
extern const struct hr_names hr_clone_flags;	     /* CLONE_NEW*, CLONE_FS... */
extern const struct hr_names hr_at_flags;	     /* AT_* */
extern const struct hr_names hr_move_mount_flags;    /* MOVE_MOUNT_* */
extern const struct hr_names hr_fsmount_flags;	     /* FSMOUNT_CLOEXEC */
extern const struct hr_names hr_mount_attr_flags;    /* MOUNT_ATTR_* */
extern const struct hr_names hr_swap_flags;	     /* SWAP_FLAG_* (priority apart) */
extern const struct hr_names hr_adjtimex_modes;	     /* ADJ_* */
extern const struct hr_names hr_adjtimex_status;     /* STA_* */
extern const struct hr_names hr_caps;		     /* CAP_* as bit numbers */
extern const struct hr_names hr_finit_module_flags;  /* MODULE_INIT_* */
extern const struct hr_names hr_delete_module_flags; /* O_NONBLOCK, O_TRUNC */
extern const struct hr_names hr_kexec_flags;	     /* KEXEC_* (arch apart) */
extern const struct hr_names hr_kexec_file_flags;    /* KEXEC_FILE_* */
extern const struct hr_names hr_ptrace_options;	     /* PTRACE_O_* */

/* Enumerations. */
extern const struct hr_names hr_ptrace_requests;   /* PTRACE_* */
extern const struct hr_names hr_reboot_cmds;	   /* LINUX_REBOOT_CMD_* */
extern const struct hr_names hr_reboot_magic;	   /* LINUX_REBOOT_MAGIC* */
extern const struct hr_names hr_bpf_cmds;	   /* BPF_MAP_CREATE... */
extern const struct hr_names hr_bpf_prog_types;	   /* BPF_PROG_TYPE_* */
extern const struct hr_names hr_bpf_map_types;	   /* BPF_MAP_TYPE_* */
extern const struct hr_names hr_bpf_attach_types;  /* BPF_CGROUP_INET_INGRESS... */
extern const struct hr_names hr_clock_ids;	   /* CLOCK_* */
extern const struct hr_names hr_kexec_archs;	   /* KEXEC_ARCH_* (value >> 16) */
extern const struct hr_names hr_mount_propagation; /* MS_SHARED... (mount_setattr) */
extern const struct hr_names hr_capset_versions;   /* _LINUX_CAPABILITY_VERSION_* */
/* Data events */
extern const struct hr_names hr_open_access;  /* O_RDONLY, O_WRONLY, O_RDWR */
extern const struct hr_names hr_open_flags;   /* O_* but the access mode */
extern const struct hr_names hr_unlink_flags; /* AT_REMOVEDIR */
extern const struct hr_names hr_rename_flags; /* RENAME_* */

/* The name of an enumeration value, or NULL. */
const char *hr_name_of(const struct hr_names *t, uint64_t value);

/*
 * Write value as a JSON array value: the names of the set bits, then one
 * "0x..." string for bits no entry names. 0 gives [].
 */
void hr_flags_write(struct jsonw *w, const struct hr_names *t, uint64_t value);

/* Write an enumeration value: its name, else "0x..." (unsigned hex). */
void hr_enum_write(struct jsonw *w, const struct hr_names *t, uint64_t value);

/* Format flags as "A|B|0x10" into buf (for logs and tests); returns buf. */
char *hr_flags_format(const struct hr_names *t, uint64_t value, char *buf, size_t size);

#endif

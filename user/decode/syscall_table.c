// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* syscall_table.c - the rows of hostrail's recorded system calls. */
#include <string.h>
#include <sys/syscall.h>
#include "syscall_table.h"

#ifndef SYS_openat2
#define SYS_openat2 437	/* Linux 5.6 */
#endif
#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452	/* Linux 6.6; older headers lack it */
#endif

#define V(n)     { n, HR_ARG_VALUE, 0 }
#define S(n)     { n, HR_ARG_STR, 0 }
#define BUF(n, sz)  { n, HR_ARG_BUFLEN, sz }
#define MEM(n, sz)  { n, HR_ARG_MEM, sz }
#define CNT32(n, sz) { n, HR_ARG_COUNT32, sz }

#define MGMT "Management"
#define DATA "Data"
#define PAT(n, dirfd_arg) { n, HR_ARG_PATHAT, dirfd_arg }	/* dirfd_arg: index + 1, 0: cwd */
#define ARGV(n, sz) { n, HR_ARG_ARGV, sz }
/* An fd naming the call's object: its file's path is taken in the kernel. */
#define FD(n)    { n, HR_ARG_FD, 0 }
/* Data events pass the kernel's path filter first (hr_path_filter). */
#define FILE_DATA HR_SPEC_F_PATH_FILTER, 0, 0, HR_PATH_KIND_FILE, "Linux::File"
#define EXEC_DATA HR_SPEC_F_PATH_FILTER, 0, 0, HR_PATH_KIND_EXEC, "Linux::Process"
#define BIT(x) (1ULL << (x))

/*
 * bpf(2) commands worth a record: creating maps and programs and attaching
 * them. Lookups and updates are the steady state of every BPF user
 * (including this agent) and would drown the trail.
 */
#define BPF_RECORDED_CMDS (BIT(0) /* MAP_CREATE */ | BIT(5) /* PROG_LOAD */ | \
	BIT(8) /* PROG_ATTACH */ | BIT(9) /* PROG_DETACH */ | \
	BIT(17) /* RAW_TRACEPOINT_OPEN */ | BIT(18) /* BTF_LOAD */ | \
	BIT(28) /* LINK_CREATE */ | BIT(29) /* LINK_UPDATE */)

/*
 * ptrace(2) requests that take control of or write into another process.
 * A debugger's PEEK/GETREGS stream is a consequence of the attach, which
 * is recorded; PTRACE_SEIZE (0x4206) is the modern attach.
 */
#define PTRACE_RECORDED_REQS (BIT(0) /* TRACEME */ | BIT(4) /* POKETEXT */ | \
	BIT(5) /* POKEDATA */ | BIT(6) /* POKEUSER */ | BIT(13) /* SETREGS */ | \
	BIT(15) /* SETFPREGS */ | BIT(16) /* ATTACH */)
#define PTRACE_SEIZE_REQ 0x4206

const struct hr_syscall_desc hr_syscall_table[] = {
	/* identity.linux */
	{ SYS_setuid, "setuid", "identity.linux", "Setuid", MGMT, 1, { V("uid") } },
	{ SYS_setgid, "setgid", "identity.linux", "Setgid", MGMT, 1, { V("gid") } },
	{ SYS_setreuid, "setreuid", "identity.linux", "Setreuid", MGMT, 2, { V("ruid"), V("euid") } },
	{ SYS_setregid, "setregid", "identity.linux", "Setregid", MGMT, 2, { V("rgid"), V("egid") } },
	{ SYS_setresuid, "setresuid", "identity.linux", "Setresuid", MGMT, 3,
	  { V("ruid"), V("euid"), V("suid") } },
	{ SYS_setresgid, "setresgid", "identity.linux", "Setresgid", MGMT, 3,
	  { V("rgid"), V("egid"), V("sgid") } },
	{ SYS_setfsuid, "setfsuid", "identity.linux", "Setfsuid", MGMT, 1, { V("fsuid") } },
	{ SYS_setfsgid, "setfsgid", "identity.linux", "Setfsgid", MGMT, 1, { V("fsgid") } },
	{ SYS_setgroups, "setgroups", "identity.linux", "Setgroups", MGMT, 2,
	  { V("size"), CNT32("groups", 256) } },
	{ SYS_capset, "capset", "identity.linux", "Capset", MGMT, 2,
	  { MEM("header", 8), MEM("data", 24) } },

	/* module.linux */
	{ SYS_init_module, "init_module", "module.linux", "InitModule", MGMT, 3,
	  { V("image"), V("len"), S("params") } },
	{ SYS_finit_module, "finit_module", "module.linux", "FinitModule", MGMT, 3,
	  { FD("fd"), S("params"), V("flags") } },
	{ SYS_delete_module, "delete_module", "module.linux", "DeleteModule", MGMT, 2,
	  { S("name"), V("flags") } },

	/* kernel.linux */
	{ SYS_kexec_load, "kexec_load", "kernel.linux", "KexecLoad", MGMT, 4,
	  { V("entry"), V("nrSegments"), V("segments"), V("flags") } },
	{ SYS_kexec_file_load, "kexec_file_load", "kernel.linux", "KexecFileLoad", MGMT, 5,
	  { FD("kernelFd"), FD("initrdFd"), V("cmdlineLen"), S("cmdline"), V("flags") } },
	{ SYS_bpf, "bpf", "kernel.linux", "Bpf", MGMT, 3,
	  { V("cmd"), BUF("attr", 64), V("size") },
	  HR_SPEC_F_ARG0_FILTER, BPF_RECORDED_CMDS, UINT32_MAX },
	{ SYS_reboot, "reboot", "kernel.linux", "Reboot", MGMT, 4,
	  { V("magic1"), V("magic2"), V("cmd"), V("arg") } },
	{ SYS_swapon, "swapon", "kernel.linux", "Swapon", MGMT, 2, { S("path"), V("flags") } },
	{ SYS_swapoff, "swapoff", "kernel.linux", "Swapoff", MGMT, 1, { S("path") } },
	{ SYS_iopl, "iopl", "kernel.linux", "Iopl", MGMT, 1, { V("level") } },
	{ SYS_ioperm, "ioperm", "kernel.linux", "Ioperm", MGMT, 3,
	  { V("from"), V("num"), V("turnOn") } },
	{ SYS_acct, "acct", "kernel.linux", "Acct", MGMT, 1, { S("path") } },

	/* system.linux */
	{ SYS_sethostname, "sethostname", "system.linux", "Sethostname", MGMT, 2,
	  { BUF("name", 64), V("len") } },
	{ SYS_setdomainname, "setdomainname", "system.linux", "Setdomainname", MGMT, 2,
	  { BUF("name", 64), V("len") } },
	{ SYS_settimeofday, "settimeofday", "system.linux", "Settimeofday", MGMT, 2,
	  { MEM("tv", 16), MEM("tz", 8) } },
	{ SYS_clock_settime, "clock_settime", "system.linux", "ClockSettime", MGMT, 2,
	  { V("clockId"), MEM("tp", 16) } },
	/* struct __kernel_timex: modes, then offset, freq, ..., 208 bytes */
	{ SYS_adjtimex, "adjtimex", "system.linux", "Adjtimex", MGMT, 1,
	  { MEM("buf", 208) }, HR_SPEC_F_SKIP_MODES0 },
	{ SYS_clock_adjtime, "clock_adjtime", "system.linux", "ClockAdjtime", MGMT, 2,
	  { V("clockId"), MEM("buf", 208) }, HR_SPEC_F_SKIP_MODES0 },

	/* mount.linux */
	{ SYS_mount, "mount", "mount.linux", "Mount", MGMT, 5,
	  { S("source"), S("target"), S("fsType"), V("flags"), V("data") } },
	{ SYS_umount2, "umount", "mount.linux", "Umount2", MGMT, 2, { S("target"), V("flags") } },
	{ SYS_pivot_root, "pivot_root", "mount.linux", "PivotRoot", MGMT, 2,
	  { S("newRoot"), S("putOld") } },
	{ SYS_chroot, "chroot", "mount.linux", "Chroot", MGMT, 1, { S("path") } },
	{ SYS_move_mount, "move_mount", "mount.linux", "MoveMount", MGMT, 5,
	  { V("fromDirfd"), S("fromPath"), V("toDirfd"), S("toPath"), V("flags") } },
	{ SYS_fsmount, "fsmount", "mount.linux", "Fsmount", MGMT, 3,
	  { V("fsFd"), V("flags"), V("attrFlags") } },
	{ SYS_mount_setattr, "mount_setattr", "mount.linux", "MountSetattr", MGMT, 5,
	  { V("dirfd"), S("path"), V("flags"), MEM("attr", 32), V("size") } },

	/* process.linux */
	{ SYS_ptrace, "ptrace", "process.linux", "Ptrace", MGMT, 4,
	  { V("request"), V("pid"), V("addr"), V("data") },
	  HR_SPEC_F_ARG0_FILTER, PTRACE_RECORDED_REQS, PTRACE_SEIZE_REQ },
	{ SYS_process_vm_writev, "process_vm_writev", "process.linux", "ProcessVmWritev", MGMT, 6,
	  { V("pid"), V("localIov"), V("localIovCount"), V("remoteIov"), V("remoteIovCount"),
	    V("flags") } },
	{ SYS_unshare, "unshare", "process.linux", "Unshare", MGMT, 1, { V("flags") } },
	{ SYS_setns, "setns", "process.linux", "Setns", MGMT, 2, { V("fd"), V("nsType") } },

	/* file.linux (permission changes) */
	{ SYS_chmod, "chmod", "file.linux", "Chmod", MGMT, 2, { S("path"), V("mode") } },
	{ SYS_fchmod, "fchmod", "file.linux", "Fchmod", MGMT, 2, { FD("fd"), V("mode") } },
	{ SYS_fchmodat, "fchmodat", "file.linux", "Fchmodat", MGMT, 3,
	  { V("dirfd"), S("path"), V("mode") } },
	{ SYS_fchmodat2, "fchmodat2", "file.linux", "Fchmodat", MGMT, 4,
	  { V("dirfd"), S("path"), V("mode"), V("flags") } },
	{ SYS_chown, "chown", "file.linux", "Chown", MGMT, 3,
	  { S("path"), V("uid"), V("gid") } },
	{ SYS_fchown, "fchown", "file.linux", "Fchown", MGMT, 3,
	  { FD("fd"), V("uid"), V("gid") } },
	{ SYS_lchown, "lchown", "file.linux", "Lchown", MGMT, 3,
	  { S("path"), V("uid"), V("gid") } },
	{ SYS_fchownat, "fchownat", "file.linux", "Fchownat", MGMT, 5,
	  { V("dirfd"), S("path"), V("uid"), V("gid"), V("flags") } },

	/* Data events: only on paths and executables a trail selects. */
	{ SYS_openat, "openat", "file.linux", "Openat", DATA, 4,
	  { V("dirfd"), PAT("path", 1), V("flags"), V("mode") }, FILE_DATA },
	{ SYS_unlinkat, "unlinkat", "file.linux", "Unlinkat", DATA, 3,
	  { V("dirfd"), PAT("path", 1), V("flags") }, FILE_DATA },
	{ SYS_renameat2, "renameat2", "file.linux", "Renameat2", DATA, 5,
	  { V("oldDirfd"), PAT("oldPath", 1), V("newDirfd"), PAT("newPath", 3), V("flags") },
	  FILE_DATA },
	{ SYS_truncate, "truncate", "file.linux", "Truncate", DATA, 2,
	  { PAT("path", 0), V("length") }, FILE_DATA },
	{ SYS_linkat, "linkat", "file.linux", "Linkat", DATA, 5,
	  { V("oldDirfd"), PAT("oldPath", 1), V("newDirfd"), PAT("newPath", 3), V("flags") },
	  FILE_DATA },
	{ SYS_symlinkat, "symlinkat", "file.linux", "Symlinkat", DATA, 3,
	  { S("target"), V("newDirfd"), PAT("linkPath", 2) }, FILE_DATA },
	/*
	 * The same data events through the other doors: glibc uses the *at
	 * forms, but a program can call these directly, and a selector on a
	 * path must not be evaded that way. Their own eventNames, as Chmod
	 * beside Fchmodat.
	 */
	{ SYS_openat2, "openat2", "file.linux", "Openat2", DATA, 4,
	  { V("dirfd"), PAT("path", 1), MEM("how", 24), V("size") }, FILE_DATA },
	{ SYS_renameat, "renameat", "file.linux", "Renameat", DATA, 4,
	  { V("oldDirfd"), PAT("oldPath", 1), V("newDirfd"), PAT("newPath", 3) }, FILE_DATA },
#ifdef SYS_open	/* x86-64's legacy calls; arm64 never had them */
	{ SYS_open, "open", "file.linux", "Open", DATA, 3,
	  { PAT("path", 0), V("flags"), V("mode") }, FILE_DATA },
	{ SYS_creat, "creat", "file.linux", "Creat", DATA, 2,
	  { PAT("path", 0), V("mode") }, FILE_DATA },
	{ SYS_unlink, "unlink", "file.linux", "Unlink", DATA, 1, { PAT("path", 0) }, FILE_DATA },
	{ SYS_rmdir, "rmdir", "file.linux", "Rmdir", DATA, 1, { PAT("path", 0) }, FILE_DATA },
	{ SYS_rename, "rename", "file.linux", "Rename", DATA, 2,
	  { PAT("oldPath", 0), PAT("newPath", 0) }, FILE_DATA },
	{ SYS_link, "link", "file.linux", "Link", DATA, 2,
	  { PAT("oldPath", 0), PAT("newPath", 0) }, FILE_DATA },
	{ SYS_symlink, "symlink", "file.linux", "Symlink", DATA, 2,
	  { S("target"), PAT("linkPath", 0) }, FILE_DATA },
#endif
	{ SYS_execve, "execve", "process.linux", "Execve", DATA, 3,
	  { PAT("filename", 0), ARGV("argv", 1024), V("envp") }, EXEC_DATA },
	{ SYS_execveat, "execveat", "process.linux", "Execveat", DATA, 5,
	  { V("dirfd"), PAT("filename", 1), ARGV("argv", 1024), V("envp"), V("flags") },
	  EXEC_DATA },
};

const size_t hr_syscall_table_len = sizeof(hr_syscall_table) / sizeof(hr_syscall_table[0]);

const struct hr_syscall_desc *hr_syscall_lookup(int nr)
{
	/* Fifty rows: a linear scan is cheaper than keeping an index right. */
	for (size_t i = 0; i < hr_syscall_table_len; i++)
		if (hr_syscall_table[i].nr == nr)
			return &hr_syscall_table[i];
	return NULL;
}

void hr_syscall_spec_fill(const struct hr_syscall_desc *d, struct hr_syscall_spec *spec)
{
	memset(spec, 0, sizeof(*spec));
	spec->recorded = 1;
	spec->nargs = d->nargs;
	for (int i = 0; i < d->nargs && i < HR_MAX_ARGS; i++) {
		spec->arg_kind[i] = d->args[i].kind;
		spec->arg_size[i] = d->args[i].size;
	}
	spec->flags = d->flags;
	spec->arg0_mask = d->arg0_mask;
	spec->arg0_extra = d->arg0_extra;
	spec->filter_kind = d->filter_kind;
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * syscall_table.c - the rows of hostrail's recorded system calls: adding a
 * call is one row here (docs/recipes-recorded-call.md).
 */
#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>
#include "syscall_table.h"
#include "decode/decoders.h"
#include "decode/flags.h"

#ifndef SYS_openat2
#define SYS_openat2 437 /* Linux 5.6 */
#endif
#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452 /* Linux 6.6; older headers lack it */
#endif

/*
 * Arguments: how BPF captures each (V: the value only; S: a string; BUF,
 * MEM: bytes; CNT32: an array; PAT: a path the kernel filters on; ARGV;
 * FD: the fd's file's path, taken in the kernel), and how requestParameters
 * shows it (enum hr_show). A row of raw V/S/MEM... has its own .decode.
 */
#define ARG(n, k, sz, ...)                                    \
	{                                                     \
		.name = n, .kind = k, .size = sz, __VA_ARGS__ \
	}
#define V(n)	     ARG(n, HR_ARG_VALUE, 0)
#define S(n)	     ARG(n, HR_ARG_STR, 0)
#define BUF(n, sz)   ARG(n, HR_ARG_BUFLEN, sz)
#define MEM(n, sz)   ARG(n, HR_ARG_MEM, sz)
#define CNT32(n, sz) ARG(n, HR_ARG_COUNT32, sz)
#define FD(n)	     ARG(n, HR_ARG_FD, 0)

/* value arguments */
#define SKIP(n)	      ARG(n, HR_ARG_VALUE, 0, .show = HR_SHOW_SKIP) /* a pointer */
#define INT(n)	      ARG(n, HR_ARG_VALUE, 0, .show = HR_SHOW_INT)
#define UINT(n)	      ARG(n, HR_ARG_VALUE, 0, .show = HR_SHOW_UINT)
#define U32(n)	      ARG(n, HR_ARG_VALUE, 0, .show = HR_SHOW_U32)
#define BOOL(n)	      ARG(n, HR_ARG_VALUE, 0, .show = HR_SHOW_BOOL)
#define HEX(n)	      ARG(n, HR_ARG_VALUE, 0, .show = HR_SHOW_HEX)
#define MODE(n)	      ARG(n, HR_ARG_VALUE, 0, .show = HR_SHOW_MODE)
#define FLAGS(n, t)   ARG(n, HR_ARG_VALUE, 0, .show = HR_SHOW_FLAGS, .names = &hr_##t)
#define FLAGS64(n, t) ARG(n, HR_ARG_VALUE, 0, .show = HR_SHOW_FLAGS64, .names = &hr_##t)
#define ENUM(n, t)    ARG(n, HR_ARG_VALUE, 0, .show = HR_SHOW_ENUM, .names = &hr_##t)
/* a uid / gid, its name under namekey (NULL: "<n>Name"); res: a resource */
#define UID(n, namekey, r) ARG(n, HR_ARG_VALUE, 0, .show = HR_SHOW_UID, .key2 = namekey, .res = r)
#define GID(n, namekey)	   ARG(n, HR_ARG_VALUE, 0, .show = HR_SHOW_GID, .key2 = namekey)
/* an fd: its number, and with pathkey what /proc says it refers to */
#define DIRFD(n)	   ARG(n, HR_ARG_VALUE, 0, .show = HR_SHOW_FD)
#define VFD(n, pathkey, r) ARG(n, HR_ARG_VALUE, 0, .show = HR_SHOW_FD, .key2 = pathkey, .res = r)
#define VFN(n, f)	   ARG(n, HR_ARG_VALUE, 0, .show = HR_SHOW_FN, .fn = hrd_##f)

/* captured arguments */
#define STR(n, r) ARG(n, HR_ARG_STR, 0, .show = HR_SHOW_STR, .res = r)
/* a path relative to argument dirfd - 1 (0: the cwd); its file is resource r */
#define SPATH(n, d, r) ARG(n, HR_ARG_STR, 0, .show = HR_SHOW_PATH, .dirfd = d, .res = r)
/* ... where "" names the dirfd if argument e - 1 has bit */
#define SPATHE(n, d, e, bit, r)                                                               \
	ARG(n, HR_ARG_STR, 0, .show = HR_SHOW_PATH, .dirfd = d, .empty = e, .empty_bit = bit, \
	    .res = r)
/* a path the kernel filters on (its capture names the dirfd the same way) */
#define PAT(n, d, r) ARG(n, HR_ARG_PATHAT, d, .show = HR_SHOW_PATH, .dirfd = d, .res = r)
#define PATE(n, d, e, bit, r)                                                                    \
	ARG(n, HR_ARG_PATHAT, d, .show = HR_SHOW_PATH, .dirfd = d, .empty = e, .empty_bit = bit, \
	    .res = r)
/* an fd whose file's path the kernel takes at entry */
#define FDP(n, pathkey, r) ARG(n, HR_ARG_FD, 0, .show = HR_SHOW_FD, .key2 = pathkey, .res = r)
#define FDFN(n, pathkey, r, f) \
	ARG(n, HR_ARG_FD, 0, .show = HR_SHOW_FN, .key2 = pathkey, .res = r, .fn = hrd_##f)
#define MEMFN(n, sz, f) ARG(n, HR_ARG_MEM, sz, .show = HR_SHOW_FN, .fn = hrd_##f)
#define ARGV(n, sz)	ARG(n, HR_ARG_ARGV, sz, .show = HR_SHOW_FN, .fn = hrd_argv)

/* resource types */
#define R_FILE	 "Linux::File"
#define R_MOUNT	 "Linux::Mount"
#define R_PROC	 "Linux::Process"
#define R_USER	 "Linux::User"
#define R_MODULE "Linux::KernelModule"

#define MGMT HR_CAT_MANAGEMENT
#define DATA HR_CAT_DATA
/* Data events pass the kernel's path filter first (hr_path_filter). */
#define FILE_DATA HR_SPEC_F_PATH_FILTER, 0, 0, HR_PATH_KIND_FILE, R_FILE
#define EXEC_DATA HR_SPEC_F_PATH_FILTER, 0, 0, HR_PATH_KIND_EXEC, R_PROC
#define BIT(x)	  (1ULL << (x))

/*
 * bpf(2) commands worth a record: creating maps and programs and attaching
 * them. Lookups and updates are the steady state of every BPF user
 * (including this agent) and would drown the trail.
 */
#define BPF_RECORDED_CMDS                                                                        \
	(BIT(0) /* MAP_CREATE */ | BIT(5) /* PROG_LOAD */ | BIT(8) /* PROG_ATTACH */ |           \
	 BIT(9) /* PROG_DETACH */ | BIT(17) /* RAW_TRACEPOINT_OPEN */ | BIT(18) /* BTF_LOAD */ | \
	 BIT(28) /* LINK_CREATE */ | BIT(29) /* LINK_UPDATE */)

/*
 * ptrace(2) requests that take control of or write into another process.
 * A debugger's PEEK/GETREGS stream is a consequence of the attach, which
 * is recorded; PTRACE_SEIZE (0x4206) is the modern attach.
 */
#define PTRACE_RECORDED_REQS                                                       \
	(BIT(0) /* TRACEME */ | BIT(4) /* POKETEXT */ | BIT(5) /* POKEDATA */ |    \
	 BIT(6) /* POKEUSER */ | BIT(13) /* SETREGS */ | BIT(15) /* SETFPREGS */ | \
	 BIT(16) /* ATTACH */)
#define PTRACE_SEIZE_REQ 0x4206

const struct hr_syscall_desc hr_syscall_table[] = {
	/* identity.linux */
	{SYS_setuid,
	 "setuid",
	 "identity.linux",
	 "Setuid",
	 MGMT,
	 1,
	 {UID("uid", "userName", R_USER)},
	 .what = hrd_what_uid},
	{SYS_setgid,
	 "setgid",
	 "identity.linux",
	 "Setgid",
	 MGMT,
	 1,
	 {GID("gid", "groupName")},
	 .what = hrd_what_gid},
	{SYS_setreuid,
	 "setreuid",
	 "identity.linux",
	 "Setreuid",
	 MGMT,
	 2,
	 {UID("ruid", NULL, R_USER), UID("euid", NULL, R_USER)}},
	{SYS_setregid,
	 "setregid",
	 "identity.linux",
	 "Setregid",
	 MGMT,
	 2,
	 {GID("rgid", NULL), GID("egid", NULL)}},
	{SYS_setresuid,
	 "setresuid",
	 "identity.linux",
	 "Setresuid",
	 MGMT,
	 3,
	 {UID("ruid", NULL, R_USER), UID("euid", NULL, R_USER), UID("suid", NULL, R_USER)}},
	{SYS_setresgid,
	 "setresgid",
	 "identity.linux",
	 "Setresgid",
	 MGMT,
	 3,
	 {GID("rgid", NULL), GID("egid", NULL), GID("sgid", NULL)}},
	{SYS_setfsuid,
	 "setfsuid",
	 "identity.linux",
	 "Setfsuid",
	 MGMT,
	 1,
	 {UID("fsuid", NULL, R_USER)},
	 .what = hrd_what_uid},
	{SYS_setfsgid,
	 "setfsgid",
	 "identity.linux",
	 "Setfsgid",
	 MGMT,
	 1,
	 {GID("fsgid", NULL)},
	 .what = hrd_what_gid},
	{SYS_setgroups,
	 "setgroups",
	 "identity.linux",
	 "Setgroups",
	 MGMT,
	 2,
	 {V("size"), CNT32("groups", 256)},
	 .decode = hrd_setgroups},
	{SYS_capset,
	 "capset",
	 "identity.linux",
	 "Capset",
	 MGMT,
	 2,
	 {MEM("header", 8), MEM("data", 24)},
	 .decode = hrd_capset},

	/* module.linux */
	{SYS_init_module,
	 "init_module",
	 "module.linux",
	 "InitModule",
	 MGMT,
	 3,
	 {SKIP("image"), UINT("len"), STR("params", NULL)}},
	{SYS_finit_module,
	 "finit_module",
	 "module.linux",
	 "FinitModule",
	 MGMT,
	 3,
	 {FDFN("fd", "path", R_FILE, module_fd), STR("params", NULL),
	  FLAGS("flags", finit_module_flags)}},
	{SYS_delete_module,
	 "delete_module",
	 "module.linux",
	 "DeleteModule",
	 MGMT,
	 2,
	 {STR("name", R_MODULE), FLAGS("flags", delete_module_flags)}},

	/* kernel.linux */
	{SYS_kexec_load,
	 "kexec_load",
	 "kernel.linux",
	 "KexecLoad",
	 MGMT,
	 4,
	 {HEX("entry"), UINT("nrSegments"), SKIP("segments"), VFN("flags", kexec_flags)}},
	{SYS_kexec_file_load,
	 "kexec_file_load",
	 "kernel.linux",
	 "KexecFileLoad",
	 MGMT,
	 5,
	 {FD("kernelFd"), FD("initrdFd"), V("cmdlineLen"), S("cmdline"), V("flags")},
	 .decode = hrd_kexec_file_load},
	{SYS_bpf,
	 "bpf",
	 "kernel.linux",
	 "Bpf",
	 MGMT,
	 3,
	 {V("cmd"), BUF("attr", 64), V("size")},
	 HR_SPEC_F_ARG0_FILTER,
	 BPF_RECORDED_CMDS,
	 UINT32_MAX,
	 .decode = hrd_bpf},
	{SYS_reboot,
	 "reboot",
	 "kernel.linux",
	 "Reboot",
	 MGMT,
	 4,
	 {ENUM("magic1", reboot_magic), ENUM("magic2", reboot_magic), ENUM("cmd", reboot_cmds),
	  SKIP("arg")}},
	{SYS_swapon,
	 "swapon",
	 "kernel.linux",
	 "Swapon",
	 MGMT,
	 2,
	 {SPATH("path", 0, R_FILE), VFN("flags", swap_flags)}},
	{SYS_swapoff, "swapoff", "kernel.linux", "Swapoff", MGMT, 1, {SPATH("path", 0, R_FILE)}},
	{SYS_iopl, "iopl", "kernel.linux", "Iopl", MGMT, 1, {U32("level")}},
	{SYS_ioperm,
	 "ioperm",
	 "kernel.linux",
	 "Ioperm",
	 MGMT,
	 3,
	 {UINT("from"), UINT("num"), BOOL("turnOn")}},
	/* NULL turns accounting off: "path": null says exactly that */
	{SYS_acct, "acct", "kernel.linux", "Acct", MGMT, 1, {SPATH("path", 0, R_FILE)}},

	/* system.linux */
	{SYS_sethostname,
	 "sethostname",
	 "system.linux",
	 "Sethostname",
	 MGMT,
	 2,
	 {BUF("name", 64), V("len")},
	 .decode = hrd_name_buf,
	 .what = hrd_what_name},
	{SYS_setdomainname,
	 "setdomainname",
	 "system.linux",
	 "Setdomainname",
	 MGMT,
	 2,
	 {BUF("name", 64), V("len")},
	 .decode = hrd_name_buf,
	 .what = hrd_what_name},
	{SYS_settimeofday,
	 "settimeofday",
	 "system.linux",
	 "Settimeofday",
	 MGMT,
	 2,
	 {MEMFN("tv", 16, timeval), MEMFN("tz", 8, timezone)}},
	{SYS_clock_settime,
	 "clock_settime",
	 "system.linux",
	 "ClockSettime",
	 MGMT,
	 2,
	 {VFN("clockId", clock), MEMFN("tp", 16, timespec)}},
	/* struct __kernel_timex: modes, then offset, freq, ..., 208 bytes */
	{SYS_adjtimex,
	 "adjtimex",
	 "system.linux",
	 "Adjtimex",
	 MGMT,
	 1,
	 {MEMFN("buf", 208, timex)},
	 HR_SPEC_F_SKIP_MODES0,
	 .read_only = hrd_ro_modes0},
	{SYS_clock_adjtime,
	 "clock_adjtime",
	 "system.linux",
	 "ClockAdjtime",
	 MGMT,
	 2,
	 {VFN("clockId", clock), MEMFN("buf", 208, timex)},
	 HR_SPEC_F_SKIP_MODES0,
	 .read_only = hrd_ro_modes0},

	/* mount.linux */
	{SYS_mount,
	 "mount",
	 "mount.linux",
	 "Mount",
	 MGMT,
	 5,
	 {S("source"), S("target"), S("fsType"), V("flags"), V("data")},
	 .decode = hrd_mount,
	 .what = hrd_what_mount},
	{SYS_umount2,
	 "umount",
	 "mount.linux",
	 "Umount2",
	 MGMT,
	 2,
	 {SPATH("target", 0, R_MOUNT), FLAGS("flags", umount_flags)}},
	{SYS_pivot_root,
	 "pivot_root",
	 "mount.linux",
	 "PivotRoot",
	 MGMT,
	 2,
	 {SPATH("newRoot", 0, R_MOUNT), SPATH("putOld", 0, NULL)}},
	{SYS_chroot, "chroot", "mount.linux", "Chroot", MGMT, 1, {SPATH("path", 0, R_FILE)}},
	{SYS_move_mount,
	 "move_mount",
	 "mount.linux",
	 "MoveMount",
	 MGMT,
	 5,
	 {DIRFD("fromDirfd"), SPATHE("fromPath", 1, 5, 0x04 /* F_EMPTY_PATH */, NULL),
	  DIRFD("toDirfd"), SPATHE("toPath", 3, 5, 0x40 /* T_EMPTY_PATH */, R_MOUNT),
	  FLAGS("flags", move_mount_flags)}},
	{SYS_fsmount,
	 "fsmount",
	 "mount.linux",
	 "Fsmount",
	 MGMT,
	 3,
	 {DIRFD("fsFd"), FLAGS("flags", fsmount_flags), FLAGS("attrFlags", mount_attr_flags)}},
	{SYS_mount_setattr,
	 "mount_setattr",
	 "mount.linux",
	 "MountSetattr",
	 MGMT,
	 5,
	 {DIRFD("dirfd"), SPATHE("path", 1, 3, AT_EMPTY_PATH, R_MOUNT), FLAGS("flags", at_flags),
	  MEMFN("attr", 32, mount_attr), UINT("size")}},

	/* process.linux */
	{SYS_ptrace,
	 "ptrace",
	 "process.linux",
	 "Ptrace",
	 MGMT,
	 4,
	 {V("request"), V("pid"), V("addr"), V("data")},
	 HR_SPEC_F_ARG0_FILTER,
	 PTRACE_RECORDED_REQS,
	 PTRACE_SEIZE_REQ,
	 .decode = hrd_ptrace},
	{SYS_process_vm_writev,
	 "process_vm_writev",
	 "process.linux",
	 "ProcessVmWritev",
	 MGMT,
	 6,
	 {VFN("pid", pid), SKIP("localIov"), UINT("localIovCount"), SKIP("remoteIov"),
	  UINT("remoteIovCount"), UINT("flags")}},
	{SYS_unshare,
	 "unshare",
	 "process.linux",
	 "Unshare",
	 MGMT,
	 1,
	 {FLAGS64("flags", clone_flags)}},
	{SYS_setns,
	 "setns",
	 "process.linux",
	 "Setns",
	 MGMT,
	 2,
	 {VFD("fd", "namespace", NULL), FLAGS("nsType", clone_flags)}},

	/* file.linux (permission changes) */
	{SYS_chmod,
	 "chmod",
	 "file.linux",
	 "Chmod",
	 MGMT,
	 2,
	 {SPATH("path", 0, R_FILE), MODE("mode")},
	 .what = hrd_what_mode},
	{SYS_fchmod,
	 "fchmod",
	 "file.linux",
	 "Fchmod",
	 MGMT,
	 2,
	 {FDP("fd", "path", R_FILE), MODE("mode")},
	 .what = hrd_what_mode},
	{SYS_fchmodat,
	 "fchmodat",
	 "file.linux",
	 "Fchmodat",
	 MGMT,
	 3,
	 {DIRFD("dirfd"), SPATH("path", 1, R_FILE), MODE("mode")},
	 .what = hrd_what_mode},
	{SYS_fchmodat2,
	 "fchmodat2",
	 "file.linux",
	 "Fchmodat",
	 MGMT,
	 4,
	 {DIRFD("dirfd"), SPATHE("path", 1, 4, AT_EMPTY_PATH, R_FILE), MODE("mode"),
	  FLAGS("flags", at_flags)},
	 .what = hrd_what_mode},
	{SYS_chown,
	 "chown",
	 "file.linux",
	 "Chown",
	 MGMT,
	 3,
	 {SPATH("path", 0, R_FILE), UID("uid", "userName", NULL), GID("gid", "groupName")}},
	{SYS_fchown,
	 "fchown",
	 "file.linux",
	 "Fchown",
	 MGMT,
	 3,
	 {FDP("fd", "path", R_FILE), UID("uid", "userName", NULL), GID("gid", "groupName")}},
	{SYS_lchown,
	 "lchown",
	 "file.linux",
	 "Lchown",
	 MGMT,
	 3,
	 {SPATH("path", 0, R_FILE), UID("uid", "userName", NULL), GID("gid", "groupName")}},
	{SYS_fchownat,
	 "fchownat",
	 "file.linux",
	 "Fchownat",
	 MGMT,
	 5,
	 {DIRFD("dirfd"), SPATHE("path", 1, 5, AT_EMPTY_PATH, R_FILE), UID("uid", "userName", NULL),
	  GID("gid", "groupName"), FLAGS("flags", at_flags)}},

	/* Data events: only on paths and executables a trail selects. */
	{SYS_openat,
	 "openat",
	 "file.linux",
	 "Openat",
	 DATA,
	 4,
	 {DIRFD("dirfd"), PAT("path", 1, R_FILE), VFN("flags", open_flags), SKIP("mode")},
	 FILE_DATA,
	 .read_only = hrd_ro_open},
	{SYS_unlinkat,
	 "unlinkat",
	 "file.linux",
	 "Unlinkat",
	 DATA,
	 3,
	 {DIRFD("dirfd"), PAT("path", 1, R_FILE), FLAGS("flags", unlink_flags)},
	 FILE_DATA},
	{SYS_renameat2,
	 "renameat2",
	 "file.linux",
	 "Renameat2",
	 DATA,
	 5,
	 {DIRFD("oldDirfd"), PAT("oldPath", 1, R_FILE), DIRFD("newDirfd"),
	  PAT("newPath", 3, R_FILE), FLAGS("flags", rename_flags)},
	 FILE_DATA},
	{SYS_truncate,
	 "truncate",
	 "file.linux",
	 "Truncate",
	 DATA,
	 2,
	 {PAT("path", 0, R_FILE), INT("length")},
	 FILE_DATA},
	/* linkat(2) takes "" only with AT_EMPTY_PATH; the record shows the fd's file always */
	{SYS_linkat,
	 "linkat",
	 "file.linux",
	 "Linkat",
	 DATA,
	 5,
	 {DIRFD("oldDirfd"), PATE("oldPath", 1, HR_EMPTY_ALWAYS, 0, R_FILE), DIRFD("newDirfd"),
	  PAT("newPath", 3, R_FILE), FLAGS("flags", at_flags)},
	 FILE_DATA},
	{SYS_symlinkat,
	 "symlinkat",
	 "file.linux",
	 "Symlinkat",
	 DATA,
	 3,
	 {STR("target", NULL), DIRFD("newDirfd"), PAT("linkPath", 2, R_FILE)},
	 FILE_DATA},
	/*
	 * The same data events through the other doors: glibc uses the *at
	 * forms, but a program can call these directly, and a selector on a
	 * path must not be evaded that way. Their own eventNames, as Chmod
	 * beside Fchmodat.
	 */
	{SYS_openat2,
	 "openat2",
	 "file.linux",
	 "Openat2",
	 DATA,
	 4,
	 {DIRFD("dirfd"), PAT("path", 1, R_FILE), MEMFN("how", 24, open_how), SKIP("size")},
	 FILE_DATA,
	 .read_only = hrd_ro_open_how},
	{SYS_renameat,
	 "renameat",
	 "file.linux",
	 "Renameat",
	 DATA,
	 4,
	 {DIRFD("oldDirfd"), PAT("oldPath", 1, R_FILE), DIRFD("newDirfd"),
	  PAT("newPath", 3, R_FILE)},
	 FILE_DATA},
#ifdef SYS_open /* x86-64's legacy calls; arm64 never had them */
	{SYS_open,
	 "open",
	 "file.linux",
	 "Open",
	 DATA,
	 3,
	 {PAT("path", 0, R_FILE), VFN("flags", open_flags), SKIP("mode")},
	 FILE_DATA,
	 .read_only = hrd_ro_open},
	{SYS_creat,
	 "creat",
	 "file.linux",
	 "Creat",
	 DATA,
	 2,
	 {PAT("path", 0, R_FILE), MODE("mode")},
	 FILE_DATA},
	{SYS_unlink,
	 "unlink",
	 "file.linux",
	 "Unlink",
	 DATA,
	 1,
	 {PAT("path", 0, R_FILE)},
	 FILE_DATA},
	{SYS_rmdir, "rmdir", "file.linux", "Rmdir", DATA, 1, {PAT("path", 0, R_FILE)}, FILE_DATA},
	{SYS_rename,
	 "rename",
	 "file.linux",
	 "Rename",
	 DATA,
	 2,
	 {PAT("oldPath", 0, R_FILE), PAT("newPath", 0, R_FILE)},
	 FILE_DATA},
	{SYS_link,
	 "link",
	 "file.linux",
	 "Link",
	 DATA,
	 2,
	 {PAT("oldPath", 0, R_FILE), PAT("newPath", 0, R_FILE)},
	 FILE_DATA},
	{SYS_symlink,
	 "symlink",
	 "file.linux",
	 "Symlink",
	 DATA,
	 2,
	 {STR("target", NULL), PAT("linkPath", 0, R_FILE)},
	 FILE_DATA},
#endif
	{SYS_execve,
	 "execve",
	 "process.linux",
	 "Execve",
	 DATA,
	 3,
	 {PAT("filename", 0, R_PROC), ARGV("argv", 1024), SKIP("envp")},
	 EXEC_DATA},
	{SYS_execveat,
	 "execveat",
	 "process.linux",
	 "Execveat",
	 DATA,
	 5,
	 {DIRFD("dirfd"), PATE("filename", 1, 5, AT_EMPTY_PATH, R_PROC), ARGV("argv", 1024),
	  SKIP("envp"), FLAGS("flags", at_flags)},
	 EXEC_DATA},
};

const size_t hr_syscall_table_len = sizeof(hr_syscall_table) / sizeof(hr_syscall_table[0]);

const char *hr_category_name(enum hr_category c)
{
	return c == HR_CAT_DATA ? "Data" : "Management";
}

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

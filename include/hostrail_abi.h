/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * hostrail_abi.h - the one contract between the BPF programs and the agent.
 *
 * Everything the kernel side sends up the ring buffer, and every map the
 * agent writes down, is declared here and nowhere else. Fixed-width types,
 * explicit padding, enum values never reused. Both sides include this file:
 * the BPF side after vmlinux.h, user space after <linux/types.h>.
 */
#ifndef HOSTRAIL_ABI_H
#define HOSTRAIL_ABI_H

#define HR_COMM_LEN 16
#define HR_MAX_ARGS 6
/* One string argument (a path, a module name...) is read up to this many
 * bytes including its NUL; longer ones arrive cut and are marked truncated. */
#define HR_STR_MAX 4096
/* At most three string arguments per call (mount: source, target, fstype). */
#define HR_MAX_STRS  3
#define HR_STRS_SIZE (HR_MAX_STRS * HR_STR_MAX)
/* A user buffer passed with its length (sethostname) is read up to this. */
#define HR_BUF_MAX 256
/* Largest system call number the per-call spec map covers. */
#define HR_MAX_SYSCALL_NR 512

/* What the ring buffer carries. Values are part of the ABI: never reuse. */
enum hr_event_type {
	HR_EV_SYSCALL = 1, /* one recorded system call, entry and result */
	HR_EV_EXEC = 2,	   /* a process image was replaced (exe cache) */
	HR_EV_EXIT = 3,	   /* a thread group ended (exe cache eviction) */
	HR_EV_LOGIN = 4,   /* a PAM or libaudit call of a login program (logins) */
			   /* Reserved, unused:
	 *   5..7   unused: data events travel as HR_EV_SYSCALL (same framing,
	 *          same decoder) */
};

/*
 * How the entry program reads each argument of a recorded call. Every kind
 * but VALUE copies caller memory into one of the HR_MAX_STRS slots.
 */
enum hr_arg_kind {
	HR_ARG_VALUE = 0,   /* plain integer, pointer value or fd */
	HR_ARG_STR = 1,	    /* NUL-terminated user string (a path, a name) */
	HR_ARG_BUFLEN = 2,  /* buffer whose byte length is the next argument,
				 * read up to arg_size (sethostname, bpf attr) */
	HR_ARG_MEM = 3,	    /* fixed-size struct of arg_size bytes (timespec) */
	HR_ARG_COUNT32 = 4, /* array of 32-bit values whose count is the
				 * previous argument, up to arg_size bytes (setgroups) */
	HR_ARG_PATHAT = 5,  /* a path made absolute in the kernel: relative ones
				 * against the dirfd in argument arg_size - 1, or the
				 * cwd when arg_size is 0 (data events) */
	HR_ARG_ARGV = 6,    /* NULL-terminated array of strings (execve argv),
				 * NUL-separated, up to arg_size bytes */
	HR_ARG_FD = 7,	    /* an fd naming the call's object (fchmod): the
				 * absolute path of its file, taken at entry;
				 * nothing when the kernel cannot name it */
};

/* hr_syscall_spec.flags */
#define HR_SPEC_F_ARG0_FILTER \
	0x01 /* record only if arg0 < 64 and its bit is in
					 * arg0_mask, or arg0 == arg0_extra */
#define HR_SPEC_F_SKIP_MODES0 \
	0x02 /* the first memory slot starts with a u32 modes
					 * word; 0 is a read-only query (adjtimex):
					 * dropped (set only when no trail keeps it) */
#define HR_SPEC_F_PATH_FILTER \
	0x04 /* data event: record only if a PATHAT argument
					 * is under a prefix in hr_path_filter */

/*
 * hr_path_filter: the selected path prefixes of data events, in an LPM
 * trie, so one lookup finds the longest selected prefix. data[0] is the
 * kind (HR_PATH_KIND_*), then the path bytes; an exact entry ends with
 * its NUL. Paths longer than the key are let through to user space.
 */
#define HR_PATH_KEY_MAX	  256
#define HR_PATH_KIND_FILE 'F' /* Linux::File: file data events */
#define HR_PATH_KIND_EXEC 'X' /* Linux::Process: executables */
struct hr_path_key {
	__u32 prefixlen; /* in bits, kind byte included */
	__u8 data[HR_PATH_KEY_MAX];
};

/* Per-CPU counters of the kernel-side data event filter. */
enum hr_filter_counter {
	HR_FILTER_SKIPPED = 0,	 /* not under a selected prefix: nothing sent */
	HR_FILTER_PASSED = 1,	 /* under a selected prefix: sent up */
	HR_FILTER_UNDECIDED = 2, /* "..", too long, unreadable: sent up, user
					 * space decides */
	HR_FILTER_READ_ONLY = 3, /* a read-only call (adjtimex modes 0) no
					 * trail keeps: nothing sent */
	HR_FILTER_NR = 4,
};

/* Per-CPU counters of everything the kernel side could not deliver. */
enum hr_drop_reason {
	HR_DROP_RINGBUF = 0,  /* ring buffer full: event lost */
	HR_DROP_INFLIGHT = 1, /* no in-flight slot for the thread: call not recorded */
	HR_DROP_STR = 2,      /* a string argument could not be read */
	HR_DROP_NR = 3,	      /* number of counters */
};

/* Entry i of the spec map: how to capture system call number i. */
struct hr_syscall_spec {
	__u8 recorded; /* 1: record this call */
	__u8 nargs;
	__u8 arg_kind[HR_MAX_ARGS];  /* enum hr_arg_kind */
	__u16 arg_size[HR_MAX_ARGS]; /* max bytes for BUFLEN, MEM, COUNT32 */
	__u8 flags;		     /* HR_SPEC_F_* */
	__u8 filter_kind;	     /* with PATH_FILTER: HR_PATH_KIND_* */
	__u8 _pad0[2];
	__u32 arg0_extra; /* with ARG0_FILTER: one more accepted value */
	__u32 _pad1;
	__u64 arg0_mask; /* with ARG0_FILTER: accepted values below 64 */
};

/* Who made the call, taken at entry. */
struct hr_task {
	__u32 pid;  /* thread id */
	__u32 tgid; /* process id */
	__u32 ppid; /* real parent's process id */
	__u32 uid, euid, gid, egid;
	__u32 loginuid;	 /* (__u32)-1 when the task has no login session */
	__u32 sessionid; /* audit session id, (__u32)-1 when unset */
	__u32 _pad0;
	__u64 cgroup_id;
	char comm[HR_COMM_LEN];
};

/* Every event starts with this. */
struct hr_header {
	__u16 type; /* enum hr_event_type */
	__u16 _pad0;
	__u32 size;    /* bytes of this event, header included */
	__u64 boot_ns; /* CLOCK_BOOTTIME at entry */
	struct hr_task task;
};

/*
 * HR_EV_SYSCALL. Variable length: strs holds the string arguments back to
 * back, string k at the sum of the lengths before it; only the used part
 * of strs is sent, so size = offsetof(strs) + sum(str_len).
 */
struct hr_syscall_event {
	struct hr_header hdr;
	__s32 nr; /* system call number */
	__u8 nargs;
	__u8 str_truncated; /* bit k: slot k was cut at its bound */
	__u16 _pad0;
	__s64 ret; /* return value, -errno on failure */
	__u64 args[HR_MAX_ARGS];
	__u16 str_len[HR_MAX_STRS]; /* bytes read (strings: incl. NUL); 0 = none */
	__u16 str_arg[HR_MAX_STRS]; /* which argument filled slot k */
	__u16 _pad1[2];
	char strs[HR_STRS_SIZE];
};

/* HR_EV_EXEC: the path given to execve and the new image's identity. */
struct hr_exec_event {
	struct hr_header hdr;
	__u32 filename_len; /* bytes incl. NUL */
	__u32 _pad0;
	char filename[HR_STR_MAX];
};

/* HR_EV_EXIT: only the header; task.tgid has left. */
struct hr_exit_event {
	struct hr_header hdr;
};

/*
 * HR_EV_LOGIN: one call into libpam or libaudit, seen by a uprobe. Only
 * the items named here are ever read: never PAM_AUTHTOK, PAM_OLDAUTHTOK
 * or a conversation reply (the BPF side filters before reading).
 */
enum hr_login_op {
	HR_LOGIN_PAM_START = 1,		/* str 0 service, 1 user; ret; handle */
	HR_LOGIN_PAM_SET_ITEM = 2,	/* item; str 0 the value */
	HR_LOGIN_PAM_AUTHENTICATE = 3,	/* ret */
	HR_LOGIN_PAM_ACCT_MGMT = 4,	/* ret */
	HR_LOGIN_PAM_OPEN_SESSION = 5,	/* ret; hdr.task taken at return: the
					 * session's new loginuid/sessionid */
	HR_LOGIN_PAM_CLOSE_SESSION = 6, /* ret */
	HR_LOGIN_PAM_END = 7,		/* ret = the pam_status argument */
	HR_LOGIN_AUDIT_ACCT = 8,	/* audit_log_acct_message: audit_type,
					 * str 0 op, 1 name, 2 host, 3 addr,
					 * 4 tty; audit_id; ret = result */
	HR_LOGIN_AUDIT_CMD = 9,		/* audit_log_user_command: audit_type,
					 * str 0 command, 4 tty, 5 the caller's
					 * argv (NUL-separated); ret = result */
};

/* The PAM items a login event may carry (values of <security/_pam_types.h>). */
#define HR_PAM_SERVICE 1
#define HR_PAM_USER    2
#define HR_PAM_TTY     3
#define HR_PAM_RHOST   4
#define HR_PAM_RUSER   8

#define HR_LOGIN_STRS	  6
#define HR_LOGIN_STR_MAX  256
#define HR_LOGIN_ARGV_MAX 1024 /* slot 5: argv can be longer than a name */

struct hr_login_event {
	struct hr_header hdr;
	__u8 op;   /* enum hr_login_op */
	__u8 item; /* PAM_SET_ITEM: the item type */
	__u16 _pad0;
	__s32 ret;		      /* the call's result (see enum hr_login_op) */
	__u64 handle;		      /* pam_handle_t address: ties one transaction's
				 * calls together (not dereferenced) */
	__s32 audit_type;	      /* AUDIT_USER_LOGIN, AUDIT_USER_CMD... */
	__u32 audit_id;		      /* audit_log_acct_message's id (a uid or -1) */
	__u16 str_len[HR_LOGIN_STRS]; /* bytes read incl. NUL; 0 = none */
	__u16 _pad1[2];
	char strs[HR_LOGIN_STRS - 1][HR_LOGIN_STR_MAX];
	char argv[HR_LOGIN_ARGV_MAX]; /* slot 5 */
};

#define HR_SYSCALL_EVENT_FIXED_SIZE ((__u32) __builtin_offsetof(struct hr_syscall_event, strs))
#define HR_EXEC_EVENT_FIXED_SIZE    ((__u32) __builtin_offsetof(struct hr_exec_event, filename))

_Static_assert(sizeof(struct hr_task) == 64, "hr_task layout changed");
_Static_assert(sizeof(struct hr_header) == 80, "hr_header layout changed");
_Static_assert(__builtin_offsetof(struct hr_syscall_event, strs) == 160,
	       "hr_syscall_event layout changed");
_Static_assert(sizeof(struct hr_login_event) == 120 + 5 * HR_LOGIN_STR_MAX + HR_LOGIN_ARGV_MAX,
	       "hr_login_event layout changed");
_Static_assert(sizeof(struct hr_syscall_spec) == 40, "hr_syscall_spec layout changed");

#endif /* HOSTRAIL_ABI_H */

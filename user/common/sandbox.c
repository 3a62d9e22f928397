// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* sandbox.c - capabilities and the seccomp filter of the running phase
 * (sandbox.h says what is kept and why). */
#include <errno.h>
#include <linux/bpf.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "common/sandbox.h"

#define CAP_BIT(c) (1ULL << (c))

static atomic_bool enabled = true;

uint64_t hr_sandbox_kept_caps(void)
{
	return CAP_BIT(CAP_BPF) | CAP_BIT(CAP_PERFMON) | CAP_BIT(CAP_SYS_PTRACE) |
	       CAP_BIT(CAP_DAC_READ_SEARCH);
}

void hr_sandbox_set_enabled(bool on)
{
	atomic_store(&enabled, on);
}

bool hr_sandbox_enabled(void)
{
	return atomic_load(&enabled);
}

/* ---- capabilities (per thread: Linux keeps them in each thread's cred) ---- */

#define LOCKED_BITS                                                                              \
	(SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |                         \
	 SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED | SECBIT_NO_CAP_AMBIENT_RAISE | \
	 SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED)

/*
 * The calling thread down to keep. The securebits and the bounding set need
 * CAP_SETPCAP: a thread started after the capture loop dropped it inherits
 * both already reduced, so EPERM there is no failure.
 */
static int drop_caps(uint64_t keep, char *err, size_t errlen)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2] = {{0}};
	int bits = prctl(PR_GET_SECUREBITS);

	if (bits >= 0 && (bits & LOCKED_BITS) != LOCKED_BITS &&
	    prctl(PR_SET_SECUREBITS, bits | LOCKED_BITS) && errno != EPERM) {
		snprintf(err, errlen, "cannot lock the securebits: %s", strerror(errno));
		return -errno;
	}
	for (int cap = 0; prctl(PR_CAPBSET_READ, cap) >= 0; cap++)
		if (!(keep & CAP_BIT(cap)) && prctl(PR_CAPBSET_READ, cap) == 1 &&
		    prctl(PR_CAPBSET_DROP, cap) && errno != EPERM) {
			snprintf(err, errlen, "cannot drop capability %d from the bounding set: %s",
				 cap, strerror(errno));
			return -errno;
		}
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	d[0].effective = d[0].permitted = (uint32_t)keep;
	d[1].effective = d[1].permitted = (uint32_t)(keep >> 32);
	if (syscall(SYS_capset, &h, d)) {
		snprintf(err, errlen, "cannot set the capabilities: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

struct thread_start {
	void *(*fn)(void *);
	void *arg;
};

static void *thread_main(void *p)
{
	struct thread_start s = *(struct thread_start *)p;
	char err[160];

	free(p);
	if (hr_sandbox_enabled() && drop_caps(0, err, sizeof(err)))
		fprintf(stderr, "hostraild: a worker thread keeps its capabilities: %s\n", err);
	return s.fn(s.arg);
}

int hr_thread_create(pthread_t *t, void *(*fn)(void *), void *arg)
{
	struct thread_start *s = malloc(sizeof(*s));
	int rc;

	if (!s)
		return ENOMEM;
	s->fn = fn;
	s->arg = arg;
	rc = pthread_create(t, NULL, thread_main, s);
	if (rc)
		free(s);
	return rc;
}

/* ---- the seccomp filter ---- */

/* Refusals, from the SIGSYS handler: a count, and one bit per call number
 * (set once, taken by the loop for its log line). */
#define NR_MAX 1024
static atomic_ullong refused;
static atomic_uint refused_bits[NR_MAX / 32];
static atomic_uint reported_bits[NR_MAX / 32];

static void on_sigsys(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;
	int nr = si->si_syscall;

	(void)sig;
	atomic_fetch_add(&refused, 1);
	if (nr >= 0 && nr < NR_MAX)
		atomic_fetch_or(&refused_bits[nr / 32], 1u << (nr % 32));
		/* the call returns -EPERM, as if the kernel had refused it */
#if defined(__x86_64__)
	uc->uc_mcontext.gregs[REG_RAX] = -EPERM;
#elif defined(__aarch64__)
	uc->uc_mcontext.regs[0] = (unsigned long long)-EPERM;
#else
#error "on_sigsys: set the return register of this architecture"
#endif
}

uint64_t hr_sandbox_refused(void)
{
	return atomic_load(&refused);
}

int hr_sandbox_next_refused_nr(void)
{
	for (int w = 0; w < NR_MAX / 32; w++) {
		unsigned fresh = atomic_load(&refused_bits[w]) & ~atomic_load(&reported_bits[w]);

		if (fresh) {
			int b = __builtin_ctz(fresh);

			atomic_fetch_or(&reported_bits[w], 1u << b);
			return w * 32 + b;
		}
	}
	return -1;
}

const char *hr_sandbox_call_name(int nr)
{
	static char buf[64];
	char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);

	if (name)
		snprintf(buf, sizeof(buf), "%s", name);
	else
		snprintf(buf, sizeof(buf), "syscall %d", nr);
	free(name);
	return buf;
}

/*
 * What the agent calls once it runs, grouped by why. Found by tracing the
 * agent (strace -f) through the root suite's work: records, reloads,
 * selector changes, key rotation, the history, journald, S3 uploads, stop.
 * Left out on purpose: execve and fork (the agent runs nothing), mount,
 * module and kexec loading, ptrace, setuid and friends, chmod/chown of
 * anything but its own open files, namespaces, keyrings, BPF program and
 * map creation (all done before the filter).
 */
static const int plain_calls[] = {
	/* memory and threads (glibc, pthreads) */
	SCMP_SYS(brk),
	SCMP_SYS(mmap),
	SCMP_SYS(munmap),
	SCMP_SYS(mremap),
	SCMP_SYS(mprotect),
	SCMP_SYS(madvise),
	SCMP_SYS(futex),
	SCMP_SYS(set_robust_list),
	SCMP_SYS(rseq),
	SCMP_SYS(sched_yield),
	SCMP_SYS(sched_getaffinity),
	SCMP_SYS(exit),
	SCMP_SYS(exit_group),
	SCMP_SYS(membarrier),
	/* signals: SIGHUP/SIGTERM handling, the thread masks */
	SCMP_SYS(rt_sigaction),
	SCMP_SYS(rt_sigprocmask),
	SCMP_SYS(rt_sigreturn),
	SCMP_SYS(sigaltstack),
	SCMP_SYS(restart_syscall),
	/* time (the vDSO's fallbacks) and waiting */
	SCMP_SYS(clock_gettime),
	SCMP_SYS(clock_getres),
	SCMP_SYS(gettimeofday),
	SCMP_SYS(time),
	SCMP_SYS(nanosleep),
	SCMP_SYS(clock_nanosleep),
	/* who am I: logs, SQLite, glibc's user lookups */
	SCMP_SYS(getpid),
	SCMP_SYS(gettid),
	SCMP_SYS(getppid),
	SCMP_SYS(getuid),
	SCMP_SYS(geteuid),
	SCMP_SYS(getgid),
	SCMP_SYS(getegid),
	SCMP_SYS(getresuid),
	SCMP_SYS(getresgid),
	SCMP_SYS(getgroups),
	SCMP_SYS(uname),
	SCMP_SYS(sysinfo),
	SCMP_SYS(getrandom),
	SCMP_SYS(getcwd),
	/* files: spool, log files, digests, chain state, keys, the history
	 * (SQLite: locks, WAL, fchown of its own journal as root), /proc reads */
	SCMP_SYS(read),
	SCMP_SYS(write),
	SCMP_SYS(readv),
	SCMP_SYS(writev),
	SCMP_SYS(pread64),
	SCMP_SYS(pwrite64),
	SCMP_SYS(preadv),
	SCMP_SYS(pwritev),
	SCMP_SYS(lseek),
	SCMP_SYS(open),
	SCMP_SYS(openat),
	SCMP_SYS(close),
	SCMP_SYS(close_range),
	SCMP_SYS(dup),
	SCMP_SYS(dup2),
	SCMP_SYS(dup3),
	SCMP_SYS(fcntl),
	SCMP_SYS(flock),
	SCMP_SYS(stat),
	SCMP_SYS(lstat),
	SCMP_SYS(fstat),
	SCMP_SYS(newfstatat),
	SCMP_SYS(statx),
	SCMP_SYS(statfs),
	SCMP_SYS(fstatfs),
	SCMP_SYS(access),
	SCMP_SYS(faccessat),
	SCMP_SYS(faccessat2),
	SCMP_SYS(readlink),
	SCMP_SYS(readlinkat),
	SCMP_SYS(getdents64),
	SCMP_SYS(mkdir),
	SCMP_SYS(mkdirat),
	SCMP_SYS(rmdir),
	SCMP_SYS(unlink),
	SCMP_SYS(unlinkat),
	SCMP_SYS(rename),
	SCMP_SYS(renameat),
	SCMP_SYS(renameat2),
	SCMP_SYS(link),
	SCMP_SYS(linkat),
	SCMP_SYS(fsync),
	SCMP_SYS(fdatasync),
	SCMP_SYS(ftruncate),
	SCMP_SYS(fallocate),
	SCMP_SYS(fchmod),
	SCMP_SYS(fchown),
	SCMP_SYS(umask),
	SCMP_SYS(chmod),	/* an upload queue's folder to 0700 (no more than fchmod) */
	SCMP_SYS(memfd_create), /* journald's large entries */
	/* the ring buffer, the control socket, the workers' wake-ups */
	SCMP_SYS(epoll_create1),
	SCMP_SYS(epoll_ctl),
	SCMP_SYS(epoll_wait),
	SCMP_SYS(epoll_pwait),
	SCMP_SYS(epoll_pwait2),
	SCMP_SYS(poll),
	SCMP_SYS(ppoll),
	SCMP_SYS(select),
	SCMP_SYS(pselect6),
	SCMP_SYS(pipe),
	SCMP_SYS(pipe2),
	SCMP_SYS(eventfd2),
	/* sockets: journald, sd_notify, nscd and userdb, the control socket's
	 * clients, S3 over HTTP(S) with curl's resolver */
	SCMP_SYS(connect),
	SCMP_SYS(bind),
	SCMP_SYS(accept),
	SCMP_SYS(accept4),
	SCMP_SYS(getsockname),
	SCMP_SYS(getpeername),
	SCMP_SYS(setsockopt),
	SCMP_SYS(getsockopt),
	SCMP_SYS(sendto),
	SCMP_SYS(sendmsg),
	SCMP_SYS(sendmmsg),
	SCMP_SYS(recvfrom),
	SCMP_SYS(recvmsg),
	SCMP_SYS(recvmmsg),
	SCMP_SYS(shutdown),
	SCMP_SYS(socketpair),
	/* a new thread drops what it inherited (capset can only lower) */
	SCMP_SYS(capget),
	SCMP_SYS(capset),
	/* attaching and detaching tracepoints on a selector change */
	SCMP_SYS(perf_event_open),
	SCMP_SYS(ioctl),
};

/* bpf(): the map reads and writes and the links; never a new program or map. */
static const int bpf_cmds[] = {
	BPF_MAP_LOOKUP_ELEM,
	BPF_MAP_UPDATE_ELEM,
	BPF_MAP_DELETE_ELEM,
	BPF_MAP_GET_NEXT_KEY,
	BPF_MAP_LOOKUP_AND_DELETE_ELEM,
	BPF_OBJ_GET_INFO_BY_FD,
	BPF_RAW_TRACEPOINT_OPEN,
	BPF_LINK_CREATE,
	BPF_LINK_DETACH,
	BPF_PROG_ATTACH,
	BPF_PROG_DETACH,
};

static const int socket_domains[] = {AF_UNIX, AF_INET, AF_INET6, AF_NETLINK};

/* prctl(): thread names, reading the privileges, and the drops a new thread
 * makes (the bounding set and the ambient set only ever shrink here: the
 * securebits are locked), nothing that raises one. */
static const int prctl_ops[] = {PR_SET_NAME,	 PR_GET_NAME,	      PR_CAPBSET_READ,
				PR_CAPBSET_DROP, PR_CAP_AMBIENT,      PR_GET_SECUREBITS,
				PR_GET_DUMPABLE, PR_GET_NO_NEW_PRIVS, PR_GET_SECCOMP};

/* nr allowed when its first argument is one of values[] */
static int allow_first_arg(scmp_filter_ctx ctx, int nr, const int *values, size_t n)
{
	int rc = 0;

	for (size_t i = 0; !rc && i < n; i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
				      SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)values[i]));
	return rc;
}

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static int build_filter(scmp_filter_ctx ctx)
{
	int rc = 0;

	/* a call this architecture lacks (libseccomp's negative number) is skipped */
	for (size_t i = 0; !rc && i < N_OF(plain_calls); i++)
		if (plain_calls[i] >= 0)
			rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, plain_calls[i], 0);
	if (!rc)
		rc = allow_first_arg(ctx, SCMP_SYS(bpf), bpf_cmds, N_OF(bpf_cmds));
	if (!rc)
		rc = allow_first_arg(ctx, SCMP_SYS(socket), socket_domains, N_OF(socket_domains));
	if (!rc)
		rc = allow_first_arg(ctx, SCMP_SYS(prctl), prctl_ops, N_OF(prctl_ops));
	/* threads, never a process: clone only with CLONE_THREAD; clone3's
	 * flags are behind a pointer, so it says ENOSYS and glibc uses clone */
	if (!rc)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
				      SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD));
	if (!rc)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	/* signals to itself only (abort(), pthread_kill) */
	if (!rc)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
				      SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid()));
	/* a sink worker lowers its own priority to nice 19 (sink/worker.c);
	 * without CAP_SYS_NICE nothing can be raised */
	if (!rc)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(setpriority), 2,
				      SCMP_A0(SCMP_CMP_EQ, PRIO_PROCESS), SCMP_A2(SCMP_CMP_EQ, 19));
	/* reading a limit (pthread's stack size), never setting one */
	if (!rc)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prlimit64), 2,
				      SCMP_A0(SCMP_CMP_EQ, 0), SCMP_A2(SCMP_CMP_EQ, 0));
	return rc;
}

static int install_filter(char *err, size_t errlen)
{
	struct sigaction sa = {.sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO | SA_NODEFER};
	scmp_filter_ctx ctx;
	int rc;

	if (sigaction(SIGSYS, &sa, NULL)) {
		snprintf(err, errlen, "cannot handle SIGSYS: %s", strerror(errno));
		return -errno;
	}
	/* Anything else traps (on_sigsys: EPERM, counted); a call of another
	 * architecture (int 0x80, x32) kills the agent: it never makes one. */
	ctx = seccomp_init(SCMP_ACT_TRAP);
	if (!ctx) {
		snprintf(err, errlen, "cannot start a seccomp filter");
		return -ENOMEM;
	}
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	if (!rc)
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	if (!rc)
		rc = build_filter(ctx);
	if (!rc)
		rc = seccomp_load(ctx);
	if (rc)
		snprintf(err, errlen, "cannot install the seccomp filter: %s", strerror(-rc));
	seccomp_release(ctx);
	return rc;
}

int hr_sandbox_enter(char *err, size_t errlen)
{
	int rc = drop_caps(hr_sandbox_kept_caps(), err, errlen);

	if (rc || hr_sandbox_filter_skipped())
		return rc;
	return install_filter(err, errlen);
}

bool hr_sandbox_filter_skipped(void)
{
	/* LeakSanitizer's check at exit runs a ptrace()ing clone of the process
	 * with every signal blocked: under the filter it dies and the agent
	 * hangs. The unit tests still run the filter under ASan, in children
	 * that leave with _exit(). */
	return HR_SANDBOX_FOR_LSAN && !getenv("HOSTRAIL_SANDBOX_FILTER_UNDER_ASAN");
}

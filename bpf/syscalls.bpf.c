// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * syscalls.bpf.c - capture the recorded system calls.
 *
 * Only the per-call tracepoints of recorded calls are attached (never the
 * global raw_syscalls hook), so a call hostrail does not record pays
 * nothing beyond the syscall slow path. The entry program copies the
 * arguments and the caller's identity into the in-flight table; the exit
 * program adds the result and sends one event up the ring buffer.
 *
 * There is one entry program per argument count: the kernel refuses to
 * attach a tracepoint program that may read past the tracepoint's record,
 * and a sys_enter record holds exactly the call's arguments.
 *
 * Where the kernel allows trampolines, the open family is recorded by one
 * fexit program instead (hr_open_exit, at the end of this file); the
 * start-up probe in user/capture/probe.c decides.
 */
#include "common.bpf.h"
#include "paths.bpf.h"

#define HR_ARGV_MAX 32 /* execve arguments captured; more are marked truncated */

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/*
 * Recorded calls between entry and exit, all threads. Only a hint that
 * lets an exit skip its task storage lookup when it is 0: a call whose
 * exit never runs here (detached meanwhile) leaves it high, which costs
 * the lookup, never a record.
 */
__s64 hr_calls_in_flight = 0;

/* The dirfd a PATHAT argument is relative to: spec's arg_size is the
 * dirfd argument's index + 1, 0 meaning the cwd. */
static __always_inline int pathat_dirfd(__u16 dfa, const __u64 *args)
{
	__u32 k = (__u32)dfa - 1;

	/* keep clang from folding the bound check into an unbounded index */
	barrier_var(k);
	if (k >= HR_MAX_ARGS)
		return HR_AT_FDCWD;
	return (int)args[k];
}

/*
 * Copy an absolute path built in the scratch buffer (at start, len bytes
 * with its NUL) into e->strs at o. Returns the bytes written.
 */
static __always_inline long put_abs_path(struct hr_syscall_event *e, __u64 o, int slot,
					 struct hr_path_scratch *s, int start, __u32 len)
{
	/* 64-bit copies, checked then fenced: clang otherwise re-extends
	 * the 32-bit value into a register the verifier knows nothing of */
	__u64 cnt = len;

	if (cnt >= HR_STR_MAX) {
		cnt = HR_STR_MAX;
		e->str_truncated |= 1 << slot;
	}
	if (cnt > HR_STR_MAX || o > HR_STRS_SIZE - HR_STR_MAX)
		return 0;
	barrier_var(cnt);
	barrier_var(o);
	if (bpf_probe_read_kernel(&e->strs[o], cnt, hr_abs_start(s, start)))
		return 0;
	e->strs[(o + cnt - 1) & (HR_STRS_SIZE - 1)] = '\0';
	return cnt;
}

/*
 * A PATHAT argument, made absolute, into e->strs at o. Falls back to the
 * text as given when the kernel cannot decide (user space then resolves it
 * through /proc, as for management calls). Returns the bytes written.
 */
__noinline long capture_pathat(struct hr_syscall_event *e, __u64 o, int slot, __u64 uptr_,
			       int dirfd)
{
	const char *uptr = (const char *)uptr_;
	struct hr_path_scratch *s;
	__u32 zero = 0, len = 0;
	int start;

	if (!e || o > HR_STRS_SIZE - HR_STR_MAX || slot < 0 || slot >= HR_MAX_STRS)
		return 0;
	s = bpf_map_lookup_elem(&hr_path_scratch, &zero);
	start = s ? hr_abs_path(s, uptr, dirfd, &len) : -1;
	if (!s || start < 0 || start > HR_STR_MAX || !len) {
		long n = hr_read_user_str(&e->strs[o], HR_STR_MAX, uptr);

		if (n == HR_STR_MAX)
			e->str_truncated |= 1 << slot;
		return n < 0 ? 0 : n;
	}
	return put_abs_path(e, o, slot, s, start, len);
}

/*
 * An fd argument naming the call's object (fchmod, fchown...): the path of
 * the file it refers to, resolved now, before the caller can rename, unlink
 * or close it. Nothing when the kernel cannot name it (user space then
 * reads /proc, marked as resolved late). Returns the bytes written.
 */
__noinline long capture_fdpath(struct hr_syscall_event *e, __u64 o, int slot, int fd)
{
	struct hr_path_scratch *s;
	__u32 zero = 0, len = 0;
	int start;

	if (!e || o > HR_STRS_SIZE - HR_STR_MAX || slot < 0 || slot >= HR_MAX_STRS)
		return 0;
	s = bpf_map_lookup_elem(&hr_path_scratch, &zero);
	if (!s)
		return 0;
	start = hr_fd_abs_path(s, fd, &len);
	if (start < 0 || start > HR_STR_MAX || !len)
		return 0;
	return put_abs_path(e, o, slot, s, start, len);
}

/*
 * execve's argv: the strings NUL-separated, up to bound bytes, gathered in
 * the scratch buffer (fixed bounds the verifier can follow), then copied.
 */
__noinline long capture_argv(struct hr_syscall_event *e, __u64 o, int slot, __u64 argv_,
			     __u32 bound)
{
	const char *const *argv = (const char *const *)argv_;
	struct hr_path_scratch *s;
	__u64 used = 0; /* 64-bit: see capture_pathat */
	__u32 zero = 0;

	if (!e || o > HR_STRS_SIZE - HR_STR_MAX || !argv || slot < 0 || slot >= HR_MAX_STRS)
		return 0;
	if (bound > HR_STR_MAX)
		bound = HR_STR_MAX;
	s = bpf_map_lookup_elem(&hr_path_scratch, &zero);
	if (!s)
		return 0;
	for (int i = 0; i < HR_ARGV_MAX + 1; i++) {
		const char *p = NULL;
		long n;

		if (bpf_probe_read_user(&p, sizeof(p), &argv[i]) || !p)
			break;
		if (i == HR_ARGV_MAX || used + 1 >= bound) {
			e->str_truncated |= 1 << slot; /* more arguments than we keep */
			break;
		}
		n = hr_read_user_str(&s->buf[used & (HR_STR_MAX - 1)], HR_STR_MAX, p);
		if (n <= 0)
			break;
		if (used + n > bound) {
			/* cut at the bound, still NUL-terminated */
			used = bound;
			s->buf[(used - 1) & (HR_STR_MAX - 1)] = '\0';
			e->str_truncated |= 1 << slot;
			break;
		}
		used += n;
	}
	__u64 cnt = used;

	if (!cnt || cnt > HR_STR_MAX - 1 || o > HR_STRS_SIZE - HR_STR_MAX)
		return 0;
	barrier_var(cnt);
	barrier_var(o);
	if (bpf_probe_read_kernel(&e->strs[o], cnt, s->buf))
		return 0;
	return cnt;
}

/*
 * Copy one argument's memory into the next free slot of e->strs. Slots
 * are packed back to back; *off is where the next one starts.
 */
static __always_inline void capture_mem(struct hr_syscall_event *e, __u64 *off, int slot, int argi,
					__u8 kind, __u16 bound, const __u64 *args, int nargs)
{
	__u64 ptr = args[argi];
	__u64 o = *off;
	long n = 0;
	__u64 len;

	/* Keep the verifier's view of the write inside strs. */
	if (o > HR_STRS_SIZE - HR_STR_MAX)
		return;
	barrier_var(o);
	if (bound > HR_STR_MAX)
		bound = HR_STR_MAX;

	switch (kind) {
	case HR_ARG_PATHAT:
		if (!ptr)
			break;
		n = capture_pathat(e, o, slot, ptr, pathat_dirfd(bound, args));
		break;
	case HR_ARG_ARGV:
		n = capture_argv(e, o, slot, ptr, bound);
		break;
	case HR_ARG_FD:
		n = capture_fdpath(e, o, slot, (int)ptr);
		break;
	case HR_ARG_STR:
		if (!ptr)
			break; /* NULL is a legal value (acct(NULL)) */
		n = hr_read_user_str(&e->strs[o], HR_STR_MAX, (void *)ptr);
		if (n < 0) {
			hr_count_drop(HR_DROP_STR);
			n = 0;
		} else if (n == HR_STR_MAX) {
			e->str_truncated |= 1 << slot;
		}
		break;
	case HR_ARG_BUFLEN:
	case HR_ARG_MEM:
	case HR_ARG_COUNT32:
		if (kind == HR_ARG_MEM)
			len = bound;
		else if (kind == HR_ARG_BUFLEN)
			len = argi + 1 < nargs ? args[argi + 1] : 0;
		else
			len = argi > 0 ? args[argi - 1] * 4 : 0;
		if (len > bound) {
			len = bound;
			e->str_truncated |= 1 << slot;
		}
		/*
		 * len and bound are both registers here: 6.1's verifier
		 * learns no range from comparing them, so give it a
		 * constant one (the fence keeps clang from merging the
		 * two checks back into the register compare).
		 */
		barrier_var(len);
		if (len > HR_STR_MAX)
			break;
		if (!ptr || !len)
			break;
		if (bpf_probe_read_user(&e->strs[o], len, (void *)ptr)) {
			hr_count_drop(HR_DROP_STR);
			break;
		}
		n = len;
		break;
	}
	e->str_len[slot] = n;
	e->str_arg[slot] = argi;
	*off = o + (__u64)n;
}

static __always_inline bool arg0_accepted(const struct hr_syscall_spec *spec, __u64 a0)
{
	if (!(spec->flags & HR_SPEC_F_ARG0_FILTER))
		return true;
	if (a0 < 64 && (spec->arg0_mask >> a0) & 1)
		return true;
	return a0 == spec->arg0_extra;
}

/*
 * The call's record, built in the thread's in-flight slot from its number
 * and arguments (nargs -1: as many as the table says): NULL when the call is not recorded or the kernel filter
 * drops it (an unselected path, a read-only call no trail keeps). Every
 * hook (entry tracepoint, fexit) goes through here, so every hook builds
 * the same record.
 */
static __always_inline struct hr_syscall_event *build_call(__u32 nr, const __u64 *args, int nargs)
{
	const struct hr_syscall_spec *spec;
	struct hr_syscall_event *e;
	__u64 off = 0; /* 64-bit: no re-extension the verifier cannot follow */
	int slot = 0;

	spec = bpf_map_lookup_elem(&hr_specs, &nr);
	if (!spec || !spec->recorded)
		return NULL;
	if (nargs < 0) /* from saved registers: the table's count */
		nargs = spec->nargs < HR_MAX_ARGS ? spec->nargs : HR_MAX_ARGS;
	if (hr_agent_tgid && bpf_get_current_pid_tgid() >> 32 == hr_agent_tgid)
		return NULL;
	if (!arg0_accepted(spec, args[0]))
		return NULL;
	/* Data events: an unselected path costs one lookup and sends nothing. */
	if (spec->flags & HR_SPEC_F_PATH_FILTER) {
		int verdict = HR_FILTER_SKIPPED;

		for (int i = 0; i < HR_MAX_ARGS && verdict == HR_FILTER_SKIPPED; i++) {
			if (i >= nargs || spec->arg_kind[i] != HR_ARG_PATHAT)
				continue;
			verdict = hr_path_selected(spec->filter_kind, args[i],
						   pathat_dirfd(spec->arg_size[i], args));
		}
		hr_count_filter(verdict);
		if (verdict == HR_FILTER_SKIPPED)
			return NULL;
	}

	e = bpf_task_storage_get(&hr_inflight, bpf_get_current_task_btf(), NULL,
				 BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!e) {
		hr_count_drop(HR_DROP_INFLIGHT);
		return NULL;
	}
	/* Marked in flight only once complete: see the end of this function. */
	hr_fill_header(&e->hdr, 0);
	e->nr = nr;
	e->nargs = nargs;
	e->str_truncated = 0;
	e->_pad0 = 0;
	e->ret = 0;
	for (int i = 0; i < HR_MAX_ARGS; i++)
		e->args[i] = args[i];
	for (int k = 0; k < HR_MAX_STRS; k++) {
		e->str_len[k] = 0;
		e->str_arg[k] = 0;
	}
	e->_pad1[0] = e->_pad1[1] = 0;

	for (int i = 0; i < HR_MAX_ARGS; i++) {
		__u8 kind;

		if (i >= nargs || slot >= HR_MAX_STRS)
			break;
		kind = spec->arg_kind[i];
		if (kind == HR_ARG_VALUE)
			continue;
		capture_mem(e, &off, slot, i, kind, spec->arg_size[i], args, nargs);
		slot++;
	}

	/* adjtimex(modes=0) reads the clock state: readOnly, and dropped here
	 * when the loader says no trail keeps read-only calls. */
	if ((spec->flags & HR_SPEC_F_SKIP_MODES0) && e->str_len[0] >= 4 &&
	    *(__u32 *)&e->strs[0] == 0) {
		hr_count_filter(HR_FILTER_READ_ONLY);
		return NULL;
	}

	e->hdr.size = HR_SYSCALL_EVENT_FIXED_SIZE + off;
	e->hdr.type = HR_EV_SYSCALL;
	return e;
}

/* The finished record up the ring buffer; the slot is free again. */
static __always_inline void send_call(struct hr_syscall_event *e, long ret)
{
	__u64 size; /* 64-bit: see capture_pathat */

	e->ret = ret;
	/* Only an upper bound: a fused two-sided check is opaque to the
	 * verifier, and user space validates every size it receives. */
	size = e->hdr.size;
	if (size > sizeof(*e))
		size = sizeof(*e);
	barrier_var(size);
	if (bpf_ringbuf_output(&hr_events, e, size, hr_wakeup_flags()))
		hr_count_drop(HR_DROP_RINGBUF);
	e->hdr.type = 0;
}

static __always_inline int on_enter(struct trace_event_raw_sys_enter *ctx, const int nargs)
{
	__u32 nr = (__u32)(int)ctx->id; /* int __syscall_nr; the rest is padding */
	__u64 args[HR_MAX_ARGS] = {};

	/*
	 * Read exactly nargs arguments: nargs is a constant per program.
	 * Direct context loads, one per argument: a probe read each cost
	 * ~30 ns on every openat, and the verifier refuses the modified
	 * context pointer a loop compiles to.
	 */
	if (nargs > 0)
		args[0] = ctx->args[0];
	if (nargs > 1)
		args[1] = ctx->args[1];
	if (nargs > 2)
		args[2] = ctx->args[2];
	if (nargs > 3)
		args[3] = ctx->args[3];
	if (nargs > 4)
		args[4] = ctx->args[4];
	if (nargs > 5)
		args[5] = ctx->args[5];
	if (build_call(nr, args, nargs))
		__sync_fetch_and_add(&hr_calls_in_flight, 1);
	return 0;
}

#define HR_ENTER_PROG(n)                                           \
	SEC("tp")                                                  \
	int hr_sys_enter##n(struct trace_event_raw_sys_enter *ctx) \
	{                                                          \
		return on_enter(ctx, n);                           \
	}

HR_ENTER_PROG(0)
HR_ENTER_PROG(1)
HR_ENTER_PROG(2)
HR_ENTER_PROG(3)
HR_ENTER_PROG(4)
HR_ENTER_PROG(5)
HR_ENTER_PROG(6)

SEC("tp")
int hr_sys_exit(struct trace_event_raw_sys_exit *ctx)
{
	struct hr_syscall_event *e;

	/* Most exits follow a call the entry filtered out (an unselected
	 * openat): no task storage lookup when nothing is in flight. */
	if (!hr_calls_in_flight)
		return 0;
	e = bpf_task_storage_get(&hr_inflight, bpf_get_current_task_btf(), NULL, 0);
	if (!e || e->hdr.type != HR_EV_SYSCALL)
		return 0; /* entered before we attached, or filtered */
	__sync_fetch_and_add(&hr_calls_in_flight, -1);
	send_call(e, ctx->ret);
	return 0;
}

/*
 * The system call's number and arguments as user space passed them, from
 * the registers saved at kernel entry (x86-64's syscall convention; the
 * fourth argument is in r10). Still valid at exit for every call that does
 * not replace them (execve, rt_sigreturn: never read here). false for an
 * ia32 caller, whose numbers and registers differ (the tracepoints do not
 * see those either).
 */
static __always_inline bool saved_call(__u32 *nr, __u64 *args)
{
#ifdef __TARGET_ARCH_x86
	struct task_struct *task = bpf_get_current_task_btf();
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);

	if (BPF_CORE_READ(task, thread_info.status) & 0x0002 /* TS_COMPAT */)
		return false;
	*nr = (__u32)BPF_CORE_READ(regs, orig_ax);
	args[0] = BPF_CORE_READ(regs, di);
	args[1] = BPF_CORE_READ(regs, si);
	args[2] = BPF_CORE_READ(regs, dx);
	args[3] = BPF_CORE_READ(regs, r10);
	args[4] = BPF_CORE_READ(regs, r8);
	args[5] = BPF_CORE_READ(regs, r9);
	return true;
#else
	return false; /* the loader uses these programs on x86-64 only */
#endif
}

/*
 * One tracepoint instead of two (captureHook "exit-only", a measurement):
 * the call is built at exit from the saved registers. Its strings are read
 * after the kernel used them and its identity after the call changed it
 * (setuid), so it is not the default: docs/operations.md says why.
 */
SEC("tp")
int hr_sys_exit_only(struct trace_event_raw_sys_exit *ctx)
{
	struct hr_syscall_event *e;
	__u64 args[HR_MAX_ARGS];
	__u32 nr;

	if (!saved_call(&nr, args) || nr != (__u32)(int)ctx->id)
		return 0;
	e = build_call(nr, args, -1);
	if (e)
		send_call(e, ctx->ret);
	return 0;
}

/*
 * Data events on open(2), openat(2), openat2(2) and creat(2) where the
 * kernel allows trampolines: every one of them ends in do_sys_openat2(),
 * whose fexit sees the arguments (from the saved registers, as the
 * tracepoints give them) and the result at once. One program, no
 * in-flight join, and an unselected open never enters the syscall
 * tracepoints' slow path. Loaded only when the start-up probe says
 * fexit attaches (user/capture/probe.c).
 */
SEC("fexit/do_sys_openat2")
int BPF_PROG(hr_open_exit, int dfd, const char *filename, void *how, long ret)
{
	struct hr_syscall_event *e;
	__u64 args[HR_MAX_ARGS];
	__u32 nr;

	if (!saved_call(&nr, args))
		return 0;
	e = build_call(nr, args, -1);
	if (e)
		send_call(e, ret);
	return 0;
}

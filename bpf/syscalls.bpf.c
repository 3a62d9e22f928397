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
 */
#include "common.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/*
 * Copy one argument's memory into the next free slot of e->strs. Slots
 * are packed back to back; *off is where the next one starts.
 */
static __always_inline void capture_mem(struct hr_syscall_event *e, __u32 *off, int slot,
					int argi, __u8 kind, __u16 bound,
					const __u64 *args, int nargs)
{
	__u64 ptr = args[argi];
	__u32 o = *off;
	long n = 0;
	__u64 len;

	/* Keep the verifier's view of the write inside strs. */
	if (o > HR_STRS_SIZE - HR_STR_MAX)
		return;
	if (bound > HR_STR_MAX)
		bound = HR_STR_MAX;

	switch (kind) {
	case HR_ARG_STR:
		if (!ptr)
			break;	/* NULL is a legal value (acct(NULL)) */
		n = bpf_probe_read_user_str(&e->strs[o], HR_STR_MAX, (void *)ptr);
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
		if (!ptr || !len)
			break;
		if (bpf_probe_read_user(&e->strs[o], len & (HR_STR_MAX - 1 | HR_STR_MAX),
					(void *)ptr)) {
			hr_count_drop(HR_DROP_STR);
			break;
		}
		n = len;
		break;
	}
	e->str_len[slot] = n;
	e->str_arg[slot] = argi;
	*off = o + (__u32)n;
}

static __always_inline bool arg0_accepted(const struct hr_syscall_spec *spec, __u64 a0)
{
	if (!(spec->flags & HR_SPEC_F_ARG0_FILTER))
		return true;
	if (a0 < 64 && (spec->arg0_mask >> a0) & 1)
		return true;
	return a0 == spec->arg0_extra;
}

static __always_inline int on_enter(struct trace_event_raw_sys_enter *ctx, const int nargs)
{
	__u32 nr = (__u32)(int)ctx->id;	/* int __syscall_nr; the rest is padding */
	const struct hr_syscall_spec *spec;
	struct hr_syscall_event *e;
	__u64 args[HR_MAX_ARGS] = {};
	__u32 off = 0;
	int slot = 0;

	spec = bpf_map_lookup_elem(&hr_specs, &nr);
	if (!spec || !spec->recorded)
		return 0;
	if (hr_agent_tgid && bpf_get_current_pid_tgid() >> 32 == hr_agent_tgid)
		return 0;

	/* Read exactly nargs arguments: nargs is a constant per program. */
	for (int i = 0; i < HR_MAX_ARGS; i++)
		if (i < nargs)
			args[i] = BPF_CORE_READ(ctx, args[i]);
	if (!arg0_accepted(spec, args[0]))
		return 0;

	e = bpf_task_storage_get(&hr_inflight, bpf_get_current_task_btf(), NULL,
				 BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!e) {
		hr_count_drop(HR_DROP_INFLIGHT);
		return 0;
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

	/* adjtimex(modes=0) is a read of the clock state, not a change. */
	if ((spec->flags & HR_SPEC_F_SKIP_MODES0) && e->str_len[0] >= 4 &&
	    *(__u32 *)&e->strs[0] == 0)
		return 0;

	e->hdr.size = HR_SYSCALL_EVENT_FIXED_SIZE + off;
	e->hdr.type = HR_EV_SYSCALL;
	return 0;
}

#define HR_ENTER_PROG(n)						\
SEC("tp")								\
int hr_sys_enter##n(struct trace_event_raw_sys_enter *ctx)		\
{									\
	return on_enter(ctx, n);					\
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
	__u32 size;

	e = bpf_task_storage_get(&hr_inflight, bpf_get_current_task_btf(), NULL, 0);
	if (!e || e->hdr.type != HR_EV_SYSCALL)
		return 0;	/* entered before we attached, or filtered */
	e->ret = ctx->ret;
	/* Only an upper bound: a fused two-sided check is opaque to the
	 * verifier, and user space validates every size it receives. */
	size = e->hdr.size;
	if (size > sizeof(*e))
		size = sizeof(*e);
	if (bpf_ringbuf_output(&hr_events, e, size, hr_wakeup_flags()))
		hr_count_drop(HR_DROP_RINGBUF);
	e->hdr.type = 0;
	return 0;
}

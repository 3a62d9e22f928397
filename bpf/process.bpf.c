// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * process.bpf.c - process lifecycle, for the agent's executable cache.
 *
 * exec tells the agent which image a process now runs (the userAgent of
 * its later records); exit lets it forget the process.
 */
#include "common.bpf.h"

SEC("tp/sched/sched_process_exec")
int hr_exec(struct trace_event_raw_sched_process_exec *ctx)
{
	__u32 zero = 0, loc, size;
	struct hr_exec_event *e;
	long n;

	e = bpf_map_lookup_elem(&hr_exec_scratch, &zero);
	if (!e)
		return 0;
	hr_fill_header(&e->hdr, HR_EV_EXEC);
	e->_pad0 = 0;
	/* __data_loc: low 16 bits offset from the record start, high 16 length */
	loc = BPF_CORE_READ(ctx, __data_loc_filename);
	n = bpf_probe_read_kernel_str(e->filename, sizeof(e->filename),
				      (void *)ctx + (loc & 0xFFFF));
	if (n < 0)
		n = 0;
	e->filename_len = n;
	size = HR_EXEC_EVENT_FIXED_SIZE + ((__u32)n & (HR_STR_MAX - 1 | HR_STR_MAX));
	if (size > sizeof(*e))
		size = sizeof(*e);
	e->hdr.size = size;
	if (bpf_ringbuf_output(&hr_events, e, size, hr_wakeup_flags()))
		hr_count_drop(HR_DROP_RINGBUF);
	return 0;
}

SEC("tp/sched/sched_process_exit")
int hr_exit(struct trace_event_raw_sched_process_template *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct hr_exit_event *e;

	/* A thread that dies inside a recorded call never reaches sys_exit;
	 * its task storage goes with it. */
	if ((__u32)id != id >> 32)
		return 0; /* not the thread-group leader */
	e = bpf_ringbuf_reserve(&hr_events, sizeof(*e), 0);
	if (!e) {
		hr_count_drop(HR_DROP_RINGBUF);
		return 0;
	}
	hr_fill_header(&e->hdr, HR_EV_EXIT);
	e->hdr.size = sizeof(*e);
	bpf_ringbuf_submit(e, hr_wakeup_flags());
	return 0;
}

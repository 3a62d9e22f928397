/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * common.bpf.h - maps and helpers shared by every hostrail BPF program.
 *
 * All maps are declared here, __weak, so that each bpf/<area>.bpf.c can use
 * them and `bpftool gen object` merges them into one object: one ring
 * buffer keeps exec, exit and system-call events in the order they happened.
 */
#ifndef HOSTRAIL_COMMON_BPF_H
#define HOSTRAIL_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "hostrail_abi.h"

/* Set by the loader between open and load. */
const volatile __u64 hr_wakeup_bytes __weak = 256 * 1024;
/*
 * The agent's own process. Its calls are not recorded: writing the trail
 * (fchmod of each file it publishes) would otherwise record itself, batch
 * after batch, forever. auditd excludes itself the same way.
 */
const volatile __u32 hr_agent_tgid __weak = 0;

/* Events up to user space; size set by the loader. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 * 1024 * 1024);
} hr_events SEC(".maps") __weak;

/* How to capture each system call number; filled by the loader. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, HR_MAX_SYSCALL_NR);
	__type(key, __u32);
	__type(value, struct hr_syscall_spec);
} hr_specs SEC(".maps") __weak;

/*
 * The call between entry and exit, per thread, in task-local storage: the
 * slot is created on a thread's first recorded call, filled in place (no
 * per-call allocation or copy), and freed by the kernel when the thread
 * exits. hdr.type == HR_EV_SYSCALL marks a call in flight.
 */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct hr_syscall_event);
} hr_inflight SEC(".maps") __weak;

/* Per-CPU build area for exec events: too big for the 512-byte BPF stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct hr_exec_event);
} hr_exec_scratch SEC(".maps") __weak;

/* enum hr_drop_reason -> count, per CPU; the agent sums and reports them. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, HR_DROP_NR);
	__type(key, __u32);
	__type(value, __u64);
} hr_drops SEC(".maps") __weak;

/* Data events: the selected path prefixes; filled by the agent. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 4096);
	__type(key, struct hr_path_key);
	__type(value, __u8);
} hr_path_filter SEC(".maps") __weak;

/* enum hr_filter_counter -> count, per CPU: proves what the filter kept
 * out of the ring buffer. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, HR_FILTER_NR);
	__type(key, __u32);
	__type(value, __u64);
} hr_filter_stats SEC(".maps") __weak;

static __always_inline void hr_count_drop(__u32 reason)
{
	__u64 *n = bpf_map_lookup_elem(&hr_drops, &reason);

	if (n)
		*n += 1; /* per-CPU slot: no other writer */
}

/*
 * Wake the reader only once enough data is waiting: one wake-up per
 * batch instead of one per event keeps a burst of recorded calls from
 * turning into a burst of context switches. The reader also polls on a
 * short timeout, so a lone event is never stranded.
 */
static __always_inline __u64 hr_wakeup_flags(void)
{
	return bpf_ringbuf_query(&hr_events, BPF_RB_AVAIL_DATA) >= hr_wakeup_bytes ?
		       BPF_RB_FORCE_WAKEUP :
		       BPF_RB_NO_WAKEUP;
}

/*
 * A user string into dst (size bytes, a constant). Returns the bytes
 * written with the NUL, or -errno. bpf_probe_read_user_str() returns 0,
 * not 1, for "" (strncpy_from_user_nofault counts the NUL only after a
 * non-empty string), which would read as unreadable: "" is one NUL byte.
 */
static __always_inline long hr_read_user_str(char *dst, __u32 size, const void *uptr)
{
	long n = bpf_probe_read_user_str(dst, size, uptr);

	if (n == 0) {
		dst[0] = '\0';
		n = 1;
	}
	return n;
}

/* Who is running: taken at entry, before the call can change it. */
static __always_inline void hr_fill_task(struct hr_task *t)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u64 id = bpf_get_current_pid_tgid();

	t->pid = (__u32)id;
	t->tgid = id >> 32;
	t->ppid = BPF_CORE_READ(task, real_parent, tgid);
	t->uid = BPF_CORE_READ(task, cred, uid.val);
	t->euid = BPF_CORE_READ(task, cred, euid.val);
	t->gid = BPF_CORE_READ(task, cred, gid.val);
	t->egid = BPF_CORE_READ(task, cred, egid.val);
	/* Kernels built without CONFIG_AUDITSYSCALL have no login identity. */
	if (bpf_core_field_exists(task->loginuid)) {
		t->loginuid = BPF_CORE_READ(task, loginuid.val);
		t->sessionid = BPF_CORE_READ(task, sessionid);
	} else {
		t->loginuid = (__u32)-1;
		t->sessionid = (__u32)-1;
	}
	t->_pad0 = 0;
	t->cgroup_id = bpf_get_current_cgroup_id();
	bpf_get_current_comm(t->comm, sizeof(t->comm));
}

static __always_inline void hr_fill_header(struct hr_header *h, __u16 type)
{
	h->type = type;
	h->_pad0 = 0;
	h->size = 0;
	h->boot_ns = bpf_ktime_get_boot_ns();
	hr_fill_task(&h->task);
}

#endif

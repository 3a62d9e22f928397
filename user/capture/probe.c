// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * probe.c - which BPF hooks this kernel lets the agent attach.
 *
 * Decided by loading and attaching a two-instruction program of each kind
 * at start, never from the kernel's version or config: a kernel can have
 * CONFIG_BPF_LSM and fentry support compiled in and still refuse them at
 * attach (EPERM under some lockdown and hardening setups), and a BPF-LSM
 * program attaches but never runs when "bpf" is not in the active LSMs.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <linux/perf_event.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "capture/probe.h"
#include "common/log.h"

/* The kernel function the data event fexit program hooks (bpf/syscalls.bpf.c). */
#define OPEN_FUNC "do_sys_openat2"

static const char *const hook_names[HR_HOOK_NR] = {
	[HR_HOOK_LSM] = "lsm",
	[HR_HOOK_FENTRY] = "fentry",
	[HR_HOOK_KPROBE] = "kprobe",
	[HR_HOOK_RAW_TRACEPOINT] = "rawTracepoint",
	[HR_HOOK_TRACEPOINT] = "tracepoint",
};

const char *hr_hook_name(enum hr_hook h)
{
	return h >= 0 && h < HR_HOOK_NR ? hook_names[h] : "unknown";
}

/* r0 = 0; exit: allowed everywhere, changes nothing (an LSM's 0 is "allow"). */
static int load_trivial(enum bpf_prog_type type, enum bpf_attach_type attach, __u32 btf_id)
{
	const struct bpf_insn insns[] = {
		{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0},
		{.code = BPF_JMP | BPF_EXIT},
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = attach,
		    .attach_btf_id = btf_id);
	int fd = bpf_prog_load(type, "hr_probe", "GPL", insns, 2, &opts);

	return fd < 0 ? -errno : fd;
}

/* A link made and dropped at once (the trivial program detaches): 0, or
 * -errno saying why the kernel would not make it. */
static int made_link(int link)
{
	if (link < 0)
		return -errno;
	close(link);
	return 0;
}

static int vmlinux_func(const char *name)
{
	struct btf *btf = btf__load_vmlinux_btf();
	int id;

	if (!btf)
		return -errno;
	id = btf__find_by_name_kind(btf, name, BTF_KIND_FUNC);
	btf__free(btf);
	return id < 0 ? -ENOENT : id;
}

/* A BTF-attached program (fexit, LSM): its link is made by LINK_CREATE. */
static int probe_btf(enum bpf_prog_type type, enum bpf_attach_type attach, const char *func)
{
	int id = vmlinux_func(func), fd, link;

	if (id < 0)
		return id;
	fd = load_trivial(type, attach, id);
	if (fd < 0)
		return fd;
	link = made_link(bpf_link_create(fd, 0, attach, NULL));
	close(fd);
	return link;
}

/* Attached and also run: "bpf" must be among the active LSMs (lsm=). */
static int probe_lsm(void)
{
	char list[512] = "";
	int err = probe_btf(BPF_PROG_TYPE_LSM, BPF_LSM_MAC, "bpf_lsm_file_open");
	int fd;

	if (err)
		return err;
	/* securityfs says which LSMs run; mounted if nothing else did */
	if (access("/sys/kernel/security/lsm", F_OK) &&
	    mount("securityfs", "/sys/kernel/security", "securityfs",
		  MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) == 0)
		hr_info("mounted securityfs on /sys/kernel/security");
	fd = open("/sys/kernel/security/lsm", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t n = read(fd, list, sizeof(list) - 1);

		list[n > 0 ? n : 0] = '\0';
		close(fd);
	}
	/* "lockdown,capability,...,bpf": a whole name, not a part of one */
	for (char *p = strtok(list, ",\n"); p; p = strtok(NULL, ",\n"))
		if (!strcmp(p, "bpf"))
			return 0;
	return -ENOPKG;
}

static int read_int(const char *path)
{
	char buf[32] = "";
	int fd = open(path, O_RDONLY | O_CLOEXEC), v = -ENOENT;

	if (fd < 0)
		return -errno;
	if (read(fd, buf, sizeof(buf) - 1) > 0 && sscanf(buf, "%d", &v) != 1)
		v = -EINVAL;
	close(fd);
	return v;
}

/*
 * A perf event with the trivial program on it: a kprobe on OPEN_FUNC
 * (type from the kprobe PMU), or the getppid entry tracepoint (by its id).
 */
static int probe_perf(enum bpf_prog_type type)
{
	bool kprobe = type == BPF_PROG_TYPE_KPROBE;
	int num = read_int(kprobe ? "/sys/bus/event_source/devices/kprobe/type" :
				    "/sys/kernel/tracing/events/syscalls/sys_enter_getppid/id");
	struct perf_event_attr attr = {.size = sizeof(attr)};
	int fd, pfd, link;

	if (num < 0)
		return num;
	attr.type = kprobe ? (__u32)num : PERF_TYPE_TRACEPOINT;
	if (kprobe)
		attr.config1 = (__u64)(unsigned long)OPEN_FUNC; /* kprobe_func */
	else
		attr.config = num;
	fd = load_trivial(type, 0, 0);
	if (fd < 0)
		return fd;
	pfd = syscall(__NR_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	if (pfd < 0) {
		link = -errno;
		close(fd);
		return link;
	}
	link = made_link(bpf_link_create(fd, pfd, BPF_PERF_EVENT, NULL));
	close(pfd);
	close(fd);
	return link;
}

static int probe_raw_tracepoint(void)
{
	int fd = load_trivial(BPF_PROG_TYPE_RAW_TRACEPOINT, 0, 0), link;

	if (fd < 0)
		return fd;
	link = made_link(bpf_raw_tracepoint_open("sys_enter", fd));
	close(fd);
	return link;
}

void hr_probe_hooks(struct hr_hook_probe *p)
{
	p->err[HR_HOOK_LSM] = probe_lsm();
	p->err[HR_HOOK_FENTRY] = probe_btf(BPF_PROG_TYPE_TRACING, BPF_TRACE_FEXIT, OPEN_FUNC);
	p->err[HR_HOOK_KPROBE] = probe_perf(BPF_PROG_TYPE_KPROBE);
	p->err[HR_HOOK_RAW_TRACEPOINT] = probe_raw_tracepoint();
	p->err[HR_HOOK_TRACEPOINT] = probe_perf(BPF_PROG_TYPE_TRACEPOINT);
}

bool hr_probe_allows(const struct hr_hook_probe *p, enum hr_hook h)
{
	return h >= 0 && h < HR_HOOK_NR && p->err[h] == 0;
}

int hr_probe_describe(const struct hr_hook_probe *p, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (int h = 0; h < HR_HOOK_NR && o < len; h++) {
		int err = p->err[h];
		const char *why = "";

		if (err == -ENOPKG)
			why = " (bpf is not among the active LSMs: lsm=)";
		else if (err)
			why = strerrorname_np(-err) ? strerrorname_np(-err) : "(error)";
		o += snprintf(buf + o, len - o, "%s%s %s%s%s", h ? ", " : "", hook_names[h],
			      err ? "no" : "yes", err && err != -ENOPKG ? " " : "", why);
	}
	return o < len ? 0 : -ENOSPC;
}

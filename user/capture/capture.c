// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * capture.c - open -> configure -> load -> attach -> poll -> destroy.
 *
 * Probes features, not kernel versions: a recorded call whose tracepoint
 * this kernel lacks (no CONFIG_MODULES, no CONFIG_KEXEC) is reported as
 * not recordable and the rest go on.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <linux/magic.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "common/sandbox.h"
#include "hostrail.skel.h"
#include "capture/capture.h"
#include "capture/probe.h"
#include "capture/uprobes.h"
#include "common/log.h"
#include "decode/syscall_table.h"

#define DEFAULT_RINGBUF_BYTES (32u << 20)

/* hr_open_exit and hr_sys_exit_only read the saved registers by x86-64's
 * syscall convention only; elsewhere the tracepoints serve every call. */
#ifdef __x86_64__
#define SAVED_REGS_KNOWN 1
#else
#define SAVED_REGS_KNOWN 0
#endif

struct hr_capture {
	struct hr_capture_opts opts;
	struct hostrail_bpf *skel;
	struct ring_buffer *rb;
	struct bpf_link **links; /* lifecycle programs' links (none today) */
	int n_links;
	/* Per table row: its entry and exit links, NULL when not attached. */
	struct bpf_link **row_enter, **row_exit;
	bool *row_ok;	 /* the kernel has the row's tracepoints */
	bool *row_fexit; /* served by hr_open_exit instead of tracepoints */
	int n_attached;
	struct hr_hook_probe probe;
	enum hr_capture_hook data_hook; /* the open family's hook */
	enum hr_capture_hook call_hook; /* every other recorded call's */
	char unavailable[1024];
};

/*
 * libbpf's messages, into the agent's log line by line and never cut. A
 * verifier log (libbpf sends one as a single message) is kept whole in a
 * file of the state directory and only its last lines are logged: the
 * reason the kernel refused a program is at the end, and the whole log of
 * a large program runs to thousands of lines.
 */
#define VERIFIER_TAIL_LINES 20

static const char *verifier_log_dir; /* hr_capture_opts.state_dir, during load */

static void log_lines(enum hr_log_level level, const char *prefix, const char *text)
{
	const char *p = text, *nl;

	for (; *p; p = nl + 1) {
		nl = strchrnul(p, '\n');
		if (!strncmp(p, prefix, strlen(prefix)))
			p += strlen(prefix); /* libbpf's own "libbpf: " */
		hr_log(level, "%s%.*s", prefix, (int)(nl - p), p);
		if (!*nl)
			break;
	}
}

/* "prog 'NAME': -- BEGIN PROG LOAD LOG --\n...-- END PROG LOAD LOG --" */
static bool log_verifier(const char *msg)
{
	const char *begin = strstr(msg, "-- BEGIN PROG LOAD LOG --\n");
	const char *name = strstr(msg, "prog '"), *end, *tail;
	char prog[64] = "unknown", path[4096] = "";
	int lines = 0, fd;

	if (!begin)
		return false;
	if (name && name < begin) {
		name += strlen("prog '");
		snprintf(prog, sizeof(prog), "%.*s", (int)strcspn(name, "'/"), name);
	}
	begin += strlen("-- BEGIN PROG LOAD LOG --\n");
	end = strstr(begin, "-- END PROG LOAD LOG --");
	if (!end)
		end = begin + strlen(begin);
	if (verifier_log_dir) {
		snprintf(path, sizeof(path), "%s/verifier-%s.log", verifier_log_dir, prog);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 || write(fd, begin, end - begin) != end - begin) {
			hr_warn("failed to keep the verifier log in %s: %s", path, strerror(errno));
			path[0] = '\0';
		}
		if (fd >= 0)
			close(fd);
	}
	/* back over the last lines, not counting the one that ends the log */
	tail = end > begin && end[-1] == '\n' ? end - 1 : end;
	for (; tail > begin; tail--)
		if (tail[-1] == '\n' && ++lines == VERIFIER_TAIL_LINES)
			break;
	hr_err("the kernel's verifier refused BPF program %s; %s%s; its last lines:", prog,
	       path[0] ? "the whole log is in " : "the whole log could not be kept",
	       path[0] ? path : "");
	{
		char *last = strndup(tail, end - tail);

		if (last)
			log_lines(HR_LOG_ERROR, "verifier: ", last);
		free(last);
	}
	return true;
}

static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char *msg = NULL;

	if (level == LIBBPF_DEBUG)
		return 0;
	if (vasprintf(&msg, fmt, ap) < 0)
		return 0;
	if (!log_verifier(msg))
		log_lines(level == LIBBPF_WARN ? HR_LOG_WARN : HR_LOG_DEBUG, "libbpf: ", msg);
	free(msg);
	return 0;
}

static bool is_fs(const char *path, long magic)
{
	struct statfs st;

	return statfs(path, &st) == 0 && st.f_type == magic;
}

/* libbpf finds tracepoint ids under /sys/kernel/tracing; mount it there. */
static int ensure_tracefs(void)
{
	if (access("/sys/kernel/tracing/events/syscalls", F_OK) == 0)
		return 0;
	if (mount("tracefs", "/sys/kernel/tracing", "tracefs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  NULL) &&
	    errno != EBUSY) {
		hr_err("failed to mount tracefs on /sys/kernel/tracing: %s", strerror(errno));
		return -errno;
	}
	if (access("/sys/kernel/tracing/events/syscalls", F_OK) != 0) {
		hr_err("this kernel has no system call tracepoints "
		       "(/sys/kernel/tracing/events/syscalls): it needs CONFIG_FTRACE_SYSCALLS");
		return -ENOTSUP;
	}
	hr_info("mounted tracefs on /sys/kernel/tracing");
	return 0;
}

static void ensure_bpffs(void)
{
	if (is_fs("/sys/fs/bpf", BPF_FS_MAGIC))
		return;
	/* Nothing is pinned yet; later features pin here. Not fatal. */
	if (mount("bpf", "/sys/fs/bpf", "bpf", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0700"))
		hr_warn("failed to mount bpffs on /sys/fs/bpf: %s", strerror(errno));
	else
		hr_info("mounted bpffs on /sys/fs/bpf");
}

int hr_capture_check_environment(void)
{
	if (geteuid() != 0) {
		hr_err("hostraild must run as root: it loads BPF programs and reads "
		       "every process's identity");
		return -EPERM;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
		hr_err("this kernel has no BTF (/sys/kernel/btf/vmlinux): hostrail needs a "
		       "kernel built with CONFIG_DEBUG_INFO_BTF");
		return -ENOTSUP;
	}
	if (libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) != 1) {
		hr_err("this kernel has no BPF ring buffer (Linux 5.8 or later is needed)");
		return -ENOTSUP;
	}
	return 0;
}

static bool tracepoint_exists(const char *category, const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "/sys/kernel/tracing/events/%s/%s/id", category, name);
	return access(path, F_OK) == 0;
}

static struct bpf_program *enter_prog(struct hostrail_bpf *skel, int nargs)
{
	struct bpf_program *by_nargs[] = {
		skel->progs.hr_sys_enter0, skel->progs.hr_sys_enter1, skel->progs.hr_sys_enter2,
		skel->progs.hr_sys_enter3, skel->progs.hr_sys_enter4, skel->progs.hr_sys_enter5,
		skel->progs.hr_sys_enter6,
	};

	return nargs >= 0 && nargs <= HR_MAX_ARGS ? by_nargs[nargs] : NULL;
}

static bool name_attached(const struct hr_capture *c, const char *event_name, const bool *ok)
{
	for (size_t i = 0; i < hr_syscall_table_len; i++)
		if (ok[i] && !strcmp(hr_syscall_table[i].event_name, event_name))
			return true;
	return false;
}

/* The open family ends in do_sys_openat2(), where hr_open_exit sees it. */
static bool open_family(const struct hr_syscall_desc *d)
{
	return d->nr == SYS_openat || d->nr == SYS_openat2
#ifdef SYS_open
	       || d->nr == SYS_open || d->nr == SYS_creat
#endif
		;
}

static bool row_attached(const struct hr_capture *c, size_t i)
{
	return c->row_enter[i] || c->row_fexit[i];
}

static void detach_row(struct hr_capture *c, size_t i)
{
	if (c->row_fexit[i]) {
		/* hr_open_exit stays attached for the others: not recorded is off */
		struct hr_syscall_spec off = {0};
		__u32 nr = hr_syscall_table[i].nr;

		bpf_map_update_elem(bpf_map__fd(c->skel->maps.hr_specs), &nr, &off, BPF_ANY);
		c->row_fexit[i] = false;
		c->n_attached--;
		return;
	}
	bpf_link__destroy(c->row_enter[i]);
	bpf_link__destroy(c->row_exit[i]);
	if (c->row_enter[i])
		c->n_attached--;
	c->row_enter[i] = c->row_exit[i] = NULL;
}

/* The row's spec for the kernel; its read-only calls are dropped there
 * unless some trail may keep them. */
static int write_spec(struct hr_capture *c, size_t i)
{
	const struct hr_syscall_desc *d = &hr_syscall_table[i];
	struct hr_syscall_spec spec;
	__u32 nr = d->nr;

	hr_syscall_spec_fill(d, &spec);
	if ((spec.flags & HR_SPEC_F_SKIP_MODES0) &&
	    (!c->opts.want_read_only || c->opts.want_read_only(c->opts.want_arg, d)))
		spec.flags &= ~HR_SPEC_F_SKIP_MODES0;
	if (bpf_map_update_elem(bpf_map__fd(c->skel->maps.hr_specs), &nr, &spec, BPF_ANY)) {
		hr_err("failed to configure %s: %s", d->syscall, strerror(errno));
		return -errno;
	}
	return 0;
}

static int attach_row(struct hr_capture *c, size_t i)
{
	const struct hr_syscall_desc *d = &hr_syscall_table[i];
	char enter[96], exit_[96];
	int err;

	snprintf(enter, sizeof(enter), "sys_enter_%s", d->syscall);
	snprintf(exit_, sizeof(exit_), "sys_exit_%s", d->syscall);
	err = write_spec(c, i);
	if (err)
		return err;
	if (c->data_hook == HR_CAPTURE_HOOK_FEXIT && open_family(d)) {
		c->row_fexit[i] = true;
		c->n_attached++;
		return 0;
	}
	/* exit-only: the exit link is kept as the row's only link; execve's
	 * registers are the new program's by its exit, so it keeps both */
	if (c->call_hook == HR_CAPTURE_HOOK_EXIT_ONLY && d->nr != SYS_execve &&
	    d->nr != SYS_execveat) {
		c->row_enter[i] = bpf_program__attach_tracepoint(c->skel->progs.hr_sys_exit_only,
								 "syscalls", exit_);
		if (!c->row_enter[i]) {
			err = -errno;
			hr_err("failed to attach to syscalls/%s: %s", exit_, strerror(-err));
			return err;
		}
		c->n_attached++;
		return 0;
	}
	c->row_enter[i] = bpf_program__attach_tracepoint(enter_prog(c->skel, d->nargs), "syscalls",
							 enter);
	if (!c->row_enter[i]) {
		err = -errno;
		hr_err("failed to attach to syscalls/%s: %s", enter, strerror(-err));
		return err;
	}
	c->row_exit[i] = bpf_program__attach_tracepoint(c->skel->progs.hr_sys_exit, "syscalls",
							exit_);
	if (!c->row_exit[i]) {
		err = -errno;
		hr_err("failed to attach to syscalls/%s: %s", exit_, strerror(-err));
		bpf_link__destroy(c->row_enter[i]);
		c->row_enter[i] = NULL;
		return err;
	}
	c->n_attached++;
	return 0;
}

static bool wanted(const struct hr_capture *c, size_t i)
{
	return c->row_ok[i] &&
	       (!c->opts.want || c->opts.want(c->opts.want_arg, &hr_syscall_table[i]));
}

/*
 * Attach entry/exit for every wanted row the kernel has, detach the
 * others. bpf(2) goes last: attaching is itself a series of
 * bpf(LINK_CREATE) calls, and the agent's own start-up is not worth a
 * page of records.
 */
int hr_capture_reattach(struct hr_capture *c)
{
	for (size_t n = 0; n < 2 * hr_syscall_table_len; n++) {
		size_t i = n % hr_syscall_table_len;
		int err;

		if ((hr_syscall_table[i].nr == SYS_bpf) != (n >= hr_syscall_table_len))
			continue;
		if (!wanted(c, i))
			continue;
		/* an attached row's read-only choice may have changed */
		err = row_attached(c, i) ? write_spec(c, i) : attach_row(c, i);
		if (err)
			return err;
	}
	for (size_t i = 0; i < hr_syscall_table_len; i++)
		if (!wanted(c, i) && row_attached(c, i))
			detach_row(c, i);
	return 0;
}

/* Find the rows this kernel has, then attach the wanted ones. */
static int attach_syscalls(struct hr_capture *c)
{
	size_t used = 0;

	for (size_t i = 0; i < hr_syscall_table_len; i++) {
		const struct hr_syscall_desc *d = &hr_syscall_table[i];
		char enter[96], exit_[96];

		snprintf(enter, sizeof(enter), "sys_enter_%s", d->syscall);
		snprintf(exit_, sizeof(exit_), "sys_exit_%s", d->syscall);
		c->row_ok[i] = d->nr >= 0 && d->nr < HR_MAX_SYSCALL_NR &&
			       tracepoint_exists("syscalls", enter) &&
			       tracepoint_exists("syscalls", exit_);
	}

	/* Say once, clearly, what this kernel cannot give us. */
	c->unavailable[0] = '\0';
	for (size_t i = 0; i < hr_syscall_table_len; i++) {
		const char *name = hr_syscall_table[i].event_name;

		if (c->row_ok[i] || name_attached(c, name, c->row_ok) ||
		    strstr(c->unavailable, name))
			continue;
		used += snprintf(c->unavailable + used, sizeof(c->unavailable) - used, "%s%s",
				 used ? "," : "", name);
		if (used >= sizeof(c->unavailable))
			break;
	}
	if (c->unavailable[0])
		hr_warn("not recordable on this kernel (no such system call tracepoint): %s",
			c->unavailable);
	return hr_capture_reattach(c);
}

/*
 * The cheapest hook this kernel allows for data events: fexit where
 * trampolines attach (an unselected open then never takes the syscall
 * tracepoints' slow path), the syscall tracepoints otherwise or when the
 * configuration forces them. BPF-LSM file_open is probed and reported but
 * not used: it runs before the file descriptor exists, so it cannot give
 * the record's result without an exit tracepoint to join.
 */
static void choose_hooks(struct hr_capture *c)
{
	char probed[512];

	hr_probe_hooks(&c->probe);
	hr_probe_describe(&c->probe, probed, sizeof(probed));
	hr_info("BPF hooks this kernel attaches: %s", probed);
	c->data_hook = HR_CAPTURE_HOOK_TRACEPOINT;
	c->call_hook = HR_CAPTURE_HOOK_TRACEPOINT;
	if (c->opts.choice == HR_CAPTURE_TRACEPOINT) {
		hr_info("captureHook is \"tracepoint\": the syscall tracepoints for everything");
	} else if (c->opts.choice == HR_CAPTURE_EXIT_ONLY && SAVED_REGS_KNOWN) {
		hr_warn("captureHook is \"exit-only\": arguments and identity are read when a "
			"call returns (a measurement, see docs/operations.md)");
		c->data_hook = c->call_hook = HR_CAPTURE_HOOK_EXIT_ONLY;
	} else if (hr_probe_allows(&c->probe, HR_HOOK_FENTRY) && SAVED_REGS_KNOWN) {
		c->data_hook = HR_CAPTURE_HOOK_FEXIT;
	}
}

/* open -> configure -> load -> attach the lifecycle (and fexit) programs */
static int load_programs(struct hr_capture *c, size_t rb_bytes)
{
	int err;

	c->skel = hostrail_bpf__open();
	if (!c->skel) {
		err = -errno;
		hr_err("failed to open the BPF programs: %s", strerror(-err));
		return err;
	}
	err = bpf_map__set_max_entries(c->skel->maps.hr_events, rb_bytes);
	if (err) {
		hr_err("failed to size the ring buffer to %zu bytes: %s", rb_bytes, strerror(-err));
		return err;
	}
	c->skel->rodata->hr_wakeup_bytes = rb_bytes / 64;
	c->skel->rodata->hr_agent_tgid = getpid();
	bpf_program__set_autoload(c->skel->progs.hr_open_exit,
				  c->data_hook == HR_CAPTURE_HOOK_FEXIT);
	bpf_program__set_autoload(c->skel->progs.hr_sys_exit_only,
				  c->call_hook == HR_CAPTURE_HOOK_EXIT_ONLY);
	verifier_log_dir = c->opts.state_dir;
	err = hostrail_bpf__load(c->skel);
	verifier_log_dir = NULL;
	if (err) {
		hr_err("failed to load the BPF programs: %s", strerror(-err));
		return err;
	}
	/* attach: process lifecycle first, so the exe cache never misses an
	 * exec; hr_open_exit records nothing until a row's spec says so */
	err = hostrail_bpf__attach(c->skel);
	if (err)
		hr_err("failed to attach the process lifecycle programs: %s", strerror(-err));
	return err;
}

const char *hr_capture_hook_name(enum hr_capture_hook h)
{
	return h == HR_CAPTURE_HOOK_FEXIT     ? "fexit" :
	       h == HR_CAPTURE_HOOK_EXIT_ONLY ? "exitTracepoint" :
						"tracepoint";
}

void hr_capture_hooks(const struct hr_capture *c, struct hr_capture_hooks *out)
{
	out->data_events = c->data_hook;
	out->calls = c->call_hook;
	for (int h = 0; h < HR_HOOK_NR; h++)
		out->probed[h] = hr_probe_allows(&c->probe, h);
}

static int on_ringbuf(void *ctx, void *data, size_t size)
{
	const struct hr_capture_opts *o = ctx;

	return o->on_event(o->ctx, data, size);
}

int hr_capture_open(const struct hr_capture_opts *opts, struct hr_capture **out)
{
	size_t rb_bytes = opts->ringbuf_bytes ? opts->ringbuf_bytes : DEFAULT_RINGBUF_BYTES;
	struct hr_capture *c;
	int err;

	*out = NULL;
	libbpf_set_print(libbpf_log);
	err = hr_capture_check_environment();
	if (err)
		return err;
	err = ensure_tracefs();
	if (err)
		return err;
	ensure_bpffs();

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->links = calloc(2 * hr_syscall_table_len + 2, sizeof(*c->links));
	c->row_enter = calloc(hr_syscall_table_len, sizeof(*c->row_enter));
	c->row_exit = calloc(hr_syscall_table_len, sizeof(*c->row_exit));
	c->row_ok = calloc(hr_syscall_table_len, sizeof(*c->row_ok));
	c->row_fexit = calloc(hr_syscall_table_len, sizeof(*c->row_fexit));
	if (!c->links || !c->row_enter || !c->row_exit || !c->row_ok || !c->row_fexit) {
		err = -ENOMEM;
		goto fail;
	}

	c->opts = *opts;
	choose_hooks(c);
	err = load_programs(c, rb_bytes);
	if (err && c->data_hook != HR_CAPTURE_HOOK_TRACEPOINT) {
		/* the probe's trivial program attached but ours did not load
		 * (a verifier difference): the tracepoints still record it all */
		hr_warn("the %s data event program did not load; using the syscall tracepoints",
			hr_capture_hook_name(c->data_hook));
		hostrail_bpf__destroy(c->skel);
		c->skel = NULL;
		c->data_hook = HR_CAPTURE_HOOK_TRACEPOINT;
		err = load_programs(c, rb_bytes);
	}
	if (err)
		goto fail;
	hr_info("capture hooks: data events (open family) on %s, recorded calls on %s",
		c->data_hook == HR_CAPTURE_HOOK_FEXIT	  ? "fexit/do_sys_openat2" :
		c->data_hook == HR_CAPTURE_HOOK_EXIT_ONLY ? "the syscall exit tracepoints alone" :
							    "the syscall tracepoints",
		c->call_hook == HR_CAPTURE_HOOK_EXIT_ONLY ? "the syscall exit tracepoints alone" :
							    "the syscall tracepoints");
	err = attach_syscalls(c);
	if (err)
		goto fail;
	/* logins: a missing library is reported, not fatal */
	hr_uprobes_attach(c->skel, c->unavailable, sizeof(c->unavailable));

	c->rb = ring_buffer__new(bpf_map__fd(c->skel->maps.hr_events), on_ringbuf, &c->opts, NULL);
	if (!c->rb) {
		err = -errno;
		hr_err("failed to open the ring buffer: %s", strerror(-err));
		goto fail;
	}
	*out = c;
	return 0;
fail:
	hr_capture_close(c);
	return err;
}

int hr_capture_poll(struct hr_capture *c, int timeout_ms)
{
	int n = ring_buffer__poll(c->rb, timeout_ms);

	if (n < 0 && n != -EINTR)
		return n;
	/* Events sent without a wake-up are only seen by consuming. */
	n = ring_buffer__consume(c->rb);
	return n < 0 && n != -EINTR ? n : 0;
}

/* Sum a per-CPU array of u64 counters. */
static int sum_percpu(int fd, uint64_t *totals, __u32 n)
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 *vals;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (__u32 k = 0; k < n; k++) {
		totals[k] = 0;
		if (bpf_map_lookup_elem(fd, &k, vals))
			continue;
		for (int cpu = 0; cpu < ncpu; cpu++)
			totals[k] += vals[cpu];
	}
	free(vals);
	return 0;
}

int hr_capture_drops(struct hr_capture *c, uint64_t totals[HR_DROP_NR])
{
	return sum_percpu(bpf_map__fd(c->skel->maps.hr_drops), totals, HR_DROP_NR);
}

int hr_capture_filter_stats(struct hr_capture *c, uint64_t totals[HR_FILTER_NR])
{
	return sum_percpu(bpf_map__fd(c->skel->maps.hr_filter_stats), totals, HR_FILTER_NR);
}

int hr_capture_epoll_fd(const struct hr_capture *c)
{
	return ring_buffer__epoll_fd(c->rb);
}

static void path_key(struct hr_path_key *k, char kind, const char *path, bool exact)
{
	size_t len = strlen(path) + (exact ? 1 : 0);

	memset(k, 0, sizeof(*k));
	if (len > HR_PATH_KEY_MAX - 1)
		len = HR_PATH_KEY_MAX - 1; /* cut: a shorter prefix, still a superset */
	k->data[0] = (__u8)kind;
	memcpy(&k->data[1], path, len);
	k->prefixlen = 8 * (1 + len);
}

int hr_capture_set_paths(struct hr_capture *c, char kind, const char *const *paths,
			 const bool *exact, int n)
{
	int fd = bpf_map__fd(c->skel->maps.hr_path_filter);
	struct hr_path_key k, next, cur, *prev = NULL;
	__u8 one = 1;

	/* New entries first: a path selected before and after stays selected. */
	for (int i = 0; i < n; i++) {
		path_key(&k, kind, paths[i], exact[i]);
		if (bpf_map_update_elem(fd, &k, &one, BPF_ANY)) {
			hr_err("failed to select path %s in the kernel filter: %s", paths[i],
			       strerror(errno));
			return -errno;
		}
	}
	/* Then the stale ones of this kind go (restart the walk after each delete). */
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		bool keep = next.data[0] != (__u8)kind;

		for (int i = 0; i < n && !keep; i++) {
			path_key(&k, kind, paths[i], exact[i]);
			keep = k.prefixlen == next.prefixlen &&
			       !memcmp(k.data, next.data, (next.prefixlen + 7) / 8);
		}
		if (keep) {
			cur = next;
			prev = &cur;
			continue;
		}
		bpf_map_delete_elem(fd, &next);
		prev = NULL;
	}
	return 0;
}

const char *hr_capture_unavailable(const struct hr_capture *c)
{
	return c->unavailable;
}

int hr_capture_attached(const struct hr_capture *c)
{
	return c->n_attached;
}

static void *destroy_link(void *link)
{
	bpf_link__destroy(link);
	return NULL;
}

/*
 * Closing a tracepoint's perf link waits for an RCU grace period (~70 ms
 * here), so ninety links closed one after the other held a stop for six
 * seconds before the final delivery. Closed side by side, the waits
 * overlap; a link whose thread cannot start is closed in place.
 */
static void destroy_links(struct bpf_link **links, int n)
{
	pthread_t *t = calloc((size_t)n, sizeof(*t));
	bool *started = calloc((size_t)n, sizeof(*started));

	for (int i = 0; i < n; i++) {
		if (t && started && !hr_thread_create(&t[i], destroy_link, links[i]))
			started[i] = true;
		else
			bpf_link__destroy(links[i]);
	}
	for (int i = 0; t && started && i < n; i++)
		if (started[i])
			pthread_join(t[i], NULL);
	free(t);
	free(started);
}

void hr_capture_detach(struct hr_capture *c)
{
	struct bpf_link **all = calloc((size_t)c->n_links + 2 * hr_syscall_table_len, sizeof(*all));
	int n = 0;

	for (int i = 0; i < c->n_links; i++) {
		if (all)
			all[n++] = c->links[i];
		else
			bpf_link__destroy(c->links[i]);
	}
	c->n_links = 0;
	for (size_t i = 0; i < hr_syscall_table_len; i++) {
		if (all && c->row_enter[i]) {
			all[n++] = c->row_enter[i];
			all[n++] = c->row_exit[i];
			c->row_enter[i] = c->row_exit[i] = NULL;
			c->n_attached--;
		}
		detach_row(c, i);
	}
	destroy_links(all, n);
	free(all);
	hostrail_bpf__detach(c->skel);
}

void hr_capture_close(struct hr_capture *c)
{
	if (!c)
		return;
	ring_buffer__free(c->rb);
	for (int i = 0; i < c->n_links; i++)
		bpf_link__destroy(c->links[i]);
	for (size_t i = 0; c->row_enter && c->row_exit && c->row_fexit && i < hr_syscall_table_len;
	     i++)
		detach_row(c, i);
	free(c->links);
	free(c->row_enter);
	free(c->row_exit);
	free(c->row_ok);
	free(c->row_fexit);
	hostrail_bpf__destroy(c->skel);
	free(c);
}

/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * paths.bpf.h - absolute paths and the data event path filter, in BPF.
 *
 * A relative path is made absolute against the caller's cwd or dirfd by
 * walking that directory's dentry chain up to the task's root, crossing
 * mounts through struct mount (bpf_d_path works only in fentry/LSM
 * programs, which not every kernel hostrail targets allows, and not in the
 * tracepoints every kernel has). The walk is bounded; a deeper
 * directory is reported as undecidable and let through to user space.
 *
 * The scratch buffer is laid out so that no copy is needed to join the two
 * parts: the directory is written backwards so that it ends at
 * buf[HR_STR_MAX - 1] with a '/', and the relative path is read to
 * buf[HR_STR_MAX]. The absolute path is then buf[start..].
 */
#ifndef HOSTRAIL_PATHS_BPF_H
#define HOSTRAIL_PATHS_BPF_H

#include "common.bpf.h"

#define HR_PATH_DEPTH 48 /* directory levels walked */
#define HR_NAME_MAX   255

struct hr_path_scratch {
	char buf[2 * HR_STR_MAX];
	struct hr_path_key key;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct hr_path_scratch);
} hr_path_scratch SEC(".maps") __weak;

static __always_inline void hr_count_filter(__u32 which)
{
	__u64 *n = bpf_map_lookup_elem(&hr_filter_stats, &which);

	if (n)
		*n += 1;
}

struct hr_walk {
	struct dentry *d;
	struct vfsmount *vm;
	struct mount *m;
	struct dentry *root_d;
	struct vfsmount *root_m;
	int pos;
	int up;
	int done;   /* 1: at the root, -1: undecidable */
	int strict; /* 1: a walk that ends anywhere but the task's
				 * root is undecidable (an fd's file on an
				 * internal mount: memfd, pipe, socket) */
};

/* One level of the walk; bpf_loop's callback, so the verifier checks one
 * level rather than every level of every path. */
static int hr_walk_step(__u32 i, struct hr_walk *w)
{
	/* Locals: CO-RE reads must start from kernel types, not from w. */
	struct dentry *d = w->d, *parent;
	struct vfsmount *vm = w->vm;
	struct mount *m = w->m;
	struct hr_path_scratch *s;
	const unsigned char *name;
	__u32 zero = 0, len;
	int pos = w->pos;

	if (d == w->root_d && vm == w->root_m)
		goto at_root;
	if (d == BPF_CORE_READ(vm, mnt_root)) {
		struct mount *pm = BPF_CORE_READ(m, mnt_parent);

		if (pm == m) /* the namespace's root mount, or an internal one */
			goto outside;
		w->d = BPF_CORE_READ(m, mnt_mountpoint);
		w->m = pm;
		w->vm = (void *)pm + bpf_core_field_offset(struct mount, mnt);
		return 0;
	}
	parent = BPF_CORE_READ(d, d_parent);
	if (parent == d)
		goto outside;
	if (w->up > 0) {
		w->up--;
		w->d = parent;
		return 0;
	}
	s = bpf_map_lookup_elem(&hr_path_scratch, &zero);
	name = BPF_CORE_READ(d, d_name.name);
	len = BPF_CORE_READ(d, d_name.len);
	if (!s || len > HR_NAME_MAX || (int)len + 1 > pos || pos > HR_STR_MAX - 1)
		goto fail;
	pos -= len;
	if (bpf_probe_read_kernel(&s->buf[pos & (HR_STR_MAX - 1)], len & HR_NAME_MAX, name))
		goto fail;
	pos--;
	s->buf[pos & (HR_STR_MAX - 1)] = '/';
	w->pos = pos;
	w->d = parent;
	return 0;
outside:
	if (w->strict)
		goto fail;
at_root:
	w->done = 1;
	return 1;
fail:
	w->done = -1;
	return 1;
}

/*
 * Write dir's absolute path backwards ending at buf[HR_STR_MAX - 1] = '/',
 * dropping the last `up` components ("../" at the start of the relative
 * path). Returns the start offset, or -1 if undecidable (too deep, too
 * long, unreadable).
 */
static __always_inline int hr_dir_path(struct path *dir, struct path *root, char *buf, int up,
				       int strict)
{
	struct hr_walk w = {
		.d = BPF_CORE_READ(dir, dentry),
		.vm = BPF_CORE_READ(dir, mnt),
		.root_d = BPF_CORE_READ(root, dentry),
		.root_m = BPF_CORE_READ(root, mnt),
		.pos = HR_STR_MAX - 1,
		.up = up,
		.strict = strict,
	};

	w.m = (void *)w.vm - bpf_core_field_offset(struct mount, mnt);
	buf[HR_STR_MAX - 1] = '/';
	bpf_loop(HR_PATH_DEPTH, hr_walk_step, &w, 0);
	return w.done == 1 ? w.pos : -1;
}

/* Where the absolute path starts in s->buf, in a form the verifier can
 * bound: start is HR_STR_MAX (an absolute path as given) or below it. */
static __always_inline const char *hr_abs_start(struct hr_path_scratch *s, int start)
{
	__u32 u = (__u32)start;

	barrier_var(u);
	if (u >= HR_STR_MAX)
		return &s->buf[HR_STR_MAX];
	return &s->buf[u & (HR_STR_MAX - 1)];
}

/* The struct path a dirfd refers to, or NULL. */
static __always_inline struct path *hr_fd_path(struct task_struct *task, int fd)
{
	struct files_struct *files = BPF_CORE_READ(task, files);
	struct fdtable *fdt = BPF_CORE_READ(files, fdt);
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *f = NULL;

	if (fd < 0 || (unsigned int)fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	if (bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]) || !f)
		return NULL;
	return (struct path *)&f->f_path;
}

#define HR_AT_FDCWD -100

/*
 * The absolute form of the user path at uptr, into s->buf: returns its
 * start offset in s->buf (the path ends with a NUL) and its length with
 * the NUL in *len, or -1 when it cannot be decided in the kernel.
 * dirfd: HR_AT_FDCWD for the cwd.
 */
static __always_inline int hr_abs_path(struct hr_path_scratch *s, const char *uptr, int dirfd,
				       __u32 *len)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct path *dir, *root;
	char two[3] = {};
	int up = 0, start;
	long n;

	/* "./" and "../" at the front: skipped, and "../" walks up one. */
	for (int i = 0; i < 8; i++) {
		if (bpf_probe_read_user(two, 3, uptr))
			break;
		if (two[0] == '.' && two[1] == '/') {
			uptr += 2;
		} else if (two[0] == '.' && two[1] == '.' && two[2] == '/') {
			uptr += 3;
			up++;
		} else {
			break;
		}
	}
	n = bpf_probe_read_user_str(&s->buf[HR_STR_MAX], HR_STR_MAX, uptr);
	if (n <= 0)
		return -1;
	if (s->buf[HR_STR_MAX] == '/') {
		*len = n;
		return HR_STR_MAX;
	}
	root = &BPF_CORE_READ(task, fs)->root;
	if (dirfd != HR_AT_FDCWD)
		dir = hr_fd_path(task, dirfd);
	else
		dir = &BPF_CORE_READ(task, fs)->pwd;
	if (!dir)
		return -1;
	start = hr_dir_path(dir, root, s->buf, up, 0);
	if (start < 0)
		return -1;
	*len = (HR_STR_MAX - start) + n;
	return start;
}

/*
 * The absolute path of the file open as fd in the calling task, into
 * s->buf: returns its start offset (the path ends with a NUL at
 * buf[HR_STR_MAX - 1], or buf[HR_STR_MAX] for "/") and its length with
 * the NUL in *len, or -1 when the kernel cannot name it: fd not open, a
 * file with no name in the caller's tree (memfd, pipe, socket, another
 * mount namespace), a name already unlinked, too deep or too long. User
 * space then reads /proc/<pid>/fd/<n>, as it does for every fd.
 */
static __always_inline int hr_fd_abs_path(struct hr_path_scratch *s, int fd, __u32 *len)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct path *p = hr_fd_path(task, fd), *root;
	struct dentry *d;
	int start;

	if (!p)
		return -1;
	d = BPF_CORE_READ(p, dentry);
	/* unhashed and not a root: unlinked, its name no longer names it */
	if (!d || (BPF_CORE_READ(d, d_parent) != d && !BPF_CORE_READ(d, d_hash.pprev)))
		return -1;
	root = &BPF_CORE_READ(task, fs)->root;
	start = hr_dir_path(p, root, s->buf, 0, 1);
	if (start < 0 || start > HR_STR_MAX - 1)
		return -1;
	if (start == HR_STR_MAX - 1) {
		/* the root itself: "/" */
		s->buf[HR_STR_MAX] = '\0';
		*len = 2;
		return start;
	}
	/* the walk ends every name with '/': the last one becomes the NUL */
	s->buf[HR_STR_MAX - 1] = '\0';
	*len = HR_STR_MAX - start;
	return start;
}

/*
 * Does the path (len bytes with its NUL) hold "//", a "." or a ".."
 * component? Its prefix then says nothing about the file it names (user
 * space normalises it: user/decode/pathnorm.h). "/.x" is a name and
 * passes; "/..x" is taken as undecidable, which only sends it up.
 */
static __always_inline bool hr_needs_normalize(const char *p, __u32 len)
{
	for (int i = 0; i + 2 < HR_PATH_KEY_MAX - 1; i++) {
		if ((__u32)i + 2 >= len)
			return false; /* p[i + 2] is at most the NUL */
		if (p[i] != '/')
			continue;
		if (p[i + 1] == '/')
			return true;
		if (p[i + 1] == '.' && (p[i + 2] == '/' || p[i + 2] == '.' || !p[i + 2]))
			return true;
	}
	return false;
}

/*
 * Is this path argument under a selected prefix? HR_FILTER_PASSED: yes,
 * HR_FILTER_UNDECIDED: cannot tell here (user space decides),
 * HR_FILTER_SKIPPED: certainly not selected. A global function:
 * the verifier checks it once, not once per caller and argument count.
 */
__noinline int hr_path_selected(__u8 kind, __u64 uptr_, int dirfd)
{
	const char *uptr = (const char *)uptr_;
	struct hr_path_scratch *s;
	__u32 zero = 0, len = 0;
	int start;

	s = bpf_map_lookup_elem(&hr_path_scratch, &zero);
	if (!s)
		return HR_FILTER_UNDECIDED;
	/* Fast path: an absolute path is its own key, no walk needed. */
	s->key.data[0] = kind;
	len = 0;
	{
		long n = bpf_probe_read_user_str(&s->key.data[1], HR_PATH_KEY_MAX - 1, uptr);

		if (n <= 0)
			return HR_FILTER_UNDECIDED;
		len = n;
	}
	if (s->key.data[1] != '/') {
		start = hr_abs_path(s, uptr, dirfd, &len);
		if (start < 0 || start > HR_STR_MAX)
			return HR_FILTER_UNDECIDED;
		if (len > HR_PATH_KEY_MAX - 1)
			return HR_FILTER_UNDECIDED;
		if (bpf_probe_read_kernel(&s->key.data[1], HR_PATH_KEY_MAX - 1,
					  hr_abs_start(s, start)))
			return HR_FILTER_UNDECIDED;
	}
	if (len >= HR_PATH_KEY_MAX - 1)
		return HR_FILTER_UNDECIDED; /* longer than the key: cut, undecidable */
	if (hr_needs_normalize((const char *)&s->key.data[1], len))
		return HR_FILTER_UNDECIDED;
	s->key.prefixlen = 8 * (1 + len);
	return bpf_map_lookup_elem(&hr_path_filter, &s->key) ? HR_FILTER_PASSED : HR_FILTER_SKIPPED;
}

#endif

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* procs.c - bounded tgid -> exe/tty/container cache (see procs.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "common/setassoc.h"
#include "procs.h"

#define WAYS 8

struct pentry {
	uint32_t tgid;
	bool details; /* tty and container id were read */
	char *exe;    /* owned; NULL when unknown */
	size_t exe_len;
	char tty[HR_TTY_MAX];
	char cid[HR_CONTAINER_ID_LEN + 1];
};

struct hr_procs {
	struct hr_setassoc t; /* of struct pentry, by tgid */
	char *root;
	struct hr_procs_stats st;
};

int hr_procs_new(const char *proc_root, size_t max, struct hr_procs **out)
{
	struct hr_procs *p;

	*out = NULL;
	if (!max)
		max = HR_PROCS_DEFAULT_MAX;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->root = strdup(proc_root ? proc_root : "/proc");
	if (hr_setassoc_init(&p->t, max, WAYS, sizeof(struct pentry)) || !p->root) {
		hr_procs_free(p);
		return -ENOMEM;
	}
	*out = p;
	return 0;
}

void hr_procs_free(struct hr_procs *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < hr_setassoc_size(&p->t); i++)
		free(((struct pentry *)hr_setassoc_slot(&p->t, i))->exe);
	hr_setassoc_fini(&p->t);
	free(p->root);
	free(p);
}

ssize_t hr_proc_readlink(const char *proc_root, uint32_t tgid, const char *what, char *buf,
			 size_t size)
{
	char path[256];
	ssize_t n;

	if (size < 2)
		return -EINVAL;
	if ((size_t)snprintf(path, sizeof(path), "%s/%u/%s", proc_root, tgid, what) >= sizeof(path))
		return -ENAMETOOLONG;
	n = readlink(path, buf, size);
	if (n < 0)
		return -errno;
	if ((size_t)n >= size)
		return -ENAMETOOLONG;
	buf[n] = '\0';
	return n;
}

/* Read a small /proc file whole; returns bytes read or -errno. */
static ssize_t read_small(const char *root, uint32_t tgid, const char *what, char *buf, size_t size)
{
	char path[256];
	ssize_t n, tot = 0;
	int fd;

	snprintf(path, sizeof(path), "%s/%u/%s", root, tgid, what);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while ((size_t)tot < size - 1) {
		n = read(fd, buf + tot, size - 1 - (size_t)tot);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		tot += n;
	}
	close(fd);
	buf[tot] = '\0';
	return tot;
}

void hr_tty_name(uint32_t tty_nr, char *buf, size_t size)
{
	unsigned int major = (tty_nr >> 8) & 0xfff;
	unsigned int minor = (tty_nr & 0xff) | ((tty_nr >> 12) & 0xfff00);

	if (!tty_nr)
		snprintf(buf, size, "%s", "");
	else if (major >= 136 && major <= 143)
		snprintf(buf, size, "pts/%u", minor + (major - 136) * 256);
	else if (major == 4 && minor < 64)
		snprintf(buf, size, "tty%u", minor);
	else if (major == 4)
		snprintf(buf, size, "ttyS%u", minor - 64);
	else if (major == 5 && minor == 0)
		snprintf(buf, size, "tty");
	else if (major == 5 && minor == 1)
		snprintf(buf, size, "console");
	else
		snprintf(buf, size, "%u:%u", major, minor); /* device numbers */
}

static inline bool is_lhex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static inline bool is_idchar(char c)
{
	return is_lhex(c) || (c >= 'g' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool hr_cgroup_container_id(const char *text, size_t len, char out[HR_CONTAINER_ID_LEN + 1])
{
	/* Runtimes name the container's cgroup after its 64-hex id:
	 * /docker/<id>, docker-<id>.scope, cri-containerd-<id>.scope,
	 * libpod-<id>.scope, .../kubepods/.../<id>. The first one wins: with
	 * nesting it is the outermost container. */
	for (size_t i = 0; i + HR_CONTAINER_ID_LEN <= len; i++) {
		size_t j;

		if (!is_lhex(text[i]) || (i > 0 && is_idchar(text[i - 1])))
			continue;
		for (j = i; j < len && is_lhex(text[j]); j++)
			;
		if (j - i == HR_CONTAINER_ID_LEN && (j == len || !is_idchar(text[j]))) {
			memcpy(out, text + i, HR_CONTAINER_ID_LEN);
			out[HR_CONTAINER_ID_LEN] = '\0';
			return true;
		}
		i = j;
	}
	out[0] = '\0';
	return false;
}

static void load_details(struct hr_procs *p, struct pentry *e)
{
	char buf[8192], *s;
	ssize_t n;
	unsigned long tty_nr;

	e->details = true; /* once, even if it fails: no retry storm */
	e->tty[0] = '\0';
	e->cid[0] = '\0';
	n = read_small(p->root, e->tgid, "stat", buf, sizeof(buf));
	/* "pid (comm) state ppid pgrp session tty_nr ...": comm may hold
	 * anything, ')' included, so parse from its last ')'. */
	if (n > 0 && (s = strrchr(buf, ')')) && sscanf(s + 1, " %*c %*d %*d %*d %lu", &tty_nr) == 1)
		hr_tty_name((uint32_t)tty_nr, e->tty, sizeof(e->tty));
	n = read_small(p->root, e->tgid, "cgroup", buf, sizeof(buf));
	if (n > 0)
		hr_cgroup_container_id(buf, (size_t)n, e->cid);
}

static struct pentry *find(struct hr_procs *p, uint32_t tgid)
{
	return hr_setassoc_find(&p->t, tgid);
}

/* A slot for a new tgid: an empty one, else the least recently used. */
static struct pentry *insert(struct hr_procs *p, uint32_t tgid)
{
	enum hr_sa_took took;
	struct pentry *v = hr_setassoc_claim(&p->t, tgid, NULL, NULL, &took);

	if (took == HR_SA_EVICTED)
		p->st.evictions++;
	free(v->exe);
	memset(v, 0, sizeof(*v));
	v->tgid = tgid;
	return v;
}

static void set_exe(struct pentry *e, const char *s, size_t len)
{
	char *c = malloc(len + 1);

	free(e->exe);
	e->exe = NULL;
	e->exe_len = 0;
	if (!c)
		return; /* unknown rather than wrong */
	memcpy(c, s, len);
	c[len] = '\0';
	e->exe = c;
	e->exe_len = len;
}

int hr_procs_lookup(struct hr_procs *p, uint32_t tgid, struct hr_proc_info *out)
{
	struct pentry *e = find(p, tgid);
	ssize_t n;

	out->exe_known = false;
	out->exe_len = 0;
	out->exe[0] = '\0';
	out->tty[0] = '\0';
	out->container_id[0] = '\0';
	if (e) {
		p->st.hits++;
		hr_setassoc_touch(&p->t, e);
	} else {
		p->st.misses++;
		n = hr_proc_readlink(p->root, tgid, "exe", out->exe, sizeof(out->exe));
		if (n == -ENOENT) {
			/* A kernel thread has no exe link; a process that is
			 * gone has no directory: cache only the former. */
			char path[256];

			snprintf(path, sizeof(path), "%s/%u", p->root, tgid);
			if (access(path, F_OK)) {
				out->exe[0] = '\0';
				return -ENOENT;
			}
		} else if (n < 0) {
			p->st.fill_failures++;
		}
		e = insert(p, tgid);
		if (n >= 0)
			set_exe(e, out->exe, (size_t)n);
	}
	if (!e->details)
		load_details(p, e);
	if (e->exe && e->exe_len < sizeof(out->exe)) {
		memcpy(out->exe, e->exe, e->exe_len + 1);
		out->exe_len = e->exe_len;
		out->exe_known = true;
	} else {
		out->exe[0] = '\0';
	}
	memcpy(out->tty, e->tty, sizeof(out->tty));
	memcpy(out->container_id, e->cid, sizeof(out->container_id));
	return 0;
}

void hr_procs_exec(struct hr_procs *p, uint32_t tgid, const char *filename, size_t len)
{
	char buf[PATH_MAX * 2];
	struct pentry *e;
	ssize_t n;

	len = strnlen(filename, len);
	p->st.exec_updates++;
	e = find(p, tgid);
	if (!e)
		e = insert(p, tgid);
	else
		hr_setassoc_touch(&p->t, e);
	if (len && filename[0] == '/') {
		set_exe(e, filename, len);
		return;
	}
	/* "./run.sh": the new image's exe link is the truth; if the process
	 * is already gone, cwd + name is the best guess left. */
	n = hr_proc_readlink(p->root, tgid, "exe", buf, sizeof(buf));
	if (n < 0) {
		n = hr_proc_readlink(p->root, tgid, "cwd", buf, sizeof(buf) / 2);
		if (n > 0 && len < sizeof(buf) - (size_t)n - 2) {
			if (buf[n - 1] != '/')
				buf[n++] = '/';
			memcpy(buf + n, filename, len);
			n += (ssize_t)len;
			buf[n] = '\0';
		} else {
			n = -1;
		}
	}
	if (n > 0)
		set_exe(e, buf, (size_t)n);
	else if (len)
		set_exe(e, filename, len);
	else {
		free(e->exe);
		e->exe = NULL;
		e->exe_len = 0;
	}
}

void hr_procs_exit(struct hr_procs *p, uint32_t tgid)
{
	struct pentry *e = find(p, tgid);

	p->st.exits++;
	if (!e)
		return;
	free(e->exe);
	hr_setassoc_drop(&p->t, e);
}

void hr_procs_get_stats(const struct hr_procs *p, struct hr_procs_stats *st)
{
	*st = p->st;
}

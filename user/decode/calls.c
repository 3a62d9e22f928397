// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * calls.c - requestParameters of the irregular calls (a row's .decode):
 * those whose arguments only mean something together, as a captured
 * struct read by command (bpf), keys that depend on flags (mount,
 * kexec_file_load) or a request that names a different target (ptrace).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <linux/mount.h>
#include "decode/decode_int.h"
#include "decode/flags.h"
#include "enrich/users.h"
#include "common/jsonw.h"

void hrd_setgroups(struct hr_dctx *c)
{
	int32_t size = arg_i32(c, 0);
	size_t have, n;
	char name[HR_USER_NAME_MAX];

	jw_kint(c->w, "size", size);
	jw_key(c->w, "groups");
	if (size > 0 && !c->slot[1]) {
		jw_null(c->w);
		if (arg_u64(c, 1))
			hrd_kflag(c, "groups", "Unreadable", true);
		return;
	}
	have = c->slot[1] ? c->slot_len[1] / 4 : 0;
	n = size > 0 ? (size_t)size : 0;
	if (n > have)
		n = have;
	jw_arr_begin(c->w);
	for (size_t k = 0; k < n; k++) {
		uint32_t gid;

		memcpy(&gid, c->slot[1] + 4 * k, 4);
		jw_obj_begin(c->w);
		jw_kuint(c->w, "gid", gid);
		if (c->env->users && !hr_users_gid_name(c->env->users, gid, name, sizeof(name)))
			jw_kstr(c->w, "groupName", name, strlen(name));
		else
			jw_knull(c->w, "groupName");
		jw_obj_end(c->w);
	}
	jw_arr_end(c->w);
	if (size > 0 && (size_t)size > n) {
		c->out->truncated |= 1u << 1;
		hrd_kflag(c, "groups", "Truncated", true);
	}
}

void hrd_capset(struct hr_dctx *c)
{
	uint32_t version = 0, pid, d[6] = {0};
	uint64_t eff, prm, inh;
	bool two;

	jw_key(c->w, "header");
	if (!hrd_mem_u32(c, 0, 0, &version) || !hrd_mem_u32(c, 0, 4, &pid)) {
		jw_null(c->w);
	} else {
		jw_obj_begin(c->w);
		jw_key(c->w, "version");
		hr_enum_write(c->w, &hr_capset_versions, version);
		jw_kint(c->w, "pid", (int32_t)pid);
		jw_obj_end(c->w);
	}
	if (!c->slot[1] || c->slot_len[1] < 12) {
		jw_knull(c->w, "data");
		if (arg_u64(c, 1))
			hrd_kflag(c, "data", "Unreadable", true);
		return;
	}
	memcpy(d, c->slot[1], c->slot_len[1] < sizeof(d) ? c->slot_len[1] : sizeof(d));
	/* v1 has one 32-bit set; v2 and v3 split 64 bits over two */
	two = c->slot_len[1] >= 24 && version != 0x19980330;
	eff = d[0] | (two ? (uint64_t)d[3] << 32 : 0);
	prm = d[1] | (two ? (uint64_t)d[4] << 32 : 0);
	inh = d[2] | (two ? (uint64_t)d[5] << 32 : 0);
	jw_key(c->w, "data");
	jw_obj_begin(c->w);
	hrd_flags(c, "effective", &hr_caps, eff);
	hrd_flags(c, "permitted", &hr_caps, prm);
	hrd_flags(c, "inheritable", &hr_caps, inh);
	jw_obj_end(c->w);
}

void hrd_bpf(struct hr_dctx *c)
{
	uint32_t cmd = arg_u32(c, 0), a, b, t;
	const char *s;

	hrd_enum(c, "cmd", &hr_bpf_cmds, cmd);
	if (!c->slot[1]) {
		jw_knull(c->w, "attr");
		if (arg_u64(c, 1))
			hrd_kflag(c, "attr", "Unreadable", true);
		jw_kuint(c->w, "size", arg_u32(c, 2));
		return;
	}
	jw_key(c->w, "attr");
	jw_obj_begin(c->w);
	switch (cmd) {
	case 0: /* BPF_MAP_CREATE */
		if (hrd_mem_u32(c, 1, 0, &t))
			hrd_enum(c, "mapType", &hr_bpf_map_types, t);
		if (hrd_mem_u32(c, 1, 4, &a))
			jw_kuint(c->w, "keySize", a);
		if (hrd_mem_u32(c, 1, 8, &a))
			jw_kuint(c->w, "valueSize", a);
		if (hrd_mem_u32(c, 1, 12, &a))
			jw_kuint(c->w, "maxEntries", a);
		if (c->slot_len[1] >= 28 + 16) {
			s = c->slot[1] + 28;
			jw_kstr(c->w, "mapName", s, strnlen(s, 16));
		}
		break;
	case 5: /* BPF_PROG_LOAD */
		if (hrd_mem_u32(c, 1, 0, &t))
			hrd_enum(c, "progType", &hr_bpf_prog_types, t);
		if (hrd_mem_u32(c, 1, 4, &a))
			jw_kuint(c->w, "insnCnt", a);
		if (c->slot_len[1] >= 48 + 16) {
			s = c->slot[1] + 48;
			jw_kstr(c->w, "progName", s, strnlen(s, 16));
		}
		break;
	case 8: /* BPF_PROG_ATTACH */
	case 9: /* BPF_PROG_DETACH */
		if (hrd_mem_u32(c, 1, 0, &a))
			jw_kint(c->w, "targetFd", (int32_t)a);
		if (hrd_mem_u32(c, 1, 4, &b))
			jw_kint(c->w, "attachBpfFd", (int32_t)b);
		if (hrd_mem_u32(c, 1, 8, &t))
			hrd_enum(c, "attachType", &hr_bpf_attach_types, t);
		break;
	case 17: /* BPF_RAW_TRACEPOINT_OPEN: name is a pointer */
		if (hrd_mem_u32(c, 1, 8, &a))
			jw_kint(c->w, "progFd", (int32_t)a);
		break;
	case 18: /* BPF_BTF_LOAD */
		if (hrd_mem_u32(c, 1, 16, &a))
			jw_kuint(c->w, "btfSize", a);
		break;
	case 28: /* BPF_LINK_CREATE */
		if (hrd_mem_u32(c, 1, 0, &a))
			jw_kint(c->w, "progFd", (int32_t)a);
		if (hrd_mem_u32(c, 1, 4, &b))
			jw_kint(c->w, "targetFd", (int32_t)b);
		if (hrd_mem_u32(c, 1, 8, &t))
			hrd_enum(c, "attachType", &hr_bpf_attach_types, t);
		break;
	case 29: /* BPF_LINK_UPDATE */
		if (hrd_mem_u32(c, 1, 0, &a))
			jw_kint(c->w, "linkFd", (int32_t)a);
		if (hrd_mem_u32(c, 1, 4, &b))
			jw_kint(c->w, "newProgFd", (int32_t)b);
		break;
	}
	jw_obj_end(c->w);
	jw_kuint(c->w, "size", arg_u32(c, 2));
}

void hrd_ptrace(struct hr_dctx *c)
{
	uint64_t req = arg_u64(c, 0);

	hrd_enum(c, "request", &hr_ptrace_requests, req);
	if (req == 0) { /* PTRACE_TRACEME: the tracer-to-be is the parent */
		hrd_target(c, "pid", (int32_t)c->ev->hdr.task.ppid);
		return;
	}
	hrd_target(c, "pid", arg_i32(c, 1));
	/* addr and data are pointers or the word being poked: not recorded,
	 * except SEIZE's data, which is its option set. */
	if (req == 0x4206)
		hrd_flags(c, "options", &hr_ptrace_options, arg_u64(c, 3));
}

void hrd_kexec_file_load(struct hr_dctx *c)
{
	uint32_t flags = arg_u32(c, 4);
	const char *s;
	size_t len;

	hrd_fd(c, 0, "kernelFd", (flags & 1) ? NULL : "kernelPath", "Linux::File");
	/* UNLOAD and NO_INITRAMFS make the fds meaningless */
	hrd_fd(c, 1, "initrdFd", (flags & 5) ? NULL : "initrdPath", "Linux::File");
	jw_kuint(c->w, "cmdlineLen", arg_u64(c, 2));
	hrd_string(c, 3, "cmdline", &s, &len);
	hrd_flags(c, "flags", &hr_kexec_file_flags, flags);
}

/* sethostname/setdomainname: a length-bounded buffer, not a C string;
 * what the kernel keeps ends at the first NUL. */
void hrd_name_buf(struct hr_dctx *c)
{
	uint64_t len = arg_u64(c, 1);

	if (!c->slot[0]) {
		jw_knull(c->w, "name");
		if (arg_u64(c, 0) && len)
			hrd_kflag(c, "name", "Unreadable", true);
	} else {
		jw_kstr(c->w, "name", c->slot[0], strnlen(c->slot[0], c->slot_len[0]));
		if (hrd_truncated(c, 0) || len > c->slot_len[0]) {
			c->out->truncated |= 1u;
			hrd_kflag(c, "name", "Truncated", true);
		}
	}
	jw_kuint(c->w, "len", len);
}

void hrd_mount(struct hr_dctx *c)
{
	uint64_t flags = arg_u64(c, 3);
	const char *s;
	size_t len;

	/* The magic number old callers put in the top half means nothing. */
	if ((flags & 0xffff0000ULL) == 0xc0ed0000ULL)
		flags &= 0xffff;
	/* The source is a path only for bind mounts and moves; otherwise a
	 * device or a free-form name ("proc", "tmpfs", "server:/export"). */
	if (flags & (MS_BIND | MS_MOVE))
		hrd_path(c, 0, "source", NULL);
	else
		hrd_string(c, 0, "source", &s, &len);
	hrd_path(c, 1, "target", "Linux::Mount");
	hrd_string(c, 2, "fsType", &s, &len);
	hrd_flags(c, "flags", &hr_mount_flags, flags);
	jw_kbool(c->w, "dataPresent", arg_u64(c, 4) != 0);
}

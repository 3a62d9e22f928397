// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* test_decode.c - flags, errno names, the user and process caches, and
 * requestParameters of hand-made events, read back with jansson. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <jansson.h>
#include "harness.h"
#include "fixtures.h"
#include "decode/decode.h"
#include "decode/flags.h"
#include "decode/syscall_table.h"
#include "enrich/procs.h"
#include "enrich/users.h"
#include "common/jsonw.h"

#define PID 4242
#define PTR 0x7ffd0000dead0000ULL /* a user pointer: must never show */

static char root[64]; /* the fake /proc */
static struct hr_users *users;
static struct hr_procs *procs;

/* ---- a fake /proc ---- */

static void setup_root(void)
{
	snprintf(root, sizeof(root), "/tmp/hr_test_decode.XXXXXX");
	if (!mkdtemp(root))
		abort();
	fx_decode_proc(root);
}

static void teardown_root(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd))
		fprintf(stderr, "cleanup of %s failed\n", root);
}

/* ---- events ---- */

struct evb {
	struct hr_syscall_event ev;
	size_t off;
	int nslots;
};

static void evb_init(struct evb *b, int nr)
{
	memset(b, 0, sizeof(*b));
	b->ev.hdr.type = HR_EV_SYSCALL;
	b->ev.hdr.task.pid = PID;
	b->ev.hdr.task.tgid = PID;
	b->ev.hdr.task.ppid = 1;
	b->ev.hdr.task.loginuid = 0xffffffffu;
	b->ev.hdr.task.sessionid = 0xffffffffu;
	memcpy(b->ev.hdr.task.comm, "tool", 5);
	b->ev.nr = nr;
}

/* Capture len bytes for argument arg (the pointer value is set too). */
static void evb_mem(struct evb *b, int arg, const void *p, size_t len, bool trunc)
{
	int k = b->nslots++;

	memcpy(b->ev.strs + b->off, p, len);
	b->ev.str_len[k] = (uint16_t)len;
	b->ev.str_arg[k] = (uint16_t)arg;
	if (trunc)
		b->ev.str_truncated |= (uint8_t)(1u << k);
	b->ev.args[arg] = PTR + (uint64_t)arg;
	b->off += len;
}

static void evb_str(struct evb *b, int arg, const char *s)
{
	evb_mem(b, arg, s, strlen(s) + 1, false);
}

static size_t evb_size(const struct evb *b)
{
	return HR_SYSCALL_EVENT_FIXED_SIZE + b->off;
}

/* requestParameters of b, parsed; *dec keeps the resources. */
static json_t *decode(struct evb *b, struct hr_decoded *dec)
{
	struct hr_decode_env env = {.proc_root = root, .users = users, .procs = procs};
	const struct hr_syscall_desc *d = hr_syscall_lookup(b->ev.nr);
	json_error_t err;
	struct jsonw w;
	json_t *j = NULL;
	size_t len;
	const char *text;

	b->ev.nargs = d ? d->nargs : 0;
	b->ev.hdr.size = (uint32_t)evb_size(b);
	CHECK_INT(hr_syscall_event_check(&b->ev, evb_size(b)), 0);
	if (!d)
		return NULL;
	jw_init(&w, 0);
	CHECK_INT(hr_decode_request(&w, &env, d, &b->ev, dec), 0);
	CHECK_INT(jw_error(&w), 0);
	text = jw_text(&w, &len);
	j = json_loadb(text, len, 0, &err);
	if (!j)
		fprintf(stderr, "jansson: %s: %s\n", err.text, text);
	CHECK(j != NULL);
	/* no pointer value, in any base, anywhere (PTR + arg differ only in
	 * the last digits) */
	{
		char dec12[32];

		snprintf(dec12, sizeof(dec12), "%llu", (unsigned long long)PTR);
		dec12[12] = '\0';
		CHECK(strstr(text, dec12) == NULL);
		CHECK(strstr(text, "7ffd0000dead") == NULL);
	}
	jw_free(&w);
	return j;
}

static const char *sget(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static long long iget(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

/* The array of strings as "A|B|C" for one-line comparisons. */
static const char *aget(json_t *o, const char *k)
{
	static char buf[1024];
	json_t *a = json_object_get(o, k), *v;
	size_t i, off = 0;

	buf[0] = '\0';
	if (!json_is_array(a))
		return "(not an array)";
	json_array_foreach(a, i, v)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%s", i ? "|" : "",
					json_string_value(v));
	return buf;
}

/* ---- flags ---- */

TEST(test_flag_sets)
{
	char b[512];

	CHECK_STR(hr_flags_format(&hr_mount_flags, 2 | 4, b, sizeof(b)), "MS_NOSUID|MS_NODEV");
	CHECK_STR(hr_flags_format(&hr_mount_flags, 4096 | 16384, b, sizeof(b)), "MS_BIND|MS_REC");
	CHECK_STR(hr_flags_format(&hr_mount_flags, 1 | (1u << 30), b, sizeof(b)),
		  "MS_RDONLY|0x40000000");
	CHECK_STR(hr_flags_format(&hr_mount_flags, 0, b, sizeof(b)), "");
	CHECK_STR(hr_flags_format(&hr_umount_flags, 1 | 2, b, sizeof(b)), "MNT_FORCE|MNT_DETACH");
	CHECK_STR(hr_flags_format(&hr_umount_flags, 4 | 8 | 0x10, b, sizeof(b)),
		  "MNT_EXPIRE|UMOUNT_NOFOLLOW|0x10");
	CHECK_STR(hr_flags_format(&hr_clone_flags, 0x00020000 | 0x10000000 | 0x40000000, b,
				  sizeof(b)),
		  "CLONE_NEWNS|CLONE_NEWUSER|CLONE_NEWNET");
	CHECK_STR(hr_flags_format(&hr_clone_flags, 0x80, b, sizeof(b)), "CLONE_NEWTIME");
	CHECK_STR(hr_flags_format(&hr_at_flags, 0x100 | 0x1000, b, sizeof(b)),
		  "AT_SYMLINK_NOFOLLOW|AT_EMPTY_PATH");
	CHECK_STR(hr_flags_format(&hr_move_mount_flags, 0x04 | 0x40 | 0x200, b, sizeof(b)),
		  "MOVE_MOUNT_F_EMPTY_PATH|MOVE_MOUNT_T_EMPTY_PATH|MOVE_MOUNT_BENEATH");
	CHECK_STR(hr_flags_format(&hr_mount_attr_flags, 0x1 | 0x2 | 0x100000, b, sizeof(b)),
		  "MOUNT_ATTR_RDONLY|MOUNT_ATTR_NOSUID|MOUNT_ATTR_IDMAP");
	CHECK_STR(hr_flags_format(&hr_adjtimex_modes, 0x8001, b, sizeof(b)),
		  "ADJ_OFFSET_SINGLESHOT");
	CHECK_STR(hr_flags_format(&hr_adjtimex_modes, 0x0001 | 0x0010 | 0x2000, b, sizeof(b)),
		  "ADJ_OFFSET|ADJ_STATUS|ADJ_NANO");
	CHECK_STR(
		hr_flags_format(&hr_caps, (1ULL << 21) | (1ULL << 39) | (1ULL << 50), b, sizeof(b)),
		"CAP_SYS_ADMIN|CAP_BPF|0x4000000000000");
	CHECK_STR(hr_flags_format(&hr_swap_flags, 0x8000 | 0x10000, b, sizeof(b)),
		  "SWAP_FLAG_PREFER|SWAP_FLAG_DISCARD");
	CHECK_STR(hr_flags_format(&hr_delete_module_flags, O_NONBLOCK | O_TRUNC, b, sizeof(b)),
		  "O_NONBLOCK|O_TRUNC");
	/* a short buffer cuts, never overflows */
	CHECK_STR(hr_flags_format(&hr_mount_flags, 2 | 4, b, 12), "MS_NOSUID");
}

TEST(test_enums)
{
	CHECK_STR(hr_name_of(&hr_ptrace_requests, 16), "PTRACE_ATTACH");
	CHECK_STR(hr_name_of(&hr_ptrace_requests, 0x4206), "PTRACE_SEIZE");
	CHECK_STR(hr_name_of(&hr_ptrace_requests, 0), "PTRACE_TRACEME");
	CHECK_STR(hr_name_of(&hr_reboot_cmds, 0x4321FEDC), "LINUX_REBOOT_CMD_POWER_OFF");
	CHECK_STR(hr_name_of(&hr_reboot_cmds, 0), "LINUX_REBOOT_CMD_CAD_OFF");
	CHECK_STR(hr_name_of(&hr_bpf_cmds, 5), "BPF_PROG_LOAD");
	CHECK_STR(hr_name_of(&hr_bpf_cmds, 10), "BPF_PROG_TEST_RUN");
	CHECK_STR(hr_name_of(&hr_bpf_cmds, 36), "BPF_TOKEN_CREATE");
	CHECK_STR(hr_name_of(&hr_bpf_prog_types, 2), "BPF_PROG_TYPE_KPROBE");
	CHECK_STR(hr_name_of(&hr_bpf_map_types, 27), "BPF_MAP_TYPE_RINGBUF");
	CHECK_STR(hr_name_of(&hr_clock_ids, 0), "CLOCK_REALTIME");
	CHECK_STR(hr_name_of(&hr_clock_ids, 11), "CLOCK_TAI");
	CHECK(hr_name_of(&hr_clock_ids, 10) == NULL);
	CHECK(hr_name_of(&hr_bpf_cmds, 1000) == NULL);
}

TEST(test_errno_mapping)
{
	char code[32];
	const char *msg = NULL;

	CHECK(hr_decode_error(-1, code, sizeof(code), &msg));
	CHECK_STR(code, "EPERM");
	CHECK_STR(msg, "Operation not permitted");
	CHECK(hr_decode_error(-EACCES, code, sizeof(code), &msg));
	CHECK_STR(code, "EACCES");
	CHECK_STR(msg, "Permission denied");
	CHECK(hr_decode_error(-EBUSY, code, sizeof(code), &msg));
	CHECK_STR(code, "EBUSY");
	CHECK(hr_decode_error(-4000, code, sizeof(code), &msg));
	CHECK_STR(code, "E4000");
	CHECK(msg != NULL);
	CHECK(!hr_decode_error(0, code, sizeof(code), &msg));
	CHECK(!hr_decode_error(3, code, sizeof(code), &msg));
	CHECK(!hr_decode_error(-5000, code, sizeof(code), &msg));
}

TEST(test_every_row_has_a_decoder)
{
	for (size_t i = 0; i < hr_syscall_table_len; i++) {
		if (!hr_decode_known(hr_syscall_table[i].nr))
			fprintf(stderr, "no decoder for %s\n", hr_syscall_table[i].syscall);
		CHECK(hr_decode_known(hr_syscall_table[i].nr));
	}
	CHECK(!hr_decode_known(SYS_getpid));
}

/* ---- caches ---- */

TEST(test_users)
{
	struct hr_users *u;
	struct hr_users_stats st;
	char name[HR_USER_NAME_MAX];

	CHECK_INT(hr_users_new(8, 0, &u), 0);
	CHECK_INT(hr_users_uid_name(u, 0, name, sizeof(name)), 0);
	CHECK_STR(name, "root");
	CHECK_INT(hr_users_gid_name(u, 0, name, sizeof(name)), 0);
	CHECK_STR(name, "root");
	CHECK_INT(hr_users_uid_name(u, 3999999, name, sizeof(name)), -ENOENT);
	CHECK_INT(hr_users_uid_name(u, 3999999, name, sizeof(name)), -ENOENT);
	CHECK_INT(hr_users_uid_name(u, 0, name, sizeof(name)), 0);
	hr_users_get_stats(u, &st);
	CHECK_INT(st.misses, 3);
	CHECK_INT(st.hits, 2); /* the negative answer is cached too */
	CHECK_INT(st.evictions, 0);
	/* 8 entries: 40 distinct ids must evict, and stay bounded */
	for (uint32_t id = 5000000; id < 5000040; id++)
		hr_users_uid_name(u, id, name, sizeof(name));
	hr_users_get_stats(u, &st);
	CHECK(st.evictions >= 32);
	hr_users_free(u);

	/* a tiny TTL: the next lookup asks NSS again */
	CHECK_INT(hr_users_new(4, 1, &u), 0);
	hr_users_uid_name(u, 0, name, sizeof(name));
	usleep(20000);
	hr_users_uid_name(u, 0, name, sizeof(name));
	hr_users_get_stats(u, &st);
	CHECK_INT(st.misses, 2);
	hr_users_free(u);
	hr_users_free(NULL);
}

TEST(test_procs)
{
	struct hr_procs *p;
	struct hr_procs_stats st;
	struct hr_proc_info *pi = malloc(sizeof(*pi));
	char cid[HR_CONTAINER_ID_LEN + 1];
	char tty[HR_TTY_MAX];

	CHECK_INT(hr_procs_new(root, 8, &p), 0);
	/* miss: filled from the fake /proc */
	CHECK_INT(hr_procs_lookup(p, 777, pi), 0);
	CHECK(pi->exe_known);
	CHECK_STR(pi->exe, "/usr/sbin/sshd");
	CHECK_STR(pi->tty, "pts/1"); /* 34817 = 136:1 */
	CHECK_STR(pi->container_id,
		  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	/* exec replaces the executable; relative names via exe link */
	hr_procs_exec(p, 777, "/usr/bin/bash", 14);
	CHECK_INT(hr_procs_lookup(p, 777, pi), 0);
	CHECK_STR(pi->exe, "/usr/bin/bash");
	CHECK_STR(pi->tty, "pts/1");
	hr_procs_exec(p, PID, "./tool", 7);
	CHECK_INT(hr_procs_lookup(p, PID, pi), 0);
	CHECK_STR(pi->exe, "/usr/bin/tool");
	/* a process that exists only as an exec event */
	hr_procs_exec(p, 99999, "/bin/true", 10);
	CHECK_INT(hr_procs_lookup(p, 99999, pi), 0);
	CHECK_STR(pi->exe, "/bin/true");
	/* exit evicts; the pid is then unknown */
	hr_procs_exit(p, 99999);
	CHECK_INT(hr_procs_lookup(p, 99999, pi), -ENOENT);
	CHECK(!pi->exe_known);
	CHECK_STR(pi->exe, "");
	/* bounded: 8 entries, 20 processes */
	for (uint32_t t = 100000; t < 100020; t++)
		hr_procs_exec(p, t, "/bin/sh", 8);
	hr_procs_get_stats(p, &st);
	CHECK(st.evictions >= 12);
	CHECK_INT(st.exits, 1);
	hr_procs_free(p);
	hr_procs_free(NULL);
	free(pi);

	hr_tty_name(0, tty, sizeof(tty));
	CHECK_STR(tty, "");
	hr_tty_name((4 << 8) | 1, tty, sizeof(tty));
	CHECK_STR(tty, "tty1");
	hr_tty_name((4 << 8) | 65, tty, sizeof(tty));
	CHECK_STR(tty, "ttyS1");
	hr_tty_name((137 << 8) | 2, tty, sizeof(tty));
	CHECK_STR(tty, "pts/258");

#define ID64 "89abcdef0123456789abcdef0123456789abcdef0123456789abcdef01234567"
	CHECK(hr_cgroup_container_id("0::/docker/" ID64 "\n", 76, cid));
	CHECK_STR(cid, ID64);
	{
		const char *t = "0::/kubepods.slice/kubepods-pod1.slice/cri-containerd-" ID64
				".scope\n";

		CHECK(hr_cgroup_container_id(t, strlen(t), cid));
		CHECK_STR(cid, ID64);
		t = "0::/machine.slice/libpod-" ID64 ".scope/container\n";
		CHECK(hr_cgroup_container_id(t, strlen(t), cid));
		t = "0::/user.slice/user-1000.slice/session-3.scope\n";
		CHECK(!hr_cgroup_container_id(t, strlen(t), cid));
		CHECK_STR(cid, "");
		t = "0::/x/" ID64 "0\n"; /* 65 digits: not an id */
		CHECK(!hr_cgroup_container_id(t, strlen(t), cid));
	}
}

/* ---- requestParameters ---- */

TEST(test_mount)
{
	struct hr_decoded dec;
	struct evb *b = malloc(sizeof(*b));
	json_t *j;

	evb_init(b, SYS_mount);
	evb_str(b, 0, "/dev/sdb1");
	evb_str(b, 1, "/mnt/usb");
	evb_str(b, 2, "ext4");
	b->ev.args[3] = 0xC0ED0000 | 2 | 4 | 8; /* magic + NOSUID|NODEV|NOEXEC */
	b->ev.args[4] = PTR;
	j = decode(b, &dec);
	CHECK_STR(sget(j, "source"), "/dev/sdb1");
	CHECK_STR(sget(j, "target"), "/mnt/usb");
	CHECK_STR(sget(j, "fsType"), "ext4");
	CHECK_STR(aget(j, "flags"), "MS_NOSUID|MS_NODEV|MS_NOEXEC");
	CHECK(json_is_true(json_object_get(j, "dataPresent")));
	CHECK_INT(dec.n_res, 1);
	CHECK_STR(dec.res[0].type, "Linux::Mount");
	CHECK_STR(dec.res[0].name, "/mnt/usb");
	CHECK_STR(dec.what, "ext4 on /mnt/usb");
	json_decref(j);
	hr_decoded_clear(&dec);
	CHECK(dec.what == NULL);

	/* bind mount of a relative path, NULL fsType */
	evb_init(b, SYS_mount);
	evb_str(b, 0, "sub/dir");
	evb_str(b, 1, "/mnt/x");
	b->ev.args[3] = 4096 | 16384 | (1u << 31);
	j = decode(b, &dec);
	CHECK_STR(sget(j, "source"), "/srv/data/sub/dir");
	CHECK_STR(sget(j, "sourceRequested"), "sub/dir");
	CHECK(json_is_null(json_object_get(j, "fsType")));
	CHECK(json_object_get(j, "fsTypeUnreadable") == NULL);
	CHECK_STR(aget(j, "flags"), "MS_BIND|MS_REC|0x80000000");
	CHECK_STR(dec.what, "sub/dir bound on /mnt/x");
	CHECK(json_is_false(json_object_get(j, "dataPresent")));
	json_decref(j);
	hr_decoded_clear(&dec);

	/* umount2 */
	evb_init(b, SYS_umount2);
	evb_str(b, 0, "/mnt/x");
	b->ev.args[1] = 2 | 8;
	j = decode(b, &dec);
	CHECK_STR(aget(j, "flags"), "MNT_DETACH|UMOUNT_NOFOLLOW");
	CHECK(dec.what == NULL); /* the resource says it: /mnt/x */
	json_decref(j);
	hr_decoded_clear(&dec);
	free(b);
}

TEST(test_ids)
{
	struct hr_decoded dec;
	struct evb *b = malloc(sizeof(*b));
	json_t *j, *g;
	uint32_t groups[3] = {0, 65534, 3999999};

	evb_init(b, SYS_setuid);
	b->ev.args[0] = 0;
	j = decode(b, &dec);
	CHECK_INT(iget(j, "uid"), 0);
	CHECK_STR(sget(j, "userName"), "root");
	CHECK_INT(dec.n_res, 1);
	CHECK_STR(dec.res[0].type, "Linux::User");
	CHECK_STR(dec.res[0].name, "root");
	CHECK_STR(dec.what, "uid 0 (root)");
	json_decref(j);
	hr_decoded_clear(&dec);

	evb_init(b, SYS_setuid);
	b->ev.args[0] = 3999999;
	j = decode(b, &dec);
	CHECK_STR(dec.what, "uid 3999999");
	json_decref(j);
	hr_decoded_clear(&dec);

	evb_init(b, SYS_setresuid);
	b->ev.args[0] = 0xffffffff;
	b->ev.args[1] = 3999999;
	b->ev.args[2] = 0xffffffffffffffffULL;
	j = decode(b, &dec);
	CHECK_INT(iget(j, "ruid"), -1);
	CHECK(json_object_get(j, "ruidName") == NULL);
	CHECK_INT(iget(j, "euid"), 3999999);
	CHECK(json_is_null(json_object_get(j, "euidName")));
	CHECK_INT(iget(j, "suid"), -1);
	CHECK_INT(dec.n_res, 1);
	CHECK_STR(dec.res[0].name, "uid-3999999");
	json_decref(j);
	hr_decoded_clear(&dec);

	evb_init(b, SYS_setregid);
	b->ev.args[0] = 0;
	b->ev.args[1] = 0xffffffff;
	j = decode(b, &dec);
	CHECK_INT(iget(j, "rgid"), 0);
	CHECK_STR(sget(j, "rgidName"), "root");
	CHECK_INT(iget(j, "egid"), -1);
	CHECK_INT(dec.n_res, 0);
	json_decref(j);
	hr_decoded_clear(&dec);

	evb_init(b, SYS_setgroups);
	b->ev.args[0] = 5; /* 5 asked, 3 captured */
	evb_mem(b, 1, groups, sizeof(groups), false);
	j = decode(b, &dec);
	CHECK_INT(iget(j, "size"), 5);
	g = json_object_get(j, "groups");
	CHECK_INT(json_array_size(g), 3);
	CHECK_INT(iget(json_array_get(g, 1), "gid"), 65534);
	CHECK_STR(sget(json_array_get(g, 0), "groupName"), "root");
	CHECK(json_is_null(json_object_get(json_array_get(g, 2), "groupName")));
	CHECK(json_is_true(json_object_get(j, "groupsTruncated")));
	CHECK_INT(dec.truncated, 2);
	json_decref(j);
	hr_decoded_clear(&dec);

	/* chown: -1 keeps the owner, the name is omitted */
	evb_init(b, SYS_chown);
	evb_str(b, 0, "/etc/shadow");
	b->ev.args[1] = 0xffffffff;
	b->ev.args[2] = 0;
	j = decode(b, &dec);
	CHECK_INT(iget(j, "uid"), -1);
	CHECK(json_object_get(j, "userName") == NULL);
	CHECK_STR(sget(j, "groupName"), "root");
	CHECK_STR(dec.res[0].type, "Linux::File");
	json_decref(j);
	hr_decoded_clear(&dec);
	free(b);
}

TEST(test_paths_and_fds)
{
	struct hr_decoded dec;
	struct evb *b = malloc(sizeof(*b));
	json_t *j;

	/* fchmodat relative to cwd */
	evb_init(b, SYS_fchmodat);
	b->ev.args[0] = (uint64_t)(int64_t)AT_FDCWD;
	evb_str(b, 1, "./notes.txt");
	b->ev.args[2] = 04755;
	j = decode(b, &dec);
	CHECK_INT(iget(j, "dirfd"), -100);
	CHECK_STR(sget(j, "path"), "/srv/data/notes.txt");
	CHECK_STR(sget(j, "pathRequested"), "./notes.txt");
	CHECK_STR(sget(j, "mode"), "4755");
	CHECK_STR(dec.res[0].name, "/srv/data/notes.txt");
	json_decref(j);
	hr_decoded_clear(&dec);

	/* fchownat relative to a dirfd, AT_EMPTY_PATH with "" */
	evb_init(b, SYS_fchownat);
	b->ev.args[0] = 7;
	evb_str(b, 1, "");
	b->ev.args[2] = 0;
	b->ev.args[3] = 0;
	b->ev.args[4] = 0x1000;
	j = decode(b, &dec);
	CHECK_STR(sget(j, "path"), "/boot");
	CHECK_STR(aget(j, "flags"), "AT_EMPTY_PATH");
	json_decref(j);
	hr_decoded_clear(&dec);

	/* fchmod through an fd; an fd that is not open */
	evb_init(b, SYS_fchmod);
	b->ev.args[0] = 3;
	b->ev.args[1] = 0644;
	j = decode(b, &dec);
	CHECK_INT(iget(j, "fd"), 3);
	CHECK_STR(sget(j, "path"), "/etc/passwd");
	CHECK_STR(sget(j, "mode"), "0644");
	json_decref(j);
	hr_decoded_clear(&dec);
	b->ev.args[0] = 12;
	j = decode(b, &dec);
	CHECK(json_is_null(json_object_get(j, "path")));
	CHECK(json_is_false(json_object_get(j, "pathResolved")));
	CHECK_INT(dec.n_res, 0);
	json_decref(j);
	hr_decoded_clear(&dec);

	/* fchmod whose file the kernel named at entry (HR_ARG_FD): that path,
	 * marked resolved, not /proc's view of the fd (here another file) */
	evb_init(b, SYS_fchmod);
	evb_str(b, 0, "/srv/app/renamed-since \"x\"\n");
	b->ev.args[0] = 3;
	b->ev.args[1] = 0600;
	j = decode(b, &dec);
	CHECK_INT(iget(j, "fd"), 3);
	CHECK_STR(sget(j, "path"), "/srv/app/renamed-since \"x\"\n");
	CHECK(json_is_true(json_object_get(j, "pathResolved")));
	CHECK_INT(dec.n_res, 1);
	CHECK_STR(dec.res[0].name, "/srv/app/renamed-since \"x\"\n");
	json_decref(j);
	hr_decoded_clear(&dec);
	/* fchown the same way; a captured value that is not absolute is not
	 * trusted: /proc decides */
	evb_init(b, SYS_fchown);
	evb_str(b, 0, "memfd:x");
	b->ev.args[0] = 3;
	b->ev.args[1] = 0xffffffffu;
	b->ev.args[2] = 0xffffffffu;
	j = decode(b, &dec);
	CHECK_STR(sget(j, "path"), "/etc/passwd");
	CHECK(json_object_get(j, "pathResolved") == NULL);
	json_decref(j);
	hr_decoded_clear(&dec);

	/* a relative path for a process that is gone: kept, flagged */
	evb_init(b, SYS_chmod);
	b->ev.hdr.task.tgid = 31337;
	evb_str(b, 0, "rel");
	b->ev.args[1] = 0600;
	j = decode(b, &dec);
	CHECK_STR(sget(j, "path"), "rel");
	CHECK(json_is_false(json_object_get(j, "pathResolved")));
	CHECK_INT(dec.n_res, 0);
	json_decref(j);
	hr_decoded_clear(&dec);

	/* a path cut at its bound */
	evb_init(b, SYS_chroot);
	evb_mem(b, 0, "/very/long\0", 11, true);
	j = decode(b, &dec);
	CHECK_STR(sget(j, "path"), "/very/long");
	CHECK(json_is_true(json_object_get(j, "pathTruncated")));
	CHECK_INT(dec.truncated, 1);
	json_decref(j);
	hr_decoded_clear(&dec);

	/* finit_module: the file, its module name, flags */
	evb_init(b, SYS_finit_module);
	b->ev.args[0] = 5;
	evb_str(b, 1, "debug=1");
	b->ev.args[2] = 1 | 2;
	j = decode(b, &dec);
	CHECK_STR(sget(j, "path"), "/lib/modules/6.1.0/kernel/fs/ext4/ext4.ko.zst");
	CHECK_STR(sget(j, "params"), "debug=1");
	CHECK_STR(aget(j, "flags"), "MODULE_INIT_IGNORE_MODVERSIONS|MODULE_INIT_IGNORE_VERMAGIC");
	CHECK_INT(dec.n_res, 2);
	CHECK_STR(dec.res[1].type, "Linux::KernelModule");
	CHECK_STR(dec.res[1].name, "ext4");
	json_decref(j);
	hr_decoded_clear(&dec);

	/* setns: the namespace the fd names */
	evb_init(b, SYS_setns);
	b->ev.args[0] = 4;
	b->ev.args[1] = 0x40000000;
	j = decode(b, &dec);
	CHECK_STR(sget(j, "namespace"), "net:[4026531840]");
	CHECK_STR(aget(j, "nsType"), "CLONE_NEWNET");
	json_decref(j);
	hr_decoded_clear(&dec);

	/* move_mount from an fd (F_EMPTY_PATH) to a path */
	evb_init(b, SYS_move_mount);
	b->ev.args[0] = 7;
	evb_str(b, 1, "");
	b->ev.args[2] = (uint64_t)(int64_t)AT_FDCWD;
	evb_str(b, 3, "/mnt/new");
	b->ev.args[4] = 0x04;
	j = decode(b, &dec);
	CHECK_STR(sget(j, "fromPath"), "/boot");
	CHECK_STR(sget(j, "toPath"), "/mnt/new");
	CHECK_STR(aget(j, "flags"), "MOVE_MOUNT_F_EMPTY_PATH");
	CHECK_STR(dec.res[0].type, "Linux::Mount");
	json_decref(j);
	hr_decoded_clear(&dec);
	free(b);
}

TEST(test_kernel_calls)
{
	struct hr_decoded dec;
	struct evb *b = malloc(sizeof(*b));
	unsigned char attr[64] = {0};
	uint32_t v;
	json_t *j, *a;

	/* bpf PROG_LOAD: type and name from the captured attr */
	evb_init(b, SYS_bpf);
	b->ev.args[0] = 5;
	v = 2; /* KPROBE */
	memcpy(attr, &v, 4);
	v = 12;
	memcpy(attr + 4, &v, 4);
	memcpy(attr + 48, "sneaky_prog\0", 12);
	evb_mem(b, 1, attr, 64, false);
	b->ev.args[2] = 128;
	j = decode(b, &dec);
	CHECK_STR(sget(j, "cmd"), "BPF_PROG_LOAD");
	a = json_object_get(j, "attr");
	CHECK_STR(sget(a, "progType"), "BPF_PROG_TYPE_KPROBE");
	CHECK_STR(sget(a, "progName"), "sneaky_prog");
	CHECK_INT(iget(a, "insnCnt"), 12);
	CHECK_INT(iget(j, "size"), 128);
	json_decref(j);
	hr_decoded_clear(&dec);

	/* bpf MAP_CREATE with a 16-byte name without NUL */
	memset(attr, 0, sizeof(attr));
	v = 27;
	memcpy(attr, &v, 4);
	memcpy(attr + 28, "0123456789abcdef", 16);
	evb_init(b, SYS_bpf);
	b->ev.args[0] = 0;
	evb_mem(b, 1, attr, 64, false);
	j = decode(b, &dec);
	a = json_object_get(j, "attr");
	CHECK_STR(sget(j, "cmd"), "BPF_MAP_CREATE");
	CHECK_STR(sget(a, "mapType"), "BPF_MAP_TYPE_RINGBUF");
	CHECK_STR(sget(a, "mapName"), "0123456789abcdef");
	json_decref(j);
	hr_decoded_clear(&dec);

	/* reboot */
	evb_init(b, SYS_reboot);
	b->ev.args[0] = 0xfee1dead;
	b->ev.args[1] = 672274793;
	b->ev.args[2] = 0x01234567;
	b->ev.args[3] = PTR;
	j = decode(b, &dec);
	CHECK_STR(sget(j, "magic1"), "LINUX_REBOOT_MAGIC1");
	CHECK_STR(sget(j, "magic2"), "LINUX_REBOOT_MAGIC2");
	CHECK_STR(sget(j, "cmd"), "LINUX_REBOOT_CMD_RESTART");
	CHECK(json_object_get(j, "arg") == NULL);
	json_decref(j);
	hr_decoded_clear(&dec);

	/* kexec_load: the entry is a physical address, written as hex */
	evb_init(b, SYS_kexec_load);
	b->ev.args[0] = 0x1000000;
	b->ev.args[1] = 3;
	b->ev.args[2] = PTR;
	b->ev.args[3] = (62u << 16) | 1;
	j = decode(b, &dec);
	CHECK_STR(sget(j, "entry"), "0x1000000");
	CHECK_STR(aget(j, "flags"), "KEXEC_ON_CRASH");
	CHECK_STR(sget(j, "arch"), "KEXEC_ARCH_X86_64");
	CHECK(json_object_get(j, "segments") == NULL);
	json_decref(j);
	hr_decoded_clear(&dec);

	/* capset v3 */
	{
		uint32_t hdr[2] = {0x20080522, 0};
		uint32_t data[6] = {1u << 21, (1u << 21) | 1, 0, 1u << 7, 1u << 7, 0};

		evb_init(b, SYS_capset);
		evb_mem(b, 0, hdr, 8, false);
		evb_mem(b, 1, data, 24, false);
		j = decode(b, &dec);
		a = json_object_get(j, "header");
		CHECK_STR(sget(a, "version"), "_LINUX_CAPABILITY_VERSION_3");
		a = json_object_get(j, "data");
		CHECK_STR(aget(a, "effective"), "CAP_SYS_ADMIN|CAP_BPF");
		CHECK_STR(aget(a, "permitted"), "CAP_CHOWN|CAP_SYS_ADMIN|CAP_BPF");
		CHECK_STR(aget(a, "inheritable"), "");
		json_decref(j);
		hr_decoded_clear(&dec);
	}

	/* swapon with a priority */
	evb_init(b, SYS_swapon);
	evb_str(b, 0, "/swapfile");
	b->ev.args[1] = 0x8000 | 0x10000 | 5;
	j = decode(b, &dec);
	CHECK_STR(aget(j, "flags"), "SWAP_FLAG_PREFER|SWAP_FLAG_DISCARD");
	CHECK_INT(iget(j, "priority"), 5);
	json_decref(j);
	hr_decoded_clear(&dec);

	/* sethostname: a length-bounded buffer */
	evb_init(b, SYS_sethostname);
	evb_mem(b, 0, "evil\nhost", 9, false);
	b->ev.args[1] = 9;
	j = decode(b, &dec);
	CHECK_STR(sget(j, "name"), "evil\nhost");
	CHECK_INT(iget(j, "len"), 9);
	json_decref(j);
	hr_decoded_clear(&dec);
	free(b);
}

TEST(test_time_and_process_calls)
{
	struct hr_decoded dec;
	struct evb *b = malloc(sizeof(*b));
	int64_t ts[2] = {1700000000, 5};
	unsigned char timex[208] = {0};
	uint32_t modes = 0x0001 | 0x0100; /* OFFSET | SETOFFSET */
	int64_t off = -250, sec = 3, usec = 7;
	json_t *j, *o;

	evb_init(b, SYS_clock_settime);
	b->ev.args[0] = 0;
	evb_mem(b, 1, ts, 16, false);
	j = decode(b, &dec);
	CHECK_STR(sget(j, "clockId"), "CLOCK_REALTIME");
	o = json_object_get(j, "tp");
	CHECK_INT(iget(o, "tvSec"), 1700000000);
	CHECK_INT(iget(o, "tvNsec"), 5);
	CHECK_STR(sget(o, "time"), "2023-11-14T22:13:20Z");
	json_decref(j);
	hr_decoded_clear(&dec);

	/* clock_adjtime on a PTP clock: CLOCKFD with fd 9 */
	memcpy(timex, &modes, 4);
	memcpy(timex + 8, &off, 8);
	memcpy(timex + 72, &sec, 8);
	memcpy(timex + 80, &usec, 8);
	evb_init(b, SYS_clock_adjtime);
	b->ev.args[0] = (uint64_t)(int64_t)(int32_t)((~9u << 3) | 3);
	evb_mem(b, 1, timex, sizeof(timex), false);
	j = decode(b, &dec);
	CHECK_STR(sget(j, "clockId"), "CLOCKFD");
	CHECK_INT(iget(j, "clockFd"), 9);
	CHECK_STR(sget(j, "clockPath"), "/dev/ptp0");
	o = json_object_get(j, "buf");
	CHECK_STR(aget(o, "modes"), "ADJ_OFFSET|ADJ_SETOFFSET");
	CHECK_INT(iget(o, "offset"), -250);
	CHECK_INT(iget(json_object_get(o, "time"), "tvUsec"), 7);
	CHECK(json_object_get(o, "freq") == NULL);
	CHECK(!hr_decode_read_only(hr_syscall_lookup(SYS_clock_adjtime), &b->ev));
	json_decref(j);
	hr_decoded_clear(&dec);

	/* modes 0 reads the clock: a read-only call, as CloudTrail's Describe* */
	memset(timex, 0, sizeof(timex));
	evb_init(b, SYS_adjtimex);
	evb_mem(b, 0, timex, sizeof(timex), false);
	j = decode(b, &dec);
	CHECK_STR(aget(json_object_get(j, "buf"), "modes"), "");
	CHECK(hr_decode_read_only(hr_syscall_lookup(SYS_adjtimex), &b->ev));
	json_decref(j);
	hr_decoded_clear(&dec);
	evb_init(b, SYS_clock_adjtime);
	b->ev.args[0] = 0; /* CLOCK_REALTIME */
	evb_mem(b, 1, timex, sizeof(timex), false);
	CHECK(hr_decode_read_only(hr_syscall_lookup(SYS_clock_adjtime), &b->ev));
	/* unreadable: not taken for a read */
	evb_init(b, SYS_adjtimex);
	b->ev.args[0] = PTR;
	CHECK(!hr_decode_read_only(hr_syscall_lookup(SYS_adjtimex), &b->ev));

	/* settimeofday(NULL, tz) */
	{
		int32_t tz[2] = {-60, 0};

		evb_init(b, SYS_settimeofday);
		evb_mem(b, 1, tz, 8, false);
		j = decode(b, &dec);
		CHECK(json_is_null(json_object_get(j, "tv")));
		CHECK_INT(iget(json_object_get(j, "tz"), "minutesWest"), -60);
		json_decref(j);
		hr_decoded_clear(&dec);
	}

	/* ptrace SEIZE of a known process */
	evb_init(b, SYS_ptrace);
	b->ev.args[0] = 0x4206;
	b->ev.args[1] = 777;
	b->ev.args[2] = PTR;
	b->ev.args[3] = 0x100000 | 1;
	j = decode(b, &dec);
	CHECK_STR(sget(j, "request"), "PTRACE_SEIZE");
	CHECK_INT(iget(j, "pid"), 777);
	CHECK_STR(sget(j, "targetExe"), "/usr/sbin/sshd");
	CHECK_STR(aget(j, "options"), "PTRACE_O_TRACESYSGOOD|PTRACE_O_EXITKILL");
	CHECK(json_object_get(j, "addr") == NULL);
	CHECK_INT(dec.n_res, 1);
	CHECK_STR(dec.res[0].type, "Linux::Process");
	CHECK_STR(dec.res[0].name, "777");
	json_decref(j);
	hr_decoded_clear(&dec);

	/* PTRACE_TRACEME names the parent */
	evb_init(b, SYS_ptrace);
	b->ev.hdr.task.ppid = 777;
	j = decode(b, &dec);
	CHECK_STR(sget(j, "request"), "PTRACE_TRACEME");
	CHECK_INT(iget(j, "pid"), 777);
	json_decref(j);
	hr_decoded_clear(&dec);

	evb_init(b, SYS_process_vm_writev);
	b->ev.args[0] = 777;
	b->ev.args[1] = PTR;
	b->ev.args[2] = 2;
	b->ev.args[3] = PTR;
	b->ev.args[4] = 1;
	j = decode(b, &dec);
	CHECK_INT(iget(j, "localIovCount"), 2);
	CHECK_INT(iget(j, "remoteIovCount"), 1);
	CHECK(json_object_get(j, "localIov") == NULL);
	json_decref(j);
	hr_decoded_clear(&dec);

	evb_init(b, SYS_unshare);
	b->ev.args[0] = 0x00020000 | 0x10000000 | 0x200;
	j = decode(b, &dec);
	CHECK_STR(aget(j, "flags"), "CLONE_NEWNS|CLONE_NEWUSER|CLONE_FS");
	json_decref(j);
	hr_decoded_clear(&dec);

	/* mount_setattr: attr struct */
	{
		uint64_t ma[4] = {0x1 | 0x100000, 0x8, 1 << 20, 11};

		evb_init(b, SYS_mount_setattr);
		b->ev.args[0] = (uint64_t)(int64_t)AT_FDCWD;
		evb_str(b, 1, "/mnt/x");
		b->ev.args[2] = 0x8000;
		evb_mem(b, 3, ma, 32, false);
		b->ev.args[4] = 32;
		j = decode(b, &dec);
		o = json_object_get(j, "attr");
		CHECK_STR(aget(j, "flags"), "AT_RECURSIVE");
		CHECK_STR(aget(o, "attrSet"), "MOUNT_ATTR_RDONLY|MOUNT_ATTR_IDMAP");
		CHECK_STR(aget(o, "attrClr"), "MOUNT_ATTR_NOEXEC");
		CHECK_STR(sget(o, "propagation"), "MS_SHARED");
		CHECK_INT(iget(o, "usernsFd"), 11);
		json_decref(j);
		hr_decoded_clear(&dec);
	}
	free(b);
}

TEST(test_malformed_events)
{
	struct evb *b = malloc(sizeof(*b));

	evb_init(b, SYS_chmod);
	evb_str(b, 0, "/x");
	CHECK_INT(hr_syscall_event_check(&b->ev, evb_size(b)), 0);
	CHECK_INT(hr_syscall_event_check(&b->ev, evb_size(b) - 1), -EINVAL);
	CHECK_INT(hr_syscall_event_check(&b->ev, HR_SYSCALL_EVENT_FIXED_SIZE - 1), -EINVAL);
	CHECK_INT(hr_syscall_event_check(&b->ev, sizeof(b->ev) + 1), -EINVAL);
	b->ev.str_arg[0] = 6;
	CHECK_INT(hr_syscall_event_check(&b->ev, evb_size(b)), -EINVAL);
	b->ev.str_arg[0] = 0;
	b->ev.str_len[1] = 5000;
	CHECK_INT(hr_syscall_event_check(&b->ev, sizeof(b->ev)), -EINVAL);
	b->ev.str_len[1] = 0;
	b->ev.hdr.type = HR_EV_EXEC;
	CHECK_INT(hr_syscall_event_check(&b->ev, evb_size(b)), -EINVAL);
	CHECK_INT(hr_syscall_event_check(NULL, 0), -EINVAL);
	free(b);
}

/* Data events through the legacy doors, and ".." in the middle of a path:
 * the record names what the kernel opens, the text given stays beside it. */
TEST(test_legacy_calls_and_dotdot)
{
	struct hr_decoded dec;
	struct evb *b = malloc(sizeof(*b));
	struct {
		uint64_t flags, mode, resolve;
	} how = {O_RDONLY, 0, 0};
	const struct hr_syscall_desc *d;
	json_t *j;

	/* open(2) of an absolute path with ".." inside */
	evb_init(b, SYS_open);
	evb_str(b, 0, "/srv/other/../data/x");
	b->ev.args[1] = O_RDONLY;
	j = decode(b, &dec);
	CHECK_STR(sget(j, "path"), "/srv/data/x");
	CHECK_STR(sget(j, "pathRequested"), "/srv/other/../data/x");
	CHECK_STR(sget(j, "accessMode"), "O_RDONLY");
	CHECK_INT(dec.n_res, 1);
	CHECK_STR(dec.res[0].name, "/srv/data/x");
	CHECK(hr_decode_read_only(hr_syscall_lookup(SYS_open), &b->ev));
	json_decref(j);
	hr_decoded_clear(&dec);

	/* relative, climbing out of the cwd (/srv/data) */
	evb_init(b, SYS_unlink);
	evb_str(b, 0, "../other/./x");
	j = decode(b, &dec);
	CHECK_STR(sget(j, "path"), "/srv/other/x");
	CHECK_STR(sget(j, "pathRequested"), "../other/./x");
	CHECK_STR(dec.res[0].name, "/srv/other/x");
	json_decref(j);
	hr_decoded_clear(&dec);

	/* a path already in normal form has no "Requested" twin */
	evb_init(b, SYS_creat);
	evb_str(b, 0, "/srv/data/new");
	b->ev.args[1] = 0600;
	j = decode(b, &dec);
	CHECK_STR(sget(j, "path"), "/srv/data/new");
	CHECK(!json_object_get(j, "pathRequested"));
	CHECK_STR(sget(j, "mode"), "0600");
	CHECK(!hr_decode_read_only(hr_syscall_lookup(SYS_creat), &b->ev));
	json_decref(j);
	hr_decoded_clear(&dec);

	/* rename: both paths are resources */
	evb_init(b, SYS_rename);
	evb_str(b, 0, "/srv/data/a");
	evb_str(b, 1, "/srv//data/b");
	j = decode(b, &dec);
	CHECK_STR(sget(j, "oldPath"), "/srv/data/a");
	CHECK_STR(sget(j, "newPath"), "/srv/data/b");
	CHECK_INT(dec.n_res, 2);
	json_decref(j);
	hr_decoded_clear(&dec);

	/* openat2: flags from struct open_how */
	evb_init(b, SYS_openat2);
	b->ev.args[0] = (uint64_t)(int64_t)AT_FDCWD;
	evb_str(b, 1, "/srv/data/x");
	evb_mem(b, 2, &how, sizeof(how), false);
	b->ev.args[3] = sizeof(how);
	j = decode(b, &dec);
	CHECK_STR(sget(j, "path"), "/srv/data/x");
	CHECK_STR(sget(j, "accessMode"), "O_RDONLY");
	CHECK(hr_decode_read_only(hr_syscall_lookup(SYS_openat2), &b->ev));
	json_decref(j);
	hr_decoded_clear(&dec);
	how.flags = O_WRONLY | O_CREAT;
	how.mode = 0640;
	evb_init(b, SYS_openat2);
	b->ev.args[0] = (uint64_t)(int64_t)AT_FDCWD;
	evb_str(b, 1, "/srv/data/x");
	evb_mem(b, 2, &how, sizeof(how), false);
	j = decode(b, &dec);
	CHECK_STR(sget(j, "mode"), "0640");
	CHECK(!hr_decode_read_only(hr_syscall_lookup(SYS_openat2), &b->ev));
	json_decref(j);
	hr_decoded_clear(&dec);

	/* every legacy row is a file data event, filtered in the kernel */
	for (int nr = 0; nr < 512; nr++) {
		d = hr_syscall_lookup(nr);
		if (!d || (nr != SYS_open && nr != SYS_creat && nr != SYS_unlink &&
			   nr != SYS_rmdir && nr != SYS_rename && nr != SYS_link &&
			   nr != SYS_symlink && nr != SYS_renameat && nr != SYS_openat2))
			continue;
		CHECK(d->category == HR_CAT_DATA);
		CHECK_STR(d->resource_type, "Linux::File");
		CHECK(d->flags & HR_SPEC_F_PATH_FILTER);
	}
	free(b);
}

int main(void)
{
	setup_root();
	hr_users_new(0, 0, &users);
	hr_procs_new(root, 0, &procs);
	RUN(test_flag_sets);
	RUN(test_enums);
	RUN(test_errno_mapping);
	RUN(test_every_row_has_a_decoder);
	RUN(test_users);
	RUN(test_procs);
	RUN(test_mount);
	RUN(test_ids);
	RUN(test_paths_and_fds);
	RUN(test_legacy_calls_and_dotdot);
	RUN(test_kernel_calls);
	RUN(test_time_and_process_calls);
	RUN(test_malformed_events);
	hr_procs_free(procs);
	hr_users_free(users);
	teardown_root();
	TEST_MAIN_END();
}

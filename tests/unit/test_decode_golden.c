// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_decode_golden.c - every table row's requestParameters, resources,
 * "what" and readOnly over a fixed set of pseudo-random events, against
 * digests taken from the decoder before it was made table-driven.
 *
 * test_decode.c checks meaning key by key; this checks the bytes, so a
 * refactoring of the decoder cannot change a record unnoticed. After an
 * intended change of output, HR_GOLDEN_PRINT=1 prints the new digests.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include "harness.h"
#include "fixtures.h"
#include "decode/decode.h"
#include "decode/syscall_table.h"
#include "enrich/procs.h"
#include "common/jsonw.h"

#define PID	       4242
#define EVENTS_PER_ROW 400
#define PTR	       0x7ffd0000dead0000ULL

static char root[64];
static struct hr_procs *procs;
static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static uint64_t fnv(uint64_t h, const void *p, size_t len)
{
	const unsigned char *s = p;

	for (size_t i = 0; i < len; i++)
		h = (h ^ s[i]) * 0x100000001b3ULL;
	return h;
}

static void setup_root(void)
{
	snprintf(root, sizeof(root), "/tmp/hr_test_golden.XXXXXX");
	if (!mkdtemp(root))
		abort();
	fx_decode_proc(root);
	fx_link_at(root, "4242/fd/12", "anon_inode:[pidfd]");
}

static void teardown_root(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd))
		fprintf(stderr, "cleanup of %s failed\n", root);
}

/* Argument values that decoders branch on, and some noise. */
static uint64_t pick_value(void)
{
	static const uint64_t v[] = {
		0,
		1,
		2,
		3,
		4,
		5,
		7,
		8,
		9,
		12,
		16,
		17,
		18,
		28,
		29,
		0x4206,
		0x4207,
		(uint64_t)(int64_t)AT_FDCWD,
		0x100,
		0x1000,
		0x04,
		0x40,
		0x8000,
		0x8000 | 5,
		0x10000 | 0x8000 | 3,
		0xC0ED0000 | 0x1000 | 0x4000,
		0xC0ED0000 | 0x20 | 2,
		0x2000,
		0x1000 | 0x2000,
		0x20,
		0xffffffff,
		~0ULL,
		PTR,
		0x00100000 | 1,
		O_WRONLY | O_CREAT,
		O_RDWR | O_TRUNC,
		O_TMPFILE | O_RDWR,
		O_RDONLY | O_CLOEXEC,
		0x00020000 | 0x10000000,
		0xfee1dead,
		672274793,
		0x01234567,
		0x4321FEDC,
		(uint64_t)(int64_t)(int32_t)((~9u << 3) | 3),
		(62u << 16) | 1,
		1 | 4,
		04755,
		0644,
		777,
		31337,
		0x80000000,
		0xffffffff80000000ULL,
		1700000000,
	};
	uint64_t r = rnd();

	switch (r % 8) {
	case 0:
		return rnd();
	case 1:
		return (uint32_t)rnd();
	default:
		return v[(r >> 8) % (sizeof(v) / sizeof(v[0]))];
	}
}

static const char *const strs[] = {
	"/etc/passwd",
	"/srv/other/../data/x",
	"rel/./x",
	"../up",
	"",
	".",
	"/",
	"//double//slash",
	"ext4",
	"tmpfs",
	"a\nb\"c\\",
	"\xff\xfe bad utf8",
	"debug=1 x=2",
	"/lib/modules/m/kvm.ko.xz",
	"/x/y.ko",
	"noslash.ko.gz",
	"evil\nhost",
	"/mnt/new",
	"sub/dir",
};

/* Captured bytes for argument i: a string, a struct of noise with some
 * chosen words, or nothing. */
static void fill_slot(struct hr_syscall_event *ev, size_t *off, int *nslots, int i, uint16_t bound)
{
	unsigned char buf[HR_STR_MAX];
	size_t len;
	uint64_t r = rnd();
	int k = *nslots;

	if (r % 5 == 0 || k >= HR_MAX_STRS)
		return;
	if (r % 3 == 0) {
		/* words: some 0, some small, some noise */
		len = bound ? bound : 8 + rnd() % 64;
		if (r % 7 == 0)
			len = rnd() % (len + 1);
		for (size_t o = 0; o + 4 <= len; o += 4) {
			uint32_t w = (rnd() % 3) ? (uint32_t)pick_value() : 0;

			memcpy(buf + o, &w, 4);
		}
		for (size_t o = len & ~(size_t)3; o < len; o++)
			buf[o] = (unsigned char)rnd();
		if (len >= 64 && r % 2)
			memcpy(buf + 28, "name_with_sixteen", 16);
		if (len >= 64 && r % 4 == 1)
			memcpy(buf + 48, "prog\0", 5);
	} else {
		const char *s = strs[rnd() % (sizeof(strs) / sizeof(strs[0]))];

		len = strlen(s) + (r % 11 ? 1 : 0);
		memcpy(buf, s, len);
		if (r % 13 == 0 && len + 6 < sizeof(buf)) { /* argv-like */
			memcpy(buf + len, "-x\0-y\0", 6);
			len += 6;
		}
	}
	if (*off + len > HR_STRS_SIZE)
		return;
	memcpy(ev->strs + *off, buf, len);
	ev->str_len[k] = (uint16_t)len;
	ev->str_arg[k] = (uint16_t)i;
	if (rnd() % 6 == 0)
		ev->str_truncated |= (uint8_t)(1u << k);
	*off += len;
	if (!len)
		ev->str_len[k] = 0;
	else
		(*nslots)++;
}

static uint64_t digest_row(const struct hr_syscall_desc *d, bool print_each)
{
	struct hr_decode_env env = {.proc_root = root, .users = NULL, .procs = procs};
	struct hr_syscall_event *ev = malloc(sizeof(*ev));
	uint64_t h = 0xcbf29ce484222325ULL;
	struct jsonw w;

	jw_init(&w, 0);
	for (int n = 0; n < EVENTS_PER_ROW; n++) {
		struct hr_decoded dec;
		size_t off = 0, len;
		int nslots = 0, rc;
		const char *text;
		char line[64];

		memset(ev, 0, sizeof(*ev));
		ev->hdr.type = HR_EV_SYSCALL;
		ev->hdr.task.pid = PID;
		ev->hdr.task.tgid = rnd() % 9 ? PID : 31337;
		ev->hdr.task.ppid = rnd() % 2 ? 1 : 777;
		ev->nr = d->nr;
		ev->nargs = d->nargs;
		for (int i = 0; i < d->nargs; i++) {
			ev->args[i] = pick_value();
			if (d->args[i].kind != HR_ARG_VALUE)
				fill_slot(ev, &off, &nslots, i, d->args[i].size);
		}
		ev->hdr.size = (uint32_t)(HR_SYSCALL_EVENT_FIXED_SIZE + off);
		CHECK_INT(hr_syscall_event_check(ev, HR_SYSCALL_EVENT_FIXED_SIZE + off), 0);
		jw_reset(&w);
		rc = hr_decode_request(&w, &env, d, ev, &dec);
		text = jw_text(&w, &len);
		h = fnv(h, &rc, sizeof(rc));
		h = fnv(h, text, len);
		for (int k = 0; k < dec.n_res; k++) {
			h = fnv(h, dec.res[k].type, strlen(dec.res[k].type) + 1);
			h = fnv(h, dec.res[k].name, strlen(dec.res[k].name) + 1);
		}
		snprintf(line, sizeof(line), "|%d|%u|%d|", dec.n_res, dec.truncated,
			 hr_decode_read_only(d, ev));
		h = fnv(h, line, strlen(line));
		if (dec.what)
			h = fnv(h, dec.what, strlen(dec.what) + 1);
		if (print_each)
			printf("%s %d %.*s %s%s\n", d->syscall, n, (int)len, text, line,
			       dec.what ? dec.what : "");
		hr_decoded_clear(&dec);
	}
	jw_free(&w);
	free(ev);
	return h;
}

/* Digests of the decoder as it was (the per-call switch), row by row. */
static const struct {
	const char *syscall;
	uint64_t digest;
} golden[] = {
	{"setuid", 0x82aa7360c2358603ULL},
	{"setgid", 0x580366e0f2f08ec1ULL},
	{"setreuid", 0x4849ecb19c8dba0aULL},
	{"setregid", 0xbb5f9dd574459740ULL},
	{"setresuid", 0xe07309752616fad4ULL},
	{"setresgid", 0x9e6c86f752f62475ULL},
	{"setfsuid", 0x96e0348229a5d668ULL},
	{"setfsgid", 0x722d3d0b211fc759ULL},
	{"setgroups", 0xbd738ad0e36de8e2ULL},
	{"capset", 0x05fbbb1cf5794483ULL},
	{"init_module", 0xa9daf75a89b299d6ULL},
	{"finit_module", 0x12b7bba8c9e13e19ULL},
	{"delete_module", 0x3480ad3227c25bd1ULL},
	{"kexec_load", 0x487e0886db1672ffULL},
	{"kexec_file_load", 0x573b83c02aed8bbaULL},
	{"bpf", 0x19dafa5d16029181ULL},
	{"reboot", 0x3b53aafdc3f11025ULL},
	{"swapon", 0x49fa96db2cf8355fULL},
	{"swapoff", 0x5019e11c605ab568ULL},
	{"iopl", 0xb2d3edb069c9526fULL},
	{"ioperm", 0x03b52159c0c4cb8eULL},
	{"acct", 0x1f3dc28cfb6e7d47ULL},
	{"sethostname", 0x333b9b9572f940adULL},
	{"setdomainname", 0x520964fae4526969ULL},
	{"settimeofday", 0x16f7df299f8eaeddULL},
	{"clock_settime", 0x52036985d7b36618ULL},
	{"adjtimex", 0x94756e289b5fad8eULL},
	{"clock_adjtime", 0xfe27ebe69f98761bULL},
	{"mount", 0x81242ab6071e46b9ULL},
	{"umount", 0xf446314b4d7de1d9ULL},
	{"pivot_root", 0x59d3deb91558bc23ULL},
	{"chroot", 0x03e379b64bd5510eULL},
	{"move_mount", 0xa521b3081f2d2a1dULL},
	{"fsmount", 0xb87c730e3f33df4fULL},
	{"mount_setattr", 0x4a4141df192439e3ULL},
	{"ptrace", 0xf21220392ad82954ULL},
	{"process_vm_writev", 0x8cb9f8b90c573cb4ULL},
	{"unshare", 0xad3d5e61ddd112d2ULL},
	{"setns", 0xad7b2eabd3346ecaULL},
	{"chmod", 0xc3d69bbff661f4c6ULL},
	{"fchmod", 0x4d9d218777c23093ULL},
	{"fchmodat", 0xc4b5e333a4a9dd61ULL},
	{"fchmodat2", 0x0074eb1533c89895ULL},
	{"chown", 0xe3b017477da89c0eULL},
	{"fchown", 0xd55013a4dc750d51ULL},
	{"lchown", 0x1ec49f1d4d1ccbb7ULL},
	{"fchownat", 0x9aa72987632cc3f5ULL},
	{"openat", 0x38a76964af0726e6ULL},
	{"unlinkat", 0xc03b1e616d9fd643ULL},
	{"renameat2", 0x03485fc6fc3caa5cULL},
	{"truncate", 0xa807edde4f68dcd8ULL},
	{"linkat", 0xe693d8caec3267fbULL},
	{"symlinkat", 0x3423f48783c745beULL},
	{"openat2", 0xacd5380458d23887ULL},
	{"renameat", 0xbe325e4ad95b95f4ULL},
	{"open", 0x8679a768c1420c91ULL},
	{"creat", 0xbf412425b24013aaULL},
	{"unlink", 0x629b040d365ff14dULL},
	{"rmdir", 0x63f7faf36df6c2a4ULL},
	{"rename", 0xfd831e1685874647ULL},
	{"link", 0xea3d7d26447f4c5aULL},
	{"symlink", 0x968edd1f4493e6e4ULL},
	{"execve", 0x5c926115ccf7fa78ULL},
	{"execveat", 0x3640f92cd7c20d58ULL},
};

TEST(test_rows_unchanged)
{
	bool print = getenv("HR_GOLDEN_PRINT") != NULL;
	bool each = getenv("HR_GOLDEN_EACH") != NULL;
	size_t i, g;

	for (i = 0; i < hr_syscall_table_len; i++) {
		const struct hr_syscall_desc *d = &hr_syscall_table[i];
		uint64_t h = digest_row(d, each);

		if (print) {
			printf("\t{ \"%s\", 0x%016llxULL },\n", d->syscall, (unsigned long long)h);
			continue;
		}
		for (g = 0; g < sizeof(golden) / sizeof(golden[0]); g++)
			if (!strcmp(golden[g].syscall, d->syscall))
				break;
		if (g == sizeof(golden) / sizeof(golden[0])) {
			fprintf(stderr, "%s: no golden digest (a new row?)\n", d->syscall);
			CHECK(false);
			continue;
		}
		if (golden[g].digest != h)
			fprintf(stderr, "%s: records differ from the golden ones\n", d->syscall);
		CHECK(golden[g].digest == h);
	}
}

int main(void)
{
	setup_root();
	hr_procs_new(root, 0, &procs);
	RUN(test_rows_unchanged);
	hr_procs_free(procs);
	teardown_root();
	TEST_MAIN_END();
}

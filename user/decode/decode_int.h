/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * decode_int.h - inside the decoder: one event being turned into
 * requestParameters, and the writers the table's rows name.
 *
 * args.c writes the argument kinds a row describes (strings, paths, fds,
 * ids, numbers, flags); structs.c the arguments that need their own
 * function (time, open flags, argv, a process); calls.c the irregular
 * calls; what.c the few words of hr_decoded.what. Only decode/ includes
 * this header.
 */
#ifndef HOSTRAIL_DECODE_DCTX_H
#define HOSTRAIL_DECODE_DCTX_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "decode/decode.h"
#include "decode/decoders.h"
#include "decode/syscall_table.h"

/* Room for a cwd or fd target (PATH_MAX) plus a captured path. */
#define PATHBUF (PATH_MAX + HR_STR_MAX + 2)

struct hr_dctx {
	struct jsonw *w;
	const struct hr_decode_env *env;
	const struct hr_syscall_desc *d;
	const struct hr_syscall_event *ev;
	struct hr_decoded *out;
	int err;
	/* argument i's captured bytes, if any */
	const char *slot[HR_MAX_ARGS];
	size_t slot_len[HR_MAX_ARGS];
};

static inline int64_t arg_i64(const struct hr_dctx *c, int i)
{
	return (int64_t)c->ev->args[i];
}
static inline uint64_t arg_u64(const struct hr_dctx *c, int i)
{
	return c->ev->args[i];
}
static inline uint32_t arg_u32(const struct hr_dctx *c, int i)
{
	return (uint32_t)c->ev->args[i];
}
static inline int32_t arg_i32(const struct hr_dctx *c, int i)
{
	return (int32_t)(uint32_t)c->ev->args[i];
}
static inline const char *argname(const struct hr_dctx *c, int i)
{
	return c->d->args[i].name;
}

/* ---- args.c: the pieces every decoder writes with ---- */

/* True if argument i's capture was cut at its bound. */
bool hrd_truncated(const struct hr_dctx *c, int i);
/* "<key><suffix>" for the companion keys (pathTruncated...). */
const char *hrd_key2(char *buf, size_t size, const char *key, const char *suffix);
void hrd_kflag(struct hr_dctx *c, const char *key, const char *suffix, bool v);
/* "<key>Truncated": true and the record's truncation bit, if argument i was cut. */
void hrd_mark_truncated(struct hr_dctx *c, int i, const char *key);
/* A little-endian field of a captured struct; false if not captured. */
bool hrd_mem_u32(const struct hr_dctx *c, int i, size_t off, uint32_t *v);
bool hrd_mem_u64(const struct hr_dctx *c, int i, size_t off, uint64_t *v);
/* A resource for the record; one per type and name. */
void hrd_add_res(struct hr_dctx *c, const char *type, const char *name, size_t len);
/* The captured string of argument i (up to its first NUL). */
bool hrd_slot_str(const struct hr_dctx *c, int i, const char **s, size_t *len);
/* A non-path string argument; true if it was captured. */
bool hrd_string(struct hr_dctx *c, int i, const char *key, const char **s, size_t *len);
/* A path argument made absolute through dirfd or the cwd (args.c says how). */
void hrd_path_at(struct hr_dctx *c, int i, const char *key, bool have_dirfd, int32_t dirfd,
		 bool empty_ok, const char *res_type);
void hrd_path(struct hr_dctx *c, int i, const char *key, const char *res_type);
/* An fd value and what /proc says it refers to (pathkey NULL: the number only). */
void hrd_fd_val(struct hr_dctx *c, int32_t fd, const char *fdkey, const char *pathkey,
		const char *res_type);
/* An fd argument: its path as the kernel captured it (HR_ARG_FD), else as hrd_fd_val. */
void hrd_fd(struct hr_dctx *c, int i, const char *fdkey, const char *pathkey, const char *res_type);
/* A uid or gid with its name under namekey; (uid_t)-1 is written -1. */
void hrd_id(struct hr_dctx *c, const char *key, const char *namekey, uint32_t id, bool group,
	    const char *res_type);
void hrd_mode(struct hr_dctx *c, const char *key, uint32_t mode);
void hrd_flags(struct hr_dctx *c, const char *key, const struct hr_names *t, uint64_t v);
void hrd_enum(struct hr_dctx *c, const char *key, const struct hr_names *t, uint64_t v);
void hrd_hex(struct hr_dctx *c, const char *key, uint64_t v);
/* Argument i as its row describes it (enum hr_show). */
void hrd_arg(struct hr_dctx *c, int i);

#endif

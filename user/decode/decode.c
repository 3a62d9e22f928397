// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * decode.c - requestParameters for every recorded system call, as its
 * table row says: each argument as described (args.c walks them), or the
 * row's own decoder for an irregular call (calls.c), then its "what".
 *
 * A generic walk over capture kinds alone would print pointer values and
 * raw flag words; the rows name keys, flag tables and resources so that
 * the record says what a reader can act on.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "decode/decode_int.h"
#include "common/jsonw.h"

/* A row says how to show every argument, or has its own decoder. */
static bool described(const struct hr_syscall_desc *d)
{
	if (!d)
		return false;
	if (d->decode)
		return true;
	for (int i = 0; i < d->nargs && i < HR_MAX_ARGS; i++)
		if (d->args[i].show == HR_SHOW_UNSET ||
		    (d->args[i].show == HR_SHOW_FN && !d->args[i].fn))
			return false;
	return true;
}

bool hr_decode_known(int nr)
{
	return described(hr_syscall_lookup(nr));
}

bool hr_decode_read_only(const struct hr_syscall_desc *d, const struct hr_syscall_event *ev)
{
	return d->read_only ? d->read_only(d, ev) : false;
}

/* For a row that does not say how to show its arguments:
 * numbers and strings only, so no pointer is mistaken for meaning. */
static void decode_generic(struct hr_dctx *c)
{
	const char *s;
	size_t len;

	for (int i = 0; i < c->d->nargs && i < HR_MAX_ARGS; i++) {
		if (c->d->args[i].kind == HR_ARG_STR)
			hrd_string(c, i, argname(c, i), &s, &len);
		else if (c->d->args[i].kind == HR_ARG_VALUE)
			jw_kint(c->w, argname(c, i), arg_i64(c, i));
	}
}

int hr_syscall_event_check(const struct hr_syscall_event *ev, size_t size)
{
	size_t used = 0;

	if (!ev || size < HR_SYSCALL_EVENT_FIXED_SIZE || size > sizeof(*ev))
		return -EINVAL;
	if (ev->hdr.type != HR_EV_SYSCALL || ev->nargs > HR_MAX_ARGS)
		return -EINVAL;
	for (int k = 0; k < HR_MAX_STRS; k++) {
		if (!ev->str_len[k])
			continue;
		if (ev->str_len[k] > HR_STR_MAX || ev->str_arg[k] >= HR_MAX_ARGS)
			return -EINVAL;
		used += ev->str_len[k];
	}
	if (used > size - HR_SYSCALL_EVENT_FIXED_SIZE)
		return -EINVAL;
	return 0;
}

int hr_decode_request(struct jsonw *w, const struct hr_decode_env *env,
		      const struct hr_syscall_desc *d, const struct hr_syscall_event *ev,
		      struct hr_decoded *out)
{
	struct hr_dctx c = {.w = w, .env = env, .d = d, .ev = ev, .out = out};
	size_t off = 0;
	bool known;

	memset(out, 0, sizeof(*out));
	for (int k = 0; k < HR_MAX_STRS; k++) {
		if (!ev->str_len[k])
			continue;
		/* first slot wins should the kernel ever fill two for one arg */
		if (!c.slot[ev->str_arg[k]]) {
			c.slot[ev->str_arg[k]] = ev->strs + off;
			c.slot_len[ev->str_arg[k]] = ev->str_len[k];
		}
		off += ev->str_len[k];
	}
	known = described(d);
	jw_obj_begin(w);
	if (!known)
		decode_generic(&c);
	else if (d->decode)
		d->decode(&c);
	else
		for (int i = 0; i < d->nargs && i < HR_MAX_ARGS; i++)
			hrd_arg(&c, i);
	if (known && !c.err && d->what)
		d->what(&c);
	jw_obj_end(w);
	if (c.err) {
		hr_decoded_clear(out);
		return c.err;
	}
	return jw_error(w) == -ENOMEM ? -ENOMEM : 0;
}

void hr_decoded_clear(struct hr_decoded *dec)
{
	if (!dec)
		return;
	for (int k = 0; k < dec->n_res && k < HR_DECODE_MAX_RES; k++)
		free(dec->res[k].name);
	free(dec->what);
	memset(dec, 0, sizeof(*dec));
}

bool hr_decode_error(int64_t ret, char *code_buf, size_t code_size, const char **message)
{
	const char *name, *desc;
	int err;

	/* Only -1..-4095 are errors; other negatives are values (lseek). */
	if (ret >= 0 || ret < -4095)
		return false;
	err = (int)-ret;
	name = strerrorname_np(err);
	desc = strerrordesc_np(err);
	if (name)
		snprintf(code_buf, code_size, "%s", name);
	else
		snprintf(code_buf, code_size, "E%d", err);
	*message = desc ? desc : "Unknown error";
	return true;
}

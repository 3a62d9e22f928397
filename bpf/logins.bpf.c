// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * logins.bpf.c - the calls every login program makes into libpam and
 * libaudit, seen by uprobes, one HR_EV_LOGIN event per call.
 *
 * Nothing here interprets a login: user space ties a transaction's calls
 * together (by the pam_handle_t address) and decides what they mean. The
 * one rule enforced here is what may be read: pam_set_item is filtered
 * on its item type BEFORE its value is touched, so an authentication
 * token or a conversation reply is never copied, not even into a map.
 *
 * Attached by the loader (user/capture/uprobes.c) to the libraries the
 * dynamic linker's cache names; the SEC names carry no path, so the
 * skeleton's auto-attach leaves them alone.
 */
#include "common.bpf.h"

/* A call between its uprobe and its uretprobe, per thread. */
struct login_pending {
	__u64 handle; /* pam_handle_t, or 0 for pam_start */
	__u64 ptr[2]; /* pam_start: service, user (caller-owned) */
	__u64 out;    /* pam_start: where the new handle is stored */
	__u8 op;
	__u8 _pad[7];
};

/* LRU: a thread killed inside a PAM call never reaches the uretprobe;
 * its slot must not be kept for ever. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct login_pending);
} hr_login_pending SEC(".maps");

/* Per-CPU build area: an event is too big for the BPF stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct hr_login_event);
} hr_login_scratch SEC(".maps");

static __always_inline struct hr_login_event *login_begin(__u8 op)
{
	__u32 zero = 0;
	struct hr_login_event *e = bpf_map_lookup_elem(&hr_login_scratch, &zero);

	if (!e)
		return NULL;
	hr_fill_header(&e->hdr, HR_EV_LOGIN);
	e->hdr.size = sizeof(*e);
	e->op = op;
	e->item = 0;
	e->_pad0 = 0;
	e->ret = 0;
	e->handle = 0;
	e->audit_type = 0;
	e->audit_id = 0;
	for (int k = 0; k < HR_LOGIN_STRS; k++)
		e->str_len[k] = 0;
	e->_pad1[0] = e->_pad1[1] = 0;
	return e;
}

static __always_inline void login_str(struct hr_login_event *e, int k, __u64 ptr)
{
	long n;

	if (!ptr || k < 0 || k >= HR_LOGIN_STRS - 1)
		return;
	n = bpf_probe_read_user_str(e->strs[k], HR_LOGIN_STR_MAX, (void *)ptr);
	if (n < 0) {
		hr_count_drop(HR_DROP_STR);
		n = 0;
	}
	e->str_len[k] = n;
}

static __always_inline void login_send(struct hr_login_event *e)
{
	if (bpf_ringbuf_output(&hr_events, e, sizeof(*e), hr_wakeup_flags()))
		hr_count_drop(HR_DROP_RINGBUF);
}

static __always_inline bool is_agent(void)
{
	return hr_agent_tgid && bpf_get_current_pid_tgid() >> 32 == hr_agent_tgid;
}

static __always_inline int pending_put(__u8 op, __u64 handle, __u64 p0, __u64 p1, __u64 out)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct login_pending p = {
		.handle = handle,
		.ptr = {p0, p1},
		.out = out,
		.op = op,
	};

	if (is_agent())
		return 0;
	bpf_map_update_elem(&hr_login_pending, &id, &p, BPF_ANY);
	return 0;
}

/* The uretprobe half: one event with the call's result. */
static __always_inline int pending_done(struct pt_regs *ctx, __u8 op)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct login_pending *p = bpf_map_lookup_elem(&hr_login_pending, &id);
	struct hr_login_event *e;
	__u64 handle = 0;

	if (!p)
		return 0;
	if (p->op != op) {
		bpf_map_delete_elem(&hr_login_pending, &id);
		return 0;
	}
	e = login_begin(op);
	if (!e) {
		bpf_map_delete_elem(&hr_login_pending, &id);
		return 0;
	}
	e->ret = (__s32)PT_REGS_RC(ctx);
	if (op == HR_LOGIN_PAM_START) {
		if (p->out)
			bpf_probe_read_user(&handle, sizeof(handle), (void *)p->out);
		e->handle = handle;
		login_str(e, 0, p->ptr[0]);
		login_str(e, 1, p->ptr[1]);
	} else {
		e->handle = p->handle;
	}
	bpf_map_delete_elem(&hr_login_pending, &id);
	login_send(e);
	return 0;
}

/* int pam_start(const char *service, const char *user,
 *               const struct pam_conv *conv, pam_handle_t **pamh) */
SEC("uprobe")
int BPF_KPROBE(hr_pam_start, const char *service, const char *user, void *conv, void **pamh)
{
	return pending_put(HR_LOGIN_PAM_START, 0, (__u64)service, (__u64)user, (__u64)pamh);
}

SEC("uretprobe")
int BPF_KRETPROBE(hr_pam_start_ret)
{
	return pending_done(ctx, HR_LOGIN_PAM_START);
}

/* int pam_set_item(pam_handle_t *pamh, int item_type, const void *item) */
SEC("uprobe")
int BPF_KPROBE(hr_pam_set_item, void *pamh, int item_type, const void *item)
{
	struct hr_login_event *e;

	/* The allow-list comes first: PAM_AUTHTOK (6), PAM_OLDAUTHTOK (7),
	 * PAM_CONV (5) and anything unknown are never read. */
	if (item_type != HR_PAM_SERVICE && item_type != HR_PAM_USER && item_type != HR_PAM_TTY &&
	    item_type != HR_PAM_RHOST && item_type != HR_PAM_RUSER)
		return 0;
	if (is_agent())
		return 0;
	e = login_begin(HR_LOGIN_PAM_SET_ITEM);
	if (!e)
		return 0;
	e->handle = (__u64)pamh;
	e->item = item_type;
	login_str(e, 0, (__u64)item);
	login_send(e);
	return 0;
}

#define HR_PAM_HANDLE_CALL(name, OP)                          \
	SEC("uprobe")                                         \
	int BPF_KPROBE(hr_##name, void *pamh)                 \
	{                                                     \
		return pending_put(OP, (__u64)pamh, 0, 0, 0); \
	}                                                     \
	SEC("uretprobe")                                      \
	int BPF_KRETPROBE(hr_##name##_ret)                    \
	{                                                     \
		return pending_done(ctx, OP);                 \
	}

HR_PAM_HANDLE_CALL(pam_authenticate, HR_LOGIN_PAM_AUTHENTICATE)
HR_PAM_HANDLE_CALL(pam_acct_mgmt, HR_LOGIN_PAM_ACCT_MGMT)
HR_PAM_HANDLE_CALL(pam_open_session, HR_LOGIN_PAM_OPEN_SESSION)
HR_PAM_HANDLE_CALL(pam_close_session, HR_LOGIN_PAM_CLOSE_SESSION)

/* int pam_end(pam_handle_t *pamh, int pam_status): the status the
 * application ends with is the transaction's verdict. */
SEC("uprobe")
int BPF_KPROBE(hr_pam_end, void *pamh, int pam_status)
{
	struct hr_login_event *e;

	if (is_agent())
		return 0;
	e = login_begin(HR_LOGIN_PAM_END);
	if (!e)
		return 0;
	e->handle = (__u64)pamh;
	e->ret = pam_status;
	login_send(e);
	return 0;
}

/*
 * Arguments past the registers are on the stack. At a function's first
 * instruction the stack pointer points at the return address (x86-64),
 * so stack argument i (0-based) is at sp + 8 * (i + 1); arm64 passes
 * eight in registers and has no return address on the stack.
 */
#if defined(__TARGET_ARCH_x86)
#define HR_REG_ARGS   6
#define HR_STACK_SKIP 1
#elif defined(__TARGET_ARCH_arm64)
#define HR_REG_ARGS   8
#define HR_STACK_SKIP 0
#endif

#ifdef HR_REG_ARGS
/* Argument n (1-based) of the probed function. libbpf names only five
 * register arguments, so the sixth (and arm64's seventh and eighth) are
 * read from pt_regs directly. */
static __always_inline __u64 arg_n(struct pt_regs *ctx, int n)
{
	__u64 v = 0;

	switch (n) {
	case 1:
		return PT_REGS_PARM1(ctx);
	case 2:
		return PT_REGS_PARM2(ctx);
	case 3:
		return PT_REGS_PARM3(ctx);
	case 4:
		return PT_REGS_PARM4(ctx);
	case 5:
		return PT_REGS_PARM5(ctx);
#if defined(__TARGET_ARCH_x86)
	case 6:
		return ctx->r9;
#else
	case 6:
		return ctx->regs[5];
	case 7:
		return ctx->regs[6];
	case 8:
		return ctx->regs[7];
#endif
	}
	bpf_probe_read_user(&v, sizeof(v),
			    (void *)(PT_REGS_SP(ctx) + 8 * (n - HR_REG_ARGS - 1 + HR_STACK_SKIP)));
	return v;
}

/* int audit_log_acct_message(int audit_fd, int type, const char *pgname,
 *	const char *op, const char *name, unsigned int id, const char *host,
 *	const char *addr, const char *tty, int result)
 * sshd reports here what PAM never sees: a refused public key, a user
 * that does not exist. */
SEC("uprobe")
int BPF_KPROBE(hr_audit_acct)
{
	struct hr_login_event *e;

	if (is_agent())
		return 0;
	e = login_begin(HR_LOGIN_AUDIT_ACCT);
	if (!e)
		return 0;
	e->audit_type = (__s32)arg_n(ctx, 2);
	login_str(e, 0, arg_n(ctx, 4));
	login_str(e, 1, arg_n(ctx, 5));
	e->audit_id = (__u32)arg_n(ctx, 6);
	login_str(e, 2, arg_n(ctx, 7));
	login_str(e, 3, arg_n(ctx, 8));
	login_str(e, 4, arg_n(ctx, 9));
	e->ret = (__s32)arg_n(ctx, 10);
	login_send(e);
	return 0;
}
#endif

/* int audit_log_user_command(int audit_fd, int type, const char *command,
 *	const char *tty, int result): sudo's verdict on one command. The
 * caller's own argv comes along: it names the target user (-u). */
SEC("uprobe")
int BPF_KPROBE(hr_audit_cmd, int fd, int type, const char *command, const char *tty, int result)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct hr_login_event *e;
	__u64 start, end, len;

	if (is_agent())
		return 0;
	e = login_begin(HR_LOGIN_AUDIT_CMD);
	if (!e)
		return 0;
	e->audit_type = type;
	e->ret = result;
	login_str(e, 0, (__u64)command);
	login_str(e, 4, (__u64)tty);
	start = BPF_CORE_READ(task, mm, arg_start);
	end = BPF_CORE_READ(task, mm, arg_end);
	len = end > start ? end - start : 0;
	if (len > HR_LOGIN_ARGV_MAX)
		len = HR_LOGIN_ARGV_MAX;
	if (len && !bpf_probe_read_user(e->argv, len & (HR_LOGIN_ARGV_MAX - 1 | HR_LOGIN_ARGV_MAX),
					(void *)start))
		e->str_len[HR_LOGIN_STRS - 1] = len;
	login_send(e);
	return 0;
}

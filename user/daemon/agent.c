// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * agent.c - wire the pipeline stages together and run the loop:
 * capture -> (decode -> enrich -> record: pipeline/pipeline.c) -> the
 * trails (select -> batch -> deliver -> sign) and the outputs.
 *
 * Start order matters for integrity: the signer first (it knows where the
 * chain stands), then the batcher (it recovers what a crashed run accepted
 * and hands those files to the signer), then capture. A clean stop runs
 * the other way: detach, drain, StopLogging, deliver, final digest.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <jansson.h>
#include "batch/batch.h"
#include "capture/capture.h"
#include "common/log.h"
#include "common/sandbox.h"
#include "daemon/agent.h"
#include "daemon/control.h"
#include "daemon/trail_cmds.h"
#include "daemon/trails.h"
#include "decode/flags.h"
#include "decode/syscall_table.h"
#include "deliver/output.h"
#include "record/record.h"
#include "record/signin.h"
#include "sign/signer.h"
#include "common/clock.h"

#define POLL_MS 100

struct agent {
	const struct hr_config *cfg;
	struct hr_recorder *rec;
	struct hr_capture *cap;
	struct hr_trails trails; /* each with its batcher, signer, selectors */
	struct hr_cmd_env cmd;	 /* the control commands' view of the agent */
	struct hr_ctl_server *ctl;
	struct hr_outputs outputs; /* journald, history: off the loop */
	int epfd;		   /* the ring buffer and the control socket */

	/* Loss accounting: what was already reported as LostEvents. */
	uint64_t kernel_reported[HR_DROP_NR];
	uint64_t malformed, malformed_reported;
	int64_t loss_window_start_ns;
	uint64_t recorded;
};

static const char *const drop_reason_names[HR_DROP_NR] = {
	[HR_DROP_RINGBUF] = "ringBufferFull",
	[HR_DROP_INFLIGHT] = "inFlightTableFull",
	[HR_DROP_STR] = "argumentUnreadable",
};

/* Events carry CLOCK_BOOTTIME; records need wall-clock time. */
static void refresh_clock(struct agent *a)
{
	hr_recorder_set_clock(a->rec, hr_clock_ns(CLOCK_REALTIME) - hr_clock_ns(CLOCK_BOOTTIME));
}

/*
 * Every record goes through here, once. The trails spool what their
 * selectors keep; each output sees what some trail that sends to it kept,
 * except not_to: an output's own losses are not sent to it, it would lose
 * them again.
 */
static void emit_to(struct agent *a, struct hr_record *rec, const char *not_to)
{
	/* shared by reference, one copy for all; NULL (no memory) is counted */
	struct hr_shared_record *sr = hr_shared_record_new(rec);
	unsigned outputs = hr_trails_deliver(&a->trails, sr, sr ? &sr->rec : rec);

	a->recorded++;
	hr_outputs_take(&a->outputs, sr, outputs, not_to);
	hr_shared_record_put(sr);
	hr_record_free(rec);
}

static void emit(struct agent *a, struct hr_record *rec)
{
	emit_to(a, rec, NULL);
}

/* emit() for stages that call back with an opaque context (sign-ins,
 * control commands). */
static void emit_cb(void *arg, struct hr_record *rec)
{
	emit(arg, rec);
}

static int on_event(void *ctx, const void *data, size_t size)
{
	const struct hr_header *h = data;
	struct agent *a = ctx;
	struct hr_record rec = {0};

	if (size < sizeof(*h)) {
		a->malformed++;
		return 0;
	}
	switch (h->type) {
	case HR_EV_SYSCALL:
		if (hr_record_syscall(a->rec, data, size, &rec)) {
			a->malformed++;
			break;
		}
		emit(a, &rec);
		break;
	case HR_EV_LOGIN:
		if (hr_record_login(a->rec, data, size, emit_cb, a))
			a->malformed++;
		break;
	case HR_EV_EXEC:
		hr_recorder_exec(a->rec, data, size);
		break;
	case HR_EV_EXIT:
		if (size >= sizeof(struct hr_exit_event))
			hr_recorder_exit(a->rec, data);
		break;
	default:
		a->malformed++;
	}
	return 0;
}

static void report_loss(struct agent *a, uint64_t count, int64_t now_ns, const char *reason,
			const char *sink)
{
	struct hr_record rec = {0};

	hr_warn("lost %llu events (%s, %s) since the last report", (unsigned long long)count,
		reason, sink);
	if (hr_record_lost(a->rec, count, a->loss_window_start_ns, now_ns, reason, sink, &rec)) {
		hr_err("failed to build a LostEvents record");
		return;
	}
	emit_to(a, &rec, sink);
}

/* Nothing is lost silently: every counter that moved becomes a record. */
static void account_losses(struct agent *a, int64_t now_ns)
{
	struct hr_loss ol[HR_LOSSES_MAX];
	struct hr_output_counters oc;
	uint64_t totals[HR_DROP_NR];
	bool reported = false;
	int n;

	if (a->cap && hr_capture_drops(a->cap, totals) == 0) {
		for (int k = 0; k < HR_DROP_NR; k++) {
			if (totals[k] == a->kernel_reported[k])
				continue;
			report_loss(a, totals[k] - a->kernel_reported[k], now_ns,
				    drop_reason_names[k], "kernel");
			a->kernel_reported[k] = totals[k];
			reported = true;
		}
	}
	if (a->malformed != a->malformed_reported) {
		report_loss(a, a->malformed - a->malformed_reported, now_ns, "malformedEvent",
			    "kernel");
		a->malformed_reported = a->malformed;
		reported = true;
	}
	/* Counted first (reported[] moves): a report may fail the same way. */
	for (int i = 0; i < a->trails.n; i++) {
		struct hr_trail *t = &a->trails.t[i];

		hr_trail_counters(t, &oc);
		n = hr_output_new_losses(HR_OUTPUT_BUCKET, &oc, t->reported, ol);
		for (int k = 0; k < n; k++)
			report_loss(a, ol[k].count, now_ns, ol[k].reason, ol[k].output);
		reported |= n > 0;
	}
	n = hr_outputs_losses(&a->outputs, ol);
	for (int k = 0; k < n; k++)
		report_loss(a, ol[k].count, now_ns, ol[k].reason, ol[k].output);
	reported |= n > 0;
	if (reported)
		a->loss_window_start_ns = now_ns;
}

static void agent_close(struct agent *a)
{
	hr_ctl_server_close(a->ctl);
	hr_capture_close(a->cap);
	hr_trails_close(&a->trails);
	hr_outputs_stop(&a->outputs);
	hr_recorder_free(a->rec);
	if (a->epfd > 0)
		close(a->epfd);
}

/* Attach a system call only if some logging trail may keep its records. */
static bool want_syscall(void *arg, const struct hr_syscall_desc *d)
{
	struct agent *a = arg;

	return hr_trails_may_record(&a->trails, hr_category_name(d->category), d->event_source,
				    d->event_name, d->resource_type);
}

/* Send its read-only calls (adjtimex modes 0) up only if a trail may keep them. */
static bool want_read_only(void *arg, const struct hr_syscall_desc *d)
{
	struct agent *a = arg;

	return hr_trails_may_record_ro(&a->trails, hr_category_name(d->category), d->event_source,
				       d->event_name, d->resource_type, "true");
}

struct prefix_list {
	const char *path[512];
	bool exact[512];
	char *owned[512];
	int n;
};

static void add_prefix(void *arg, const char *path, size_t len, bool exact)
{
	struct prefix_list *l = arg;

	if (l->n >= 512)
		return;
	l->owned[l->n] = strndup(path, len);
	if (!l->owned[l->n])
		return;
	l->path[l->n] = l->owned[l->n];
	l->exact[l->n++] = exact;
}

/* Selectors or logging changed: attach what is now needed and tell the
 * kernel which paths and executables data events are wanted for. */
static void selection_changed(void *arg)
{
	static const struct {
		char kind;
		const char *type;
	} kinds[] = {
		{HR_PATH_KIND_FILE, "Linux::File"},
		{HR_PATH_KIND_EXEC, "Linux::Process"},
	};
	struct agent *a = arg;

	if (!a->cap)
		return;
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		struct hr_sel_ctx ctx = {a->trails.region, a->trails.account_id, NULL};
		struct prefix_list *l = calloc(1, sizeof(*l));

		if (!l)
			continue;
		for (int i = 0; i < a->trails.n; i++)
			if (a->trails.t[i].logging)
				hr_select_prefixes(&a->trails.t[i].sel, &ctx, kinds[k].type,
						   add_prefix, l);
		hr_capture_set_paths(a->cap, kinds[k].kind, l->path, l->exact, l->n);
		for (int i = 0; i < l->n; i++)
			free(l->owned[i]);
		free(l);
	}
	if (hr_capture_reattach(a->cap))
		hr_err("failed to attach the system calls the trails now select");
}

/* get-trail-status's lost counters, by sink. */
static void lost_counters(void *arg, void *obj)
{
	struct agent *a = arg;
	uint64_t totals[HR_DROP_NR] = {0};
	uint64_t kernel = a->malformed;

	if (a->cap && hr_capture_drops(a->cap, totals) == 0)
		for (int k = 0; k < HR_DROP_NR; k++)
			kernel += totals[k];
	json_object_set_new(obj, "kernel", json_integer((json_int_t)kernel));
	for (int i = 0; i < a->outputs.n; i++) {
		const struct hr_output *o = &a->outputs.o[i];
		struct hr_output_counters c;
		uint64_t lost = 0;

		o->ops->counters(o->ctx, &c);
		for (int k = 0; k < HR_LOSS_NR; k++)
			lost += c.lost[k];
		json_object_set_new(obj, o->ops->name, json_integer((json_int_t)lost));
	}
}

/* The event history behind a burst (deliver/out_history.c): records its
 * full queue deferred, how many it has read back from the bucket, and how
 * many it still lacks (lookup-events lags by those, with no holes). */
static void catch_up_counters(void *arg, void *obj)
{
	struct agent *a = arg;
	struct hr_output_counters c;

	if (hr_outputs_counters(&a->outputs, HR_OUTPUT_HISTORY, &c))
		return;
	json_object_set_new(obj, "behind", json_integer((json_int_t)c.behind));
	json_object_set_new(obj, "deferred", json_integer((json_int_t)c.deferred));
	json_object_set_new(obj, "caughtUp", json_integer((json_int_t)c.caught_up));
}

/* What the kernel's path filter kept out of the ring buffer (all trails). */
static void filter_counters(void *arg, void *obj)
{
	struct agent *a = arg;
	uint64_t f[HR_FILTER_NR] = {0};

	if (a->cap)
		hr_capture_filter_stats(a->cap, f);
	json_object_set_new(obj, "skipped", json_integer((json_int_t)f[HR_FILTER_SKIPPED]));
	json_object_set_new(obj, "passed", json_integer((json_int_t)f[HR_FILTER_PASSED]));
	json_object_set_new(obj, "undecided", json_integer((json_int_t)f[HR_FILTER_UNDECIDED]));
	json_object_set_new(obj, "readOnlySkipped",
			    json_integer((json_int_t)f[HR_FILTER_READ_ONLY]));
}

/*
 * What the running agent may do, as the kernel sees it (not as configured):
 * the capture loop's effective capabilities and its seccomp mode. For
 * get-trail-status and the StartLogging record.
 */
static json_t *sandbox_state(void)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2] = {{0}};
	json_t *o = json_object(), *caps = json_array();
	uint64_t eff;

	syscall(SYS_capget, &h, d);
	eff = d[0].effective | (uint64_t)d[1].effective << 32;
	for (int bit = 0; bit < 64; bit++) {
		const char *name = hr_name_of(&hr_caps, 1ULL << bit);

		if (eff & (1ULL << bit))
			json_array_append_new(caps, name ? json_string(name) : json_integer(bit));
	}
	json_object_set_new(o, "enabled", json_boolean(hr_sandbox_enabled()));
	json_object_set_new(o, "capabilities", caps);
	json_object_set_new(o, "seccomp", json_boolean(prctl(PR_GET_SECCOMP) == 2));
	json_object_set_new(o, "refusedCalls", json_integer((json_int_t)hr_sandbox_refused()));
	return o;
}

/* Once attached and listening: the running phase's privileges only. */
static int enter_sandbox(void)
{
	char err[200];

	if (!hr_sandbox_enabled()) {
		hr_warn("the sandbox is off (\"sandbox\": false): the agent keeps every "
			"capability and makes any system call");
		return 0;
	}
	if (hr_sandbox_enter(err, sizeof(err))) {
		hr_err("failed to enter the sandbox: %s; \"sandbox\": false in the "
		       "configuration runs the agent without it",
		       err);
		return -1;
	}
	if (hr_sandbox_filter_skipped())
		hr_warn("an ASan build (make SAN=1): capabilities dropped, no seccomp filter");
	return 0;
}

/* A refused call is a bug in the agent's list, or someone inside the agent. */
static void report_refused_calls(void)
{
	for (int nr; (nr = hr_sandbox_next_refused_nr()) >= 0;)
		hr_warn("the sandbox refused system call %s (%llu refused in all)",
			hr_sandbox_call_name(nr), (unsigned long long)hr_sandbox_refused());
}

/* get-trail-status's HostrailCapture: which hook records what, and why */
static void capture_hooks(void *arg, void *obj)
{
	struct agent *a = arg;
	struct hr_capture_hooks h;
	json_t *probed = json_object();

	if (!a->cap)
		return;
	hr_capture_hooks(a->cap, &h);
	json_object_set_new(obj, "dataEventHook", json_string(hr_capture_hook_name(h.data_events)));
	json_object_set_new(obj, "callHook", json_string(hr_capture_hook_name(h.calls)));
	for (int k = 0; k < HR_HOOK_NR; k++)
		json_object_set_new(probed, hr_hook_name(k), json_boolean(h.probed[k]));
	json_object_set_new(obj, "probed", probed);
	json_object_set_new(obj, "sandbox", sandbox_state());
}

static char *on_control(void *arg, const char *request, const struct ucred *peer)
{
	struct agent *a = arg;

	return hr_trail_command(&a->cmd, request, peer);
}

static int agent_open(struct agent *a, const struct hr_config *cfg)
{
	struct epoll_event ev = {.events = EPOLLIN};
	struct hr_recorder_opts ro = {0};
	struct hr_capture_opts co = {0};
	int err;

	a->cfg = cfg;
	/* Before anything is created on disk: a start that cannot succeed
	 * leaves nothing behind. */
	err = hr_capture_check_environment();
	if (err)
		return err;
	if (hr_check_writable_dir("state directory", cfg->state_dir, 0700))
		return -EACCES;

	snprintf(ro.frame.account_id, sizeof(ro.frame.account_id), "%s", cfg->account_id);
	snprintf(ro.frame.region, sizeof(ro.frame.region), "%s", cfg->region);
	/* Control events name their trail in requestParameters; the frame's
	 * trail is only the default. */
	snprintf(ro.frame.trail_name, sizeof(ro.frame.trail_name), "%s", cfg->trails[0].name);
	snprintf(ro.frame.bucket_name, sizeof(ro.frame.bucket_name), "%s",
		 cfg->trails[0].s3_bucket_name);
	ro.proc_root = "/proc";
	err = hr_recorder_new(&ro, &a->rec);
	if (err) {
		hr_err("failed to set up the recorder: %s", strerror(-err));
		return err;
	}
	refresh_clock(a);

	/* Every output runs even if no trail sends to it yet: a reload may
	 * turn it on. An output that cannot open counts its losses. Before
	 * the trails: their recovery publishes files the outputs hear of. */
	err = hr_outputs_open(&a->outputs,
			      &(struct hr_output_env){.state_dir = cfg->state_dir,
						      .retention_days = cfg->history_retention_days,
						      .queue_bytes_of = cfg->output_queue_bytes});
	if (err)
		return err;
	err = hr_trails_open(&a->trails, cfg, &a->outputs);
	if (err)
		return err;
	/* Logging from the start: capture attaches what the trails select. */
	for (int i = 0; i < a->trails.n; i++) {
		a->trails.t[i].logging = true;
		a->trails.t[i].start_ns = hr_clock_ns(CLOCK_REALTIME);
	}
	a->cmd = (struct hr_cmd_env){
		.trails = &a->trails,
		.rec = a->rec,
		.agent = a,
		.emit = emit_cb,
		.selection_changed = selection_changed,
		.lost_counters = lost_counters,
		.catch_up_counters = catch_up_counters,
		.filter_counters = filter_counters,
		.capture_hooks = capture_hooks,
	};

	co.on_event = on_event;
	co.ctx = a;
	co.want = want_syscall;
	co.want_read_only = want_read_only;
	co.want_arg = a;
	co.state_dir = cfg->state_dir;
	co.choice = cfg->capture_hook;
	err = hr_capture_open(&co, &a->cap);
	if (err)
		return err;
	selection_changed(a);

	a->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (a->epfd < 0) {
		err = -errno;
		hr_err("failed to create the agent's epoll: %s", strerror(-err));
		return err;
	}
	ev.data.fd = hr_capture_epoll_fd(a->cap);
	if (epoll_ctl(a->epfd, EPOLL_CTL_ADD, ev.data.fd, &ev)) {
		err = -errno;
		hr_err("failed to watch the ring buffer: %s", strerror(-err));
		return err;
	}
	return hr_ctl_server_open(&a->ctl, cfg->state_dir, cfg->control_group, a->epfd, on_control,
				  a);
}

/* StartLogging says what this kernel cannot record, so a reader of the
 * trail knows what its silence means. */
static void record_start(struct agent *a)
{
	const char *missing = hr_capture_unavailable(a->cap);
	struct hr_record rec = {0};
	char extra[2048], *sandbox;
	json_t *sb;
	size_t o;

	o = snprintf(extra, sizeof(extra),
		     "{\"agentVersion\":\"%s\",\"recordedCalls\":%d,"
		     "\"notRecordable\":[",
		     HOSTRAIL_VERSION, hr_capture_attached(a->cap));
	for (const char *p = missing; *p && o < sizeof(extra) - 512;) {
		size_t n = strcspn(p, ",");

		o += snprintf(extra + o, sizeof(extra) - o, "%s\"%.*s\"", p == missing ? "" : ",",
			      (int)n, p);
		p += n + (p[n] == ',');
	}
	sb = sandbox_state();
	sandbox = json_dumps(sb, JSON_COMPACT);
	json_decref(sb);
	snprintf(extra + o, sizeof(extra) - o, "],\"sandbox\":%s}", sandbox ? sandbox : "null");
	free(sandbox);
	for (int i = 0; i < a->trails.n; i++) {
		struct hr_control_call call = {.event_name = "StartLogging", .extra_json = extra};
		char req[256];

		snprintf(req, sizeof(req), "{\"name\":\"%s\"}", a->trails.t[i].cfg.name);
		call.request_json = req; /* trail names are [A-Za-z0-9._-] */
		if (hr_record_control_call(a->rec, &call, &rec) == 0)
			emit(a, &rec);
	}
}

static int agent_stop(struct agent *a)
{
	struct hr_record rec = {0};
	int64_t now;
	int rc;

	sd_notify(0, "STOPPING=1\nSTATUS=delivering the open batches and the final digest");
	/* No new events after this; then take everything already queued. */
	hr_capture_detach(a->cap);
	hr_capture_poll(a->cap, 0);
	hr_outputs_flush(&a->outputs); /* so that their losses are in this trail */
	now = hr_clock_ns(CLOCK_REALTIME);
	account_losses(a, now);
	for (int i = 0; i < a->trails.n; i++) {
		struct hr_control_call call = {.event_name = "StopLogging"};
		char req[256];

		/* a stopped trail records nothing, not even this */
		snprintf(req, sizeof(req), "{\"name\":\"%s\"}", a->trails.t[i].cfg.name);
		call.request_json = req;
		if (hr_record_control_call(a->rec, &call, &rec) == 0)
			emit(a, &rec);
	}
	rc = hr_trails_stop(&a->trails);
	if (!rc)
		hr_info("stopped after %llu records", (unsigned long long)a->recorded);
	return rc;
}

/* SIGHUP: re-read the configuration; a refused one changes nothing. */
static void reload(struct agent *a, struct hr_reload *rl)
{
	struct hr_config *cfg = calloc(1, sizeof(*cfg));
	struct hr_task caller;
	char err[1024];

	rl->requested = 0;
	if (!cfg)
		return;
	if (rl->load(cfg, err, sizeof(err))) {
		hr_err("refused configuration on reload: %s; the running configuration stays "
		       "in force",
		       err);
		hr_config_free(cfg);
		free(cfg);
		return;
	}
	if (cfg->sandbox != hr_sandbox_enabled())
		hr_warn("%s: \"sandbox\" changes only with a restart (a sandboxed agent cannot "
			"leave its sandbox); the rest is applied",
			cfg->source);
	hr_task_from_peer((uint32_t)rl->sender_pid, (uint32_t)rl->sender_uid,
			  (uint32_t)rl->sender_uid, &caller);
	hr_trails_reload(&a->cmd, cfg, rl->sender_pid > 0 ? &caller : NULL);
	hr_config_free(cfg);
	free(cfg);
}

int hr_agent_run(const struct hr_config *cfg, volatile int *stop, struct hr_reload *rl)
{
	struct agent a = {0};
	int64_t last_second = 0, last_status = 0;
	uint64_t watchdog_usec = 0;
	int64_t last_watchdog = 0;
	int rc = 1, err;

	if (agent_open(&a, cfg) || enter_sandbox())
		goto out;
	a.loss_window_start_ns = hr_clock_ns(CLOCK_REALTIME);
	record_start(&a);
	for (int i = 0; i < a.trails.n; i++)
		hr_info("trail %s: into %s, batches every %us", a.trails.t[i].cfg.name,
			a.trails.t[i].cfg.bucket_dir, a.trails.t[i].cfg.batch_seconds);
	hr_info("recording %d system calls on %s for %d trail%s", hr_capture_attached(a.cap),
		cfg->region, a.trails.n, a.trails.n == 1 ? "" : "s");
	/* READY only now: every probe is attached and every trail is open. */
	sd_notifyf(0, "READY=1\nSTATUS=recording %d system calls", hr_capture_attached(a.cap));
	if (sd_watchdog_enabled(0, &watchdog_usec) <= 0)
		watchdog_usec = 0;

	while (!*stop) {
		struct epoll_event evs[8];
		int64_t now;
		int n;

		/* The ring buffer's wake-ups are batched (hr_wakeup_flags): the
		 * timeout bounds how long a lone event waits. */
		n = epoll_wait(a.epfd, evs, 8, POLL_MS);
		for (int k = 0; k < n; k++)
			hr_ctl_server_ready(a.ctl, evs[k].data.fd);
		err = hr_capture_poll(a.cap, 0);
		if (err) {
			hr_err("failed to read the ring buffer: %s", strerror(-err));
			goto out;
		}
		if (rl && rl->requested)
			reload(&a, rl);
		now = hr_clock_ns(CLOCK_REALTIME);
		/* The watchdog hears from the loop itself, at half its period:
		 * a loop wedged anywhere (a stuck output, a deadlock) stops the
		 * pings and systemd restarts the agent. */
		if (watchdog_usec &&
		    hr_clock_ns(CLOCK_MONOTONIC) - last_watchdog >= (int64_t)watchdog_usec * 500) {
			sd_notify(0, "WATCHDOG=1");
			last_watchdog = hr_clock_ns(CLOCK_MONOTONIC);
		}
		if (now - last_status >= 10 * 1000000000LL) {
			sd_notifyf(0,
				   "STATUS=recording %d system calls for %d trail%s; %llu records",
				   hr_capture_attached(a.cap), a.trails.n,
				   a.trails.n == 1 ? "" : "s", (unsigned long long)a.recorded);
			last_status = now;
		}
		if (now - last_second >= 1000000000LL) {
			refresh_clock(&a);
			account_losses(&a, now);
			hr_ctl_server_sweep(a.ctl, now);
			report_refused_calls();
			last_second = now;
		}
	}
	rc = agent_stop(&a);
out:
	agent_close(&a);
	report_refused_calls(); /* the stop's own, too */
	return rc;
}

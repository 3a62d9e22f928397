// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * record.c - the record stage (record_int.h): its state, the formatters
 * every record uses and the one writer of every record's tail.
 *
 * Records are written straight into a reused jsonw buffer, in the key
 * order of cloudtrail-format.md §2.2; jansson would cost ten times as much
 * here. The builders are beside this file: syscall.c (system calls),
 * own_events.c (the agent's own events), signin.c (sign-ins), with the
 * userIdentity writer in identity.c. pipeline/pipeline.c drives decode,
 * enrich and then this stage. Not thread-safe.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>
#include "common/encode.h"
#include "record.h"
#include "record_int.h"
#include "common/jsonw.h"
#include "common/clock.h"

_Static_assert(HR_DECODE_MAX_RES == HR_RECORD_MAX_RESOURCES, "resource bounds differ");

/* Boot id as 32 hex digits; if unreadable (tests, odd containers), a
 * random one: requestIDs stay unique, they just stop naming the boot. */
static void load_boot_id(struct hr_rec *r, const char *proc_root)
{
	char path[PATH_MAX], buf[64];
	const char *roots[2] = {proc_root, "/proc"};
	size_t o = 0;
	ssize_t n = -1;
	int fd;

	for (int k = 0; k < 2 && n <= 0; k++) {
		snprintf(path, sizeof(path), "%s/sys/kernel/random/boot_id", roots[k]);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	for (ssize_t i = 0; i < n && o < 32; i++)
		if ((buf[i] >= '0' && buf[i] <= '9') || (buf[i] >= 'a' && buf[i] <= 'f'))
			r->boot_id[o++] = buf[i];
	if (o < 32) {
		unsigned char b[16] = {0};

		if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
			memset(b, 0, sizeof(b));
		for (int i = 0; i < 16; i++)
			snprintf(r->boot_id + 2 * i, 3, "%02x", b[i]);
	}
	r->boot_id[32] = '\0';
	memcpy(r->key_prefix, "HRS", 3);
	for (int i = 0; i < 16; i++) {
		char ch = r->boot_id[i];

		r->key_prefix[3 + i] = (ch >= 'a' && ch <= 'f') ? (char)(ch - 'a' + 'A') : ch;
	}
	r->key_prefix[19] = '\0';
}

static bool frame_valid(const struct hr_frame *f)
{
	size_t n;

	/* Both go into ARNs: keep ':' and '/' out. */
	n = strnlen(f->account_id, sizeof(f->account_id));
	if (!n || n == sizeof(f->account_id))
		return false;
	for (size_t i = 0; i < n; i++)
		if (f->account_id[i] < '0' || f->account_id[i] > '9')
			return false;
	n = strnlen(f->region, sizeof(f->region));
	if (!n || n == sizeof(f->region))
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = f->region[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return false;
	}
	return strnlen(f->trail_name, sizeof(f->trail_name)) < sizeof(f->trail_name) &&
	       strnlen(f->bucket_name, sizeof(f->bucket_name)) < sizeof(f->bucket_name);
}

int hr_rec_init(struct hr_rec *r, const struct hr_frame *frame, const char *proc_root)
{
	memset(r, 0, sizeof(*r));
	if (!frame_valid(frame))
		return -EINVAL;
	if (jw_init(&r->w, 8192))
		return -ENOMEM;
	r->frame = *frame;
	r->clock_off = hr_clock_ns(CLOCK_REALTIME) - hr_clock_ns(CLOCK_BOOTTIME);
	r->last_sec = INT64_MIN;
	r->rnd_off = RND_POOL;
	snprintf(r->arn_tail, sizeof(r->arn_tail), "%s:%s:", r->frame.region, r->frame.account_id);
	load_boot_id(r, proc_root);
	return 0;
}

void hr_rec_fini(struct hr_rec *r)
{
	jw_free(&r->w);
}

void hr_record_free(struct hr_record *rec)
{
	if (!rec)
		return;
	free(rec->json);
	free(rec->user_name);
	free(rec->user_arn);
	free(rec->access_key_id);
	free(rec->source_ip);
	free(rec->acting_as);
	free(rec->error_code);
	free(rec->what);
	for (int i = 0; i < rec->n_resources && i < HR_RECORD_MAX_RESOURCES; i++) {
		free(rec->resources[i].arn);
		free(rec->resources[i].name);
	}
	memset(rec, 0, sizeof(*rec));
}

/* ---- small formatters ---- */

static int random_bytes(struct hr_rec *r, void *p, size_t n)
{
	if (r->rnd_off + n > RND_POOL) {
		/* One getrandom per 256 records, not one per record. */
		if (getrandom(r->rnd, RND_POOL, 0) != RND_POOL)
			return -EIO;
		r->rnd_off = 0;
	}
	memcpy(p, r->rnd + r->rnd_off, n);
	r->rnd_off += n;
	return 0;
}

/*
 * Time-ordered (version 7, RFC 9562) UUID, lower-case 8-4-4-4-12: 48 bits
 * of wall-clock milliseconds, then 74 random bits. The history's eventID
 * index then grows at its end instead of being written at random.
 */
int hr_rec_uuid(struct hr_rec *r, char out[37])
{
	uint64_t ms = (uint64_t)hr_clock_ns(CLOCK_REALTIME) / 1000000;
	unsigned char b[16];

	if (random_bytes(r, b, sizeof(b)))
		return -EIO;
	for (int i = 0; i < 6; i++)
		b[i] = (unsigned char)(ms >> (40 - 8 * i));
	b[6] = (b[6] & 0x0f) | 0x70;
	b[8] = (b[8] & 0x3f) | 0x80;
	hr_uuid_text(b, out);
	return 0;
}

/* eventTime; records come in time order, so one strftime per second. */
const char *hr_rec_event_time(struct hr_rec *r, int64_t ns)
{
	int64_t sec = ns >= 0 ? ns / 1000000000LL : -((-ns + 999999999LL) / 1000000000LL);

	if (sec != r->last_sec) {
		if (!hr_format_utc(sec, r->last_time, sizeof(r->last_time)))
			snprintf(r->last_time, sizeof(r->last_time), "1970-01-01T00:00:00Z");
		r->last_sec = sec;
	}
	return r->last_time;
}

/* requestID: unique per system call on this host, and decodable:
 * <first 16 hex of boot id>-<CLOCK_BOOTTIME ns, 16 hex>-<tid, 8 hex>. */
void hr_rec_request_id(const struct hr_rec *r, uint64_t boot_ns, uint32_t tid, char out[48])
{
	snprintf(out, 48, "%.16s-%016llx-%08x", r->boot_id, (unsigned long long)boot_ns, tid);
}

/* "arn:hostrail:<service>:<region>:<account>:<tail>", malloc'd. */
char *hr_rec_arn(const struct hr_rec *r, const char *service, const char *tail)
{
	size_t sl = strlen(service), al = strlen(r->arn_tail), tl = strlen(tail);
	char *s = malloc(13 + sl + 1 + al + tl + 1), *o;

	if (!s)
		return NULL;
	o = s;
	memcpy(o, "arn:hostrail:", 13);
	o += 13;
	memcpy(o, service, sl);
	o += sl;
	*o++ = ':';
	memcpy(o, r->arn_tail, al);
	o += al;
	memcpy(o, tail, tl);
	o += tl;
	*o = '\0';
	return s;
}

/* Copy the finished JSON into the record (the writer's buffer stays). */
static int finish(struct hr_rec *r, struct hr_record *out)
{
	size_t len;
	const char *text;
	int rc = jw_error(&r->w);

	if (rc)
		return rc;
	text = jw_text(&r->w, &len);
	out->json = malloc(len + 1);
	if (!out->json)
		return -ENOMEM;
	memcpy(out->json, text, len + 1);
	out->len = len;
	return 0;
}

/*
 * Every record's tail, in CloudTrail's key order: requestID, eventID,
 * readOnly, [resources], eventType, managementEvent, recipientAccountId,
 * [serviceEventDetails], eventCategory. Then the record is finished and
 * its index fields are set from k.
 */
int hr_rec_tail(struct hr_rec *r, const struct hr_rec_kind *k, struct hr_record *out)
{
	struct jsonw *w = &r->w;
	int rc;

	if (k->request_id)
		jw_kstrz(w, "requestID", k->request_id);
	rc = hr_rec_uuid(r, out->event_id);
	if (rc)
		return rc;
	jw_kstrz(w, "eventID", out->event_id);
	jw_kbool(w, "readOnly", k->read_only);
	if (k->resources) {
		rc = k->resources(r, k->arg, out);
		if (rc)
			return rc;
	}
	jw_kstrz(w, "eventType", k->event_type);
	jw_kbool(w, "managementEvent", k->category == HR_CAT_MANAGEMENT);
	jw_kstrz(w, "recipientAccountId", r->frame.account_id);
	if (k->details)
		k->details(w, k->arg);
	jw_kstrz(w, "eventCategory", hr_category_name(k->category));
	jw_obj_end(w);
	rc = finish(r, out);
	if (rc)
		return rc;
	out->event_time_ns = k->wall_ns;
	out->event_name = k->event_name;
	out->event_source = k->event_source;
	out->event_category = hr_category_name(k->category);
	out->event_type = k->event_type;
	out->read_only = k->read_only;
	return 0;
}

void hr_rec_begin(struct hr_rec *r, struct hr_record *out)
{
	memset(out, 0, sizeof(*out));
	jw_reset(&r->w);
	jw_obj_begin(&r->w);
	jw_kstrz(&r->w, "eventVersion", EVENT_VERSION);
}

void hr_rec_what(struct hr_rec *r, int64_t wall_ns, const char *source, const char *name)
{
	jw_kstrz(&r->w, "eventTime", hr_rec_event_time(r, wall_ns));
	jw_kstrz(&r->w, "eventSource", source);
	jw_kstrz(&r->w, "eventName", name);
	jw_kstrz(&r->w, "awsRegion", r->frame.region);
}

int hr_rec_finish(struct hr_rec *r, const struct hr_rec_kind *k, const char *source_ip,
		  const char *error_code, struct ident *id, struct hr_record *out)
{
	int rc = hr_rec_tail(r, k, out);

	if (!rc) {
		out->source_ip = strdup(source_ip);
		out->error_code = error_code ? strdup(error_code) : NULL;
		if (!out->source_ip || (error_code && !out->error_code))
			rc = -ENOMEM;
	}
	if (rc) {
		hr_rec_ident_clear(id);
		hr_record_free(out);
		return rc;
	}
	hr_rec_ident_move(id, out);
	return 0;
}

/* userAgent: the executable, else comm; valid UTF-8, at most 1 KB. The
 * exact bytes are in additionalEventData.process.exe. */
void hr_rec_user_agent(struct jsonw *w, const struct hr_proc_info *pi, const char *comm)
{
	jw_key(w, "userAgent");
	if (pi->exe_known && pi->exe_len)
		jw_strn(w, pi->exe, pi->exe_len < USER_AGENT_MAX ? pi->exe_len : USER_AGENT_MAX);
	else
		jw_strn(w, comm, strnlen(comm, HR_COMM_LEN));
}

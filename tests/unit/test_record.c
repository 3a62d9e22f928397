// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* test_record.c - whole CloudTrail records from hand-made events, read
 * back with jansson and checked field by field and in key order. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <jansson.h>
#include "harness.h"
#include "fixtures.h"
#include "record/record.h"

#define PID	4242
#define PTR	0x7ffd0000dead0000ULL
#define ACCT	"123456789012"
#define HOST	"web-1"
#define BOOT_ID "0123456789abcdef-fedc-ba98-7654-3210deadbeef"
/* 2023-11-14T22:13:20Z as the wall clock at boot time 0 */
#define T0 1700000000LL

static char root[64];
static struct hr_recorder *rec;

/* ---- a fake /proc ---- */

static void setup(void)
{
	struct hr_recorder_opts o = {0};

	snprintf(root, sizeof(root), "/tmp/hr_test_record.XXXXXX");
	if (!mkdtemp(root))
		abort();
	fx_mkdir_at(root, "4242");
	fx_link_at(root, "4242/exe", "/usr/bin/tool");
	fx_link_at(root, "4242/cwd", "/home/alice");
	fx_write_at(root, "4242/stat", "4242 (tool) S 1 4242 4242 34816 4242 0\n");
	fx_write_at(root, "4242/cgroup",
		    "0::/system.slice/docker-"
		    "abcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcd.scope\n");
	fx_mkdir_at(root, "sys");
	fx_mkdir_at(root, "sys/kernel");
	fx_mkdir_at(root, "sys/kernel/random");
	fx_write_at(root, "sys/kernel/random/boot_id", BOOT_ID "\n");

	snprintf(o.frame.account_id, sizeof(o.frame.account_id), ACCT);
	snprintf(o.frame.region, sizeof(o.frame.region), HOST);
	snprintf(o.frame.trail_name, sizeof(o.frame.trail_name), "main");
	o.proc_root = root;
	if (hr_recorder_new(&o, &rec))
		abort();
	hr_recorder_set_clock(rec, T0 * 1000000000LL);
}

static void teardown(void)
{
	char cmd[128];

	hr_recorder_free(rec);
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

static void evb_init(struct evb *b, int nr, uint32_t euid)
{
	memset(b, 0, sizeof(*b));
	b->ev.hdr.type = HR_EV_SYSCALL;
	b->ev.hdr.boot_ns = 5 * 1000000000ULL + 123;
	b->ev.hdr.task.pid = PID;
	b->ev.hdr.task.tgid = PID;
	b->ev.hdr.task.ppid = 1;
	b->ev.hdr.task.uid = euid;
	b->ev.hdr.task.euid = euid;
	b->ev.hdr.task.loginuid = 0xffffffffu;
	b->ev.hdr.task.sessionid = 0xffffffffu;
	b->ev.hdr.task.cgroup_id = 8128;
	memcpy(b->ev.hdr.task.comm, "tool", 5);
	b->ev.nr = nr;
}

static void evb_mem(struct evb *b, int arg, const void *p, size_t len, bool trunc)
{
	int k = b->nslots++;

	memcpy(b->ev.strs + b->off, p, len);
	b->ev.str_len[k] = (uint16_t)len;
	b->ev.str_arg[k] = (uint16_t)arg;
	if (trunc)
		b->ev.str_truncated |= (uint8_t)(1u << k);
	b->ev.args[arg] = PTR;
	b->off += len;
}

static void evb_str(struct evb *b, int arg, const char *s)
{
	evb_mem(b, arg, s, strlen(s) + 1, false);
}

static size_t evb_size(struct evb *b)
{
	b->ev.hdr.size = (uint32_t)(HR_SYSCALL_EVENT_FIXED_SIZE + b->off);
	return b->ev.hdr.size;
}

/* ---- reading records back ---- */

static json_t *parse(const struct hr_record *r)
{
	json_error_t err;
	json_t *j;

	if (!r->json)
		return NULL;
	CHECK_INT(strlen(r->json), r->len); /* no NUL inside, no newline */
	CHECK(!memchr(r->json, '\n', r->len));
	j = json_loadb(r->json, r->len, 0, &err);
	if (!j)
		fprintf(stderr, "jansson: %s at %d\n", err.text, err.position);
	CHECK(j != NULL);
	return j;
}

/* The top-level keys in the order written, from the text itself (so the
 * check does not depend on how jansson orders its objects). */
static char *top_keys(const char *s)
{
	static char out[2048];
	int depth = 0;
	size_t o = 0;
	bool key_next = false;

	out[0] = '\0';
	for (const char *p = s; *p; p++) {
		if (*p == '"') {
			const char *q = ++p;

			while (*p && *p != '"')
				p += (*p == '\\') ? 2 : 1;
			if (depth == 1 && key_next) {
				o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%.*s",
						      o ? "," : "", (int)(p - q), q);
				key_next = false;
			}
			continue;
		}
		if (*p == '{' || *p == '[')
			depth++;
		else if (*p == '}' || *p == ']')
			depth--;
		if (depth == 1 && (*p == '{' || *p == ','))
			key_next = true;
	}
	return out;
}

static const char *sget(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static json_t *oget(json_t *o, const char *path)
{
	char buf[256], *save = NULL, *tok;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok && o; tok = strtok_r(NULL, ".", &save))
		o = json_object_get(o, tok);
	return o;
}

static bool is_uuid4(const char *s)
{
	if (!s || strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i])) {
			return false;
		}
	}
	return s[14] == '7' && strchr("89ab", s[19]);
}

static bool is_event_time(const char *s)
{
	const char *pat = "dddd-dd-ddTdd:dd:ddZ";

	if (!s || strlen(s) != 20)
		return false;
	for (int i = 0; i < 20; i++)
		if (pat[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != pat[i])
			return false;
	return true;
}

static json_t *record(struct evb *b, struct hr_record *out)
{
	int rc = hr_record_syscall(rec, &b->ev, evb_size(b), out);

	CHECK_INT(rc, 0);
	return rc ? NULL : parse(out);
}

#define KEYS_HEAD                                                              \
	"eventVersion,userIdentity,eventTime,eventSource,eventName,awsRegion," \
	"sourceIPAddress,userAgent"
#define KEYS_TAIL                                                           \
	"requestParameters,responseElements,additionalEventData,requestID," \
	"eventID,readOnly"
#define KEYS_END "eventType,managementEvent,recipientAccountId,eventCategory"

/* ---- tests ---- */

TEST(test_mount_record_root)
{
	struct evb *b = malloc(sizeof(*b));
	struct hr_record r;
	json_t *j, *v, *res;
	char want[64];

	evb_init(b, SYS_mount, 0);
	evb_str(b, 0, "tmpfs");
	evb_str(b, 1, "/mnt/scratch");
	evb_str(b, 2, "tmpfs");
	b->ev.args[3] = 2 | 4;
	j = record(b, &r);
	if (!j)
		goto out;
	CHECK_STR(top_keys(r.json), KEYS_HEAD "," KEYS_TAIL ",resources," KEYS_END);
	CHECK_STR(sget(j, "eventVersion"), "1.11");
	CHECK_STR(sget(oget(j, "userIdentity"), "type"), "Root");
	CHECK_STR(sget(oget(j, "userIdentity"), "principalId"), "0");
	CHECK_STR(sget(oget(j, "userIdentity"), "arn"), "arn:hostrail:iam:" HOST ":" ACCT ":root");
	CHECK_STR(sget(oget(j, "userIdentity"), "accountId"), ACCT);
	CHECK(oget(j, "userIdentity.accessKeyId") == NULL);
	CHECK(is_event_time(sget(j, "eventTime")));
	CHECK_STR(sget(j, "eventTime"), "2023-11-14T22:13:25Z");
	CHECK_STR(sget(j, "eventSource"), "mount.linux");
	CHECK_STR(sget(j, "eventName"), "Mount");
	CHECK_STR(sget(j, "awsRegion"), HOST);
	CHECK_STR(sget(j, "sourceIPAddress"), "localhost");
	CHECK_STR(sget(j, "userAgent"), "/usr/bin/tool");
	CHECK(json_object_get(j, "errorCode") == NULL);
	CHECK_STR(sget(oget(j, "requestParameters"), "target"), "/mnt/scratch");
	CHECK_STR(json_string_value(json_array_get(oget(j, "requestParameters.flags"), 0)),
		  "MS_NOSUID");
	CHECK_STR(json_string_value(json_array_get(oget(j, "requestParameters.flags"), 1)),
		  "MS_NODEV");
	CHECK(json_is_null(json_object_get(j, "responseElements")));
	v = oget(j, "additionalEventData");
	CHECK(json_integer_value(json_object_get(v, "eventTimeNanos")) ==
	      T0 * 1000000000LL + 5000000123LL);
	CHECK_INT(json_integer_value(oget(v, "process.pid")), PID);
	CHECK(oget(v, "process.tid") == NULL);
	CHECK_INT(json_integer_value(oget(v, "process.ppid")), 1);
	CHECK_STR(json_string_value(oget(v, "process.comm")), "tool");
	CHECK_STR(json_string_value(oget(v, "process.exe")), "/usr/bin/tool");
	CHECK_STR(json_string_value(oget(v, "process.tty")), "pts/0");
	CHECK_INT(json_integer_value(oget(v, "process.cgroupId")), 8128);
	CHECK_STR(json_string_value(oget(v, "process.containerId")),
		  "abcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcd");
	CHECK(oget(v, "loginUid") == NULL);
	CHECK(oget(v, "truncatedArgs") == NULL);
	snprintf(want, sizeof(want), "0123456789abcdef-%016llx-%08x", 5 * 1000000000ULL + 123, PID);
	CHECK_STR(sget(j, "requestID"), want);
	CHECK(is_uuid4(sget(j, "eventID")));
	CHECK_STR(sget(j, "eventID"), r.event_id);
	CHECK(json_is_false(json_object_get(j, "readOnly")));
	res = json_object_get(j, "resources");
	CHECK_INT(json_array_size(res), 1);
	CHECK_STR(sget(json_array_get(res, 0), "type"), "Linux::Mount");
	CHECK_STR(sget(json_array_get(res, 0), "ARN"),
		  "arn:hostrail:mount:" HOST ":" ACCT ":/mnt/scratch");
	CHECK_STR(sget(json_array_get(res, 0), "accountId"), ACCT);
	CHECK_STR(sget(j, "eventType"), "AwsApiCall");
	CHECK(json_is_true(json_object_get(j, "managementEvent")));
	CHECK_STR(sget(j, "recipientAccountId"), ACCT);
	CHECK_STR(sget(j, "eventCategory"), "Management");

	/* the index fields */
	CHECK(r.event_time_ns == T0 * 1000000000LL + 5000000123LL);
	CHECK_STR(r.event_name, "Mount");
	CHECK_STR(r.event_source, "mount.linux");
	CHECK_STR(r.event_category, "Management");
	CHECK_STR(r.event_type, "AwsApiCall");
	CHECK(!r.read_only);
	CHECK_STR(r.user_name, "root");
	CHECK_STR(r.user_arn, "arn:hostrail:iam:" HOST ":" ACCT ":root");
	CHECK(r.access_key_id == NULL);
	CHECK_STR(r.source_ip, "localhost");
	CHECK(r.error_code == NULL);
	CHECK_INT(r.n_resources, 1);
	CHECK_STR(r.resources[0].type, "Linux::Mount");
	CHECK_STR(r.resources[0].name, "/mnt/scratch");
	CHECK_STR(r.resources[0].arn, "arn:hostrail:mount:" HOST ":" ACCT ":/mnt/scratch");
	json_decref(j);
out:
	hr_record_free(&r);
	CHECK(r.json == NULL && r.user_name == NULL && r.n_resources == 0);
	hr_record_free(&r);
	hr_record_free(NULL);
	free(b);
}

TEST(test_failed_setuid_iamuser)
{
	struct evb *b = malloc(sizeof(*b));
	struct hr_record r;
	json_t *j, *u;

	/* nobody (65534) tries setuid(0) and fails; a thread, not the leader */
	evb_init(b, SYS_setuid, 65534);
	b->ev.hdr.task.pid = PID + 1;
	b->ev.args[0] = 0;
	b->ev.ret = -EPERM;
	j = record(b, &r);
	if (!j)
		goto out;
	CHECK_STR(top_keys(r.json),
		  KEYS_HEAD ",errorCode,errorMessage," KEYS_TAIL ",resources," KEYS_END);
	u = json_object_get(j, "userIdentity");
	CHECK_STR(sget(u, "type"), "IAMUser");
	CHECK_STR(sget(u, "principalId"), "65534");
	CHECK_STR(sget(u, "userName"), "nobody");
	CHECK_STR(sget(u, "arn"), "arn:hostrail:iam:" HOST ":" ACCT ":user/nobody");
	CHECK_STR(sget(u, "accountId"), ACCT);
	CHECK(json_object_get(u, "sessionContext") == NULL);
	CHECK_STR(sget(j, "errorCode"), "EPERM");
	CHECK_STR(sget(j, "errorMessage"), "Operation not permitted");
	CHECK_STR(sget(j, "eventSource"), "identity.linux");
	CHECK_STR(sget(j, "eventName"), "Setuid");
	CHECK_INT(json_integer_value(oget(j, "requestParameters.uid")), 0);
	CHECK_STR(json_string_value(oget(j, "requestParameters.userName")), "root");
	CHECK_INT(json_integer_value(oget(j, "additionalEventData.process.tid")), PID + 1);
	CHECK_INT(json_integer_value(oget(j, "additionalEventData.credentials.euid")), 65534);
	/* the target user is a resource */
	CHECK_STR(sget(json_array_get(json_object_get(j, "resources"), 0), "type"), "Linux::User");
	CHECK_STR(sget(json_array_get(json_object_get(j, "resources"), 0), "ARN"),
		  "arn:hostrail:iam:" HOST ":" ACCT ":user/root");
	CHECK_STR(r.error_code, "EPERM");
	CHECK_STR(r.user_name, "nobody");
	json_decref(j);
out:
	hr_record_free(&r);

	/* an unknown uid gets a stable name */
	evb_init(b, SYS_setuid, 3999999);
	b->ev.args[0] = 3999999;
	j = record(b, &r);
	CHECK_STR(sget(oget(j, "userIdentity"), "userName"), "uid-3999999");
	CHECK_STR(sget(oget(j, "userIdentity"), "arn"),
		  "arn:hostrail:iam:" HOST ":" ACCT ":user/uid-3999999");
	CHECK_STR(sget(oget(j, "userIdentity"), "principalId"), "3999999");
	json_decref(j);
	hr_record_free(&r);
	free(b);
}

TEST(test_session_identities)
{
	struct evb *b = malloc(sizeof(*b));
	struct hr_record r;
	json_t *j, *u, *iss;

	/* nobody logged in (session 7), acting as itself */
	evb_init(b, SYS_chmod, 65534);
	b->ev.hdr.task.loginuid = 65534;
	b->ev.hdr.task.sessionid = 7;
	evb_str(b, 0, "/tmp/x");
	b->ev.args[1] = 0644;
	j = record(b, &r);
	u = json_object_get(j, "userIdentity");
	CHECK_STR(sget(u, "type"), "IAMUser");
	CHECK_STR(sget(u, "userName"), "nobody");
	CHECK_STR(sget(u, "accessKeyId"), "HRS0123456789ABCDEFS7");
	CHECK_STR(json_string_value(oget(u, "sessionContext.attributes.mfaAuthenticated")),
		  "false");
	CHECK(oget(u, "sessionContext.sessionIssuer") == NULL);
	CHECK_INT(json_integer_value(oget(j, "additionalEventData.loginUid")), 65534);
	CHECK_INT(json_integer_value(oget(j, "additionalEventData.sessionId")), 7);
	CHECK_STR(r.access_key_id, "HRS0123456789ABCDEFS7");
	json_decref(j);
	hr_record_free(&r);

	/* the same session after sudo: nobody acting as root */
	b->ev.hdr.task.euid = 0;
	j = record(b, &r);
	u = json_object_get(j, "userIdentity");
	CHECK_STR(sget(u, "type"), "AssumedRole");
	CHECK_STR(sget(u, "arn"), "arn:hostrail:sts:" HOST ":" ACCT ":assumed-role/root/nobody");
	CHECK_STR(sget(u, "principalId"), "0:nobody");
	CHECK_STR(sget(u, "accountId"), ACCT);
	CHECK_STR(sget(u, "accessKeyId"), "HRS0123456789ABCDEFS7");
	iss = oget(u, "sessionContext.sessionIssuer");
	CHECK_STR(sget(iss, "type"), "IAMUser");
	CHECK_STR(sget(iss, "principalId"), "65534");
	CHECK_STR(sget(iss, "arn"), "arn:hostrail:iam:" HOST ":" ACCT ":user/nobody");
	CHECK_STR(sget(iss, "accountId"), ACCT);
	CHECK_STR(sget(iss, "userName"), "nobody");
	CHECK_STR(json_string_value(oget(u, "sessionContext.attributes.mfaAuthenticated")),
		  "false");
	CHECK_STR(r.user_name, "nobody"); /* indexed on the person */
	CHECK_STR(r.user_arn, "arn:hostrail:sts:" HOST ":" ACCT ":assumed-role/root/nobody");
	json_decref(j);
	hr_record_free(&r);

	/* root logged in directly: Root, with the session's key */
	b->ev.hdr.task.loginuid = 0;
	b->ev.hdr.task.sessionid = 3;
	j = record(b, &r);
	u = json_object_get(j, "userIdentity");
	CHECK_STR(sget(u, "type"), "Root");
	CHECK_STR(sget(u, "accessKeyId"), "HRS0123456789ABCDEFS3");
	CHECK(oget(u, "sessionContext.attributes") != NULL);
	json_decref(j);
	hr_record_free(&r);

	/* root su'd to nobody: AssumedRole with a Root issuer */
	b->ev.hdr.task.euid = 65534;
	j = record(b, &r);
	u = json_object_get(j, "userIdentity");
	CHECK_STR(sget(u, "type"), "AssumedRole");
	CHECK_STR(sget(u, "arn"), "arn:hostrail:sts:" HOST ":" ACCT ":assumed-role/nobody/root");
	CHECK_STR(json_string_value(oget(u, "sessionContext.sessionIssuer.type")), "Root");
	json_decref(j);
	hr_record_free(&r);
	free(b);
}

TEST(test_control_records)
{
	struct hr_record r;
	struct hr_task t = {0};
	json_t *j;

	CHECK_INT(hr_record_control(rec, "StartLogging", NULL, NULL, &r), 0);
	j = parse(&r);
	CHECK_STR(top_keys(r.json), KEYS_HEAD ",requestParameters,responseElements,"
					      "requestID,eventID,readOnly," KEYS_END);
	CHECK_STR(sget(j, "eventSource"), "hostrail.linux");
	CHECK_STR(sget(j, "eventName"), "StartLogging");
	CHECK_STR(sget(oget(j, "userIdentity"), "type"), "Root");
	CHECK_STR(sget(j, "userAgent"), "hostraild");
	CHECK_STR(json_string_value(oget(j, "requestParameters.name")), "main");
	CHECK_INT(json_object_size(json_object_get(j, "requestParameters")), 1);
	CHECK(json_is_null(json_object_get(j, "responseElements")));
	CHECK(json_is_false(json_object_get(j, "readOnly")));
	CHECK_STR(sget(j, "eventType"), "AwsApiCall");
	CHECK(is_uuid4(sget(j, "eventID")));
	CHECK(is_event_time(sget(j, "eventTime")));
	CHECK_STR(r.event_name, "StartLogging");
	CHECK_STR(r.user_name, "root");
	json_decref(j);
	hr_record_free(&r);

	/* StopLogging by a user through the CLI, with extra data */
	t.pid = t.tgid = PID;
	t.euid = t.uid = 65534;
	t.loginuid = 65534;
	t.sessionid = 9;
	memcpy(t.comm, "hostrail", 9);
	CHECK_INT(hr_record_control(rec, "StopLogging", &t, "{\"unavailable\":[\"Kexec\"]}", &r),
		  0);
	j = parse(&r);
	CHECK_STR(top_keys(r.json),
		  KEYS_HEAD ",requestParameters,responseElements,"
			    "additionalEventData,requestID,eventID,readOnly," KEYS_END);
	CHECK_STR(sget(j, "eventName"), "StopLogging");
	CHECK_STR(sget(oget(j, "userIdentity"), "userName"), "nobody");
	CHECK_STR(sget(oget(j, "userIdentity"), "accessKeyId"), "HRS0123456789ABCDEFS9");
	CHECK_STR(sget(j, "userAgent"), "/usr/bin/tool");
	CHECK_STR(json_string_value(json_array_get(oget(j, "additionalEventData.unavailable"), 0)),
		  "Kexec");
	json_decref(j);
	hr_record_free(&r);

	CHECK_INT(hr_record_control(rec, "DeleteEverything", NULL, NULL, &r), -EINVAL);
	CHECK_INT(hr_record_control(rec, NULL, NULL, NULL, &r), -EINVAL);
	CHECK_INT(hr_record_control(rec, "StartLogging", NULL, "not json", &r), -EINVAL);
	CHECK(r.json == NULL);
}

TEST(test_lost_events)
{
	struct hr_record r;
	json_t *j, *d;

	CHECK_INT(hr_record_lost(rec, 42, T0 * 1000000000LL, (T0 + 60) * 1000000000LL - 1,
				 "ringBufferFull", "kernel", &r),
		  0);
	j = parse(&r);
	CHECK_STR(top_keys(r.json), KEYS_HEAD
		  ",requestParameters,responseElements,eventID,"
		  "readOnly,eventType,managementEvent,recipientAccountId,serviceEventDetails,"
		  "eventCategory");
	CHECK_STR(sget(oget(j, "userIdentity"), "type"), "AWSService");
	CHECK_STR(sget(oget(j, "userIdentity"), "invokedBy"), "hostrail.linux");
	CHECK_STR(sget(j, "eventSource"), "hostrail.linux");
	CHECK_STR(sget(j, "eventName"), "LostEvents");
	CHECK_STR(sget(j, "eventType"), "AwsServiceEvent");
	CHECK(json_is_null(json_object_get(j, "requestParameters")));
	CHECK(json_is_null(json_object_get(j, "responseElements")));
	CHECK(json_is_false(json_object_get(j, "readOnly")));
	CHECK(json_is_true(json_object_get(j, "managementEvent")));
	d = json_object_get(j, "serviceEventDetails");
	CHECK_INT(json_integer_value(json_object_get(d, "lostEvents")), 42);
	CHECK_STR(sget(d, "reason"), "ringBufferFull");
	CHECK_STR(sget(d, "sink"), "kernel");
	CHECK_STR(sget(d, "windowStart"), "2023-11-14T22:13:20Z");
	CHECK_STR(sget(d, "windowEnd"), "2023-11-14T22:14:20Z");
	CHECK_STR(r.event_type, "AwsServiceEvent");
	CHECK_STR(r.event_name, "LostEvents");
	json_decref(j);
	hr_record_free(&r);
}

/* Bytes of a hostile path: every kind of trouble, then padding to 4,000
 * bytes. Invalid bytes are listed apart so the expected text can be built. */
struct seg {
	const char *b;
	size_t len;
	bool valid;
};

TEST(test_hostile_path)
{
#define SEG(s, v)                   \
	{                           \
		s, sizeof(s) - 1, v \
	}
	static const struct seg segs[] = {
		SEG("/tmp/evil", true),	       SEG("\n\"quoted\"\\back\\", true),
		SEG("\x01\x1b[31m\x7f", true), SEG("\xff", false),
		SEG("caf\xc3\xa9", true),      SEG("\xc0\xaf", false),
		SEG("\xed\xa0\x80", false),    SEG("\xf0\x9f\x98\x80", true),
		SEG("\xe2\x82", false),	       SEG("}]{\"x\":1}", true),
	};
#undef SEG
	struct evb *b = malloc(sizeof(*b));
	char *path = malloc(4001), *want = malloc(16000), *hex = malloc(8001);
	size_t n = 0, wn = 0;
	struct hr_record r;
	json_t *j, *p;

	for (size_t k = 0; k < sizeof(segs) / sizeof(segs[0]); k++) {
		memcpy(path + n, segs[k].b, segs[k].len);
		n += segs[k].len;
		if (segs[k].valid) {
			memcpy(want + wn, segs[k].b, segs[k].len);
			wn += segs[k].len;
		} else {
			for (size_t i = 0; i < segs[k].len; i++, wn += 3)
				memcpy(want + wn, "\xef\xbf\xbd", 3);
		}
	}
	while (n < 4000) {
		char c = (char)('a' + n % 26);

		path[n++] = c;
		want[wn++] = c;
	}
	path[n] = '\0';
	want[wn] = '\0';
	for (size_t i = 0; i < n; i++)
		sprintf(hex + 2 * i, "%02x", (unsigned char)path[i]);

	evb_init(b, SYS_chmod, 0);
	evb_mem(b, 0, path, n + 1, false);
	b->ev.args[1] = 0777;
	memcpy(b->ev.hdr.task.comm, "\xff\n\"x", 5);
	j = record(b, &r);
	if (j) {
		p = json_object_get(j, "requestParameters");
		CHECK_INT(json_string_length(json_object_get(p, "path")), wn);
		CHECK(!strcmp(sget(p, "path"), want));
		CHECK_STR(sget(p, "pathHex"), hex);
		CHECK_STR(sget(p, "mode"), "0777");
		CHECK_STR(json_string_value(oget(j, "additionalEventData.process.commHex")),
			  "ff0a2278");
		CHECK_STR(r.resources[0].name, want);
		CHECK(!strncmp(sget(json_array_get(json_object_get(j, "resources"), 0), "ARN"),
			       "arn:hostrail:file:" HOST ":" ACCT ":/tmp/evil\n", 38));
		/* the top level is untouched by what the path holds */
		CHECK_STR(top_keys(r.json), KEYS_HEAD "," KEYS_TAIL ",resources," KEYS_END);
		json_decref(j);
	}
	hr_record_free(&r);

	/* the same path, relative and cut at its bound */
	evb_init(b, SYS_chmod, 0);
	evb_mem(b, 0, path + 1, n, true);
	j = record(b, &r);
	if (j) {
		p = json_object_get(j, "requestParameters");
		CHECK(!strncmp(sget(p, "path"), "/home/alice/tmp/evil\n", 21));
		CHECK(json_is_true(json_object_get(p, "pathTruncated")));
		CHECK_STR(json_string_value(
				  json_array_get(oget(j, "additionalEventData.truncatedArgs"), 0)),
			  "path");
		json_decref(j);
	}
	hr_record_free(&r);
	free(b);
	free(path);
	free(want);
	free(hex);
}

TEST(test_exec_and_exit_feed_the_cache)
{
	struct hr_exec_event *ex = calloc(1, sizeof(*ex));
	struct hr_exit_event ee = {0};
	struct evb *b = malloc(sizeof(*b));
	struct hr_record r;
	json_t *j;

	ex->hdr.type = HR_EV_EXEC;
	ex->hdr.task.tgid = PID;
	memcpy(ex->filename, "/opt/new/bin", 13);
	ex->filename_len = 13;
	hr_recorder_exec(rec, ex, HR_EXEC_EVENT_FIXED_SIZE + 13);
	evb_init(b, SYS_sethostname, 0);
	evb_mem(b, 0, "newname", 7, false);
	b->ev.args[1] = 7;
	j = record(b, &r);
	CHECK_STR(sget(j, "userAgent"), "/opt/new/bin");
	CHECK_STR(json_string_value(oget(j, "requestParameters.name")), "newname");
	json_decref(j);
	hr_record_free(&r);

	ee.hdr.type = HR_EV_EXIT;
	ee.hdr.task.tgid = PID;
	hr_recorder_exit(rec, &ee);
	j = record(b, &r);
	CHECK_STR(sget(j, "userAgent"), "/usr/bin/tool"); /* from /proc again */
	json_decref(j);
	hr_record_free(&r);

	/* a process /proc knows nothing of: comm stands in */
	b->ev.hdr.task.tgid = 31337;
	j = record(b, &r);
	CHECK_STR(sget(j, "userAgent"), "tool");
	CHECK(json_is_null(oget(j, "additionalEventData.process.exe")));
	CHECK(json_is_null(oget(j, "additionalEventData.process.tty")));
	CHECK(oget(j, "additionalEventData.process.containerId") == NULL);
	json_decref(j);
	hr_record_free(&r);
	free(ex);
	free(b);
}

/* Found by fuzz_decode: a boot time near 2^63 (a damaged event) overflowed
 * the wall-clock sum. It saturates: the record still says what was done. */
TEST(test_boot_time_out_of_range)
{
	const uint64_t boot[] = {INT64_MAX - 1, (uint64_t)INT64_MAX + 1, UINT64_MAX};
	struct evb *b = malloc(sizeof(*b));
	struct hr_record r;
	json_t *j;

	for (size_t i = 0; i < sizeof(boot) / sizeof(boot[0]); i++) {
		evb_init(b, SYS_chmod, 0);
		evb_str(b, 0, "/x");
		b->ev.hdr.boot_ns = boot[i];
		j = record(b, &r);
		CHECK(j != NULL);
		CHECK(r.event_time_ns == INT64_MAX);
		CHECK_STR(sget(j, "eventName"), "Chmod");
		json_decref(j);
		hr_record_free(&r);
	}
	free(b);
}

TEST(test_malformed_and_unknown)
{
	struct evb *b = malloc(sizeof(*b));
	struct hr_record r;
	struct hr_recorder *bad;
	struct hr_recorder_opts o = {0};

	evb_init(b, SYS_chmod, 0);
	evb_str(b, 0, "/x");
	CHECK_INT(hr_record_syscall(rec, &b->ev, evb_size(b) - 1, &r), -EINVAL);
	CHECK(r.json == NULL);
	b->ev.nr = SYS_getpid;
	CHECK_INT(hr_record_syscall(rec, &b->ev, evb_size(b), &r), -EINVAL);
	free(b);

	/* the frame goes into ARNs: reject what would break them */
	snprintf(o.frame.account_id, sizeof(o.frame.account_id), "12345:6789");
	snprintf(o.frame.region, sizeof(o.frame.region), "web-1");
	CHECK_INT(hr_recorder_new(&o, &bad), -EINVAL);
	snprintf(o.frame.account_id, sizeof(o.frame.account_id), ACCT);
	snprintf(o.frame.region, sizeof(o.frame.region), "Web/1");
	CHECK_INT(hr_recorder_new(&o, &bad), -EINVAL);
	hr_recorder_free(NULL);
}

TEST(test_unique_ids_and_speed)
{
	struct evb *b = malloc(sizeof(*b));
	struct hr_record r;
	char prev[37] = "";
	struct timespec t0, t1;
	const int n = 20000;
	double us;

	evb_init(b, SYS_fchownat, 1000);
	b->ev.hdr.task.loginuid = 65534;
	b->ev.hdr.task.sessionid = 4;
	b->ev.args[0] = (uint64_t)-100;
	evb_str(b, 1, "/var/lib/app/data.db");
	b->ev.args[2] = 0;
	b->ev.args[3] = 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < n; i++) {
		b->ev.hdr.boot_ns += 1000;
		if (hr_record_syscall(rec, &b->ev, evb_size(b), &r)) {
			CHECK(!"record failed");
			break;
		}
		CHECK(strcmp(prev, r.event_id) != 0);
		memcpy(prev, r.event_id, sizeof(prev));
		hr_record_free(&r);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	us = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / 1e3 / n;
	printf("record: %.2f us per fchownat record (AssumedRole, 2 name lookups)\n", us);
	/* No time limit in a unit test: make bench measures the record stage. */
	free(b);
}

int main(void)
{
	setup();
	RUN(test_mount_record_root);
	RUN(test_failed_setuid_iamuser);
	RUN(test_session_identities);
	RUN(test_control_records);
	RUN(test_lost_events);
	RUN(test_hostile_path);
	RUN(test_exec_and_exit_feed_the_cache);
	RUN(test_boot_time_out_of_range);
	RUN(test_malformed_and_unknown);
	RUN(test_unique_ids_and_speed);
	teardown();
	TEST_MAIN_END();
}

/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * record.h - CloudTrail records, as the rest of the pipeline sees them.
 *
 * The recorder turns one captured event into one compact CloudTrail record,
 * through the stages in order (pipeline/pipeline.c): decode (user/decode/),
 * enrich (user/enrich/: what the host knows about the task), then record
 * (this directory, which only writes). Sinks (the batch spool,
 * journald, the history) take the JSON bytes as they are and the few fields
 * they index on from struct hr_record, never by re-parsing the JSON.
 */
#ifndef HOSTRAIL_RECORD_H
#define HOSTRAIL_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "hostrail_abi.h"

/* Where this agent records: CloudTrail's account, region and trail. */
struct hr_frame {
	char account_id[16]; /* 12 digits */
	char region[64];     /* the host: lower-case [a-z0-9-] */
	char trail_name[128];
	char bucket_name[256]; /* s3BucketName as written in records/digests */
};

#define HR_RECORD_MAX_RESOURCES 3

struct hr_resource {
	const char *type; /* "Linux::File" (static string) */
	char *arn;	  /* owned */
	char *name;	  /* owned: the path, module, user... */
};

/* One finished record. All char* fields are owned by the record. */
struct hr_record {
	char *json; /* one compact JSON object, valid UTF-8, no newline */
	size_t len;
	int64_t event_time_ns;	/* wall clock (UTC) of the event */
	char event_id[37];	/* lower-case UUID */
	const char *event_name; /* static strings */
	const char *event_source;
	const char *event_category; /* "Management", "Data" */
	const char *event_type;	    /* "AwsApiCall", "AwsServiceEvent", ... */
	bool read_only;
	char *user_name;     /* userIdentity.userName (or the issuer's), may be NULL */
	char *user_arn;	     /* userIdentity.arn, may be NULL */
	char *access_key_id; /* the login session id, may be NULL */
	char *source_ip;     /* "localhost" or the client's address */
	const char *
		via; /* how the session logged in: "ssh", "console", "su", "sudo"; NULL if not in a known session */
	char *acting_as; /* the effective user when it is not the login user (AssumedRole), else NULL */
	char *error_code; /* errno name, NULL on success */
	bool failed;	  /* it failed: error_code set, or a sign-in whose
				 * responseElements says Failure (CloudTrail gives a
				 * failed ConsoleLogin an errorMessage, no errorCode) */
	char *what;	  /* what it was done to, short and readable for a
				 * journald line ("tmpfs on /mnt", "uid 0 (root)"),
				 * may be NULL: then the resources' names say it */
	int n_resources;
	struct hr_resource resources[HR_RECORD_MAX_RESOURCES];
};

void hr_record_free(struct hr_record *rec); /* NULL-safe; leaves *rec zeroed */

struct hr_recorder; /* frame + caches (users, processes) + clock */

struct hr_recorder_opts {
	struct hr_frame frame;
	size_t user_cache_max; /* 0: default */
	size_t proc_cache_max; /* 0: default */
	const char *proc_root; /* "/proc" unless testing */
};

int hr_recorder_new(const struct hr_recorder_opts *opts, struct hr_recorder **out);
void hr_recorder_free(struct hr_recorder *r);

/* Feed the process cache from the exec/exit events of the ring buffer. */
void hr_recorder_exec(struct hr_recorder *r, const struct hr_exec_event *ev, size_t size);
void hr_recorder_exit(struct hr_recorder *r, const struct hr_exit_event *ev);

/* One captured system call into one record. size = bytes received.
 * Returns 0, or -EINVAL for an event that is malformed (size, nr). */
int hr_record_syscall(struct hr_recorder *r, const struct hr_syscall_event *ev, size_t size,
		      struct hr_record *out);

/*
 * The agent's own control-plane events (eventSource hostrail.linux):
 * StartLogging / StopLogging with {"name": <trail>}. caller may be NULL
 * (the agent itself, as root). extra_json, if not NULL, is a JSON object
 * text placed as additionalEventData (e.g. what the kernel cannot record).
 */
int hr_record_control(struct hr_recorder *r, const char *event_name, const struct hr_task *caller,
		      const char *extra_json, struct hr_record *out);

/*
 * The general form of the above, for the control socket and SIGHUP
 * (PutEventSelectors, UpdateTrail, and a refused call's errorCode).
 * JSON texts must be objects; NULL request_json gives {"name": <frame's
 * trail>}, NULL response_json gives null. error_code (e.g. "AccessDenied")
 * adds errorCode/errorMessage and the record's error_code.
 */
struct hr_control_call {
	const char *event_name; /* StartLogging, StopLogging, PutEventSelectors, UpdateTrail */
	const struct hr_task *caller; /* NULL: the agent itself */
	const char *request_json;
	const char *response_json;
	const char *extra_json;
	const char *error_code;
	const char *error_message;
};
int hr_record_control_call(struct hr_recorder *r, const struct hr_control_call *call,
			   struct hr_record *out);

/*
 * LostEvents (hostrail.linux, AwsServiceEvent): count events that never
 * became records, between from_ns and to_ns (wall clock), and why
 * ("ringBufferFull", "inFlightTableFull", "stringUnreadable", ...).
 * sink names where they were lost ("kernel", "journald", ...).
 */
int hr_record_lost(struct hr_recorder *r, uint64_t count, int64_t from_ns, int64_t to_ns,
		   const char *reason, const char *sink, struct hr_record *out);

/* Boot-time to wall-clock: set once at start, refreshed by the daemon. */
void hr_recorder_set_clock(struct hr_recorder *r, int64_t realtime_minus_boottime_ns);

#endif

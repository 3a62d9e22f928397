// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * hostrail rebuild-history - restore the event history from the log files
 * the agent delivered (docs/history.md). Records already in the history are
 * left as they are, so it can run beside the agent and be run again.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/grow.h"
#include "cli/commands.h"
#include "config/config.h"
#include "history/history.h"
#include "common/encode.h"
#include "common/sort.h"
#include "common/files.h"
#include "deliver/logfile.h" /* HR_LOG_KEY_MAX */

static void usage(FILE *out)
{
	fprintf(out,
		"usage: hostrail rebuild-history [--state-dir DIR] [--bucket-dir DIR]\n"
		"\n"
		"Read every log file delivered under DIR/AWSLogs/*/CloudTrail/ and put each "
		"record\n"
		"the event history does not hold yet back into it. A database SQLite cannot read\n"
		"is moved aside (history.db.corrupt-*), never deleted.\n"
		"  --state-dir DIR    the agent's state directory (default %s)\n"
		"  --bucket-dir DIR   the bucket directory (default %s)\n"
		"\n"
		"Exit status: 0 done, 1 some log file could not be read, 2 bad usage.\n",
		HR_DEFAULT_STATE_DIR, HR_DEFAULT_BUCKET_DIR);
}

struct keys {
	char **v;
	size_t n, cap;
};

static int keys_add(struct keys *k, const char *key)
{
	if (hr_grow(&k->v, &k->cap, k->n, sizeof(*k->v), 256))
		return -ENOMEM;
	k->v[k->n] = strdup(key);
	return k->v[k->n] ? (k->n++, 0) : -ENOMEM;
}

static int cmp_key(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Folders of AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/, walked
 * without leaving the bucket or following links (hr_bucket_open_dir).
 * depth counts the components still to go below rel.
 */
static int collect(int bucket, const char *rel, int depth, struct keys *out)
{
	int fd = hr_bucket_open_dir(bucket, rel), err = 0;
	struct dirent *de;
	DIR *d;

	if (fd < 0)
		return fd == -ENOENT ? 0 : fd;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while (!err && (de = readdir(d))) {
		char sub[HR_LOG_KEY_MAX];
		size_t n = strlen(de->d_name);

		if (de->d_name[0] == '.')
			continue; /* ".", "..", and the publisher's temporary files */
		if (snprintf(sub, sizeof(sub), "%s/%s", rel, de->d_name) >= (int)sizeof(sub))
			continue;
		if (depth == 0) {
			if (n > 8 && !strcmp(de->d_name + n - 8, ".json.gz"))
				err = keys_add(out, sub);
		} else if (depth == 5) {
			/* <account>/: only its CloudTrail/ folder (not -Digest, -Insight) */
			char ct[HR_LOG_KEY_MAX];

			if (snprintf(ct, sizeof(ct), "%s/CloudTrail", sub) < (int)sizeof(ct))
				err = collect(bucket, ct, 4, out);
		} else {
			err = collect(bucket, sub, depth - 1, out);
		}
	}
	closedir(d);
	return err;
}

int hr_cmd_rebuild_history(int argc, char **argv)
{
	enum { O_STATE = 256, O_BUCKET, O_HELP };
	static const struct option opts[] = {
		{"state-dir", required_argument, NULL, O_STATE},
		{"bucket-dir", required_argument, NULL, O_BUCKET},
		{"help", no_argument, NULL, O_HELP},
		{0},
	};
	const char *state = HR_DEFAULT_STATE_DIR, *bucket_dir = HR_DEFAULT_BUCKET_DIR;
	struct hr_history_restore st = {0};
	uint64_t unreadable = 0;
	struct keys keys = {0};
	struct hr_history *h = NULL;
	char err[PATH_MAX + 256];
	int c, bucket, rc;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case O_STATE:
			state = optarg;
			break;
		case O_BUCKET:
			bucket_dir = optarg;
			break;
		case O_HELP:
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	bucket = open(bucket_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (bucket < 0) {
		fprintf(stderr,
			"hostrail rebuild-history: cannot open the bucket directory %s: %s\n",
			bucket_dir, strerror(errno));
		return 2;
	}
	rc = collect(bucket, "AWSLogs", 5, &keys);
	if (rc) {
		fprintf(stderr, "hostrail rebuild-history: failed to list %s: %s\n", bucket_dir,
			strerror(-rc));
		close(bucket);
		return 1;
	}
	/* Delivery order: the history's arrival order follows time. */
	hr_sort(keys.v, keys.n, sizeof(*keys.v), cmp_key);
	rc = hr_history_open(state, HR_HISTORY_REBUILD, 0, &h, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "hostrail rebuild-history: %s\n", err);
		close(bucket);
		return 1;
	}
	for (size_t i = 0; i < keys.n; i++) {
		rc = hr_history_restore_log(h, bucket, keys.v[i], &st);
		if (rc) {
			char *p = hr_printable(keys.v[i]);

			fprintf(stderr, "hostrail rebuild-history: cannot read %s: %s\n",
				p ? p : "?",
				rc == -EBADMSG ? "not a whole gzip CloudTrail log file (the whole "
						 "records before the damage are restored)" :
						 strerror(-rc));
			free(p);
			unreadable++;
		}
		free(keys.v[i]);
	}
	free(keys.v);
	printf("restored %llu records from %zu log files (%llu were already in the history)\n",
	       (unsigned long long)st.stored, keys.n - unreadable,
	       (unsigned long long)st.duplicates);
	if (st.failed || st.bad_records || unreadable)
		fprintf(stderr,
			"hostrail rebuild-history: %llu log files unreadable, %llu records "
			"not CloudTrail records, %llu records not stored\n",
			(unsigned long long)unreadable, (unsigned long long)st.bad_records,
			(unsigned long long)st.failed);
	hr_history_close(h);
	close(bucket);
	return st.failed || st.bad_records || unreadable ? 1 : 0;
}

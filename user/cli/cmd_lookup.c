// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * hostrail lookup-events - `aws cloudtrail lookup-events` over the event
 * history (history/history.h, docs/history.md), with aws-cli's shapes.
 *
 * Like aws-cli, without --max-results or --next-token every page is
 * fetched and printed as one answer; with either, one page and its
 * NextToken.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "cli/commands.h"
#include "config/config.h"
#include "history/history.h"
#include "history/rows.h"
#include "common/timefmt.h"
#include "common/encode.h"

enum output { OUT_JSON, OUT_TEXT, OUT_TABLE, OUT_CSV };

static void usage(FILE *out)
{
	fprintf(out,
		"usage: hostrail lookup-events [--state-dir DIR]\n"
		"          [--lookup-attributes AttributeKey=KEY,AttributeValue=VALUE]\n"
		"          [--start-time T] [--end-time T] [--max-results N] [--next-token T]\n"
		"          [--event-category insight] [--output json|table|text|csv]\n"
		"\n"
		"Search the event history newest first, as `aws cloudtrail lookup-events` does.\n"
		"KEY is one of EventId, EventName, ReadOnly, Username, ResourceType, "
		"ResourceName,\n"
		"EventSource, AccessKeyId. T is ISO 8601 (2026-11-21T10:00:00Z, with an offset, "
		"or\n"
		"no zone for UTC) or epoch seconds. Without --max-results or --next-token every\n"
		"page is printed; with them one page (1-50 events) and its NextToken.\n"
		"  --state-dir DIR   the agent's state directory (default %s)\n"
		"\n"
		"Exit status: 0 done, 1 the history cannot be read, 2 bad usage or input.\n",
		HR_DEFAULT_STATE_DIR);
}

/* ---- one event, as LookupEvents describes it ---- */

struct event {
	json_t *rec;
	struct hr_history_row row;
	char time[40];
};

static int event_load(struct event *e, const struct hr_lookup_event *le)
{
	json_error_t jerr;
	int64_t sec = le->time_sec;

	/* integers as reals: a recorded u64 past INT64_MAX (ioperm's from) is
	 * valid JSON that jansson refuses otherwise; only the index fields
	 * are read from it, and the record is printed from its own text */
	e->rec = json_loadb(le->record, le->len, JSON_DECODE_INT_AS_REAL, &jerr);
	if (!e->rec || hr_history_row_from_json(e->rec, le->record, le->len, &e->row)) {
		json_decref(e->rec);
		e->rec = NULL;
		return -EBADMSG;
	}
	/* aws-cli v2 prints EventTime as ISO 8601 with an offset. */
	hr_ct_time_fmt(sec, e->time);
	strcpy(e->time + 19, "+00:00");
	return 0;
}

static json_t *event_json(const struct event *e, const struct hr_lookup_event *le)
{
	json_t *o = json_object(), *res = json_array();

	json_object_set_new(o, "EventId", json_string(e->row.event_id));
	json_object_set_new(o, "EventName", json_string(e->row.event_name ?: ""));
	json_object_set_new(o, "ReadOnly", json_string(e->row.read_only ? "true" : "false"));
	if (e->row.access_key_id)
		json_object_set_new(o, "AccessKeyId", json_string(e->row.access_key_id));
	json_object_set_new(o, "EventTime", json_string(e->time));
	json_object_set_new(o, "EventSource", json_string(e->row.event_source ?: ""));
	if (e->row.user_name)
		json_object_set_new(o, "Username", json_string(e->row.user_name));
	for (int i = 0; i < e->row.n_resources; i++) {
		json_t *r = json_object();

		json_object_set_new(r, "ResourceType", json_string(e->row.resources[i].type));
		json_object_set_new(r, "ResourceName", json_string(e->row.resources[i].name));
		json_array_append_new(res, r);
	}
	json_object_set_new(o, "Resources", res);
	json_object_set_new(o, "CloudTrailEvent", json_stringn(le->record, le->len));
	return o;
}

/* Text meant for a terminal: control bytes and broken UTF-8 as \xNN. */
static void put_printable(FILE *out, const char *s)
{
	char *p = hr_printable(s ? s : "");

	fputs(p ? p : "?", out);
	free(p);
}

/* A table cell: escaped, cut to width (in bytes; good enough for names). */
static void put_cell(FILE *out, const char *s, int width)
{
	char *p = hr_printable(s ? s : "");

	fprintf(out, "| %-*.*s ", width, width, p ? p : "?");
	free(p);
}

/* The resources' types or names, ';'-separated, malloc'd. */
static char *join_resources(const struct hr_history_row *row, bool names)
{
	size_t n = 1, o = 0;
	char *s;

	for (int i = 0; i < row->n_resources; i++)
		n += strlen(names ? row->resources[i].name : row->resources[i].type) + 1;
	s = malloc(n);
	if (!s)
		return NULL;
	s[0] = '\0';
	for (int i = 0; i < row->n_resources; i++)
		o += sprintf(s + o, "%s%s", i ? ";" : "",
			     names ? row->resources[i].name : row->resources[i].type);
	return s;
}

/* RFC 4180, and a leading = + - @ defused for spreadsheets. */
static void put_csv(FILE *out, const char *s, char end)
{
	s = s ? s : "";
	fputc('"', out);
	if (*s == '=' || *s == '+' || *s == '-' || *s == '@')
		fputc('\'', out);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', out);
		fputc(*s, out);
	}
	fputc('"', out);
	fputc(end, out);
}

static void print_event(FILE *out, enum output fmt, const struct event *e,
			const struct hr_lookup_event *le, bool first)
{
	char *text, *joined;
	json_t *o;

	switch (fmt) {
	case OUT_JSON:
		o = event_json(e, le);
		text = json_dumps(o, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
		fputs(first ? "\n" : ",\n", out);
		/* re-indent by two levels: Events is inside the answer */
		for (char *p = text, *nl; p && *p; p = nl ? nl + 1 : p + strlen(p)) {
			nl = strchr(p, '\n');
			fprintf(out, "        %.*s%s", (int)(nl ? nl - p : (long)strlen(p)), p,
				nl ? "\n" : "");
		}
		free(text);
		json_decref(o);
		break;
	case OUT_TEXT:
		/* aws-cli's text: scalars in key order, then one line per resource */
		fputs("EVENTS\t", out);
		if (e->row.access_key_id) {
			put_printable(out, e->row.access_key_id);
			fputc('\t', out);
		}
		fwrite(le->record, 1, le->len, out);
		fprintf(out, "\t%s\t", e->row.event_id);
		put_printable(out, e->row.event_name);
		fputc('\t', out);
		put_printable(out, e->row.event_source);
		fprintf(out, "\t%s\t%s", e->time, e->row.read_only ? "true" : "false");
		if (e->row.user_name) {
			fputc('\t', out);
			put_printable(out, e->row.user_name);
		}
		fputc('\n', out);
		for (int i = 0; i < e->row.n_resources; i++) {
			fputs("RESOURCES\t", out);
			put_printable(out, e->row.resources[i].name);
			fprintf(out, "\t%s\n", e->row.resources[i].type);
		}
		break;
	case OUT_TABLE:
		fprintf(out, "| %-25s ", e->time);
		put_cell(out, e->row.event_name, 20);
		put_cell(out, e->row.user_name, 16);
		put_cell(out, e->row.event_source, 18);
		put_cell(out, e->row.read_only ? "true" : "false", 8);
		joined = join_resources(&e->row, true);
		put_cell(out, joined, 40);
		free(joined);
		fputs("|\n", out);
		break;
	case OUT_CSV:
		put_csv(out, e->time, ',');
		put_csv(out, e->row.event_id, ',');
		put_csv(out, e->row.event_name, ',');
		put_csv(out, e->row.event_source, ',');
		put_csv(out, e->row.user_name, ',');
		put_csv(out, e->row.read_only ? "true" : "false", ',');
		put_csv(out, e->row.access_key_id, ',');
		joined = join_resources(&e->row, false);
		put_csv(out, joined, ',');
		free(joined);
		joined = join_resources(&e->row, true);
		put_csv(out, joined, ',');
		free(joined);
		joined = strndup(le->record, le->len);
		put_csv(out, joined, '\n');
		free(joined);
		break;
	}
}

static void print_head(FILE *out, enum output fmt)
{
	if (fmt == OUT_JSON)
		fputs("{\n    \"Events\": [", out);
	else if (fmt == OUT_TABLE)
		fprintf(out, "| %-25s | %-20s | %-16s | %-18s | %-8s | %-40s |\n", "EventTime",
			"EventName", "Username", "EventSource", "ReadOnly", "Resources");
	else if (fmt == OUT_CSV)
		fputs("EventTime,EventId,EventName,EventSource,Username,ReadOnly,AccessKeyId,"
		      "ResourceType,ResourceName,CloudTrailEvent\n",
		      out);
}

static void print_tail(FILE *out, enum output fmt, bool any, const char *token)
{
	if (fmt == OUT_JSON) {
		fputs(any ? "\n    ]" : "]", out);
		if (token && *token)
			fprintf(out, ",\n    \"NextToken\": \"%s\"", token);
		fputs("\n}\n", out);
	} else if (token && *token) {
		if (fmt == OUT_TEXT)
			fprintf(out, "NEXTTOKEN\t%s\n", token);
		else
			fprintf(stderr, "NextToken: %s\n", token);
	}
}

static int bad(const char *msg)
{
	fprintf(stderr, "hostrail lookup-events: %s\n", msg);
	return 2;
}

int hr_cmd_lookup_events(int argc, char **argv)
{
	enum { O_STATE = 256, O_ATTR, O_START, O_END, O_MAX, O_TOKEN, O_CAT, O_OUT, O_HELP };
	static const struct option opts[] = {
		{"state-dir", required_argument, NULL, O_STATE},
		{"lookup-attributes", required_argument, NULL, O_ATTR},
		{"start-time", required_argument, NULL, O_START},
		{"end-time", required_argument, NULL, O_END},
		{"max-results", required_argument, NULL, O_MAX},
		{"next-token", required_argument, NULL, O_TOKEN},
		{"event-category", required_argument, NULL, O_CAT},
		{"output", required_argument, NULL, O_OUT},
		{"help", no_argument, NULL, O_HELP},
		{0},
	};
	static struct hr_lookup q;
	static struct hr_lookup_page page;
	const char *state = HR_DEFAULT_STATE_DIR;
	enum output fmt = OUT_JSON;
	struct hr_history *h = NULL;
	char err[PATH_MAX + 256], *end;
	bool one_page = false, any = false;
	int c, rc = 0;
	long v;

	memset(&q, 0, sizeof(q));
	q.start_sec = INT64_MIN;
	q.end_sec = INT64_MAX;
	q.max_results = HR_LOOKUP_MAX_RESULTS;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case O_STATE:
			state = optarg;
			break;
		case O_ATTR:
			if (hr_lookup_parse_attribute(optarg, &q, err, sizeof(err)))
				return bad(err);
			break;
		case O_START:
		case O_END:
			if (hr_cli_time_parse(optarg, c == O_START ? &q.start_sec : &q.end_sec)) {
				snprintf(err, sizeof(err),
					 "--%s: not a time: use ISO 8601 "
					 "(2026-11-21T10:00:00Z) or epoch seconds",
					 c == O_START ? "start-time" : "end-time");
				return bad(err);
			}
			break;
		case O_MAX:
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || v < 1 || v > HR_LOOKUP_MAX_RESULTS)
				return bad("--max-results must be a number from 1 to 50");
			q.max_results = (int)v;
			one_page = true;
			break;
		case O_TOKEN:
			q.next_token = optarg;
			one_page = true;
			break;
		case O_CAT:
			if (strcmp(optarg, "insight"))
				return bad("--event-category: the only value is 'insight'");
			q.insight = true;
			break;
		case O_OUT:
			if (!strcmp(optarg, "json"))
				fmt = OUT_JSON;
			else if (!strcmp(optarg, "text"))
				fmt = OUT_TEXT;
			else if (!strcmp(optarg, "table"))
				fmt = OUT_TABLE;
			else if (!strcmp(optarg, "csv"))
				fmt = OUT_CSV;
			else
				return bad("--output must be json, table, text or csv");
			break;
		case O_HELP:
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc)
		return bad("unexpected argument (options only; see --help)");
	if (q.start_sec > q.end_sec)
		return bad("--start-time is after --end-time");
	rc = hr_history_open(state, HR_HISTORY_READ, 0, &h, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "hostrail lookup-events: %s\n", err);
		return 1;
	}
	for (bool first_page = true;; first_page = false) {
		rc = hr_history_lookup(h, &q, &page, err, sizeof(err));
		if (rc) {
			fprintf(stderr, "hostrail lookup-events: %s\n", err);
			rc = rc == -EINVAL ? 2 : 1;
			break;
		}
		if (first_page)
			print_head(stdout, fmt);
		for (int i = 0; i < page.n; i++) {
			struct event e = {0};

			if (event_load(&e, &page.events[i])) {
				fprintf(stderr, "hostrail lookup-events: skipped a stored record "
						"that is not a CloudTrail record\n");
				continue;
			}
			print_event(stdout, fmt, &e, &page.events[i], !any);
			any = true;
			json_decref(e.rec);
		}
		if (one_page || !page.next_token[0]) {
			print_tail(stdout, fmt, any, one_page ? page.next_token : NULL);
			break;
		}
		/* aws-cli's auto-pagination: follow the token ourselves */
		static char token[sizeof(page.next_token)];

		memcpy(token, page.next_token, sizeof(token));
		q.next_token = token;
	}
	hr_history_close(h);
	if (fflush(stdout) && !rc) {
		fprintf(stderr, "hostrail lookup-events: failed to write the answer\n");
		rc = 1;
	}
	return rc;
}

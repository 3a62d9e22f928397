// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * rows.c - the history's index fields from a delivered record (JSON), the
 * same as the agent takes them from struct hr_record: for rebuild-history,
 * and for the fields lookup-events prints beside CloudTrailEvent.
 */
#include <errno.h>
#include <string.h>
#include "history/rows.h"
#include "common/timefmt.h"

static const char *str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* Username as record.c indexes it: the person. Root's own events are
 * "root", an AssumedRole is its issuer (alice acting as root is alice). */
static const char *username(json_t *ui)
{
	const char *type = str(ui, "type");

	if (!type)
		return NULL;
	if (!strcmp(type, "AssumedRole"))
		return str(json_object_get(json_object_get(ui, "sessionContext"), "sessionIssuer"),
			   "userName");
	if (!strcmp(type, "Root"))
		return str(ui, "userName") ?: "root";
	return str(ui, "userName");
}

/* record.c writes arn:hostrail:<service>:<region>:<account>:<name>, and
 * user/<name> for Linux::User: the name is what follows. */
static const char *resource_name(const char *type, const char *arn)
{
	const char *p = arn;

	for (int colons = 0; p && colons < 5; colons++) {
		p = strchr(p, ':');
		if (p)
			p++;
	}
	if (!p || !*p)
		return arn;
	if (type && !strcmp(type, "Linux::User") && !strncmp(p, "user/", 5))
		p += 5;
	return p;
}

int hr_history_row_from_json(json_t *rec, const char *json, size_t len, struct hr_history_row *row)
{
	json_t *ui = json_object_get(rec, "userIdentity"), *res, *r;
	const char *t = str(rec, "eventTime");
	size_t i;

	memset(row, 0, sizeof(*row));
	if (!json_is_object(rec) || !t || hr_ct_time_parse(t, strlen(t), &row->time_sec))
		return -EINVAL;
	row->event_id = str(rec, "eventID");
	if (!row->event_id)
		return -EINVAL;
	row->event_name = str(rec, "eventName");
	row->event_source = str(rec, "eventSource");
	row->category = str(rec, "eventCategory");
	row->user_name = username(ui);
	row->access_key_id = str(ui, "accessKeyId");
	row->read_only = json_is_true(json_object_get(rec, "readOnly"));
	res = json_object_get(rec, "resources");
	json_array_foreach(res, i, r) {
		const char *type = str(r, "type"), *arn = str(r, "ARN");

		if (row->n_resources == HR_RECORD_MAX_RESOURCES)
			break;
		if (!type || !arn)
			continue;
		row->resources[row->n_resources].type = type;
		row->resources[row->n_resources].name = resource_name(type, arn);
		row->n_resources++;
	}
	row->json = json;
	row->len = len;
	return 0;
}

void hr_history_row_from_record(const struct hr_record *rec, struct hr_history_row *row)
{
	memset(row, 0, sizeof(*row));
	row->time_sec = hr_ns_to_sec(rec->event_time_ns);
	row->event_id = rec->event_id;
	row->event_name = rec->event_name;
	row->event_source = rec->event_source;
	row->category = rec->event_category;
	row->user_name = rec->user_name;
	row->access_key_id = rec->access_key_id;
	row->read_only = rec->read_only;
	for (int i = 0; i < rec->n_resources && i < HR_RECORD_MAX_RESOURCES; i++) {
		if (!rec->resources[i].type || !rec->resources[i].name)
			continue;
		row->resources[row->n_resources].type = rec->resources[i].type;
		row->resources[row->n_resources].name = rec->resources[i].name;
		row->n_resources++;
	}
	row->json = rec->json;
	row->len = rec->len;
}

/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * fuzz_decode.c - the decoders fed raw ring-buffer events, any length and
 * any bytes, dispatched as the agent dispatches what the ring buffer hands
 * it (agent.c on_event). The bytes are copied to a buffer of exactly their
 * size, as the ring buffer gives them, so a read past the event is caught.
 * The processes the events name are looked up in a /proc of our own.
 */
#include <jansson.h>
#include "fuzz.h"
#include "common/jsonw.h"
#include "record/record.h"
#include "record/signin.h"

static struct hr_recorder *rec;

/* Whatever is recorded is one JSON object on one line. */
static void emitted(void *arg, struct hr_record *r)
{
	json_error_t jerr;
	json_t *doc;

	FUZZ_CLAIM(r->json != NULL && strlen(r->json) == r->len);
	FUZZ_CLAIM(memchr(r->json, '\n', r->len) == NULL);
	/* integers as reals: jansson refuses a u64 (cgroupId) past INT64_MAX,
	 * which is valid JSON all the same */
	doc = json_loadb(r->json, r->len, JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL, &jerr);
	if (!doc)
		fprintf(stderr, "not JSON (%s): %s\n", jerr.text, r->json);
	FUZZ_CLAIM(json_is_object(doc));
	json_decref(doc);
	hr_record_free(r);
}

static struct hr_recorder *recorder(void)
{
	struct hr_recorder_opts o = {0};
	static char p[256];

	if (rec)
		return rec;
	snprintf(o.frame.account_id, sizeof(o.frame.account_id), "123456789012");
	snprintf(o.frame.region, sizeof(o.frame.region), "fuzzhost");
	snprintf(o.frame.trail_name, sizeof(o.frame.trail_name), "fuzz");
	snprintf(p, sizeof(p), "%s/proc", fuzz_tmpdir());
	mkdir(p, 0755);
	o.proc_root = p;
	if (hr_recorder_new(&o, &rec))
		abort();
	return rec;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hr_recorder *r = recorder();
	struct hr_record out = {0};
	const struct hr_header *h;
	void *ev;

	if (size < sizeof(*h))
		return 0; /* the agent counts it as malformed before any decoder */
	ev = malloc(size);
	if (!ev)
		abort();
	memcpy(ev, data, size);
	h = ev;
	switch (h->type) {
	case HR_EV_SYSCALL:
		if (!hr_record_syscall(r, ev, size, &out))
			emitted(NULL, &out);
		break;
	case HR_EV_LOGIN:
		hr_record_login(r, ev, size, emitted, NULL);
		break;
	case HR_EV_EXEC:
		hr_recorder_exec(r, ev, size);
		break;
	case HR_EV_EXIT:
		if (size >= sizeof(struct hr_exit_event))
			hr_recorder_exit(r, ev);
		break;
	}
	free(ev);
	return 0;
}

/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * fuzz_logscan.c - validate-logs' reader of log JSON (an inflated log
 * file). The streaming scan must not depend on where the chunks break,
 * and what it vouches for must be what the exact parse finds.
 */
#include "fuzz.h"
#include "sign/logscan.h"

static void scan(struct hr_logscan *s, const uint8_t *data, size_t size, size_t chunk)
{
	hr_logscan_init(s);
	for (size_t off = 0; off < size; off += chunk)
		hr_logscan_feed(s, data + off, size - off < chunk ? size - off : chunk);
	hr_logscan_end(s);
}

static void same(const struct hr_logscan *a, const struct hr_logscan *b)
{
	FUZZ_CLAIM(a->records == b->records);
	FUZZ_CLAIM(a->bad_times == b->bad_times);
	FUZZ_CLAIM(strcmp(a->oldest, b->oldest) == 0);
	FUZZ_CLAIM(strcmp(a->newest, b->newest) == 0);
	FUZZ_CLAIM(a->stop_logging == b->stop_logging);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hr_logscan whole, bytes, odd, exact;
	int rc;

	scan(&whole, data, size, size ? size : 1);
	scan(&bytes, data, size, 1);
	scan(&odd, data, size, 7);
	FUZZ_CLAIM(whole.need_exact == bytes.need_exact && whole.need_exact == odd.need_exact);
	same(&whole, &bytes);
	same(&whole, &odd);
	rc = hr_logscan_exact(&exact, (const char *)data, size);
	FUZZ_CLAIM(rc == 0 || rc == -EINVAL);
	if (!whole.need_exact && rc == 0)
		same(&whole, &exact);
	return 0;
}

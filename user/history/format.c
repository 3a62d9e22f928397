// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* format.c - event ids as posting values (format.h). */
#include <errno.h>
#include <string.h>
#include "common/encode.h"
#include "history/format.h"

static int uuid_bytes(const char *s, unsigned char out[16])
{
	char hex[33];
	size_t o = 0, n;

	if (!s || strlen(s) != 36)
		return -EINVAL;
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return -EINVAL;
			continue;
		}
		hex[o++] = s[i];
	}
	hex[32] = '\0';
	/* Lower case only: the stored bytes must map back to the same text. */
	if (strspn(hex, "0123456789abcdef") != 32)
		return -EINVAL;
	return hr_unhex(hex, 32, out, &n);
}

size_t hr_history_id_value(const char *event_id, unsigned char uuid[16], const void **v)
{
	if (uuid_bytes(event_id, uuid) == 0) {
		*v = uuid;
		return 16;
	}
	*v = event_id ? event_id : "";
	return strlen(*v);
}

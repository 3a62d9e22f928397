// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* encode.c - hex, base64 and escaping names for printing. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>

#include "common/encode.h"

void hr_hex(const void *p, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[b[i] >> 4];
		out[2 * i + 1] = hex[b[i] & 15];
	}
	out[2 * n] = '\0';
}

void hr_uuid_text(const unsigned char b[16], char out[37])
{
	static const unsigned char cut[] = {0, 4, 6, 8, 10, 16};
	char *o = out;

	for (int k = 0; k < 5; k++) {
		size_t n = (size_t)(cut[k + 1] - cut[k]);

		if (k)
			*o++ = '-';
		hr_hex(b + cut[k], n, o);
		o += 2 * n;
	}
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int hr_unhex(const char *s, size_t slen, unsigned char *out, size_t *n)
{
	if (slen % 2)
		return -EINVAL;
	for (size_t i = 0; i < slen / 2; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	*n = slen / 2;
	return 0;
}

char *hr_b64_encode(const void *p, size_t n)
{
	char *out = malloc(4 * ((n + 2) / 3) + 1);

	if (out)
		EVP_EncodeBlock((unsigned char *)out, p, (int)n);
	return out;
}

int hr_b64_decode(const char *s, size_t slen, unsigned char **out, size_t *n)
{
	unsigned char *buf;
	size_t pad = 0;
	int got;

	*out = NULL;
	if (slen == 0 || slen % 4 || slen > (1u << 20))
		return -EINVAL;
	/* EVP_DecodeBlock counts the padding as zero bytes: take it off */
	if (s[slen - 1] == '=')
		pad++;
	if (s[slen - 2] == '=')
		pad++;
	buf = malloc(slen / 4 * 3 + 1);
	if (!buf)
		return -ENOMEM;
	got = EVP_DecodeBlock(buf, (const unsigned char *)s, (int)slen);
	if (got < 0 || (size_t)got < pad) {
		free(buf);
		return -EINVAL;
	}
	*out = buf;
	*n = (size_t)got - pad;
	return 0;
}

char *hr_printable(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), o = 0;
	char *out = malloc(4 * n + 1);

	if (!out)
		return NULL;
	while (*p) {
		size_t seq = 0;

		/* a valid UTF-8 sequence of 2-4 bytes passes as it is */
		if (*p >= 0xc2 && *p <= 0xf4) {
			size_t need = *p >= 0xf0 ? 4 : *p >= 0xe0 ? 3 : 2;

			seq = need;
			for (size_t i = 1; i < need; i++)
				if ((p[i] & 0xc0) != 0x80)
					seq = 0;
		}
		if (seq) {
			memcpy(out + o, p, seq);
			o += seq;
			p += seq;
		} else if (*p < 0x20 || *p == 0x7f || *p >= 0x80 || *p == '\\') {
			o += (size_t)sprintf(out + o, "\\x%02x", *p);
			p++;
		} else {
			out[o++] = (char)*p++;
		}
	}
	out[o] = '\0';
	return out;
}

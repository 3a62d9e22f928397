/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* encode.h - hex, base64, and names escaped for printing. */
#ifndef HOSTRAIL_COMMON_ENCODE_H
#define HOSTRAIL_COMMON_ENCODE_H

#include <stddef.h>

/* Lower-case hex of n bytes into out (2n + 1 bytes). */
void hr_hex(const void *p, size_t n, char *out);
/* 16 bytes as a lower-case 8-4-4-4-12 UUID (the caller sets the version
 * and variant bits) into out (37 bytes). */
void hr_uuid_text(const unsigned char b[16], char out[37]);
/* Decode exactly 2n hex digits (either case) into n bytes; 0 or -EINVAL. */
int hr_unhex(const char *s, size_t slen, unsigned char *out, size_t *n);

/* base64 without line breaks; malloc'd, NULL on ENOMEM. */
char *hr_b64_encode(const void *p, size_t n);
/* Standard base64 (padding required); malloc'd bytes. 0, -EINVAL, -ENOMEM. */
int hr_b64_decode(const char *s, size_t slen, unsigned char **out, size_t *n);

/* Escape for printing a name that came from a disk: control bytes,
 * backslash and bytes that are not valid UTF-8 become \xNN. malloc'd. */
char *hr_printable(const char *s);

#endif

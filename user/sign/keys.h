/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * keys.h - the digest signing keys: CloudTrail's per-region RSA-2048 key
 * pair, kept in the state directory.
 *
 *	<state>/keys/			0700
 *	<state>/keys/<fp>.pem		private key, PKCS#8 PEM, 0600; never printed
 *	<state>/keys/index.json		0644: the current key's fingerprint and every
 *					public key ever used, with its validity window
 *	<state>/keys/.lock		flock: one generator/rotator at a time
 *
 * index.json = {"currentFingerprint": "<fp>", "keys": [{"Value": <base64
 * PKCS#1 DER>, "ValidityStartTime": "...Z", "ValidityEndTime": "...Z" | null,
 * "Fingerprint": "<fp>"}, ...]}: the entries are ListPublicKeys' own, so
 * `hostrail list-public-keys` prints them as they are. The fingerprint is the
 * lower-case hex MD5 of the PKCS#1 DER, as CloudTrail's. A key's window ends
 * when rotate-key replaces it; the current key's end is null.
 */
#ifndef HOSTRAIL_SIGN_KEYS_H
#define HOSTRAIL_SIGN_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define HR_FP_LEN	 32
#define HR_KEY_BITS	 2048
#define HR_KEY_OPEN_END	 INT64_MAX /* valid_to of the current key */
#define HR_SIG_ALGORITHM "SHA256withRSA"

struct hr_pubkey {
	char fingerprint[HR_FP_LEN + 1]; /* as published (a file may say anything) */
	char *value;			 /* base64 DER as published */
	int64_t valid_from;		 /* seconds; INT64_MIN when not given */
	int64_t valid_to;		 /* seconds; HR_KEY_OPEN_END when open */
	void *pkey;			 /* EVP_PKEY once decoded, NULL before */
	bool undecodable;		 /* decoding was tried and failed */
};

struct hr_pubkeys {
	struct hr_pubkey *v;
	size_t n;
	char current[HR_FP_LEN + 1]; /* from a state dir; "" from a file */
};

void hr_pubkeys_free(struct hr_pubkeys *k); /* NULL-safe; leaves it zeroed */

/* The public keys of a state dir. -ENOENT when it has none. */
int hr_keys_load_public(const char *state_dir, struct hr_pubkeys *out, char *err, size_t errlen);
/* A ListPublicKeys JSON document (`hostrail list-public-keys` or
 * `aws cloudtrail list-public-keys` output); times may be ISO strings or
 * epoch numbers. */
int hr_pubkeys_load_file(const char *path, struct hr_pubkeys *out, char *err, size_t errlen);

/* ListPublicKeys' filter: does the key's window overlap [start, end]? */
bool hr_pubkey_in_range(const struct hr_pubkey *k, int64_t start, int64_t end);
/* Print {"PublicKeyList": [...]} of the keys in [start, end]. */
void hr_pubkeys_print(FILE *out, const struct hr_pubkeys *k, int64_t start, int64_t end);

/*
 * Make sure the state dir has a current key: create keys/ and the first
 * key pair (valid from now) if there is none. Safe against a concurrent
 * rotate-key (the lock). 0 or -errno with err set.
 */
int hr_keys_ensure(const char *state_dir, int64_t now, char *err, size_t errlen);
/* Generate a new current key valid from now; the previous key's window
 * ends now and its private half is deleted (its public half stays listed).
 * fp gets the new fingerprint. On success err is "" or a warning (the old
 * private key could not be removed). */
int hr_keys_rotate(const char *state_dir, int64_t now, char fp[HR_FP_LEN + 1], char *err,
		   size_t errlen);
/* The current key's fingerprint (reads index.json only). */
int hr_keys_current(const char *state_dir, char fp[HR_FP_LEN + 1], char *err, size_t errlen);

/* A private key in memory. */
struct hr_signkey;

int hr_signkey_load(const char *state_dir, const char *fp, struct hr_signkey **out, char *err,
		    size_t errlen);
const char *hr_signkey_fingerprint(const struct hr_signkey *k);
/* SHA256withRSA (RSASSA-PKCS1-v1_5) of msg, hex-encoded into a malloc'd string. */
int hr_signkey_sign(const struct hr_signkey *k, const void *msg, size_t len, char **sig_hex);
void hr_signkey_free(struct hr_signkey *k); /* NULL-safe */

/*
 * Check a hex signature over msg with k. 0 valid; -EBADMSG it does not
 * verify; -EINVAL the key or the hex cannot be decoded (aws-cli then says
 * "Unable to load PKCS #1 key").
 */
int hr_pubkey_verify(struct hr_pubkey *k, const void *msg, size_t len, const char *sig_hex,
		     size_t sig_hex_len);

/* Lower-case hex MD5 of DER bytes: CloudTrail's key fingerprint. */
void hr_key_fingerprint(const void *der, size_t n, char out[HR_FP_LEN + 1]);

#endif

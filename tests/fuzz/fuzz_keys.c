/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * fuzz_keys.c - validate-logs' readers of the files beside the bucket: a
 * ListPublicKeys file (--public-keys-file), a state directory's
 * keys/index.json, and the agent's digest chain state. Every input is
 * given to all three; every key read is decoded and tried on a signature.
 */
#include "fuzz.h"
#include "sign/chain.h"
#include "sign/keys.h"

static void try_keys(struct hr_pubkeys *k)
{
	for (size_t i = 0; i < k->n; i++) {
		int rc = hr_pubkey_verify(&k->v[i], "msg", 3, "00ff", 4);

		FUZZ_CLAIM(rc == -EBADMSG || rc == -EINVAL);
		hr_pubkey_in_range(&k->v[i], 0, INT64_MAX);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *dir = fuzz_tmpdir();
	char path[640], state[512], keys[600], err[1024], fp[HR_FP_LEN + 1];
	struct hr_pubkeys k = {0};
	struct hr_chain_state st;
	int rc;

	snprintf(state, sizeof(state), "%s/state", dir);
	snprintf(keys, sizeof(keys), "%s/keys", state);
	mkdir(state, 0700);
	mkdir(keys, 0700);
	if (fuzz_write_file(dir, "public-keys.json", data, size) ||
	    fuzz_write_file(keys, "index.json", data, size))
		abort();

	snprintf(path, sizeof(path), "%s/public-keys.json", dir);
	err[0] = '\0';
	rc = hr_pubkeys_load_file(path, &k, err, sizeof(err));
	FUZZ_CLAIM(rc == 0 || err[0]);
	if (!rc)
		try_keys(&k);
	hr_pubkeys_free(&k);

	err[0] = '\0';
	rc = hr_keys_load_public(state, &k, err, sizeof(err));
	FUZZ_CLAIM(rc == 0 || err[0]);
	if (!rc)
		try_keys(&k);
	hr_pubkeys_free(&k);
	hr_keys_current(state, fp, err, sizeof(err));

	snprintf(path, sizeof(path), "%s/chain", state);
	mkdir(path, 0700);
	if (fuzz_write_file(path, "fuzz.json", data, size))
		abort();
	memset(&st, 0, sizeof(st));
	err[0] = '\0';
	rc = hr_chain_load(state, "fuzz", &st, err, sizeof(err));
	FUZZ_CLAIM(rc == 0 || rc == -ENOENT || err[0]);
	hr_chain_free(&st);
	return 0;
}

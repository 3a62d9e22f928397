/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* fuzz_config.c - the configuration file parser: any bytes as hostrail.json. */
#include "fuzz.h"
#include "config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *dir = fuzz_tmpdir();
	char path[256], err[1024] = "";
	struct hr_config c;
	int rc;

	if (fuzz_write_file(dir, "hostrail.json", data, size))
		abort();
	snprintf(path, sizeof(path), "%s/hostrail.json", dir);
	hr_config_default(&c);
	rc = hr_config_load_file(&c, path, err, sizeof(err));
	if (!rc)
		rc = hr_config_finish(&c, err, sizeof(err));
	/* a refusal always says why */
	FUZZ_CLAIM(rc == 0 || err[0]);
	if (!rc) {
		FUZZ_CLAIM(c.n_trails >= 1 && c.n_trails <= HR_MAX_TRAILS);
		for (int i = 0; i < c.n_trails; i++)
			FUZZ_CLAIM(c.trails[i].selectors.shown != NULL);
	}
	hr_config_free(&c);
	return 0;
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* test_deliver.c - log file keys and atomic gzip publishing. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <regex.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <openssl/sha.h>
#include <zlib.h>

#include "harness.h"
#include "fixtures.h"
#include "deliver/logfile.h"

#define NSEC 1000000000LL

static const char key_re[] =
	"^AWSLogs/[0-9]{12}/CloudTrail/%s/[0-9]{4}/[0-9]{2}/[0-9]{2}/[0-9]{12}_CloudTrail_%s_"
	"[0-9]{8}T[0-9]{4}Z_[A-Za-z0-9]{16}\\.json\\.gz$";

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void rm_rf(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static bool key_matches(const char *key, const char *region)
{
	char pat[512];
	regex_t re;
	bool ok;

	snprintf(pat, sizeof(pat), key_re, region, region);
	if (regcomp(&re, pat, REG_EXTENDED | REG_NOSUB))
		return false;
	ok = regexec(&re, key, 0, NULL, 0) == 0;
	regfree(&re);
	return ok;
}

static void sha_hex(const unsigned char *buf, size_t len, char hex[65])
{
	unsigned char md[32];

	SHA256(buf, len, md);
	for (int i = 0; i < 32; i++)
		sprintf(hex + 2 * i, "%02x", md[i]);
}

TEST(test_key_format)
{
	char key[HR_LOG_KEY_MAX], u[HR_LOG_UNIQUE_LEN + 1], u2[HR_LOG_UNIQUE_LEN + 1];
	/* 2015-08-01T02:10:59.5Z, the AWS user guide's example */
	int64_t t = 1438395059LL * NSEC + 500000000;

	CHECK_INT(hr_logfile_key(key, sizeof(key), "111122223333", "us-east-2", t,
				 "Mu0KsOhtH1ar15ZZ"),
		  0);
	CHECK_STR(key, "AWSLogs/111122223333/CloudTrail/us-east-2/2015/08/01/"
		       "111122223333_CloudTrail_us-east-2_20150801T0210Z_Mu0KsOhtH1ar15ZZ.json.gz");
	CHECK(key_matches(key, "us-east-2"));

	CHECK_INT(hr_logfile_unique(u), 0);
	CHECK_INT(hr_logfile_unique(u2), 0);
	CHECK_INT(strlen(u), 16);
	CHECK_INT(strspn(u, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"), 16);
	CHECK(strcmp(u, u2) != 0);

	/* date folders follow the (UTC) delivery date, across a year end */
	t = 1704067199LL * NSEC; /* 2023-12-31T23:59:59Z */
	CHECK_INT(hr_logfile_key(key, sizeof(key), "123456789012", "host-a1", t, u), 0);
	CHECK(key_matches(key, "host-a1"));
	CHECK(strstr(key, "/2023/12/31/123456789012_CloudTrail_host-a1_20231231T2359Z_") != NULL);

	CHECK_INT(hr_logfile_key(key, sizeof(key), "12345678901", "r", t, u), -EINVAL);
	CHECK_INT(hr_logfile_key(key, sizeof(key), "12345678901a", "r", t, u), -EINVAL);
	CHECK_INT(hr_logfile_key(key, sizeof(key), "123456789012", "Us_East", t, u), -EINVAL);
	CHECK_INT(hr_logfile_key(key, sizeof(key), "123456789012", "", t, u), -EINVAL);
	CHECK_INT(hr_logfile_key(key, sizeof(key), "123456789012", "r", t, "short"), -EINVAL);
	CHECK_INT(hr_logfile_key(key, sizeof(key), "123456789012", "r", t, "AAAAAAAAAAAAAAA!"),
		  -EINVAL);
	CHECK_INT(hr_logfile_key(key, 20, "123456789012", "r", t, u), -ENAMETOOLONG);
}

TEST(test_key_from_name)
{
	char key[HR_LOG_KEY_MAX], back[HR_LOG_KEY_MAX];

	CHECK_INT(hr_logfile_key(key, sizeof(key), "111122223333", "eu-west-1", 1700000000LL * NSEC,
				 "abcdefghABCDEFGH"),
		  0);
	CHECK_INT(hr_logfile_key_from_name(back, sizeof(back), strrchr(key, '/') + 1), 0);
	CHECK_STR(back, key);
	CHECK_INT(hr_logfile_key_from_name(back, sizeof(back), "x.json.gz"), -EINVAL);
	CHECK_INT(
		hr_logfile_key_from_name(
			back, sizeof(back),
			"111122223333_CloudTrail_eu-west-1_20231114T2213Z_abcdefghABCDEFG.json.gz"),
		-EINVAL);
	CHECK_INT(hr_logfile_key_from_name(
			  back, sizeof(back),
			  "111122223333_CloudTrail_eu-west-1_20231114T2213Z_abcdefghABCDEFGH.json"),
		  -EINVAL);
}

static char *tmpdir(void)
{
	char *d = strdup("/tmp/hr-deliver-XXXXXX");

	return mkdtemp(d);
}

TEST(test_publish_roundtrip)
{
	static const char key[] = "AWSLogs/111122223333/CloudTrail/r1/2023/11/14/x.json.gz";
	char *dir = tmpdir(), *bucket, path[1024], tmp[1024], hex[65];
	const char *data = "{\"Records\":[{\"a\":1},{\"b\":2}]}";
	struct hr_publish p = {.active = false};
	unsigned char *out = NULL;
	size_t out_len = 0;
	struct stat st;
	mode_t old = umask(022);

	CHECK(dir != NULL);
	if (asprintf(&bucket, "%s/bucket", dir) < 0)
		return;
	snprintf(path, sizeof(path), "%s/%s", bucket, key);
	snprintf(tmp, sizeof(tmp),
		 "%s/AWSLogs/111122223333/CloudTrail/r1/2023/11/14/.x.json.gz.tmp", bucket);

	CHECK_INT(hr_publish_gz(&p, bucket, key, data, strlen(data)), 0);
	sha_hex((const unsigned char *)data, strlen(data), hex);
	CHECK_STR(p.sha256_hex, hex);
	CHECK_INT(p.in_bytes, strlen(data));
	/* prepared: durable under the temporary name, not visible yet */
	CHECK(stat(tmp, &st) == 0);
	CHECK(stat(path, &st) != 0 && errno == ENOENT);
	CHECK_INT(hr_publish_exists(bucket, key), 0);
	CHECK_INT(hr_publish_commit(&p), 0);
	hr_publish_release(&p);
	CHECK(stat(tmp, &st) != 0);
	CHECK(stat(path, &st) == 0);
	CHECK_INT(st.st_mode & 0777, 0640);
	snprintf(tmp, sizeof(tmp), "%s/AWSLogs/111122223333/CloudTrail/r1/2023", bucket);
	CHECK(stat(tmp, &st) == 0 && (st.st_mode & 0777) == 0750);
	CHECK_INT(hr_publish_exists(bucket, key), 1);

	CHECK_INT(gunzip_one(path, &out, &out_len), 0);
	CHECK_INT(out_len, strlen(data));
	CHECK(out && memcmp(out, data, out_len) == 0);
	free(out);

	/* never over an existing object */
	CHECK_INT(hr_publish_gz(&p, bucket, key, "{}", 2), 0);
	CHECK_INT(hr_publish_commit(&p), -EEXIST);
	CHECK(strstr(p.err, "File exists") != NULL);
	hr_publish_release(&p);
	snprintf(tmp, sizeof(tmp),
		 "%s/AWSLogs/111122223333/CloudTrail/r1/2023/11/14/.x.json.gz.tmp", bucket);
	CHECK(stat(tmp, &st) != 0); /* release removed the temp file */
	CHECK_INT(gunzip_one(path, &out, &out_len), 0);
	CHECK_INT(out_len, strlen(data));
	free(out);

	umask(old);
	rm_rf(dir);
	free(bucket);
	free(dir);
}

TEST(test_publish_abort_and_tmp_cleanup)
{
	static const char key[] = "a/b/c.json.gz";
	char *dir = tmpdir(), tmp[1024];
	struct hr_publish p = {.active = false};
	struct stat st;

	snprintf(tmp, sizeof(tmp), "%s/a/b/.c.json.gz.tmp", dir);
	/* released before commit: nothing stays */
	CHECK_INT(hr_publish_gz(&p, dir, key, "x", 1), 0);
	CHECK(stat(tmp, &st) == 0);
	hr_publish_release(&p);
	CHECK(stat(tmp, &st) != 0);
	hr_publish_release(&p); /* twice is fine */
	hr_publish_release(NULL);

	/* a crashed publish's temp file is removed on request */
	if (fork() == 0) {
		/* dies between prepare and commit */
		_exit(hr_publish_gz(&p, dir, key, "x", 1) ? 1 : 0);
	}
	wait(NULL);
	CHECK(stat(tmp, &st) == 0);
	hr_publish_discard_tmp(dir, key);
	CHECK(stat(tmp, &st) != 0);
	rm_rf(dir);
	free(dir);
}

TEST(test_publish_bad_keys)
{
	struct hr_publish p = {.active = false};
	char *dir = tmpdir();
	const char *bad[] = {"", "/abs/x.gz", "a/../x.gz", "a//x.gz", "./x.gz", "a/", ".."};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_INT(hr_publish_begin(&p, dir, bad[i]), -EINVAL);
		hr_publish_release(&p);
		CHECK_INT(hr_publish_exists(dir, bad[i]), -EINVAL);
	}
	rm_rf(dir);
	free(dir);
}

TEST(test_publish_failure_text)
{
	char *dir = tmpdir(), file[1024], bucket[1100];
	struct hr_publish p = {.active = false};
	int fd;

	snprintf(file, sizeof(file), "%s/file", dir);
	fd = open(file, O_CREAT | O_WRONLY, 0600);
	CHECK(fd >= 0);
	close(fd);
	snprintf(bucket, sizeof(bucket), "%s/bucket", file);
	CHECK_INT(hr_publish_gz(&p, bucket, "AWSLogs/k.json.gz", "x", 1), -ENOTDIR);
	CHECK(strncmp(p.err, "failed to open directory ", 25) == 0);
	CHECK(strstr(p.err, "Not a directory") != NULL);
	hr_publish_release(&p);
	CHECK_INT(hr_publish_exists(bucket, "AWSLogs/k.json.gz"), 0);
	rm_rf(dir);
	free(dir);
}

/* Several MB in odd slices: still exactly one member, hash of everything. */
TEST(test_publish_large)
{
	char *dir = tmpdir(), path[1024], hex[65];
	struct hr_publish p = {.active = false};
	size_t len = 9 * 1024 * 1024 + 17, off = 0, step = 1;
	unsigned char *data = malloc(len), *out = NULL;
	size_t out_len = 0;
	uint32_t x = 12345;

	for (size_t i = 0; i < len; i++) {
		x = x * 1103515245 + 12345;
		/* half random, half repetitive: both deflate paths */
		data[i] = (i / 4096) % 2 ? (unsigned char)(x >> 24) : (unsigned char)('a' + i % 7);
	}
	CHECK_INT(hr_publish_begin(&p, dir, "big.json.gz"), 0);
	while (off < len) {
		size_t n = step < len - off ? step : len - off;

		CHECK_INT(hr_publish_write(&p, data + off, n), 0);
		off += n;
		step = step * 3 + 1;
	}
	CHECK_INT(hr_publish_finish(&p), 0);
	CHECK_INT(hr_publish_write(&p, "x", 1), -EINVAL); /* finished */
	CHECK_INT(hr_publish_commit(&p), 0);
	sha_hex(data, len, hex);
	CHECK_STR(p.sha256_hex, hex);
	hr_publish_release(&p);
	snprintf(path, sizeof(path), "%s/big.json.gz", dir);
	CHECK_INT(gunzip_one(path, &out, &out_len), 0);
	CHECK_INT(out_len, len);
	CHECK(out && memcmp(out, data, len) == 0);
	free(out);
	free(data);
	rm_rf(dir);
	free(dir);
}

TEST(test_make_dirs)
{
	char *dir = tmpdir(), path[1024], err[256] = "";
	struct stat st;

	snprintf(path, sizeof(path), "%s/x/y/z", dir);
	CHECK_INT(hr_make_dirs(path, err, sizeof(err)), 0);
	CHECK(stat(path, &st) == 0 && S_ISDIR(st.st_mode));
	CHECK_INT(hr_make_dirs(path, err, sizeof(err)), 0); /* again: fine */
	rm_rf(dir);
	free(dir);
}

int main(void)
{
	RUN(test_key_format);
	RUN(test_key_from_name);
	RUN(test_publish_roundtrip);
	RUN(test_publish_abort_and_tmp_cleanup);
	RUN(test_publish_bad_keys);
	RUN(test_publish_failure_text);
	RUN(test_publish_large);
	RUN(test_make_dirs);
	TEST_MAIN_END();
}

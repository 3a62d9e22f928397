// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_awscreds.c - where credentials are found, in the AWS tools' order,
 * and that no error message holds a key.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "common/awscreds.h"

#define SECRET "s3cr3t/EXAMPLE+KEY"

static char dir[64];

static void write_file(const char *name, const char *text, mode_t mode, char *path, size_t len)
{
	FILE *f;

	snprintf(path, len, "%s/%s", dir, name);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

static void clear_env(void)
{
	static const char *const vars[] = {"AWS_ACCESS_KEY_ID",		  "AWS_SECRET_ACCESS_KEY",
					   "AWS_SESSION_TOKEN",		  "AWS_PROFILE",
					   "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE"};

	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		unsetenv(vars[i]);
	setenv("HOME", dir, 1); /* no ~/.aws of the machine */
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
}

TEST(test_ini_sections_and_spacing)
{
	struct hr_aws_creds c;
	char err[256];
	const char *text = "# comment\n[default]\naws_access_key_id=AKDEF\n"
			   "aws_secret_access_key = " SECRET "\n\n"
			   "[other]\n  aws_access_key_id =  AKOTHER  \n; x\n"
			   "aws_secret_access_key=o\naws_session_token = tok\n";

	CHECK_INT(hr_aws_creds_parse_ini(text, "default", &c, err, sizeof(err)), 0);
	CHECK_STR(c.access_key_id, "AKDEF");
	CHECK_STR(c.secret_access_key, SECRET);
	CHECK(c.session_token == NULL);
	hr_aws_creds_free(&c);
	CHECK_INT(hr_aws_creds_parse_ini(text, "other", &c, err, sizeof(err)), 0);
	CHECK_STR(c.access_key_id, "AKOTHER");
	CHECK_STR(c.session_token, "tok");
	hr_aws_creds_free(&c);
	CHECK_INT(hr_aws_creds_parse_ini(text, "missing", &c, err, sizeof(err)), -ENOENT);
}

TEST(test_ini_bad_line_does_not_show_it)
{
	struct hr_aws_creds c;
	char err[256];

	CHECK_INT(hr_aws_creds_parse_ini("[default]\naws_access_key_id=A\n" SECRET "\n", "default",
					 &c, err, sizeof(err)),
		  -EINVAL);
	CHECK_STR(err, "line 3: expected \"name = value\"");
	CHECK(strstr(err, SECRET) == NULL);
}

TEST(test_env_first_then_shared_then_config)
{
	struct hr_creds_opts o = {0};
	struct hr_aws_creds c;
	char err[512], shared[128], config[128];

	clear_env();
	write_file("credentials",
		   "[default]\naws_access_key_id=AKSHARED\naws_secret_access_key=s\n", 0600, shared,
		   sizeof(shared));
	write_file("config", "[profile ops]\naws_access_key_id=AKCONFIG\naws_secret_access_key=c\n",
		   0600, config, sizeof(config));
	setenv("AWS_SHARED_CREDENTIALS_FILE", shared, 1);
	setenv("AWS_CONFIG_FILE", config, 1);
	setenv("AWS_ACCESS_KEY_ID", "AKENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
	setenv("AWS_SESSION_TOKEN", "envtok", 1);
	CHECK_INT(hr_aws_creds_load(&o, &c, err, sizeof(err)), 0);
	CHECK_STR(c.access_key_id, "AKENV");
	CHECK_STR(c.session_token, "envtok");
	CHECK_INT(c.source, HR_CREDS_ENV);
	hr_aws_creds_free(&c);

	unsetenv("AWS_ACCESS_KEY_ID");
	CHECK_INT(hr_aws_creds_load(&o, &c, err, sizeof(err)), 0);
	CHECK_STR(c.access_key_id, "AKSHARED");
	CHECK_INT(c.source, HR_CREDS_SHARED_FILE);
	hr_aws_creds_free(&c);

	/* a profile only the config file has: "[profile ops]" there */
	setenv("AWS_PROFILE", "ops", 1);
	CHECK_INT(hr_aws_creds_load(&o, &c, err, sizeof(err)), 0);
	CHECK_STR(c.access_key_id, "AKCONFIG");
	CHECK_INT(c.source, HR_CREDS_CONFIG_FILE);
	hr_aws_creds_free(&c);

	setenv("AWS_PROFILE", "nobody", 1);
	CHECK_INT(hr_aws_creds_load(&o, &c, err, sizeof(err)), -ENOENT);
	CHECK(strstr(err, "nobody") != NULL);
	clear_env();
}

TEST(test_trail_file_must_be_root_0600)
{
	struct hr_creds_opts o = {0};
	struct hr_aws_creds c;
	char err[512], path[128];

	clear_env();
	setenv("AWS_ACCESS_KEY_ID", "AKENV", 1); /* the trail's file wins over it */
	setenv("AWS_SECRET_ACCESS_KEY", "e", 1);
	write_file("trail",
		   "[default]\naws_access_key_id=AKTRAIL\naws_secret_access_key=" SECRET "\n", 0644,
		   path, sizeof(path));
	o.trail_file = path;
	CHECK_INT(hr_aws_creds_load(&o, &c, err, sizeof(err)), -EACCES);
	CHECK(strstr(err, "must be owned by root with mode 0600") != NULL);
	CHECK(strstr(err, SECRET) == NULL);
	if (geteuid() == 0) {
		chmod(path, 0600);
		CHECK_INT(hr_aws_creds_load(&o, &c, err, sizeof(err)), 0);
		CHECK_STR(c.access_key_id, "AKTRAIL");
		CHECK_STR(c.secret_access_key, SECRET);
		CHECK_INT(c.source, HR_CREDS_TRAIL_FILE);
		hr_aws_creds_free(&c);
	}
	clear_env();
}

TEST(test_nothing_anywhere)
{
	struct hr_creds_opts o = {0};
	struct hr_aws_creds c;
	char err[512];

	clear_env();
	CHECK_INT(hr_aws_creds_load(&o, &c, err, sizeof(err)), -ENOENT);
	CHECK(strstr(err, "instance metadata service is disabled") != NULL);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/hostrail-test-creds-XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	RUN(test_ini_sections_and_spacing);
	RUN(test_ini_bad_line_does_not_show_it);
	RUN(test_env_first_then_shared_then_config);
	RUN(test_trail_file_must_be_root_0600);
	RUN(test_nothing_anywhere);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", dir);
	TEST_MAIN_END();
}

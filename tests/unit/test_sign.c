// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_sign.c - digests, keys, the chain and the validator, end to end on
 * temporary directories (the signer, the real publisher, the validator).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <zlib.h>

#include "harness.h"
#include "common/log.h"
#include "deliver/logfile.h"
#include "sign/chain.h"
#include "sign/digest.h"
#include "sign/keys.h"
#include "sign/logscan.h"
#include "sign/signer.h"
#include "common/timefmt.h"
#include "common/encode.h"
#include "common/gz.h"
#include "sign/validate.h"

#define NS   1000000000LL
#define ACCT "123456789012"

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void rm_rf(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

struct env {
	char dir[64], bucket[96], state[96];
	struct hr_signer_opts o;
};

static void env_init(struct env *e, unsigned period)
{
	memset(e, 0, sizeof(*e));
	snprintf(e->dir, sizeof(e->dir), "/tmp/hostrail-test-sign-XXXXXX");
	if (!mkdtemp(e->dir))
		abort();
	snprintf(e->bucket, sizeof(e->bucket), "%s/bucket", e->dir);
	snprintf(e->state, sizeof(e->state), "%s/state", e->dir);
	mkdir(e->bucket, 0750);
	mkdir(e->state, 0700);
	e->o.state_dir = e->state;
	e->o.bucket_dir = e->bucket;
	snprintf(e->o.frame.account_id, sizeof(e->o.frame.account_id), ACCT);
	snprintf(e->o.frame.region, sizeof(e->o.frame.region), "host-1");
	snprintf(e->o.frame.trail_name, sizeof(e->o.frame.trail_name), "hostrail");
	snprintf(e->o.frame.bucket_name, sizeof(e->o.frame.bucket_name), "bucket");
	e->o.digest_seconds = period;
}

static int64_t wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * NS + ts.tv_nsec;
}

/* Deliver one log file the way the batcher does: hook before the rename. */
static void deliver(struct env *e, struct hr_signer *s, int64_t t_ns, const char *records,
		    int64_t oldest, int64_t newest, size_t n, char *key_out)
{
	struct hr_delivered_log d = {0};
	struct hr_publish p = {0};
	char unique[HR_LOG_UNIQUE_LEN + 1];

	CHECK_INT(hr_logfile_unique(unique), 0);
	CHECK_INT(hr_logfile_key(d.key, sizeof(d.key), ACCT, "host-1", t_ns, unique), 0);
	CHECK_INT(hr_publish_gz(&p, e->bucket, d.key, records, strlen(records)), 0);
	memcpy(d.sha256_hex, p.sha256_hex, 65);
	d.oldest_event_ns = oldest;
	d.newest_event_ns = newest;
	d.n_records = n;
	d.uncompressed_bytes = strlen(records);
	d.delivered_ns = t_ns;
	hr_signer_on_delivered(s, &d);
	CHECK_INT(hr_publish_commit(&p), 0);
	hr_publish_release(&p);
	if (key_out)
		strcpy(key_out, d.key);
}

static json_t *read_digest(struct env *e, const char *key, char sha[65])
{
	char path[1024];
	unsigned char *raw = NULL, md[32];
	size_t len = 0;
	json_t *doc;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", e->bucket, key);
	fd = open(path, O_RDONLY);
	CHECK(fd >= 0);
	if (fd < 0)
		return NULL;
	CHECK_INT(hr_gz_inflate_fd_all(fd, 1 << 20, &raw, &len), 0);
	close(fd);
	if (sha) {
		EVP_Digest(raw, len, md, NULL, EVP_sha256(), NULL);
		hr_hex(md, 32, sha);
	}
	doc = json_loadb((char *)raw, len, JSON_PRESERVE_ORDER, NULL);
	free(raw);
	CHECK(doc != NULL);
	return doc;
}

static char *sidecar_sig(struct env *e, const char *key)
{
	char path[1024];
	json_t *doc;
	char *sig;

	snprintf(path, sizeof(path), "%s/%s.meta.json", e->bucket, key);
	doc = json_load_file(path, 0, NULL);
	CHECK(doc != NULL);
	CHECK_STR(json_string_value(json_object_get(doc, "signature-algorithm")), "SHA256withRSA");
	sig = strdup(json_string_value(json_object_get(doc, "signature")));
	json_decref(doc);
	return sig;
}

static const char *js(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static int run_validate(struct env *e, int64_t start, int64_t end, char *out, size_t outlen)
{
	struct hr_validate_opts vo = {0};
	FILE *f = tmpfile();
	size_t n;
	int rc;

	vo.bucket_dir = e->bucket;
	vo.state_dir = e->state;
	vo.start = start;
	vo.end = end;
	vo.verbose = true;
	vo.out = f;
	vo.err = f;
	rc = hr_validate_logs(&vo, NULL);
	rewind(f);
	n = fread(out, 1, outlen - 1, f);
	out[n] = '\0';
	fclose(f);
	return rc;
}

/* ---- formats ---- */

TEST(string_to_sign_vector)
{
	unsigned char md[32];
	char hex[65], *sts = NULL;
	size_t len = 0;

	EVP_Digest("abc", 3, md, NULL, EVP_sha256(), NULL);
	hr_hex(md, 32, hex);
	CHECK_INT(hr_digest_string_to_sign("a", "b", "c", hex, NULL, &sts, &len), 0);
	CHECK_STR(sts, "a\nb/c\nba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
		       "\nnull");
	CHECK_INT(len, strlen(sts));
	free(sts);
	CHECK_INT(hr_digest_string_to_sign("a", "b", "c", hex, "00ff", &sts, &len), 0);
	CHECK(len > 4 && !strcmp(sts + len - 5, "\n00ff"));
	free(sts);
}

TEST(digest_json_order_and_nulls)
{
	struct hr_frame f = {ACCT, "host-1", "hostrail", "bucket"};
	struct hr_digest_log logs[2] = {
		{"AWSLogs/k1.json.gz", "aa", 1795255200LL * NS + 5, 1795255260LL * NS, 3},
		{"AWSLogs/k2.json.gz", "bb", 1795255100LL * NS, 1795255230LL * NS + 999, 2},
	};
	struct hr_digest_in in = {.frame = &f,
				  .start = 1795255200,
				  .end = 1795255500,
				  .fingerprint = "0123456789abcdef0123456789abcdef"};
	char key[HR_LOG_KEY_MAX], *json = NULL;
	size_t len;

	CHECK_INT(hr_digest_key(key, sizeof(key), &f, 1795255500), 0);
	CHECK_STR(key, "AWSLogs/" ACCT "/CloudTrail-Digest/host-1/2026/11/21/" ACCT
		       "_CloudTrail-Digest_host-1_hostrail_host-1_20261121T100500Z.json.gz");
	/* a starting digest with no log files */
	CHECK_INT(hr_digest_json(&in, key, &json, &len), 0);
	CHECK_STR(json,
		  "{\"awsAccountId\":\"" ACCT "\",\"digestStartTime\":\"2026-11-21T10:00:00Z\","
		  "\"digestEndTime\":\"2026-11-21T10:05:00Z\",\"digestS3Bucket\":\"bucket\","
		  "\"digestS3Object\":\"AWSLogs/" ACCT "/CloudTrail-Digest/host-1/2026/11/21/" ACCT
		  "_CloudTrail-Digest_host-1_hostrail_host-1_20261121T100500Z.json.gz\","
		  "\"digestPublicKeyFingerprint\":\"0123456789abcdef0123456789abcdef\","
		  "\"digestSignatureAlgorithm\":\"SHA256withRSA\",\"newestEventTime\":null,"
		  "\"oldestEventTime\":null,\"previousDigestS3Bucket\":null,"
		  "\"previousDigestS3Object\":null,\"previousDigestHashValue\":null,"
		  "\"previousDigestHashAlgorithm\":null,\"previousDigestSignature\":null,"
		  "\"logFiles\":[]}");
	free(json);
	/* linked, with log files: times floor to the second, min/max over files */
	in.logs = logs;
	in.n_logs = 2;
	in.prev_bucket = "bucket";
	in.prev_key = "AWSLogs/prev.json.gz";
	in.prev_sha256 = "cc";
	in.prev_signature = "dd";
	CHECK_INT(hr_digest_json(&in, "K", &json, &len), 0);
	CHECK(strstr(json, "\"digestSignatureAlgorithm\":\"SHA256withRSA\","
			   "\"newestEventTime\":\"2026-11-21T10:01:00Z\","
			   "\"oldestEventTime\":\"2026-11-21T09:58:20Z\","
			   "\"previousDigestS3Bucket\":\"bucket\","
			   "\"previousDigestS3Object\":\"AWSLogs/prev.json.gz\","
			   "\"previousDigestHashValue\":\"cc\","
			   "\"previousDigestHashAlgorithm\":\"SHA-256\","
			   "\"previousDigestSignature\":\"dd\",\"logFiles\":["
			   "{\"s3Bucket\":\"bucket\",\"s3Object\":\"AWSLogs/k1.json.gz\","
			   "\"hashValue\":\"aa\",\"hashAlgorithm\":\"SHA-256\","
			   "\"newestEventTime\":\"2026-11-21T10:01:00Z\","
			   "\"oldestEventTime\":\"2026-11-21T10:00:00Z\"},") != NULL);
	free(json);
	CHECK_INT(hr_digest_sidecar_json("ab12", &json, &len), 0);
	CHECK_STR(json, "{\"signature\": \"ab12\", \"signature-algorithm\": \"SHA256withRSA\"}\n");
	free(json);
}

TEST(times)
{
	char buf[HR_CT_TIME_LEN + 1];
	int64_t t = 0;

	CHECK_INT(hr_cli_time_parse("2026-11-21T10:00:00Z", &t), 0);
	CHECK_INT(t, 1795255200);
	CHECK_INT(hr_cli_time_parse("2026-11-21T10:00:00", &t), 0);
	CHECK_INT(t, 1795255200);
	CHECK_INT(hr_cli_time_parse("2026-11-21", &t), 0);
	CHECK_INT(t, 1795219200);
	CHECK_INT(hr_cli_time_parse("1795255200", &t), 0);
	CHECK_INT(t, 1795255200);
	CHECK_INT(hr_cli_time_parse("2026-02-30", &t), -EINVAL);
	CHECK_INT(hr_cli_time_parse("2026-11-21T25:00:00Z", &t), -EINVAL);
	CHECK_INT(hr_cli_time_parse("yesterday", &t), -EINVAL);
	CHECK_INT(hr_cli_time_parse("", &t), -EINVAL);
	CHECK_INT(hr_cli_time_parse("-5", &t), -EINVAL);
	hr_ct_time_fmt(1795255200, buf);
	CHECK_STR(buf, "2026-11-21T10:00:00Z");
	CHECK_INT(hr_ns_to_sec(-1), -1);
}

/* ---- keys ---- */

/* PKCS#1 DER of the private key's public half, by the openssl tool. */
static bool openssl_md5(const char *pem, char out[33])
{
	char cmd[512];
	FILE *p;
	bool ok;

	snprintf(cmd, sizeof(cmd),
		 "openssl rsa -in '%s' -RSAPublicKey_out -outform DER "
		 "2>/dev/null | openssl dgst -md5 -r",
		 pem);
	p = popen(cmd, "r");
	if (!p)
		return false;
	ok = fscanf(p, "%32s", out) == 1;
	pclose(p);
	return ok;
}

TEST(fingerprint_is_md5_of_pkcs1_der)
{
	struct env e;
	struct hr_pubkeys k = {0};
	unsigned char *der = NULL, md[16];
	char fp[33], mine[33], pem[256], err[256];
	size_t n = 0;
	struct stat st;

	env_init(&e, 300);
	CHECK_INT(hr_keys_ensure(e.state, 1795255200, err, sizeof(err)), 0);
	CHECK_INT(hr_keys_load_public(e.state, &k, err, sizeof(err)), 0);
	CHECK_INT(k.n, 1);
	if (k.n != 1)
		goto out;
	CHECK_STR(k.current, k.v[0].fingerprint);
	CHECK(!strncmp(k.v[0].value, "MIIBCgKCAQEA", 12)); /* PKCS#1 RSAPublicKey */
	CHECK_INT(hr_b64_decode(k.v[0].value, strlen(k.v[0].value), &der, &n), 0);
	CHECK_INT(n, 270);
	EVP_Digest(der, n, md, NULL, EVP_md5(), NULL);
	hr_hex(md, 16, mine);
	CHECK_STR(k.v[0].fingerprint, mine);
	/* the same as openssl's own PKCS#1 export of the private key file */
	snprintf(pem, sizeof(pem), "%s/keys/%s.pem", e.state, mine);
	CHECK(openssl_md5(pem, fp));
	CHECK_STR(fp, mine);
	CHECK_INT(stat(pem, &st), 0);
	CHECK_INT(st.st_mode & 0777, 0600);
	snprintf(pem, sizeof(pem), "%s/keys", e.state);
	CHECK_INT(stat(pem, &st), 0);
	CHECK_INT(st.st_mode & 0777, 0700);
	CHECK_INT(k.v[0].valid_from, 1795255200);
	CHECK(k.v[0].valid_to == HR_KEY_OPEN_END);
out:
	free(der);
	hr_pubkeys_free(&k);
	rm_rf(e.dir);
}

TEST(sign_verify_round_trip)
{
	struct env e;
	struct hr_pubkeys k = {0};
	struct hr_signkey *sk = NULL, *none = NULL;
	char fp[33], err[256], *sig = NULL;
	const char msg[] = "a\nb/c\nd\nnull";

	env_init(&e, 300);
	CHECK_INT(hr_keys_ensure(e.state, 1795255200, err, sizeof(err)), 0);
	CHECK_INT(hr_keys_current(e.state, fp, err, sizeof(err)), 0);
	CHECK_INT(hr_signkey_load(e.state, fp, &sk, err, sizeof(err)), 0);
	CHECK_INT(hr_keys_load_public(e.state, &k, err, sizeof(err)), 0);
	if (!sk || k.n != 1)
		goto out;
	CHECK_STR(hr_signkey_fingerprint(sk), fp);
	CHECK_INT(hr_signkey_sign(sk, msg, strlen(msg), &sig), 0);
	CHECK_INT(strlen(sig), 512);
	CHECK_INT(hr_pubkey_verify(&k.v[0], msg, strlen(msg), sig, strlen(sig)), 0);
	CHECK_INT(hr_pubkey_verify(&k.v[0], msg, strlen(msg) - 1, sig, strlen(sig)), -EBADMSG);
	sig[0] = sig[0] == '0' ? '1' : '0';
	CHECK_INT(hr_pubkey_verify(&k.v[0], msg, strlen(msg), sig, strlen(sig)), -EBADMSG);
	CHECK_INT(hr_pubkey_verify(&k.v[0], msg, strlen(msg), "zz", 2), -EINVAL);
	CHECK_INT(hr_pubkey_verify(&k.v[0], msg, strlen(msg), "abc", 3), -EINVAL);
	/* a key file swapped for another is refused */
	CHECK_INT(hr_signkey_load(e.state, "00000000000000000000000000000000", &none, err,
				  sizeof(err)),
		  -ENOENT);
	CHECK(none == NULL);
out:
	free(sig);
	hr_signkey_free(sk);
	hr_pubkeys_free(&k);
	rm_rf(e.dir);
}

TEST(rotation_keeps_old_keys_listed)
{
	struct env e;
	struct hr_pubkeys k = {0};
	char fp1[33], fp2[33], err[256], pem[256];
	FILE *f;
	char *text = NULL;
	size_t tlen = 0;

	env_init(&e, 300);
	CHECK_INT(hr_keys_ensure(e.state, 1795255200, err, sizeof(err)), 0);
	CHECK_INT(hr_keys_current(e.state, fp1, err, sizeof(err)), 0);
	/* ensure is idempotent */
	CHECK_INT(hr_keys_ensure(e.state, 1795255300, err, sizeof(err)), 0);
	CHECK_INT(hr_keys_rotate(e.state, 1795258800, fp2, err, sizeof(err)), 0);
	CHECK_STR(err, "");
	CHECK(strcmp(fp1, fp2) != 0);
	/* the retired private key is gone; the new one is there */
	snprintf(pem, sizeof(pem), "%s/keys/%s.pem", e.state, fp1);
	CHECK(access(pem, F_OK) != 0);
	snprintf(pem, sizeof(pem), "%s/keys/%s.pem", e.state, fp2);
	CHECK_INT(access(pem, F_OK), 0);
	CHECK_INT(hr_keys_load_public(e.state, &k, err, sizeof(err)), 0);
	CHECK_INT(k.n, 2);
	if (k.n != 2)
		goto out;
	CHECK_STR(k.current, fp2);
	CHECK_STR(k.v[0].fingerprint, fp1);
	CHECK_INT(k.v[0].valid_from, 1795255200);
	CHECK_INT(k.v[0].valid_to, 1795258800);
	CHECK_INT(k.v[1].valid_from, 1795258800);
	CHECK(k.v[1].valid_to == HR_KEY_OPEN_END);
	/* ListPublicKeys' filter: only what overlaps the range */
	CHECK(hr_pubkey_in_range(&k.v[0], 1795255000, 1795256000));
	CHECK(!hr_pubkey_in_range(&k.v[1], 1795255000, 1795256000));
	CHECK(!hr_pubkey_in_range(&k.v[0], 1795260000, 1795260000));
	f = open_memstream(&text, &tlen);
	hr_pubkeys_print(f, &k, 1795255000, 1795260000);
	fclose(f);
	CHECK(strstr(text, "\"PublicKeyList\"") != NULL);
	CHECK(strstr(text, "\"ValidityEndTime\": \"2026-11-21T11:00:00Z\"") != NULL);
	CHECK(strstr(text, "\"ValidityEndTime\": null") != NULL);
	CHECK(strstr(text, "PRIVATE") == NULL);
out:
	free(text);
	hr_pubkeys_free(&k);
	rm_rf(e.dir);
}

/* ---- the chain ---- */

static const char recs[] =
	"{\"Records\":[{\"eventVersion\":\"1.11\",\"eventTime\":\"2026-11-21T10:00:01Z\","
	"\"eventName\":\"Setuid\",\"requestParameters\":{\"eventTime\":\"1999-01-01T00:00:00Z\"}},"
	"{\"eventTime\":\"2026-11-21T10:00:03Z\",\"eventName\":\"Mount\"}]}";
#define R_OLD (1795255201LL * NS)
#define R_NEW (1795255203LL * NS + 5)

TEST(chain_links_digests)
{
	struct env e;
	struct hr_signer *s = NULL;
	struct hr_signer_stats st;
	char key1[HR_LOG_KEY_MAX], k1[HR_LOG_KEY_MAX], k2[HR_LOG_KEY_MAX], sha1[65];
	char out[16384], *sig1 = NULL;
	json_t *d1 = NULL, *d2 = NULL, *lf;
	int64_t now = wall_ns();

	env_init(&e, 10);
	CHECK_INT(hr_signer_open(&e.o, &s), 0);
	if (!s)
		goto out;
	deliver(&e, s, now, recs, R_OLD, R_NEW, 2, key1);
	hr_signer_stats(s, &st);
	CHECK_INT(st.pending, 1);
	CHECK_INT(hr_signer_tick(s, now + 5 * NS), 0); /* period not over */
	CHECK_INT(st.digests, 0);
	CHECK_INT(hr_signer_tick(s, now + 11 * NS), 0);
	hr_signer_stats(s, &st);
	CHECK_INT(st.digests, 1);
	CHECK_INT(st.pending, 0);
	strcpy(k1, st.last_digest_key);
	CHECK_INT(hr_signer_tick(s, now + 22 * NS), 0); /* an empty period */
	hr_signer_stats(s, &st);
	CHECK_INT(st.digests, 2);
	strcpy(k2, st.last_digest_key);

	d1 = read_digest(&e, k1, sha1);
	d2 = read_digest(&e, k2, NULL);
	sig1 = sidecar_sig(&e, k1);
	if (!d1 || !d2 || !sig1)
		goto out;
	/* the first of a chain: the five previous* present and null */
	CHECK(json_is_null(json_object_get(d1, "previousDigestS3Object")));
	CHECK(json_is_null(json_object_get(d1, "previousDigestSignature")));
	CHECK_INT(json_object_size(d1), 15);
	lf = json_array_get(json_object_get(d1, "logFiles"), 0);
	CHECK_STR(js(lf, "s3Object"), key1);
	CHECK_STR(js(lf, "oldestEventTime"), "2026-11-21T10:00:01Z");
	CHECK_STR(js(lf, "newestEventTime"), "2026-11-21T10:00:03Z");
	/* the second links to the first */
	CHECK_STR(js(d2, "previousDigestS3Object"), k1);
	CHECK_STR(js(d2, "previousDigestS3Bucket"), "bucket");
	CHECK_STR(js(d2, "previousDigestHashValue"), sha1);
	CHECK_STR(js(d2, "previousDigestHashAlgorithm"), "SHA-256");
	CHECK_STR(js(d2, "previousDigestSignature"), sig1);
	CHECK_STR(js(d2, "digestStartTime"), js(d1, "digestEndTime"));
	CHECK_INT(json_array_size(json_object_get(d2, "logFiles")), 0);
	CHECK(json_is_null(json_object_get(d2, "newestEventTime")));

	CHECK_INT(hr_signer_stop(s, now + 23 * NS), 0);
	CHECK_INT(
		run_validate(&e, hr_ns_to_sec(now) - 60, hr_ns_to_sec(now) + 60, out, sizeof(out)),
		0);
	CHECK(strstr(out, "3/3 digest files valid\n1/1 log files valid\n") != NULL);
out:
	json_decref(d1);
	json_decref(d2);
	free(sig1);
	hr_signer_close(s);
	rm_rf(e.dir);
}

/* Close without stop = a crash: the next run continues; stop = a new chain. */
TEST(crash_continues_stop_restarts)
{
	struct env e;
	struct hr_signer *s = NULL;
	struct hr_signer_stats st;
	char before[HR_LOG_KEY_MAX], key[HR_LOG_KEY_MAX], lkey[HR_LOG_KEY_MAX], out[16384];
	json_t *d = NULL, *prev = NULL;
	int64_t now = wall_ns();

	env_init(&e, 10);
	CHECK_INT(hr_signer_open(&e.o, &s), 0);
	CHECK_INT(hr_signer_tick(s, now + 11 * NS), 0);
	hr_signer_stats(s, &st);
	strcpy(before, st.last_digest_key);
	/* delivered, then the agent dies before the next digest */
	deliver(&e, s, now + 12 * NS, recs, R_OLD, R_NEW, 2, lkey);
	hr_signer_close(s);
	s = NULL;

	CHECK_INT(hr_signer_open(&e.o, &s), 0);
	if (!s)
		goto out;
	CHECK_INT(hr_signer_tick(s, now + 40 * NS), 0);
	hr_signer_stats(s, &st);
	strcpy(key, st.last_digest_key);
	d = read_digest(&e, key, NULL);
	prev = read_digest(&e, before, NULL);
	/* the crashed run's digest is linked, its end is the next start, and
	 * the log it had delivered is listed: no hole */
	CHECK_STR(js(d, "previousDigestS3Object"), before);
	CHECK_STR(js(d, "digestStartTime"), js(prev, "digestEndTime"));
	CHECK_STR(js(json_array_get(json_object_get(d, "logFiles"), 0), "s3Object"), lkey);
	json_decref(d);
	json_decref(prev);
	d = prev = NULL;
	CHECK_INT(hr_signer_stop(s, now + 41 * NS), 0);
	hr_signer_close(s);
	s = NULL;

	CHECK_INT(hr_signer_open(&e.o, &s), 0);
	if (!s)
		goto out;
	CHECK_INT(hr_signer_tick(s, now + 60 * NS), 0);
	hr_signer_stats(s, &st);
	d = read_digest(&e, st.last_digest_key, NULL);
	CHECK(json_is_null(json_object_get(d, "previousDigestS3Object")));
	CHECK_INT(hr_signer_stop(s, now + 61 * NS), 0);
	CHECK_INT(
		run_validate(&e, hr_ns_to_sec(now) - 60, hr_ns_to_sec(now) + 120, out, sizeof(out)),
		0);
	CHECK(strstr(out, "No log files were delivered by CloudTrail between") != NULL);
out:
	json_decref(d);
	hr_signer_close(s);
	rm_rf(e.dir);
}

/* A damaged chain state does not stop the agent: a new chain, the file kept. */
/* A bucket whose digest folder is there but empty (fuzz_validate found the
 * sort of that empty list undefined): a clear answer, no crash. */
TEST(validator_on_an_empty_digest_folder)
{
	struct env e;
	struct hr_signer *s = NULL;
	char path[256], out[4096];
	int rc;

	env_init(&e, 10);
	CHECK_INT(hr_signer_open(&e.o, &s), 0);
	hr_signer_close(s);
	snprintf(path, sizeof(path), "mkdir -p %s/AWSLogs/" ACCT "/CloudTrail-Digest/host-1",
		 e.bucket);
	CHECK_INT(system(path), 0);
	rc = run_validate(&e, 0, wall_ns() / NS + 60, out, sizeof(out));
	/* aws cloudtrail validate-logs answers so, and exits 0 */
	CHECK_INT(rc, 0);
	CHECK(strstr(out, "\nNo digests found\n") != NULL);
	rm_rf(e.dir);
}

TEST(damaged_state_starts_a_new_chain)
{
	struct env e;
	struct hr_signer *s = NULL;
	struct hr_signer_stats st;
	char path[256];
	json_t *d = NULL;
	FILE *f;
	int64_t now = wall_ns();

	env_init(&e, 10);
	CHECK_INT(hr_signer_open(&e.o, &s), 0);
	CHECK_INT(hr_signer_tick(s, now + 11 * NS), 0);
	hr_signer_close(s);
	s = NULL;
	snprintf(path, sizeof(path), "%s/chain/hostrail.json", e.state);
	f = fopen(path, "w");
	fputs("{\"version\":1,", f);
	fclose(f);
	CHECK_INT(hr_signer_open(&e.o, &s), 0);
	if (!s)
		goto out;
	CHECK_INT(hr_signer_tick(s, now + 30 * NS), 0);
	hr_signer_stats(s, &st);
	d = read_digest(&e, st.last_digest_key, NULL);
	CHECK(json_is_null(json_object_get(d, "previousDigestS3Object")));
	snprintf(path, sizeof(path), "%s/chain", e.state);
	{
		char cmd[512];

		snprintf(cmd, sizeof(cmd), "ls %s | grep -q 'hostrail.json.damaged-'", path);
		CHECK_INT(system(cmd), 0);
	}
out:
	json_decref(d);
	hr_signer_close(s);
	rm_rf(e.dir);
}

/* A digest in flight when the agent died: finished or undone at the next start. */
TEST(inflight_roll_forward_and_back)
{
	struct env e;
	struct hr_signer *s = NULL;
	struct hr_signer_stats st;
	struct hr_chain_state cs = {0}, after = {0};
	char lkey[HR_LOG_KEY_MAX], dkey[HR_LOG_KEY_MAX], err[512], path[1024];
	json_t *d = NULL;
	int64_t now = wall_ns();

	env_init(&e, 10);
	CHECK_INT(hr_signer_open(&e.o, &s), 0);
	if (!s)
		goto out;
	deliver(&e, s, now, recs, R_OLD, R_NEW, 2, lkey);
	/* the state as it was just before the digest */
	CHECK_INT(hr_chain_load(e.state, "hostrail", &cs, err, sizeof(err)), 0);
	CHECK_INT(hr_signer_tick(s, now + 11 * NS), 0);
	hr_signer_stats(s, &st);
	strcpy(dkey, st.last_digest_key);
	hr_signer_close(s);
	s = NULL;
	CHECK_INT(hr_chain_load(e.state, "hostrail", &after, err, sizeof(err)), 0);

	/* roll forward: the digest is in place, the state still says in flight */
	CHECK_INT(hr_chain_link_copy(&cs.inflight, &after.last), 0);
	cs.have_inflight = true;
	cs.inflight_start = cs.period_start;
	cs.inflight_listed = calloc(2, sizeof(char *));
	cs.inflight_listed[0] = strdup(lkey);
	cs.n_inflight_listed = 1;
	CHECK_INT(hr_chain_save(e.state, &cs, err, sizeof(err)), 0);
	CHECK_INT(hr_signer_open(&e.o, &s), 0);
	if (!s)
		goto out;
	hr_signer_stats(s, &st);
	CHECK_INT(st.pending, 0);
	CHECK_INT(hr_signer_tick(s, now + 22 * NS), 0);
	hr_signer_stats(s, &st);
	d = read_digest(&e, st.last_digest_key, NULL);
	CHECK_STR(js(d, "previousDigestS3Object"), dkey);
	CHECK_INT(json_array_size(json_object_get(d, "logFiles")), 0); /* not twice */
	json_decref(d);
	d = NULL;
	hr_signer_close(s);
	s = NULL;

	/* roll back: the digest never became visible */
	cs.inflight.end += 100;
	snprintf(cs.inflight.key, sizeof(cs.inflight.key),
		 "AWSLogs/%s/CloudTrail-Digest/"
		 "host-1/2030/01/01/never.json.gz",
		 ACCT);
	snprintf(path, sizeof(path), "%s/%s.meta.json", e.bucket, cs.inflight.key);
	CHECK_INT(hr_chain_save(e.state, &cs, err, sizeof(err)), 0);
	CHECK_INT(hr_signer_open(&e.o, &s), 0);
	if (!s)
		goto out;
	hr_signer_stats(s, &st);
	CHECK_INT(st.pending, 1); /* still to be listed */
	CHECK(access(path, F_OK) != 0);
	CHECK_INT(hr_signer_tick(s, now + 40 * NS), 0);
	hr_signer_stats(s, &st);
	d = read_digest(&e, st.last_digest_key, NULL);
	/* continues from the last digest the state had before the lost one */
	CHECK(json_is_null(json_object_get(d, "previousDigestS3Object")));
	CHECK_STR(js(json_array_get(json_object_get(d, "logFiles"), 0), "s3Object"), lkey);
out:
	json_decref(d);
	hr_chain_free(&cs);
	hr_chain_free(&after);
	hr_signer_close(s);
	rm_rf(e.dir);
}

/* The library validator over a real signed bucket, and what it catches. */
TEST(validator_catches_tampering)
{
	struct env e;
	struct hr_signer *s = NULL;
	char l1[HR_LOG_KEY_MAX], l2[HR_LOG_KEY_MAX], path[1024], out[32768];
	int64_t now = wall_ns(), lo = hr_ns_to_sec(now) - 60, hi = hr_ns_to_sec(now) + 120;
	FILE *f;

	env_init(&e, 10);
	CHECK_INT(hr_signer_open(&e.o, &s), 0);
	if (!s)
		goto out;
	deliver(&e, s, now, recs, R_OLD, R_NEW, 2, l1);
	CHECK_INT(hr_signer_tick(s, now + 11 * NS), 0);
	deliver(&e, s, now + 12 * NS, recs, R_OLD, R_NEW, 2, l2);
	CHECK_INT(hr_signer_stop(s, now + 13 * NS), 0);
	CHECK_INT(run_validate(&e, lo, hi, out, sizeof(out)), 0);
	/* the nested requestParameters.eventTime (1999) is not a record's */
	CHECK(strstr(out, "INVALID") == NULL);

	/* an edited log file */
	snprintf(path, sizeof(path), "%s/%s", e.bucket, l2);
	f = fopen(path, "r+");
	fseek(f, 12, SEEK_SET);
	fputc('x', f);
	fclose(f);
	CHECK_INT(run_validate(&e, lo, hi, out, sizeof(out)), 1);
	CHECK(strstr(out, l2) != NULL);
	unlink(path);
	CHECK_INT(run_validate(&e, lo, hi, out, sizeof(out)), 1);
	CHECK(strstr(out, "INVALID: not found") != NULL);

	/* a log file no digest lists */
	snprintf(path, sizeof(path), "%s/%.*sAAAAAAAAAAAAAAAA.json.gz", e.bucket,
		 (int)strlen(l1) - 24, l1);
	f = fopen(path, "w");
	fputs("x", f);
	fclose(f);
	CHECK_INT(run_validate(&e, lo, hi, out, sizeof(out)), 1);
	CHECK(strstr(out, "AAAAAAAAAAAAAAAA.json.gz\tINVALID: not listed in any digest") != NULL);
	/* bad input is a usage error, never a crash */
	CHECK_INT(run_validate(&e, hi, lo, out, sizeof(out)), 2);
out:
	hr_signer_close(s);
	rm_rf(e.dir);
}

/* ---- the record scan: fast path against the exact one ---- */

static void scan_both(const char *doc, struct hr_logscan *fast, struct hr_logscan *exact,
		      size_t chunk)
{
	size_t n = strlen(doc);

	hr_logscan_init(fast);
	for (size_t o = 0; o < n; o += chunk)
		hr_logscan_feed(fast, (const unsigned char *)doc + o,
				n - o < chunk ? n - o : chunk);
	hr_logscan_end(fast);
	CHECK_INT(hr_logscan_exact(exact, doc, n), 0);
}

TEST(logscan)
{
	static const char *const vary[] = {
		recs,
		"{\"Records\":[]}",
		"{\"Records\":[{\"eventName\":\"StopLogging\",\"x\":\"a\\\"b\\\\\","
		"\"eventTime\":\"2026-11-21T10:00:09Z\",\"y\":[1,{\"eventTime\":\"0\"}]}]}",
		"{\"Records\":[{\"eventTime\":5},{\"eventTime\":\"2026-11-21T10:00:09Z\"}]}",
	};
	struct hr_logscan f, x;

	for (size_t i = 0; i < sizeof(vary) / sizeof(vary[0]); i++) {
		/* every chunking, including one byte at a time */
		for (size_t chunk = 1; chunk < 40; chunk += 7) {
			scan_both(vary[i], &f, &x, chunk);
			CHECK(!f.need_exact);
			CHECK_INT(f.records, x.records);
			CHECK_INT(f.bad_times, x.bad_times);
			CHECK_STR(f.oldest, x.oldest);
			CHECK_STR(f.newest, x.newest);
			CHECK_INT(f.stop_logging, x.stop_logging);
		}
	}
	scan_both(recs, &f, &x, 1000);
	CHECK_STR(f.oldest, "2026-11-21T10:00:01Z");
	CHECK_STR(f.newest, "2026-11-21T10:00:03Z");
	scan_both(vary[2], &f, &x, 1000);
	CHECK(f.stop_logging);
	scan_both(vary[3], &f, &x, 1000);
	CHECK_INT(f.bad_times, 1);
	/* what the fast path cannot vouch for goes to the exact parse */
	scan_both("{ \"Records\" : [ {\"eventTime\":\"2026-11-21T10:00:09Z\"} ] }", &f, &x, 9);
	CHECK(f.need_exact);
	CHECK_INT(x.records, 1);
	scan_both("{\"Records\":[{\"event\\u0054ime\":\"2026-11-21T10:00:09Z\"}]}", &f, &x, 9);
	CHECK(f.need_exact);
	CHECK_STR(x.newest, "2026-11-21T10:00:09Z");
	scan_both("{\"Records\":[{\"eventTime\":\"2026-11-21T10:00:09Z\","
		  "\"eventTime\":\"2026-11-21T10:00:01Z\"}]}",
		  &f, &x, 9);
	CHECK(f.need_exact);
	hr_logscan_init(&f);
	hr_logscan_feed(&f, (const unsigned char *)"{\"Records\":[{", 13);
	hr_logscan_end(&f);
	CHECK(f.need_exact); /* truncated */
	CHECK_INT(hr_logscan_exact(&x, "{\"Records\":[{", 13), -EINVAL);
}

/* A trail that moves between bucket directories: each bucket's last digest
 * is remembered, moving back makes it "last" again, and it survives a save
 * and load. */
TEST(bucket_move_remembers_each_buckets_last_digest)
{
	struct env e;
	struct hr_signer *s = NULL;
	struct hr_signer_stats st;
	struct hr_chain_state cs = {0};
	char a_last[HR_LOG_KEY_MAX], b_last[HR_LOG_KEY_MAX], a_dir[96], b_dir[96];
	char err[256], out[16384];
	int64_t now = wall_ns();

	env_init(&e, 10);
	snprintf(a_dir, sizeof(a_dir), "%s", e.bucket);
	snprintf(b_dir, sizeof(b_dir), "%.60s/second", e.dir);
	mkdir(b_dir, 0750);
	CHECK_INT(hr_signer_open(&e.o, &s), 0);
	CHECK_INT(hr_signer_stop(s, now + 5 * NS), 0);
	hr_signer_stats(s, &st);
	strcpy(a_last, st.last_digest_key);
	hr_signer_close(s);

	e.o.bucket_dir = b_dir;
	CHECK_INT(hr_signer_open(&e.o, &s), 0);
	CHECK_INT(hr_chain_load(e.state, "hostrail", &cs, err, sizeof(err)), 0);
	CHECK_STR(cs.bucket_dir, b_dir);
	CHECK(!cs.have_last);
	CHECK_INT(cs.n_earlier, 1);
	if (cs.n_earlier == 1) {
		CHECK_STR(cs.earlier[0].bucket_dir, a_dir);
		CHECK_STR(cs.earlier[0].last.key, a_last);
	}
	hr_chain_free(&cs);
	CHECK_INT(hr_signer_stop(s, now + 9 * NS), 0);
	hr_signer_stats(s, &st);
	strcpy(b_last, st.last_digest_key);
	hr_signer_close(s);

	/* each bucket validates against the state's record of it */
	snprintf(e.bucket, sizeof(e.bucket), "%s", a_dir);
	CHECK_INT(
		run_validate(&e, hr_ns_to_sec(now) - 60, hr_ns_to_sec(now) + 120, out, sizeof(out)),
		0);
	snprintf(e.bucket, sizeof(e.bucket), "%s", b_dir);
	CHECK_INT(
		run_validate(&e, hr_ns_to_sec(now) - 60, hr_ns_to_sec(now) + 120, out, sizeof(out)),
		0);

	/* back to the first bucket: its last digest is "last" again */
	e.o.bucket_dir = a_dir;
	CHECK_INT(hr_signer_open(&e.o, &s), 0);
	hr_signer_close(s);
	s = NULL;
	CHECK_INT(hr_chain_load(e.state, "hostrail", &cs, err, sizeof(err)), 0);
	CHECK_STR(cs.bucket_dir, a_dir);
	CHECK(cs.have_last);
	CHECK_STR(cs.last.key, a_last);
	CHECK_INT(cs.n_earlier, 1);
	if (cs.n_earlier == 1) {
		CHECK_STR(cs.earlier[0].bucket_dir, b_dir);
		CHECK_STR(cs.earlier[0].last.key, b_last);
	}
	/* another account: nothing of the old place is kept */
	snprintf(e.o.frame.account_id, sizeof(e.o.frame.account_id), "210987654321");
	CHECK_INT(hr_signer_open(&e.o, &s), 0);
	hr_chain_free(&cs);
	CHECK_INT(hr_chain_load(e.state, "hostrail", &cs, err, sizeof(err)), 0);
	CHECK_INT(cs.n_earlier, 0);
	CHECK(!cs.have_last);
	hr_chain_free(&cs);
	hr_signer_close(s);
	rm_rf(e.dir);
}

int main(void)
{
	hr_log_set_level(HR_LOG_ERROR);
	RUN(string_to_sign_vector);
	RUN(digest_json_order_and_nulls);
	RUN(times);
	RUN(fingerprint_is_md5_of_pkcs1_der);
	RUN(sign_verify_round_trip);
	RUN(rotation_keeps_old_keys_listed);
	RUN(chain_links_digests);
	RUN(bucket_move_remembers_each_buckets_last_digest);
	RUN(crash_continues_stop_restarts);
	RUN(validator_on_an_empty_digest_folder);
	RUN(damaged_state_starts_a_new_chain);
	RUN(inflight_roll_forward_and_back);
	RUN(validator_catches_tampering);
	RUN(logscan);
	TEST_MAIN_END();
}

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * keys.c - generate, rotate, load and use the digest signing keys.
 *
 * The private key only ever exists in three places: its 0600 file, OpenSSL's
 * key object and, while being written or read, a buffer that is cleansed
 * right after. Nothing here prints or logs it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "sign/keys.h"
#include "common/timefmt.h"
#include "common/encode.h"
#include "common/files.h"

#define INDEX_NAME "index.json"
#define INDEX_MAX  (4 << 20)
#define PEM_MAX	   (64 << 10)

struct hr_signkey {
	EVP_PKEY *pkey;
	char fingerprint[HR_FP_LEN + 1];
};

static int seterr(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int seterr(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}

void hr_key_fingerprint(const void *der, size_t n, char out[HR_FP_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (EVP_Digest(der, n, md, &mdlen, EVP_md5(), NULL) != 1 || mdlen != 16) {
		out[0] = '\0';
		return;
	}
	hr_hex(md, 16, out);
}

/* PKCS#1 RSAPublicKey DER: what CloudTrail publishes and fingerprints. */
static int pkcs1_der(EVP_PKEY *pkey, unsigned char **der, size_t *n)
{
	unsigned char *buf = NULL;
	int len = i2d_PublicKey(pkey, &buf);

	if (len <= 0)
		return -EINVAL;
	*der = buf;
	*n = (size_t)len;
	return 0;
}

static EVP_PKEY *decode_der(const unsigned char *der, size_t n)
{
	const unsigned char *p = der;
	EVP_PKEY *pkey;

	/* PKCS#1 first (ours, and what aws-cli v1 and v2 both take), then SPKI */
	pkey = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, (long)n);
	if (pkey && p == der + n)
		return pkey;
	EVP_PKEY_free(pkey);
	p = der;
	pkey = d2i_PUBKEY(NULL, &p, (long)n);
	if (pkey && p == der + n && EVP_PKEY_is_a(pkey, "RSA"))
		return pkey;
	EVP_PKEY_free(pkey);
	return NULL;
}

void hr_pubkeys_free(struct hr_pubkeys *k)
{
	if (!k)
		return;
	for (size_t i = 0; i < k->n; i++) {
		free(k->v[i].value);
		EVP_PKEY_free(k->v[i].pkey);
	}
	free(k->v);
	memset(k, 0, sizeof(*k));
}

bool hr_pubkey_in_range(const struct hr_pubkey *k, int64_t start, int64_t end)
{
	return k->valid_from <= end && k->valid_to >= start;
}

/* An ISO time string, an epoch number (aws-cli v1 prints those), or null. */
static int json_time(json_t *v, int64_t *out, int64_t if_null)
{
	if (!v || json_is_null(v)) {
		*out = if_null;
		return 0;
	}
	if (json_is_number(v)) {
		*out = (int64_t)json_number_value(v);
		return 0;
	}
	return json_is_string(v) ? hr_iso_time_parse(json_string_value(v), out) : -EINVAL;
}

static int add_key(struct hr_pubkeys *k, json_t *e)
{
	json_t *fp = json_object_get(e, "Fingerprint"), *val = json_object_get(e, "Value");
	struct hr_pubkey *nv, *pk;

	if (!json_is_object(e) || !json_is_string(fp) || !json_is_string(val) ||
	    json_string_length(fp) > HR_FP_LEN)
		return -EINVAL;
	nv = realloc(k->v, (k->n + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	k->v = nv;
	pk = &k->v[k->n];
	memset(pk, 0, sizeof(*pk));
	if (json_time(json_object_get(e, "ValidityStartTime"), &pk->valid_from, INT64_MIN) ||
	    json_time(json_object_get(e, "ValidityEndTime"), &pk->valid_to, HR_KEY_OPEN_END))
		return -EINVAL;
	pk->value = strdup(json_string_value(val));
	if (!pk->value)
		return -ENOMEM;
	snprintf(pk->fingerprint, sizeof(pk->fingerprint), "%s", json_string_value(fp));
	k->n++;
	return 0;
}

static int load_list(json_t *list, struct hr_pubkeys *out)
{
	size_t i;
	json_t *e;

	if (!json_is_array(list))
		return -EINVAL;
	json_array_foreach(list, i, e) {
		int ret = add_key(out, e);

		if (ret)
			return ret;
	}
	return 0;
}

static char *keys_dir(const char *state_dir)
{
	char *p;

	return asprintf(&p, "%s/keys", state_dir) < 0 ? NULL : p;
}

static int load_index(const char *state_dir, json_t **out, char *err, size_t errlen)
{
	char *dir = keys_dir(state_dir), *path = NULL, *buf = NULL;
	json_error_t jerr;
	size_t len;
	int ret;

	*out = NULL;
	if (!dir || asprintf(&path, "%s/" INDEX_NAME, dir) < 0) {
		ret = seterr(err, errlen, -ENOMEM, "out of memory");
		goto out;
	}
	ret = hr_read_file(path, INDEX_MAX, &buf, &len);
	if (ret) {
		seterr(err, errlen, ret, "failed to read %s: %s", path, strerror(-ret));
		goto out;
	}
	*out = json_loadb(buf, len, 0, &jerr);
	if (!*out || !json_is_object(*out) ||
	    !json_is_string(json_object_get(*out, "currentFingerprint")) ||
	    !json_is_array(json_object_get(*out, "keys"))) {
		json_decref(*out);
		*out = NULL;
		ret = seterr(err, errlen, -EINVAL, "failed to read %s: not a key index", path);
	}
out:
	free(buf);
	free(path);
	free(dir);
	return ret;
}

int hr_keys_load_public(const char *state_dir, struct hr_pubkeys *out, char *err, size_t errlen)
{
	json_t *idx;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = load_index(state_dir, &idx, err, errlen);
	if (ret)
		return ret;
	ret = load_list(json_object_get(idx, "keys"), out);
	if (ret) {
		seterr(err, errlen, ret, "failed to read the keys of %s/keys: %s", state_dir,
		       ret == -EINVAL ? "malformed entry" : strerror(-ret));
		hr_pubkeys_free(out);
	} else {
		snprintf(out->current, sizeof(out->current), "%s",
			 json_string_value(json_object_get(idx, "currentFingerprint")));
	}
	json_decref(idx);
	return ret;
}

int hr_pubkeys_load_file(const char *path, struct hr_pubkeys *out, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *doc = NULL;
	char *buf = NULL;
	size_t len;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = hr_read_file(path, INDEX_MAX, &buf, &len);
	if (ret)
		return seterr(err, errlen, ret, "failed to read %s: %s", path, strerror(-ret));
	doc = json_loadb(buf, len, 0, &jerr);
	ret = doc ? load_list(json_object_get(doc, "PublicKeyList"), out) : -EINVAL;
	if (ret) {
		seterr(err, errlen, ret,
		       "failed to read %s: not a ListPublicKeys document "
		       "({\"PublicKeyList\": [{\"Value\", \"Fingerprint\", ...}]})",
		       path);
		hr_pubkeys_free(out);
	}
	json_decref(doc);
	free(buf);
	return ret;
}

void hr_pubkeys_print(FILE *out, const struct hr_pubkeys *k, int64_t start, int64_t end)
{
	json_t *doc = json_object(), *list = json_array();
	char *text;

	if (!doc || !list)
		goto out;
	for (size_t i = 0; i < k->n; i++) {
		const struct hr_pubkey *pk = &k->v[i];
		char from[HR_CT_TIME_LEN + 1], to[HR_CT_TIME_LEN + 1];
		json_t *e;

		if (!hr_pubkey_in_range(pk, start, end))
			continue;
		hr_ct_time_fmt(pk->valid_from, from);
		hr_ct_time_fmt(pk->valid_to, to);
		e = json_pack("{s:s, s:s, s:o, s:s}", "Value", pk->value, "ValidityStartTime", from,
			      "ValidityEndTime",
			      pk->valid_to == HR_KEY_OPEN_END ? json_null() : json_string(to),
			      "Fingerprint", pk->fingerprint);
		if (e)
			json_array_append_new(list, e);
	}
	json_object_set_new(doc, "PublicKeyList", list);
	list = NULL;
	text = json_dumps(doc, JSON_INDENT(4));
	if (text) {
		fprintf(out, "%s\n", text);
		free(text);
	}
out:
	json_decref(list);
	json_decref(doc);
}

/* ---- generation and rotation ---- */

static int lock_keys(const char *dir, char *err, size_t errlen)
{
	char *path;
	int fd;

	if (asprintf(&path, "%s/.lock", dir) < 0)
		return seterr(err, errlen, -ENOMEM, "out of memory");
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		fd = -errno;
		seterr(err, errlen, fd, "failed to open %s: %s", path, strerror(-fd));
	} else if (flock(fd, LOCK_EX)) {
		int e = errno;

		close(fd);
		fd = seterr(err, errlen, -e, "failed to lock %s: %s", path, strerror(e));
	}
	free(path);
	return fd;
}

static int make_keys_dir(const char *state_dir, char **dir, char *err, size_t errlen)
{
	struct stat st;

	*dir = keys_dir(state_dir);
	if (!*dir)
		return seterr(err, errlen, -ENOMEM, "out of memory");
	if (mkdir(*dir, 0700) && errno != EEXIST)
		return seterr(err, errlen, -errno, "failed to create %s: %s", *dir,
			      strerror(errno));
	if (lstat(*dir, &st) || !S_ISDIR(st.st_mode))
		return seterr(err, errlen, -ENOTDIR, "failed to use %s: not a directory", *dir);
	return 0;
}

/* A new key pair: the private half durably in <dir>/<fp>.pem (0600). */
static int new_key(const char *dir, char fp[HR_FP_LEN + 1], char **b64, char *err, size_t errlen)
{
	EVP_PKEY *pkey = NULL;
	unsigned char *der = NULL;
	BIO *mem = NULL;
	char name[HR_FP_LEN + 8];
	char *pem;
	size_t derlen;
	long pemlen;
	int ret;

	*b64 = NULL;
	pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)HR_KEY_BITS);
	if (!pkey || pkcs1_der(pkey, &der, &derlen)) {
		ret = seterr(err, errlen, -EIO, "failed to generate an RSA-%d key", HR_KEY_BITS);
		goto out;
	}
	hr_key_fingerprint(der, derlen, fp);
	*b64 = hr_b64_encode(der, derlen);
	/* secure heap when available: the PEM text is the secret itself */
	mem = BIO_new(BIO_s_secmem());
	if (!*b64 || !mem || !PEM_write_bio_PrivateKey(mem, pkey, NULL, NULL, 0, NULL, NULL)) {
		ret = seterr(err, errlen, -ENOMEM, "failed to encode the new key");
		goto out;
	}
	pemlen = BIO_get_mem_data(mem, &pem);
	snprintf(name, sizeof(name), "%s.pem", fp);
	ret = hr_write_file_atomic(dir, name, pem, (size_t)pemlen, 0600, true, err, errlen);
	OPENSSL_cleanse(pem, (size_t)pemlen);
out:
	if (ret) {
		free(*b64);
		*b64 = NULL;
	}
	BIO_free(mem);
	OPENSSL_free(der);
	EVP_PKEY_free(pkey);
	return ret;
}

static int write_index(const char *dir, json_t *idx, char *err, size_t errlen)
{
	char *text = json_dumps(idx, JSON_INDENT(2));
	int ret;

	if (!text)
		return seterr(err, errlen, -ENOMEM, "out of memory");
	ret = hr_write_file_atomic(dir, INDEX_NAME, text, strlen(text), 0644, false, err, errlen);
	free(text);
	return ret;
}

static int unlinkat_dir(const char *dir, const char *name)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), ret;

	if (dfd < 0)
		return -errno;
	ret = unlinkat(dfd, name, 0) && errno != ENOENT ? -errno : 0;
	if (!ret)
		fsync(dfd);
	close(dfd);
	return ret;
}

/* Under the lock: start a new current key (the first one if idx is NULL). */
static int rotate_locked(const char *dir, json_t *idx, int64_t now, char fp[HR_FP_LEN + 1],
			 char *err, size_t errlen)
{
	char from[HR_CT_TIME_LEN + 1];
	json_t *keys, *e;
	char *b64 = NULL, old[HR_FP_LEN + 1] = "";
	size_t i;
	int ret;

	if (idx)
		snprintf(old, sizeof(old), "%s",
			 json_string_value(json_object_get(idx, "currentFingerprint")));
	ret = new_key(dir, fp, &b64, err, errlen);
	if (ret)
		return ret;
	hr_ct_time_fmt(now, from);
	if (!idx) {
		idx = json_pack("{s:s, s:[]}", "currentFingerprint", "", "keys");
		if (!idx) {
			ret = seterr(err, errlen, -ENOMEM, "out of memory");
			goto out;
		}
	} else {
		json_incref(idx);
	}
	keys = json_object_get(idx, "keys");
	json_array_foreach(keys, i, e) {
		if (json_is_null(json_object_get(e, "ValidityEndTime")))
			json_object_set_new(e, "ValidityEndTime", json_string(from));
	}
	e = json_pack("{s:s, s:s, s:n, s:s}", "Value", b64, "ValidityStartTime", from,
		      "ValidityEndTime", "Fingerprint", fp);
	if (!e || json_array_append_new(keys, e) ||
	    json_object_set_new(idx, "currentFingerprint", json_string(fp))) {
		ret = seterr(err, errlen, -ENOMEM, "out of memory");
		goto out;
	}
	ret = write_index(dir, idx, err, errlen);
	if (!ret && old[0]) {
		/* Validation needs only the public half, which stays listed.
		 * Destroying the private half means nobody, root included, can
		 * sign anything more inside the old key's window. */
		char name[HR_FP_LEN + 8];

		snprintf(name, sizeof(name), "%s.pem", old);
		if (unlinkat_dir(dir, name))
			seterr(err, errlen, 0, "could not remove the retired private key %s/%s",
			       dir, name);
	}
out:
	json_decref(idx);
	free(b64);
	return ret;
}

static int keys_change(const char *state_dir, int64_t now, bool force, char fp[HR_FP_LEN + 1],
		       char *err, size_t errlen)
{
	char *dir = NULL, ignore[256];
	json_t *idx = NULL;
	int lock = -1, ret;

	if (err && errlen)
		err[0] = '\0';
	ret = make_keys_dir(state_dir, &dir, err, errlen);
	if (ret)
		goto out;
	lock = lock_keys(dir, err, errlen);
	if (lock < 0) {
		ret = lock;
		goto out;
	}
	ret = load_index(state_dir, &idx, ignore, sizeof(ignore));
	if (ret && ret != -ENOENT) {
		/* never paper over a damaged index with a new one */
		load_index(state_dir, &idx, err, errlen);
		goto out;
	}
	if (!ret && !force) {
		snprintf(fp, HR_FP_LEN + 1, "%s",
			 json_string_value(json_object_get(idx, "currentFingerprint")));
		goto out;
	}
	ret = rotate_locked(dir, idx, now, fp, err, errlen);
out:
	json_decref(idx);
	if (lock >= 0)
		close(lock);
	free(dir);
	return ret;
}

int hr_keys_ensure(const char *state_dir, int64_t now, char *err, size_t errlen)
{
	char fp[HR_FP_LEN + 1];

	return keys_change(state_dir, now, false, fp, err, errlen);
}

int hr_keys_rotate(const char *state_dir, int64_t now, char fp[HR_FP_LEN + 1], char *err,
		   size_t errlen)
{
	return keys_change(state_dir, now, true, fp, err, errlen);
}

int hr_keys_current(const char *state_dir, char fp[HR_FP_LEN + 1], char *err, size_t errlen)
{
	json_t *idx;
	int ret = load_index(state_dir, &idx, err, errlen);

	if (ret)
		return ret;
	snprintf(fp, HR_FP_LEN + 1, "%s",
		 json_string_value(json_object_get(idx, "currentFingerprint")));
	json_decref(idx);
	return 0;
}

/* ---- using keys ---- */

int hr_signkey_load(const char *state_dir, const char *fp, struct hr_signkey **out, char *err,
		    size_t errlen)
{
	struct hr_signkey *k = NULL;
	unsigned char *der = NULL;
	char *path = NULL, *pem = NULL;
	BIO *mem = NULL;
	size_t len = 0, derlen;
	int ret;

	*out = NULL;
	if (strlen(fp) != HR_FP_LEN || strspn(fp, "0123456789abcdef") != HR_FP_LEN)
		return seterr(err, errlen, -EINVAL, "bad key fingerprint in %s/keys", state_dir);
	if (asprintf(&path, "%s/keys/%s.pem", state_dir, fp) < 0)
		return seterr(err, errlen, -ENOMEM, "out of memory");
	ret = hr_read_file(path, PEM_MAX, &pem, &len);
	if (ret) {
		seterr(err, errlen, ret, "failed to read the signing key %s: %s", path,
		       strerror(-ret));
		goto out;
	}
	k = calloc(1, sizeof(*k));
	mem = BIO_new_mem_buf(pem, (int)len);
	if (!k || !mem) {
		ret = seterr(err, errlen, -ENOMEM, "out of memory");
		goto out;
	}
	k->pkey = PEM_read_bio_PrivateKey(mem, NULL, NULL, NULL);
	if (!k->pkey || !EVP_PKEY_is_a(k->pkey, "RSA") || pkcs1_der(k->pkey, &der, &derlen)) {
		ret = seterr(err, errlen, -EINVAL, "failed to load the signing key %s", path);
		goto out;
	}
	hr_key_fingerprint(der, derlen, k->fingerprint);
	if (strcmp(k->fingerprint, fp)) {
		ret = seterr(err, errlen, -EINVAL,
			     "the signing key %s does not match its "
			     "fingerprint",
			     path);
		goto out;
	}
	*out = k;
	k = NULL;
out:
	if (pem) {
		OPENSSL_cleanse(pem, len);
		free(pem);
	}
	BIO_free(mem);
	OPENSSL_free(der);
	hr_signkey_free(k);
	free(path);
	return ret;
}

const char *hr_signkey_fingerprint(const struct hr_signkey *k)
{
	return k->fingerprint;
}

int hr_signkey_sign(const struct hr_signkey *k, const void *msg, size_t len, char **sig_hex)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	unsigned char *sig = NULL;
	size_t siglen = 0;
	int ret = -EIO;

	*sig_hex = NULL;
	if (!ctx)
		return -ENOMEM;
	if (EVP_DigestSignInit(ctx, &pctx, EVP_sha256(), NULL, k->pkey) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1 ||
	    EVP_DigestSign(ctx, NULL, &siglen, msg, len) != 1)
		goto out;
	sig = malloc(siglen);
	*sig_hex = malloc(2 * siglen + 1);
	if (!sig || !*sig_hex) {
		ret = -ENOMEM;
		goto out;
	}
	if (EVP_DigestSign(ctx, sig, &siglen, msg, len) != 1)
		goto out;
	hr_hex(sig, siglen, *sig_hex);
	ret = 0;
out:
	if (ret) {
		free(*sig_hex);
		*sig_hex = NULL;
	}
	free(sig);
	EVP_MD_CTX_free(ctx);
	return ret;
}

void hr_signkey_free(struct hr_signkey *k)
{
	if (!k)
		return;
	EVP_PKEY_free(k->pkey);
	free(k);
}

int hr_pubkey_verify(struct hr_pubkey *k, const void *msg, size_t len, const char *sig_hex,
		     size_t sig_hex_len)
{
	EVP_MD_CTX *ctx = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	unsigned char *sig = NULL;
	size_t siglen;
	int ret;

	if (!k->pkey && !k->undecodable) {
		unsigned char *der = NULL;
		size_t n;

		if (hr_b64_decode(k->value, strlen(k->value), &der, &n) == 0)
			k->pkey = decode_der(der, n);
		free(der);
		k->undecodable = !k->pkey;
	}
	if (!k->pkey)
		return -EINVAL;
	sig = malloc(sig_hex_len / 2 + 1);
	if (!sig)
		return -ENOMEM;
	if (hr_unhex(sig_hex, sig_hex_len, sig, &siglen)) {
		ret = -EINVAL;
		goto out;
	}
	ctx = EVP_MD_CTX_new();
	if (!ctx) {
		ret = -ENOMEM;
		goto out;
	}
	if (EVP_DigestVerifyInit(ctx, &pctx, EVP_sha256(), NULL, k->pkey) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1) {
		ret = -EINVAL;
		goto out;
	}
	ret = EVP_DigestVerify(ctx, sig, siglen, msg, len) == 1 ? 0 : -EBADMSG;
out:
	EVP_MD_CTX_free(ctx);
	free(sig);
	return ret;
}

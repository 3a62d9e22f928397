"""Issue 3: signed digest chains, public keys and `hostrail validate-logs`.

One real agent run produces a bucket; each tampering test works on its own copy
of it (and of the state directory) and checks that `hostrail validate-logs`
exits 1 naming the object and the reason. aws-cli's own validator (2.9.19,
driven offline by awscli_validate.py) must find the untouched output valid, and
on the same bucket hostrail must print what aws-cli prints.
"""
import calendar
import gzip
import json
import os
import pathlib
import shutil
import subprocess
import time

import pytest

from conftest import HOSTRAIL, log_files, read_records, start_agent

ACCOUNT = "123456789012"
REGION = "testhost"
TRAIL = "hostrail"
ARN = f"arn:hostrail:cloudtrail:{REGION}:{ACCOUNT}:trail/{TRAIL}"
PY = "/usr/bin/python3"
AWSCLI = str(pathlib.Path(__file__).with_name("awscli_validate.py"))
FAST = ["--batch-seconds", "2", "--digest-seconds", "2"]
START = "2020-01-01T00:00:00Z"


# ---- helpers ----

def digests(bucket):
    """Digest keys, oldest first (the key's time sorts them)."""
    root = pathlib.Path(bucket)
    out = [str(p.relative_to(root)) for p in root.glob(
        f"AWSLogs/{ACCOUNT}/CloudTrail-Digest/{REGION}/*/*/*/*.json.gz")]
    return sorted(out, key=lambda k: k[-24:-8])


def read_gz_json(path):
    with open(path, "rb") as f:
        return json.loads(gzip.decompress(f.read()))


def write_gz(path, data):
    with open(path, "wb") as f:
        f.write(gzip.compress(data))


def rel(bucket, path):
    return str(pathlib.Path(path).relative_to(bucket))


def hostrail(*args, check_rc=None):
    r = subprocess.run([HOSTRAIL, *args], capture_output=True, text=True, timeout=120)
    if check_rc is not None:
        assert r.returncode == check_rc, (r.returncode, r.stdout, r.stderr)
    return r


def validate(bucket, state=None, keys=None, end=None, verbose=True, extra=()):
    args = ["validate-logs", "--bucket-dir", str(bucket), "--start-time", START]
    args += ["--state-dir", str(state)] if state else ["--public-keys", str(keys)]
    if end:
        args += ["--end-time", end]
    if verbose:
        args.append("--verbose")
    return hostrail(*args, *extra)


def awscli(bucket, state=None, keys=None, end=None, verbose=True):
    args = [PY, AWSCLI, "--bucket-dir", str(bucket), "--trail-arn", ARN, "--start-time",
            START]
    args += ["--state-dir", str(state)] if state else ["--public-keys", str(keys)]
    if end:
        args += ["--end-time", end]
    if verbose:
        args.append("--verbose")
    return subprocess.run(args, capture_output=True, text=True, timeout=300)


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def parse_iso(s):
    return calendar.timegm(time.strptime(s, "%Y-%m-%dT%H:%M:%SZ"))


def now_iso(offset=0):
    return iso(time.time() + offset)


def digest_key(t):
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(t))
    return (f"AWSLogs/{ACCOUNT}/CloudTrail-Digest/{REGION}/{stamp[:4]}/{stamp[4:6]}/"
            f"{stamp[6:8]}/{ACCOUNT}_CloudTrail-Digest_{REGION}_{TRAIL}_{REGION}_{stamp}.json.gz")


def invalid(result, kind, bucket_key, reason):
    """The INVALID line hostrail printed for s3://bucket/<key>, naming the reason."""
    want = f"{kind} file\ts3://bucket/{bucket_key}\tINVALID: {reason}"
    return any(line.startswith(want) for line in result.stderr.splitlines())


def make_calls(n):
    """n recorded system calls, each from its own child: setuid(0) as root."""
    pids = []
    for _ in range(n):
        pid = os.fork()
        if pid == 0:
            os.setuid(0)
            os._exit(0)
        os.waitpid(pid, 0)
        pids.append(pid)
    return pids


def private_keys(state):
    from cryptography.hazmat.primitives import serialization
    out = {}
    for p in (pathlib.Path(state) / "keys").glob("*.pem"):
        out[p.stem] = serialization.load_pem_private_key(p.read_bytes(), None)
    return out


def sign_digest(bucket, key, doc, private_key):
    """Write doc as the digest at key, signed (SHA256withRSA) with private_key
    over CloudTrail's string to sign; returns the new signature."""
    import hashlib
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
    raw = json.dumps(doc, separators=(",", ":")).encode()
    write_gz(os.path.join(bucket, key), raw)
    prev = doc["previousDigestSignature"] or "null"
    sts = "%s\n%s/%s\n%s\n%s" % (doc["digestEndTime"], doc["digestS3Bucket"],
                                  doc["digestS3Object"], hashlib.sha256(raw).hexdigest(), prev)
    sig = private_key.sign(sts.encode(), PKCS1v15(), hashes.SHA256()).hex()
    with open(os.path.join(bucket, key + ".meta.json"), "w") as f:
        json.dump({"signature": sig, "signature-algorithm": "SHA256withRSA"}, f)
    return sig


# ---- one real run, shared by the tampering tests ----

@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    base = tmp_path_factory.mktemp("run")
    agent = start_agent(base, extra_args=FAST)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        make_calls(5)
        time.sleep(0.5)
        if len(digests(agent.bucket)) >= 4 and len(log_files(agent.bucket)) >= 3:
            break
    agent.stop()
    keys = base / "keys.json"
    keys.write_text(hostrail("list-public-keys", "--state-dir", str(agent.state),
                             "--start-time", START, check_rc=0).stdout)
    return agent.bucket, agent.state, keys


@pytest.fixture
def copy(pristine, tmp_path):
    """A private copy of the bucket and state: (bucket, state, keys file)."""
    bucket, state, keys = pristine
    b, s = tmp_path / "bucket", tmp_path / "state"
    shutil.copytree(bucket, b, symlinks=True)
    shutil.copytree(state, s, symlinks=True)
    return b, s, keys


def middle_digest_with_logs(bucket):
    ds = digests(bucket)
    for k in ds[1:-1]:
        if read_gz_json(os.path.join(bucket, k))["logFiles"]:
            return k
    pytest.fail("no middle digest lists a log file: %s" % ds)


def a_listed_log(bucket):
    doc = read_gz_json(os.path.join(bucket, middle_digest_with_logs(bucket)))
    return doc["logFiles"][0]["s3Object"]


# ---- the untouched output ----

def test_digest_files_have_cloudtrail_fields_in_order(pristine):
    bucket, state, _ = pristine
    order = ["awsAccountId", "digestStartTime", "digestEndTime", "digestS3Bucket",
             "digestS3Object", "digestPublicKeyFingerprint", "digestSignatureAlgorithm",
             "newestEventTime", "oldestEventTime", "previousDigestS3Bucket",
             "previousDigestS3Object", "previousDigestHashValue",
             "previousDigestHashAlgorithm", "previousDigestSignature", "logFiles"]
    ds = digests(bucket)
    prev = None
    for k in ds:
        doc = read_gz_json(os.path.join(bucket, k))
        assert list(doc) == order, k
        assert doc["digestS3Object"] == k and doc["digestS3Bucket"] == "bucket"
        assert k.endswith("_CloudTrail-Digest_%s_%s_%s_%s.json.gz" % (
            REGION, TRAIL, REGION, doc["digestEndTime"].replace("-", "").replace(":", "")))
        meta = json.loads(pathlib.Path(bucket, k + ".meta.json").read_text())
        assert meta["signature-algorithm"] == "SHA256withRSA"
        assert len(meta["signature"]) == 512
        if prev is None:
            # the first digest of the chain: all five present and null
            for f in order[9:14]:
                assert f in doc and doc[f] is None
        else:
            import hashlib
            raw = gzip.decompress(pathlib.Path(bucket, prev[0]).read_bytes())
            assert doc["previousDigestS3Object"] == prev[0]
            assert doc["previousDigestHashValue"] == hashlib.sha256(raw).hexdigest()
            assert doc["previousDigestSignature"] == prev[1]
            assert doc["digestStartTime"] == prev[2]
        if not doc["logFiles"]:
            assert doc["newestEventTime"] is None and doc["oldestEventTime"] is None
        for lf in doc["logFiles"]:
            assert list(lf) == ["s3Bucket", "s3Object", "hashValue", "hashAlgorithm",
                                "newestEventTime", "oldestEventTime"]
        prev = (k, meta["signature"], doc["digestEndTime"])
    # the final digest lists the file holding StopLogging
    last = read_gz_json(os.path.join(bucket, ds[-1]))
    names = []
    for lf in last["logFiles"]:
        names += [r["eventName"] for r in read_gz_json(os.path.join(bucket, lf["s3Object"]))
                  ["Records"]]
    assert "StopLogging" in names


def test_every_log_file_is_listed_once(pristine):
    bucket, _, _ = pristine
    listed = []
    for k in digests(bucket):
        listed += [lf["s3Object"] for lf in read_gz_json(os.path.join(bucket, k))["logFiles"]]
    assert sorted(listed) == sorted(rel(bucket, p) for p in log_files(bucket))


def test_awscli_finds_everything_valid(pristine):
    bucket, state, keys = pristine
    r = awscli(bucket, keys=keys)
    assert r.returncode == 0, r.stdout + r.stderr
    n_d, n_l = len(digests(bucket)), len(log_files(bucket))
    assert f"{n_d}/{n_d} digest files valid" in r.stdout, r.stdout
    assert f"{n_l}/{n_l} log files valid" in r.stdout, r.stdout
    assert "INVALID" not in r.stdout + r.stderr


@pytest.mark.parametrize("how", ["state", "keys"])
def test_hostrail_prints_what_awscli_prints(pristine, how):
    bucket, state, keys = pristine
    kw = {"state": state} if how == "state" else {"keys": keys}
    end = now_iso(5)
    h = validate(bucket, end=end, **kw)
    a = awscli(bucket, end=end, **kw)
    assert h.returncode == a.returncode == 0, h.stdout + h.stderr
    assert h.stdout == a.stdout
    assert h.stderr == a.stderr == ""


def test_private_key_stays_private(pristine):
    bucket, state, keys = pristine
    kdir = pathlib.Path(state) / "keys"
    assert (kdir.stat().st_mode & 0o777) == 0o700
    pems = list(kdir.glob("*.pem"))
    assert pems
    for p in pems:
        assert (p.stat().st_mode & 0o777) == 0o600
        secret = "".join(p.read_text().splitlines()[1:-1])[:40]
        outputs = [keys.read_text(), validate(bucket, state=state).stdout,
                   hostrail("list-public-keys", "--state-dir", str(state)).stdout]
        outputs += [f.read_text(errors="replace") for f in pathlib.Path(bucket).rglob("*.json")]
        outputs += [f.read_text(errors="replace")
                    for f in pathlib.Path(state).parent.glob("hostraild-*.log")]
        for out in outputs:
            assert "PRIVATE KEY" not in out and secret not in out


def test_fingerprint_is_md5_of_pkcs1_der(pristine):
    import base64
    import hashlib
    _, state, keys = pristine
    for k in json.loads(keys.read_text())["PublicKeyList"]:
        der = base64.b64decode(k["Value"])
        assert der[:2] == b"\x30\x82" and k["Value"].startswith("MIIBCgKCAQEA")  # PKCS#1
        assert hashlib.md5(der).hexdigest() == k["Fingerprint"]
        assert k["ValidityEndTime"] is None
        # the same key as the private one on disk
        pem = private_keys(state)[k["Fingerprint"]]
        from cryptography.hazmat.primitives import serialization
        assert pem.public_key().public_bytes(serialization.Encoding.DER,
                                             serialization.PublicFormat.PKCS1) == der


# ---- tampering: every case exits 1 naming the object and the reason ----

def check_caught(copy_, kind, key, reason, end=None, state=True):
    bucket, st, keys = copy_
    r = validate(bucket, state=st if state else None, keys=None if state else keys, end=end)
    assert r.returncode == 1, r.stdout + r.stderr
    assert invalid(r, kind, key, reason), r.stderr
    return r


def test_edited_log_file(copy):
    bucket = copy[0]
    key = a_listed_log(bucket)
    path = os.path.join(bucket, key)
    raw = gzip.decompress(pathlib.Path(path).read_bytes())
    write_gz(path, raw.replace(b'"Setuid"', b'"Setgid"', 1) if b'"Setuid"' in raw
             else raw.replace(b'"eventVersion"', b'"eventVersioN"', 1))
    check_caught(copy, "Log", key, "hash value doesn't match")
    # on what aws-cli catches, hostrail prints what aws-cli prints
    end = now_iso(5)
    a, h = awscli(bucket, state=copy[1], end=end), validate(bucket, state=copy[1], end=end)
    assert a.returncode == h.returncode == 1
    assert h.stdout == a.stdout and h.stderr == a.stderr


def test_deleted_log_file(copy):
    bucket = copy[0]
    key = a_listed_log(bucket)
    os.unlink(os.path.join(bucket, key))
    check_caught(copy, "Log", key, "not found")
    end = now_iso(5)
    a, h = awscli(bucket, state=copy[1], end=end), validate(bucket, state=copy[1], end=end)
    assert a.returncode == h.returncode == 1
    assert h.stdout == a.stdout and h.stderr == a.stderr


def test_deleted_middle_digest(copy):
    bucket = copy[0]
    key = middle_digest_with_logs(bucket)
    listed = [lf["s3Object"] for lf in read_gz_json(os.path.join(bucket, key))["logFiles"]]
    os.unlink(os.path.join(bucket, key))
    os.unlink(os.path.join(bucket, key + ".meta.json"))
    r = check_caught(copy, "Digest", key, "not found")
    # what it listed is no longer covered by any digest: named too
    for lk in listed:
        assert invalid(r, "Log", lk, "not listed in any digest"), r.stderr


def test_deleted_newest_digest(copy):
    bucket, state, keys = copy
    ds = digests(bucket)
    os.unlink(os.path.join(bucket, ds[-1]))
    os.unlink(os.path.join(bucket, ds[-1] + ".meta.json"))
    # aws-cli does not notice (a shorter range, rc 0)
    assert awscli(bucket, keys=keys).returncode == 0
    # with the agent's state: its newest digest is gone
    check_caught(copy, "Digest", ds[-1], "not found")
    # from the public keys alone: the chain stops without StopLogging, more
    # than a digest period before the end of the range
    # (the range must end more than a period + slack (2 + 6 s) after it)
    end = parse_iso(read_gz_json(os.path.join(bucket, ds[-2]))["digestEndTime"])
    while time.time() < end + 12:
        time.sleep(0.5)
    check_caught(copy, "Digest", ds[-2], "no digest follows this one", end=now_iso(),
                 state=False)


def test_edited_digest(copy):
    bucket = copy[0]
    key = middle_digest_with_logs(bucket)
    doc = read_gz_json(os.path.join(bucket, key))
    doc["logFiles"][0]["hashValue"] = "0" * 64
    write_gz(os.path.join(bucket, key), json.dumps(doc, separators=(",", ":")).encode())
    check_caught(copy, "Digest", key, "signature verification failed")


def test_missing_signature_sidecar(copy):
    bucket = copy[0]
    key = middle_digest_with_logs(bucket)
    os.unlink(os.path.join(bucket, key + ".meta.json"))
    check_caught(copy, "Digest", key, "signature verification failed")


def test_edited_signature_sidecar(copy):
    bucket = copy[0]
    key = middle_digest_with_logs(bucket)
    side = pathlib.Path(bucket, key + ".meta.json")
    meta = json.loads(side.read_text())
    meta["signature"] = ("1" if meta["signature"][0] != "1" else "2") + meta["signature"][1:]
    side.write_text(json.dumps(meta))
    check_caught(copy, "Digest", key, "signature verification failed")
    meta["signature"] = "not hex"
    side.write_text(json.dumps(meta))
    check_caught(copy, "Digest", key, "Unable to load PKCS #1 key")


def test_unexpected_signature_algorithm(copy):
    bucket, state, keys = copy
    key = middle_digest_with_logs(bucket)
    side = pathlib.Path(bucket, key + ".meta.json")
    meta = json.loads(side.read_text())
    meta["signature-algorithm"] = "SHA1withRSA"
    side.write_text(json.dumps(meta))
    assert awscli(bucket, keys=keys).returncode == 0     # aws-cli does not look
    check_caught(copy, "Digest", key, 'unexpected algorithm "SHA1withRSA"')


def test_digest_moved_to_another_key(copy):
    bucket = copy[0]
    key = middle_digest_with_logs(bucket)
    t = parse_iso(read_gz_json(os.path.join(bucket, key))["digestEndTime"]) - 1
    moved = digest_key(t)
    assert not os.path.exists(os.path.join(bucket, moved))
    os.makedirs(os.path.dirname(os.path.join(bucket, moved)), exist_ok=True)
    os.rename(os.path.join(bucket, key), os.path.join(bucket, moved))
    os.rename(os.path.join(bucket, key + ".meta.json"), os.path.join(bucket, moved + ".meta.json"))
    r = check_caught(copy, "Digest", key, "not found")
    assert invalid(r, "Digest", moved, "has been moved from its original location"), r.stderr


def test_added_log_file(copy):
    bucket = copy[0]
    key = a_listed_log(bucket)
    added = key[:-24] + "AAAAAAAAAAAAAAAA.json.gz"
    shutil.copy(os.path.join(bucket, key), os.path.join(bucket, added))
    assert awscli(copy[0], keys=copy[2]).returncode == 0     # aws-cli does not look
    check_caught(copy, "Log", added, "not listed in any digest")


def test_digest_resigned_with_another_key(copy):
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives import serialization
    import hashlib
    bucket = copy[0]
    key = middle_digest_with_logs(bucket)
    doc = read_gz_json(os.path.join(bucket, key))
    doc["logFiles"] = doc["logFiles"][1:]        # hide a log file
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    der = other.public_key().public_bytes(serialization.Encoding.DER,
                                          serialization.PublicFormat.PKCS1)
    doc["digestPublicKeyFingerprint"] = hashlib.md5(der).hexdigest()
    sign_digest(bucket, key, doc, other)
    check_caught(copy, "Digest", key, "public key not found in region %s for fingerprint %s"
                 % (REGION, doc["digestPublicKeyFingerprint"]))


# ---- what aws-cli misses even with a valid signature (the key was used) ----

def test_wrong_previous_digest_hash(copy):
    bucket, state, keys = copy
    ds = digests(bucket)
    doc = read_gz_json(os.path.join(bucket, ds[-1]))
    doc["previousDigestHashValue"] = "0" * 64
    sign_digest(bucket, ds[-1], doc, private_keys(state)[doc["digestPublicKeyFingerprint"]])
    assert awscli(bucket, keys=keys).returncode == 0     # aws-cli never compares it
    check_caught(copy, "Digest", ds[-1], "previousDigestHashValue doesn't match the hash of "
                 "s3://bucket/" + ds[-2])


def test_event_times_outside_listed_times(copy):
    bucket, state, keys = copy
    ds = digests(bucket)
    doc = read_gz_json(os.path.join(bucket, ds[-1]))      # the final digest lists logs
    assert doc["logFiles"]
    lf = doc["logFiles"][0]
    lf["oldestEventTime"] = lf["newestEventTime"] = "2021-01-01T00:00:00Z"
    doc["oldestEventTime"] = min(x["oldestEventTime"] for x in doc["logFiles"])
    doc["newestEventTime"] = max(x["newestEventTime"] for x in doc["logFiles"])
    sign_digest(bucket, ds[-1], doc, private_keys(state)[doc["digestPublicKeyFingerprint"]])
    assert awscli(bucket, keys=keys).returncode == 0     # aws-cli never reads records
    check_caught(copy, "Log", lf["s3Object"], "record eventTime")


# ---- bad input: a clear error, never a crash ----

def test_bad_arguments(pristine):
    bucket, state, _ = pristine
    base = ["validate-logs", "--bucket-dir", str(bucket), "--state-dir", str(state)]
    for args, words in [
        (base + ["--start-time", "yesterday"], "unable to parse the start time"),
        (base + ["--start-time", "2026-11-21T10:00:00Z", "--end-time", "2026-11-20"],
         "start time must not be after"),
        (["validate-logs", "--bucket-dir", "/nonexistent/bucket", "--state-dir", str(state),
          "--start-time", "2026-11-21"], "cannot open the bucket directory"),
        (["validate-logs", "--start-time", "2026-11-21"], "required"),
        (["validate-logs", "--bucket-dir", str(bucket), "--public-keys", "/etc/hostname",
          "--start-time", "2026-11-21"], "not a ListPublicKeys document"),
    ]:
        r = hostrail(*args)
        assert r.returncode == 2 and words in r.stderr, (args, r.stderr)
    for t in ["2026-11-21T10:00:00Z", "2026-11-21T10:00:00", "2026-11-21", "1795255200"]:
        r = hostrail(*base, "--start-time", t, "--end-time", "2030-01-01")
        assert r.returncode in (0, 1), (t, r.stderr)
        assert "Results requested for" in r.stdout


def test_garbage_in_the_bucket(copy):
    bucket = copy[0]
    ds = digests(bucket)
    folder = pathlib.Path(bucket, a_listed_log(bucket)).parent
    # a truncated digest, a digest of garbage JSON
    d1 = pathlib.Path(bucket, ds[1])
    d1.write_bytes(d1.read_bytes()[:30])
    write_gz(os.path.join(bucket, ds[2]), b"{not json")
    # hostile names in the trail's log folder: newline, tab, invalid UTF-8, a FIFO,
    # a symlink out of the bucket, a directory named like a log file
    (folder / "evil\nname.json.gz").write_bytes(b"x")
    (folder / "evil\tname.json.gz").write_bytes(b"x")
    os.mkfifo(os.path.join(bytes(folder), b"evil\xff.json.gz"))
    os.symlink("/etc/shadow", folder / f"{ACCOUNT}_CloudTrail_{REGION}_20261121T1000Z_"
                                        "BBBBBBBBBBBBBBBB.json.gz")
    (folder / "dir.json.gz").mkdir()
    r = validate(bucket, state=copy[1])
    assert r.returncode == 1, r.stderr
    assert invalid(r, "Digest", ds[1], "invalid format")
    assert invalid(r, "Digest", ds[2], "invalid format")
    assert "evil\\x0aname" in r.stderr and "evil\\x09name" in r.stderr
    assert "evil\\xff" in r.stderr
    assert "not a regular file" in r.stderr
    # aws-cli survives the same bucket too
    assert awscli(bucket, keys=copy[2]).returncode == 1


# ---- continuity across stops, crashes and key rotation ----

def test_crash_mid_batch_leaves_no_hole(tmp_path):
    # a long batch: the killed run's records are certainly in an open batch.
    # Batches end on wall-clock multiples of their length: keep clear of one.
    args = ["--batch-seconds", "30", "--digest-seconds", "2"]
    agent = start_agent(tmp_path, extra_args=args)
    time.sleep(3)
    while not 2 <= time.time() % 30 < 20:
        time.sleep(0.2)
    pids = make_calls(40)
    time.sleep(1.5)          # taken from the ring buffer into the spool
    before = digests(agent.bucket)
    assert before, "no digest before the crash"
    agent.kill()
    assert not any(r for r in read_records(agent.bucket)
                   if r.get("eventName") == "Setuid" and
                   r["additionalEventData"]["process"]["pid"] in pids), \
        "the batch was delivered before the kill: not mid-batch"

    agent2 = start_agent(tmp_path, bucket=agent.bucket, state=agent.state, extra_args=args)
    time.sleep(3)
    agent2.stop()

    after = digests(agent.bucket)
    first_new = read_gz_json(os.path.join(agent.bucket, after[len(before)]))
    assert first_new["previousDigestS3Object"] == before[-1], "the chain was not continued"
    assert first_new["digestStartTime"] == read_gz_json(
        os.path.join(agent.bucket, before[-1]))["digestEndTime"]
    seen = {r["additionalEventData"]["process"]["pid"] for r in read_records(agent.bucket)
            if r.get("eventName") == "Setuid"}
    assert set(pids) <= seen, "records of the killed run are missing"

    r = validate(agent.bucket, state=agent.state, end=now_iso(2))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "No log files were delivered" not in r.stderr   # one unbroken chain
    assert r.stderr == ""
    a = awscli(agent.bucket, state=agent.state, end=now_iso(2))
    assert a.returncode == 0, a.stdout + a.stderr


def test_clean_stop_starts_a_new_chain(tmp_path):
    agent = start_agent(tmp_path, extra_args=FAST)
    time.sleep(3)
    agent.stop()
    n = len(digests(agent.bucket))
    time.sleep(1)
    agent2 = start_agent(tmp_path, bucket=agent.bucket, state=agent.state, extra_args=FAST)
    time.sleep(3)
    agent2.stop()
    ds = digests(agent.bucket)
    first = read_gz_json(os.path.join(agent.bucket, ds[n]))
    assert first["previousDigestS3Object"] is None and first["previousDigestSignature"] is None
    end = now_iso(2)
    h, a = validate(agent.bucket, state=agent.state, end=end), \
        awscli(agent.bucket, state=agent.state, end=end)
    assert h.returncode == a.returncode == 0, h.stderr
    assert "No log files were delivered by CloudTrail between" in h.stderr
    assert h.stdout == a.stdout and h.stderr == a.stderr


def test_rotate_key_while_running(tmp_path):
    agent = start_agent(tmp_path, extra_args=FAST)
    time.sleep(3)
    old = json.loads(hostrail("list-public-keys", "--state-dir", str(agent.state),
                              check_rc=0).stdout)["PublicKeyList"]
    r = hostrail("rotate-key", "--state-dir", str(agent.state), check_rc=0)
    assert "PRIVATE" not in r.stdout + r.stderr
    time.sleep(4)
    agent.stop()
    keys = json.loads(hostrail("list-public-keys", "--state-dir", str(agent.state),
                               "--start-time", START, check_rc=0).stdout)["PublicKeyList"]
    assert len(old) == 1 and len(keys) == 2
    assert keys[0]["Fingerprint"] == old[0]["Fingerprint"]
    assert keys[0]["ValidityEndTime"] == keys[1]["ValidityStartTime"]
    assert keys[1]["ValidityEndTime"] is None
    used = [read_gz_json(os.path.join(agent.bucket, k))["digestPublicKeyFingerprint"]
            for k in digests(agent.bucket)]
    assert used[0] == keys[0]["Fingerprint"] and used[-1] == keys[1]["Fingerprint"]
    assert used == sorted(used, key=lambda f: f != keys[0]["Fingerprint"])  # old, then new
    # only the current key for "now"
    now = json.loads(hostrail("list-public-keys", "--state-dir", str(agent.state),
                              check_rc=0).stdout)["PublicKeyList"]
    assert [k["Fingerprint"] for k in now] == [keys[1]["Fingerprint"]]
    end = now_iso(2)
    h, a = validate(agent.bucket, state=agent.state, end=end), \
        awscli(agent.bucket, state=agent.state, end=end)
    assert h.returncode == a.returncode == 0, h.stdout + h.stderr
    assert h.stdout == a.stdout

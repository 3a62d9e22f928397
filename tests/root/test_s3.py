"""Issue 15: S3 delivery to a real store, every request checked by botocore.

s3rver 3.7.1 (npm, installed by packaging/install-deps into build/npm) keeps
the objects; tests/s3_verifier.py stands in front of it and recomputes every
request's SigV4 signature with botocore, answering 403 SignatureDoesNotMatch
on any difference, and refuses PUTs without the ACL and SSE headers.
"""
import gzip
import http.server
import threading
import json
import os
import pathlib
import socket
import subprocess
import time
import urllib.parse
import urllib.request
import base64
import xml.etree.ElementTree as ET

import pytest

from conftest import HOSTRAIL, ROOT, BUILD, log_files, read_records, require, start_agent

ACCOUNT = "123456789012"
REGION = "testhost"
BUCKET = "hostrail-logs"
PREFIX = "fleet"
ACCESS_KEY = "S3RVER"  # the one access key s3rver 3.7.1 knows
SECRET = "Zq8-hostrail-test-SECRET-4711/+x"
S3RVER = BUILD / "npm" / "node_modules" / ".bin" / "s3rver"
PY = "/usr/bin/python3"  # Debian's, with python3-botocore


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_for(cond, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def listening(port):
    s = socket.socket()
    try:
        s.connect(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


class Store:
    """s3rver behind the verifier; s3rver can be stopped and started again."""

    def __init__(self, tmp, tls_cert=None):
        self.tmp = tmp
        self.tls = tls_cert is not None
        self.data = tmp / "s3data"
        self.data.mkdir()
        self.port = free_port()
        self.front = free_port()
        self.log = tmp / "verifier.jsonl"
        self.s3rver = None
        self.start()
        self.verifier = subprocess.Popen(
            [PY, str(ROOT / "tests" / "s3_verifier.py"), "--listen", str(self.front),
             "--upstream", str(self.port), "--key", f"{ACCESS_KEY}:{SECRET}",
             "--log", str(self.log)] + (["--tls-cert", str(tls_cert)] if tls_cert else []),
            stdout=subprocess.DEVNULL, stderr=open(tmp / "verifier.err", "wb"))
        wait_for(lambda: listening(self.front), 20, "the verifier")

    @property
    def url(self):
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.front}"

    def start(self):
        self.s3rver = subprocess.Popen(
            [str(S3RVER), "-d", str(self.data), "-a", "127.0.0.1", "-p", str(self.port),
             "--configure-bucket", BUCKET, "--service-endpoint", "localhost", "-s"],
            stdout=subprocess.DEVNULL, stderr=open(self.tmp / "s3rver.err", "ab"))
        wait_for(lambda: listening(self.port), 30, "s3rver")

    def stop(self):
        if self.s3rver and self.s3rver.poll() is None:
            self.s3rver.terminate()
            self.s3rver.wait(timeout=20)

    def close(self):
        self.stop()
        self.verifier.terminate()
        self.verifier.wait(timeout=20)

    def get(self, key):
        """An object straight from s3rver (it answers anonymous reads)."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/{BUCKET}/{key}") as r:
            return r.read(), dict(r.headers)

    def keys(self, prefix=""):
        keys, token = [], None
        while True:
            q = f"list-type=2&prefix={urllib.parse.quote(prefix, safe='')}"
            if token:
                q += "&continuation-token=" + urllib.parse.quote(token, safe="")
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/{BUCKET}?{q}") as r:
                root = ET.fromstring(r.read())
            ns = {"s": root.tag.split("}")[0].strip("{")} if "}" in root.tag else {}
            p = "s:" if ns else ""
            keys += [c.find(f"{p}Key", ns).text for c in root.findall(f"{p}Contents", ns)]
            t = root.find(f"{p}NextContinuationToken", ns)
            if t is None or not t.text:
                return keys
            token = t.text

    def requests(self):
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines() if line]


@pytest.fixture
def store(tmp_path):
    require(os.access(S3RVER, os.X_OK), f"s3rver at {S3RVER} (packaging/install-deps)")
    require(subprocess.run([PY, "-c", "import botocore"]).returncode == 0,
            "python3-botocore for /usr/bin/python3")
    s = Store(tmp_path)
    try:
        yield s
    finally:
        s.close()


def start(tmp_path, store, monkeypatch, secret=SECRET, creds_file=None, kms=None, imds=None,
          ca_bundle=None, virtual=False):
    if imds:
        monkeypatch.delenv("AWS_EC2_METADATA_DISABLED", raising=False)
        monkeypatch.setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds)
    else:
        monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.aws of the machine
    trail = {"name": "main", "bucketDir": str(tmp_path / BUCKET), "batchSeconds": 1,
             "digestSeconds": 2, "s3BucketName": BUCKET, "s3EndpointUrl": store.url,
             "s3KeyPrefix": PREFIX, "s3RetryMaxSeconds": 2, "outputs": ["history"]}
    if kms:
        trail["kmsKeyId"] = kms
    if ca_bundle:
        trail["s3CaBundle"] = str(ca_bundle)
    if virtual:
        # curl takes every *.localhost for the loopback; s3rver finds the
        # bucket in <bucket>.s3.localhost
        trail["s3EndpointUrl"] = f"http://s3.localhost:{store.front}"
        trail["s3AddressingStyle"] = "virtual"
    if creds_file:
        trail["s3CredentialsFile"] = str(creds_file)
        monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
        monkeypatch.delenv("AWS_SECRET_ACCESS_KEY", raising=False)
    elif secret:
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    cfg = tmp_path / "hostrail.json"
    cfg.write_text(json.dumps({"accountId": ACCOUNT, "region": REGION,
                               "stateDir": str(tmp_path / "state"), "trails": [trail]}))
    return start_agent(tmp_path, bucket=tmp_path / BUCKET, state=tmp_path / "state",
                       extra_args=["--config", str(cfg), "--batch-seconds", "1"])


def status(agent):
    r = subprocess.run([HOSTRAIL, "get-trail-status", "--state-dir", str(agent.state),
                        "--name", "main"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout), r.stdout + r.stderr


def local_objects(bucket):
    """Every local log file and digest, by key."""
    out = {}
    for p in pathlib.Path(bucket).rglob("*.json.gz"):
        if not p.name.startswith("."):
            out[str(p.relative_to(bucket))] = p
    return out


def all_uploaded(agent, store):
    """Every local object is in the store and nothing is pending."""
    st, _ = status(agent)
    want = {f"{PREFIX}/{k}" for k in local_objects(agent.bucket)}
    have = set(store.keys(PREFIX + "/"))
    return st["HostrailCounters"]["s3Upload"]["pending"] == 0 and want <= have


def all_uploaded_files(agent, store):
    """After a stop: every local object is in the store."""
    want = {f"{PREFIX}/{k}" for k in local_objects(agent.bucket)}
    return want <= set(store.keys(PREFIX + "/"))


def marker_calls(uid, n=3):
    for _ in range(n):
        subprocess.run([PY, "-c", f"import os; os.setuid({uid})"], check=True)


def secret_nowhere(tmp_path, agent, store, secret):
    texts = [agent.log(), json.dumps(read_records(agent.bucket))]
    texts += [p.read_text(errors="replace") for p in (tmp_path / "state").rglob("*")
              if p.is_file() and p.suffix in (".json", ".log")]
    for t in texts:
        assert secret not in t
    for r in store.requests():
        assert secret not in json.dumps(r)


def test_logs_and_digests_arrive_signed_at_cloudtrail_keys(tmp_path, store, monkeypatch):
    agent = start(tmp_path, store, monkeypatch)
    marker_calls(4242)
    wait_for(lambda: any("CloudTrail-Digest" in k for k in local_objects(agent.bucket)), 30,
             "a digest")
    wait_for(lambda: log_files(agent.bucket), 30, "a log file")
    st, raw = status(agent)
    agent.stop()
    local = local_objects(agent.bucket)
    assert any("/CloudTrail/" in k for k in local) and any("CloudTrail-Digest" in k for k in local)

    # every request passed botocore's check; every object is at its key, byte for byte
    reqs = store.requests()
    assert reqs and all(r["verdict"] == "forwarded" and r["status"] == 200 for r in reqs), \
        [r for r in reqs if r["verdict"] != "forwarded"]
    stored = set(store.keys(PREFIX + "/"))
    for key, path in local.items():
        assert f"{PREFIX}/{key}" in stored, key
        body, headers = store.get(f"{PREFIX}/{key}")
        assert body == path.read_bytes(), key
    assert f"{PREFIX}/AWSLogs/{ACCOUNT}/CloudTrail/" in stored

    by_path = {}
    for r in reqs:
        by_path.setdefault(r["path"], r)
    for r in by_path.values():
        h = r["headers"]
        assert r["method"] == "PUT"
        assert h["x-amz-acl"] == "bucket-owner-full-control"
        assert h["x-amz-server-side-encryption"] == "AES256"
        assert h["content-type"] == "application/json"
        assert h["content-encoding"] == "gzip"
        assert "content-md5" in h and "x-amz-content-sha256" in h
        assert h["authorization"].startswith(f"AWS4-HMAC-SHA256 Credential={ACCESS_KEY}/")
    marker = by_path[f"/{BUCKET}/{PREFIX}/AWSLogs/{ACCOUNT}/CloudTrail/"]
    assert marker["len"] == 0
    for key in local:
        if "CloudTrail-Digest" not in key:
            continue
        sidecar = json.loads((agent.bucket / (key + ".meta.json")).read_text())
        h = by_path[f"/{BUCKET}/{PREFIX}/{key}"]["headers"]
        assert h["x-amz-meta-signature"] == sidecar["signature"]
        assert h["x-amz-meta-signature-algorithm"] == "SHA256withRSA"
        _, got = store.get(f"{PREFIX}/{key}")
        assert got.get("x-amz-meta-signature") == sidecar["signature"]
    # a digest is sent only after every log file it lists
    order = [r["path"] for r in reqs]
    for key in local:
        if "CloudTrail-Digest" not in key:
            continue
        doc = json.loads(gzip.decompress(local[key].read_bytes()))
        for lf in doc["logFiles"]:
            assert order.index(f"/{BUCKET}/{PREFIX}/{lf['s3Object']}") < \
                order.index(f"/{BUCKET}/{PREFIX}/{key}")
    assert "LatestDeliveryTime" in st and "LatestDeliveryError" not in st, raw
    secret_nowhere(tmp_path, agent, store, SECRET)


def test_store_down_then_back_every_record_once(tmp_path, store, monkeypatch):
    agent = start(tmp_path, store, monkeypatch)
    marker_calls(4243)
    wait_for(lambda: all_uploaded(agent, store) and log_files(agent.bucket), 30,
             "the first uploads")
    store.stop()
    marker_calls(4244)
    wait_for(lambda: status(agent)[0].get("LatestDeliveryError") == "SlowDown", 30,
             "SlowDown in get-trail-status")
    st, _ = status(agent)
    assert st["HostrailCounters"]["s3Upload"]["pending"] > 0
    # a crash while the store is down: the queue is on disk
    agent.kill()
    agent = start(tmp_path, store, monkeypatch)
    marker_calls(4245)
    store.start()
    wait_for(lambda: all_uploaded(agent, store), 60, "the queue to drain")
    st, raw = status(agent)
    assert "LatestDeliveryError" not in st, raw
    agent.stop()
    wait_for(lambda: all_uploaded_files(agent, store), 30, "the final files")

    local = read_records(agent.bucket)
    remote = []
    for key in store.keys(f"{PREFIX}/AWSLogs/{ACCOUNT}/CloudTrail/"):
        if key.endswith(".json.gz"):
            body, _ = store.get(key)
            remote += json.loads(gzip.decompress(body))["Records"]
    ids = [r["eventID"] for r in remote]
    assert len(ids) == len(set(ids)), "a record arrived twice"
    assert set(ids) == {r["eventID"] for r in local}
    for uid in (4243, 4244, 4245):
        assert any(r.get("eventName") == "Setuid" and
                   r.get("requestParameters", {}).get("uid") == uid for r in remote), uid


def test_wrong_secret_is_shown_then_recovers(tmp_path, store, monkeypatch):
    creds = tmp_path / "creds"
    creds.write_text(f"[default]\naws_access_key_id = {ACCESS_KEY}\n"
                     "aws_secret_access_key = not-the-secret-WRONG\n")
    os.chmod(creds, 0o600)
    agent = start(tmp_path, store, monkeypatch, creds_file=creds)
    marker_calls(4246)
    st = wait_for(lambda: (lambda s: s if s.get("LatestDeliveryError") else None)(
        status(agent)[0]), 30, "LatestDeliveryError")
    assert st["LatestDeliveryError"] == "SignatureDoesNotMatch"
    assert "SignatureDoesNotMatch" in st["HostrailCounters"]["s3Upload"]["lastError"]
    assert not store.keys(PREFIX + "/")
    creds.write_text(f"[default]\naws_access_key_id = {ACCESS_KEY}\n"
                     f"aws_secret_access_key = {SECRET}\n")
    wait_for(lambda: all_uploaded(agent, store) and log_files(agent.bucket), 60,
             "recovery after the fix")
    st, raw = status(agent)
    assert "LatestDeliveryError" not in st, raw
    assert "LatestDeliveryTime" in st
    assert "not-the-secret-WRONG" not in raw and SECRET not in raw
    agent.stop()
    secret_nowhere(tmp_path, agent, store, SECRET)
    secret_nowhere(tmp_path, agent, store, "not-the-secret-WRONG")


def test_trail_credentials_file_must_be_root_0600(tmp_path, store, monkeypatch):
    creds = tmp_path / "creds"
    creds.write_text(f"[default]\naws_access_key_id = {ACCESS_KEY}\n"
                     f"aws_secret_access_key = {SECRET}\n")
    os.chmod(creds, 0o644)
    agent = start(tmp_path, store, monkeypatch, creds_file=creds)
    st = wait_for(lambda: (lambda s: s if s.get("LatestDeliveryError") else None)(
        status(agent)[0]), 30, "LatestDeliveryError")
    assert st["LatestDeliveryError"] == "NoCredentials"
    assert "must be owned by root with mode 0600" in st["HostrailCounters"]["s3Upload"]["lastError"]
    agent.stop()
    assert not store.requests()
    secret_nowhere(tmp_path, agent, store, SECRET)


def test_kms_headers_carry_cloudtrail_context(tmp_path, store, monkeypatch):
    key_arn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    agent = start(tmp_path, store, monkeypatch, kms=key_arn)
    marker_calls(4247)
    wait_for(lambda: log_files(agent.bucket) and all_uploaded(agent, store), 30, "uploads")
    agent.stop()
    reqs = store.requests()
    assert reqs and all(r["verdict"] == "forwarded" for r in reqs)
    for r in reqs:
        h = r["headers"]
        assert h["x-amz-server-side-encryption"] == "aws:kms"
        assert h["x-amz-server-side-encryption-aws-kms-key-id"] == key_arn
        ctx = json.loads(base64.b64decode(h["x-amz-server-side-encryption-context"]))
        assert ctx == {"aws:cloudtrail:arn":
                       f"arn:hostrail:cloudtrail:{REGION}:{ACCOUNT}:trail/main"}


def validate_store(store, agent, start, **env):
    e = dict(os.environ, AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET,
             AWS_EC2_METADATA_DISABLED="true", HOME=str(agent.state), **env)
    return subprocess.run([HOSTRAIL, "validate-logs", "--endpoint-url", store.url,
                           "--s3-bucket", BUCKET, "--s3-prefix", PREFIX, "--start-time", start,
                           "--state-dir", str(agent.state), "--verbose"],
                          capture_output=True, text=True, timeout=120, env=e)


def test_validate_logs_reads_the_store(tmp_path, store, monkeypatch):
    start_t = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 5))
    agent = start(tmp_path, store, monkeypatch)
    marker_calls(4248)
    wait_for(lambda: log_files(agent.bucket) and any(
        "CloudTrail-Digest" in k for k in local_objects(agent.bucket)), 30, "a digest")
    agent.stop()
    wait_for(lambda: all_uploaded_files(agent, store), 30, "every upload")
    n_before = len(store.requests())

    r = validate_store(store, agent, start_t)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "INVALID" not in r.stdout + r.stderr
    n_logs = len(log_files(agent.bucket))
    assert f"{n_logs}/{n_logs} log files valid" in r.stdout, r.stdout
    # every read went through the verifier, signed and checked by botocore
    reads = store.requests()[n_before:]
    assert reads and all(q["verdict"] == "forwarded" and q["method"] == "GET" for q in reads)
    assert any("list-type=2" in q["path"] for q in reads)

    # a log file changed in the store is caught and named
    victim = sorted(k for k in local_objects(agent.bucket) if "/CloudTrail/" in k)[0]
    req = urllib.request.Request(f"http://127.0.0.1:{store.port}/{BUCKET}/{PREFIX}/{victim}",
                                 data=gzip.compress(b'{"Records":[]}'), method="PUT")
    urllib.request.urlopen(req).read()
    r = validate_store(store, agent, start_t)
    assert r.returncode == 1, r.stdout + r.stderr
    assert any(victim in line and "INVALID" in line for line in r.stderr.splitlines()), r.stderr


class FakeImds(http.server.BaseHTTPRequestHandler):
    """IMDSv2 as EC2 answers it: a token first, then the role and its keys."""
    TOKEN = "imds-v2-token-abc"
    SESSION = "imds-session-token/xyz+="
    seen = []

    def log_message(self, fmt, *args):
        pass

    def _send(self, status, body):
        body = body.encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_PUT(self):
        FakeImds.seen.append(("PUT", self.path))
        if self.path != "/latest/api/token" or \
                not self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
            return self._send(400, "")
        self._send(200, self.TOKEN)

    def do_GET(self):
        FakeImds.seen.append(("GET", self.path))
        if self.headers.get("X-aws-ec2-metadata-token") != self.TOKEN:
            return self._send(401, "")  # IMDSv1 is off, as it should be
        base = "/latest/meta-data/iam/security-credentials/"
        if self.path == base:
            return self._send(200, "hostrail-host\n")
        if self.path == base + "hostrail-host":
            exp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
            return self._send(200, json.dumps({
                "Code": "Success", "Type": "AWS-HMAC", "AccessKeyId": ACCESS_KEY,
                "SecretAccessKey": SECRET, "Token": self.SESSION, "Expiration": exp}))
        self._send(404, "")


def test_credentials_from_imds_v2_with_session_token(tmp_path, store, monkeypatch):
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeImds)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
        monkeypatch.delenv("AWS_SECRET_ACCESS_KEY", raising=False)
        agent = start(tmp_path, store, monkeypatch, secret=None,
                      imds=f"http://127.0.0.1:{srv.server_address[1]}")
        marker_calls(4249)
        wait_for(lambda: log_files(agent.bucket) and all_uploaded(agent, store), 30, "uploads")
        agent.stop()
    finally:
        srv.shutdown()
    reqs = [r for r in store.requests() if r["verdict"] == "forwarded"]
    assert reqs
    for r in reqs:
        assert r["headers"]["x-amz-security-token"] == FakeImds.SESSION
        assert "x-amz-security-token" in r["headers"]["authorization"]
    assert ("PUT", "/latest/api/token") in FakeImds.seen
    secret_nowhere(tmp_path, agent, store, SECRET)


def test_https_verifies_the_certificate_and_takes_a_ca_bundle(tmp_path, monkeypatch):
    require(os.access(S3RVER, os.X_OK), f"s3rver at {S3RVER} (packaging/install-deps)")
    cert = tmp_path / "store.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(cert), "-out", str(tmp_path / "ca.pem")],
                   check=True, capture_output=True)
    cert.write_text(cert.read_text() + (tmp_path / "ca.pem").read_text())
    store = Store(tmp_path, tls_cert=cert)
    try:
        # a certificate the system does not trust: refused, nothing sent
        agent = start(tmp_path, store, monkeypatch)
        marker_calls(4250)
        st = wait_for(lambda: (lambda s: s if s.get("LatestDeliveryError") else None)(
            status(agent)[0]), 30, "LatestDeliveryError")
        assert st["LatestDeliveryError"] == "NetworkError"
        assert "certificate" in st["HostrailCounters"]["s3Upload"]["lastError"].lower()
        assert not store.requests()
        agent.stop()
        # its CA as the trail's bundle: the queue the first run left goes out
        agent = start(tmp_path, store, monkeypatch, ca_bundle=tmp_path / "ca.pem")
        wait_for(lambda: log_files(agent.bucket) and all_uploaded(agent, store), 30, "uploads")
        agent.stop()
        reqs = store.requests()
        assert reqs and all(r["verdict"] == "forwarded" for r in reqs)
    finally:
        store.close()


def test_virtual_hosted_addressing(tmp_path, store, monkeypatch):
    agent = start(tmp_path, store, monkeypatch, virtual=True)
    marker_calls(4251)
    wait_for(lambda: log_files(agent.bucket) and all_uploaded(agent, store), 30, "uploads")
    agent.stop()
    wait_for(lambda: all_uploaded_files(agent, store), 30, "every upload")
    reqs = store.requests()
    assert reqs and all(r["verdict"] == "forwarded" and r["status"] == 200 for r in reqs)
    for r in reqs:
        assert r["headers"]["host"] == f"{BUCKET}.s3.localhost:{store.front}"
        assert r["path"].startswith(f"/{PREFIX}/AWSLogs/{ACCOUNT}/")
    for key, path in local_objects(agent.bucket).items():
        assert store.get(f"{PREFIX}/{key}")[0] == path.read_bytes()

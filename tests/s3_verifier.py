"""A strict S3 front: every request's SigV4 signature recomputed with botocore.

s3rver 3.7.1 checks no V4 signature, so the tests put this proxy before it:
  /usr/bin/python3 tests/s3_verifier.py --listen PORT --upstream PORT \
      --key ACCESS_KEY:SECRET --log FILE
A request whose signature, payload hash or Content-MD5 differs from what
botocore computes, or that leaves an x-amz-* header unsigned, gets 403
SignatureDoesNotMatch; a PUT without x-amz-acl bucket-owner-full-control or
without server-side encryption headers gets 400. Each request's method, key,
headers and verdict are appended to FILE as one JSON line (s3rver does not
keep SSE headers). No upstream: 503 SlowDown. --tls-cert serves HTTPS.
"""
import argparse
import base64
import hashlib
import http.client
import http.server
import json
import os
import re
import ssl
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sigv4_botocore import sign  # noqa: E402

AUTH_RE = re.compile(r"^AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/s3/aws4_request, "
                     r"SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$")


def error_xml(code, message):
    return (f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code>'
            f"<Message>{message}</Message></Error>").encode()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def _refuse(self, status, code, message, record):
        record.update(verdict=code, message=message)
        self.server.note(record)
        body = error_xml(code, message)
        self.send_response(status)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _check(self, body, record):
        """None if the request is good, else (status, code, message)."""
        h = self.headers
        m = AUTH_RE.match(h.get("Authorization", ""))
        if not m:
            return 403, "AccessDenied", "no SigV4 Authorization header"
        ak, date, region, signed, signature = m.groups()
        secret = self.server.keys.get(ak)
        if secret is None:
            return 403, "InvalidAccessKeyId", "unknown access key"
        signed_list = signed.split(";")
        if signed_list != sorted(signed_list):
            return 403, "SignatureDoesNotMatch", "SignedHeaders not sorted"
        for name in h.keys():
            ln = name.lower()
            if (ln.startswith("x-amz-") or ln in ("content-md5", "host")) and ln not in signed_list:
                return 403, "SignatureDoesNotMatch", f"{ln} is not signed"
        if h.get("X-Amz-Content-SHA256") != hashlib.sha256(body).hexdigest():
            return 400, "XAmzContentSHA256Mismatch", "payload hash differs"
        if h.get("Content-MD5") is not None and \
                h["Content-MD5"] != base64.b64encode(hashlib.md5(body).digest()).decode():
            return 400, "BadDigest", "Content-MD5 differs"
        ts = h.get("X-Amz-Date", "")
        if ts[:8] != date:
            return 403, "SignatureDoesNotMatch", "date differs from the credential scope"
        headers = [(n, h[n]) for n in signed_list
                   if n not in ("x-amz-date", "x-amz-content-sha256", "x-amz-security-token")]
        url = "http://" + h["Host"] + self.path
        want, _ = sign(self.command, url, headers, body, ak, secret,
                       h.get("X-Amz-Security-Token"), region, ts)
        if want != h["Authorization"]:
            return 403, "SignatureDoesNotMatch", "the signature differs from botocore's"
        if self.command == "PUT":
            if h.get("x-amz-acl") != "bucket-owner-full-control":
                return 400, "InvalidRequest", "x-amz-acl bucket-owner-full-control missing"
            sse = h.get("x-amz-server-side-encryption")
            if sse not in ("AES256", "aws:kms"):
                return 400, "InvalidRequest", "no server-side encryption"
            if sse == "aws:kms":
                if not h.get("x-amz-server-side-encryption-aws-kms-key-id"):
                    return 400, "InvalidRequest", "aws:kms without a key id"
                ctx = json.loads(base64.b64decode(
                    h.get("x-amz-server-side-encryption-context", "e30=")))
                if "aws:cloudtrail:arn" not in ctx:
                    return 400, "InvalidRequest", "no CloudTrail encryption context"
        return None

    def _handle(self):
        length = int(self.headers.get("Content-Length", "0") or 0)
        body = self.rfile.read(length) if length else b""
        record = {"method": self.command, "path": self.path,
                  "headers": {k.lower(): v for k, v in self.headers.items()},
                  "md5": hashlib.md5(body).hexdigest(), "len": len(body)}
        bad = self._check(body, record)
        if bad:
            return self._refuse(*bad, record)
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.server.upstream, timeout=30)
            fwd = {k: v for k, v in self.headers.items() if k.lower() != "expect"}
            conn.request(self.command, self.path, body=body, headers=fwd)
            resp = conn.getresponse()
            data = resp.read()
        except OSError:
            return self._refuse(503, "SlowDown", "the store is down", record)
        record.update(verdict="forwarded", status=resp.status)
        self.server.note(record)
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        conn.close()

    do_GET = do_PUT = do_HEAD = do_POST = do_DELETE = _handle


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, addr, upstream, keys, log):
        super().__init__(addr, Handler)
        self.upstream = upstream
        self.keys = keys
        self.log = log
        self.lock = threading.Lock()

    def note(self, record):
        with self.lock, open(self.log, "a") as f:
            f.write(json.dumps(record) + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", type=int, required=True)
    ap.add_argument("--upstream", type=int, required=True)
    ap.add_argument("--key", action="append", default=[])
    ap.add_argument("--log", required=True)
    ap.add_argument("--tls-cert", help="serve HTTPS with this certificate (PEM, key inside)")
    a = ap.parse_args()
    keys = dict(k.split(":", 1) for k in a.key)
    srv = Server(("127.0.0.1", a.listen), a.upstream, keys, a.log)
    if a.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.tls_cert)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    print("listening", flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()

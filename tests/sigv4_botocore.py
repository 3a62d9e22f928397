"""botocore as the SigV4 oracle: the unit test's S3 cases and the verifier proxy.

As a program: one JSON request per stdin line, one JSON answer per stdout line
({"authorization", "canonical_request"}), signed by botocore's S3SigV4Auth at the
request's own timestamp over exactly the headers it names.
"""
import base64
import json
import sys

# Debian's python3-botocore; the tests run under /usr/bin/python3.
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials


def sign(method, url, headers, body, access_key, secret_key, token, region, timestamp):
    """The Authorization botocore computes for this request.

    headers: (name, value) pairs, the ones that are signed (Host included);
    x-amz-date, x-amz-content-sha256 and x-amz-security-token are set by
    botocore itself, from timestamp, body and token.
    """
    skip = {"authorization", "x-amz-date", "x-amz-content-sha256", "x-amz-security-token"}
    req = AWSRequest(method=method, url=url, data=body,
                     headers={n: v for n, v in headers if n.lower() not in skip})
    req.context["timestamp"] = timestamp
    auth = S3SigV4Auth(Credentials(access_key, secret_key, token or None), "s3", region)
    auth._modify_request_before_signing(req)
    canonical = auth.canonical_request(req)
    signature = auth.signature(auth.string_to_sign(req, canonical), req)
    auth._inject_signature_to_request(req, signature)
    return req.headers["Authorization"], canonical


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        r = json.loads(line)
        authz, canonical = sign(r["method"], r["url"], r["headers"],
                                base64.b64decode(r["body_b64"]), r["access_key"],
                                r["secret_key"], r.get("token"), r["region"], r["timestamp"])
        print(json.dumps({"authorization": authz, "canonical_request": canonical}), flush=True)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Run aws-cli's own `aws cloudtrail validate-logs` over a local bucket directory.

The real validator (Debian's awscli 2.9.19:
awscli/customizations/cloudtrail/validation.py) is driven offline, as
cloudtrail-format.md §7 describes: its S3 and CloudTrail clients are replaced
by stubs that serve the bucket directory (objects = files, the digest
signature metadata = the "<key>.meta.json" sidecars) and the public keys
(hostrail's ListPublicKeys JSON, or the state directory's key index). It
prints exactly what the CLI prints, on the same streams, and exits with the
CLI's status, including the CLI's own error handling (252, 255, ...).

usage: awscli_validate.py --bucket-dir DIR --trail-arn ARN --start-time T
                          [--end-time T] [--verbose] [--s3-bucket NAME]
                          (--public-keys FILE | --state-dir DIR)
"""
import argparse
import datetime
import io
import json
import os
import stat
import sys

import awscli  # noqa: F401  first: makes its vendored botocore importable
from awscli.customizations.cloudtrail.validation import CloudTrailValidateLogs
from awscli.errorhandler import construct_cli_error_handlers_chain
from botocore.exceptions import ClientError

SIDECAR = ".meta.json"


def no_such_key(op):
    return ClientError({"Error": {"Code": "NoSuchKey",
                                  "Message": "The specified key does not exist."}}, op)


class LocalBucket:
    """S3's get_object / list_objects over one directory."""

    def __init__(self, root, name):
        self.root = root
        self.name = name

    def _path(self, key):
        parts = key.split("/")
        if not key or any(p in ("", ".", "..") for p in parts):
            return None     # no object can have such a key here
        return os.path.join(self.root, *parts)

    def _regular(self, path):
        """A regular file, reached without following a symbolic link."""
        rel = os.path.relpath(path, self.root).split(os.sep)
        cur = self.root
        for part in rel:
            cur = os.path.join(cur, part)
            try:
                st = os.lstat(cur)
            except OSError:
                return False
            if stat.S_ISLNK(st.st_mode):
                return False
        return stat.S_ISREG(st.st_mode)

    def keys(self):
        out = []
        for dirpath, dirnames, filenames in os.walk(self.root):
            dirnames[:] = [d for d in dirnames
                           if not os.path.islink(os.path.join(dirpath, d))]
            for f in filenames:
                path = os.path.join(dirpath, f)
                if not self._regular(path):
                    continue
                key = os.path.relpath(path, self.root).replace(os.sep, "/")
                # a sidecar is the metadata of its object, not an object
                if key.endswith(SIDECAR) and os.path.isfile(path[:-len(SIDECAR)]):
                    continue
                out.append(key)
        # S3 lists keys in UTF-8 byte order
        return sorted(out, key=lambda k: k.encode("utf-8", "surrogateescape"))

    def get_object(self, Bucket, Key):
        path = self._path(Key) if Bucket == self.name else None
        if path is None or not self._regular(path):
            raise no_such_key("GetObject")
        with open(path, "rb") as f:
            body = f.read()
        metadata = {}
        try:
            with open(path + SIDECAR, "rb") as f:
                side = json.loads(f.read())
            # S3 user metadata are strings; anything else is no metadata
            if isinstance(side, dict) and all(isinstance(v, str) for v in side.values()):
                metadata = side
        except (OSError, ValueError):
            pass
        return {"Body": io.BytesIO(body), "Metadata": metadata}

    def get_paginator(self, name):
        assert name == "list_objects", name
        return Paginator(self)


class Paginator:
    def __init__(self, bucket):
        self.bucket = bucket

    def paginate(self, Bucket, Marker="", **kwargs):
        keys = self.bucket.keys() if Bucket == self.bucket.name else []
        return Pages([k for k in keys if k > Marker])


class Pages:
    def __init__(self, keys):
        self._keys = keys

    def search(self, expression):
        assert expression == "Contents[*].Key", expression
        return iter(self._keys)


class ClientProvider:
    """S3ClientProvider: one client serves every bucket name."""

    def __init__(self, bucket):
        self.bucket = bucket

    def get_client(self, bucket_name):
        return self.bucket


def parse_time(v):
    if v is None:
        return None
    if isinstance(v, (int, float)):
        return datetime.datetime.fromtimestamp(v, datetime.timezone.utc)
    return datetime.datetime.fromisoformat(v.replace("Z", "+00:00"))


class CloudTrail:
    """ListPublicKeys: the keys whose validity window meets [start, end]."""

    def __init__(self, keys):
        self.keys = keys

    def list_public_keys(self, StartTime, EndTime):
        out = []
        for k in self.keys:
            start = parse_time(k.get("ValidityStartTime"))
            end = parse_time(k.get("ValidityEndTime"))
            if (start is None or start <= EndTime) and (end is None or end >= StartTime):
                out.append(k)
        return {"PublicKeyList": out}


def load_keys(args):
    if args.public_keys:
        with open(args.public_keys) as f:
            return json.load(f)["PublicKeyList"]
    with open(os.path.join(args.state_dir, "keys", "index.json")) as f:
        return json.load(f)["keys"]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bucket-dir", required=True)
    p.add_argument("--s3-bucket")
    p.add_argument("--trail-arn", required=True)
    p.add_argument("--start-time", required=True)
    p.add_argument("--end-time")
    p.add_argument("--verbose", action="store_true")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--public-keys")
    g.add_argument("--state-dir")
    args = p.parse_args()

    name = args.s3_bucket or os.path.basename(os.path.normpath(args.bucket_dir))
    cmd = CloudTrailValidateLogs(None)
    ns = argparse.Namespace(trail_arn=args.trail_arn, verbose=args.verbose, s3_bucket=name,
                            s3_prefix=None, account_id=None, start_time=args.start_time,
                            end_time=args.end_time)
    try:
        cmd.handle_args(ns)
        cmd.s3_client_provider = ClientProvider(LocalBucket(args.bucket_dir, name))
        cmd.cloudtrail_client = CloudTrail(load_keys(args))
        cmd.organization_client = None
        # the CLI's --region: the source region is the ARN's region here
        cmd._source_region = args.trail_arn.split(":")[3]
        cmd._call()
        rc = 1 if cmd._invalid_digests > 0 or cmd._invalid_logs > 0 else 0
    except BaseException as e:  # the CLI's own handlers: same text, same status
        rc = construct_cli_error_handlers_chain().handle_exception(
            e, stdout=sys.stdout, stderr=sys.stderr)
    sys.stdout.flush()
    sys.exit(rc)


if __name__ == "__main__":
    main()

"""The real server (issue 16): Debian 12 with its stock kernel
(linux-image-amd64) and systemd as PID 1 under qemu (tests/vm/image.py), the
package of this checkout installed with dpkg, the agent started with
systemctl. A user logs in over ssh with a password and sudoes; then systemd
SIGKILLs the agent and restarts it. tests/vm/server-check does all of that
in the guest and copies the bucket, the agent's journal and its public keys
back out; every check is made here, on the host, on those copies.

`make test-vm` runs it, and so does `make test` (docs/operations.md: what it
costs)."""
import datetime
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import types
import uuid

import pytest

from conftest import DEB_VERSION, ROOT, log_files, read_records, records_where, require
from test_journal import check_entry

sys.path.insert(0, str(ROOT / "tests" / "vm"))
import image  # noqa: E402

VERSION = DEB_VERSION  # packaging/debian/changelog's
ACCOUNT = "000000000000"      # the packaged configuration's
REGION = "hostrail-server"    # the guest's host name
UNIT = "hostraild.service"
MSGID_SIGNIN = "670890bbfc574d09b12bd8fd827dc097"


@pytest.fixture(scope="module")
def server(tmp_path_factory, package_build):
    require(shutil.which("qemu-system-x86_64"), "qemu-system-x86_64 (Debian: qemu-system-x86)")
    require(shutil.which("busybox"), "busybox (Debian: busybox-static)")
    require(shutil.which("debootstrap"), "debootstrap (Debian: debootstrap)")
    build = package_build
    deb = build / "deb" / ("hostrail_%s_amd64.deb" % VERSION)
    share = tmp_path_factory.mktemp("server") / "share"
    run = image.run(ROOT / "tests" / "vm" / "server-check", [deb], out=share)
    assert run.rc is not None, "no exit status came back; the console:\n" + run.console[-6000:]
    boot = share / "journal-boot.txt"
    assert run.rc == 0, "server-check: exit %d\n%s\n--- the guest's journal, its end:\n%s" % (
        run.rc, run.output[-6000:], boot.read_text(errors="replace")[-8000:]
        if boot.exists() else "(none)")
    facts = dict(line.split("=", 1) for line in
                 (share / "facts.env").read_text().splitlines() if "=" in line)
    journal = [json.loads(line) for line in (share / "journal.json").read_text().splitlines()
               if line.strip()]
    return types.SimpleNamespace(
        share=share, facts=facts, bucket=share / "bucket", journal=journal,
        records=read_records(share / "bucket"), output=run.output, seconds=run.seconds,
        # the package's own command-line tool, as built for the .deb
        hostrail=build / "deb" / ("hostrail-%s" % VERSION) / "build-deb" / "hostrail")


def test_the_guest_is_debian_12_on_its_stock_kernel_with_systemd(server):
    assert re.fullmatch(r"6\.1\.0-\d+-amd64", server.facts["kernel"]), server.facts
    assert server.facts["pid1"] == "systemd"
    assert "dpkg -i the package" in server.output and "Setting up hostrail (%s)" % VERSION \
        in server.output, server.output


def login_of(server):
    user = server.facts["user"]
    logins = [r for r in records_where(server.records, eventName="ConsoleLogin")
              if r["userIdentity"].get("userName") == user]
    assert len(logins) == 1, [(r["eventName"], r["userIdentity"]) for r in server.records
                              if r["eventSource"] == "signin.linux"]
    return logins[0]


def test_the_ssh_login_is_a_console_login_in_the_bucket(server):
    rec = login_of(server)
    user, uid = server.facts["user"], server.facts["uid"]
    assert rec["eventVersion"] == "1.11"
    assert rec["eventSource"] == "signin.linux"
    assert rec["eventType"] == "AwsConsoleSignIn"
    assert rec["awsRegion"] == REGION
    assert rec["recipientAccountId"] == ACCOUNT
    assert str(uuid.UUID(rec["eventID"])) == rec["eventID"]
    assert rec["sourceIPAddress"] == "127.0.0.1"
    assert rec["userAgent"] == "sshd"
    assert rec["responseElements"] == {"ConsoleLogin": "Success"}
    assert "errorCode" not in rec and "errorMessage" not in rec
    extra = rec["additionalEventData"]
    assert extra["LoginTo"] == "ssh://" + REGION
    assert extra["authMethod"] == "password"
    assert extra["pamService"] == "sshd"
    assert isinstance(extra["sessionId"], int)
    ui = rec["userIdentity"]
    assert ui["type"] == "IAMUser" and ui["principalId"] == uid and ui["accountId"] == ACCOUNT
    assert ui["arn"] == "arn:hostrail:iam:%s:%s:user/%s" % (REGION, ACCOUNT, user)
    assert re.fullmatch(r"HRS[0-9A-F]{16}S%d" % extra["sessionId"], ui["accessKeyId"]), ui


def test_the_sudoed_call_is_the_login_users_assumed_role(server):
    user = server.facts["user"]
    login = login_of(server)
    roles = [r for r in records_where(server.records, eventName="AssumeRole")
             if r["userIdentity"].get("userName") == user]
    assert len(roles) == 1, roles
    assert roles[0]["responseElements"] is not None
    assert roles[0]["userIdentity"]["accessKeyId"] == login["userIdentity"]["accessKeyId"]
    calls = [r for r in records_where(server.records, eventName="Sethostname")
             if r["requestParameters"].get("name") == REGION]
    assert len(calls) == 1, calls
    call = calls[0]
    assert "errorCode" not in call
    ui = call["userIdentity"]
    assert ui["type"] == "AssumedRole"
    assert ui["sessionContext"]["sessionIssuer"]["userName"] == user
    assert ui["accessKeyId"] == login["userIdentity"]["accessKeyId"]
    assert call["sourceIPAddress"] == "127.0.0.1"


def test_journalctl_u_hostraild_has_the_records(server):
    by_id = {r["eventID"]: r for r in server.records}
    mine = [e for e in server.journal if e.get("_SYSTEMD_UNIT") == UNIT]
    login = login_of(server)
    entries = [e for e in mine if e.get("HOSTRAIL_EVENT_ID") == login["eventID"]]
    assert len(entries) == 1, [e.get("HOSTRAIL_EVENT_NAME") for e in mine]
    check_entry(entries[0], login)
    assert entries[0]["MESSAGE_ID"] == MSGID_SIGNIN
    assert "%s (ssh from 127.0.0.1) ConsoleLogin: Success" % server.facts["user"] in \
        entries[0]["MESSAGE"], entries[0]["MESSAGE"]
    call = [e for e in mine if e.get("HOSTRAIL_EVENT_NAME") == "Sethostname"]
    assert call, "no Sethostname in journalctl -u hostraild"
    for e in call:
        check_entry(e, by_id[e["HOSTRAIL_EVENT_ID"]])


def digests(bucket):
    out = []
    for dirpath, _dirs, files in os.walk(bucket):
        if "CloudTrail-Digest" in dirpath:
            for f in files:
                if f.endswith(".json.gz"):
                    with open(os.path.join(dirpath, f), "rb") as fh:
                        d = json.loads(gzip.decompress(fh.read()))
                    out.append((os.path.relpath(os.path.join(dirpath, f), bucket), d))
    return sorted(out, key=lambda kd: kd[1]["digestEndTime"])


def test_systemd_restarts_the_killed_agent_and_the_chain_stays_one(server):
    f = server.facts
    assert f["pid_after"] != f["pid_before"] and int(f["pid_after"]) > 0, f
    assert f["restarts"] == "1", f           # Restart=on-failure, once
    assert f["killed_result"] == "1", f      # "status=9/KILL", logged by systemd
    ds = digests(server.bucket)
    assert len(ds) >= 3, [k for k, _ in ds]
    # One chain from the first digest to the last, across the kill: the
    # restarted agent continued it (a clean stop would have begun a new one).
    assert ds[0][1]["previousDigestS3Object"] is None
    for (prev_key, prev), (_key, d) in zip(ds, ds[1:]):
        assert d["previousDigestS3Object"] == prev_key, (prev_key, d)
        assert d["digestStartTime"] == prev["digestEndTime"]
    # Every log file delivered is listed in exactly one digest (the copy was
    # made after a clean stop, whose final digest lists the last ones).
    listed = [lf["s3Object"] for _k, d in ds for lf in d["logFiles"]]
    delivered = [os.path.relpath(p, server.bucket) for p in log_files(server.bucket)]
    assert sorted(listed) == sorted(set(listed))
    assert set(delivered) <= set(listed), set(delivered) - set(listed)


def test_validate_logs_finds_the_chain_valid_in_the_guest_and_here(server):
    f = server.facts
    out = (server.share / "validate.out").read_text()
    err = (server.share / "validate.err").read_text()
    assert f["validate_rc"] == "0", out + err
    assert "INVALID" not in out + err, out + err
    assert "No log files were delivered" not in err, err   # no hole where it was killed
    assert re.search(r"^Results found for ", out, re.M), out
    # The copy, off the server, from its public keys alone, up to the copy's end.
    end = datetime.datetime.strptime(f["end"], "%Y-%m-%dT%H:%M:%SZ")
    r = subprocess.run([str(server.hostrail), "validate-logs", "--bucket-dir",
                        str(server.bucket), "--public-keys", str(server.share / "public-keys.json"),
                        "--start-time", f["start"], "--end-time",
                        (end + datetime.timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                        "--verbose"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "INVALID" not in r.stdout + r.stderr, r.stdout + r.stderr


def test_a_broken_conffile_fails_the_unit_with_one_line_naming_it(server):
    f = server.facts
    assert f["broken_result"] == "exit-code", f  # it exited non-zero before READY=1
    entries = [json.loads(line) for line in
               (server.share / "journal-broken.json").read_text().splitlines() if line.strip()]
    # the agent's own lines, each failed start's (Restart= may try again)
    starts = {}
    for e in entries:
        if e.get("_COMM") == "hostraild" and e.get("_PID") != f["pid_after"]:
            starts.setdefault(e["_PID"], []).append(e["MESSAGE"])
    assert starts, [e.get("MESSAGE") for e in entries]
    for lines in starts.values():
        assert lines == ["hostraild: refused configuration: /etc/hostrail/hostrail.json: "
                         "line 3 column 17: string or '}' expected near ','"], starts

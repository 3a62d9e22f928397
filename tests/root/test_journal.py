"""Issue 6: every record forwarded to a real systemd-journald, read back with
journalctl -o json and checked field by field against the delivered record."""
import ctypes
import json
import os
import re
import subprocess

from conftest import (journal_entries, read_records, records_where, require, start_agent,
                      journald_running)

PY = "/usr/bin/python3"
CATALOG = os.path.join(os.path.dirname(__file__), "..", "..", "packaging", "hostrail.catalog")
JOURNAL_H = os.path.join(os.path.dirname(__file__), "..", "..", "user", "deliver", "journal.h")
MSGID_CALL = "0319ea515d90424bb60eae0b779e1b76"
MSGID_CALL_FAILED = "32b0ff38c9cf4a5ba394f8baf7dc8b54"
MSGID_AGENT = "66c488a31b984be6b9fea283fd32f582"


def as_user(user, code, loginuid=None):
    """python code as `user`; with loginuid, inside a login session of that uid."""
    pre = f"echo {loginuid} > /proc/self/loginuid && " if loginuid is not None else ""
    cmd = (f"{pre}exec setpriv --reuid {user.pw_uid} --regid {user.pw_gid} --clear-groups "
           f"{PY} -c '{code}'")
    return subprocess.run(["sh", "-c", cmd], capture_output=True, text=True, timeout=30)


def check_entry(e, rec):
    """One journal entry against the record the bucket holds."""
    assert e["SYSLOG_IDENTIFIER"] == "hostrail"
    assert e["HOSTRAIL_EVENT_ID"] == rec["eventID"]
    assert e["HOSTRAIL_EVENT_NAME"] == rec["eventName"]
    assert e["HOSTRAIL_EVENT_SOURCE"] == rec["eventSource"]
    assert e["HOSTRAIL_EVENT_CATEGORY"] == rec["eventCategory"]
    assert e["HOSTRAIL_READ_ONLY"] == ("true" if rec["readOnly"] else "false")
    assert e["HOSTRAIL_SOURCE_IP"] == rec["sourceIPAddress"]
    assert e.get("HOSTRAIL_USER_ARN") == rec["userIdentity"].get("arn")
    assert e.get("HOSTRAIL_SESSION") == rec["userIdentity"].get("accessKeyId")
    assert e.get("HOSTRAIL_ERROR_CODE") == rec.get("errorCode")
    assert json.loads(e["HOSTRAIL_RECORD"]) == rec
    assert "\n" not in e["MESSAGE"]


def test_records_reach_journald_field_by_field(tmp_path, journald, unprivileged_user):
    u = unprivileged_user
    agent = start_agent(tmp_path)
    # refused: an unprivileged setuid(0)
    r = as_user(u, "import os\ntry:\n os.setuid(0)\nexcept PermissionError: print(\"EPERM\")")
    assert r.stdout.strip() == "EPERM", r.stderr
    # done, by root in the user's login session: AssumedRole, acting as root
    marker = tmp_path / "marker"
    marker.write_text("x")
    r = subprocess.run(["sh", "-c", f"echo {u.pw_uid} > /proc/self/loginuid && "
                        f"exec chmod 0640 {marker}"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    agent.stop()
    recs = read_records(agent.bucket)

    failed = [x for x in records_where(recs, eventName="Setuid", errorCode="EPERM")
              if x["userIdentity"].get("userName") == u.pw_name]
    assert len(failed) == 1
    rec = failed[0]
    (e,) = journal_entries(HOSTRAIL_EVENT_ID=rec["eventID"])
    check_entry(e, rec)
    assert e["PRIORITY"] == "5"                      # notice: a refused privileged call
    assert e["MESSAGE_ID"] == MSGID_CALL_FAILED
    assert e["HOSTRAIL_USER_NAME"] == u.pw_name
    assert e["MESSAGE"] == f"{u.pw_name} Setuid uid 0 (root): EPERM"

    done = [x for x in recs if x["eventName"] in ("Chmod", "Fchmodat")
            and x.get("requestParameters", {}).get("path") == str(marker)]
    assert len(done) == 1
    rec = done[0]
    assert rec["userIdentity"]["type"] == "AssumedRole"
    (e,) = journal_entries(HOSTRAIL_EVENT_ID=rec["eventID"])
    check_entry(e, rec)
    assert e["PRIORITY"] == "6"
    assert e["MESSAGE_ID"] == MSGID_CALL
    assert e["HOSTRAIL_USER_NAME"] == u.pw_name      # the person, not root
    assert e["HOSTRAIL_SESSION"].startswith("HRS")
    assert e["MESSAGE"] == f"{u.pw_name} (as root) {rec['eventName']} {marker} to 0640: success"

    # the agent's own events, and every record once
    (start,) = records_where(recs, eventName="StartLogging")
    (e,) = journal_entries(HOSTRAIL_EVENT_ID=start["eventID"])
    check_entry(e, start)
    assert e["MESSAGE_ID"] == MSGID_AGENT
    assert e["MESSAGE"] == "root StartLogging: success"
    for rec in recs:
        assert len(journal_entries(timeout=0, HOSTRAIL_EVENT_ID=rec["eventID"])) == 1, rec


def test_refused_mount_reads_like_the_issue(tmp_path, journald, unprivileged_user):
    """`<who> Mount tmpfs on <target>: EPERM`, at notice, as a refused call."""
    u = unprivileged_user
    target = "/mnt"      # a directory the user can reach: the kernel then says EPERM
    agent = start_agent(tmp_path)
    code = ("import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\n"
            f"r = libc.mount(b\"tmpfs\", b\"{target}\", b\"tmpfs\", 0, None)\n"
            "print(r, os.strerror(ctypes.get_errno()))")
    r = as_user(u, code.replace("'", ""))
    assert r.stdout.strip() == "-1 Operation not permitted", (r.stdout, r.stderr)
    agent.stop()
    (rec,) = [x for x in records_where(read_records(agent.bucket), eventName="Mount")
              if x["requestParameters"].get("target") == target and
              x["userIdentity"].get("userName") == u.pw_name]
    assert rec["errorCode"] == "EPERM" and rec["requestParameters"]["fsType"] == "tmpfs"
    (e,) = journal_entries(HOSTRAIL_EVENT_ID=rec["eventID"])
    check_entry(e, rec)
    assert e["MESSAGE"] == f"{u.pw_name} Mount tmpfs on {target}: EPERM"
    assert e["PRIORITY"] == "5"
    assert e["MESSAGE_ID"] == MSGID_CALL_FAILED


def test_hostile_names_stay_inside_their_fields(tmp_path, journald):
    """A file name with a newline, a fake field and an escape sequence: the
    line stays one line, the fields stay the record's."""
    d = tmp_path / "d"
    d.mkdir()
    name = d / "evil\nHOSTRAIL_EVENT_NAME=Forged\n\x1b[2Jx"
    name.write_text("x")
    agent = start_agent(tmp_path)
    os.chmod(name, 0o600)
    agent.stop()
    recs = [x for x in read_records(agent.bucket)
            if x.get("requestParameters") and x["requestParameters"].get("path") == str(name)]
    assert len(recs) == 1
    rec = recs[0]
    (e,) = journal_entries(HOSTRAIL_EVENT_ID=rec["eventID"])
    check_entry(e, rec)
    assert e["HOSTRAIL_EVENT_NAME"] == rec["eventName"] != "Forged"
    esc = str(d) + "/evil\\x0aHOSTRAIL_EVENT_NAME=Forged\\x0a\\x1b[2Jx"
    assert e["MESSAGE"] == f"root {rec['eventName']} {esc} to 0600: success"
    assert not journal_entries(timeout=0, HOSTRAIL_EVENT_NAME="Forged")


def test_forwarding_off_per_trail(tmp_path, journald):
    cfg = tmp_path / "hostrail.json"
    cfg.write_text(json.dumps({"trails": [{"name": "quiet", "forwardToJournald": False}]}))
    agent = start_agent(tmp_path, extra_args=["--config", str(cfg)])
    os.setuid(0)
    agent.stop()
    recs = read_records(agent.bucket)
    assert records_where(recs, eventName="StartLogging")
    for rec in recs:
        assert journal_entries(timeout=0, HOSTRAIL_EVENT_ID=rec["eventID"]) == []
    assert not any(r["eventName"] == "LostEvents" for r in recs)


def test_journald_absent_records_go_on_and_losses_are_counted(tmp_path, journald):
    """journald unreachable (a private mount namespace hides its socket):
    the bucket gets everything, and LostEvents counts what journald missed."""
    require(os.path.isdir("/run/systemd/journal"), "/run/systemd/journal")
    wrap = ["unshare", "--mount", "--propagation", "private", "sh", "-c",
            "mount -t tmpfs hostrail-test /run/systemd/journal && exec \"$0\" \"$@\""]
    agent = start_agent(tmp_path, wrap=wrap)
    os.setuid(0)
    agent.stop()
    assert "journald did not take a record" in agent.log()
    recs = read_records(agent.bucket)
    assert records_where(recs, eventName="Setuid")
    lost = [r for r in records_where(recs, eventName="LostEvents")
            if r["serviceEventDetails"]["sink"] == "journald"]
    assert lost, agent.log()
    for r in lost:
        assert r["serviceEventDetails"]["reason"] == "sinkRefused"
    # every record but journald's own LostEvents went to journald and was
    # refused; all of it is counted except StopLogging, which comes last
    counted = sum(r["serviceEventDetails"]["lostEvents"] for r in lost)
    assert counted == len(recs) - len(lost) - 1
    for rec in recs:
        assert journal_entries(timeout=0, HOSTRAIL_EVENT_ID=rec["eventID"]) == []
    assert journald_running()   # the host's journald was never touched


def test_catalog_explains_every_message_id():
    ids = set(re.findall(r'"([0-9a-f]{32})"', open(JOURNAL_H).read()))
    assert len(ids) == 7
    text = open(CATALOG).read()
    entries = re.findall(r"^-- ([0-9a-f]{32})\nSubject: .+\nDefined-By: hostrail\n", text, re.M)
    assert set(entries) == ids

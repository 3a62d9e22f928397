"""Issue 5: the control socket and its commands, as root and as someone else.

stop-logging stops recording (and is recorded), start-logging resumes it, with
the caller's identity from the socket's peer credentials; a caller that is
not root gets AccessDenied, recorded with that errorCode; the trail's chain
validates across the pause.
"""
import grp
import json
import os
import pathlib
import shutil
import subprocess
import tempfile

import pytest

from conftest import HOSTRAIL, read_records, records_where, start_agent

ACCOUNT = "123456789012"
REGION = "testhost"


def cli(state, *args, check=True, prefix=()):
    r = subprocess.run([*prefix, HOSTRAIL, args[0], "--state-dir", str(state), *args[1:]],
                       capture_output=True, text=True, timeout=30)
    if check:
        assert r.returncode == 0, r.stderr
    return r


def setuid_marker(uid):
    """One recorded call, identifiable by its target uid (in a child: as root
    it succeeds and drops the caller's privileges)."""
    subprocess.run(["/usr/bin/python3", "-c", f"import os; os.setuid({uid})"], check=True)


@pytest.fixture
def control_group():
    name = "hrctl%d" % (os.getpid() % 100000)
    subprocess.run(["groupadd", name], check=True, capture_output=True)
    try:
        yield grp.getgrnam(name)
    finally:
        subprocess.run(["groupdel", name], capture_output=True)


@pytest.fixture
def reachable_dir():
    """A directory others may traverse (pytest's own is root-only)."""
    d = tempfile.mkdtemp(prefix="hostrail-ctl-")
    os.chmod(d, 0o711)
    try:
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


def start(tmp_path, group=None, state=None):
    state = state or tmp_path / "state"
    cfg = tmp_path / "hostrail.json"
    doc = {"accountId": ACCOUNT, "region": REGION, "stateDir": str(state),
           "trails": [{"name": "main", "bucketDir": str(tmp_path / "bucket"),
                       "batchSeconds": 3600}]}
    if group:
        doc["controlGroup"] = group
    cfg.write_text(json.dumps(doc))
    return start_agent(tmp_path, state=state, extra_args=["--config", str(cfg)])


def test_stop_and_start_logging(tmp_path):
    agent = start(tmp_path)
    sock = agent.state / "control.sock"
    st = os.stat(sock)
    assert st.st_uid == 0 and (st.st_mode & 0o777) == 0o600
    status = json.loads(cli(agent.state, "get-trail-status", "--name", "main").stdout)
    assert status["IsLogging"] is True
    assert "StartLoggingTime" in status
    assert status["HostrailCounters"]["eventsRecorded"] >= 1

    r = cli(agent.state, "stop-logging", "--name", "main")
    assert r.stdout == ""
    setuid_marker(4242001)                       # while stopped: not recorded
    status = json.loads(cli(agent.state, "get-trail-status", "--name", "main").stdout)
    assert status["IsLogging"] is False
    assert "StopLoggingTime" in status
    cli(agent.state, "start-logging", "--name", "main")
    setuid_marker(4242002)                       # recorded again
    r = cli(agent.state, "stop-logging", "--name", "nosuchtrail", check=False)
    assert r.returncode == 1
    assert "TrailNotFoundException" in r.stderr
    agent.stop()

    recs = read_records(agent.bucket)
    uids = [r["requestParameters"].get("uid") for r in recs if r["eventName"] == "Setuid"]
    assert 4242001 not in uids
    assert 4242002 in uids
    stops = [r for r in records_where(recs, eventName="StopLogging")
             if r["userAgent"] != "hostraild" and "errorCode" not in r]
    starts = [r for r in records_where(recs, eventName="StartLogging")
              if r["userAgent"] != "hostraild"]
    assert len(stops) == 1 and len(starts) == 1
    for r in stops + starts:
        assert r["eventSource"] == "hostrail.linux"
        assert r["requestParameters"] == {"name": "main"}
        assert r["userAgent"].endswith("/hostrail")           # the CLI, from /proc
        assert r["userIdentity"]["accountId"] == ACCOUNT
        assert "errorCode" not in r
    # the refused one (unknown trail) is recorded too, with its errorCode
    bad = [r for r in records_where(recs, eventName="StopLogging")
           if r.get("errorCode") == "TrailNotFoundException"]
    assert len(bad) == 1
    # the chain validates across the pause
    v = subprocess.run([HOSTRAIL, "validate-logs", "--bucket-dir", str(agent.bucket),
                        "--state-dir", str(agent.state), "--trail-name", "main",
                        "--account-id", ACCOUNT, "--region", REGION,
                        "--start-time", "2000-01-01T00:00:00Z"],
                       capture_output=True, text=True, timeout=120)
    assert v.returncode == 0, v.stdout + v.stderr


def test_non_root_caller_gets_access_denied(tmp_path, unprivileged_user, control_group,
                                           reachable_dir):
    agent = start(tmp_path, group=control_group.gr_name,
                  state=pathlib.Path(reachable_dir) / "state")
    st = os.stat(agent.state / "control.sock")
    assert (st.st_mode & 0o777) == 0o660 and st.st_gid == control_group.gr_gid
    as_user = ["setpriv", "--reuid", str(unprivileged_user.pw_uid), "--regid",
               str(unprivileged_user.pw_gid), f"--groups={control_group.gr_gid}"]
    # reading is allowed for the group
    r = cli(agent.state, "get-trail-status", "--name", "main", prefix=as_user)
    assert json.loads(r.stdout)["IsLogging"] is True
    # changing is not
    r = cli(agent.state, "stop-logging", "--name", "main", prefix=as_user, check=False)
    assert r.returncode == 1
    assert "An error occurred (AccessDenied) when calling the StopLogging operation" in r.stderr
    r = cli(agent.state, "put-event-selectors", "--trail-name", "main",
            "--advanced-event-selectors",
            '[{"FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]}]}]',
            prefix=as_user, check=False)
    assert "AccessDenied" in r.stderr
    # someone outside the group cannot even connect
    outsider = ["setpriv", "--reuid", str(unprivileged_user.pw_uid), "--regid",
                str(unprivileged_user.pw_gid), "--clear-groups"]
    r = cli(agent.state, "get-trail-status", "--name", "main", prefix=outsider, check=False)
    assert r.returncode == 1 and "failed to reach the daemon" in r.stderr
    status = json.loads(cli(agent.state, "get-trail-status", "--name", "main").stdout)
    assert status["IsLogging"] is True
    agent.stop()

    recs = read_records(agent.bucket)
    denied = [r for r in recs if r.get("errorCode") == "AccessDenied"]
    assert sorted(r["eventName"] for r in denied) == ["PutEventSelectors", "StopLogging"]
    for r in denied:
        assert r["eventSource"] == "hostrail.linux"
        assert r["userIdentity"]["type"] == "IAMUser"
        assert r["userIdentity"]["userName"] == unprivileged_user.pw_name
        assert r["userIdentity"]["principalId"] == str(unprivileged_user.pw_uid)
        assert "not authorized" in r["errorMessage"]
    stop = [r for r in denied if r["eventName"] == "StopLogging"][0]
    assert stop["requestParameters"] == {"name": "main"}

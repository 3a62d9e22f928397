"""Issue 5: trails, event selectors and data events, end to end.

The real daemon runs with a configuration file; real opens, writes, execs and
SIGHUPs happen; the delivered records are checked field by field, and the
kernel-side filter counters (get-trail-status) show what never left the kernel.
"""
import json
import os
import pathlib
import signal
import subprocess
import time

from conftest import HOSTRAIL, read_records, records_where, start_agent

ACCOUNT = "123456789012"
REGION = "testhost"
FILE_ARN = f"arn:hostrail:file:{REGION}:{ACCOUNT}:"


def write_config(path, state, trails):
    path.write_text(json.dumps({"accountId": ACCOUNT, "region": REGION,
                                "stateDir": str(state), "trails": trails}))


def files_trail(name, bucket, *prefixes, rw="All", mgmt=True, kind="Linux::File"):
    return {"name": name, "bucketDir": str(bucket), "batchSeconds": 3600,
            "eventSelectors": [{"ReadWriteType": rw, "IncludeManagementEvents": mgmt,
                                "DataResources": [{"Type": kind,
                                                   "Values": [str(p) for p in prefixes]}]}]}


def cli(state, *args, check=True):
    r = subprocess.run([HOSTRAIL, args[0], "--state-dir", str(state), *args[1:]],
                       capture_output=True, text=True, timeout=30)
    if check:
        assert r.returncode == 0, r.stderr
    return r


def status(state, name="main"):
    return json.loads(cli(state, "get-trail-status", "--name", name).stdout)


def start(tmp_path, cfg):
    state = tmp_path / "state"
    return start_agent(tmp_path, state=state, extra_args=["--config", str(cfg)])


def opens(records, path):
    return [r for r in records if r["eventName"] == "Openat"
            and r["requestParameters"]["path"] == str(path)]


def test_data_events_for_the_selected_directory_only(tmp_path):
    data, sibling = tmp_path / "data", tmp_path / "database"
    data.mkdir()
    sibling.mkdir()
    cfg = tmp_path / "hostrail.json"
    write_config(cfg, tmp_path / "state", [files_trail("main", tmp_path / "bucket",
                                                       f"{data}/")])
    agent = start(tmp_path, cfg)
    target, other = data / "notes.txt", sibling / "notes.txt"
    target.write_text("written\n")                      # open O_WRONLY|O_CREAT|O_TRUNC
    assert target.read_text() == "written\n"            # open O_RDONLY
    # relative to the cwd: the kernel makes it absolute
    subprocess.run(["/usr/bin/python3", "-c", "open('notes.txt').read()"], cwd=data, check=True)
    other.write_text("not selected\n")
    other.read_text()
    agent.stop()
    recs = read_records(agent.bucket)
    got = opens(recs, target)
    assert len(got) == 3, [r["requestParameters"] for r in recs if r["eventName"] == "Openat"]
    write, read, rel = got
    for r in got:
        assert r["eventSource"] == "file.linux"
        assert r["eventCategory"] == "Data"
        assert r["managementEvent"] is False
        assert r["eventType"] == "AwsApiCall"
        assert r["resources"] == [{"accountId": ACCOUNT, "type": "Linux::File",
                                   "ARN": FILE_ARN + str(target)}]
        assert r["requestParameters"]["dirfd"] == -100
    assert write["readOnly"] is False
    assert write["requestParameters"]["accessMode"] == "O_WRONLY"
    assert "O_CREAT" in write["requestParameters"]["flags"]
    assert write["requestParameters"]["mode"] == "0666"
    assert read["readOnly"] is True
    assert read["requestParameters"]["accessMode"] == "O_RDONLY"
    assert rel["readOnly"] is True
    assert rel["additionalEventData"]["process"]["pid"] != os.getpid()
    assert not [r for r in recs if r["eventName"] == "Openat" and
                str(sibling) in r["requestParameters"]["path"]]
    # management events still recorded by the same trail
    assert records_where(recs, eventName="StartLogging")


def test_unselected_open_sends_nothing_up(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    cfg = tmp_path / "hostrail.json"
    write_config(cfg, tmp_path / "state", [files_trail("main", tmp_path / "bucket",
                                                       f"{data}/")])
    agent = start(tmp_path, cfg)
    before = status(agent.state)["HostrailCounters"]["dataEventFilter"]
    n = 2000
    subprocess.run(["/usr/bin/python3", "-c",
                    f"import os\nfor _ in range({n}):\n os.close(os.open('/etc/hostname', 0))"],
                   check=True)
    after = status(agent.state)["HostrailCounters"]["dataEventFilter"]
    # every one of those opens stopped in the kernel
    assert after["skipped"] - before["skipped"] >= n
    # and nothing was sent up for them (nothing else opens under the private data dir)
    assert after["passed"] == before["passed"]
    agent.stop()
    assert not [r for r in read_records(agent.bucket) if r["eventName"] == "Openat"]


def test_execve_of_a_selected_executable(tmp_path):
    cfg = tmp_path / "hostrail.json"
    write_config(cfg, tmp_path / "state",
                 [files_trail("main", tmp_path / "bucket", "/usr/bin/env", kind="Linux::Process")])
    agent = start(tmp_path, cfg)
    subprocess.run(["/usr/bin/env", "true", "--marker-" + tmp_path.name], check=False)
    subprocess.run(["/usr/bin/true"], check=True)        # not selected
    agent.stop()
    recs = read_records(agent.bucket)
    ex = [r for r in recs if r["eventName"] == "Execve"]
    assert len(ex) == 1, [r["requestParameters"] for r in ex]
    r = ex[0]
    assert r["eventSource"] == "process.linux"
    assert r["eventCategory"] == "Data"
    assert r["requestParameters"]["filename"] == "/usr/bin/env"
    assert r["requestParameters"]["argv"] == ["/usr/bin/env", "true", "--marker-" + tmp_path.name]
    assert r["resources"][0]["type"] == "Linux::Process"
    assert r["resources"][0]["ARN"] == f"arn:hostrail:process:{REGION}:{ACCOUNT}:/usr/bin/env"


def test_two_trails_with_different_selectors(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    cfg = tmp_path / "hostrail.json"
    write_config(cfg, tmp_path / "state", [
        files_trail("main", tmp_path / "bucket", f"{a}/"),
        files_trail("second", tmp_path / "bucket2", f"{b}/", mgmt=False)])
    agent = start(tmp_path, cfg)
    (a / "x").write_text("a")
    (b / "y").write_text("b")
    agent.stop()
    main = read_records(agent.bucket)
    second = read_records(tmp_path / "bucket2")
    assert opens(main, a / "x") and not opens(main, b / "y")
    assert opens(second, b / "y") and not opens(second, a / "x")
    # the second trail takes no management events
    assert not [r for r in second if r["eventCategory"] == "Management"
                and r["eventName"] != "LostEvents"]
    assert records_where(main, eventName="StartLogging")
    for bucket, name in [(agent.bucket, "main"), (tmp_path / "bucket2", "second")]:
        r = subprocess.run([HOSTRAIL, "validate-logs", "--bucket-dir", str(bucket),
                            "--state-dir", str(agent.state), "--trail-name", name,
                            "--account-id", ACCOUNT, "--region", REGION,
                            "--start-time", "2000-01-01T00:00:00Z"],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "INVALID" not in r.stdout


def test_malformed_config_on_sighup_keeps_the_old_selectors(tmp_path):
    data, other = tmp_path / "data", tmp_path / "other"
    data.mkdir()
    other.mkdir()
    cfg = tmp_path / "hostrail.json"
    write_config(cfg, tmp_path / "state", [files_trail("main", tmp_path / "bucket",
                                                       f"{data}/")])
    agent = start(tmp_path, cfg)
    cfg.write_text('{"accountId": "123456789012", "trails": [')     # malformed
    agent.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 10
    while "refused configuration on reload" not in agent.log() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "refused configuration on reload" in agent.log()
    assert f"{cfg}: line 1" in agent.log()
    (data / "still.txt").write_text("selected")
    # a good file: the selectors move to the other directory, recorded as PutEventSelectors
    write_config(cfg, tmp_path / "state", [files_trail("main", tmp_path / "bucket",
                                                       f"{other}/")])
    agent.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 10
    while "reloaded" not in agent.log() and time.monotonic() < deadline:
        time.sleep(0.1)
    (data / "after.txt").write_text("no longer selected")
    (other / "now.txt").write_text("selected")
    agent.stop()
    recs = read_records(agent.bucket)
    assert opens(recs, data / "still.txt")
    assert not opens(recs, data / "after.txt")
    assert opens(recs, other / "now.txt")
    put = records_where(recs, eventName="PutEventSelectors")
    assert len(put) == 1
    p = put[0]
    assert p["eventSource"] == "hostrail.linux"
    assert p["requestParameters"]["trailName"] == "main"
    assert p["requestParameters"]["eventSelectors"][0]["DataResources"][0]["Values"] == \
        [f"{other}/"]
    assert p["responseElements"]["trailARN"] == \
        f"arn:hostrail:cloudtrail:{REGION}:{ACCOUNT}:trail/main"
    assert p["userIdentity"]["type"] in ("Root", "IAMUser", "AssumedRole")


def clock_reads():
    """adjtimex and clock_adjtime with modes 0: reads of the clock's state."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    buf = ctypes.create_string_buffer(208)  # struct __kernel_timex, modes 0
    # the system calls themselves: glibc's adjtimex() calls clock_adjtime
    assert libc.syscall(159, buf) >= 0, ctypes.get_errno()  # adjtimex
    assert libc.syscall(305, 0, buf) >= 0, ctypes.get_errno()  # clock_adjtime(REALTIME)


def test_clock_reads_are_read_only_and_kept_only_where_a_trail_asks(tmp_path):
    """auditd records adjtimex(modes=0); hostrail records it as readOnly, as
    CloudTrail records its Describe calls, and a WriteOnly trail never sees it
    (the kernel drops it when no trail may keep read-only calls)."""
    cfg = tmp_path / "hostrail.json"
    write_config(cfg, tmp_path / "state", [
        {"name": "main", "bucketDir": str(tmp_path / "bucket"), "batchSeconds": 3600},
        {"name": "second", "bucketDir": str(tmp_path / "bucket2"), "batchSeconds": 3600,
         "eventSelectors": [{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}]}])
    agent = start(tmp_path, cfg)
    before = status(agent.state)["HostrailCounters"]["dataEventFilter"]["readOnlySkipped"]
    clock_reads()
    # one trail keeps reads: they go up (others' clock reads may, too)
    assert status(agent.state)["HostrailCounters"]["dataEventFilter"]["readOnlySkipped"] == before
    agent.stop()
    mine = [r for r in read_records(agent.bucket)
            if r.get("additionalEventData", {}).get("process", {}).get("pid") == os.getpid()]
    for name in ("Adjtimex", "ClockAdjtime"):
        recs = records_where(mine, eventName=name)
        assert len(recs) == 1, (name, recs)
        rec = recs[0]
        assert rec["readOnly"] is True
        assert rec["managementEvent"] is True and rec["eventCategory"] == "Management"
        assert rec["eventSource"] == "system.linux"
        assert rec["requestParameters"]["buf"] == {"modes": []}
        assert "errorCode" not in rec
    assert records_where(mine, eventName="ClockAdjtime")[0]["requestParameters"]["clockId"] == \
        "CLOCK_REALTIME"
    second = read_records(tmp_path / "bucket2")
    assert not [r for r in second if r["eventName"] in ("Adjtimex", "ClockAdjtime")]

    # One WriteOnly trail: the reads never leave the kernel; a change still does.
    cfg2 = tmp_path / "write-only.json"
    write_config(cfg2, tmp_path / "state2", [
        {"name": "main", "bucketDir": str(tmp_path / "bucket3"), "batchSeconds": 3600,
         "eventSelectors": [{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}]}])
    agent = start_agent(tmp_path, bucket=tmp_path / "bucket3", state=tmp_path / "state2",
                        extra_args=["--config", str(cfg2)])
    before = status(agent.state)["HostrailCounters"]["dataEventFilter"]["readOnlySkipped"]
    clock_reads()
    after = status(agent.state)["HostrailCounters"]["dataEventFilter"]["readOnlySkipped"]
    assert after - before >= 2, (before, after)  # both stopped in the kernel
    agent.stop()
    recs = read_records(tmp_path / "bucket3")
    assert records_where(recs, eventName="StartLogging")
    assert not [r for r in recs if r["eventName"] in ("Adjtimex", "ClockAdjtime")]

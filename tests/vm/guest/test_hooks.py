"""The cheapest hook per kernel (issue 13 point 4), on Debian's kernels.

Debian's 6.1 and 6.12 kernels allow fexit trampolines, which the machines'
own kernel refuses: there the start-up probe must pick fexit/do_sys_openat2
for the open family's data events, get-trail-status must say so, the
records must be the ones the syscall tracepoints give (the same workload
under captureHook "tracepoint", field by field), and an unselected open
must not run the tracepoint programs at all (bpf_stats run counts)."""
import json
import os
import subprocess

import pytest

from conftest import bpf_prog_stats, read_records, require, start_agent
from test_selectors import ACCOUNT, FILE_ARN, files_trail, status

OPENAT2 = 437
# The calls and what each must give, in order: eventName, path, errorCode.
WORKLOAD = r"""
import ctypes, os, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
data = sys.argv[1]
os.chdir(data)
os.close(os.open("notes.txt", os.O_RDONLY))                       # openat, relative
fd = libc.syscall(2, f"{data}/legacy".encode(), os.O_WRONLY | os.O_CREAT, 0o640)  # open
os.close(fd)
os.close(libc.syscall(85, f"{data}/created".encode(), 0o600))     # creat
dfd = os.open(data, os.O_RDONLY | os.O_DIRECTORY)                 # the dir: not under data/
how = struct.pack("QQQ", os.O_RDONLY, 0, 0)
os.close(libc.syscall(437, dfd, b"notes.txt", how, 24))           # openat2, dirfd
assert libc.syscall(2, f"{data}/missing".encode(), os.O_RDONLY, 0) == -1  # ENOENT
os.close(os.open(sys.argv[2], os.O_RDONLY))                       # not selected
print(os.getpid())
"""
EXPECTED = [("Openat", "notes.txt", None), ("Open", "legacy", None),
            ("Creat", "created", None),
            ("Openat2", "notes.txt", None), ("Open", "missing", "ENOENT")]
STABLE = ("eventSource", "eventName", "eventType", "eventCategory", "managementEvent",
          "readOnly", "requestParameters", "responseElements", "errorCode", "errorMessage",
          "resources", "userIdentity")


def write_config(path, state, trails, hook):
    path.write_text(json.dumps({"accountId": ACCOUNT, "region": "testhost",
                                "stateDir": str(state), "captureHook": hook,
                                "trails": trails}))


def run_workload(tmp_path, hook):
    """The same opens under one hook; returns (its status, the records of the
    workload's process, the agent's log)."""
    tmp_path.mkdir()
    data, other = tmp_path / "data", tmp_path / "other"
    data.mkdir()
    other.mkdir()
    (data / "notes.txt").write_text("selected\n")
    (other / "notes.txt").write_text("not selected\n")
    state, cfg = tmp_path / "state", tmp_path / "hostrail.json"
    write_config(cfg, state, [files_trail("main", tmp_path / "bucket", f"{data}/")], hook)
    agent = start_agent(tmp_path, state=state, extra_args=["--config", str(cfg)],
                        ready_timeout=180)  # TCG guests load slowly
    st = status(agent.state)
    out = subprocess.run(["/usr/bin/python3", "-c", WORKLOAD, str(data),
                          str(other / "notes.txt")],
                         capture_output=True, text=True, check=True).stdout
    pid = int(out.split()[-1])
    agent.stop()
    recs = [r for r in read_records(agent.bucket)
            if r.get("additionalEventData", {}).get("process", {}).get("pid") == pid
            and r["eventName"] in ("Open", "Openat", "Openat2", "Creat")]
    return st, recs, agent.log(), data


def check_workload(recs, data):
    got = [(r["eventName"], r["requestParameters"]["path"], r.get("errorCode")) for r in recs]
    want = [(n, str(data / p), e) for n, p, e in EXPECTED]
    assert got == want, got
    for r, (name, p, err) in zip(recs, EXPECTED):
        path = str(data / p)
        assert r["eventSource"] == "file.linux"
        assert r["eventCategory"] == "Data"
        assert r["managementEvent"] is False
        assert r["resources"] == [{"accountId": ACCOUNT, "type": "Linux::File",
                                   "ARN": FILE_ARN + path}]
    openat, legacy, creat, openat2, missing = recs
    assert openat["requestParameters"]["dirfd"] == -100
    assert openat["requestParameters"]["accessMode"] == "O_RDONLY"
    assert openat["readOnly"] is True
    assert legacy["requestParameters"]["accessMode"] == "O_WRONLY"
    assert "O_CREAT" in legacy["requestParameters"]["flags"]
    assert legacy["requestParameters"]["mode"] == "0640"
    assert legacy["readOnly"] is False
    assert creat["requestParameters"]["mode"] == "0600"
    assert creat["readOnly"] is False
    assert openat2["requestParameters"]["dirfd"] >= 0
    assert openat2["readOnly"] is True
    assert missing["errorCode"] == "ENOENT"


def test_fexit_is_chosen_and_records_what_the_tracepoints_record(tmp_path):
    st, fexit_recs, log, data = run_workload(tmp_path / "fexit", "auto")
    cap = st["HostrailCapture"]
    assert cap["probed"]["fentry"] is True, cap
    assert cap["probed"]["tracepoint"] is True, cap
    assert cap["dataEventHook"] == "fexit", cap
    assert cap["callHook"] == "tracepoint", cap
    assert "data events (open family) on fexit/do_sys_openat2" in log
    # the rest of the probe, against what the kernel says itself (the agent
    # mounts securityfs when nothing else did): BPF-LSM attaches on Debian's
    # kernels, and counts only when bpf is among the active LSMs
    lsms = open("/sys/kernel/security/lsm").read().strip().split(",")
    assert "capability" in lsms, lsms
    assert cap["probed"]["lsm"] is ("bpf" in lsms), (cap, lsms)
    assert cap["probed"]["kprobe"] is os.path.exists("/sys/bus/event_source/devices/kprobe"), cap
    assert cap["probed"]["rawTracepoint"] is True, cap
    check_workload(fexit_recs, data)

    st, tp_recs, log, data_tp = run_workload(tmp_path / "tp", "tracepoint")
    assert st["HostrailCapture"]["dataEventHook"] == "tracepoint"
    assert st["HostrailCapture"]["probed"]["fentry"] is True
    check_workload(tp_recs, data_tp)

    def comparable(r, d):
        return json.loads(json.dumps({k: r.get(k) for k in STABLE}).replace(str(d), "DATA"))

    assert [comparable(r, data) for r in fexit_recs] == \
        [comparable(r, data_tp) for r in tp_recs]


def prog_stats(pid):
    """run_cnt of each program agent pid holds, by name."""
    return {name: runs for name, (runs, _) in bpf_prog_stats(pid).items()}


@pytest.fixture
def bpf_stats():
    path = "/proc/sys/kernel/bpf_stats_enabled"
    require(os.path.exists(path), path)
    old = open(path).read().strip()
    with open(path, "w") as f:
        f.write("1")
    yield
    with open(path, "w") as f:
        f.write(old)


def test_unselected_opens_never_run_the_tracepoint_programs(tmp_path, bpf_stats):
    data = tmp_path / "data"
    data.mkdir()
    state, cfg = tmp_path / "state", tmp_path / "hostrail.json"
    write_config(cfg, state, [files_trail("main", tmp_path / "bucket", f"{data}/")], "auto")
    agent = start_agent(tmp_path, state=state, extra_args=["--config", str(cfg)],
                        ready_timeout=180)  # TCG guests load slowly
    assert status(agent.state)["HostrailCapture"]["dataEventHook"] == "fexit"

    def opens(n):
        """run counts and filter counters across a process that opens an
        unselected file n times"""
        before = prog_stats(agent.proc.pid), status(agent.state)["HostrailCounters"]["dataEventFilter"]
        subprocess.run(["/usr/bin/python3", "-c",
                        f"import os\nfor _ in range({n}):\n os.close(os.open('/etc/hostname', 0))"],
                       check=True)
        after = prog_stats(agent.proc.pid), status(agent.state)["HostrailCounters"]["dataEventFilter"]
        return ({k: after[0][k] - before[0].get(k, 0) for k in after[0]},
                {k: after[1][k] - before[1][k] for k in after[1]})

    n = 2000
    base, _ = opens(0)  # what the process's start-up runs anyway
    ran, filt = opens(n)
    agent.stop()
    assert ran["hr_open_exit"] - base["hr_open_exit"] >= n
    assert filt["skipped"] >= n
    assert filt["passed"] == 0
    # the tracepoint programs ran for the start-up's other recorded calls only
    tp = [k for k in ran if k.startswith(("hr_sys_enter", "hr_sys_exit"))]
    assert tp, ran
    extra = {k: ran[k] - base[k] for k in tp}
    assert sum(extra.values()) < n // 10, extra
    assert not [r for r in read_records(agent.bucket) if r["eventName"] == "Openat"]


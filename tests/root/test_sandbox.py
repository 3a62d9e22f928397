"""Issue 16, least privilege: the running agent's capabilities and seccomp
filter, read from /proc as the kernel reports them, while the agent records,
changes its selectors and reloads; a refused call is named in the log and
counted; "sandbox": false leaves the agent as it started.

Every other root test checks, at Agent.stop, that its agent logged no
refusal: the filter's list is exercised by the whole suite.
"""
import json
import os
import shutil
import signal
import subprocess
import time

from conftest import HOSTRAIL, read_records, records_where, require, start_agent

ACCOUNT = "123456789012"
REGION = "testhost"
# CAP_DAC_READ_SEARCH (2), CAP_SYS_PTRACE (19), CAP_PERFMON (38), CAP_BPF (39)
KEPT = (1 << 2) | (1 << 19) | (1 << 38) | (1 << 39)
KEPT_NAMES = ["CAP_DAC_READ_SEARCH", "CAP_SYS_PTRACE", "CAP_PERFMON", "CAP_BPF"]


def write_config(path, state, bucket, names, sandbox=None):
    cfg = {"accountId": ACCOUNT, "region": REGION, "stateDir": str(state),
           "trails": [{"name": "main", "bucketDir": str(bucket), "batchSeconds": 3600,
                       "advancedEventSelectors": [selector(names)]}]}
    if sandbox is not None:
        cfg["sandbox"] = sandbox
    path.write_text(json.dumps(cfg))


def selector(names):
    """Management events of these names, and the agent's StartLogging."""
    return {"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]},
                               {"Field": "eventName", "Equals": names + ["StartLogging"]}]}


def cli(state, *args):
    r = subprocess.run([HOSTRAIL, args[0], "--state-dir", str(state), *args[1:]],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return r.stdout


def sandbox_status(state):
    return json.loads(cli(state, "get-trail-status", "--name", "main"))["HostrailCapture"][
        "sandbox"]


def threads(pid):
    """{tid: {field: value}} of /proc/<pid>/task/*/status."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        fields = {}
        try:
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                for line in f:
                    k, _, v = line.partition(":")
                    fields[k] = v.strip()
        except FileNotFoundError:
            continue  # a thread that just ended
        out[int(tid)] = fields
    return out


def marker(call, value):
    """One setuid/setgid in a child (as root it succeeds), known by its value."""
    subprocess.run(["/usr/bin/python3", "-c", f"import os; os.{call}({value})"], check=True)


def mine(bucket, name, key, value):
    return [r for r in records_where(read_records(bucket), eventName=name)
            if r["requestParameters"].get(key) == value]


def wait_for(cond, what, timeout=30):
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} within {timeout}s")
        time.sleep(0.2)


def test_the_running_agent_keeps_four_capabilities_under_its_filter(tmp_path):
    cfg = tmp_path / "hostrail.json"
    write_config(cfg, tmp_path / "state", tmp_path / "bucket", ["Setuid"])
    agent = start_agent(tmp_path, extra_args=["--config", str(cfg)])
    pid = agent.proc.pid

    ts = threads(pid)
    assert len(ts) >= 3, ts                           # the loop and its workers
    for tid, st in ts.items():
        want = KEPT if tid == pid else 0              # the capture loop, or any other
        assert int(st["CapEff"], 16) == want, (tid, st["Name"], st["CapEff"])
        assert int(st["CapPrm"], 16) == want, (tid, st["CapPrm"])
        assert int(st["CapAmb"], 16) == 0
        assert int(st["CapBnd"], 16) & ~KEPT == 0, (tid, st["CapBnd"])
        assert st["Seccomp"] == "2", (tid, st["Seccomp"])   # filter mode
        assert st["NoNewPrivs"] == "1"
    sb = sandbox_status(agent.state)
    assert sb == {"enabled": True, "capabilities": KEPT_NAMES, "seccomp": True,
                  "refusedCalls": 0}

    # it records under the filter...
    marker("setuid", 4242101)
    # ...attaches a newly selected call (perf_event_open, bpf link) under it...
    cli(agent.state, "put-event-selectors", "--trail-name", "main",
        "--advanced-event-selectors", json.dumps([selector(["Setuid", "Setgid"])]))
    marker("setgid", 4242102)
    # ...and reloads (the file again: SetUid only) under it
    agent.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: "reloaded" in agent.log(), "reload")
    marker("setuid", 4242103)
    assert sandbox_status(agent.state)["refusedCalls"] == 0
    agent.stop()                                      # and no call refused

    bucket = agent.bucket
    assert len(mine(bucket, "Setuid", "uid", 4242101)) == 1
    assert len(mine(bucket, "Setgid", "gid", 4242102)) == 1
    assert len(mine(bucket, "Setuid", "uid", 4242103)) == 1
    start = records_where(read_records(bucket), eventName="StartLogging")[0]
    assert start["additionalEventData"]["sandbox"] == sb


def test_a_refused_call_is_named_and_counted_and_recording_goes_on(tmp_path):
    """gdb makes the capture loop call personality(0xffffffff), which the agent
    never does: the call fails with EPERM inside the agent, the log names it,
    get-trail-status counts it, and the agent keeps recording."""
    gdb = shutil.which("gdb")
    require(gdb, "gdb (packaging/install-deps installs it)")
    cfg = tmp_path / "hostrail.json"
    write_config(cfg, tmp_path / "state", tmp_path / "bucket", ["Setuid"])
    agent = start_agent(tmp_path, extra_args=["--config", str(cfg)])
    r = subprocess.run([gdb, "-nx", "-batch", "-p", str(agent.proc.pid),
                        "-ex", "handle SIGSYS nostop noprint pass",
                        "-ex", "print ((long (*)(long, long))syscall)(135, 0xffffffff)",
                        "-ex", "print *(int *)__errno_location()",
                        "-ex", "detach"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    prints = [line for line in r.stdout.splitlines() if line.startswith("$")]
    assert prints == ["$1 = -1", "$2 = 1"], r.stdout + r.stderr   # -1, EPERM
    wait_for(lambda: "the sandbox refused system call personality" in agent.log(),
             "log line naming the call")
    assert sandbox_status(agent.state)["refusedCalls"] == 1
    marker("setuid", 4242111)
    agent.stop(refusals_expected=True)
    assert agent.log().count("the sandbox refused system call") == 1
    assert len(mine(agent.bucket, "Setuid", "uid", 4242111)) == 1


def test_sandbox_false_keeps_the_start_privileges(tmp_path):
    cfg = tmp_path / "hostrail.json"
    write_config(cfg, tmp_path / "state", tmp_path / "bucket", ["Setuid"], sandbox=False)
    agent = start_agent(tmp_path, extra_args=["--config", str(cfg)])
    ours = int(threads(os.getpid())[os.getpid()]["CapEff"], 16)
    for tid, st in threads(agent.proc.pid).items():
        assert int(st["CapEff"], 16) == ours, (tid, st["CapEff"])
        assert st["Seccomp"] == "0"
    sb = sandbox_status(agent.state)
    assert sb["enabled"] is False and sb["seccomp"] is False
    assert "CAP_SYS_ADMIN" in sb["capabilities"]
    assert "the sandbox is off" in agent.log()
    marker("setuid", 4242121)
    agent.stop()
    assert len(mine(agent.bucket, "Setuid", "uid", 4242121)) == 1

"""Fixtures for the root tests: the real daemon, real system calls, real files.

Policy: a test that needs root, BPF, sshd or journald FAILS when it is missing,
always under CI=true. Skipping is only for a machine where the user chose it,
by setting HOSTRAIL_ALLOW_SKIP=1 outside CI.
"""
import glob
import gzip
import json
import os
import pathlib
import pwd
import re
import shutil
import signal
import socket
import subprocess
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD = pathlib.Path(os.environ.get("HOSTRAIL_BUILD", ROOT / "build"))
HOSTRAILD = str(BUILD / "hostraild")
HOSTRAIL = str(BUILD / "hostrail")


def require(condition, what):
    """Fail (or, where the user allowed it, skip) when a requirement is missing."""
    if condition:
        return
    if os.environ.get("CI") != "true" and os.environ.get("HOSTRAIL_ALLOW_SKIP") == "1":
        pytest.skip(f"{what} (HOSTRAIL_ALLOW_SKIP=1)")
    pytest.fail(f"required for this test: {what}")


DEB_VERSION = re.match(r"hostrail \(([^)]+)\)",
                       (ROOT / "packaging/debian/changelog").read_text()).group(1)


@pytest.fixture(scope="session")
def package_build(tmp_path_factory):
    """A build directory holding this checkout's package (make deb BUILD=it):
    deb/hostrail_<version>_amd64.deb, and the unpacked tree the package was
    built in. Built once a session: test_package.py and test_server.py share it."""
    require(shutil.which("dpkg-buildpackage") and shutil.which("dh"),
            "dpkg-buildpackage and debhelper (Debian: build-essential debhelper)")
    build = tmp_path_factory.mktemp("deb")
    r = subprocess.run(["make", "-C", str(ROOT), "--no-print-directory", "deb",
                        "BUILD=%s" % build], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-4000:]
    assert (build / "deb" / ("hostrail_%s_amd64.deb" % DEB_VERSION)).exists(), r.stdout[-2000:]
    return build


@pytest.fixture(autouse=True)
def _needs_root_and_bpf():
    require(os.geteuid() == 0, "running as root")
    require(os.path.exists("/sys/kernel/btf/vmlinux"), "kernel BTF (/sys/kernel/btf/vmlinux)")
    require(os.access(HOSTRAILD, os.X_OK), f"a built daemon at {HOSTRAILD} (run make)")


class Agent:
    """One running hostraild, started as a user would, on its own directories."""

    def __init__(self, proc, bucket, state, log_path, notify_sock):
        self.proc = proc
        self.bucket = bucket
        self.state = state
        self.log_path = log_path
        self._notify = notify_sock
        # its entries in a journal older than it: pid_max is 32768 here, so
        # a pid alone also names journalds and agents of earlier tests
        self.started = int(time.time()) - 1

    def log(self):
        return self.log_path.read_text(errors="replace")

    def notifications(self, until, timeout=30):
        """sd_notify messages from now on, until until(messages) holds."""
        got, deadline = [], time.monotonic() + timeout
        while not until(got):
            if time.monotonic() > deadline:
                raise AssertionError("no such notifications within %ss: %r" % (timeout, got))
            try:
                got.append(self._notify.recv(4096).decode(errors="replace"))
            except socket.timeout:
                pass
        return got

    def stop(self, timeout=60, refusals_expected=False):
        """SIGTERM: the agent flushes, writes its final digest and exits 0,
        having had no system call refused by its sandbox."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("hostraild did not stop within %ss:\n%s" % (timeout, self.log()))
        self._notify.close()
        assert rc == 0, "hostraild exited %s:\n%s" % (rc, self.log())
        # The seccomp filter (common/sandbox.c) must allow all the agent does:
        # every test that stops an agent checks it refused nothing.
        assert refusals_expected or "the sandbox refused" not in self.log(), self.log()
        return rc

    def kill(self):
        """SIGKILL: a crash, as far as the agent can tell."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self._notify.close()


_running = []


def start_agent(tmp_path, bucket=None, state=None, extra_args=(), ready_timeout=60, wrap=(),
                env=None):
    """Start build/hostraild as root and wait for its READY=1 (sd_notify).
    wrap: a command prefix, e.g. to run it in its own mount namespace;
    env: more environment (WATCHDOG_USEC, ...). agent.ready is READY's message."""
    tmp_path = pathlib.Path(tmp_path)
    bucket = pathlib.Path(bucket) if bucket else tmp_path / "bucket"
    state = pathlib.Path(state) if state else tmp_path / "state"
    n = len(list(tmp_path.glob("hostraild-*.log")))
    log_path = tmp_path / f"hostraild-{n}.log"
    sock_path = str(tmp_path / f"notify-{n}.sock")
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(sock_path)
    notify.settimeout(0.5)
    env = dict(os.environ, NOTIFY_SOCKET=sock_path, **(env or {}))
    env.pop("JOURNAL_STREAM", None)
    args = list(wrap) + [HOSTRAILD, "--bucket-dir", str(bucket), "--state-dir", str(state),
            "--account-id", "123456789012", "--region", "testhost"] + list(extra_args)
    logf = open(log_path, "wb")
    proc = subprocess.Popen(args, stdout=logf, stderr=subprocess.STDOUT, env=env,
                            stdin=subprocess.DEVNULL)
    logf.close()
    agent = Agent(proc, bucket, state, log_path, notify)
    deadline = time.monotonic() + ready_timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            notify.close()
            raise AssertionError("hostraild exited %s before READY=1:\n%s"
                                 % (proc.returncode, agent.log()))
        try:
            msg = notify.recv(4096).decode(errors="replace")
        except socket.timeout:
            continue
        if "READY=1" in msg.split("\n"):
            agent.ready = msg
            _running.append(agent)
            return agent
    agent.kill()
    raise AssertionError("hostraild sent no READY=1 within %ss:\n%s" % (ready_timeout, agent.log()))


@pytest.fixture(autouse=True)
def _no_agent_left_behind():
    yield
    while _running:
        a = _running.pop()
        if a.proc.poll() is None:
            a.kill()


def log_files(bucket):
    """Delivered log files (not digests), oldest key first."""
    pattern = os.path.join(str(bucket), "AWSLogs", "*", "CloudTrail", "*", "*", "*", "*",
                           "*.json.gz")
    return sorted(glob.glob(pattern), key=os.path.basename)


def read_records(bucket):
    """Every record of every delivered log file, in delivery order."""
    records = []
    for path in log_files(bucket):
        with open(path, "rb") as f:
            doc = json.loads(gzip.decompress(f.read()))
        assert list(doc.keys()) == ["Records"], path
        records.extend(doc["Records"])
    return records


def records_where(records, **fields):
    return [r for r in records if all(r.get(k) == v for k, v in fields.items())]


@pytest.fixture
def unprivileged_user():
    """A throwaway account for calls made as someone other than root."""
    name = "hrtest%d" % (os.getpid() % 100000)
    subprocess.run(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
                   check=True, capture_output=True)
    try:
        yield pwd.getpwnam(name)
    finally:
        subprocess.run(["userdel", name], capture_output=True)


JOURNAL_SOCKET = "/run/systemd/journal/socket"
JOURNALD = "/lib/systemd/systemd-journald"


def journald_running():
    """True if something answers on journald's native socket."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        s.connect(JOURNAL_SOCKET)
        return True
    except OSError:
        return False
    finally:
        s.close()


@pytest.fixture
def journald():
    """A real systemd-journald: the one running, or one started here (and
    stopped afterwards) when there is none, as on hosts without systemd."""
    if journald_running():
        yield None
        return
    require(os.access(JOURNALD, os.X_OK), f"systemd-journald at {JOURNALD}")
    require(shutil.which("journalctl"), "journalctl")
    proc = subprocess.Popen([JOURNALD], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 15
    while not journald_running() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    require(journald_running(), "a systemd-journald that starts")
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def journal_entries(timeout=15, want=1, since=None, **fields):
    """Entries matching FIELD=value (journalctl -o json), written at or after
    `since` (epoch seconds) if given, waiting until at least `want` are there
    or the timeout passes."""
    args = ["journalctl", "-o", "json", "--no-pager", "--all"] + \
        ([f"--since=@{since}"] if since is not None else []) + \
        [f"{k}={v}" for k, v in fields.items()]
    deadline = time.monotonic() + timeout
    while True:
        r = subprocess.run(args, capture_output=True, text=True)
        entries = [json.loads(line) for line in r.stdout.splitlines() if line.strip()]
        if len(entries) >= want or time.monotonic() > deadline:
            return entries
        time.sleep(0.2)


def bpf_prog_stats(pid):
    """{name: (run_cnt, run_time_ns)} of each BPF program agent pid holds
    (bpf_stats_enabled on for the counts to move): by id, since other agents
    on the machine load programs of the same names."""
    ids = set()
    for fd in os.listdir(f"/proc/{pid}/fdinfo"):
        try:
            for line in open(f"/proc/{pid}/fdinfo/{fd}"):
                if line.startswith("prog_id:"):
                    ids.add(int(line.split()[1]))
        except OSError:
            continue  # closed meanwhile
    out = subprocess.run(["bpftool", "-j", "prog", "show"], capture_output=True, text=True,
                         check=True).stdout
    return {p["name"]: (p.get("run_cnt", 0), p.get("run_time_ns", 0)) for p in json.loads(out)
            if p["id"] in ids}

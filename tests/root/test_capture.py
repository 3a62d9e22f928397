"""Issue 2: privileged system calls, recorded by the real BPF programs and
delivered by the real daemon, checked field by field in the delivered files."""
import ctypes
import errno
import gzip
import os
import re
import socket
import subprocess
import sys
import tempfile
import uuid
import zlib

import pytest

from conftest import log_files, read_records, records_where, start_agent

ACCOUNT = "123456789012"
REGION = "testhost"
PY = "/usr/bin/python3"
EVENT_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
TOP_KEYS_ORDER = ["eventVersion", "userIdentity", "eventTime", "eventSource", "eventName",
                  "awsRegion", "sourceIPAddress", "userAgent", "errorCode", "errorMessage",
                  "requestParameters", "responseElements", "additionalEventData", "requestID",
                  "eventID", "readOnly", "resources", "eventType", "managementEvent",
                  "recipientAccountId", "serviceEventDetails", "eventCategory"]

libc = ctypes.CDLL(None, use_errno=True)
NR = {"setuid": 105, "ptrace": 101, "bpf": 321, "finit_module": 313, "reboot": 169}


def no_login_session():
    with open("/proc/self/loginuid") as f:
        return int(f.read()) == 0xFFFFFFFF


def as_user(user, code):
    """Run python code as `user` (a real uid/gid switch with setpriv)."""
    return subprocess.run(
        ["setpriv", "--reuid", str(user.pw_uid), "--regid", str(user.pw_gid), "--clear-groups",
         PY, "-c", code], capture_output=True, text=True, timeout=30)


def check_common(rec, event_source, event_name):
    """What every syscall record must carry, whatever the call."""
    keys = list(rec.keys())
    assert keys == [k for k in TOP_KEYS_ORDER if k in rec], keys
    assert rec["eventVersion"] == "1.11"
    assert EVENT_TIME.match(rec["eventTime"]), rec["eventTime"]
    assert rec["eventSource"] == event_source
    assert rec["eventName"] == event_name
    assert rec["awsRegion"] == REGION
    assert rec["sourceIPAddress"] == "localhost"
    assert rec["recipientAccountId"] == ACCOUNT
    assert rec["eventType"] == "AwsApiCall"
    assert rec["managementEvent"] is True
    assert rec["readOnly"] is False
    assert rec["eventCategory"] == "Management"
    assert str(uuid.UUID(rec["eventID"])) == rec["eventID"]
    assert isinstance(rec["requestID"], str) and rec["requestID"]
    assert rec["responseElements"] is None
    proc = rec["additionalEventData"]["process"]
    assert proc["pid"] > 0 and proc["ppid"] > 0
    assert isinstance(rec["additionalEventData"]["eventTimeNanos"], int)


def check_root_identity(rec):
    if not no_login_session():
        return  # a login session makes it IAMUser/AssumedRole: test_logins covers that
    ui = rec["userIdentity"]
    assert ui["type"] == "Root"
    assert ui["principalId"] == "0"
    assert ui["arn"] == f"arn:hostrail:iam:{REGION}:{ACCOUNT}:root"
    assert ui["accountId"] == ACCOUNT


def check_user_identity(rec, user):
    ui = rec["userIdentity"]
    assert ui["type"] == "IAMUser"
    assert ui["principalId"] == str(user.pw_uid)
    assert ui["userName"] == user.pw_name
    assert ui["arn"] == f"arn:hostrail:iam:{REGION}:{ACCOUNT}:user/{user.pw_name}"
    assert ui["accountId"] == ACCOUNT


def only(recs, what):
    assert len(recs) == 1, "%s: expected one record, got %d: %r" % (what, len(recs), recs)
    return recs[0]


def by_pid(records, pid, **fields):
    return [r for r in records_where(records, **fields)
            if r.get("additionalEventData", {}).get("process", {}).get("pid") == pid]


@pytest.fixture
def agent(tmp_path):
    a = start_agent(tmp_path, extra_args=["--batch-seconds", "300"])
    yield a
    if a.proc.poll() is None:
        a.kill()


def test_start_and_stop_are_recorded_in_one_gzip_member_file(agent):
    agent.stop()
    files = log_files(agent.bucket)
    assert len(files) == 1, files
    key = os.path.relpath(files[0], agent.bucket)
    m = re.match(r"^AWSLogs/(\d{12})/CloudTrail/([a-z0-9-]+)/(\d{4})/(\d\d)/(\d\d)/"
                 r"(\d{12})_CloudTrail_([a-z0-9-]+)_(\d{8})T\d{4}Z_[A-Za-z0-9]{16}\.json\.gz$", key)
    assert m, key
    assert m.group(1) == m.group(6) == ACCOUNT
    assert m.group(2) == m.group(7) == REGION
    assert m.group(3) + m.group(4) + m.group(5) == m.group(8)
    raw = open(files[0], "rb").read()
    d = zlib.decompressobj(zlib.MAX_WBITS | 16)
    body = d.decompress(raw)
    assert d.eof and d.unused_data == b"", "more than one gzip member"
    assert body.startswith(b'{"Records":[')
    recs = read_records(agent.bucket)
    assert recs[0]["eventName"] == "StartLogging"
    assert recs[-1]["eventName"] == "StopLogging"
    for rec in (recs[0], recs[-1]):
        assert rec["eventSource"] == "hostrail.linux"
        assert rec["requestParameters"] == {"name": "hostrail"}
        assert rec["responseElements"] is None
        assert rec["readOnly"] is False
        assert rec["eventType"] == "AwsApiCall"
        assert rec["recipientAccountId"] == ACCOUNT
        assert rec["awsRegion"] == REGION
    assert isinstance(recs[0]["additionalEventData"]["notRecordable"], list)
    # no temporary file is left behind in the bucket
    leftovers = [f for _, _, fs in os.walk(agent.bucket) for f in fs if not f.endswith(".json.gz")
                 and not f.endswith(".meta.json")]
    assert leftovers == []


def test_setuid_by_unprivileged_user_fails_with_eperm(agent, unprivileged_user):
    r = as_user(unprivileged_user, "import os\ntry:\n os.setuid(0)\nexcept PermissionError:\n"
                " print('EPERM')")
    assert r.stdout.strip() == "EPERM", r.stderr
    agent.stop()
    recs = [x for x in records_where(read_records(agent.bucket), eventName="Setuid")
            if x["userIdentity"].get("userName") == unprivileged_user.pw_name]
    rec = only(recs, "Setuid by the test user")
    check_common(rec, "identity.linux", "Setuid")
    check_user_identity(rec, unprivileged_user)
    assert rec["errorCode"] == "EPERM"
    assert rec["errorMessage"] == "Operation not permitted"
    assert rec["requestParameters"]["uid"] == 0
    assert rec["requestParameters"]["userName"] == "root"
    assert rec["userAgent"].startswith("/usr/bin/python3")
    assert rec["additionalEventData"]["process"]["comm"].startswith("python3")


def test_setuid_to_own_uid_as_root_succeeds(agent):
    os.setuid(0)
    agent.stop()
    rec = only(by_pid(read_records(agent.bucket), os.getpid(), eventName="Setuid"), "Setuid")
    check_common(rec, "identity.linux", "Setuid")
    check_root_identity(rec)
    assert "errorCode" not in rec and "errorMessage" not in rec
    assert rec["requestParameters"]["uid"] == 0


def test_tmpfs_mount_and_unmount(agent, tmp_path):
    target = tmp_path / "mnt"
    target.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "nosuid,nodev,size=1m", "hrtest-src",
                    str(target)], check=True)
    subprocess.run(["umount", str(target)], check=True)
    agent.stop()
    recs = read_records(agent.bucket)
    mount = only([r for r in records_where(recs, eventName="Mount")
                  if r["requestParameters"].get("target") == str(target)], "Mount")
    check_common(mount, "mount.linux", "Mount")
    check_root_identity(mount)
    rp = mount["requestParameters"]
    assert rp["source"] == "hrtest-src"
    assert rp["fsType"] == "tmpfs"
    assert "MS_NOSUID" in rp["flags"] and "MS_NODEV" in rp["flags"]
    assert mount["userAgent"] == "/usr/bin/mount"
    assert "errorCode" not in mount
    assert any(res["type"] == "Linux::Mount" for res in mount.get("resources", []))
    umount = only([r for r in records_where(recs, eventName="Umount2")
                   if r["requestParameters"].get("target") == str(target)], "Umount2")
    check_common(umount, "mount.linux", "Umount2")
    assert umount["userAgent"] == "/usr/bin/umount"
    assert "errorCode" not in umount


def test_mount_by_unprivileged_user_fails(agent, unprivileged_user):
    code = ("import ctypes,os\nl=ctypes.CDLL(None,use_errno=True)\n"
            "r=l.mount(b'none',b'/mnt',b'tmpfs',0,None)\nprint(r, ctypes.get_errno())")
    r = as_user(unprivileged_user, code)
    assert r.stdout.split() == ["-1", str(errno.EPERM)], r
    agent.stop()
    rec = only([x for x in records_where(read_records(agent.bucket), eventName="Mount")
                if x["userIdentity"].get("userName") == unprivileged_user.pw_name], "Mount")
    check_common(rec, "mount.linux", "Mount")
    check_user_identity(rec, unprivileged_user)
    assert rec["errorCode"] == "EPERM"
    assert rec["requestParameters"]["target"] == "/mnt"
    assert rec["requestParameters"]["fsType"] == "tmpfs"


def test_chmod_succeeds_and_fails(agent, tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    os.chmod(f, 0o640)
    missing = tmp_path / "missing"
    with pytest.raises(FileNotFoundError):
        os.chmod(missing, 0o600)
    agent.stop()
    recs = [r for r in by_pid(read_records(agent.bucket), os.getpid())
            if r["eventSource"] == "file.linux"]
    ok = only([r for r in recs if r["requestParameters"].get("path") == str(f)], "chmod ok")
    assert ok["eventName"] in ("Chmod", "Fchmodat")
    check_common(ok, "file.linux", ok["eventName"])
    check_root_identity(ok)
    assert ok["requestParameters"]["mode"] == "0640"
    assert "errorCode" not in ok
    assert ok["resources"][0]["type"] == "Linux::File"
    assert ok["resources"][0]["ARN"] == f"arn:hostrail:file:{REGION}:{ACCOUNT}:{f}"
    bad = only([r for r in recs if r["requestParameters"].get("path") == str(missing)],
               "chmod missing")
    assert bad["errorCode"] == "ENOENT"
    assert bad["errorMessage"] == "No such file or directory"


def test_hostile_file_name_is_valid_json_and_preserved(agent, tmp_path):
    name = b"evil\nline \"quoted\" back\\slash \x01\x7f \xff\xfe bad-utf8 " + b"n" * 200
    d = tempfile.mkdtemp(dir=tmp_path)
    # a long path: nested directories up to just under PATH_MAX (4,096 with its NUL)
    parts = os.fsencode(d)
    while len(parts) + 201 + 1 + len(name) < 4095:
        parts += b"/" + b"d" * 200
        os.mkdir(parts)
    pad = 4094 - len(parts) - 1 - len(name)
    parts += b"/" + b"p" * max(pad - 1, 1)
    os.mkdir(parts)
    path = parts + b"/" + name
    with open(path, "wb") as fh:
        fh.write(b"x")
    os.chmod(path, 0o600)
    agent.stop()
    recs = [r for r in by_pid(read_records(agent.bucket), os.getpid())
            if r["eventSource"] == "file.linux" and r["requestParameters"].get("mode") == "0600"]
    rec = only(recs, "chmod of the hostile name")
    rp = rec["requestParameters"]
    assert bytes.fromhex(rp["pathHex"]) == path
    assert rp["path"] == path.decode("utf-8", errors="replace")
    assert len(path) >= 4000


def test_sethostname_to_current_name(agent):
    name = socket.gethostname()
    socket.sethostname(name)
    agent.stop()
    rec = only(by_pid(read_records(agent.bucket), os.getpid(), eventName="Sethostname"),
               "Sethostname")
    check_common(rec, "system.linux", "Sethostname")
    check_root_identity(rec)
    assert rec["requestParameters"]["name"] == name
    assert "errorCode" not in rec


def test_settimeofday_by_unprivileged_user_fails(agent, unprivileged_user):
    # the raw call: glibc's settimeofday() is implemented with clock_settime
    code = ("import ctypes\nl=ctypes.CDLL(None,use_errno=True)\n"
            "tv=(ctypes.c_long*2)(0,0)\nprint(l.syscall(164,ctypes.byref(tv),None), "
            "ctypes.get_errno())")
    r = as_user(unprivileged_user, code)
    assert r.stdout.split() == ["-1", str(errno.EPERM)], r
    agent.stop()
    rec = only([x for x in records_where(read_records(agent.bucket), eventName="Settimeofday")
                if x["userIdentity"].get("userName") == unprivileged_user.pw_name],
               "Settimeofday")
    check_common(rec, "system.linux", "Settimeofday")
    assert rec["errorCode"] == "EPERM"


def test_finit_module_of_a_bogus_file(agent, tmp_path):
    bogus = tmp_path / "bogus.ko"
    bogus.write_bytes(b"not an ELF module")
    fd = os.open(bogus, os.O_RDONLY)
    r = libc.syscall(NR["finit_module"], fd, b"", 0)
    err = ctypes.get_errno()
    os.close(fd)
    assert r == -1
    agent.stop()
    recs = read_records(agent.bucket)
    start = records_where(recs, eventName="StartLogging")[0]
    if "FinitModule" in start["additionalEventData"]["notRecordable"]:
        # No CONFIG_MODULES: the call does not exist; the trail says so.
        assert err == errno.ENOSYS
        assert not records_where(recs, eventName="FinitModule")
        return
    rec = only(by_pid(recs, os.getpid(), eventName="FinitModule"), "FinitModule")
    check_common(rec, "module.linux", "FinitModule")
    assert rec["errorCode"] == errno.errorcode[err]
    assert rec["requestParameters"]["path"] == str(bogus)


def test_ptrace_attach(agent):
    child = subprocess.Popen(["sleep", "30"])
    try:
        assert libc.ptrace(16, child.pid, None, None) == 0, ctypes.get_errno()  # PTRACE_ATTACH
        os.waitpid(child.pid, 0)
        libc.ptrace(17, child.pid, None, None)  # PTRACE_DETACH: not recorded
    finally:
        child.kill()
        child.wait()
    agent.stop()
    recs = by_pid(read_records(agent.bucket), os.getpid(), eventName="Ptrace")
    rec = only(recs, "Ptrace (the detach is not recorded)")
    check_common(rec, "process.linux", "Ptrace")
    check_root_identity(rec)
    assert rec["requestParameters"]["request"] == "PTRACE_ATTACH"
    assert rec["requestParameters"]["pid"] == child.pid
    assert "errorCode" not in rec
    assert any(res["type"] == "Linux::Process" for res in rec["resources"])


def test_unshare_by_unprivileged_user_fails(agent, unprivileged_user):
    code = ("import ctypes\nl=ctypes.CDLL(None,use_errno=True)\n"
            "print(l.unshare(0x00020000), ctypes.get_errno())")  # CLONE_NEWNS
    r = as_user(unprivileged_user, code)
    assert r.stdout.split() == ["-1", str(errno.EPERM)], r
    agent.stop()
    rec = only([x for x in records_where(read_records(agent.bucket), eventName="Unshare")
                if x["userIdentity"].get("userName") == unprivileged_user.pw_name], "Unshare")
    check_common(rec, "process.linux", "Unshare")
    assert rec["requestParameters"]["flags"] == ["CLONE_NEWNS"]
    assert rec["errorCode"] == "EPERM"


def test_kernel_calls_bpf_map_create_and_bad_reboot(agent):
    # bpf(BPF_MAP_CREATE): an array map named "hrtest"
    attr = (ctypes.c_uint8 * 128)()
    ctypes.memmove(attr, (ctypes.c_uint32 * 4)(2, 4, 4, 1), 16)  # ARRAY, key 4, value 4, 1
    ctypes.memmove(ctypes.byref(attr, 28), b"hrtest", 6)
    fd = libc.syscall(NR["bpf"], 0, attr, 128)
    assert fd >= 0, ctypes.get_errno()
    os.close(fd)
    # reboot with wrong magic numbers: EINVAL, harmless
    assert libc.syscall(NR["reboot"], 0, 0, 0, 0) == -1
    agent.stop()
    recs = by_pid(read_records(agent.bucket), os.getpid())
    bpf = only(records_where(recs, eventName="Bpf"), "Bpf")
    check_common(bpf, "kernel.linux", "Bpf")
    assert bpf["requestParameters"]["cmd"] == "BPF_MAP_CREATE"
    assert bpf["requestParameters"]["attr"]["mapType"] == "BPF_MAP_TYPE_ARRAY"
    assert bpf["requestParameters"]["attr"]["mapName"] == "hrtest"
    assert bpf["requestParameters"]["attr"]["maxEntries"] == 1
    assert "errorCode" not in bpf
    reboot = only(records_where(recs, eventName="Reboot"), "Reboot")
    check_common(reboot, "kernel.linux", "Reboot")
    assert reboot["errorCode"] == "EINVAL"


def test_every_recorded_event_is_valid_and_unique(agent, unprivileged_user):
    os.setuid(0)
    agent.stop()
    recs = read_records(agent.bucket)
    ids = [r["eventID"] for r in recs]
    assert len(ids) == len(set(ids))
    req = [r["requestID"] for r in recs if r["eventSource"] != "hostrail.linux"]
    assert len(req) == len(set(req))


# ---- fd-based calls: the fd's path is taken in the kernel at the call, so it
# is exact even when the file is renamed, unlinked and closed before the agent
# could look in /proc ----


def change_then_hide(path, call):
    """Open path, make the call on the fd, then rename, unlink and close it
    at once: by the time the agent reads the event, /proc has nothing
    that names the file as it was."""
    fd = os.open(path, os.O_RDONLY)
    try:
        call(fd)
        moved = path + b".moved" if isinstance(path, bytes) else path + ".moved"
        os.rename(path, moved)
        os.unlink(moved)
    finally:
        os.close(fd)


def test_fchmod_and_fchown_paths_survive_rename_unlink_and_close(agent, tmp_path):
    d = tmp_path / "objects"
    d.mkdir()
    a, b = str(d / "a.conf"), str(d / "b.conf")
    for p in (a, b):
        with open(p, "w") as f:
            f.write("x")
    change_then_hide(a, lambda fd: os.fchmod(fd, 0o640))
    change_then_hide(b, lambda fd: os.fchown(fd, os.getuid(), -1))
    agent.stop()
    recs = read_records(agent.bucket)
    rec = only(by_pid(recs, os.getpid(), eventName="Fchmod"), "Fchmod")
    rp = rec["requestParameters"]
    assert rp["path"] == a
    assert rp["pathResolved"] is True
    assert rp["mode"] == "0640"
    assert isinstance(rp["fd"], int) and rp["fd"] >= 0
    assert "errorCode" not in rec
    assert rec["resources"] == [{"accountId": "123456789012", "type": "Linux::File",
                                 "ARN": f"arn:hostrail:file:testhost:123456789012:{a}"}]
    rec = only(by_pid(recs, os.getpid(), eventName="Fchown"), "Fchown")
    rp = rec["requestParameters"]
    assert rp["path"] == b
    assert rp["pathResolved"] is True
    assert rp["uid"] == os.getuid()
    assert rp["gid"] == -1


def test_fd_path_across_a_mount_and_at_the_root(agent, tmp_path):
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "hostrail-fd", str(mnt)],
                   check=True)
    try:
        sub = mnt / "deep" / "er"
        sub.mkdir(parents=True)
        f = str(sub / "file")
        with open(f, "w") as fh:
            fh.write("x")
        change_then_hide(f, lambda fd: os.fchmod(fd, 0o600))
    finally:
        subprocess.run(["umount", str(mnt)], check=True)
    # the root directory itself: fchown that changes nothing
    fd = os.open("/", os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fchown(fd, -1, -1)
    finally:
        os.close(fd)
    agent.stop()
    recs = read_records(agent.bucket)
    rp = only(by_pid(recs, os.getpid(), eventName="Fchmod"), "Fchmod")["requestParameters"]
    assert rp["path"] == f
    assert rp["pathResolved"] is True
    rp = only(by_pid(recs, os.getpid(), eventName="Fchown"), "Fchown")["requestParameters"]
    assert rp["path"] == "/"
    assert rp["pathResolved"] is True


def test_fd_path_with_a_hostile_name_is_escaped_and_exact(agent, tmp_path):
    name = b"evil\nline \"quoted\" back\\slash \x01\x1b[31m\x7f \xff\xfe bad-utf8"
    path = os.fsencode(str(tmp_path)) + b"/" + name
    with open(path, "wb") as fh:
        fh.write(b"x")
    change_then_hide(path, lambda fd: os.fchmod(fd, 0o604))
    agent.stop()
    # the delivered file is JSON: a newline or quote left raw would break it
    rec = only(by_pid(read_records(agent.bucket), os.getpid(), eventName="Fchmod"), "Fchmod")
    rp = rec["requestParameters"]
    assert bytes.fromhex(rp["pathHex"]) == path
    assert rp["path"] == path.decode("utf-8", errors="replace")
    assert rp["pathResolved"] is True


def test_a_file_with_no_name_is_not_given_one(agent):
    """A memfd has no path in the caller's tree: the kernel does not invent
    one ("/memfd:..."), so the record says the path was not resolved at the
    call (user space's late /proc reading, if any, is marked as such)."""
    fd = os.memfd_create("hostrail-fd-test")
    try:
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)
    agent.stop()
    rp = only(by_pid(read_records(agent.bucket), os.getpid(), eventName="Fchmod"), "Fchmod")["requestParameters"]
    assert rp.get("pathResolved") is not True
    # null, or /proc's own reading ("/memfd:name (deleted)"), never a bare name
    assert rp["path"] != "/memfd:hostrail-fd-test"

"""Management calls whose object is an fd (fchmod, fchown): the file's path
is taken in the kernel at the call, so it is exact even when the file is
renamed, unlinked and closed before the agent could look in /proc."""
import os
import subprocess

import pytest

from conftest import read_records, records_where, start_agent


@pytest.fixture
def agent(tmp_path):
    a = start_agent(tmp_path, extra_args=["--batch-seconds", "300"])
    yield a
    if a.proc.poll() is None:
        a.kill()


def mine(records, name):
    """This process's records of one eventName."""
    return [r for r in records_where(records, eventName=name)
            if r["additionalEventData"]["process"]["pid"] == os.getpid()]


def only(recs, what):
    assert len(recs) == 1, "%s: expected one record, got %d: %r" % (what, len(recs), recs)
    return recs[0]


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
    rec = only(mine(recs, "Fchmod"), "Fchmod")
    rp = rec["requestParameters"]
    assert rp["path"] == a
    assert rp["pathResolved"] is True
    assert rp["mode"] == "0640"
    assert isinstance(rp["fd"], int) and rp["fd"] >= 0
    assert "errorCode" not in rec
    assert rec["resources"] == [{"accountId": "123456789012", "type": "Linux::File",
                                 "ARN": f"arn:hostrail:file:testhost:123456789012:{a}"}]
    rec = only(mine(recs, "Fchown"), "Fchown")
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
    rp = only(mine(recs, "Fchmod"), "Fchmod")["requestParameters"]
    assert rp["path"] == f
    assert rp["pathResolved"] is True
    rp = only(mine(recs, "Fchown"), "Fchown")["requestParameters"]
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
    rec = only(mine(read_records(agent.bucket), "Fchmod"), "Fchmod")
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
    rp = only(mine(read_records(agent.bucket), "Fchmod"), "Fchmod")["requestParameters"]
    assert rp.get("pathResolved") is not True
    # null, or /proc's own reading ("/memfd:name (deleted)"), never a bare name
    assert rp["path"] != "/memfd:hostrail-fd-test"

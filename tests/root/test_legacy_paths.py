"""Issue 5: data events that do not go through the *at calls, and paths that
are not in normal form.

A program can call open(2), creat(2), unlink(2), rename(2), link(2),
symlink(2), rmdir(2), renameat(2) or openat2(2) directly (glibc would use
openat/unlinkat/renameat2...), and can spell a selected path with "..", "."
or "//". Neither may evade a selector on the path: the real daemon runs, a
child makes the raw system calls, the delivered records are checked field by
field.
"""
import json
import subprocess

from conftest import HOSTRAIL, read_records, start_agent

ACCOUNT = "123456789012"
REGION = "testhost"
FILE_ARN = f"arn:hostrail:file:{REGION}:{ACCOUNT}:"

# x86-64 numbers: the legacy calls exist only there (hostrail's build target)
RAW = r'''
import ctypes, os, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
def sc(nr, *args):
    r = libc.syscall(ctypes.c_long(nr), *args)
    if r < 0:
        raise OSError(ctypes.get_errno(), f"syscall {nr}: {os.strerror(ctypes.get_errno())}")
    return r
b = lambda s: s.encode()
data, other, tmp = sys.argv[1], sys.argv[2], sys.argv[3]
os.close(sc(2, b(data + "/w.txt"), os.O_WRONLY | os.O_CREAT, 0o644))        # open
os.close(sc(2, b(other + "/../data/w.txt"), os.O_RDONLY, 0))                # open, ".."
os.close(sc(2, b(tmp + "//data/./w.txt"), os.O_RDONLY, 0))                  # open, "//", "."
os.close(sc(2, b(data + "/../other/o.txt"), os.O_WRONLY | os.O_CREAT, 0o600))  # not selected
os.close(sc(85, b(data + "/c.txt"), 0o640))                                 # creat
sc(86, b(data + "/c.txt"), b(data + "/l.txt"))                              # link
sc(88, b"c.txt", b(data + "/s.txt"))                                        # symlink
sc(82, b(data + "/l.txt"), b(data + "/r.txt"))                              # rename
sc(264, -100, b(data + "/r.txt"), -100, b(data + "/r2.txt"))                # renameat
sc(87, b(data + "/r2.txt"))                                                 # unlink
os.mkdir(data + "/d")
sc(84, b(data + "/d"))                                                      # rmdir
how = ctypes.create_string_buffer(struct.pack("QQQ", os.O_RDONLY, 0, 0), 24)
os.close(sc(437, -100, b(data + "/c.txt"), how, ctypes.c_size_t(24)))       # openat2
sc(87, b(other + "/o.txt"))                                                 # not selected
print(os.getpid())
'''


def test_legacy_calls_and_unnormalised_paths_are_data_events(tmp_path):
    data, other = tmp_path / "data", tmp_path / "other"
    data.mkdir()
    other.mkdir()
    cfg = tmp_path / "hostrail.json"
    cfg.write_text(json.dumps({
        "accountId": ACCOUNT, "region": REGION, "stateDir": str(tmp_path / "state"),
        "trails": [{"name": "main", "bucketDir": str(tmp_path / "bucket"), "batchSeconds": 3600,
                    "eventSelectors": [{"IncludeManagementEvents": False, "DataResources": [
                        {"Type": "Linux::File", "Values": [f"{data}/"]}]}]}]}))
    agent = start_agent(tmp_path, state=tmp_path / "state", extra_args=["--config", str(cfg)])
    r = subprocess.run(["/usr/bin/python3", "-c", RAW, str(data), str(other), str(tmp_path)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    pid = int(r.stdout)
    status = json.loads(subprocess.run(
        [HOSTRAIL, "get-trail-status", "--state-dir", str(agent.state), "--name", "main"],
        capture_output=True, text=True, check=True).stdout)
    agent.stop()

    recs = [x for x in read_records(agent.bucket)
            if x.get("additionalEventData", {}).get("process", {}).get("pid") == pid]
    got = [(x["eventName"], x["requestParameters"]) for x in recs]
    names = [n for n, _ in got]
    assert names == ["Open", "Open", "Open", "Creat", "Link", "Symlink", "Rename", "Renameat",
                     "Unlink", "Rmdir", "Openat2"], got
    for x in recs:
        assert x["eventSource"] == "file.linux"
        assert x["eventCategory"] == "Data" and x["managementEvent"] is False
        assert "errorCode" not in x
        for res in x["resources"]:
            assert res["type"] == "Linux::File"
            assert res["ARN"].startswith(FILE_ARN + f"{data}/")
    w = str(data / "w.txt")
    (_, p0), (_, p1), (_, p2) = got[0:3]
    assert p0["path"] == w and "pathRequested" not in p0
    assert p0["accessMode"] == "O_WRONLY" and "O_CREAT" in p0["flags"]
    assert p0["mode"] == "0644"
    assert recs[0]["readOnly"] is False
    # the name the kernel opened, with the text given beside it
    assert p1["path"] == w and p1["pathRequested"] == f"{other}/../data/w.txt"
    assert p1["accessMode"] == "O_RDONLY"
    assert recs[1]["readOnly"] is True
    assert recs[1]["resources"] == [{"accountId": ACCOUNT, "type": "Linux::File",
                                     "ARN": FILE_ARN + w}]
    assert p2["path"] == w and p2["pathRequested"] == f"{tmp_path}//data/./w.txt"
    assert got[3][1]["path"] == str(data / "c.txt") and got[3][1]["mode"] == "0640"
    assert recs[3]["readOnly"] is False
    assert got[4][1]["oldPath"] == str(data / "c.txt")
    assert got[4][1]["newPath"] == str(data / "l.txt")
    assert got[5][1]["target"] == "c.txt" and got[5][1]["linkPath"] == str(data / "s.txt")
    assert got[6][1]["oldPath"] == str(data / "l.txt")
    assert got[6][1]["newPath"] == str(data / "r.txt")
    assert got[7][1]["oldPath"] == str(data / "r.txt")
    assert got[7][1]["newPath"] == str(data / "r2.txt")
    assert got[8][1]["path"] == str(data / "r2.txt")
    assert got[9][1]["path"] == str(data / "d")
    assert got[10][1]["path"] == str(data / "c.txt") and recs[10]["readOnly"] is True
    # nothing under other/, however it was spelt
    assert not [x for x in recs if any(str(other) in r["ARN"] for r in x["resources"])]
    # the unnormalised spellings went up undecided, the kernel could not tell
    assert status["HostrailCounters"]["dataEventFilter"]["undecided"] >= 3

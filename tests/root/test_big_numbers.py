"""A recorded number past 2^63: found while fuzzing the decoders.

Any user can make the agent write one (ioperm's `from` is an unsigned
64-bit argument, recorded as a number even when the call fails), and it is
valid JSON. jansson, which hostrail's readers use, refuses integers past
INT64_MAX unless told to read them as reals: lookup-events then skipped the
record, so a caller could keep their own call out of the event history."""
import ctypes
import json
import subprocess

from conftest import HOSTRAIL, read_records, records_where, start_agent

SYS_IOPERM = 173  # x86-64
BIG = 2**64 - 1


def test_ioperm_with_a_u64_past_int64_is_recorded_and_found(tmp_path, unprivileged_user):
    agent = start_agent(tmp_path)
    code = ("import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
            "libc.syscall.argtypes = [ctypes.c_long, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_int]\n"
            "assert libc.syscall(%d, %d, 1, 1) == -1\n" % (SYS_IOPERM, BIG))
    u = unprivileged_user
    subprocess.run(["setpriv", "--reuid", str(u.pw_uid), "--regid", str(u.pw_gid),
                    "--clear-groups", "/usr/bin/python3", "-c", code], check=True)
    agent.stop()

    recs = records_where(read_records(agent.bucket), eventName="Ioperm")
    assert len(recs) == 1, recs
    rec = recs[0]
    assert rec["requestParameters"]["from"] == BIG
    assert rec["requestParameters"]["num"] == 1
    assert rec["errorCode"] in ("EPERM", "EINVAL", "ENOSYS")  # ENOSYS: no ioperm in this kernel

    r = subprocess.run([HOSTRAIL, "lookup-events", "--state-dir", str(agent.state),
                        "--lookup-attributes", "AttributeKey=EventName,AttributeValue=Ioperm"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "skipped" not in r.stderr, r.stderr
    events = json.loads(r.stdout)["Events"]
    assert [e["EventId"] for e in events] == [rec["eventID"]]
    assert json.loads(events[0]["CloudTrailEvent"]) == rec

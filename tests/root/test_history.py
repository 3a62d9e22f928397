"""Issue 6: the event history behind the real daemon, read with
`hostrail lookup-events` and compared with what the bucket holds."""
import csv
import io
import json
import os
import stat
import subprocess

from conftest import HOSTRAIL, read_records, start_agent

KEYS = ["EventId", "EventName", "ReadOnly", "Username", "ResourceType", "ResourceName",
        "EventSource", "AccessKeyId"]


def lookup(state, *args, check=True):
    r = subprocess.run([HOSTRAIL, "lookup-events", "--state-dir", str(state)] + list(args),
                       capture_output=True, text=True, timeout=60)
    if check:
        assert r.returncode == 0, r.stderr
    return r


def lookup_json(state, *args):
    return json.loads(lookup(state, *args).stdout)


def username(rec):
    ui = rec.get("userIdentity", {})
    if ui.get("type") == "AssumedRole":
        return ui["sessionContext"]["sessionIssuer"]["userName"]
    if ui.get("type") == "Root":
        return "root"
    return ui.get("userName")


def resources(rec):
    out = []
    for r in rec.get("resources", []):
        name = r["ARN"].split(":", 5)[5]
        if r["type"] == "Linux::User":
            name = name[len("user/"):]
        out.append((r["type"], name))
    return out


def matches(rec, key, value):
    return {
        "EventId": rec["eventID"] == value,
        "EventName": rec["eventName"] == value,
        "ReadOnly": str(rec["readOnly"]).lower() == value,
        "Username": username(rec) == value,
        "ResourceType": any(t == value for t, _ in resources(rec)),
        "ResourceName": any(n == value for _, n in resources(rec)),
        "EventSource": rec["eventSource"] == value,
        "AccessKeyId": rec["userIdentity"].get("accessKeyId") == value,
    }[key]


def run_agent_with_activity(tmp_path, user):
    """An agent, a few real calls (one in a login session), stopped."""
    agent = start_agent(tmp_path)
    target = tmp_path / "target,with=odd chars"
    target.write_text("x")
    os.chmod(target, 0o600)
    subprocess.run(["sh", "-c", f"echo {user.pw_uid} > /proc/self/loginuid && "
                    f"exec chmod 0644 '{target}'"], check=True)
    subprocess.run(["setpriv", "--reuid", str(user.pw_uid), "--regid", str(user.pw_gid),
                    "--clear-groups", "/usr/bin/python3", "-c",
                    "import os\ntry:\n os.setuid(0)\nexcept OSError: pass"], check=True)
    agent.stop()
    return agent, target


def test_lookup_by_each_attribute_matches_the_bucket(tmp_path, unprivileged_user):
    agent, target = run_agent_with_activity(tmp_path, unprivileged_user)
    recs = read_records(agent.bucket)
    by_id = {r["eventID"]: r for r in recs}
    session = next(r for r in recs if r["userIdentity"].get("accessKeyId"))
    values = {
        "EventId": session["eventID"], "EventName": "Setuid", "ReadOnly": "false",
        "Username": unprivileged_user.pw_name, "ResourceType": "Linux::File",
        "ResourceName": str(target), "EventSource": "hostrail.linux",
        "AccessKeyId": session["userIdentity"]["accessKeyId"],
    }
    for key in KEYS:
        want = [r["eventID"] for r in recs if matches(r, key, values[key])]
        assert want, key
        got = lookup_json(agent.state, "--lookup-attributes",
                          f"AttributeKey={key},AttributeValue={values[key]}")
        assert list(got) == ["Events"], key      # every page: no NextToken
        ids = [e["EventId"] for e in got["Events"]]
        assert sorted(ids) == sorted(want), key
        for e in got["Events"]:
            rec = by_id[e["EventId"]]
            assert list(e) == [k for k in ["EventId", "EventName", "ReadOnly", "AccessKeyId",
                                           "EventTime", "EventSource", "Username",
                                           "Resources", "CloudTrailEvent"] if k in e]
            assert json.loads(e["CloudTrailEvent"]) == rec
            assert e["EventName"] == rec["eventName"]
            assert e["ReadOnly"] == "false"
            assert e["EventSource"] == rec["eventSource"]
            assert e["EventTime"] == rec["eventTime"][:-1] + "+00:00"
            assert e.get("Username") == username(rec)
            assert e.get("AccessKeyId") == rec["userIdentity"].get("accessKeyId")
            assert [(x["ResourceType"], x["ResourceName"]) for x in e["Resources"]] == \
                resources(rec)
        # newest first
        times = [e["EventTime"] for e in got["Events"]]
        assert times == sorted(times, reverse=True)


def test_time_range_and_paging(tmp_path, unprivileged_user):
    agent, _ = run_agent_with_activity(tmp_path, unprivileged_user)
    recs = read_records(agent.bucket)
    all_ids = lookup_json(agent.state)["Events"]
    assert sorted(e["EventId"] for e in all_ids) == sorted(r["eventID"] for r in recs)
    # two at a time: no event twice, none missing, even within one second
    seen, token, pages = [], None, 0
    while True:
        args = ["--max-results", "2"] + (["--next-token", token] if token else [])
        page = lookup_json(agent.state, *args)
        pages += 1
        seen += [e["EventId"] for e in page["Events"]]
        token = page.get("NextToken")
        if not token:
            break
        assert len(page["Events"]) == 2
    assert seen == [e["EventId"] for e in all_ids]
    assert pages == (len(recs) + 1) // 2
    # a range, inclusive, given as ISO 8601 and as epoch seconds
    times = sorted({r["eventTime"] for r in recs})
    lo, hi = times[0], times[-1]
    want = sorted(r["eventID"] for r in recs if lo <= r["eventTime"] <= hi)
    got = lookup_json(agent.state, "--start-time", lo, "--end-time", hi)["Events"]
    assert sorted(e["EventId"] for e in got) == want
    first = [r for r in recs if r["eventTime"] == lo]
    epoch = subprocess.run(["date", "-u", "-d", lo, "+%s"], capture_output=True,
                           text=True).stdout.strip()
    got = lookup_json(agent.state, "--start-time", epoch, "--end-time", epoch)["Events"]
    assert sorted(e["EventId"] for e in got) == sorted(r["eventID"] for r in first)


def test_output_formats(tmp_path, unprivileged_user):
    agent, _ = run_agent_with_activity(tmp_path, unprivileged_user)
    recs = read_records(agent.bucket)
    n = len(recs)
    text = lookup(agent.state, "--output", "text").stdout.splitlines()
    events = [line.split("\t") for line in text if line.startswith("EVENTS\t")]
    assert len(events) == n
    for f in events:
        assert json.loads(next(x for x in f if x.startswith("{"))) in recs
    table = lookup(agent.state, "--output", "table").stdout.splitlines()
    assert table[0].split("|")[1].strip() == "EventTime"
    assert len(table) == n + 1
    rows = list(csv.reader(io.StringIO(lookup(agent.state, "--output", "csv").stdout)))
    assert rows[0] == ["EventTime", "EventId", "EventName", "EventSource", "Username",
                       "ReadOnly", "AccessKeyId", "ResourceType", "ResourceName",
                       "CloudTrailEvent"]
    assert len(rows) == n + 1
    assert sorted(json.dumps(json.loads(r[9]), sort_keys=True) for r in rows[1:]) == \
        sorted(json.dumps(r, sort_keys=True) for r in recs)
    # one page in text form ends with its token
    page = lookup(agent.state, "--output", "text", "--max-results", "1").stdout
    assert page.splitlines()[-1].startswith("NEXTTOKEN\t")


def test_bad_input_exit_2(tmp_path, unprivileged_user):
    agent, _ = run_agent_with_activity(tmp_path, unprivileged_user)
    token = lookup_json(agent.state, "--max-results", "1")["NextToken"]
    forged = token[:10] + ("A" if token[10] != "A" else "B") + token[11:]
    cases = [
        (["--lookup-attributes", "AttributeKey=Color,AttributeValue=red"], "unknown AttributeKey"),
        (["--lookup-attributes", "AttributeKey=EventName,AttributeValue=Setuid",
          "--lookup-attributes", "AttributeKey=Username,AttributeValue=root"], "at most one"),
        (["--start-time", "2026-11-21T10:00:00Z", "--end-time", "2026-11-20T10:00:00Z"],
         "after --end-time"),
        (["--next-token", forged], "--next-token"),
        (["--next-token", token, "--lookup-attributes",
          "AttributeKey=EventName,AttributeValue=Setuid"], "another query"),
        (["--start-time", "yesterday"], "not a time"),
        (["--max-results", "51"], "1 to 50"),
        (["--event-category", "management"], "insight"),
        (["--output", "yaml"], "--output"),
    ]
    for args, msg in cases:
        r = lookup(agent.state, *args, check=False)
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        assert msg in r.stderr, (args, r.stderr)
        assert r.stdout == ""
    # the real token still works
    assert lookup(agent.state, "--max-results", "1", "--next-token", token).returncode == 0


def test_permissions_root_only(tmp_path, unprivileged_user):
    agent, _ = run_agent_with_activity(tmp_path, unprivileged_user)
    db = agent.state / "history.db"
    st = os.stat(db)
    assert st.st_uid == 0
    assert stat.S_IMODE(st.st_mode) in (0o600, 0o640)
    if stat.S_IMODE(st.st_mode) == 0o640:
        import grp
        assert grp.getgrgid(st.st_gid).gr_name == "hostrail"
    os.chmod(agent.state, 0o755)    # even with the directory open to all
    r = subprocess.run(["setpriv", "--reuid", str(unprivileged_user.pw_uid), "--regid",
                        str(unprivileged_user.pw_gid), "--clear-groups", HOSTRAIL,
                        "lookup-events", "--state-dir", str(agent.state)],
                       capture_output=True, text=True)
    assert r.returncode == 1
    assert "cannot read the event history" in r.stderr
    assert r.stdout == ""


def test_corrupt_database_moved_aside_and_rebuilt(tmp_path, unprivileged_user):
    agent, _ = run_agent_with_activity(tmp_path, unprivileged_user)
    db = agent.state / "history.db"
    garbage = b"this is not an SQLite database " * 200
    db.write_bytes(garbage)
    for sfx in ("-wal", "-shm"):
        if os.path.exists(str(db) + sfx):
            os.unlink(str(db) + sfx)
    r = lookup(agent.state, check=False)
    assert r.returncode == 1 and "rebuild-history" in r.stderr
    # the agent keeps the bad file, starts afresh and says how to rebuild
    agent2 = start_agent(tmp_path, bucket=agent.bucket, state=agent.state)
    agent2.stop()
    assert "rebuild-history" in agent2.log()
    aside = [p for p in os.listdir(agent.state) if p.startswith("history.db.corrupt-")]
    assert aside and (agent.state / aside[0]).read_bytes() == garbage
    recs = read_records(agent.bucket)
    before = lookup_json(agent.state)["Events"]
    assert len(before) < len(recs)     # only the second run's records
    r = subprocess.run([HOSTRAIL, "rebuild-history", "--state-dir", str(agent.state),
                        "--bucket-dir", str(agent.bucket)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert f"restored {len(recs) - len(before)} records" in r.stdout
    after = lookup_json(agent.state)["Events"]
    assert sorted(e["EventId"] for e in after) == sorted(x["eventID"] for x in recs)
    by_id = {x["eventID"]: x for x in recs}
    for e in after:
        assert json.loads(e["CloudTrailEvent"]) == by_id[e["EventId"]]
    # again: nothing twice
    r = subprocess.run([HOSTRAIL, "rebuild-history", "--state-dir", str(agent.state),
                        "--bucket-dir", str(agent.bucket)], capture_output=True, text=True)
    assert r.returncode == 0 and "restored 0 records" in r.stdout
    assert len(lookup_json(agent.state)["Events"]) == len(recs)

"""A trail that moves to another bucket directory (update-trail) keeps two
chains, one per bucket, and `hostrail validate-logs --state-dir` checks each
against the agent's own record of that bucket: everything VALID untouched,
an edited or deleted file in either bucket INVALID, named."""
import gzip
import json
import os
import pathlib
import subprocess
import time

import pytest

from conftest import HOSTRAIL, read_records, start_agent

ACCOUNT = "123456789012"
REGION = "testhost"
START = "2020-01-01T00:00:00Z"


def hostrail(*args):
    return subprocess.run([HOSTRAIL, *args], capture_output=True, text=True, timeout=120)


def validate(bucket, state):
    return hostrail("validate-logs", "--bucket-dir", str(bucket), "--state-dir", str(state),
                    "--start-time", START, "--verbose")


def setuid_marker(uid):
    subprocess.run(["/usr/bin/python3", "-c", f"import os; os.setuid({uid})"], check=True)


def files(bucket, kind):
    """Keys of the log files ("CloudTrail") or digests ("CloudTrail-Digest")."""
    root = pathlib.Path(bucket)
    return sorted(str(p.relative_to(root)) for p in
                  root.glob(f"AWSLogs/{ACCOUNT}/{kind}/{REGION}/*/*/*/*.json.gz"))


def invalid(result, kind, key, reason):
    """The INVALID line for s3://<the bucket's name>/<key>, naming the reason."""
    return any(line.startswith(f"{kind} file\ts3://") and
               line.split("\t")[1].endswith("/" + key) and
               line.split("\t", 2)[2].startswith(f"INVALID: {reason}")
               for line in result.stderr.splitlines())


@pytest.fixture(scope="module")
def moved(tmp_path_factory):
    """Events in the first bucket, update-trail to a second one (another
    bucket directory, same bucket name), more events, clean stop."""
    tmp = tmp_path_factory.mktemp("move")
    agent = start_agent(tmp, extra_args=["--batch-seconds", "300"])
    try:
        setuid_marker(4243001)
        second = tmp / "second"
        r = hostrail("update-trail", "--state-dir", str(agent.state), "--name", "hostrail",
                     "--bucket-dir", str(second))
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)["BucketDir"] == str(second)
        setuid_marker(4243002)
        agent.stop()
        # past a digest period and its slack after the first bucket's last
        # digest: a chain end the validator did not accept would show now
        time.sleep(12)
    finally:
        if agent.proc.poll() is None:
            agent.kill()
    return agent.bucket, second, agent.state


def test_both_buckets_validate_with_the_state(moved):
    first, second, state = moved
    # the events went where the trail was at the time
    uids = {b: [r["requestParameters"].get("uid") for r in read_records(b)
                if r["eventName"] == "Setuid"] for b in (first, second)}
    assert 4243001 in uids[first] and 4243001 not in uids[second]
    assert 4243002 in uids[second] and 4243002 not in uids[first]
    for bucket in (first, second):
        assert files(bucket, "CloudTrail") and files(bucket, "CloudTrail-Digest")
        r = validate(bucket, state)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "INVALID" not in r.stdout + r.stderr
        assert f"{len(files(bucket, 'CloudTrail-Digest'))}/" in r.stdout
    # the chain state remembers the first bucket's newest digest
    chain = json.loads((state / "chain" / "hostrail.json").read_text())
    assert chain["bucketDir"] == str(second)
    [earlier] = chain["earlierBuckets"]
    assert earlier["bucketDir"] == str(first)
    assert earlier["last"]["key"] == files(first, "CloudTrail-Digest")[-1]


@pytest.fixture
def copy(moved, tmp_path):
    """A copy of both buckets and the state, with the state's bucket
    directories pointed at the copies, to tamper with."""
    first, second, state = moved
    c1, c2, cs = tmp_path / "first", tmp_path / "second", tmp_path / "state"
    for src, dst in ((first, c1), (second, c2), (state, cs)):
        subprocess.run(["cp", "-a", str(src), str(dst)], check=True)
    p = cs / "chain" / "hostrail.json"
    text = p.read_text().replace(json.dumps(str(second))[1:-1], str(c2))
    text = text.replace(json.dumps(str(first))[1:-1], str(c1))
    p.write_text(text)
    return c1, c2, cs


@pytest.mark.parametrize("which", [0, 1])
def test_an_edited_log_file_in_either_bucket_is_named(copy, which):
    bucket, state = copy[which], copy[2]
    key = files(bucket, "CloudTrail")[-1]
    path = bucket / key
    raw = gzip.decompress(path.read_bytes())
    assert b'"Setuid"' in raw or b'"StopLogging"' in raw or b'"UpdateTrail"' in raw
    path.write_bytes(gzip.compress(raw.replace(b'"eventVersion"', b'"eventVersioN"', 1)))
    r = validate(bucket, state)
    assert r.returncode == 1, r.stdout + r.stderr
    assert invalid(r, "Log", key, "hash value doesn't match"), r.stderr
    # the other bucket is untouched and still valid
    other = copy[1 - which]
    assert validate(other, state).returncode == 0


def test_the_first_buckets_newest_digest_is_still_checked(copy):
    """Deleting the old bucket's final digest: aws-cli's walk would not
    notice; the state's record of that bucket does."""
    first, second, state = copy
    key = files(first, "CloudTrail-Digest")[-1]
    os.unlink(first / key)
    os.unlink(first / (key + ".meta.json"))
    r = validate(first, state)
    assert r.returncode == 1, r.stdout + r.stderr
    assert invalid(r, "Digest", key, "not found"), r.stderr
    assert validate(second, state).returncode == 0

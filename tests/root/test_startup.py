"""Issue 2: what the agent does when it cannot start: one clear sentence and a
non-zero exit, never a crash, and nothing half-written."""
import subprocess

from conftest import HOSTRAILD, start_agent


def run_daemon(args, user=None, timeout=60):
    cmd = [HOSTRAILD] + args
    if user is not None:
        cmd = ["setpriv", "--reuid", str(user.pw_uid), "--regid", str(user.pw_gid),
               "--clear-groups"] + cmd
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def one_sentence(stderr):
    lines = [l for l in stderr.splitlines() if l.strip()]
    return lines[-1] if lines else ""


def test_not_root_is_refused_in_one_sentence(tmp_path, unprivileged_user):
    r = run_daemon(["--bucket-dir", str(tmp_path / "bucket"), "--state-dir",
                    str(tmp_path / "state")], user=unprivileged_user)
    assert r.returncode == 1, r
    assert one_sentence(r.stderr) == ("hostraild: hostraild must run as root: it loads BPF "
                                      "programs and reads every process's identity")


def test_unwritable_bucket_directory_is_refused(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("a regular file where a directory should be")
    r = run_daemon(["--bucket-dir", str(blocker / "bucket"), "--state-dir",
                    str(tmp_path / "state")])
    assert r.returncode == 1, r
    assert one_sentence(r.stderr) == (f"hostraild: the bucket directory {blocker}/bucket "
                                      "cannot be created: Not a directory")


def test_malformed_config_names_file_path_and_reason(tmp_path):
    cfg = tmp_path / "hostrail.json"
    cfg.write_text('{"accountId": "123456789012", "trails": [{"name": "t", "batchSecs": 5}]}')
    r = run_daemon(["--config", str(cfg), "--check-config"])
    assert r.returncode == 1
    assert r.stderr.strip() == (f"hostraild: refused configuration: {cfg}: "
                                "$.trails[0].batchSecs: unknown field")
    cfg.write_text('{"accountId": 12}')
    r = run_daemon(["--config", str(cfg), "--check-config"])
    assert r.returncode == 1
    assert r.stderr.strip().endswith(f"{cfg}: $.accountId: expected a string")
    cfg.write_text('{"accountId": "1234", ')
    r = run_daemon(["--config", str(cfg), "--check-config"])
    assert r.returncode == 1
    assert f"{cfg}: line 1" in r.stderr
    cfg.write_text('{"accountId": "123456789012", "region": "web-1", "trails": '
                   '[{"name": "main", "bucketDir": "/srv/trail", "batchSeconds": 60}]}')
    r = run_daemon(["--config", str(cfg), "--check-config"])
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"{cfg}: configuration is valid"


def test_bad_option_values_are_refused(tmp_path):
    r = run_daemon(["--batch-seconds", "0"])
    assert r.returncode == 2
    assert "--batch-seconds takes a whole number of seconds from 1 to 86400, not '0'" in r.stderr
    r = run_daemon(["--account-id", "12x", "--check-config"])
    assert r.returncode == 1
    assert r.stderr.strip().endswith("$.accountId: must be 12 digits")


def test_options_override_the_config_file(tmp_path):
    cfg = tmp_path / "hostrail.json"
    cfg.write_text('{"accountId": "111122223333", "trails": [{"name": "fromfile", '
                   '"bucketDir": "/nonexistent/ignored", "batchSeconds": 60}]}')
    a = start_agent(tmp_path, extra_args=["--config", str(cfg), "--trail-name", "fromcli"])
    a.stop()
    from conftest import read_records
    recs = read_records(a.bucket)
    assert recs[0]["eventName"] == "StartLogging"
    assert recs[0]["requestParameters"] == {"name": "fromcli"}
    # start_agent passes --account-id 123456789012, which beats the file's
    assert recs[0]["recipientAccountId"] == "123456789012"

"""Issue 4: logins, su and sudo as sign-in events, and the session on every
record. Real peers only: our own openssh-server on 127.0.0.1, real users and
keys, sshpass, su and sudo driven on a real pseudo-terminal; every record is
read back from the delivered log files and checked field by field."""
import datetime
import glob
import gzip
import json
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid

import pytest

from conftest import HOSTRAIL, journal_entries, read_records, require, start_agent
from test_journal import check_entry

ACCOUNT = "123456789012"
REGION = "testhost"
PY = "/usr/bin/python3"
HIDDEN = "HIDDEN_DUE_TO_SECURITY_REASONS"
EVENT_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
HERE = os.path.dirname(os.path.abspath(__file__))
MSGID_SIGNIN = "670890bbfc574d09b12bd8fd827dc097"
MSGID_SIGNIN_FAILED = "9a707f79b79e4bd1abdc9e9b21d18b36"
MSGID_CALL_FAILED = "32b0ff38c9cf4a5ba394f8baf7dc8b54"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class World:
    """Users, keys and an sshd of our own, removed at the end."""

    def __init__(self):
        tag = "%05d" % (os.getpid() % 100000)
        self.dir = tempfile.mkdtemp(prefix="hrlogins-")
        os.chmod(self.dir, 0o755)
        self.login = "hrla" + tag          # logs in over ssh, may sudo
        self.target = "hrlb" + tag         # su target, not in sudoers
        self.pw = {self.login: "Hr-Pw-A-" + secrets.token_hex(6),
                   self.target: "Hr-Pw-B-" + secrets.token_hex(6)}
        self.sudoers = "/etc/sudoers.d/hostrail-test-" + tag
        self.users = []
        self.sshd = None
        self.port = free_port()

    def secrets(self):
        return list(self.pw.values())

    def setup(self):
        for name in (self.login, self.target):
            subprocess.run(["useradd", "-m", "-s", "/bin/bash", name], check=True,
                           capture_output=True)
            self.users.append(name)
            subprocess.run(["chpasswd"], input=f"{name}:{self.pw[name]}\n", text=True,
                           check=True, capture_output=True)
        keys = os.path.join(self.dir, "keys")
        os.mkdir(keys)
        os.chmod(keys, 0o755)
        for k in ("host", "good", "bad"):
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f",
                            os.path.join(self.dir, k)], check=True)
        shutil.copy(os.path.join(self.dir, "good.pub"), os.path.join(keys, self.login))
        os.chmod(os.path.join(keys, self.login), 0o644)
        shutil.copy(os.path.join(HERE, "pty_answer.py"), os.path.join(self.dir, "pty_answer.py"))
        os.chmod(os.path.join(self.dir, "pty_answer.py"), 0o755)
        cfg = os.path.join(self.dir, "sshd_config")
        with open(cfg, "w") as f:
            f.write(f"""ListenAddress 127.0.0.1
Port {self.port}
HostKey {self.dir}/host
PidFile {self.dir}/sshd.pid
UsePAM yes
PasswordAuthentication yes
KbdInteractiveAuthentication yes
PubkeyAuthentication yes
AuthorizedKeysFile {keys}/%u
StrictModes no
PermitRootLogin no
MaxAuthTries 10
""")
        os.makedirs("/run/sshd", exist_ok=True)
        self.sshd = subprocess.Popen(["/usr/sbin/sshd", "-D", "-f", cfg, "-E",
                                      os.path.join(self.dir, "sshd.log")])
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("sshd did not listen: " + self.sshd_log())

    def sshd_log(self):
        try:
            return open(os.path.join(self.dir, "sshd.log")).read()
        except OSError:
            return ""

    def teardown(self):
        if self.sshd and self.sshd.poll() is None:
            self.sshd.send_signal(signal.SIGTERM)
            try:
                self.sshd.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.sshd.kill()
                self.sshd.wait()
        if os.path.exists(self.sudoers):
            os.unlink(self.sudoers)
        for name in self.users:
            # the user's own session processes (ours) go first
            subprocess.run(["pkill", "-KILL", "-u", name], capture_output=True)
            subprocess.run(["userdel", "-r", name], capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)

    def allow_sudo(self):
        with open(self.sudoers, "w") as f:
            f.write(f"{self.login} ALL=(ALL) ALL\n")
        os.chmod(self.sudoers, 0o440)

    def ssh_args(self, user, method, key=None):
        args = ["ssh", "-F", "/dev/null", "-p", str(self.port), "-o", "StrictHostKeyChecking=no",
                "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
                "-o", "ConnectTimeout=10", "-o", "IdentitiesOnly=yes",
                "-o", "PreferredAuthentications=" + method]
        if key:
            args += ["-o", "BatchMode=yes", "-i", os.path.join(self.dir, key)]
        else:
            args += ["-o", "PubkeyAuthentication=no", "-o", "NumberOfPasswordPrompts=1"]
        return args + [f"{user}@127.0.0.1"]

    def ssh(self, user, method, command="true", password=None, key=None, timeout=60):
        args = self.ssh_args(user, method, key)
        if password is not None:
            args = ["sshpass", "-p", password] + args
        return subprocess.run(args + [command], capture_output=True, text=True, timeout=timeout)

    def answered(self, password, command):
        """A shell command line that runs command answering its password prompt."""
        return f"{PY} {self.dir}/pty_answer.py '{password}' {command}"


@pytest.fixture(scope="module")
def world():
    require(os.path.exists("/usr/sbin/sshd"), "openssh-server (/usr/sbin/sshd)")
    require(shutil.which("sshpass"), "sshpass")
    require(os.path.exists("/usr/bin/sudo"), "sudo")
    w = World()
    try:
        w.setup()
        yield w
    finally:
        w.teardown()


@pytest.fixture
def agent(tmp_path, journald):
    # journald first: every record also goes there, and is checked there
    a = start_agent(tmp_path, extra_args=["--batch-seconds", "1"])
    yield a
    if a.proc.poll() is None:
        a.kill()


def wait_records(agent, pred, what, timeout=30):
    """Records delivered so far, once pred(records) holds (batches every second)."""
    deadline = time.monotonic() + timeout
    while True:
        recs = read_records(agent.bucket)
        if pred(recs):
            return recs
        if time.monotonic() > deadline:
            raise AssertionError("no %s within %ss; got %r\nagent log:\n%s"
                                 % (what, timeout, [(r["eventName"], r.get("responseElements"))
                                                    for r in recs], agent.log()))
        time.sleep(0.3)


def signins(recs, name, user_agent=None):
    """Sign-in records in the order they happened (files of one delivery
    minute are not ordered by name)."""
    return sorted([r for r in recs if r["eventName"] == name and
                   r["eventSource"] in ("signin.linux", "sts.linux") and
                   (user_agent is None or r["userAgent"] == user_agent)],
                  key=lambda r: r["additionalEventData"]["eventTimeNanos"])


def of_user(recs, name):
    return [r for r in recs if r["userIdentity"].get("userName") == name or
            r["userIdentity"].get("sessionContext", {}).get("sessionIssuer", {})
            .get("userName") == name]


# ---- checks shared by every sign-in record ----

def check_envelope(rec, source, name, event_type):
    assert rec["eventVersion"] == "1.11"
    assert EVENT_TIME.match(rec["eventTime"]), rec["eventTime"]
    assert rec["eventSource"] == source
    assert rec["eventName"] == name
    assert rec["awsRegion"] == REGION
    assert rec["eventType"] == event_type
    assert rec["managementEvent"] is True
    assert rec["readOnly"] is False
    assert rec["recipientAccountId"] == ACCOUNT
    assert rec["eventCategory"] == "Management"
    assert str(uuid.UUID(rec["eventID"])) == rec["eventID"]
    assert isinstance(rec["requestID"], str) and rec["requestID"]
    extra = rec["additionalEventData"]
    assert extra["MobileVersion"] == "No"
    assert extra["MFAUsed"] == "No"
    assert isinstance(extra["eventTimeNanos"], int)
    assert extra["process"]["pid"] > 0


def check_iam_user(ui, user, session=False):
    assert ui["type"] == "IAMUser"
    assert ui["principalId"] == str(user.pw_uid)
    assert ui["arn"] == f"arn:hostrail:iam:{REGION}:{ACCOUNT}:user/{user.pw_name}"
    assert ui["accountId"] == ACCOUNT
    assert ui["userName"] == user.pw_name
    if session:
        assert re.match(r"^HRS[0-9A-F]{16}S\d+$", ui["accessKeyId"]), ui
        attrs = ui["sessionContext"]["attributes"]
        assert EVENT_TIME.match(attrs["creationDate"]), attrs
        assert attrs["mfaAuthenticated"] == "false"
    else:
        assert "accessKeyId" not in ui and "sessionContext" not in ui, ui


def check_console_login(rec, user, success, method, reason=None):
    check_envelope(rec, "signin.linux", "ConsoleLogin", "AwsConsoleSignIn")
    assert rec["sourceIPAddress"] == "127.0.0.1"
    assert rec["userAgent"] == "sshd"
    assert rec["requestParameters"] is None
    assert rec["responseElements"] == {"ConsoleLogin": "Success" if success else "Failure"}
    extra = rec["additionalEventData"]
    assert extra["LoginTo"] == f"ssh://{REGION}"
    assert extra["authMethod"] == method
    assert extra["pamService"] == "sshd"
    if success:
        assert "errorMessage" not in rec and "errorCode" not in rec
        assert isinstance(extra["sessionId"], int)
        assert rec["userIdentity"]["accessKeyId"].endswith("S%d" % extra["sessionId"])
        check_iam_user(rec["userIdentity"], user, session=True)
    else:
        assert rec["errorMessage"] == "Failed authentication"
        assert "errorCode" not in rec
        assert "sessionId" not in extra
        assert extra["failedAttempts"] >= 1
        if reason:
            assert extra["reason"] == reason
        if user is None:
            ui = rec["userIdentity"]
            assert ui == {"type": "IAMUser", "principalId": "", "accountId": ACCOUNT,
                          "userName": HIDDEN}, ui
        else:
            check_iam_user(rec["userIdentity"], user)


def lookup_events(agent, key=None, value=None):
    """hostrail lookup-events over the agent's history, every page."""
    args = [HOSTRAIL, "lookup-events", "--state-dir", str(agent.state)]
    if key:
        args += ["--lookup-attributes", f"AttributeKey={key},AttributeValue={value}"]
    r = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)["Events"]


def not_to(recs, sink):
    """The records a sink was given: all but the LostEvents about itself."""
    return [r for r in recs if not (r["eventName"] == "LostEvents" and
                                    r["serviceEventDetails"]["sink"] == sink)]


def secret_places(agent):
    """Every place a record or the agent's words end up: its log, the
    bucket, the state directory (history.db as stored), what it sent to
    journald and what the history gives back (records are deflated in
    history.db, so they are read back whole). Call after agent.stop()."""
    places = [agent.log_path]
    for root in (agent.bucket, agent.state):
        places += [p for p in glob.glob(os.path.join(str(root), "**", "*"), recursive=True)
                   if os.path.isfile(p)]
    recs = read_records(agent.bucket)
    want = len(not_to(recs, "journald"))
    journal = journal_entries(want=want, since=agent.started, _PID=str(agent.proc.pid),
                              _COMM="hostraild")
    assert len(journal) == want, (len(journal), want)
    history = lookup_events(agent)
    assert len(history) == len(not_to(recs, "history")), (len(history), len(recs))
    dumps = agent.log_path.parent / f"sinks-{agent.proc.pid}.json"
    dumps.write_text(json.dumps({"journal": journal, "history": history}))
    return places + [dumps]


def check_journal(rec, user_name, message, priority, message_id):
    """The record's journald entry: every field, the line, the family."""
    (e,) = journal_entries(HOSTRAIL_EVENT_ID=rec["eventID"])
    check_entry(e, rec)
    assert e["HOSTRAIL_USER_NAME"] == user_name
    assert e["MESSAGE"] == message
    assert e["PRIORITY"] == priority
    assert e["MESSAGE_ID"] == message_id


def check_history(event, rec, user_name, key):
    """One lookup-events answer against the delivered record."""
    assert event["EventId"] == rec["eventID"]
    assert event["EventName"] == rec["eventName"]
    assert event["EventSource"] == rec["eventSource"]
    assert event["ReadOnly"] == "false"
    assert event["Username"] == user_name
    if key:
        assert event["AccessKeyId"] == key
    else:
        assert "AccessKeyId" not in event
    assert json.loads(event["CloudTrailEvent"]) == rec


def assert_nowhere(secrets_, places):
    for path in places:
        data = open(path, "rb").read()
        if str(path).endswith(".gz"):
            data = gzip.decompress(data)
        for s in secrets_:
            assert s.encode() not in data, f"{s!r} found in {path}"


def utc_seconds(text):
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()


# ---- ssh ----

def test_ssh_password_login_session_and_logout(world, agent):
    user = pwd.getpwnam(world.login)
    r = world.ssh(world.login, "password", password=world.pw[world.login],
                  command="hostname hr-denied-1; cat /proc/self/sessionid")
    assert "you must be root" in r.stderr, (r.returncode, r.stdout, r.stderr)
    sid = int(r.stdout.strip())
    recs = wait_records(agent, lambda rs: of_user(signins(rs, "ConsoleLogout"), user.pw_name),
                        "ConsoleLogout")
    login = [x for x in of_user(signins(recs, "ConsoleLogin"), user.pw_name)
             if x["additionalEventData"].get("sessionId") == sid]
    assert len(login) == 1, login
    login = login[0]
    check_console_login(login, user, True, "password")
    key = login["userIdentity"]["accessKeyId"]

    # a system call inside the session carries the session
    call = [x for x in recs if x["eventName"] == "Sethostname" and
            x["requestParameters"].get("name") == "hr-denied-1"]
    assert len(call) == 1, call
    call = call[0]
    assert call["errorCode"] == "EPERM"
    assert call["sourceIPAddress"] == "127.0.0.1"
    check_iam_user(call["userIdentity"], user, session=True)
    assert call["userIdentity"]["accessKeyId"] == key
    assert (call["userIdentity"]["sessionContext"]["attributes"]["creationDate"] ==
            login["userIdentity"]["sessionContext"]["attributes"]["creationDate"])
    assert call["additionalEventData"]["sessionId"] == sid
    assert call["additionalEventData"]["loginUid"] == user.pw_uid

    logout = [x for x in signins(recs, "ConsoleLogout")
              if x["additionalEventData"].get("sessionId") == sid]
    assert len(logout) == 1, logout
    logout = logout[0]
    check_envelope(logout, "signin.linux", "ConsoleLogout", "AwsConsoleSignIn")
    assert logout["responseElements"] == {"ConsoleLogout": "Success"}
    assert logout["sourceIPAddress"] == "127.0.0.1"
    assert logout["userIdentity"]["accessKeyId"] == key
    assert not signins(recs, "ConsoleLogin", "sshd")[0].get("errorMessage")
    agent.stop()
    recs = read_records(agent.bucket)

    # journald: the login, the refused call inside the session, the logout
    via = f"{user.pw_name} (ssh from 127.0.0.1)"
    check_journal(login, user.pw_name, f"{via} ConsoleLogin: Success", "5", MSGID_SIGNIN)
    check_journal(call, user.pw_name, f"{via} Sethostname to hr-denied-1: EPERM", "5", MSGID_CALL_FAILED)
    check_journal(logout, user.pw_name, f"{via} ConsoleLogout: Success", "6", MSGID_SIGNIN)

    # the history: the session's key finds its login, its calls, its logout
    events = lookup_events(agent, "AccessKeyId", key)
    assert all(e["AccessKeyId"] == key for e in events), events
    assert sorted(e["EventId"] for e in events) == sorted(
        r["eventID"] for r in recs if r["userIdentity"].get("accessKeyId") == key)
    times = [e["EventTime"] for e in events]
    assert times == sorted(times, reverse=True)          # newest first
    by_id = {e["EventId"]: e for e in events}
    for rec in (login, call, logout):
        check_history(by_id[rec["eventID"]], rec, user.pw_name, key)
    assert (login["eventID"] in {e["EventId"] for e in lookup_events(agent, "Username",
                                                                       user.pw_name)})
    assert_nowhere(world.secrets(), secret_places(agent))


def test_ssh_wrong_password_is_a_failed_login(world, agent):
    user = pwd.getpwnam(world.login)
    wrong = "Hr-Wrong-" + secrets.token_hex(6)
    r = world.ssh(world.login, "password", password=wrong)
    assert r.returncode != 0
    recs = wait_records(agent, lambda rs: of_user(signins(rs, "ConsoleLogin"), user.pw_name),
                        "ConsoleLogin failure")
    fails = of_user(signins(recs, "ConsoleLogin"), user.pw_name)
    assert len(fails) == 1, fails
    check_console_login(fails[0], user, False, "password", "PAM_AUTH_ERR: Authentication failure")
    assert fails[0]["additionalEventData"]["failedAttempts"] == 1
    agent.stop()
    # a failed sign-in: warning, its own family, no errorCode field
    check_journal(fails[0], user.pw_name,
                  f"{user.pw_name} (ssh from 127.0.0.1) ConsoleLogin: Failure", "4",
                  MSGID_SIGNIN_FAILED)
    (e,) = [e for e in lookup_events(agent, "Username", user.pw_name)
            if e["EventName"] == "ConsoleLogin"]
    check_history(e, fails[0], user.pw_name, None)
    assert_nowhere([wrong] + world.secrets(), secret_places(agent))


def success_and_failure(agent, user):
    """The one successful and the one failed ConsoleLogin of user."""
    recs = wait_records(agent, lambda rs: len(of_user(signins(rs, "ConsoleLogin"),
                                                      user.pw_name)) >= 2, "two ConsoleLogins")
    got = of_user(signins(recs, "ConsoleLogin"), user.pw_name)
    assert len(got) == 2, got
    ok = [x for x in got if x["responseElements"]["ConsoleLogin"] == "Success"]
    bad = [x for x in got if x["responseElements"]["ConsoleLogin"] == "Failure"]
    assert len(ok) == 1 and len(bad) == 1, got
    return ok[0], bad[0]


def test_ssh_keyboard_interactive_right_and_wrong(world, agent):
    user = pwd.getpwnam(world.login)
    r = world.ssh(world.login, "keyboard-interactive", password=world.pw[world.login])
    assert r.returncode == 0, r.stderr
    wrong = "Hr-Wrong-" + secrets.token_hex(6)
    r = world.ssh(world.login, "keyboard-interactive", password=wrong)
    assert r.returncode != 0
    ok, bad = success_and_failure(agent, user)
    check_console_login(ok, user, True, "keyboard-interactive")
    check_console_login(bad, user, False, "keyboard-interactive",
                        "PAM_AUTH_ERR: Authentication failure")
    agent.stop()
    assert_nowhere([wrong] + world.secrets(), secret_places(agent))


def test_ssh_public_key_right_and_wrong(world, agent):
    user = pwd.getpwnam(world.login)
    r = world.ssh(world.login, "publickey", key="good")
    assert r.returncode == 0, r.stderr
    r = world.ssh(world.login, "publickey", key="bad")
    assert r.returncode != 0
    ok, bad = success_and_failure(agent, user)
    check_console_login(ok, user, True, "publickey")
    # a refused key makes no PAM call: sshd's own audit report marks it
    check_console_login(bad, user, False, "publickey")
    assert "reason" not in bad["additionalEventData"]


def test_ssh_unknown_user_is_hidden(world, agent):
    # people type their password into the user field: the name must not appear
    typed = "hrPwTypedAsUser" + secrets.token_hex(4)
    r = world.ssh(typed, "password", password="Hr-Any-" + secrets.token_hex(4))
    assert r.returncode != 0
    r = world.ssh(typed, "publickey", key="bad")
    assert r.returncode != 0
    recs = wait_records(agent, lambda rs: len([x for x in signins(rs, "ConsoleLogin")
                                               if x["userIdentity"].get("userName") == HIDDEN])
                        >= 2, "two hidden ConsoleLogins")
    hidden = [x for x in signins(recs, "ConsoleLogin") if x["userIdentity"].get("userName") == HIDDEN]
    assert len(hidden) == 2, hidden
    by_method = {x["additionalEventData"]["authMethod"]: x for x in hidden}
    check_console_login(by_method["password"], None, False, "password",
                        "PAM_AUTH_ERR: Authentication failure")
    check_console_login(by_method["publickey"], None, False, "publickey")
    agent.stop()
    assert_nowhere([typed], secret_places(agent))


# ---- su and sudo, inside an ssh session ----

def in_session(world, command):
    return world.ssh(world.login, "publickey", key="good", command=command)


def check_switch(rec, login_user, target, success):
    check_envelope(rec, "signin.linux", "SwitchRole", "AwsConsoleSignIn")
    assert rec["sourceIPAddress"] == "127.0.0.1"
    assert rec["userAgent"] == "su"
    assert rec["requestParameters"] is None
    assert rec["responseElements"] == {"SwitchRole": "Success" if success else "Failure"}
    check_iam_user(rec["userIdentity"], login_user, session=True)
    extra = rec["additionalEventData"]
    assert extra["LoginTo"] == f"su://{REGION}"
    assert extra["authMethod"] == "password"
    assert extra["pamService"] == "su"
    assert extra["SwitchFrom"] == f"arn:hostrail:iam:{REGION}:{ACCOUNT}:user/{login_user.pw_name}"
    assert extra["SwitchTo"] == f"arn:hostrail:iam:{REGION}:{ACCOUNT}:user/{target.pw_name}"
    assert extra["tty"].startswith("/dev/pts/")
    if success:
        assert "errorMessage" not in rec
    else:
        assert rec["errorMessage"] == "Failed authentication"
        assert extra["reason"] == "PAM_AUTH_ERR: Authentication failure"


def test_su_right_and_wrong_password(world, agent):
    user, target = pwd.getpwnam(world.login), pwd.getpwnam(world.target)
    r = in_session(world, world.answered(world.pw[world.target],
                                         f"su {world.target} -c 'hostname hr-denied-su'"))
    assert "you must be root" in r.stdout, (r.stdout, r.stderr)
    wrong = "Hr-Wrong-" + secrets.token_hex(6)
    r = in_session(world, world.answered(wrong, f"su {world.target} -c true"))
    assert "Authentication failure" in r.stdout, (r.stdout, r.stderr)
    recs = wait_records(agent, lambda rs: len(signins(rs, "SwitchRole")) >= 2, "two SwitchRoles")
    sw = signins(recs, "SwitchRole")
    assert len(sw) == 2, sw
    check_switch(sw[0], user, target, True)
    check_switch(sw[1], user, target, False)
    # after su the session's calls are the target's, issued by the login user
    call = [x for x in recs if x["eventName"] == "Sethostname" and
            x["requestParameters"].get("name") == "hr-denied-su"]
    assert len(call) == 1, call
    ui = call[0]["userIdentity"]
    assert ui["type"] == "AssumedRole"
    assert ui["arn"] == (f"arn:hostrail:sts:{REGION}:{ACCOUNT}:assumed-role/"
                         f"{target.pw_name}/{user.pw_name}")
    assert ui["principalId"] == f"{target.pw_uid}:{user.pw_name}"
    issuer = ui["sessionContext"]["sessionIssuer"]
    assert issuer["userName"] == user.pw_name and issuer["principalId"] == str(user.pw_uid)
    assert ui["accessKeyId"] == sw[0]["userIdentity"]["accessKeyId"]
    assert call[0]["sourceIPAddress"] == "127.0.0.1"
    agent.stop()
    assert_nowhere([wrong] + world.secrets(), secret_places(agent))


def check_assume(rec, caller, target, command, success, message=None):
    check_envelope(rec, "sts.linux", "AssumeRole", "AwsApiCall")
    assert rec["sourceIPAddress"] == "127.0.0.1"
    assert rec["userAgent"] == "sudo"
    check_iam_user(rec["userIdentity"], caller, session=True)
    tarn = (f"arn:hostrail:iam:{REGION}:{ACCOUNT}:root" if target.pw_uid == 0 else
            f"arn:hostrail:iam:{REGION}:{ACCOUNT}:user/{target.pw_name}")
    assert rec["requestParameters"] == {"roleArn": tarn, "roleSessionName": caller.pw_name,
                                        "targetUser": target.pw_name, "command": command}
    extra = rec["additionalEventData"]
    assert extra["LoginTo"] == f"sudo://{REGION}"
    assert extra["pamService"] == "sudo"
    if success:
        assert "errorCode" not in rec and "errorMessage" not in rec
        assert rec["responseElements"] == {"assumedRoleUser": {
            "assumedRoleId": f"{target.pw_uid}:{caller.pw_name}",
            "arn": f"arn:hostrail:sts:{REGION}:{ACCOUNT}:assumed-role/"
                   f"{target.pw_name}/{caller.pw_name}"}}
    else:
        assert rec["responseElements"] is None
        assert rec["errorCode"] == "AccessDenied"
        assert rec["errorMessage"] == message


def test_sudo_allowed_wrong_password_and_not_in_sudoers(world, agent):
    user, target, root = (pwd.getpwnam(world.login), pwd.getpwnam(world.target),
                          pwd.getpwnam("root"))
    world.allow_sudo()
    try:
        r = in_session(world, world.answered(world.pw[world.login],
                                             f"sudo -u {world.target} hostname hr-denied-sudo"))
        assert "you must be root" in r.stdout, (r.stdout, r.stderr)
        wrong = "Hr-Wrong-" + secrets.token_hex(6)
        r = in_session(world, "sudo -k; " + world.answered(wrong, "sudo id -u"))
        assert "incorrect password" in r.stdout, (r.stdout, r.stderr)
    finally:
        os.unlink(world.sudoers)
    # the target user logs in and tries sudo: not in sudoers
    r = world.ssh(world.target, "password", password=world.pw[world.target],
                  command=world.answered(world.pw[world.target], "sudo -u root id -u"))
    assert "not in the sudoers file" in r.stdout, (r.stdout, r.stderr)

    recs = wait_records(agent, lambda rs: len(signins(rs, "AssumeRole")) >= 3, "three AssumeRoles")
    ar = signins(recs, "AssumeRole")
    assert len(ar) == 3, ar
    check_assume(ar[0], user, target, "hostname hr-denied-sudo", True)
    check_assume(ar[1], user, root, "id -u", False, "Failed authentication")
    assert ar[1]["additionalEventData"]["failedAttempts"] == 3
    assert ar[1]["additionalEventData"]["reason"] == "PAM_AUTH_ERR: Authentication failure"
    check_assume(ar[2], target, root, "id -u", False, "Not allowed by the sudoers policy")
    assert ar[2]["additionalEventData"]["authMethod"] == "password"

    # after sudo: AssumedRole, with the login user as sessionIssuer
    call = [x for x in recs if x["eventName"] == "Sethostname" and
            x["requestParameters"].get("name") == "hr-denied-sudo"]
    assert len(call) == 1, call
    ui = call[0]["userIdentity"]
    assert ui["type"] == "AssumedRole"
    assert ui["sessionContext"]["sessionIssuer"]["userName"] == user.pw_name
    assert ui["accessKeyId"] == ar[0]["userIdentity"]["accessKeyId"]
    assert call[0]["sourceIPAddress"] == "127.0.0.1"
    agent.stop()
    assert_nowhere([wrong] + world.secrets(), secret_places(agent))


# ---- restart ----

def test_session_is_rebuilt_after_agent_restart(world, tmp_path):
    user = pwd.getpwnam(world.login)
    # The session's late call waits for this file, made once the second
    # agent is ready: a restart takes as long as it takes on a busy host.
    go = os.path.join(world.dir, "go-" + uuid.uuid4().hex)
    first = start_agent(tmp_path, extra_args=["--batch-seconds", "1"])
    wait_go = f"i=0; while [ ! -e {go} ] && [ $i -lt 1200 ]; do sleep 0.1; i=$((i+1)); done"
    ssh = subprocess.Popen(world.ssh_args(world.login, "publickey", "good") +
                           [f"cat /proc/self/sessionid; echo; {wait_go}; hostname hr-denied-late"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        sid = int(ssh.stdout.readline().strip())
        recs = wait_records(first, lambda rs: [x for x in signins(rs, "ConsoleLogin")
                                               if x["additionalEventData"].get("sessionId") == sid],
                            "the ConsoleLogin")
        login = [x for x in signins(recs, "ConsoleLogin")
                 if x["additionalEventData"].get("sessionId") == sid][0]
        first.stop()
        second = start_agent(tmp_path, bucket=first.bucket, state=first.state,
                             extra_args=["--batch-seconds", "1"])
        assert ssh.poll() is None, "the ssh session ended before the agent restarted: %s" % (
            ssh.stderr.read())
        open(go, "w").close()
        ssh.wait(timeout=60)

        def late(rs):
            return [x for x in rs if x["eventName"] == "Sethostname" and
                    x["requestParameters"].get("name") == "hr-denied-late"]
        recs = wait_records(second, late, "the session's Sethostname")
        call = late(recs)[0]
        assert call["sourceIPAddress"] == "127.0.0.1"
        check_iam_user(call["userIdentity"], user, session=True)
        assert call["userIdentity"]["accessKeyId"] == login["userIdentity"]["accessKeyId"]
        # rebuilt from the session's oldest process: within seconds of the login
        t_login = utc_seconds(login["userIdentity"]["sessionContext"]["attributes"]["creationDate"])
        t_call = utc_seconds(call["userIdentity"]["sessionContext"]["attributes"]["creationDate"])
        assert abs(t_call - t_login) <= 3, (t_login, t_call)
        second.stop()
    finally:
        if ssh.poll() is None:
            ssh.kill()
            ssh.wait()
        if os.path.exists(go):
            os.unlink(go)

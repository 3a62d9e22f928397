"""hostraild under a service manager: what systemd's Type=notify service in
packaging/debian/ relies on, spoken over a real NOTIFY_SOCKET (systemd's
own protocol) by the real agent. READY=1 comes only once every program is
attached, WATCHDOG=1 comes from the main loop at half the period, STATUS=
says what it does, STOPPING=1 comes at SIGTERM."""
import re
import signal
import subprocess

from conftest import read_records, records_where, start_agent


def _lines(messages):
    return [line for m in messages for line in m.split("\n") if line]


def test_ready_means_attached_and_the_loop_feeds_the_watchdog(tmp_path):
    agent = start_agent(tmp_path, extra_args=["--batch-seconds", "1"],
                        env={"WATCHDOG_USEC": "1000000"})
    m = re.search(r"^STATUS=recording (\d+) system calls$", agent.ready, re.M)
    assert m and int(m.group(1)) > 20, agent.ready

    # The first call made after READY=1 is recorded: nothing attaches later.
    child = subprocess.run(["python3", "-c", "import os; os.setgid(0); print(os.getpid())"],
                           capture_output=True, text=True, check=True)
    pid = int(child.stdout)

    # WATCHDOG_USEC=1 s: a ping every half second or so from the loop.
    got = agent.notifications(lambda ms: _lines(ms).count("WATCHDOG=1") >= 3, timeout=20)
    status = [line for line in _lines(got) if line.startswith("STATUS=")]
    assert all(re.fullmatch(r"STATUS=recording \d+ system calls for 1 trail; \d+ records", s)
               for s in status), status

    agent.proc.send_signal(signal.SIGTERM)
    got = agent.notifications(lambda ms: "STOPPING=1" in _lines(ms))
    assert "STATUS=delivering the open batches and the final digest" in _lines(got)
    agent.stop()

    setgid = [r for r in records_where(read_records(agent.bucket), eventName="Setgid")
              if r["requestParameters"].get("gid") == 0 and
              r["additionalEventData"]["process"]["pid"] == pid]
    assert len(setgid) == 1, "the setgid made right after READY=1 was not recorded"
    assert setgid[0]["eventSource"] == "identity.linux"
    assert "errorCode" not in setgid[0]


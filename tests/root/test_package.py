"""The Debian package (packaging/debian/, `make deb`), installed, upgraded,
removed and purged for real with dpkg, in a throwaway copy of this machine:
a mount namespace with an overlay over / (writes land in a tmpfs), so the
host itself is never changed. The installed agent runs from the package's
own files and conffile and records into its default bucket."""
import os
import re
import shutil
import subprocess
import time

import pytest

from conftest import DEB_VERSION, require

VERSION = DEB_VERSION  # packaging/debian/changelog's
UNIT = "lib/systemd/system/hostraild.service"


@pytest.fixture(scope="module")
def deb(package_build):
    """This checkout's package, and a 'previous build' of it: the same files
    at a lower version, as the last release would be."""
    build = package_build
    new = build / "deb" / ("hostrail_%s_amd64.deb" % VERSION)
    tree = build / "prev"
    subprocess.run(["dpkg-deb", "-R", str(new), str(tree)], check=True)
    control = tree / "DEBIAN" / "control"
    control.write_text(re.sub(r"^Version: .*$", "Version: %s~prev1" % VERSION,
                              control.read_text(), flags=re.M))
    prev = build / ("hostrail_%s~prev1_amd64.deb" % VERSION)
    subprocess.run(["dpkg-deb", "--root-owner-group", "-b", str(tree), str(prev)],
                   check=True, capture_output=True)
    return {"new": new, "prev": prev, "unpacked": build / "deb" / ("hostrail-%s" % VERSION)}


class Scratch:
    """A root shell in a copy-on-write view of this machine: / under an
    overlay whose writes go to a tmpfs, gone when the shell exits."""

    SETUP = r"""
set -e
mount -t tmpfs -o mode=0755 scratch "$S"
mkdir "$S/lower" "$S/upper" "$S/work" "$S/root"
mount --bind / "$S/lower"
mount -t overlay overlay -o "lowerdir=$S/lower,upperdir=$S/upper,workdir=$S/work" "$S/root"
mount -t proc proc "$S/root/proc"
mount --rbind /sys "$S/root/sys"
mount --rbind /dev "$S/root/dev"
mkdir -p "$S/root/debs" && mount --bind "$D" "$S/root/debs"
mount -t tmpfs tmpfs "$S/root/run"
mount -t tmpfs tmpfs "$S/root/tmp"
set +e
exec chroot "$S/root" /bin/sh
"""

    def __init__(self, tmp, debdir):
        scratch = tmp / "scratch"
        scratch.mkdir()
        env = dict(os.environ, S=str(scratch), D=str(debdir), DEBIAN_FRONTEND="noninteractive")
        self.p = subprocess.Popen(["unshare", "--mount", "--propagation", "private",
                                   "sh", "-c", self.SETUP], env=env, text=True,
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT)

    def run(self, cmd, ok=True):
        # The marker starts a line of its own even after output that ends
        # without a newline; that one newline is not part of the output.
        self.p.stdin.write("( %s ) </dev/null 2>&1; printf '\\n__rc=%%d\\n' $?\n" % cmd)
        self.p.stdin.flush()
        out = []
        for line in self.p.stdout:
            m = re.fullmatch(r"__rc=(\d+)\n", line)
            if m:
                rc = int(m.group(1))
                out[-1:] = [out[-1][:-1]] if out else []
                assert not ok or rc == 0, "%s: exit %d\n%s" % (cmd, rc, "".join(out))
                return rc, "".join(out)
            out.append(line)
        raise AssertionError("the scratch shell died: %s\n%s" % (cmd, "".join(out)))

    def close(self):
        # An agent a failed step left running would outlive the test.
        self.p.stdin.write("[ -f /tmp/agent.pid ] && kill -KILL $(cat /tmp/agent.pid)\n")
        self.p.stdin.close()
        self.p.wait(timeout=30)


def test_lintian_finds_no_error_and_no_warning(deb):
    require(shutil.which("lintian"), "lintian (Debian: lintian)")
    r = subprocess.run(["lintian", "--fail-on", "error,warning", str(deb["new"])],
                       capture_output=True, text=True)
    tags = [line for line in r.stdout.splitlines() if re.match(r"[EW]: ", line)]
    assert r.returncode == 0 and not tags, r.stdout + r.stderr


def test_the_unit_verifies_and_its_exposure_is_at_most_3(deb):
    unit = deb["unpacked"] / "debian" / "hostrail" / UNIT
    r = subprocess.run(["systemd-analyze", "security", "--offline=true", str(unit)],
                       capture_output=True, text=True)
    m = re.search(r"Overall exposure level for \S+: (\d+\.\d)", r.stdout)
    assert m, r.stdout[-2000:] + r.stderr
    assert float(m.group(1)) <= 3.0, r.stdout
    text = unit.read_text()
    for line in ("Type=notify", "WatchdogSec=30s", "Restart=on-failure",
                 "ExecReload=/bin/kill -HUP $MAINPID", "NoNewPrivileges=yes"):
        assert line in text.splitlines(), line


def test_install_upgrade_remove_purge(deb, tmp_path):
    sh = Scratch(tmp_path, deb["new"].parent.parent)
    prev = "/debs/" + deb["prev"].name
    new = "/debs/deb/" + deb["new"].name
    try:
        sh.run("test ! -e /usr/sbin/hostraild && test ! -e /etc/hostrail && "
               "rm -rf /var/lib/hostrail")
        sh.run("dpkg -i %s" % prev)

        # Installed: programs, unit, conffile, catalog, man pages, completion,
        # and the state directory root's alone.
        _, out = sh.run("stat -c '%a %U %n' /usr/sbin/hostraild /usr/bin/hostrail "
                        "/etc/hostrail/hostrail.json /var/lib/hostrail /" + UNIT +
                        " /usr/lib/systemd/catalog/hostrail.catalog "
                        "/usr/share/man/man8/hostraild.8.gz /usr/share/man/man1/hostrail.1.gz "
                        "/usr/share/man/man5/hostrail.json.5.gz "
                        "/usr/share/bash-completion/completions/hostrail")
        modes = {line.split(" ")[2]: line.split(" ")[:2] for line in out.splitlines()}
        assert modes["/usr/sbin/hostraild"] == ["755", "root"]
        assert modes["/var/lib/hostrail"] == ["700", "root"]
        assert modes["/etc/hostrail/hostrail.json"] == ["644", "root"]
        _, out = sh.run("dpkg-query -W -f='${Conffiles}' hostrail")
        assert "/etc/hostrail/hostrail.json" in out
        _, out = sh.run("hostraild --check-config")
        assert out.strip() == "/etc/hostrail/hostrail.json: configuration is valid", out
        _, out = sh.run("systemd-analyze verify /" + UNIT)
        assert "hostraild.service" not in out, out
        for page in ("hostraild", "hostrail", "hostrail.json"):
            _, out = sh.run("MANWIDTH=200 man -P cat %s 2>/dev/null | sed -n 4p" % page)
            assert out.strip().startswith(page + " - "), out
        _, out = sh.run("bash -c '. /usr/share/bash-completion/completions/hostrail; "
                        "COMP_WORDS=(hostrail val); COMP_CWORD=1; _hostrail; "
                        "echo ${COMPREPLY[*]}; COMP_WORDS=(hostrail validate-logs --buck); "
                        "COMP_CWORD=2; _hostrail; echo ${COMPREPLY[*]}'")
        assert out.split("\n")[:2] == ["validate-logs", "--bucket-dir"], out

        # The operator's change to the conffile survives the upgrade.
        sh.run("sed -i 's/\"historyRetentionDays\": 90/\"historyRetentionDays\": 30/' "
               "/etc/hostrail/hostrail.json")
        sh.run("dpkg -i %s" % new)
        _, out = sh.run("dpkg-query -W -f='${Version}' hostrail")
        assert out == VERSION
        _, out = sh.run("cat /etc/hostrail/hostrail.json")
        assert '"historyRetentionDays": 30' in out

        # The installed agent records on its packaged configuration.
        sh.run("/usr/sbin/hostraild --batch-seconds 1 > /tmp/agent.log 2>&1 & "
               "echo $! > /tmp/agent.pid")
        deadline = time.monotonic() + 90
        while True:
            rc, out = sh.run("ls /var/lib/hostrail/bucket/AWSLogs/000000000000/CloudTrail/*/"
                             "*/*/*/*.json.gz", ok=False)
            if rc == 0:
                break
            assert time.monotonic() < deadline, sh.run("cat /tmp/agent.log")[1]
            time.sleep(0.5)
        sh.run("kill -TERM $(cat /tmp/agent.pid); while kill -0 $(cat /tmp/agent.pid) "
               "2>/dev/null; do sleep 0.2; done")
        _, logs = sh.run("ls /var/lib/hostrail /var/lib/hostrail/keys")
        assert "chain" in logs and "bucket" in logs and ".pem" in logs, logs

        # remove: programs go; conffile, keys, chain and recorded logs stay.
        sh.run("dpkg -r hostrail")
        rc, _ = sh.run("test -e /usr/sbin/hostraild", ok=False)
        assert rc != 0
        sh.run("test -f /etc/hostrail/hostrail.json && test -d /var/lib/hostrail/chain && "
               "ls /var/lib/hostrail/keys/*.pem && "
               "ls /var/lib/hostrail/bucket/AWSLogs/000000000000/CloudTrail/*/*/*/*/*.json.gz")

        # purge: configuration and state go; the recorded logs are evidence.
        sh.run("dpkg -P hostrail")
        for gone in ("/etc/hostrail", "/var/lib/hostrail/keys", "/var/lib/hostrail/chain",
                     "/var/lib/hostrail/spool"):
            rc, _ = sh.run("test -e %s" % gone, ok=False)
            assert rc != 0, gone + " is still there after purge"
        sh.run("ls /var/lib/hostrail/bucket/AWSLogs/000000000000/CloudTrail/*/*/*/*/*.json.gz")
        _, out = sh.run("dpkg-query -W -f='${Status}' hostrail 2>&1", ok=False)
        assert "installed" not in out or "not-installed" in out, out
    finally:
        sh.close()
    # The host itself never saw any of it.
    assert not os.path.exists("/usr/sbin/hostraild")

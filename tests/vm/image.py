#!/usr/bin/python3
"""The real server of the test bed: Debian 12 with systemd as PID 1, sshd and
journald, booted under qemu on a kernel of the matrix (tests/vm/vm.py).

The image is built once with debootstrap from the machine's own Debian mirror
(apt's sources) and turned into an ext4 disk image without mounting anything
(mkfs.ext4 -d). It lives under build/vm/, named by a hash of what goes into
it, so a change to the package list or to tests/vm/system/ builds a new one.
Each boot runs on a throwaway snapshot of it (qemu -snapshot): every run
starts from the same clean server.

A busybox initramfs loads the disk, ext4 and 9p modules, mounts the disk as
the root and the output share at /mnt/hostrail-out, then hands over to
systemd. Once sshd is up, hostrail-vm-run.service runs the share's cmd.sh as
root, writes output.log and rc next to it and powers off. Anything else the
host puts into the share (the .deb under test) is there for cmd.sh.

    tests/vm/image.py build                  build the image (if not cached)
    tests/vm/image.py run SCRIPT [FILE...]   boot it, SCRIPT as cmd.sh, FILEs beside it
"""
import hashlib
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import vm  # noqa: E402

SUITE = "bookworm"
KERNEL = "debian-6.1"  # Debian 12's stock kernel, linux-image-amd64
SYSTEM = vm.ROOT / "tests" / "vm" / "system"
DISK_INIT = vm.ROOT / "tests" / "vm" / "initramfs-disk-init"
DISK_MODULES = ["virtio_pci", "virtio_blk", "crc32c_generic", "ext4", "9pnet_virtio", "9p"]

# A server's own: systemd, logind over dbus, sshd, sudo; then sshpass for the
# guest's logins to itself, and hostrail's run-time libraries (the package's
# Depends): apt cannot reach a mirror from the guest, so dpkg -i must find
# every one installed already.
PACKAGES = [
    "systemd", "systemd-sysv", "udev", "dbus", "libpam-systemd", "openssh-server", "sudo",
    "procps", "kmod", "sshpass",
    "libbpf1", "libc6", "libcurl4", "libelf1", "libjansson4", "libseccomp2", "libsqlite3-0",
    "libssl3", "libsystemd0", "libzstd1", "zlib1g",
]
# Timers and jobs of a real server that only slow a short boot down or wake
# up in the middle of a test.
MASKED = ["apt-daily.timer", "apt-daily-upgrade.timer", "dpkg-db-backup.timer",
          "e2scrub_all.timer", "e2scrub_reap.service", "fstrim.timer",
          "systemd-tmpfiles-clean.timer"]
# Bumped when the way the image is made changes.
RECIPE = 1


def mirror():
    """The Debian mirror apt uses here (one-line or deb822 sources)."""
    texts = []
    for p in [pathlib.Path("/etc/apt/sources.list")] + \
            sorted(pathlib.Path("/etc/apt/sources.list.d").glob("*")):
        try:
            texts.append(p.read_text())
        except OSError:
            continue
    for text in texts:
        for m in re.finditer(r"^deb\s+(?:\[[^]]*\]\s+)?(\S+)\s+%s\s" % SUITE, text, re.M):
            return m.group(1)
        for stanza in re.split(r"\n\s*\n", text):
            uri = re.search(r"^URIs:\s*(\S+)", stanza, re.M | re.I)
            suites = re.search(r"^Suites:(.*)$", stanza, re.M | re.I)
            if uri and suites and SUITE in suites.group(1).split():
                return uri.group(1)
    return "http://deb.debian.org/debian"


def key():
    h = hashlib.sha256()
    h.update(("%d %s %s %s" % (RECIPE, SUITE, " ".join(PACKAGES), " ".join(MASKED))).encode())
    for p in sorted(SYSTEM.iterdir()):
        h.update(p.name.encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()[:12]


def path():
    return vm.CACHE / ("server-%s-%s.img" % (SUITE, key()))


def configure(root):
    """What turns a debootstrapped tree into the test bed's server."""
    (root / "etc" / "hostname").write_text("hostrail-server\n")
    (root / "etc" / "hosts").write_text("127.0.0.1\tlocalhost\n127.0.1.1\thostrail-server\n"
                                        "::1\tlocalhost ip6-localhost ip6-loopback\n")
    # the initramfs mounted the root read-write already: nothing to check
    (root / "etc" / "fstab").write_text("/dev/vda / ext4 rw,noatime 0 0\n")
    # one fixed identity: a snapshot boots as the same machine each time
    (root / "etc" / "machine-id").write_text(hashlib.sha256(key().encode()).hexdigest()[:32] + "\n")
    unit_dir = root / "etc" / "systemd" / "system"
    wants = unit_dir / "multi-user.target.wants"
    wants.mkdir(parents=True, exist_ok=True)
    for p in SYSTEM.iterdir():
        shutil.copy(p, unit_dir / p.name)
        if p.suffix == ".service":
            (wants / p.name).unlink(missing_ok=True)
            (wants / p.name).symlink_to("/etc/systemd/system/" + p.name)
    for unit in MASKED:
        (unit_dir / unit).unlink(missing_ok=True)
        (unit_dir / unit).symlink_to("/dev/null")
    # the kernel's messages and a login prompt on the serial console only
    # clutter console.log; systemd's status lines stay
    (unit_dir / "serial-getty@ttyS0.service").symlink_to("/dev/null")
    for sub in ("var/cache/apt/archives", "var/lib/apt/lists"):
        for p in (root / sub).glob("*"):
            if p.is_file():
                p.unlink()


def build(log=print):
    """The image, built if the cache has none of this recipe."""
    img = path()
    if img.exists():
        return img
    for tool, pkg in (("debootstrap", "debootstrap"), ("mkfs.ext4", "e2fsprogs")):
        if not shutil.which(tool):
            raise vm.VMError("%s is needed to build the server image (Debian: %s)" % (tool, pkg))
    vm.CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="server-", dir=vm.CACHE) as d:
        root = pathlib.Path(d) / "root"
        log("image: debootstrap %s from %s into %s" % (SUITE, mirror(), root))
        vm.sh(["debootstrap", "--variant=minbase", "--include=" + ",".join(PACKAGES),
               SUITE, str(root), mirror()])
        configure(root)
        mb = int(vm.sh(["du", "-sm", "--apparent-size", str(root)]).split()[0])
        tmp = pathlib.Path(d) / "disk.img"
        log("image: mkfs.ext4 -d (%d MB of files)" % mb)
        vm.sh(["mkfs.ext4", "-q", "-F", "-L", "hostrail", "-d", str(root), str(tmp),
               "%dM" % (mb + 768)])
        os.replace(tmp, img)
    for old in vm.CACHE.glob("server-%s-*.img" % SUITE):
        if old != img:
            old.unlink()
    return img




def run(script, files=(), out=None, timeout=1500, memory_mb=2048):
    """Boot the server with script as cmd.sh and files beside it in the output
    share (out, a fresh directory by default, left for the caller)."""
    k = vm.fetch(KERNEL)
    img = build()
    rd = vm.initramfs(k, DISK_MODULES, DISK_INIT, "initramfs-disk.cpio.gz")
    out = pathlib.Path(out or tempfile.mkdtemp(prefix="hostrail-server-"))
    out.mkdir(parents=True, exist_ok=True)
    shutil.copy(script, out / "cmd.sh")
    for f in files:
        shutil.copy(f, out / pathlib.Path(f).name)
    console = out / "console.log"
    base = ["-m", str(memory_mb), "-smp", os.environ.get("HOSTRAIL_VM_SMP", "1"),
            "-display", "none", "-no-reboot", "-monitor", "none",
            "-serial", "file:" + str(console),
            "-drive", "file=%s,if=virtio,format=raw,snapshot=on" % img,
            "-kernel", str(k.vmlinuz), "-initrd", str(rd),
            "-append", "console=ttyS0 panic=-1 oops=panic softlockup_panic=1 loglevel=4"]
    seconds = vm.qemu(base, "9p", [("out", out, False)], memory_mb, out, timeout)
    result = vm.read_result(out, console, seconds)
    result.out = out  # the output share, for what cmd.sh left there
    return result


def main(argv):
    if argv == ["build"]:
        print(build())
        return 0
    if len(argv) >= 2 and argv[0] == "run":
        r = run(argv[1], argv[2:])
        sys.stdout.write(r.output)
        if r.rc is None:
            sys.stdout.write("\n--- no exit status came back; the console:\n%s\n"
                             % r.console[-6000:])
            return 125
        print("--- exit %d after %.0f s; the share: %s" % (r.rc, r.seconds, r.out))
        return r.rc
    print(__doc__.strip(), file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

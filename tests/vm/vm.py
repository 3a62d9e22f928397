#!/usr/bin/python3
"""The kernel matrix test bed: Debian's kernels booted under qemu.

Each kernel comes from Debian's packages (apt-get download, never installed
on the host). It boots with a busybox initramfs that loads the virtio and
9p modules and mounts the host's root read-only over 9p under a tmpfs
overlay, so the guest runs the very build and tests of this checkout. The
checkout itself is a second read-only share (it may live on another file
system than /), and a third, writable share carries the command in and its
output and exit status back out.

    tests/vm/vm.py list                       the kernels of the matrix
    tests/vm/vm.py fetch NAME                 download and unpack one
    tests/vm/vm.py run NAME -- CMD [ARG...]   boot it and run CMD (as root)

KVM where /dev/kvm works, TCG otherwise.
"""
import contextlib
import os
import pathlib
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
CACHE = pathlib.Path(os.environ.get("HOSTRAIL_VM_CACHE", ROOT / "build" / "vm"))

# name -> Debian package (a meta-package is followed to the image it names).
KERNELS = {
    "debian-6.1": "linux-image-amd64",
    "debian-6.1-cloud": "linux-image-cloud-amd64",
    "debian-6.12": "linux-image-6.12-amd64",
}

# What `make test` boots: every kernel of the matrix (about 4 min each here).
IN_MAKE_TEST = ["debian-6.1", "debian-6.12"]  # the cloud kernel: make test-kernels

# What the initramfs needs to reach the host's root, by the file system that
# carries the shares: 9p where the kernel has it, virtiofs where it has not
# (Debian's cloud kernel). Built-in ones are skipped.
BOOT_MODULES = {
    "9p": ["virtio_pci", "9pnet_virtio", "9p", "overlay"],
    "virtiofs": ["virtio_pci", "virtiofs", "overlay"],
}
VIRTIOFSD = "/usr/lib/qemu/virtiofsd"


class VMError(Exception):
    pass


def sh(args, **kw):
    r = subprocess.run(args, capture_output=True, text=True, **kw)
    if r.returncode:
        raise VMError("%s failed (%d): %s" % (" ".join(map(str, args)), r.returncode,
                                               (r.stderr or r.stdout).strip()[-2000:]))
    return r.stdout


def image_package(pkg):
    """Follow a meta-package (linux-image-amd64) to the image it depends on."""
    for _ in range(3):
        out = subprocess.run(["apt-cache", "depends", pkg], capture_output=True, text=True).stdout
        deps = [line.split(":", 1)[1].strip() for line in out.splitlines()
                if line.strip().startswith("Depends:") and "linux-image-" in line]
        if not deps:
            return pkg
        pkg = deps[0]
    return pkg


def apt_download(pkg, where):
    """apt-get download, with one apt-get update when the lists lack it."""
    for attempt in range(2):
        r = subprocess.run(["apt-get", "download", "-q", pkg], cwd=where, capture_output=True,
                           text=True)
        if r.returncode == 0:
            return
        if attempt == 0:
            subprocess.run(["apt-get", "update", "-qq"], capture_output=True)
    raise VMError("apt-get download %s failed: %s" % (pkg, r.stderr.strip()[-1000:]))


class Kernel:
    def __init__(self, name, tree, kver):
        self.name, self.tree, self.kver = name, tree, kver
        self.vmlinuz = tree / "boot" / ("vmlinuz-" + kver)
        self.modules = tree / "lib" / "modules" / kver

    @property
    def share_fs(self):
        config = (self.tree / "boot" / ("config-" + self.kver)).read_text()
        return "9p" if re.search(r"^CONFIG_9P_FS=[ym]$", config, re.M) else "virtiofs"

    def __repr__(self):
        return "%s (%s)" % (self.name, self.kver)


def fetch(name):
    """The kernel NAME, downloaded and unpacked once under the cache."""
    if name not in KERNELS:
        raise VMError("no kernel %r in the matrix (%s)" % (name, ", ".join(KERNELS)))
    base = CACHE / name
    tree = base / "root"
    stamp = base / "kver"
    if stamp.exists() and tree.exists():
        return Kernel(name, tree, stamp.read_text().strip())
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    pkg = image_package(KERNELS[name])
    apt_download(pkg, base)
    debs = sorted(base.glob("*.deb"))
    if not debs:
        raise VMError("apt-get download %s left no .deb" % pkg)
    sh(["dpkg-deb", "-x", str(debs[0]), str(tree)])
    vmlinuz = sorted((tree / "boot").glob("vmlinuz-*"))
    if not vmlinuz:
        raise VMError("%s has no /boot/vmlinuz-*" % debs[0].name)
    kver = vmlinuz[0].name[len("vmlinuz-"):]
    # The package ships no modules.dep: modprobe and the tests need one.
    sh(["depmod", "-b", str(tree), kver])
    for d in debs:
        d.unlink()
    stamp.write_text(kver + "\n")
    return Kernel(name, tree, kver)


def decompressed(src, dst):
    """Copy a module, uncompressed (busybox insmod reads plain .ko only)."""
    s = str(src)
    if s.endswith(".xz"):
        data = subprocess.run(["xz", "-dc", s], capture_output=True, check=True).stdout
    elif s.endswith(".zst"):
        data = subprocess.run(["zstd", "-dc", s], capture_output=True, check=True).stdout
    elif s.endswith(".gz"):
        data = subprocess.run(["gzip", "-dc", s], capture_output=True, check=True).stdout
    else:
        data = src.read_bytes()
    dst.write_bytes(data)


def initramfs(k, modules=None, init_src=None, name="initramfs.cpio.gz"):
    """busybox, the modules (BOOT_MODULES by default) and their dependencies
    in load order, and /init (tests/vm/initramfs-init by default)."""
    out = CACHE / k.name / name
    init_src = init_src or ROOT / "tests" / "vm" / "initramfs-init"
    modules = modules or BOOT_MODULES[k.share_fs]
    stamp = out.with_name(out.name + ".modules")
    if out.exists() and out.stat().st_mtime > init_src.stat().st_mtime and \
            stamp.exists() and stamp.read_text() == " ".join(modules):
        return out
    busybox = shutil.which("busybox")
    if not busybox:
        raise VMError("busybox is needed to build the initramfs (Debian: busybox-static)")
    deps = sh(["modprobe", "-d", str(k.tree), "-S", k.kver, "--show-depends", "-a"] + modules)
    with tempfile.TemporaryDirectory() as d:
        d = pathlib.Path(d)
        for sub in ("bin", "dev", "proc", "sys", "lower", "upper", "newroot", "modules"):
            (d / sub).mkdir()
        shutil.copy(busybox, d / "bin" / "busybox")
        order = []
        for line in deps.splitlines():
            parts = line.split()
            if len(parts) >= 2 and parts[0] == "insmod":
                src = pathlib.Path(parts[1])
                base = src.name.split(".ko")[0] + ".ko"
                if base not in order:
                    decompressed(src, d / "modules" / base)
                    order.append(base)
        (d / "modules" / "order").write_text("".join(m + "\n" for m in order))
        shutil.copy(init_src, d / "init")
        os.chmod(d / "init", 0o755)
        files = subprocess.run(["find", "."], cwd=d, capture_output=True, text=True,
                               check=True).stdout
        cpio = subprocess.run(["cpio", "-o", "-H", "newc", "--quiet"], cwd=d, input=files.encode(),
                              capture_output=True, check=True).stdout
        with open(out, "wb") as f:
            subprocess.run(["gzip", "-1"], input=cpio, stdout=f, check=True)
    stamp.write_text(" ".join(modules))
    return out


_broken_accel = set()


def accelerators():
    """KVM where /dev/kvm works, then TCG (software emulation)."""
    out = []
    try:
        os.close(os.open("/dev/kvm", os.O_RDWR))
        if "kvm" not in _broken_accel and os.environ.get("HOSTRAIL_VM_ACCEL") != "tcg":
            out.append(["-accel", "kvm", "-cpu", "host"])
    except OSError:
        pass
    return out + [["-accel", "tcg", "-cpu", "max"]]


@contextlib.contextmanager
def share_args(fs, shares, memory_mb, rundir):
    """qemu's arguments for the shares (tag, path, read-only): 9p is built
    into qemu; virtiofs needs one virtiofsd a share, and guest memory qemu
    can share with them."""
    if fs == "9p":
        yield [a for tag, path, ro in shares for a in (
            "-virtfs", "local,path=%s,mount_tag=%s,security_model=none%s"
            % (path, tag, ",readonly=on" if ro else ""))]
        return
    if not os.access(VIRTIOFSD, os.X_OK):
        raise VMError("this kernel has no 9p: its shares need %s (Debian: qemu-system-common)"
                      % VIRTIOFSD)
    daemons = []
    args = ["-object", "memory-backend-memfd,id=mem,size=%dM,share=on" % memory_mb,
            "-numa", "node,memdev=mem"]
    try:
        for i, (tag, path, _ro) in enumerate(shares):
            sock = rundir.parent / ("%s-%s.sock" % (rundir.name, tag))
            # read-only comes from the read-only bind mount behind path
            daemons.append(subprocess.Popen(
                [VIRTIOFSD, "--socket-path=%s" % sock, "-o", "source=%s" % path,
                 "-o", "cache=none", "-o", "sandbox=chroot", "-o", "xattr"],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            deadline = time.monotonic() + 10
            while not sock.exists():
                if daemons[-1].poll() is not None or time.monotonic() > deadline:
                    raise VMError("virtiofsd for %s did not start" % path)
                time.sleep(0.05)
            args += ["-chardev", "socket,id=fs%d,path=%s" % (i, sock),
                     "-device", "vhost-user-fs-pci,queue-size=1024,chardev=fs%d,tag=%s" % (i, tag)]
        yield args
    finally:
        for d in daemons:
            d.terminate()
        for d in daemons:
            try:
                d.wait(timeout=10)
            except subprocess.TimeoutExpired:
                d.kill()
                d.wait()
        for tag, _path, _ro in shares:
            (rundir.parent / ("%s-%s.sock" % (rundir.name, tag))).unlink(missing_ok=True)


def qemu(base, fs, shares, memory_mb, outdir, timeout):
    """Run qemu with base arguments and the shares until the guest powers off
    (or timeout seconds pass), KVM first where there is one; the seconds it took.
    The guest has run when outdir/rc exists."""
    t0 = time.monotonic()
    for accel in accelerators():
        with share_args(fs, shares, memory_mb, outdir) as fs_args:
            try:
                r = subprocess.run(["qemu-system-x86_64", *accel, *base, *fs_args],
                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, timeout=timeout, check=False)
            except subprocess.TimeoutExpired:
                break
        # A /dev/kvm that opens but cannot run this CPU model (nested,
        # missing MSRs) fails at once: fall back to TCG.
        if r.returncode == 0 or (outdir / "rc").exists():
            break
        _broken_accel.add(accel[1])
    return time.monotonic() - t0


class Result:
    def __init__(self, rc, output, console, seconds):
        self.rc, self.output, self.console, self.seconds = rc, output, console, seconds


def read_result(outdir, console, seconds):
    """What a guest left in the output share (rc: None if it never got that
    far) and on its console."""
    rcfile, log = outdir / "rc", outdir / "output.log"
    rc = int(rcfile.read_text().strip()) if rcfile.exists() else None
    output = log.read_text(errors="replace") if log.exists() else ""
    text = console.read_text(errors="replace") if console.exists() else ""
    return Result(rc, output, text, seconds)


def run(k, argv, timeout=1200, memory_mb=2048, env=None):
    """Boot kernel k, run argv as root in the guest (cwd: this checkout), return its
    exit status, its output and the kernel's console. rc None: no status came back."""
    rd = initramfs(k)
    outdir = pathlib.Path(tempfile.mkdtemp(prefix="hostrail-vm-"))
    environ = {"HOSTRAIL_VM": k.name, "HOSTRAIL_VM_MODULES": str(k.modules)}
    environ.update(env or {})
    for key in ("CI", "HOSTRAIL_ALLOW_SKIP"):
        if key in os.environ:
            environ.setdefault(key, os.environ[key])
    script = "".join("export %s=%s\n" % (a, shlex.quote(b)) for a, b in environ.items())
    script += "cd %s\nexec %s\n" % (shlex.quote(str(ROOT)), " ".join(map(shlex.quote, argv)))
    (outdir / "cmd.sh").write_text(script)
    console = outdir / "console.log"
    # The host's root without what is mounted on it (/proc, /sys, /dev...),
    # and the checkout, both read-only: only the output share is writable.
    binds = []
    try:
        for src in ("/", str(ROOT)):
            d = pathlib.Path(tempfile.mkdtemp(prefix="hostrail-share-"))
            binds.append(d)
            sh(["mount", "--bind", src, str(d)])
            sh(["mount", "-o", "remount,bind,ro", str(d)])
        shares = [("hostroot", binds[0], True), ("repo", binds[1], True), ("out", outdir, False)]
        # One vCPU: under TCG with two, patching kernel text while another
        # vCPU runs it (static keys flip as tracepoints attach) soft-locked
        # 6.1 and oopsed 6.12 on int3 in CI. A soft lockup panics at once,
        # so a hung guest fails in seconds, not at the timeout.
        base = ["-m", str(memory_mb), "-smp", os.environ.get("HOSTRAIL_VM_SMP", "1"),
                "-display", "none", "-no-reboot", "-monitor", "none",
                "-serial", "file:" + str(console),
                "-kernel", str(k.vmlinuz), "-initrd", str(rd),
                "-append", "console=ttyS0 panic=-1 oops=panic softlockup_panic=1 loglevel=4 "
                           "hostrail.fs=%s "
                           "hostrail.repo=%s hostrail.modules=%s" % (k.share_fs, ROOT, k.modules)]
        seconds = qemu(base, k.share_fs, shares, memory_mb, outdir, timeout)
    finally:
        for d in binds:
            subprocess.run(["umount", str(d)], capture_output=True)
            os.rmdir(d)
    result = read_result(outdir, console, seconds)
    shutil.rmtree(outdir, ignore_errors=True)
    return result


def main(argv):
    if len(argv) >= 1 and argv[0] == "list":
        for n, p in KERNELS.items():
            print(n, p)
        return 0
    if len(argv) == 2 and argv[0] == "fetch":
        print(fetch(argv[1]))
        return 0
    if len(argv) >= 4 and argv[0] == "run" and argv[2] == "--":
        k = fetch(argv[1])
        r = run(k, argv[3:])
        sys.stdout.write(r.output)
        if r.rc is None:
            sys.stdout.write("\n--- %s: no exit status came back; the console:\n%s\n"
                             % (k, r.console[-6000:]))
            return 125
        print("--- %s: exit %d after %.0f s" % (k, r.rc, r.seconds))
        return r.rc
    print(__doc__.strip(), file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

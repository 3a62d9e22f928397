"""Module and kexec calls on Debian's kernels, recorded field by field.

The host these tests are developed on has no loadable modules and no kexec,
so they run only inside a test bed guest booted from a Debian kernel package
(tests/vm/vm.py), with that package's own modules in /lib/modules."""
import ctypes
import errno
import lzma
import os
import pathlib
import shutil
import tempfile

import pytest

from conftest import read_records, records_where, require
from test_capture import ACCOUNT, REGION, agent, as_user, by_pid, check_common, only  # noqa: F401

libc = ctypes.CDLL(None, use_errno=True)
NR = {"init_module": 175, "finit_module": 313, "delete_module": 176,
      "kexec_load": 246, "kexec_file_load": 320}
KEXEC_FILE_UNLOAD = 1
KEXEC_FILE_NO_INITRAMFS = 4
SIG_MAGIC = b"~Module signature appended~\n"


def syscall(name, *args):
    r = libc.syscall(NR[name], *args)
    return r, (ctypes.get_errno() if r == -1 else 0)


def dummy_ko_bytes(modules):
    found = sorted((modules / "kernel" / "drivers" / "net").glob("dummy.ko*"))
    require(found, f"the kernel's dummy module under {modules}")
    data = found[0].read_bytes()
    return lzma.decompress(data) if found[0].name.endswith(".xz") else data


@pytest.fixture
def dummy_ko(tmp_path):
    """drivers/net/dummy.ko of the running kernel, uncompressed (finit_module
    of a compressed file needs the kernel's own decompressor)."""
    mods = pathlib.Path("/lib/modules") / os.uname().release
    path = tmp_path / "dummy.ko"
    path.write_bytes(dummy_ko_bytes(mods))
    yield path
    syscall("delete_module", b"dummy", os.O_NONBLOCK)


def check_module_resource(rec, name):
    assert {"accountId": ACCOUNT, "type": "Linux::KernelModule",
            "ARN": f"arn:hostrail:module:{REGION}:{ACCOUNT}:{name}"} in rec["resources"], \
        rec.get("resources")


def test_finit_module_and_delete_module_of_a_real_module(agent, dummy_ko):
    fd = os.open(dummy_ko, os.O_RDONLY)
    r, err = syscall("finit_module", fd, b"numdummies=2", 0)
    os.close(fd)
    assert r == 0, os.strerror(err)
    assert os.path.isdir("/sys/module/dummy")
    r, err = syscall("delete_module", b"dummy", os.O_NONBLOCK)
    assert r == 0, os.strerror(err)
    agent.stop()
    recs = by_pid(read_records(agent.bucket), os.getpid())

    fin = only(records_where(recs, eventName="FinitModule"), "FinitModule")
    check_common(fin, "module.linux", "FinitModule")
    assert "errorCode" not in fin
    req = fin["requestParameters"]
    assert req["fd"] == fd
    assert req["path"] == str(dummy_ko)
    assert req["params"] == "numdummies=2"
    assert req["pathResolved"] is True  # taken in the kernel at the call
    assert req["flags"] == []
    check_module_resource(fin, "dummy")
    assert {"accountId": ACCOUNT, "type": "Linux::File",
            "ARN": f"arn:hostrail:file:{REGION}:{ACCOUNT}:{dummy_ko}"} in fin["resources"]

    dele = only(records_where(recs, eventName="DeleteModule"), "DeleteModule")
    check_common(dele, "module.linux", "DeleteModule")
    assert "errorCode" not in dele
    assert dele["requestParameters"] == {"name": "dummy", "flags": ["O_NONBLOCK"]}
    check_module_resource(dele, "dummy")


def test_init_module_with_empty_params(agent, dummy_ko):
    image = dummy_ko.read_bytes()
    buf = ctypes.create_string_buffer(image, len(image))
    r, err = syscall("init_module", buf, ctypes.c_ulong(len(image)), b"")
    assert r == 0, os.strerror(err)
    r, err = syscall("delete_module", b"dummy", os.O_NONBLOCK)
    assert r == 0, os.strerror(err)
    agent.stop()
    recs = by_pid(read_records(agent.bucket), os.getpid())
    rec = only(records_where(recs, eventName="InitModule"), "InitModule")
    check_common(rec, "module.linux", "InitModule")
    assert "errorCode" not in rec
    # "" is an empty string, not an unreadable one
    assert rec["requestParameters"] == {"len": len(image), "params": ""}


def test_module_refused_to_an_unprivileged_user(agent, dummy_ko, unprivileged_user):
    # where the user can open it: pytest's tmp_path is root's alone
    shared = pathlib.Path(tempfile.mkdtemp(prefix="hostrail-mod-"))
    shared.chmod(0o755)
    (shared / "dummy.ko").write_bytes(dummy_ko.read_bytes())
    dummy_ko = shared / "dummy.ko"
    r = as_user(unprivileged_user,
                "import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\n"
                f"fd = os.open({str(dummy_ko)!r}, os.O_RDONLY)\n"
                f"r = libc.syscall({NR['finit_module']}, fd, b'', 0)\n"
                "print(r, ctypes.get_errno())\n")
    assert r.stdout.split() == ["-1", str(errno.EPERM)], r.stdout + r.stderr
    agent.stop()
    recs = read_records(agent.bucket)
    rec = only([x for x in records_where(recs, eventName="FinitModule")
                if x["userIdentity"].get("userName") == unprivileged_user.pw_name], "FinitModule")
    check_common(rec, "module.linux", "FinitModule")
    assert rec["errorCode"] == "EPERM"
    assert rec["requestParameters"]["path"] == str(dummy_ko)
    assert rec["userIdentity"]["principalId"] == str(unprivileged_user.pw_uid)


def test_kexec_file_load_of_a_kernel_and_of_a_file_that_is_not_one(agent, tmp_path):
    kernel = pathlib.Path(os.environ["HOSTRAIL_VM_MODULES"]).parents[2] / "boot" / \
        ("vmlinuz-" + os.uname().release)
    require(kernel.exists(), f"the guest kernel's image {kernel}")
    # From the guest's own tmpfs: Debian's cloud kernel reaches the checkout
    # over virtiofs, and its in-kernel read of the image there never returned.
    copy = tmp_path / kernel.name
    shutil.copyfile(kernel, copy)
    kernel = copy
    cmdline = b"console=ttyS0 quiet\0"
    kfd = os.open(kernel, os.O_RDONLY)
    r, err = syscall("kexec_file_load", kfd, -1, ctypes.c_ulong(len(cmdline)), cmdline,
                     ctypes.c_ulong(KEXEC_FILE_NO_INITRAMFS))
    os.close(kfd)
    assert r == 0, os.strerror(err)
    r, err = syscall("kexec_file_load", -1, -1, ctypes.c_ulong(0), None,
                     ctypes.c_ulong(KEXEC_FILE_UNLOAD))
    assert r == 0, os.strerror(err)
    notkernel = tmp_path / "not-a-kernel"
    notkernel.write_bytes(b"\x7fELF but not a bzImage" + bytes(4096))
    nfd = os.open(notkernel, os.O_RDONLY)
    r, bad_err = syscall("kexec_file_load", nfd, -1, ctypes.c_ulong(len(cmdline)), cmdline,
                         ctypes.c_ulong(KEXEC_FILE_NO_INITRAMFS))
    os.close(nfd)
    assert r == -1
    agent.stop()
    recs = records_where(by_pid(read_records(agent.bucket), os.getpid()),
                         eventName="KexecFileLoad")
    assert len(recs) == 3, recs
    load, unload, bad = recs
    for rec in recs:
        check_common(rec, "kernel.linux", "KexecFileLoad")
    assert "errorCode" not in load
    assert load["requestParameters"] == {
        "kernelFd": kfd, "kernelPath": str(kernel), "initrdFd": -1, "cmdlineLen": len(cmdline),
        "kernelPathResolved": True, "cmdline": "console=ttyS0 quiet",
        "flags": ["KEXEC_FILE_NO_INITRAMFS"]}
    assert {"accountId": ACCOUNT, "type": "Linux::File",
            "ARN": f"arn:hostrail:file:{REGION}:{ACCOUNT}:{kernel}"} in load["resources"]
    assert "errorCode" not in unload
    assert unload["requestParameters"]["flags"] == ["KEXEC_FILE_UNLOAD"]
    assert bad["errorCode"] == errno.errorcode[bad_err]
    assert bad["requestParameters"]["kernelPath"] == str(notkernel)


def test_kexec_load_with_no_segments(agent):
    # No segments: unload whatever kexec_load had loaded; harmless.
    r, err = syscall("kexec_load", ctypes.c_ulong(0), ctypes.c_ulong(0), None, ctypes.c_ulong(0))
    assert r == 0, os.strerror(err)
    agent.stop()
    rec = only(records_where(by_pid(read_records(agent.bucket), os.getpid()),
                             eventName="KexecLoad"), "KexecLoad")
    check_common(rec, "kernel.linux", "KexecLoad")
    assert "errorCode" not in rec
    assert rec["requestParameters"] == {"entry": "0x0", "nrSegments": 0, "flags": [],
                                        "arch": "KEXEC_ARCH_DEFAULT"}


def test_zz_unsigned_module_refused_once_signatures_are_enforced(agent, dummy_ko):
    """Last in the file: sig_enforce can be switched on, never off again."""
    image = dummy_ko.read_bytes()
    require(image.endswith(SIG_MAGIC), "a signed module (Debian signs its modules)")
    # struct module_signature (12 bytes, sig_len big-endian last) before the magic
    sig_len = int.from_bytes(image[-len(SIG_MAGIC) - 4:-len(SIG_MAGIC)], "big")
    unsigned = image[:-(len(SIG_MAGIC) + 12 + sig_len)]
    stripped = dummy_ko.with_name("dummy-unsigned.ko")
    stripped.write_bytes(unsigned)
    pathlib.Path("/sys/module/module/parameters/sig_enforce").write_text("1")
    fd = os.open(stripped, os.O_RDONLY)
    r, err = syscall("finit_module", fd, b"", 0)
    os.close(fd)
    assert r == -1 and err == errno.EKEYREJECTED, os.strerror(err)
    agent.stop()
    rec = only(records_where(by_pid(read_records(agent.bucket), os.getpid()),
                             eventName="FinitModule"), "FinitModule")
    check_common(rec, "module.linux", "FinitModule")
    assert rec["errorCode"] == "EKEYREJECTED"
    assert rec["requestParameters"]["path"] == str(stripped)
    assert rec["requestParameters"]["params"] == ""

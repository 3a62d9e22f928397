"""The kernels users run: Debian 12's own kernel packages, each booted under
qemu (tests/vm/vm.py), with the root suite's representative part run inside
(tests/vm/representative): the BPF programs must load and record there, so a
verifier regression on an older kernel can never land again.

HOSTRAIL_KERNELS=debian-6.1,... names the kernels (default: vm.IN_MAKE_TEST)."""
import os
import re
import shutil
import sys

import pytest

from conftest import ROOT, require

sys.path.insert(0, str(ROOT / "tests" / "vm"))
import vm  # noqa: E402

NAMES = (os.environ.get("HOSTRAIL_KERNELS") or ",".join(vm.IN_MAKE_TEST)).split(",")


@pytest.mark.parametrize("name", NAMES)
def test_representative_part_passes_on(name):
    require(shutil.which("qemu-system-x86_64"), "qemu-system-x86_64 (Debian: qemu-system-x86)")
    require(shutil.which("busybox"), "busybox (Debian: busybox-static)")
    k = vm.fetch(name)
    r = vm.run(k, ["tests/vm/representative"], timeout=1500)
    assert r.rc is not None, "%s: no exit status came back; the console:\n%s" % (
        k, r.console[-6000:])
    summaries = re.findall(r"^(\d+) passed(?:, (\d+) deselected)? in ", r.output, re.M)
    assert r.rc == 0 and len(summaries) == 2, "%s: exit %s\n%s" % (k, r.rc, r.output[-8000:])
    # Every test of the part ran: nothing skipped, nothing failed.
    assert not re.search(r"\b(failed|skipped|error)\b", r.output), r.output[-8000:]
    assert int(summaries[0][0]) >= 6 and int(summaries[1][0]) >= 9, summaries

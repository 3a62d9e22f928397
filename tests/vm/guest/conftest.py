"""Fixtures for the tests that run inside a test bed guest (tests/vm/vm.py):
the root suite's own fixtures (tests/root/conftest.py), loaded under another
module name so that both directories can be collected in one run."""
import importlib.util
import os
import pathlib
import sys

import pytest

_ROOT_TESTS = pathlib.Path(__file__).resolve().parents[2] / "root"
_spec = importlib.util.spec_from_file_location("hostrail_root_conftest",
                                               _ROOT_TESTS / "conftest.py")
_root = importlib.util.module_from_spec(_spec)
sys.modules["hostrail_root_conftest"] = _root
_spec.loader.exec_module(_root)
globals().update({k: v for k, v in vars(_root).items() if not k.startswith("__")})
# test_capture's record checks are shared with the guest tests.
sys.path.insert(0, str(_ROOT_TESTS))


@pytest.fixture(autouse=True)
def _in_a_test_bed_guest():
    """These tests load modules and kexec images: only in a disposable guest."""
    _root.require(os.environ.get("HOSTRAIL_VM"), "a test bed guest (run through tests/vm/vm.py)")

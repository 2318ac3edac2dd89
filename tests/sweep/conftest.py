"""Sweep tests start worker processes (forkserver pool, Dask spawns): each imports ``__main__``.
Streamlit's AppTest (dashboard tests) leaves the last page it ran as ``sys.modules['__main__']``,
which workers would then import; keep the real one in place around every sweep module and test."""

import sys

import pytest

_MAIN = sys.modules["__main__"]


@pytest.fixture(autouse=True, scope="module")
def _genuine_main_for_module():
    sys.modules["__main__"] = _MAIN
    yield
    sys.modules["__main__"] = _MAIN


@pytest.fixture(autouse=True)
def _genuine_main_for_test():
    sys.modules["__main__"] = _MAIN
    yield
    sys.modules["__main__"] = _MAIN

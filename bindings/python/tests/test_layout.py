"""Every struct the package declares has the C compiler's size, alignment and member offsets.
The C side is the table bindings/rust/lavaflow-sys/tests/layout.c prints (generated from the
same headers; it covers every struct of the stable API), compiled against the headers by
tests/scripts/c_layout.py."""
import ctypes
import os
import sys

import pytest

from lavaflow import _c

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "tests", "scripts"))
from c_layout import c_layout_table  # noqa: E402


def test_every_struct_matches_the_c_compiler():
    table = c_layout_table(os.environ.get("LAVAFLOW_INCLUDE_DIR"))
    checked = 0
    for name, (cls, members) in _c.STRUCTS.items():
        if name not in table:
            assert name.startswith("lf_mpi_"), "%s missing from the C table" % name
            continue
        size, align = (int(v) for v in table[name].split())
        assert (ctypes.sizeof(cls), ctypes.alignment(cls)) == (size, align), name
        for member in members:
            assert getattr(cls, member).offset == int(table["%s.%s" % (name, member)]), "%s.%s" % (name, member)
            checked += 1
    assert checked > 300, "only %d members checked" % checked


if __name__ == "__main__":
    sys.exit(pytest.main([__file__]))

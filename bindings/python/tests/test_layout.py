"""Every struct the package declares has the C compiler's size, alignment and member offsets.
The C side is the table bindings/rust/lavaflow-sys/tests/layout.c prints (generated from the
same headers; it covers every struct of the stable API), compiled here against the headers."""
import ctypes
import os
import subprocess
import sys

import pytest

from lavaflow import _c

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))


def c_table(tmp_path):
    include = os.environ.get("LAVAFLOW_INCLUDE_DIR", os.path.join(REPO, "include"))
    program = tmp_path / "layout"
    source = os.path.join(REPO, "bindings", "rust", "lavaflow-sys", "tests", "layout.c")
    command = ["cc", "-std=c11", "-I", include, "-o", str(program), source]
    mpi = subprocess.run(["mpicc", "--showme:incdirs"], capture_output=True, text=True, check=False) \
        if os.path.exists("/usr/bin/mpicc") else None
    if mpi is not None and mpi.returncode == 0:
        command[1:1] = ["-DLF_TEST_MPI"] + ["-I" + d for d in mpi.stdout.split()]
    subprocess.run(command, check=True)
    lines = subprocess.run([str(program)], capture_output=True, text=True, check=True).stdout.splitlines()
    return dict(line.rsplit(" ", 1) if line.count(" ") == 1 else (line.split(" ")[0], line.split(" ", 1)[1])
                for line in lines)


def test_every_struct_matches_the_c_compiler(tmp_path):
    table = c_table(tmp_path)
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

"""The C compiler's layout of every struct of the stable API: the table
bindings/rust/lavaflow-sys/tests/layout.c prints (generated from the headers), compiled and run
here. Bindings compare their own declarations with it (Python's test_layout.py, Julia's
check_julia.py)."""
import os
import subprocess
import tempfile

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def c_layout_table(include_dir=None):
    """{"lf_x_t": "SIZE ALIGN", "lf_x_t.member": "OFFSET", ...}, MPI structs included where mpicc
    says where mpi.h is."""
    include_dir = include_dir or os.path.join(REPO, "include")
    source = os.path.join(REPO, "bindings", "rust", "lavaflow-sys", "tests", "layout.c")
    with tempfile.TemporaryDirectory() as work:
        program = os.path.join(work, "layout")
        command = ["cc", "-std=c11", "-I", include_dir, "-o", program, source]
        mpi = subprocess.run(["mpicc", "--showme:incdirs"], capture_output=True, text=True, check=False) \
            if os.path.exists("/usr/bin/mpicc") else None
        if mpi is not None and mpi.returncode == 0:
            command[1:1] = ["-DLF_TEST_MPI"] + ["-I" + d for d in mpi.stdout.split()]
        subprocess.run(command, check=True)
        lines = subprocess.run([program], capture_output=True, text=True, check=True).stdout.splitlines()
    return dict(line.split(" ", 1) for line in lines)

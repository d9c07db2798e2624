#!/usr/bin/env python3
"""Compares the Fortran derived types' sizes and member offsets with the C compiler's.
usage: check_layout.py C_TABLE_PROGRAM FORTRAN_TABLE_PROGRAM"""
import subprocess
import sys


def table(program):
    lines = subprocess.run([program], capture_output=True, text=True, check=True).stdout.splitlines()
    return {line.split()[0]: line.split()[1] for line in lines}  # (size, or offset; C's alignment aside)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    c, fortran = table(sys.argv[1]), table(sys.argv[2])
    bad = [name for name in fortran if c.get(name) != fortran[name]]
    missing = [name for name in c if name not in fortran]
    for name in bad:
        print("FAIL: %s: C %s, Fortran %s" % (name, c.get(name, "absent"), fortran[name]))
    for name in missing:
        print("FAIL: %s: in the C table, not declared in Fortran" % name)
    if bad or missing:
        sys.exit(1)
    print("ok: %d sizes and offsets match the C compiler's" % len(fortran))


if __name__ == "__main__":
    main()

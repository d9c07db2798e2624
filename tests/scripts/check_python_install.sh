#!/usr/bin/env bash
# Installs the Python package offline as a user would (pip, no build isolation, no index) into
# a temporary target from a copy of bindings/python (setuptools writes into the tree it builds),
# then imports it from elsewhere and moves a message through it.
# usage: check_python_install.sh PACKAGE_DIR   (LAVAFLOW_LIB_DIR: where liblavaflow is)
set -euo pipefail
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cp -r "$1" "$tmp/source"
rm -rf "$tmp/source/tests"
/usr/bin/python3 -m pip install --quiet --no-build-isolation --no-deps --no-index --target "$tmp/site" "$tmp/source" 2>&1 \
  | grep -v "Running pip as the 'root' user" || true
[ -f "$tmp/site/lavaflow/_c.py" ] || { echo "FAIL: pip did not install the package"; exit 1; }
cd "$tmp"
PYTHONPATH="$tmp/site" /usr/bin/python3 - <<'PY'
import os, lavaflow as lf
assert lf.__file__.startswith(os.getcwd()), lf.__file__
with lf.Context(ignore_environment=True) as ctx:
    name = "py-install-%d" % os.getpid()
    consumer, producer = lf.Consumer.create(ctx, name), lf.Producer.open(ctx, name)
    producer.send(b"installed")
    assert consumer.recv(1) == b"installed"
print("ok: the installed package (lavaflow %s) works" % lf.version())
PY

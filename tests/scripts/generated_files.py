"""The command line every binding generator shares: write the files generated from lavaflow's
headers, or check (--check, as the test command does) that the committed ones are exactly what
would be written.

    generate.py INCLUDE_DIR OUT_DIR           (write)
    generate.py --check INCLUDE_DIR OUT_DIR   (fail if a file is not what would be written)
"""
import os
import sys


def write_or_check(usage, generate):
    """Runs a generator: `generate(include_dir)` returns {path relative to OUT_DIR: text}."""
    args = sys.argv[1:]
    check = args[:1] == ["--check"]
    if check:
        args = args[1:]
    if len(args) != 2:
        sys.exit(usage)
    include_dir, out_dir = args
    paths = []
    for relative, text in generate(include_dir).items():
        path = os.path.join(out_dir, relative)
        paths.append(path)
        if check:
            if not os.path.exists(path) or open(path, encoding="utf-8").read() != text:
                sys.exit("FAIL: %s is not what generate.py writes from %s: run it and commit the result" % (path, include_dir))
        else:
            os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
            with open(path, "w", encoding="utf-8") as out:
                out.write(text)
    print("%s: %s" % ("ok, up to date" if check else "wrote", ", ".join(sorted(paths))))

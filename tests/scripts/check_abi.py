#!/usr/bin/env python3
"""The ABI check: a fresh build of lavaflow's libraries against the baselines in abi/.

usage: check_abi.py check  --include DIR --abi DIR LIBRARY...
       check_abi.py update --include DIR --abi DIR LIBRARY...

Two parts, because the public API passes enums as int32_t and defines some constants as
macros, which no debug information describes:

- Functions and the types they reach: `abidw` dumps each library (built with debug info)
  restricted to the public headers, `abidiff` compares it with abi/<soname stem>.abi. It
  passes when nothing was removed or changed; added functions are listed. Appending members
  at the end of a struct whose first member is `struct_size` or `field_mask` is allowed (the
  versioning rule of docs/c-api.md), and the add-on interface (extension.h) and
  experimental.h are left out (abi/suppressions.ini).
- Constants: every enumerator and integer macro named LF_* in the stable headers (not
  experimental.h, extension.h, export.h; not the release's LF_VERSION_*), with its value,
  against abi/constants.txt. A removed constant or a changed value fails; new ones are
  listed.

`update` rewrites the baselines from the given build instead: docs/c-api.md ("The ABI
check") says when that is allowed. A library without debug information (a Release build)
gets only the constants part, and says so.
"""
import argparse
import glob
import os
import re
import subprocess
import sys
import tempfile

from c_headers import enums, evaluate, integer_macros, strip_comments

ABIDW_FLAGS = ["--drop-private-types", "--exported-interfaces-only", "--no-elf-needed", "--no-corpus-path",
               "--no-show-locs", "--type-id-style", "hash"]
NOT_FROZEN_HEADERS = {"experimental.h", "extension.h", "export.h"}
RELEASE_MACROS = {"LF_VERSION_MAJOR", "LF_VERSION_MINOR", "LF_VERSION_PATCH", "LF_VERSION_NUMBER"}


# ---- constants ---------------------------------------------------------------------------

def constants_of(include_dir):
    known = {}
    for path in sorted(glob.glob(os.path.join(include_dir, "*.h"))):
        if os.path.basename(path) in NOT_FROZEN_HEADERS:
            continue
        text = strip_comments(open(path, encoding="utf-8").read())
        for name, value in integer_macros(text):
            if name in RELEASE_MACROS or '"' in value or not value or value.startswith(("LF_STRINGIFY", "__")):
                continue
            known[name] = evaluate(value, known, name)
        enums(text, known)
    return known


def read_constants(path):
    table = {}
    for line in open(path, encoding="utf-8"):
        if line.strip() and not line.startswith("#"):
            name, value = line.split()
            table[name] = int(value)
    return table


def write_constants(path, table):
    with open(path, "w", encoding="utf-8") as out:
        out.write("# LF_* constants of the stable headers and their values (tests/scripts/check_abi.py update)\n")
        for name in sorted(table):
            out.write("%s %d\n" % (name, table[name]))


def check_constants(baseline, fresh):
    removed = sorted(set(baseline) - set(fresh))
    changed = sorted(n for n in baseline if n in fresh and baseline[n] != fresh[n])
    added = sorted(set(fresh) - set(baseline))
    for name in removed:
        print("  removed constant: %s (was %d)" % (name, baseline[name]))
    for name in changed:
        print("  changed constant: %s %d -> %d" % (name, baseline[name], fresh[name]))
    for name in added:
        print("  added constant: %s = %d" % (name, fresh[name]))
    print("constants: %d in the baseline, %d removed, %d changed, %d added" %
          (len(baseline), len(removed), len(changed), len(added)))
    return not removed and not changed


# ---- functions and types -----------------------------------------------------------------

def has_debug_info(library):
    sections = subprocess.run(["readelf", "-S", "-W", library], capture_output=True, text=True, check=True).stdout
    return ".debug_info" in sections


def soname_stem(library):
    dynamic = subprocess.run(["readelf", "-d", library], capture_output=True, text=True, check=True).stdout
    match = re.search(r"\(SONAME\).*\[(lib\w+)\.so", dynamic)
    if not match:
        raise SystemExit("check_abi: %s has no SONAME" % library)
    return match.group(1)


def dump(library, include_dir, out_path):
    with open(out_path, "w", encoding="utf-8") as out:
        subprocess.run(["abidw", "--headers-dir", include_dir] + ABIDW_FLAGS + [library], stdout=out, check=True)


def appendable_structs(include_dir):
    """Struct tags and typedef names whose first member is struct_size or field_mask."""
    names = []
    for path in glob.glob(os.path.join(include_dir, "*.h")):
        text = strip_comments(open(path, encoding="utf-8").read())
        for tag, typedef in re.findall(r"typedef\s+struct\s+(lf_\w+)\s*\{\s*uint(?:32|64)_t\s+(?:struct_size|field_mask)\s*;"
                                       r"[^{}]*\}\s*(lf_\w+)\s*;", text):
            names += [tag, typedef]
    return sorted(set(names))


def check_library(library, include_dir, abi_dir, suppressions, work):
    stem = soname_stem(library)
    baseline = os.path.join(abi_dir, stem + ".abi")
    if not has_debug_info(library):
        print("%s: no debug information (a Release build): functions and struct layouts not compared; "
              "a build with -g (the Sanitize build of ./run test) compares them" % stem)
        return True
    fresh = os.path.join(work, stem + ".abi")
    dump(library, include_dir, fresh)
    result = subprocess.run(["abidiff", "--no-show-locs"] + sum((["--suppressions", s] for s in suppressions), []) +
                            [baseline, fresh], capture_output=True, text=True)
    report = result.stdout + result.stderr
    if result.returncode & 3:  # 1: an error, 2: a usage error
        print("%s: abidiff failed (%d):\n%s" % (stem, result.returncode, report))
        return False
    summary = re.findall(r"(Functions|Variables) changes summary: (\d+) Removed[^,]*, (\d+) Changed[^,]*, (\d+) Added",
                         report)
    allowed = sum(int(n) for n in re.findall(r"\d+ Changed \((\d+) filtered out\)", report))
    symbols = re.findall(r"(\d+) Removed (?:function|variable) symbols? not referenced by debug info", report)
    if len(summary) != 2 and result.returncode != 0:
        print("%s: unexpected abidiff report:\n%s" % (stem, report))
        return False
    broken = any(int(removed) or int(changed) for _, removed, changed, _ in summary) or any(int(n) for n in symbols)
    added = sum(int(a) for _, _, _, a in summary)
    print("%s: %s against %s; %d functions added; %d functions reach a struct grown at its end or an interface left "
          "out (abi/suppressions.ini)" % (stem, "INCOMPATIBLE" if broken else "compatible", baseline, added, allowed))
    if report.strip() and (broken or added):
        print("\n".join("  " + line for line in report.rstrip().splitlines()))
    return not broken


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["check", "update"])
    parser.add_argument("--include", required=True, help="the public headers (include/lavaflow)")
    parser.add_argument("--abi", required=True, help="the baselines (abi/)")
    parser.add_argument("libraries", nargs="+")
    args = parser.parse_args()
    include_dir = os.path.abspath(args.include)
    constants_path = os.path.join(args.abi, "constants.txt")
    fresh_constants = constants_of(include_dir)
    if args.mode == "update":
        for library in args.libraries:
            if not has_debug_info(library):
                raise SystemExit("check_abi: %s has no debug information: build with -g (Sanitize)" % library)
            stem = soname_stem(library)
            dump(library, include_dir, os.path.join(args.abi, stem + ".abi"))
            print("wrote %s" % os.path.join(args.abi, stem + ".abi"))
        write_constants(constants_path, fresh_constants)
        print("wrote %s (%d constants)" % (constants_path, len(fresh_constants)))
        return
    ok = check_constants(read_constants(constants_path), fresh_constants)
    with tempfile.TemporaryDirectory() as work:
        appendable = os.path.join(work, "appendable.ini")
        with open(appendable, "w", encoding="utf-8") as out:
            out.write("# Versioned structs may grow at their end (docs/c-api.md).\n[suppress_type]\n"
                      "  type_kind = struct\n  name_regexp = ^(%s)$\n  has_data_member_inserted_at = end\n"
                      "  has_size_change = yes\n" % "|".join(appendable_structs(include_dir)))
        suppressions = [os.path.join(args.abi, "suppressions.ini"), appendable]
        for library in args.libraries:
            ok = check_library(library, include_dir, args.abi, suppressions, work) and ok
    if not ok:
        print("FAIL: an incompatible change of the public ABI (above). If it is intended, it needs an ABI "
              "version bump (LF_ABI_VERSION), a CHANGELOG.md entry and new baselines: docs/c-api.md")
        sys.exit(1)
    print("ok: the ABI is compatible with abi/")


if __name__ == "__main__":
    main()

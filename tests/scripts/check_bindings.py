#!/usr/bin/env python3
"""The binding check: every binding declares every exported lf_* function, with its arity.

usage: check_bindings.py --include DIR LIBRARY... -- BINDING...
  BINDING: rust=CRATE_DIR (its src/generated.rs and UNBOUND)
           fortran=DIR (its src/*.f90 bind(C) interfaces and UNBOUND)
           python=PACKAGE_ROOT (its lavaflow/_c.py FUNCTIONS table and UNBOUND)
           julia=DIR (the ccalls of its LavaFlow/src/*.jl and UNBOUND; check_julia.py checks their
                 types and the structs)
           cpp=INCLUDE_DIR (lavaflow.hpp, lavaflow_mpi.hpp, cpp/*.hpp and cpp/UNBOUND: a C++
               wrapper calls the C prototypes themselves, so its arity is the compiler's check)

For each binding: every lf_* function exported by the given libraries (nm -D) is declared by
the binding or listed in its UNBOUND file with a reason (a name or an fnmatch pattern, then the
reason); nothing is declared that the libraries do not export; each declaration has as many
parameters as the C prototype in the headers. A new C function without a binding fails here
until it is bound or listed. (Sizes and offsets of structs are each binding's own test:
Rust's tests/layout.rs.)
"""
import fnmatch
import glob
import os
import re
import subprocess
import sys

from c_headers import functions, strip_comments


def exported(libraries):
    names = set()
    for library in libraries:
        out = subprocess.run(["nm", "-D", "--defined-only", library], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[1] in "TW" and parts[2].startswith("lf_"):
                names.add(parts[2].split("@")[0])
    return names


def c_arity(include_dir):
    arity = {}
    for path in glob.glob(os.path.join(include_dir, "*.h")):
        text = strip_comments(open(path, encoding="utf-8").read())
        for _, name, params in functions(text):
            params = params.strip()
            arity[name] = 0 if params in ("", "void") else params.count(",") + 1
    return arity


def rust_declarations(crate_dir):
    text = open(os.path.join(crate_dir, "src", "generated.rs"), encoding="utf-8").read()
    declared = {}
    for name, params in re.findall(r"pub fn (lf_\w+)\(([^)]*)\)", text):
        declared[name] = 0 if not params.strip() else params.count(",") + 1
    return declared


def fortran_declarations(root):
    declared = {}
    for path in glob.glob(os.path.join(root, "src", "*.f90")):
        text = re.sub(r"&\s*\n\s*", "", open(path, encoding="utf-8").read())  # (continued lines joined)
        for name, args in re.findall(r"^\s*(?:function|subroutine)\s+(lf_\w+)\(([^)]*)\)\s*bind\(C", text, re.M):
            declared[name] = 0 if not args.strip() else args.count(",") + 1
    return declared


def python_declarations(root):
    text = open(os.path.join(root, "lavaflow", "_c.py"), encoding="utf-8").read()
    text = text[text.index("FUNCTIONS = {"):]
    text = text[:text.index("\n}\n")]
    declared = {}
    for name, args in re.findall(r"^    '(lf_\w+)': \(.*?, \[(.*)\]\),$", text, re.M):
        declared[name] = 0 if not args.strip() else args.count(", ") + 1
    return declared


def julia_declarations(root):
    declared = {}
    for path in glob.glob(os.path.join(root, "LavaFlow", "src", "*.jl")):
        text = open(path, encoding="utf-8").read()
        for name, types in re.findall(r"ccall\(\(:(lf_\w+),\s*\w+\),\s*[^,]+,\s*\(([^()]*)\)", text):
            types = types.strip().rstrip(",")
            declared[name] = 0 if not types else len(re.sub(r"\{[^{}]*\}", "", re.sub(r"\{[^{}]*\}", "", types)).split(","))
    return declared


def cpp_uses(include_dir, arity):
    used = {}
    for path in glob.glob(os.path.join(include_dir, "*.hpp")) + glob.glob(os.path.join(include_dir, "cpp", "*.hpp")):
        text = strip_comments(open(path, encoding="utf-8").read())
        for name in re.findall(r"\b(lf_[a-z0-9_]+)\b", text):
            if name in arity:  # a C function (called, or a destroy function as a template argument)
                used[name] = arity[name]
    return used


# How each generated binding's declarations are read (its UNBOUND file lies beside them).
DECLARATIONS = {"rust": rust_declarations, "fortran": fortran_declarations, "python": python_declarations,
                "julia": julia_declarations}


def unbound(unbound_file):
    patterns = []
    for line in open(unbound_file, encoding="utf-8"):
        line = line.strip()
        if line and not line.startswith("#"):
            pattern, _, reason = line.partition(" ")
            if not reason.strip():
                sys.exit("check_bindings: %s: '%s' has no reason" % (unbound_file, pattern))
            patterns.append(pattern)
    return patterns


def main():
    args = sys.argv[1:]
    if "--include" not in args or "--" not in args:
        sys.exit(__doc__)
    include_dir = args[args.index("--include") + 1]
    split = args.index("--")
    libraries = [a for a in args[:split] if a not in ("--include", include_dir)]
    bindings = args[split + 1:]
    symbols = exported(libraries)
    arity = c_arity(include_dir)
    failures = 0
    for binding in bindings:
        language, _, where = binding.partition("=")
        if language == "cpp":
            declared = cpp_uses(where, arity)
            skipped = unbound(os.path.join(where, "cpp", "UNBOUND"))
        elif language in DECLARATIONS:
            declared = DECLARATIONS[language](where)
            skipped = unbound(os.path.join(where, "UNBOUND"))
        else:
            sys.exit("check_bindings: unknown binding %s" % binding)
        missing = sorted(s for s in symbols if s not in declared and not any(fnmatch.fnmatch(s, p) for p in skipped))
        extra = sorted(d for d in declared if d not in symbols)
        wrong = sorted(d for d in declared if d in arity and declared[d] != arity[d])
        for name in missing:
            print("FAIL: %s: %s is exported but neither declared nor listed in UNBOUND" % (language, name))
        for name in extra:
            print("FAIL: %s: %s is declared but not exported by %s" % (language, name, ", ".join(libraries)))
        for name in wrong:
            print("FAIL: %s: %s takes %d parameters in C, %d here" % (language, name, arity[name], declared[name]))
        failures += len(missing) + len(extra) + len(wrong)
        print("%s: %d of %d exported functions declared, %d unbound (UNBOUND), arity checked" %
              (language, len([d for d in declared if d in symbols]), len(symbols),
               len([s for s in symbols if s not in declared])))
    if failures:
        sys.exit(1)
    print("ok: every binding declares every exported function or says why not")


if __name__ == "__main__":
    main()

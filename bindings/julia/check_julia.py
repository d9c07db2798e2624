#!/usr/bin/env python3
"""The Julia package, checked without Julia (which cannot be installed on lavaflow's machines).

usage: check_julia.py INCLUDE_DIR JULIA_DIR

- every `ccall((:name, library), Result, (Types...), args...)` in JULIA_DIR/LavaFlow/src/*.jl —
  the generated raw layer and the hand-written friendly layer alike — names a function of the
  stable headers, calls the library that exports it (liblavaflow_mpi for lavaflow_mpi.h), passes
  as many arguments as its tuple has types and as the C prototype has parameters, and each
  type is the Julia equivalent of the C one (read from the headers here, not from generate.py);
- every `struct` of LibLavaFlow.jl has the C struct's members, in order, each of the Julia
  equivalent of its C type, and the C compiler's size, alignment and member offsets
  (tests/scripts/c_layout.py), laid out by Julia's rules for isbits structs;
- every function the friendly layer calls through `L.` (LibLavaFlow) exists there with that
  arity, and every struct it builds there is given only fields the struct has.
"""
import glob
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "scripts"))
from c_headers import (CORE_HEADERS, MPI_HEADER,  # noqa: E402
                       declarator, evaluate, functions, integer_macros, nested_structs, split_parameters,  # noqa: E402
                       strip_comments, structs_of)
from c_layout import c_layout_table  # noqa: E402

HEADERS = CORE_HEADERS + [MPI_HEADER]
# Julia's names for the same type, and what each primitive is.
ALIASES = {"Cint": "Int32", "Cuint": "UInt32", "Clong": "Int64", "Culong": "UInt64", "Csize_t": "UInt64",
           "Cssize_t": "Int64", "Clonglong": "Int64", "Culonglong": "UInt64", "Cdouble": "Float64",
           "Cfloat": "Float32", "Cchar": "UInt8", "Cuchar": "UInt8", "Int8_char": "UInt8"}
C_PRIMITIVES = {"uint8_t": "UInt8", "int8_t": "Int8", "uint16_t": "UInt16", "int16_t": "Int16", "uint32_t": "UInt32",
                "int32_t": "Int32", "uint64_t": "UInt64", "int64_t": "Int64", "size_t": "UInt64", "double": "Float64",
                "float": "Float32", "int": "Int32", "char": "UInt8", "MPI_Fint": "Int32"}
SIZES = {"UInt8": 1, "Int8": 1, "UInt16": 2, "Int16": 2, "UInt32": 4, "Int32": 4, "UInt64": 8, "Int64": 8,
         "Float32": 4, "Float64": 8, "Cstring": 8}


def canonical(julia):
    """A Julia type with aliases resolved and Ref{T} read as Ptr{T} (what ccall passes)."""
    julia = re.sub(r"\s+", "", julia)
    julia = re.sub(r"\bRef\{", "Ptr{", julia)
    julia = julia.replace("Ptr{Nothing}", "Ptr{Cvoid}")
    return re.sub(r"\b(%s)\b" % "|".join(ALIASES), lambda m: ALIASES[m.group(1)], julia)


def expected(c_type, opaque, structs, callbacks):
    """The Julia types a C type may be passed as (canonical forms)."""
    tokens = re.findall(r"\*|[A-Za-z_]\w*", c_type)
    stars = tokens.count("*")
    name = [t for t in tokens if t not in ("const", "*")][0]
    if name in callbacks:
        return {"Ptr{Cvoid}"}
    if name in opaque or name == "void":
        if stars == 0:
            return {"Cvoid"}
        base, stars = "Ptr{Cvoid}", stars - 1
    elif name in structs:
        base = name
    elif name in C_PRIMITIVES:
        base = C_PRIMITIVES[name]
    elif name.startswith("lf_") and name.endswith("_t"):
        base = "Int32"
    else:
        raise SystemExit("check_julia.py: unknown C type '%s'" % c_type)
    allowed = {base}
    for _ in range(stars):
        allowed = {"Ptr{%s}" % t for t in allowed}
    if name == "char" and stars == 1:
        allowed |= {"Cstring", "Ptr{Int8}", "Ptr{UInt8}"}
    if name in opaque and stars == 0:
        allowed.add("Ptr{Cvoid}")
    return allowed


def prototypes(include_dir):
    """The headers' functions {name: (header, result, [parameter types])}, opaque handle types,
    structs {name: [(member, C type, count or None)]} and callback types."""
    found, opaque, structs, callbacks, known = {}, set(), {}, set(), {}
    for header in HEADERS:
        text = strip_comments(open(os.path.join(include_dir, header), encoding="utf-8").read())
        for name, value in integer_macros(text):
            try:
                known[name] = evaluate(value, known, name)
            except SystemExit:
                pass
        opaque.update(n for _, n in re.findall(r"typedef\s+struct\s+(lf_\w+)\s+(lf_\w+)\s*;", text))
        callbacks.update(re.findall(r"typedef\s+[\w\s\*]+?\(\s*\*\s*(lf_\w+)\s*\)", text))
        for _, body, name in structs_of(text):
            nested, body = nested_structs(name, body)
            for inner, inner_body, _ in nested:
                structs[inner] = members_of(inner_body, known)
            structs[name] = members_of(body, known)
        for ret, name, params in functions(text):
            found[name] = (header, ret, [declarator(p)[0] for p in split_parameters(params) if p != "void"])
    return found, opaque, structs, callbacks


def members_of(body, known):
    members = []
    for member in body.split(";"):
        if member.strip():
            c_type, field, count = declarator(member.strip())
            members.append((field, c_type, None if count is None else (int(count) if count.isdigit() else known[count])))
    return members


def split_top(text):
    """Split at commas not inside braces or parentheses."""
    parts, depth, current = [], 0, ""
    for ch in text:
        if ch in "({[":
            depth += 1
        elif ch in ")}]":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += ch
    if current.strip():
        parts.append(current.strip())
    return parts


def ccalls(text):
    """(name, library, result, [types], argument count) of every ccall in `text`."""
    calls = []
    for match in re.finditer(r"ccall\(\(:(\w+),\s*(\w+)\),", text):
        depth, i = 1, match.end()
        while depth and i < len(text):
            depth += {"(": 1, ")": -1}.get(text[i], 0)
            i += 1
        rest = split_top(text[match.end():i - 1])
        result, types, arguments = rest[0], rest[1], rest[2:]
        types = types.strip()
        if not (types.startswith("(") and types.endswith(")")):
            raise SystemExit("check_julia.py: %s: the argument types are not a tuple literal" % match.group(1))
        calls.append((match.group(1), match.group(2), result, split_top(types[1:-1]), len(arguments)))
    return calls


def julia_structs(text):
    """{name: [(field, type)]} of every struct block."""
    found = {}
    for name, body in re.findall(r"^struct (\w+)\n(.*?)^end$", text, re.M | re.S):
        found[name] = [tuple(line.strip().split("::", 1)) for line in body.splitlines() if "::" in line]
    return found


def layout(julia, structs, cache):
    """(size, alignment) of a Julia field type, by Julia's (C's) rules for isbits structs."""
    julia = canonical(julia)
    if julia in SIZES:
        return SIZES[julia], SIZES[julia]
    if julia.startswith("Ptr{"):
        return 8, 8
    tuple_match = re.fullmatch(r"NTuple\{(\d+),(.+)\}", julia)
    if tuple_match:
        size, align = layout(tuple_match.group(2), structs, cache)
        return size * int(tuple_match.group(1)), align
    if julia in structs:
        return struct_layout(julia, structs, cache)[:2]
    raise SystemExit("check_julia.py: no layout for Julia type '%s'" % julia)


def struct_layout(name, structs, cache):
    if name not in cache:
        offset, align, offsets = 0, 1, {}
        for field, julia in structs[name]:
            size, field_align = layout(julia, structs, cache)
            offset = (offset + field_align - 1) // field_align * field_align
            offsets[field] = offset
            offset += size
            align = max(align, field_align)
        cache[name] = ((offset + align - 1) // align * align, align, offsets)
    return cache[name]


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    include_dir, julia_dir = sys.argv[1:]
    found, opaque, c_structs, callbacks = prototypes(include_dir)
    failures, checked_calls = [], 0
    sources = sorted(glob.glob(os.path.join(julia_dir, "LavaFlow", "src", "*.jl")))
    raw_text = open(os.path.join(julia_dir, "LavaFlow", "src", "LibLavaFlow.jl"), encoding="utf-8").read()
    raw_arity = {}
    for path in sources:
        text = open(path, encoding="utf-8").read()
        for name, library, result, types, arguments in ccalls(text):
            checked_calls += 1
            where = "%s: %s" % (os.path.basename(path), name)
            if name not in found:
                failures.append("%s: not a function of the stable headers" % where)
                continue
            header, c_result, c_params = found[name]
            want_library = "liblavaflow_mpi" if header == MPI_HEADER else "liblavaflow"
            if library != want_library:
                failures.append("%s: calls %s, but %s is in %s" % (where, library, name, want_library))
            if not (len(types) == arguments == len(c_params)):
                failures.append("%s: %d types and %d arguments for %d C parameters" % (where, len(types), arguments,
                                                                                          len(c_params)))
                continue
            for n, (julia, c_type) in enumerate(zip(types, c_params)):
                if canonical(julia) not in expected(c_type, opaque, c_structs, callbacks):
                    failures.append("%s: parameter %d is %s in Julia, '%s' in C" % (where, n + 1, julia, c_type))
            if canonical(result) not in expected(c_result, opaque, c_structs, callbacks) | (
                    {"Cstring"} if "char" in c_result else set()):
                failures.append("%s: returns %s in Julia, '%s' in C" % (where, result, c_result))
            if path.endswith("LibLavaFlow.jl"):
                raw_arity[name] = arguments
    # The friendly layer calls the raw one by name: those names exist, with their arity; the
    # structs it builds get only their own fields, by keyword.
    structs = julia_structs(raw_text)
    friendly = open(os.path.join(julia_dir, "LavaFlow", "src", "LavaFlow.jl"), encoding="utf-8").read()
    for match in re.finditer(r"\bL\.(lf_\w+)\(", friendly):
        name = match.group(1)
        depth, i = 1, match.end()
        while depth and i < len(friendly):
            depth += {"(": 1, ")": -1}.get(friendly[i], 0)
            i += 1
        given = split_top(friendly[match.end():i - 1])
        arguments = len(given)
        if name in structs:
            fields = {field for field, _ in structs[name]}
            for argument in given:
                keyword = re.match(r"(\w+)\s*=(?!=)", argument)
                if not keyword:
                    failures.append("LavaFlow.jl: L.%s(...) is built with a positional value: use the fields' names" % name)
                elif keyword.group(1) not in fields:
                    failures.append("LavaFlow.jl: L.%s has no field %s" % (name, keyword.group(1)))
            continue
        if name not in raw_arity:
            failures.append("LavaFlow.jl: L.%s is not a function of LibLavaFlow" % name)
        elif arguments != raw_arity[name]:
            failures.append("LavaFlow.jl: L.%s(...) with %d arguments, LibLavaFlow's takes %d" % (name, arguments,
                                                                                                  raw_arity[name]))
    # Struct members: the same names, in the same order, of the Julia equivalent of each C type.
    for name, members in c_structs.items():
        if name not in structs:
            failures.append("struct %s: not declared in LibLavaFlow.jl" % name)
            continue
        julia_members = structs[name]
        if [field for field, _ in julia_members] != [field for field, _, _ in members]:
            failures.append("struct %s: members %s in Julia, %s in C" % (name, [f for f, _ in julia_members],
                                                                         [f for f, _, _ in members]))
            continue
        for (field, julia), (_, c_type, count) in zip(julia_members, members):
            allowed = expected(c_type, opaque, c_structs, callbacks) | ({"Ptr{UInt8}"} if "char" in c_type else set())
            if count is not None:
                allowed = {"NTuple{%d,%s}" % (count, t) for t in allowed}
            if canonical(julia) not in allowed:
                failures.append("%s.%s: %s in Julia, '%s%s' in C" % (name, field, julia, c_type,
                                                                      "" if count is None else "[%d]" % count))
    # Struct layouts against the C compiler's.
    table = c_layout_table(os.path.dirname(os.path.abspath(include_dir)))  # (its parent: <lavaflow/...>)
    cache, checked_members = {}, 0
    for name in structs:
        size, align, offsets = struct_layout(name, structs, cache)
        if name not in table:
            if not name.startswith("lf_mpi_") and name != "lf_pool_metadata_attributes_t":
                failures.append("struct %s: not in the C compiler's table" % name)
            continue
        c_size, c_align = (int(v) for v in table[name].split())
        if (size, align) != (c_size, c_align):
            failures.append("struct %s: size %d align %d in Julia, %d %d in C" % (name, size, align, c_size, c_align))
        if name == "lf_pool_metadata_attributes_t":
            continue  # (nested: the C table has its parent's offsets and size, checked there)
        for field, offset in offsets.items():
            key = "%s.%s" % (name, field)
            if key in table:
                checked_members += 1
                if int(table[key]) != offset:
                    failures.append("%s: offset %d in Julia, %s in C" % (key, offset, table[key]))
            else:
                failures.append("%s: not in the C compiler's table" % key)
    for failure in failures:
        print("FAIL: " + failure)
    if failures:
        sys.exit(1)
    if checked_calls < 100 or checked_members < 300:
        sys.exit("FAIL: only %d ccalls and %d struct members checked" % (checked_calls, checked_members))
    print("ok: %d ccalls (symbol, library, arity, types), %d friendly calls and struct builds, %d structs with %d "
          "member offsets" % (checked_calls, len(re.findall(r"\bL\.lf_\w+\(", friendly)), len(structs), checked_members))


if __name__ == "__main__":
    main()

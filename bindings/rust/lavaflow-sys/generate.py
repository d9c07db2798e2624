#!/usr/bin/env python3
"""Writes lavaflow-sys's declarations (src/generated.rs) from lavaflow's public C headers.

usage: generate.py INCLUDE_DIR CRATE_DIR          (write src/generated.rs and tests/layout.c)
       generate.py --check INCLUDE_DIR CRATE_DIR  (fail if they are not what would be written)

The headers follow docs/c-api.md: fixed-width fields, no bitfields or unions, enums passed as
int32_t, opaque handles, `LF_API` functions. That regular shape is parsed here, so the Rust
declarations cannot drift from the C ones by hand: the test command runs --check, and the
binding check compares sizes and offsets with the C compiler's. experimental.h and
extension.h are not bound (UNBOUND says why); lavaflow_mpi.h is behind the `mpi` feature.
"""
import glob
import os
import re
import sys

# (the header reading shared with the ABI check)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "tests", "scripts"))
from c_headers import enums, evaluate, integer_macros, strip_comments  # noqa: E402

SKIPPED_HEADERS = {"experimental.h", "extension.h", "export.h", "lavaflow.h"}
MPI_HEADER = "lavaflow_mpi.h"
ORDER = ["status.h", "version.h", "log.h", "context.h", "topology.h", "identity.h", "scope.h", "memory.h",
         "device.h", "channel.h", "pool.h", MPI_HEADER]

PRIMITIVES = {
    "uint8_t": "u8", "uint16_t": "u16", "uint32_t": "u32", "uint64_t": "u64", "int8_t": "i8", "int16_t": "i16",
    "int32_t": "i32", "int64_t": "i64", "size_t": "usize", "double": "f64", "float": "f32", "int": "c_int",
    "char": "c_char", "void": "c_void", "MPI_Fint": "c_int", "MPI_Comm": "MPI_Comm",
}
# The Rust type of each enum's constants: the type of the field or parameter that takes them.
U64_ENUMS = {"lf_context_flag", "lf_identity_flag", "lf_buffer_flag", "lf_buffer_import_flag", "lf_feature",
             "lf_fallback"}
U32_ENUMS = {"lf_channel_info_flag", "lf_device_flag", "lf_identity_info_flag", "lf_mpi_flag", "lf_mpi_channel_flag",
             "lf_buffer_info_flag", "lf_pool_driver_flag", "lf_mechanism", "lf_scope_flag", "lf_topology_object_flag"}
MACRO_TYPES = {"LF_IDENTITY_BLOB_MAX_SIZE": "usize", "LF_POOL_MAX_DIMS": "usize", "LF_MECHANISM_ALL": "u32",
               "LF_TOPOLOGY_INDEX_NONE": "u32", "LF_ABI_VERSION": "u32", "LF_VERSION_MAJOR": "u32",
               "LF_VERSION_MINOR": "u32", "LF_VERSION_PATCH": "u32", "LF_VERSION_NUMBER": "u32"}
def rust_type(c_type):
    """A C type (without the declarator's name) as Rust: pointers, const, primitives, typedefs."""
    c_type = " ".join(c_type.split())
    stars = c_type.count("*")
    base = c_type.replace("*", " ").split()
    # Which levels are const: "const char *const *" -> the pointee const, then the pointer.
    tokens = re.findall(r"const|\*|[A-Za-z_]\w*", c_type)
    name = [t for t in tokens if t not in ("const", "*")]
    if len(name) != 1:
        raise SystemExit("generate.py: unexpected type '%s'" % c_type)
    rust = PRIMITIVES.get(name[0], name[0])
    if stars == 0:
        if rust == "c_void":
            return "()"
        return rust
    # Walk outward: the const before the first '*' qualifies the pointee.
    levels = []
    const_next = tokens[0] == "const" or (len(tokens) > 1 and tokens[1] == "const" and tokens[0] != "*")
    for i, token in enumerate(tokens):
        if token == "*":
            levels.append(const_next)
            const_next = i + 1 < len(tokens) and tokens[i + 1] == "const"
    for const in levels:
        rust = ("*const " if const else "*mut ") + rust
    del base
    return rust


def split_parameters(text):
    depth, current, parts = 0, "", []
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    if current.strip():
        parts.append(current)
    return [p.strip() for p in parts]


def declarator(text):
    """'const char *name' -> ('const char *', 'name'); 'char name[64]' -> ('char', 'name', '64')."""
    match = re.fullmatch(r"(.*?)(\b\w+)\s*(?:\[\s*([^\]]+)\s*\])?", text.strip(), re.S)
    return match.group(1).strip(), match.group(2), match.group(3)


def rust_name(name):
    return name + "_" if name in ("type", "ref", "mod", "fn", "use", "match", "in", "loop", "move", "self") else name


def structs_of(text):
    """(tag, body, typedef name) of every `typedef struct TAG { ... } NAME;`, nested braces included."""
    found = []
    for match in re.finditer(r"typedef\s+struct\s+(lf_\w+)\s*\{", text):
        depth, i = 1, match.end()
        while depth:
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        tail = re.match(r"\s*(lf_\w+)\s*;", text[i:])
        if not tail:
            raise SystemExit("generate.py: cannot read the struct %s" % match.group(1))
        found.append((match.group(1), text[match.end():i - 1], tail.group(1)))
    return found


def struct_members(body, name, _):
    fields, members = [], []
    for member in body.split(";"):
        member = member.strip()
        if not member:
            continue
        if "(" in member or "{" in member:
            raise SystemExit("generate.py: a member of %s it cannot read: %s" % (name, member))
        c_type, field, count = declarator(member)
        r = rust_type(c_type)
        if count is not None:
            r = "[%s; %s]" % (r, count)
        fields.append("    pub %s: %s," % (rust_name(field), r))
        members.append((field, rust_name(field)))
    return fields, members


class Header:
    def __init__(self, path):
        self.name = os.path.basename(path)
        self.text = strip_comments(open(path, encoding="utf-8").read())


def generate(include_dir):
    headers = [Header(os.path.join(include_dir, name)) for name in ORDER]
    layouts = []  # (struct, [(C member, Rust member)], gated by the mpi feature)
    known_constants = {}
    out = ["// @generated by generate.py from lavaflow's public headers: do not edit.", ""]
    for header in headers:
        gate = '#[cfg(feature = "mpi")]\n' if header.name == MPI_HEADER else ""
        out.append("// ---- %s " % header.name + "-" * (86 - len(header.name)))
        text = header.text
        # Integer macros.
        for name, value in integer_macros(text):
            if name not in MACRO_TYPES:
                continue
            known_constants[name] = evaluate(value, known_constants, name)
            out.append("%spub const %s: %s = %d;" % (gate, name, MACRO_TYPES[name], known_constants[name]))
        # Typedefs of primitives and function pointers, opaque handles.
        for target, name in re.findall(r"typedef\s+(u?int\d+_t)\s+(lf_\w+)\s*;", text):
            out.append("%spub type %s = %s;" % (gate, name, PRIMITIVES[target]))
        for tag, name in re.findall(r"typedef\s+struct\s+(lf_\w+)\s+(lf_\w+)\s*;", text):
            out.append("%s#[repr(C)]\npub struct %s {\n    _opaque: [u8; 0],\n    _not_send_sync: core::marker::PhantomData<(*mut u8, core::marker::PhantomPinned)>,\n}" % (gate, name))
        for ret, name, params in re.findall(r"typedef\s+([\w\s\*]+?)\s*\(\s*\*\s*(lf_\w+)\s*\)\s*\(([^;]*)\)\s*;", text):
            args = [rust_type(declarator(p)[0]) for p in split_parameters(params) if p != "void"]
            r = rust_type(ret)
            out.append("%spub type %s = Option<unsafe extern \"C\" fn(%s)%s>;" % (gate, name, ", ".join(args),
                                                                             "" if r == "()" else " -> " + r))
        # Enums: constants with the type their field or parameter has.
        for enum_name, items in enums(text, known_constants):
            kind = "u64" if enum_name.endswith("_param_field") or enum_name in U64_ENUMS else (
                "u32" if enum_name in U32_ENUMS else "i32")
            for name, value in items:
                out.append("%spub const %s: %s = %d;" % (gate, name, kind, value))
        # Structs with members (an anonymous struct member becomes a named Rust struct).
        for tag, body, name in structs_of(text):
            fields, members = [], []
            nested = re.findall(r"struct\s*\{([^{}]*)\}\s*(\w+)\s*\[\s*(\w+)\s*\]\s*;", body)
            for inner_body, inner_field, _ in nested:
                inner_name = "%s_%s_t" % (name[:-2], inner_field)
                inner_fields, inner_members = struct_members(inner_body, inner_name, {})
                out.append("%s#[repr(C)]\n#[derive(Clone, Copy)]\npub struct %s {\n%s\n}" % (gate, inner_name,
                                                                                           "\n".join(inner_fields)))
                layouts.append((inner_name, [], bool(gate), "((%s *)0)->%s[0]" % (name, inner_field)))
            body = re.sub(r"struct\s*\{[^{}]*\}\s*(\w+)\s*\[\s*(\w+)\s*\]\s*;",
                          lambda m: "%s_%s_t %s[%s];" % (name[:-2], m.group(1), m.group(1), m.group(2)), body)
            fields, members = struct_members(body, name, {})
            out.append("%s#[repr(C)]\n#[derive(Clone, Copy)]\npub struct %s {\n%s\n}" % (gate, name, "\n".join(fields)))
            layouts.append((name, members, bool(gate), None))
        # Functions.
        functions = re.findall(r"\bLF_API\s+([^;(]*?)\b(lf_\w+)\s*\(([^;]*?)\)\s*;", text, re.S)
        if functions:
            out.append("%sextern \"C\" {" % gate)
            for ret, name, params in functions:
                args = []
                for p in split_parameters(params):
                    if p == "void":
                        continue
                    c_type, arg, _ = declarator(p)
                    args.append("%s: %s" % (rust_name(arg), rust_type(c_type)))
                r = rust_type(ret)
                out.append("    pub fn %s(%s)%s;" % (name, ", ".join(args), "" if r == "()" else " -> " + r))
            out.append("}")
        out.append("")
    out.append(rust_layout(layouts))
    return "\n".join(out), c_layout(layouts)


def rust_layout(layouts):
    """Every struct's size and alignment and every member's offset, as this crate declares them."""
    lines = ["/// Each struct's `size align` and each member's offset, as declared here (the binding check",
             "/// compares them with the C compiler's: tests/layout.rs).",
             "#[doc(hidden)]", "pub fn declared_layout() -> Vec<String> {", "    let mut out = Vec::new();"]
    for name, members, gated, _ in layouts:
        lines.append("    %s{" % ('#[cfg(feature = "mpi")] ' if gated else ""))
        lines.append('        out.push(format!("%s {} {}", core::mem::size_of::<%s>(), core::mem::align_of::<%s>()));'
                     % (name, name, name))
        for c_member, r_member in members:
            lines.append('        out.push(format!("%s.%s {}", offset_of!(%s, %s)));'
                         % (name, c_member, name, r_member))
        lines.append("    }")
    lines += ["    out", "}", ""]
    return "\n".join(lines)


def c_layout(layouts):
    """The same, from the C compiler (tests/layout.c; LF_TEST_MPI includes lavaflow_mpi.h)."""
    lines = ["/* @generated by generate.py: the C compiler's layout of every struct lavaflow-sys declares. */",
             "#include <lavaflow/lavaflow.h>", "#ifdef LF_TEST_MPI", "#include <lavaflow/lavaflow_mpi.h>", "#endif",
             "#include <stdalign.h>", "#include <stddef.h>", "#include <stdio.h>", "", "int main(void) {"]
    for name, members, gated, expression in layouts:
        if gated:
            lines.append("#ifdef LF_TEST_MPI")
        if expression:  # (an anonymous struct: its size and alignment through a member of it)
            lines.append('  printf("%s %%zu %%zu\\n", sizeof(%s), alignof(__typeof__(%s)));' % (name, expression, expression))
        else:
            lines.append('  printf("%s %%zu %%zu\\n", sizeof(%s), alignof(%s));' % (name, name, name))
        for c_member, _ in members:
            lines.append('  printf("%s.%s %%zu\\n", offsetof(%s, %s));' % (name, c_member, name, c_member))
        if gated:
            lines.append("#endif")
    lines += ["  return 0;", "}", ""]
    return "\n".join(lines)


def main():
    args = sys.argv[1:]
    check = args[:1] == ["--check"]
    if check:
        args = args[1:]
    if len(args) != 2:
        sys.exit(__doc__)
    rust, c = generate(args[0])
    outputs = {os.path.join(args[1], "src", "generated.rs"): rust, os.path.join(args[1], "tests", "layout.c"): c}
    for path, text in outputs.items():
        if check:
            if not os.path.exists(path) or open(path, encoding="utf-8").read() != text:
                sys.exit("FAIL: %s is not what generate.py writes from %s: run it and commit the result" % (path, args[0]))
        else:
            with open(path, "w", encoding="utf-8") as out:
                out.write(text)
    print("%s: %s" % ("ok, up to date" if check else "wrote", ", ".join(sorted(outputs))))


if __name__ == "__main__":
    main()

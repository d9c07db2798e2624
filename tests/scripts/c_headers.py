"""Reading lavaflow's public C headers: their regular shape (docs/c-api.md) is parsed here once
for the scripts that need them (check_abi.py, check_bindings.py, and the generators of
bindings/rust, bindings/python and bindings/fortran).
"""
import re

# The headers every binding declares, in dependency order (each uses only types of those before
# it), and the MPI library's header, bound separately (liblavaflow_mpi).
CORE_HEADERS = ["status.h", "version.h", "log.h", "context.h", "topology.h", "identity.h", "scope.h", "memory.h",
                "device.h", "channel.h", "pool.h", "sync.h"]
MPI_HEADER = "lavaflow_mpi.h"

C_LIMITS = {"UINT32_MAX": 2**32 - 1, "INT32_MAX": 2**31 - 1, "INT32_MIN": -2**31, "UINT64_MAX": 2**64 - 1,
            "INT64_MAX": 2**63 - 1, "UINT16_MAX": 2**16 - 1, "UINT8_MAX": 255}


def strip_comments(text):
    """The header's text without comments, each macro on one line."""
    text = text.replace("\\\n", " ")  # (a macro continued on the next line)
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", " ", text)


def evaluate(expression, known, where):
    """The value of a C integer constant expression of literals, names in `known` or C's
    limits, and operators; anything else stops the calling script, naming `where`."""
    expression = re.sub(r"\b(0[xX][0-9a-fA-F]+|\d+)[uUlL]+\b", r"\1", expression.strip())
    expression = re.sub(r"\b([A-Z_][A-Z0-9_]*)\b", lambda m: str({**C_LIMITS, **known}.get(m.group(1), m.group(1))),
                        expression)
    if not re.fullmatch(r"[0-9a-fA-FxX\s()+\-*~|&<>^]+", expression):
        raise SystemExit("cannot evaluate %s = %s" % (where, expression))
    return int(eval(expression, {"__builtins__": {}}))  # only literals and operators remain


def integer_macros(text):
    """(name, value text) of every `#define LF_X value` (text without comments)."""
    return [(name, value.strip()) for name, value in re.findall(r"^\s*#\s*define\s+(LF_\w+)[ \t]+([^\n]+)$", text, re.M)]


def enums(text, known):
    """(enum tag, [(enumerator, value)]) of every enum (text without comments), in order; each
    value is also put in `known`, so that later ones may refer to it."""
    found = []
    for tag, body in re.findall(r"\benum\s*(\w*)\s*\{([^}]*)\}", text):
        items, following = [], -1
        for item in body.split(","):
            name, _, value = item.strip().partition("=")
            name = name.strip()
            if not name:
                continue
            following = evaluate(value, known, name) if value.strip() else following + 1
            known[name] = following
            items.append((name, following))
        found.append((tag, items))
    return found


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
            raise SystemExit("c_headers: cannot read the struct %s" % match.group(1))
        found.append((match.group(1), text[match.end():i - 1], tail.group(1)))
    return found


def functions(text):
    """(return type, name, parameter text) of every `LF_API` function declaration."""
    return re.findall(r"\bLF_API\s+([^;(]*?)\b(lf_\w+)\s*\(([^;]*?)\)\s*;", text, re.S)


NESTED_STRUCT = r"struct\s*\{([^{}]*)\}\s*(\w+)\s*\[\s*(\w+)\s*\]\s*;"


def nested_structs(name, body):
    """A struct's anonymous member structs (`struct { ... } field[N];`), each named
    `<name without _t>_<field>_t`: ([(inner name, inner body, field)], the body with each one
    replaced by a member of the named type)."""
    inner = [("%s_%s_t" % (name[:-2], field), inner_body, field)
             for inner_body, field, _ in re.findall(NESTED_STRUCT, body)]
    flat = re.sub(NESTED_STRUCT, lambda m: "%s_%s_t %s[%s];" % (name[:-2], m.group(2), m.group(2), m.group(3)), body)
    return inner, flat

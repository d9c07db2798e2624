#!/usr/bin/env python3
"""Every public function says what it returns and from which threads it may be called.

usage: check_api_docs.py INCLUDE_DIR

Each function declared with LF_API in INCLUDE_DIR/*.h must have a doc comment right before
it with `@return` (or `@retval`; not for a void function) and `@threadsafety` (the alias of
docs/Doxyfile.in for a "Thread safety" paragraph) or `@par Thread safety`: the rule of
docs/c-api.md ("Thread safety"). Prints every function that lacks one and fails.
"""
import glob
import os
import re
import sys

DECLARATION = re.compile(r"\bLF_API\s+([^;{()]*?)\b(lf_\w+)\s*\(")
THREAD_SAFETY = re.compile(r"@threadsafety\s+\S|@par\s+Thread safety\s*\n\s*\*\s*\S")


def doc_before(text, position):
    """The /** ... */ comment that ends right before `position` (only whitespace between)."""
    before = text[:position].rstrip()
    if not before.endswith("*/"):
        return None
    start = before.rfind("/**")
    if start < 0 or before.rfind("*/", 0, len(before) - 2) > start:
        return None
    return before[start:]


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    problems, count = [], 0
    for path in sorted(glob.glob(os.path.join(sys.argv[1], "*.h"))):
        text = open(path, encoding="utf-8").read()
        for match in DECLARATION.finditer(text):
            return_type, name = match.group(1).strip(), match.group(2)
            count += 1
            where = "%s: %s" % (os.path.basename(path), name)
            doc = doc_before(text, match.start())
            if doc is None:
                problems.append(where + ": no doc comment right before it")
                continue
            if return_type != "void" and "@return" not in doc and "@retval" not in doc:
                problems.append(where + ": no @return")
            if not THREAD_SAFETY.search(doc):
                problems.append(where + ": no @threadsafety")
    if count < 100:
        problems.append("only %d LF_API functions found: is %s the public headers?" % (count, sys.argv[1]))
    for problem in problems:
        print("FAIL:", problem)
    if problems:
        sys.exit(1)
    print("ok: %d public functions, each with @return and @threadsafety" % count)


if __name__ == "__main__":
    main()

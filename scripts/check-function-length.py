#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Fails when a production C++ function is longer than the limit (lines from its opening brace
to its closing one). A brace matcher, not a parser: namespaces and class bodies are looked
through; a brace whose head has a ')' outside any function starts a function.

  scripts/check-function-length.py [--limit 70] [dirs...]   (default: the production modules)
"""
import argparse
import pathlib
import re
import sys

PRODUCTION = ["common", "cni", "ipam", "netlink", "masq", "plugin"]


def strip(text):
    """Comments, string and char literals replaced by spaces (newlines kept)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif text.startswith('R"', i) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            m = re.match(r'R"([^(]*)\(', text[i:])
            end = text.find(")" + m.group(1) + '"', i) if m else -1
            j = n if end < 0 else end + len(m.group(1)) + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append(" " * (j + 1 - i))
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def functions(path):
    text = strip(path.read_text())
    stack = []  # (kind, start line, name)
    head = []
    line = 1
    for c in text:
        if c == "\n":
            line += 1
        if c == "{":
            h = "".join(head)
            in_func = any(k == "func" for k, _, _ in stack)
            if in_func:
                kind = "block"
            elif re.search(r"\bnamespace\b", h) or re.search(r'\bextern\s*$', h):
                kind = "ns"
            elif re.search(r"\b(class|struct|union|enum)\b", h) and "(" not in h:
                kind = "type"
            elif ")" in h:
                kind = "func"
            else:
                kind = "block"
            name = re.findall(r"([~\w:]+)\s*\(", h)
            stack.append((kind, line, name[0] if name else "?"))
            head = []
        elif c == "}":
            if stack:
                kind, start, name = stack.pop()
                if kind == "func":
                    yield name, start, line - start + 1
            head = []
        elif c == ";":
            head = []
        else:
            head.append(c)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=70)
    ap.add_argument("dirs", nargs="*")
    args = ap.parse_args()
    root = pathlib.Path(__file__).resolve().parent.parent
    dirs = [pathlib.Path(d).resolve() for d in args.dirs] or [root / d for d in PRODUCTION]
    over = []
    for d in dirs:
        for path in sorted(list(d.rglob("*.cc")) + list(d.rglob("*.h"))):
            for name, start, length in functions(path):
                if length > args.limit:
                    shown = path.relative_to(root) if path.is_relative_to(root) else path
                    over.append((length, f"{shown}:{start}", name))
    for length, where, name in sorted(over, reverse=True):
        print(f"{where}: {name} is {length} lines (limit {args.limit})")
    if over:
        return 1
    print(f"function length: every production function is at most {args.limit} lines")
    return 0


if __name__ == "__main__":
    sys.exit(main())

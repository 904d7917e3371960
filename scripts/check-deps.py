#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Fails when a production source includes a module it may not depend on: the README's
architecture picture, checked against the #include lines."""
import pathlib
import re
import sys

# Each module and the modules it may include (itself always).
ALLOWED = {
    "common": set(),
    "cni": {"common"},
    "ipam": {"cni", "common"},
    "netlink": {"common"},
    "masq": {"netlink", "cni", "common"},
    "plugin/host-local": {"ipam", "cni", "common"},
    "plugin/bridge": {"plugin/host-local", "masq", "ipam", "netlink", "cni", "common"},
}


def module_of(path):
    for m in sorted(ALLOWED, key=len, reverse=True):
        if path == m or path.startswith(m + "/"):
            return m
    return None


def main():
    root = pathlib.Path(__file__).resolve().parent.parent
    bad = []
    for m in ALLOWED:
        for f in sorted((root / m).rglob("*")):
            if f.suffix not in (".cc", ".h"):
                continue
            for n, line in enumerate(f.read_text().splitlines(), 1):
                inc = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
                if not inc:
                    continue
                target = module_of(inc.group(1))
                if target and target != m and target not in ALLOWED[m]:
                    bad.append(f"{f.relative_to(root)}:{n}: {m} must not include {inc.group(1)}")
    for b in bad:
        print(b)
    if bad:
        return 1
    print("dependencies: every include points down the module graph")
    return 0


if __name__ == "__main__":
    sys.exit(main())

# SPDX-License-Identifier: Apache-2.0
"""Namespace bookkeeping: every netns the runner creates is registered here and deleted on exit,
whatever happens (exception, Ctrl-C, SIGTERM). Names are cnbc-<pid>-<n>-<role>."""

import json
import os
import re
import subprocess
import threading

from .tools import IP

_lock = threading.Lock()
_counter = 0
_live: set[str] = set()


def new_netns(role: str) -> str:
    global _counter
    with _lock:
        _counter += 1
        name = f"cnbc-{os.getpid()}-{_counter}-{role}"
        _live.add(name)
    subprocess.run([IP, "netns", "add", name], check=True, capture_output=True)
    return name


def delete_netns(name: str) -> None:
    with _lock:
        if name not in _live:
            return
        _live.discard(name)
    subprocess.run([IP, "netns", "delete", name], capture_output=True)


def delete_all_netns() -> None:
    for name in list(_live):
        delete_netns(name)


def count_veths(ns: str) -> int:
    out = subprocess.run([IP, "-n", ns, "-j", "link", "show", "type", "veth"],
                         capture_output=True, text=True).stdout
    return len(json.loads(out)) if out.strip() else 0


def sweep_stale_netns() -> None:
    """Deletes cnbc-<pid>-* namespaces left by a runner that was killed (its pid is gone)."""
    try:
        names = os.listdir("/var/run/netns")
    except OSError:
        return
    for name in names:
        m = re.fullmatch(r"cnbc-(\d+)-\d+-.*", name)
        if m and int(m.group(1)) != os.getpid() and not os.path.exists("/proc/" + m.group(1)):
            subprocess.run([IP, "netns", "delete", name], capture_output=True)

#!/usr/bin/env python3
"""Benchmark driver for bench/run.sh (Python stdlib only).

  bench.py phase --impl NAME --cni-path P --mode serial|parallel --n N --workdir W --out F
      Runs inside a throwaway node netns + private mount namespace (run.sh arranges it).
      Pre-creates N pod netns (untimed), then ADDs N pods and DELs them again by calling the
      bridge executable directly with CNI_* env, timing each call from posix_spawn to wait4.
      Peak RSS is the plugin's own VmHWM at exit (see plugin_own_hwm): wait4's ru_maxrss is
      useless here, since a child spawned from Python starts in Python's address space and
      reports its 13 MB whatever the plugin does.
  bench.py report F...
      Prints the comparison as a markdown table.
"""
import argparse
import ctypes
import json
import os
import queue
import re
import statistics
import sys
import threading
import time

CLONE_NEWNET = 0x40000000
MS_BIND = 4096
PARALLEL_WORKERS = 8
RSS_SAMPLES = 10  # untimed ADD+DEL pairs traced for the plugin's own peak RSS

PTRACE_CONT = 7
PTRACE_SEIZE = 0x4206
PTRACE_O_TRACEEXIT = 0x40
PTRACE_EVENT_EXIT = 6

libc = ctypes.CDLL(None, use_errno=True)
libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
libc.ptrace.restype = ctypes.c_long


def check_errno(ret, what):
    if ret != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def create_pod_netns(directory, count):
    """Creates COUNT network namespaces pinned by bind mounts under DIRECTORY (which must be in
    a private mount namespace: the pins vanish with it)."""
    os.makedirs(directory, exist_ok=True)
    home = os.open("/proc/self/ns/net", os.O_RDONLY)
    paths = []
    try:
        for i in range(count):
            path = os.path.join(directory, f"pod{i}")
            open(path, "w").close()
            check_errno(libc.unshare(CLONE_NEWNET), "unshare(CLONE_NEWNET)")
            check_errno(libc.mount(b"/proc/self/ns/net", path.encode(), None, MS_BIND, None),
                        f"bind mount {path}")
            check_errno(libc.setns(home, CLONE_NEWNET), "setns back")
            paths.append(path)
    finally:
        os.close(home)
    return paths


def netconf(impl, datadir, ipmasq, trace_log=None):
    # One /16 per implementation so the two never share a bridge, subnet or state.
    octet = 66 if impl == "ours" else 67
    extra = {"logLevel": "debug", "logFile": trace_log} if trace_log else {}
    return json.dumps({**extra,
        "cniVersion": "1.0.0",
        "name": f"bench-{impl}",
        "type": "bridge",
        "bridge": f"cnbb-{impl}",
        "isGateway": True,
        "ipMasq": ipmasq,
        "ipam": {
            "type": "host-local",
            "dataDir": datadir,
            "ranges": [[{"subnet": f"10.{octet}.0.0/16"}]],
            "routes": [{"dst": "0.0.0.0/0"}],
        },
    }).encode()


def call_plugin(plugin, conf_path, env):
    """One plugin execution: returns (seconds, exit status, ru_maxrss KiB, stdout bytes)."""
    out_r, out_w = os.pipe()
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, conf_path, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_DUP2, out_w, 1),
        (os.POSIX_SPAWN_OPEN, 2, "/dev/null", os.O_WRONLY, 0),
    ]
    start = time.perf_counter()
    pid = os.posix_spawn(plugin, [plugin], env, file_actions=actions)
    os.close(out_w)
    chunks = []
    while True:
        chunk = os.read(out_r, 65536)
        if not chunk:
            break
        chunks.append(chunk)
    _, status, rusage = os.wait4(pid, 0)
    elapsed = time.perf_counter() - start
    os.close(out_r)
    return elapsed, os.waitstatus_to_exitcode(status), rusage.ru_maxrss, b"".join(chunks)


def plugin_own_hwm(plugin, conf_path, env):
    """Peak RSS (KiB) of the plugin process alone, without the helpers it runs (host-local,
    iptables), which wait4's ru_maxrss folds in: the process is stopped at its exit (ptrace
    PTRACE_EVENT_EXIT, before its memory is released) and VmHWM read from /proc. Untimed:
    the tracing slows the process down. Returns None if the process could not be traced."""
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, conf_path, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, "/dev/null", os.O_WRONLY, 0),
        (os.POSIX_SPAWN_OPEN, 2, "/dev/null", os.O_WRONLY, 0),
    ]
    pid = os.posix_spawn(plugin, [plugin], env, file_actions=actions)
    traced = libc.ptrace(PTRACE_SEIZE, pid, None, ctypes.c_void_p(PTRACE_O_TRACEEXIT)) == 0
    hwm = None
    while True:
        _, status = os.waitpid(pid, 0)
        if os.WIFEXITED(status) or os.WIFSIGNALED(status):
            return hwm
        if not (traced and os.WIFSTOPPED(status)):
            continue
        sig = os.WSTOPSIG(status)
        if sig == 5 and (status >> 16) == PTRACE_EVENT_EXIT:  # SIGTRAP | event << 8
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        hwm = int(line.split()[1])
            sig = 0
        elif sig == 5:
            sig = 0
        libc.ptrace(PTRACE_CONT, pid, None, ctypes.c_void_p(sig))


def run_phase(args):
    work = args.workdir
    os.makedirs(work, exist_ok=True)
    pods = create_pod_netns(os.path.join(work, "netns"), args.n)
    conf_path = os.path.join(work, "netconf.json")
    with open(conf_path, "wb") as f:
        trace_log = os.path.join(work, "trace.log") if args.trace and args.impl == "ours" else None
        f.write(netconf(args.impl, os.path.join(work, "ipam"), args.ipmasq == 1, trace_log))
    plugin = None
    for d in args.cni_path.split(":"):
        if os.access(os.path.join(d, "bridge"), os.X_OK):
            plugin = os.path.join(d, "bridge")
            break
    if plugin is None:
        sys.exit(f"no bridge executable in {args.cni_path}")

    def env_for(command, i):
        return {
            "CNI_COMMAND": command,
            "CNI_CONTAINERID": f"cnbb-{i:06d}",
            "CNI_NETNS": pods[i],
            "CNI_IFNAME": "eth0",
            "CNI_PATH": args.cni_path,
            "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
        }

    records = {"ADD": [None] * args.n, "DEL": [None] * args.n}
    errors = []
    wall = {}

    def one(command, i):
        secs, code, rss, out = call_plugin(plugin, conf_path, env_for(command, i))
        records[command][i] = (secs, rss)
        if code != 0:
            errors.append(f"{command} pod {i}: exit {code}: {out[:300].decode(errors='replace')}")

    for command in ("ADD", "DEL"):
        start = time.perf_counter()
        if args.mode == "serial":
            for i in range(args.n):
                one(command, i)
        else:
            todo = queue.SimpleQueue()
            for i in range(args.n):
                todo.put(i)

            def worker():
                while True:
                    try:
                        i = todo.get_nowait()
                    except queue.Empty:
                        return
                    one(command, i)

            threads = [threading.Thread(target=worker) for _ in range(PARALLEL_WORKERS)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        wall[command] = time.perf_counter() - start

    own_hwm = []
    for i in range(min(RSS_SAMPLES, args.n)):
        for command in ("ADD", "DEL"):
            kib = plugin_own_hwm(plugin, conf_path, env_for(command, i))
            if kib is not None:
                own_hwm.append(kib)

    with open(args.out, "w") as f:
        json.dump({"impl": args.impl, "mode": args.mode, "n": args.n, "plugin": plugin,
                   "ipmasq": args.ipmasq == 1,
                   "wall": wall, "own_hwm": own_hwm, "errors": errors[:20], "error_count": len(errors),
                   "add": records["ADD"], "del": records["DEL"],
                   "steps": parse_trace(trace_log) if trace_log else None}, f)
    print(f"bench: {args.impl:4} {args.mode:8} N={args.n}: ADD {wall['ADD']:.1f}s, "
          f"DEL {wall['DEL']:.1f}s, {len(errors)} errors", file=sys.stderr)
    for e in errors[:5]:
        print(f"  {e}", file=sys.stderr)


# Our ADD logs each step's offset at debug level ("ADD veth at 812us", with "id=cnbb-000042" in
# the line's context); returns {step: [duration in ms, per pod in order]}.
def parse_trace(path):
    offsets = {}
    line_re = re.compile(r"id=cnbb-(\d+).* ADD (\S+) at (\d+)us")
    with open(path, errors="replace") as f:
        for line in f:
            m = line_re.search(line)
            if m:
                offsets.setdefault(int(m.group(1)), []).append((m.group(2), int(m.group(3))))
    steps = {}
    for pod in sorted(offsets):
        prev = 0
        for step, at in offsets[pod]:
            steps.setdefault(step, []).append((at - prev) / 1000)
            prev = at
    return steps


def pct(values, p):
    s = sorted(values)
    k = (len(s) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def summarize(run):
    add = [r[0] * 1000 for r in run["add"]]
    dele = [r[0] * 1000 for r in run["del"]]
    window = min(100, max(1, len(add) // 2))
    return {
        "ADD p50 (ms)": pct(add, 50), "ADD p90 (ms)": pct(add, 90), "ADD p99 (ms)": pct(add, 99),
        "DEL p50 (ms)": pct(dele, 50), "DEL p90 (ms)": pct(dele, 90), "DEL p99 (ms)": pct(dele, 99),
        "ADD throughput (pods/s)": run["n"] / run["wall"]["ADD"],
        "DEL throughput (pods/s)": run["n"] / run["wall"]["DEL"],
        f"ADD p50, first {window} pods (ms)": statistics.median(add[:window]),
        f"ADD p50, last {window} pods (ms)": statistics.median(add[-window:]),
        f"ADD growth (p50 last {window} / first {window})":
            statistics.median(add[-window:]) / statistics.median(add[:window]),
        "peak RSS, plugin alone (MiB)": max(run["own_hwm"] or [0]) / 1024,
        "errors": run["error_count"],
    }


# For the ratio column: where lower is better (latency, growth, RSS) ours/ref < 1 is better.
# A phase run for one implementation only (BENCH_IMPLS) leaves its other columns empty.
def report(files):
    runs = [json.load(open(f)) for f in files]
    by = {(r["mode"], r["impl"]): summarize(r) for r in runs}
    modes = [m for m in ("serial", "parallel") if any((m, i) in by for i in ("ours", "ref"))]
    n = runs[0]["n"]
    masq = "ipMasq" if runs[0].get("ipmasq", True) else "no ipMasq"
    print(f"| N={n} pods, {masq}, host-local | " +
          " | ".join(f"ours {m} | reference {m} | ours/ref {m}" for m in modes) + " |")
    print("|---|" + "---:|---:|---:|" * len(modes))
    keys = next(iter(by.values())).keys()
    for key in keys:
        cells = []
        for m in modes:
            o, r = (by[(m, i)][key] if (m, i) in by else None for i in ("ours", "ref"))
            ratio = "" if key == "errors" or o is None or r is None else (f"{o / r:.2f}" if r else "-")
            fmt = (lambda v: f"{v}") if key == "errors" else (lambda v: f"{v:.2f}" if v < 100 else f"{v:.0f}")
            cells += ["" if o is None else fmt(o), "" if r is None else fmt(r), ratio]
        print(f"| {key} | " + " | ".join(cells) + " |")
    for r in runs:
        if r.get("steps"):
            print_steps(r)
    if any(r["error_count"] for r in runs):
        for r in runs:
            for e in r["errors"][:3]:
                print(f"error ({r['impl']} {r['mode']}): {e}", file=sys.stderr)
        return 1
    return 0


# Where our ADD's time goes, and which steps grow with the number of pods (BENCH_TRACE=1).
def print_steps(run):
    steps = run["steps"]
    window = min(100, max(1, run["n"] // 2))
    print(f"\nours {run['mode']}, ADD steps (median ms; debug logging on, so totals run higher):")
    print(f"| step | first {window} | last {window} | growth |")
    print("|---|---:|---:|---:|")
    for step, ms in steps.items():
        first, last = statistics.median(ms[:window]), statistics.median(ms[-window:])
        growth = f"{last / first:.2f}" if first > 0 else "-"
        print(f"| {step} | {first:.3f} | {last:.3f} | {growth} |")


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    ph = sub.add_parser("phase")
    ph.add_argument("--impl", required=True, choices=["ours", "ref"])
    ph.add_argument("--cni-path", required=True)
    ph.add_argument("--mode", required=True, choices=["serial", "parallel"])
    ph.add_argument("--n", type=int, required=True)
    ph.add_argument("--workdir", required=True)
    ph.add_argument("--out", required=True)
    ph.add_argument("--ipmasq", type=int, choices=[0, 1], default=1)
    ph.add_argument("--trace", type=int, choices=[0, 1], default=0)
    rp = sub.add_parser("report")
    rp.add_argument("files", nargs="+")
    args = ap.parse_args()
    if args.cmd == "phase":
        run_phase(args)
        return 0
    return report(args.files)


if __name__ == "__main__":
    sys.exit(main())

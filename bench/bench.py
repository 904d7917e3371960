#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Benchmark driver for bench/run.sh (Python stdlib; matplotlib only for `plot`). Method: README.md.

  bench.py phase --impl ours|ref|floor --plugin EXE --cni-path P --mode serial|parallel --n N
                 --workdir W --out F [--age M] [--round R --rounds RR --order "..."] [...]
      One measured phase, run inside a fresh node netns + private mount namespace (run.sh
      arranges it). Pre-creates N pod netns (untimed); with --age M first churns M pods (each:
      new pod netns, ADD, DEL, netns gone); waits at the quiet gate; then ADDs the N pods and DELs
      them again, calling the executable directly with CNI_* env and timing each call from
      posix_spawn to wait4. Writes F: the per-pod latencies and everything the report needs.
  bench.py report DIR
      The markdown report from DIR/phase-*.json: medians over rounds, ratios ours/ref, ours/floor.
  bench.py plot DIR PNG
      ADD latency against pod number, one line per implementation, one subplot per mode.

Peak RSS is the executable's own VmHWM at exit (see plugin_own_hwm): wait4's ru_maxrss is useless
here, since a child spawned from Python starts in Python's address space and reports its 13 MB
whatever the plugin does.
"""
import argparse
import ctypes
import datetime
import glob
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
MNT_DETACH = 2
PARALLEL_WORKERS = 8
RSS_SAMPLES = 10  # untimed ADD+DEL pairs traced for the plugin's own peak RSS
FLOOR_NET = "10.68"  # the floor's /16 (ours 10.66, the reference 10.67)
PLOT_WINDOW = 25

PTRACE_CONT = 7
PTRACE_SEIZE = 0x4206
PTRACE_O_TRACEEXIT = 0x40
PTRACE_EVENT_EXIT = 6

IMPLS = ("ours", "ref", "floor")
LABEL = {"ours": "ours", "ref": "reference", "floor": "kernel floor"}
WORKERS = {"serial": 1, "parallel": PARALLEL_WORKERS}

libc = ctypes.CDLL(None, use_errno=True)
libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
libc.ptrace.restype = ctypes.c_long


def check_errno(ret, what):
    if ret != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


# ---- pod network namespaces ----

def create_netns(path, home):
    """A new network namespace pinned by a bind mount on PATH (in run.sh's private mount
    namespace, so the pins vanish with it). Per thread: unshare and setns act on the calling
    thread, and /proc/thread-self (not /proc/self, the main thread) names its namespace."""
    open(path, "w").close()
    check_errno(libc.unshare(CLONE_NEWNET), "unshare(CLONE_NEWNET)")
    try:
        check_errno(libc.mount(b"/proc/thread-self/ns/net", path.encode(), None, MS_BIND, None),
                    f"bind mount {path}")
    finally:
        check_errno(libc.setns(home, CLONE_NEWNET), "setns back")


def destroy_netns(path):
    check_errno(libc.umount2(path.encode(), MNT_DETACH), f"umount {path}")
    os.unlink(path)


# ---- running the executables ----

def netconf(impl, datadir, ipmasq, trace_log=None, extra_keys=None):
    # One /16 per implementation so that they never share a bridge, subnet or state (each phase
    # also has a node netns of its own). The floor ignores its netconf.
    octet = {"ours": 66, "ref": 67, "floor": 68}[impl]
    extra = {"logLevel": "debug", "logFile": trace_log} if trace_log else {}
    extra.update(extra_keys or {})  # BENCH_CONF: e.g. {"keepContainerIPv6": true} for an experiment
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
    """One execution: returns (seconds, exit status, stdout and stderr bytes)."""
    out_r, out_w = os.pipe()
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, conf_path, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_DUP2, out_w, 1),
        (os.POSIX_SPAWN_DUP2, out_w, 2),
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
    _, status = os.waitpid(pid, 0)
    elapsed = time.perf_counter() - start
    os.close(out_r)
    return elapsed, os.waitstatus_to_exitcode(status), b"".join(chunks)


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


class Progress:
    """A line on stderr every 100 pods or 5 s, and at the end."""

    def __init__(self, label, total):
        self.label, self.total, self.done = label, total, 0
        self.start = self.last = time.monotonic()
        self.lock = threading.Lock()

    def tick(self):
        with self.lock:
            self.done += 1
            now = time.monotonic()
            if self.done % 100 == 0 or now - self.last >= 5 or self.done == self.total:
                self.last = now
                log(f"{self.label}: {self.done}/{self.total} pods, {now - self.start:.1f}s")


def run_pool(items, workers, fn):
    """fn(item) for every item, serially or from WORKERS threads pulling from one queue."""
    if workers == 1:
        for item in items:
            fn(item)
        return
    todo = queue.SimpleQueue()
    for item in items:
        todo.put(item)
    failures = []

    def worker():
        while True:
            try:
                item = todo.get_nowait()
            except queue.Empty:
                return
            try:
                fn(item)
            except Exception as e:  # noqa: BLE001 - reported after the join
                failures.append(e)
                return

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise failures[0]


# ---- the quiet gate ----

def cpu_times():
    with open("/proc/stat") as f:
        fields = [int(v) for v in f.readline().split()[1:9]]
    # user nice system idle iowait irq softirq steal (guest time is inside user already)
    return sum(fields), fields[3] + fields[4]


def quiet_gate(min_idle, timeout):
    """Waits until the whole machine was at least MIN_IDLE % idle over one second (from
    /proc/stat, all CPUs), for at most TIMEOUT s; then goes on and says the gate timed out."""
    if min_idle <= 0:
        return {"held": True, "skipped": True, "waited_s": 0, "idle_pct": None, "min_idle_pct": 0}
    start = time.monotonic()
    total0, idle0 = cpu_times()
    idle = 0.0
    while True:
        time.sleep(1)
        total1, idle1 = cpu_times()
        idle = 100 * (idle1 - idle0) / max(1, total1 - total0)
        total0, idle0 = total1, idle1
        waited = time.monotonic() - start
        if idle >= min_idle:
            return {"held": True, "waited_s": round(waited, 1), "idle_pct": round(idle, 1),
                    "min_idle_pct": min_idle}
        if waited >= timeout:
            return {"held": False, "waited_s": round(waited, 1), "idle_pct": round(idle, 1),
                    "min_idle_pct": min_idle}


# ---- one phase ----

def host_info():
    cpu = "unknown CPU"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {"kernel": os.uname().release, "cpu": cpu, "nproc": len(os.sched_getaffinity(0))}


def floor_addr(index):
    # Pod addresses for the floor, which does no IPAM: .0.2 upwards (.0.1 is the gateway).
    k = index % 65000 + 2
    return f"{FLOOR_NET}.{k >> 8}.{k & 255}/16"


def run_phase(args):
    work = args.workdir
    os.makedirs(os.path.join(work, "netns"), exist_ok=True)
    conf_path = os.path.join(work, "netconf.json")
    trace_log = os.path.join(work, "trace.log") if args.trace and args.impl == "ours" else None
    with open(conf_path, "wb") as f:
        f.write(netconf(args.impl, os.path.join(work, "ipam"), args.ipmasq == 1, trace_log,
                        json.loads(args.conf) if args.conf else None))
    plugin = args.plugin
    if not os.access(plugin, os.X_OK):
        sys.exit(f"{plugin} is not executable")
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    label = f"round {args.round}/{args.rounds} {args.mode} {args.impl}"
    workers = WORKERS[args.mode]
    started = datetime.datetime.now(datetime.timezone.utc)

    pods = [os.path.join(work, "netns", f"pod{i}") for i in range(args.n)]
    for p in pods:
        create_netns(p, home)

    def env_for(command, container_id, netns, index):
        env = {
            "CNI_COMMAND": command,
            "CNI_CONTAINERID": container_id,
            "CNI_NETNS": netns,
            "CNI_IFNAME": "eth0",
            "CNI_PATH": args.cni_path,
            "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
        }
        if args.impl == "floor":
            env.update(CNB_FLOOR_ADDR=floor_addr(index), CNB_FLOOR_GW=f"{FLOOR_NET}.0.1/16",
                       CNB_FLOOR_MASQ=str(args.ipmasq))
        return env

    def pod_env(command, i):
        return env_for(command, f"cnbb-{i:06d}", pods[i], i)

    # Aging: M pods through the same executable, each in a pod netns that comes and goes.
    age_errors = []
    age_wall = 0.0
    if args.age > 0:
        progress = Progress(f"{label} aging", args.age)
        start = time.perf_counter()

        def churn(j):
            path = os.path.join(work, "netns", f"age{j}")
            create_netns(path, home)
            for command in ("ADD", "DEL"):
                env = env_for(command, f"cnbb-age-{j:06d}", path, j)
                _, code, out = call_plugin(plugin, conf_path, env)
                if code != 0:
                    age_errors.append(f"aging {command} pod {j}: exit {code}: "
                                      f"{out[:300].decode(errors='replace')}")
            destroy_netns(path)
            progress.tick()

        run_pool(range(args.age), workers, churn)
        age_wall = time.perf_counter() - start
        log(f"{label}: aged with {args.age} pods in {age_wall:.1f}s, {len(age_errors)} errors")

    gate = quiet_gate(args.gate_idle, args.gate_timeout)
    if gate.get("skipped"):
        log(f"{label}: quiet gate off")
    else:
        log(f"{label}: quiet gate {'held' if gate['held'] else 'TIMED OUT'} after {gate['waited_s']}s "
            f"({gate['idle_pct']:g}% idle over 1 s, wanted {args.gate_idle:g}%)")

    latency = {"ADD": [None] * args.n, "DEL": [None] * args.n}
    errors = []
    wall = {}
    for command in ("ADD", "DEL"):
        progress = Progress(f"{label} {command}", args.n)

        def one(i, command=command, progress=progress):
            secs, code, out = call_plugin(plugin, conf_path, pod_env(command, i))
            latency[command][i] = round(secs * 1000, 4)
            if code != 0:
                errors.append(f"{command} pod {i}: exit {code}: {out[:300].decode(errors='replace')}")
            progress.tick()

        start = time.perf_counter()
        run_pool(range(args.n), workers, one)
        wall[command] = time.perf_counter() - start

    steps = parse_trace(trace_log) if trace_log else None  # before the untimed ADDs below log more
    own_hwm = []
    for i in range(min(RSS_SAMPLES, args.n)):
        for command in ("ADD", "DEL"):
            kib = plugin_own_hwm(plugin, conf_path, pod_env(command, i))
            if kib is not None:
                own_hwm.append(kib)

    result = {"impl": args.impl, "mode": args.mode, "workers": workers, "n": args.n,
              "round": args.round, "rounds": args.rounds, "order": args.order.split(),
              "plugin": plugin, "ipmasq": args.ipmasq == 1, "conf": args.conf, "started_utc": started.isoformat(),
              **host_info(), "gate": gate,
              "age": args.age, "age_wall_s": age_wall, "age_errors": age_errors[:20],
              "age_error_count": len(age_errors),
              "wall_s": wall, "own_hwm_kib": own_hwm, "errors": errors[:20], "error_count": len(errors),
              "add_ms": latency["ADD"], "del_ms": latency["DEL"],
              "steps": steps}
    with open(args.out, "w") as f:
        json.dump(result, f)
    log(f"{label}: N={args.n}: ADD {wall['ADD']:.1f}s, DEL {wall['DEL']:.1f}s, {len(errors)} errors")
    for e in errors[:5]:
        log(f"  {e}")


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


# ---- report ----

def pct(values, p):
    s = sorted(values)
    k = (len(s) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def window_of(n):
    return min(100, max(1, n // 2))


def summarize(run):
    add, dele = run["add_ms"], run["del_ms"]
    w = window_of(run["n"])
    first, last = statistics.median(add[:w]), statistics.median(add[-w:])
    return {
        "ADD p50 (ms)": pct(add, 50), "ADD p90 (ms)": pct(add, 90), "ADD p99 (ms)": pct(add, 99),
        "DEL p50 (ms)": pct(dele, 50), "DEL p90 (ms)": pct(dele, 90), "DEL p99 (ms)": pct(dele, 99),
        "ADD throughput (pods/s)": run["n"] / run["wall_s"]["ADD"],
        "DEL throughput (pods/s)": run["n"] / run["wall_s"]["DEL"],
        f"ADD p50, first {w} pods (ms)": first,
        f"ADD p50, last {w} pods (ms)": last,
        f"ADD growth, last {w} − first {w} (ms)": last - first,
        f"ADD growth (p50 last {w} / first {w})": last / first if first else float("nan"),
        "peak RSS, executable alone (MiB)": max(run["own_hwm_kib"] or [0]) / 1024,
        "errors (all rounds)": run["error_count"],
    }


NO_RATIO = ("errors", "growth, last")


def fmt(key, v):
    if v is None:
        return ""
    if key.startswith("errors"):
        return str(v)
    return f"{v:.2f}" if abs(v) < 100 else f"{v:.0f}"


def load(directory):
    files = sorted(glob.glob(os.path.join(directory, "phase-*.json")))
    if not files:
        sys.exit(f"no phase-*.json in {directory}")
    runs = []
    for path in files:
        with open(path) as f:
            runs.append(json.load(f))
    return runs


def group(runs):
    by = {}
    for r in runs:
        by.setdefault((r["mode"], r["impl"]), []).append(r)
    for rs in by.values():
        rs.sort(key=lambda r: r["round"])
    return by


def header(runs):
    first = min(runs, key=lambda r: r["started_utc"])
    date = datetime.datetime.fromisoformat(first["started_utc"]).strftime("%Y-%m-%d %H:%M")
    rounds = max(r["round"] for r in runs)
    return first, date, rounds


def report(directory):
    runs = load(directory)
    by = group(runs)
    first, date, rounds = header(runs)
    n = first["n"]
    masq = "ipMasq on" if first["ipmasq"] else "ipMasq off"
    if first.get("conf"):
        masq += f", extra netconf keys {first['conf']}"
    gated = [r for r in runs if not r["gate"].get("skipped")]
    held = sum(1 for r in gated if r["gate"]["held"])
    if not gated:
        gate = "quiet gate off"
    elif held == len(gated):
        gate = f"quiet gate held before all {len(gated)} phases (≥{gated[0]['gate']['min_idle_pct']:g}% idle over 1 s)"
    else:
        low = min(r["gate"]["idle_pct"] for r in gated if not r["gate"]["held"])
        gate = (f"**quiet gate timed out before {len(gated) - held} of {len(gated)} phases** "
                f"(lowest idle {low:g}%, wanted ≥{gated[0]['gate']['min_idle_pct']:g}%): the machine was busy")
    print(f"## Benchmark: N={n} pods, {rounds} round{'s' if rounds > 1 else ''}\n")
    print(f"{date} UTC · kernel {first['kernel']} · {first['cpu']} · nproc {first['nproc']} · "
          f"N={n} · {rounds} round{'s' if rounds > 1 else ''} · {masq}, host-local · {gate}\n")
    meta_path = os.path.join(directory, "run.json")
    if os.path.exists(meta_path):
        with open(meta_path) as f:
            meta = json.load(f)
        print(f"ours: {meta['ours_dir']} (git {meta['ours_git']}) · reference: {meta['ref_dir']} "
              f"(containernetworking-plugins {meta['ref_package']}) · kernel floor: bench/floor.cc\n")
    if first["age"]:
        age_err = sum(r["age_error_count"] for r in runs)
        print(f"**Aged node:** before each measured phase, {first['age']} pods were ADDed and DELeted "
              f"(each in a pod netns of its own) through the same implementation on that phase's node "
              f"({age_err} errors while aging).\n")
    modes = [m for m in WORKERS if any((m, i) in by for i in IMPLS)]
    impls = [i for i in IMPLS if any((m, i) in by for m in modes)]
    ratios = [(a, b) for a, b in (("ours", "ref"), ("ours", "floor")) if a in impls and b in impls]
    status = 0
    for mode in modes:
        w = WORKERS[mode]
        print(f"### {mode} ({w} worker{'s' if w > 1 else ''}), median of {rounds} round{'s' if rounds > 1 else ''}\n")
        cols = [LABEL[i] for i in impls] + [f"{a}/{b}" for a, b in ratios]
        print("| metric | " + " | ".join(cols) + " |")
        print("|---|" + "---:|" * len(cols))
        summaries = {i: [summarize(r) for r in by.get((mode, i), [])] for i in impls}
        keys = next(s for s in summaries.values() if s)[0].keys()
        for key in keys:
            vals = {}
            for i in impls:
                got = [s[key] for s in summaries[i]]
                if not got:
                    vals[i] = None
                elif key.startswith("errors"):
                    vals[i] = sum(got)
                else:
                    vals[i] = statistics.median(got)
            cells = [fmt(key, vals[i]) for i in impls]
            for a, b in ratios:
                va, vb = vals[a], vals[b]
                if any(x in key for x in NO_RATIO) or va is None or vb is None:
                    cells.append("")
                else:
                    cells.append(f"{va / vb:.2f}" if vb else "-")
            print(f"| {key} | " + " | ".join(cells) + " |")
        print()
    # Per round: how much the rounds agree, and in which order they ran.
    print("ADD p50 / DEL p50 (ms) per round, implementations in the order they ran:\n")
    cols = [f"{m} {LABEL[i]}" for m in modes for i in impls]
    print("| round | order | " + " | ".join(cols) + " |")
    print("|---|---|" + "---:|" * len(cols))
    for rnd in range(1, rounds + 1):
        cells, order = [], ""
        for m in modes:
            for i in impls:
                r = next((r for r in by.get((m, i), []) if r["round"] == rnd), None)
                if r:
                    order = ", ".join(r["order"])
                    cells.append(f"{pct(r['add_ms'], 50):.2f} / {pct(r['del_ms'], 50):.2f}")
                else:
                    cells.append("")
        print(f"| {rnd} | {order} | " + " | ".join(cells) + " |")
    print("\nRatios: below 1 is better for ours, except throughput (above 1 is better).")
    for mode in modes:
        traced = [r for r in by.get((mode, "ours"), []) if r.get("steps")]
        if traced:
            print_steps(mode, traced)
    for r in runs:
        if r["error_count"] or r["age_error_count"]:
            status = 1
            for e in (r["errors"] + r["age_errors"])[:3]:
                log(f"error (round {r['round']} {r['mode']} {r['impl']}): {e}")
    return status


# Where our ADD's time goes, and which steps grow with the number of pods (BENCH_TRACE=1).
def print_steps(mode, runs):
    w = window_of(runs[0]["n"])
    print(f"\nours {mode}, ADD steps (ms, median over rounds of each round's median; debug logging on, "
          "so totals run higher):\n")
    print(f"| step | first {w} | last {w} | growth |")
    print("|---|---:|---:|---:|")
    for step in runs[0]["steps"]:
        per = [r["steps"][step] for r in runs if step in r["steps"]]
        first = statistics.median(statistics.median(ms[:w]) for ms in per)
        last = statistics.median(statistics.median(ms[-w:]) for ms in per)
        growth = f"{last / first:.2f}" if first > 0 else "-"
        print(f"| {step} | {first:.3f} | {last:.3f} | {growth} |")


# ---- plot ----

def rolling_pooled_median(series, window):
    n = min(len(s) for s in series)
    half = window // 2
    out = []
    for i in range(n):
        lo, hi = max(0, i - half), min(n, i + half + 1)
        out.append(statistics.median(v for s in series for v in s[lo:hi]))
    return out


def plot(directory, png):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullFormatter

    runs = load(directory)
    by = group(runs)
    first, date, rounds = header(runs)
    n = first["n"]
    window = min(PLOT_WINDOW, n)
    modes = [m for m in WORKERS if any((m, i) in by for i in IMPLS)]
    colors = {"ours": "tab:blue", "ref": "tab:orange", "floor": "tab:gray"}
    fig, axes = plt.subplots(1, len(modes), figsize=(6.5 * len(modes), 4.8), sharey=True, squeeze=False)
    for ax, mode in zip(axes[0], modes):
        for impl in IMPLS:
            rs = by.get((mode, impl))
            if not rs:
                continue
            ys = rolling_pooled_median([r["add_ms"] for r in rs], window)
            p50 = statistics.median(statistics.median(r["add_ms"]) for r in rs)
            ax.plot(range(1, len(ys) + 1), ys, color=colors[impl], linewidth=1.6,
                    label=f"{LABEL[impl]} (ADD p50 {p50:.1f} ms)")
        w = WORKERS[mode]
        ax.set_title(f"{mode}: {w} worker{'s' if w > 1 else ''}")
        ax.set_xlabel("pod number")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_yscale("log")
        ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.grid(True, which="major", alpha=0.35)
        ax.legend(loc="best", fontsize=9)
    axes[0][0].set_ylabel("ADD latency (ms, log scale)")
    aged = f", node aged with {first['age']} pods" if first["age"] else ""
    masq = "ipMasq on" if first["ipmasq"] else "ipMasq off"
    fig.suptitle(f"ADD latency against pod number, N={n}, {masq}{aged}: rolling median over {window} pods, "
                 f"{rounds} round{'s' if rounds > 1 else ''} pooled\n"
                 f"{date} UTC · {first['cpu']} · {first['nproc']} CPUs · kernel {first['kernel']}",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(png, dpi=120)
    log(f"plot: {png}")
    return 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    ph = sub.add_parser("phase")
    ph.add_argument("--impl", required=True, choices=IMPLS)
    ph.add_argument("--plugin", required=True, help="the executable under test")
    ph.add_argument("--cni-path", default="")
    ph.add_argument("--mode", required=True, choices=list(WORKERS))
    ph.add_argument("--n", type=int, required=True)
    ph.add_argument("--workdir", required=True)
    ph.add_argument("--out", required=True)
    ph.add_argument("--ipmasq", type=int, choices=[0, 1], default=1)
    ph.add_argument("--trace", type=int, choices=[0, 1], default=0)
    ph.add_argument("--conf", default="", help="JSON object of extra netconf keys")
    ph.add_argument("--age", type=int, default=0)
    ph.add_argument("--round", type=int, default=1)
    ph.add_argument("--rounds", type=int, default=1)
    ph.add_argument("--order", default="")
    ph.add_argument("--gate-idle", type=float, default=85)
    ph.add_argument("--gate-timeout", type=float, default=120)
    rp = sub.add_parser("report")
    rp.add_argument("dir")
    pl = sub.add_parser("plot")
    pl.add_argument("dir")
    pl.add_argument("png")
    args = ap.parse_args()
    if args.cmd == "phase":
        run_phase(args)
        return 0
    if args.cmd == "plot":
        return plot(args.dir, args.png)
    return report(args.dir)


if __name__ == "__main__":
    sys.exit(main())

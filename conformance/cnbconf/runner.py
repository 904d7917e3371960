# SPDX-License-Identifier: Apache-2.0
"""One scenario on one side (ours or the reference): fresh namespaces and temp dir, the setup
actions, every step (one invocation, or N in parallel for a fanout) and its normalised record."""

from __future__ import annotations

import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import tempfile
import time

from . import catalogue, snapshot
from .netns import count_veths, delete_all_netns, delete_netns, new_netns
from .normaliser import Names, Normaliser, VethNames, parse_stdout
from .tools import IP, STEP_TIMEOUT

MAC_IN_SCENARIO = re.compile(r"(?i)\b(?:[0-9a-f]{2}:){5}[0-9a-f]{2}\b")


class Run:
    """State of one scenario executed against one plugin dir (ours or reference)."""

    def __init__(self, scenario: dict, side: str, plugin_dir: str) -> None:
        self.sc = scenario
        self.side = side
        self.plugin_dir = os.path.abspath(plugin_dir)
        self.tmp = tempfile.mkdtemp(prefix=f"cnbc-{os.getpid()}-")
        self.datadir = os.path.join(self.tmp, "data")
        self.node: str | None = None
        self.pods: dict[str, str] = {}   # role -> netns name (deleted ones stay, for rendering)
        self.deleted_pods: set[str] = set()
        self.current_pod = "pod"
        self.veths = VethNames()
        self.outputs: list[str | None] = []   # raw stdout per step (for prevResult injection)
        self.records: list[dict] = []
        self.configured_macs = {m.lower() for m in MAC_IN_SCENARIO.findall(json.dumps(scenario))}

    # -- namespaces ------------------------------------------------------------------------------
    def netns_path(self, role: str) -> str:
        if role not in self.pods:
            self.pods[role] = new_netns(role)
        return "/var/run/netns/" + self.pods[role]

    def ns_of(self, role: str) -> str:
        if role == "node":
            return self.node
        self.netns_path(role)
        return self.pods[role]

    def live_pods(self) -> list[tuple[str, str]]:
        return [(r, n) for r, n in self.pods.items() if r not in self.deleted_pods]

    def names(self) -> Names:
        return Names(self.node, self.pods, self.tmp, self.plugin_dir, self.configured_macs,
                     self.veths)

    def cleanup(self) -> None:
        for name in list(self.pods.values()):
            delete_netns(name)
        if self.node:
            delete_netns(self.node)
        shutil.rmtree(self.tmp, ignore_errors=True)

    # -- execution -------------------------------------------------------------------------------
    def execute(self) -> None:
        self.node = new_netns("node")
        os.makedirs(self.datadir)
        for role in self.sc.get("pods", ["pod"]):
            self.netns_path(role)
        for rel, content in self.sc.get("files", {}).items():
            self.write_file(os.path.join(self.tmp, rel), catalogue.expand(content, self))
        for i, step in enumerate(self.sc["steps"]):
            self.current_pod = step.get("pod", "pod")
            for action in step.get("setup", []):
                self.do_setup(action)
            rec = self.run_fanout(i, step) if step.get("fanout") else self.run_step(i, step)
            self.records.append(rec)

    def write_file(self, path: str, content: str) -> None:
        if not os.path.abspath(path).startswith(self.tmp + "/"):
            raise ValueError("scenario file outside the temp dir: " + path)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(content)

    def do_setup(self, action: dict) -> None:
        kind = action["do"]
        if kind == "delete_netns":
            self.delete_pod(action.get("pod", "pod"))
        elif kind == "ip":
            # Always scoped with -n to one of our own namespaces.
            ns = self.ns_of(action.get("ns", "pod"))
            subprocess.run([IP, "-n", ns] + catalogue.expand(action["args"], self), check=True,
                           capture_output=True)
        elif kind == "write_file":
            self.write_file(catalogue.expand(action["path"], self),
                            catalogue.expand(action["content"], self))
        elif kind == "sleep":
            time.sleep(action["seconds"])
        else:
            raise ValueError("unknown setup action " + kind)

    def delete_pod(self, role: str) -> None:
        pod_veths = count_veths(self.pods[role])
        node_veths = count_veths(self.node)
        delete_netns(self.pods[role])
        self.deleted_pods.add(role)
        # The kernel destroys the netns (and the veth pairs in it) from a workqueue; wait so the
        # next snapshot does not depend on how fast that ran for each implementation.
        deadline = time.monotonic() + 5
        while count_veths(self.node) > node_veths - pod_veths and time.monotonic() < deadline:
            time.sleep(0.02)

    def build_invocation(self, step: dict, pod: str | None = None,
                         cid_suffix: str = "") -> tuple[str, dict, str]:
        if pod:
            self.current_pod = pod
        plugin, env, stdin = catalogue.invocation(self.sc, step, self, self.outputs, cid_suffix)
        return os.path.join(self.plugin_dir, plugin), env, stdin

    def invoke(self, exe: str, env: dict, stdin: str) -> tuple[int, str, str, float]:
        """Runs the plugin in the node netns with exactly `env`: (exit, stdout, stderr, s)."""
        argv = [IP, "netns", "exec", self.node, "env", "-i"]
        argv += [f"{k}={v}" for k, v in sorted(env.items())]
        argv.append(exe)
        t0 = time.monotonic()
        p = subprocess.run(argv, input=stdin.encode(), capture_output=True, env={},
                           timeout=STEP_TIMEOUT)
        return (p.returncode, p.stdout.decode(errors="replace"),
                p.stderr.decode(errors="replace"), time.monotonic() - t0)

    def run_step(self, idx: int, step: dict) -> dict:
        exe, env, stdin = self.build_invocation(step)
        rc, out, err, dt = self.invoke(exe, env, stdin)
        self.outputs.append(out)
        raw_state = self.snapshot() if step.get("snapshot", True) else None
        parsed = parse_stdout(out)
        norm = Normaliser(self.names(), raw_state,
                          [(parsed, self.current_pod, env.get("CNI_IFNAME"))])
        rec = {"exit": rc, "stdout": norm.value(parsed)}
        if raw_state is not None:
            rec["state"] = norm.state(unordered=self.sc.get("unordered", False))
        return {"label": f"{idx}:{step.get('name', step.get('cmd') or '-')}",
                "record": rec, "stderr": err, "seconds": dt, "raw_stdout": out}

    def run_fanout(self, idx: int, step: dict) -> dict:
        """N parallel invocations (pods pod0…, container ids <id>-<i>), judged as a set."""
        n = int(step["fanout"])
        invs = [self.build_invocation(step, pod=f"pod{i}", cid_suffix=f"-{i}") for i in range(n)]
        owners = [(f"pod{i}", inv[1].get("CNI_IFNAME")) for i, inv in enumerate(invs)]
        with concurrent.futures.ThreadPoolExecutor(max_workers=n) as ex:
            results = list(ex.map(lambda inv: self.invoke(*inv), invs))
        self.outputs.append(None)
        raw_state = self.snapshot(pods=False)
        parsed = [parse_stdout(r[1]) for r in results]
        norm = Normaliser(self.names(), raw_state,
                          [(p, pod, ifname) for p, (pod, ifname) in zip(parsed, owners)])
        rec = {"exit": sorted(r[0] for r in results),
               "stdout": fanout_stdout(parsed, norm),
               "state": norm.state(unordered=True)}
        return {"label": f"{idx}:{step.get('cmd')} x{n}", "record": rec,
                "stderr": "".join(r[2] for r in results),
                "seconds": max(r[3] for r in results), "raw_stdout": ""}

    def snapshot(self, pods: bool = True) -> dict:
        state = {"node": snapshot.snap_ns(self.node, "node")}
        if pods:
            for role, name in self.live_pods():
                state[role] = snapshot.snap_ns(name, "pod")
        state["ipam"] = snapshot.snap_files(self.datadir)
        return state


def fanout_stdout(parsed: list, norm: Normaliser) -> dict:
    """The results of a fanout as a set: how many IPs, which, and the errors."""
    ips, errors = [], []
    for p in parsed:
        if isinstance(p, dict):
            ips += [ip.get("address") for ip in p.get("ips", []) if isinstance(ip, dict)]
            if "code" in p:
                errors.append(f"{p.get('code')}: {norm.value(p.get('msg'))}")
    return {"count": len(ips), "ips": sorted(ips), "errors": sorted(errors)}


def run_scenario(sc: dict, ours_dir: str, ref_dir: str) -> dict:
    """{"ours"|"reference": {"steps": [...], "error": None or the harness failure}}."""
    results = {}
    for side, d in (("ours", ours_dir), ("reference", ref_dir)):
        run = Run(sc, side, d)
        try:
            run.execute()
            results[side] = {"steps": run.records, "error": None}
        except Exception as e:  # a harness failure is reported, never hidden
            results[side] = {"steps": run.records, "error": f"{type(e).__name__}: {e}"}
        finally:
            run.cleanup()
    return results


def run_all(scenarios: list[dict], ours_dir: str, ref_dir: str, jobs: int) -> dict[str, dict]:
    """Runs the scenarios, `jobs` at a time; results by scenario name."""
    all_results = {}
    ex = concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs))
    try:
        futs = {sc["name"]: ex.submit(run_scenario, sc, ours_dir, ref_dir) for sc in scenarios}
        for sc in scenarios:
            all_results[sc["name"]] = futs[sc["name"]].result()
    finally:
        # On Ctrl-C/SIGTERM: drop queued scenarios, let running ones finish their own cleanup.
        ex.shutdown(wait=True, cancel_futures=True)
        delete_all_netns()
    return all_results

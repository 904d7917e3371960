#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Side-by-side conformance runner: our bridge/host-local against the reference plugins.

Every scenario (conformance/scenarios/*.json) is run twice in the same run, once with the plugin
directory of ours and once with the reference's, each time in fresh throwaway namespaces. After
every step we record what a caller sees (exit code, stdout JSON) and what an operator sees (a
normalised snapshot of the kernel state and the IPAM files), then compare the two records field
by field. Differences listed in allowlist.json are intentional; any other one fails the run.

Standard library only. Needs root, iproute2 (`ip`) and iptables. The work is done by the
cnbconf package beside this file (see its __init__ for the modules).
"""

import argparse
import json
import os
import signal
import sys
import time

from cnbconf import catalogue, netns, report, runner
from cnbconf.allowlist import AllowList

HERE = os.path.dirname(os.path.abspath(__file__))


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ours", default=os.path.join(HERE, "..", "build", "bin"))
    ap.add_argument("--reference", default="/usr/lib/cni")
    ap.add_argument("--scenarios", default=os.path.join(HERE, "scenarios"))
    ap.add_argument("--allowlist", default=os.path.join(HERE, "allowlist.json"))
    ap.add_argument("--only", action="append", help="scenario name glob (repeatable)")
    ap.add_argument("-j", "--jobs", type=int, default=4,
                    help="scenarios run in parallel (mostly waiting on the kernel and on the "
                    "reference's sleeps, so more than the core count)")
    ap.add_argument("-v", "--verbose", action="store_true",
                    help="also show the field differences of allowed steps")
    ap.add_argument("--json", help="write the full records to this file")
    ap.add_argument("--show", action="store_true",
                    help="print exit code and normalised stdout of every step of both sides")
    ap.add_argument("--strict", action="store_true",
                    help="also fail if an allow-list entry was not needed by any step (meant "
                    "for a full run: with --only most entries go unused)")
    return ap.parse_args()


def check_environment(args: argparse.Namespace) -> None:
    if os.geteuid() != 0:
        raise SystemExit("run.py needs root (it creates network namespaces)")
    for d in (args.ours, args.reference):
        if not os.path.isfile(os.path.join(d, "bridge")):
            raise SystemExit(f"no bridge executable in {d}")


def on_term(signum: int, frame: object) -> None:
    raise KeyboardInterrupt()


def main() -> int:
    args = parse_args()
    check_environment(args)
    signal.signal(signal.SIGTERM, on_term)
    netns.sweep_stale_netns()
    scenarios = catalogue.load_scenarios(args.scenarios, args.only)
    allow = AllowList.load(args.allowlist)
    t0 = time.monotonic()
    all_results = runner.run_all(scenarios, args.ours, args.reference, args.jobs)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(all_results, f, indent=1, default=str)
    opts = report.Options(verbose=args.verbose, show=args.show, only=bool(args.only),
                          strict=args.strict)
    lines, status = report.render(scenarios, all_results, allow, opts, time.monotonic() - t0)
    print("\n".join(lines))
    return status


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        netns.delete_all_netns()
        sys.exit(130)

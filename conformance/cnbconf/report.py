# SPDX-License-Identifier: Apache-2.0
"""The report: a verdict per step, the counts, the table, the headline and, under it, the steps
per allow-list entry and the steps that differ in more than the pervasive entries."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .allowlist import AllowList
from .normaliser import diff_records, flatten

EQUAL, ALLOWED, UNEXPECTED = "equal", "allowed", "unexpected"


@dataclass
class StepResult:
    scenario: str
    label: str
    verdict: str                    # EQUAL, ALLOWED or UNEXPECTED
    note: str = ""
    harness: bool = False           # a harness failure of one side, not a step
    reasons: list[str] = field(default_factory=list)   # allow-list ids, first-seen order
    # (path, ours, reference, allow-list id or None) for every differing field
    diffs: list[tuple[str, Any, Any, str | None]] = field(default_factory=list)
    ours: dict | None = None        # the two sides' step records (for the details)
    reference: dict | None = None

    def row_verdict(self) -> str:
        if self.verdict == EQUAL:
            return "equal"
        if self.verdict == ALLOWED:
            return f"differs (allowed: {', '.join(self.reasons)})"
        return "DIFFERS"

    def unexpected_diffs(self) -> list[tuple[str, Any, Any, str | None]]:
        return [d for d in self.diffs if d[3] is None]


def compare_step(scenario: str, ours: dict, ref: dict, allow: AllowList) -> StepResult:
    label = ours["label"]
    diffs = diff_records(ours["record"], ref["record"])
    res = StepResult(scenario, label, EQUAL, ours=ours, reference=ref)
    if not diffs:
        return res
    fo, fr = flatten(ours["record"]), flatten(ref["record"])
    for path, a, b in diffs:
        e = allow.match(scenario, label, path, a, b, fo, fr)
        res.diffs.append((path, a, b, e["id"] if e else None))
        if e is not None and e["id"] not in res.reasons:
            res.reasons.append(e["id"])
    res.verdict = UNEXPECTED if res.unexpected_diffs() else ALLOWED
    return res


def compare_scenario(name: str, res: dict, allow: AllowList) -> list[StepResult]:
    """The verdicts of one scenario's steps (run_scenario's result), harness failures first."""
    out = []
    for side in ("ours", "reference"):
        if res[side]["error"]:
            out.append(StepResult(name, f"harness({side})", UNEXPECTED, res[side]["error"],
                                  harness=True))
    so, sr = res["ours"]["steps"], res["reference"]["steps"]
    for i in range(max(len(so), len(sr))):
        if i >= len(so) or i >= len(sr):
            label = (so[i] if i < len(so) else sr[i])["label"]
            out.append(StepResult(name, label, UNEXPECTED, "step missing on one side"))
        else:
            out.append(compare_step(name, so[i], sr[i], allow))
    return out


@dataclass
class Counts:
    scenarios: int
    steps: int
    equal: int
    allowed: int
    unexpected: int

    @classmethod
    def of(cls, n_scenarios: int, results: list[StepResult]) -> Counts:
        steps = [r for r in results if not r.harness]
        return cls(n_scenarios, len(steps),
                   sum(r.verdict == EQUAL for r in steps),
                   sum(r.verdict == ALLOWED for r in steps),
                   sum(r.verdict == UNEXPECTED for r in results))

    def headline(self, seconds: float) -> str:
        """Other scripts grep this line ("N unexpected"): keep its format."""
        return (f"{self.scenarios} scenarios, {self.steps} steps, {self.equal} equal, "
                f"{self.allowed} intentional improvements, {self.unexpected} unexpected "
                f"({seconds:.1f} s)")


def steps_per_entry(results: list[StepResult], allow: AllowList) -> dict[str, int]:
    """How many steps each allow-list entry explained a difference of, in allow-list order."""
    counts = {e["id"]: 0 for e in allow.entries}
    for r in results:
        for entry_id in r.reasons:
            counts[entry_id] += 1
    return counts


def beyond_pervasive(results: list[StepResult], pervasive: set[str]) -> list[StepResult]:
    """The steps that differ in anything but the pervasive entries (unexpected ones included)."""
    return [r for r in results
            if r.verdict == UNEXPECTED or any(i not in pervasive for i in r.reasons)]


def one_line(reason: str, width: int = 100) -> str:
    """The first sentence of a reason, cut to `width`."""
    first = reason.split(". ", 1)[0].rstrip(".")
    return short(first, width)


def short(v: Any, width: int = 70) -> str:
    s = v if isinstance(v, str) else json.dumps(v, sort_keys=True)
    return s if len(s) <= width else s[:width - 3] + "..."


def table(rows: list[tuple[str, ...]], header: tuple[str, ...], last_width: int = 40) -> list[str]:
    """Columns separated by ' | ', all but the last padded to their widest cell."""
    widths = [max([len(header[c])] + [len(r[c]) for r in rows]) for c in range(len(header) - 1)]

    def line(cells: tuple[str, ...]) -> str:
        return " | ".join([f"{c:<{w}}" for c, w in zip(cells, widths)] + [cells[-1]])
    rule = "-+-".join(["-" * w for w in widths] + ["-" * last_width])
    return [line(header), rule] + [line(r) for r in rows]


def step_table(results: list[StepResult]) -> list[str]:
    rows = [(r.scenario, r.label, r.row_verdict() + (f"  {r.note}" if r.note else ""))
            for r in results]
    return table(rows, ("scenario", "step", "result"))


def entry_table(results: list[StepResult], allow: AllowList) -> list[str]:
    """One row per allow-list entry: id (* = pervasive), steps, the reason's first sentence.
    Most steps first; entries no step needed at the end, with 0."""
    pervasive = allow.pervasive()
    counts = steps_per_entry(results, allow)
    order = sorted(counts, key=lambda i: -counts[i])   # stable: ties keep allow-list order
    rows = [(i + (" *" if i in pervasive else ""), str(counts[i]),
             one_line(allow.entry(i).get("reason", ""))) for i in order]
    return table(rows, ("allow-list entry", "steps", "reason"), last_width=60)


def beyond_pervasive_lines(results: list[StepResult], allow: AllowList) -> list[str]:
    """The steps that need more than the pervasive entries, each with what else it needed."""
    pervasive = allow.pervasive()
    listed = beyond_pervasive(results, pervasive)
    differing = [r for r in results if r.verdict != EQUAL]
    lines = [f"{len(differing) - len(listed)} of the {len(differing)} differing steps differ "
             "only in the pervasive entries (* above).",
             f"The other {len(listed)}, with the entries each needed beyond those:"]
    rows = []
    for r in listed:
        needed = [i for i in r.reasons if i not in pervasive]
        if r.verdict == UNEXPECTED:
            needed.append(f"UNEXPECTED ({r.note})" if r.note else "UNEXPECTED")
        rows.append((r.scenario, r.label, ", ".join(needed)))
    return lines + ["  " + x for x in table(rows, ("scenario", "step", "also needs"))]


def details(results: list[StepResult], verbose: bool) -> list[str]:
    """Every differing field of the unexpected steps (with -v: of the allowed ones too)."""
    lines = []
    for r in results:
        if r.ours is None or r.verdict == EQUAL or (r.verdict == ALLOWED and not verbose):
            continue
        lines.append(f"\n  {r.scenario} {r.label}")
        for path, a, b, allowed in (r.diffs if verbose else r.unexpected_diffs()):
            tag = f"  [allowed: {allowed}]" if allowed else ""
            lines.append(f"    {path}{tag}\n      ours:      {short(a, 200)}\n"
                         f"      reference: {short(b, 200)}")
        if r.ours.get("stderr", "").strip():
            lines.append(f"    ours stderr: {short(r.ours['stderr'].strip(), 300)}")
    return ["\nDifferences (ours vs reference):"] + lines if lines else []


def show_lines(scenarios: list[dict], all_results: dict[str, dict]) -> list[str]:
    """--show: exit code and normalised stdout of every step of both sides."""
    lines = []
    for sc in scenarios:
        res = all_results[sc["name"]]
        for side in ("ours", "reference"):
            for st in res[side]["steps"]:
                lines.append(f"{sc['name']} {st['label']} [{side}] exit={st['record']['exit']} "
                             f"stdout={json.dumps(st['record']['stdout'], sort_keys=True)}")
    return lines


@dataclass
class Options:
    verbose: bool = False
    show: bool = False
    only: bool = False      # a subset of the catalogue ran: unused entries are expected
    strict: bool = False    # an allow-list entry that no step needed fails the run


def render(scenarios: list[dict], all_results: dict[str, dict], allow: AllowList,
           opts: Options, seconds: float) -> tuple[list[str], int]:
    """The whole report as lines, and the exit status (0: every difference allow-listed and,
    with strict, every entry needed)."""
    results = [r for sc in scenarios
               for r in compare_scenario(sc["name"], all_results[sc["name"]], allow)]
    counts = Counts.of(len(scenarios), results)
    lines = step_table(results)
    if opts.show:
        lines += show_lines(scenarios, all_results)
    lines += details(results, opts.verbose)
    unused = allow.unused()
    if unused and not opts.only:
        lines.append(f"\nAllow-list entries not needed in this run: {', '.join(unused)}")
    lines.append("\n" + counts.headline(seconds))
    lines += [""] + entry_table(results, allow)
    lines += [""] + beyond_pervasive_lines(results, allow)
    status = 1 if counts.unexpected else 0
    if opts.strict and unused:
        lines.append(f"\n--strict: allow-list entries no step needed: {', '.join(unused)}")
        status = 1
    return lines, status

# SPDX-License-Identifier: Apache-2.0
"""The allow-list (allowlist.json): which differences between ours and the reference are
intentional, and why. An entry matches a differing field by scenario/step/path globs, optional
expected values on each side, optional 'reference_extra'/'ours_extra' globs for list fields and
optional 'when_reference'/'when_ours' conditions on other fields of the same step. The first
matching entry wins. Entries with "pervasive": true are the few differences expected almost
everywhere; the report lists the steps that need anything else."""

from __future__ import annotations

import fnmatch
import json
from typing import Any

from .normaliser import ABSENT

PRESENT = "<present>"


def value_matches(expected: Any, actual: Any) -> bool:
    """Allow-list value test: exact, "<present>", {"oneOf": [...]} or a glob for strings
    ("<absent>" is exact: diff_records() fills a missing field with it)."""
    if expected == PRESENT:
        return actual != ABSENT
    if isinstance(expected, dict) and "oneOf" in expected:
        return any(value_matches(x, actual) for x in expected["oneOf"])
    if isinstance(expected, str) and isinstance(actual, str):
        return fnmatch.fnmatchcase(actual, expected)
    return expected == actual


def list_extras_match(ours: Any, ref: Any, ours_globs: list[str], ref_globs: list[str]) -> bool:
    """For list values: every element only one side has must match that side's globs."""
    ours = [] if ours == ABSENT else ours
    ref = [] if ref == ABSENT else ref
    if not isinstance(ours, list) or not isinstance(ref, list):
        return False
    only_ours = [x for x in ours if x not in ref]
    only_ref = [x for x in ref if x not in ours]
    return all(any(fnmatch.fnmatchcase(str(x), g) for g in ours_globs) for x in only_ours) and \
        all(any(fnmatch.fnmatchcase(str(x), g) for g in ref_globs) for x in only_ref)


def _conditions_hold(conditions: dict, flat: dict) -> bool:
    return all(value_matches(v, flat.get(k, ABSENT)) for k, v in conditions.items())


def entry_matches(e: dict, scenario: str, step: str, path: str, ours: Any, ref: Any,
                  flat_ours: dict, flat_ref: dict) -> bool:
    """Whether entry `e` explains the difference at `path` (ours vs ref) of this step."""
    if not _conditions_hold(e.get("when_reference", {}), flat_ref):
        return False
    if not _conditions_hold(e.get("when_ours", {}), flat_ours):
        return False
    if not fnmatch.fnmatchcase(scenario, e.get("scenario", "*")):
        return False
    if not fnmatch.fnmatchcase(step, e.get("step", "*")):
        return False
    paths = e["path"] if isinstance(e["path"], list) else [e["path"]]
    if not any(fnmatch.fnmatchcase(path, p) for p in paths):
        return False
    if "reference" in e and not value_matches(e["reference"], ref):
        return False
    if "ours" in e and not value_matches(e["ours"], ours):
        return False
    if "reference_extra" in e or "ours_extra" in e:
        return list_extras_match(ours, ref, e.get("ours_extra", []), e.get("reference_extra", []))
    return True


class AllowList:
    def __init__(self, entries: list[dict]) -> None:
        self.entries = entries
        self.used = {e["id"]: 0 for e in entries}   # fields each entry explained

    @classmethod
    def load(cls, path: str) -> AllowList:
        with open(path) as f:
            return cls(json.load(f)["allow"])

    def match(self, scenario: str, step: str, path: str, ours: Any, ref: Any,
              flat_ours: dict, flat_ref: dict) -> dict | None:
        """The first entry that explains this difference, or None."""
        for e in self.entries:
            if entry_matches(e, scenario, step, path, ours, ref, flat_ours, flat_ref):
                self.used[e["id"]] += 1
                return e
        return None

    def entry(self, entry_id: str) -> dict:
        return next(e for e in self.entries if e["id"] == entry_id)

    def pervasive(self) -> set[str]:
        return {e["id"] for e in self.entries if e.get("pervasive") is True}

    def unused(self) -> list[str]:
        return [e["id"] for e in self.entries if not self.used[e["id"]]]

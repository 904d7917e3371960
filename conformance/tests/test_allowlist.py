# SPDX-License-Identifier: Apache-2.0
import json
import os
import unittest

import support  # noqa: F401  (sys.path)
from cnbconf.allowlist import AllowList, list_extras_match, value_matches
from cnbconf.normaliser import ABSENT, flatten


class ValueMatchesTest(unittest.TestCase):
    def test_forms(self) -> None:
        self.assertTrue(value_matches("mode 600*", 'mode 600 "x"'))
        self.assertFalse(value_matches("mode 600*", 'mode 644 "x"'))
        self.assertTrue(value_matches("<present>", 0))
        self.assertFalse(value_matches("<present>", ABSENT))
        self.assertTrue(value_matches(ABSENT, ABSENT))
        self.assertFalse(value_matches(ABSENT, "x"))
        self.assertTrue(value_matches({"oneOf": ["a*", 3]}, 3))
        self.assertTrue(value_matches({"oneOf": ["a*", 3]}, "abc"))
        self.assertFalse(value_matches({"oneOf": ["a*", 3]}, "b"))
        self.assertTrue(value_matches(0, 0))
        self.assertFalse(value_matches("0", 0), "a glob only matches strings")
        self.assertTrue(value_matches({}, {}))
        self.assertTrue(value_matches("[ab]", "a"), "fnmatch globs, case-sensitive")
        self.assertFalse(value_matches("A", "a"))

    def test_list_extras(self) -> None:
        ours, ref = ["a", "b"], ["a", "fe80 x", "fe80 y"]
        self.assertFalse(list_extras_match(ours, ref, [], ["fe80 *"]), "b only in ours")
        self.assertTrue(list_extras_match(ours, ref, ["b"], ["fe80 *"]))
        self.assertTrue(list_extras_match(ABSENT, ["x"], [], ["*"]))
        self.assertFalse(list_extras_match("str", [], ["*"], ["*"]))


def step(exit_code: int, stdout: dict, state: dict | None = None) -> dict:
    rec = {"exit": exit_code, "stdout": stdout}
    if state is not None:
        rec["state"] = state
    return rec


class AllowListTest(unittest.TestCase):
    ENTRIES = [
        {"id": "cniversion-in-errors", "path": "stdout.cniVersion", "reference": ABSENT,
         "when_reference": {"stdout.code": "<present>"}, "pervasive": True},
        {"id": "ok-where-ref-fails", "path": ["exit", "stdout.*"], "step": "*:CHECK",
         "when_reference": {"stdout.msg": "no plugin*"}, "when_ours": {"exit": 0}},
        {"id": "ref-leaks-rules", "path": "state.node.nat4", "scenario": "del-*",
         "reference_extra": ["-A CNI-*"], "ours_extra": []},
        {"id": "catch-all-msg", "path": "stdout.msg"},
    ]

    def allow(self) -> AllowList:
        return AllowList([dict(e) for e in self.ENTRIES])

    def match(self, allow: AllowList, scenario: str, label: str, ours: dict, ref: dict,
              path: str) -> str | None:
        fo, fr = flatten(ours), flatten(ref)
        e = allow.match(scenario, label, path, fo.get(path, ABSENT), fr.get(path, ABSENT), fo, fr)
        return e["id"] if e else None

    def test_when_reference_condition(self) -> None:
        a = self.allow()
        err_ours = step(1, {"code": 7, "msg": "x", "cniVersion": "1.0.0"})
        self.assertEqual(self.match(a, "s", "0:ADD", err_ours, step(1, {"code": 7, "msg": "x"}),
                                    "stdout.cniVersion"), "cniversion-in-errors")
        # Not an error on the reference side: the condition fails, nothing else matches.
        self.assertIsNone(self.match(a, "s", "0:ADD", step(0, {"cniVersion": "1.0.0"}),
                                     step(0, {}), "stdout.cniVersion"))

    def test_when_ours_and_step_glob(self) -> None:
        a = self.allow()
        ours, ref = step(0, {}), step(1, {"code": 7, "msg": "no plugin name provided"})
        self.assertEqual(self.match(a, "s", "1:CHECK", ours, ref, "exit"), "ok-where-ref-fails")
        self.assertIsNone(self.match(a, "s", "1:ADD", ours, ref, "exit"), "step glob")
        self.assertIsNone(self.match(a, "s", "1:CHECK", step(2, {}), ref, "exit"), "when_ours")

    def test_reference_extra_and_scenario_glob(self) -> None:
        a = self.allow()
        ours = step(0, {}, {"node": {"nat4": ["*nat"]}})
        ref = step(0, {}, {"node": {"nat4": ["*nat", "-A CNI-1 -j MASQUERADE"]}})
        self.assertEqual(self.match(a, "del-twice", "1:DEL", ours, ref, "state.node.nat4"),
                         "ref-leaks-rules")
        self.assertIsNone(self.match(a, "add-x", "1:DEL", ours, ref, "state.node.nat4"))
        ours_extra = step(0, {}, {"node": {"nat4": ["*nat", "-A CNI-2"]}})
        self.assertIsNone(self.match(a, "del-twice", "1:DEL", ours_extra, ref, "state.node.nat4"),
                          "ours_extra [] allows nothing extra in ours")

    def test_first_match_wins_and_usage(self) -> None:
        a = self.allow()
        ours = step(0, {"msg": "b"})
        ref = step(1, {"msg": "no plugin here"})
        self.assertEqual(self.match(a, "s", "2:CHECK", ours, ref, "stdout.msg"),
                         "ok-where-ref-fails")
        self.assertEqual(self.match(a, "s", "2:ADD", ours, ref, "stdout.msg"), "catch-all-msg")
        self.assertEqual(a.used["ok-where-ref-fails"], 1)
        self.assertEqual(a.unused(), ["cniversion-in-errors", "ref-leaks-rules"])
        self.assertEqual(a.pervasive(), {"cniversion-in-errors"})

    def test_project_allowlist_is_well_formed(self) -> None:
        path = os.path.join(support.CONFORMANCE, "allowlist.json")
        with open(path) as f:
            entries = json.load(f)["allow"]
        ids = [e["id"] for e in entries]
        self.assertEqual(len(ids), len(set(ids)), "ids are unique")
        for e in entries:
            self.assertIn("path", e, e["id"])
            self.assertTrue(e.get("reason"), e["id"])
            self.assertIn(e.get("pervasive", False), (True, False), e["id"])
        self.assertTrue(AllowList(entries).pervasive(), "some entries are marked pervasive")


if __name__ == "__main__":
    unittest.main()

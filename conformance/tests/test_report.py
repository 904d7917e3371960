# SPDX-License-Identifier: Apache-2.0
import re
import unittest

import support  # noqa: F401  (sys.path)
from cnbconf import report
from cnbconf.allowlist import AllowList

ENTRIES = [
    {"id": "index", "path": "state.ipam.*/.index/*", "reference": "<absent>", "pervasive": True,
     "reason": "Ours keeps an index. It is hidden."},
    {"id": "mode", "path": "state.ipam.*", "reference": "mode 644*", "ours": "mode 600*",
     "pervasive": True, "reason": "Files are 0600."},
    {"id": "dns", "path": ["stdout.dns", "stdout.dns.*"], "reason": "DNS from IPAM: as upstream does"},
    {"id": "never", "path": "nothing", "reason": "Not needed. " + "x" * 200},
]


def rec(label: str, exit_code: int = 0, ipam: dict | None = None, dns: dict | None = None,
        stderr: str = "") -> dict:
    stdout = {"dns": dns} if dns is not None else {}
    return {"label": label, "stderr": stderr,
            "record": {"exit": exit_code, "stdout": stdout, "state": {"ipam": ipam or {}}}}


IDX = {"n/.index/c:eth0": 'mode 600 "x"'}
OURS_FILE = {"n/10.0.0.2": 'mode 600 "c"'}
REF_FILE = {"n/10.0.0.2": 'mode 644 "c"'}

# Step 0 equal, 1 pervasive only, 2 also dns, 3 unexpected (exit), then a missing step.
ALL_RESULTS = {
    "a": {"ours": {"error": None, "steps": [
              rec("0:VERSION"), rec("1:ADD", ipam={**IDX, **OURS_FILE}),
              rec("2:ADD", ipam=OURS_FILE, dns={"nameservers": ["1.1.1.1"]}),
              rec("3:DEL", exit_code=1, stderr="boom\n")]},
          "reference": {"error": None, "steps": [
              rec("0:VERSION"), rec("1:ADD", ipam=REF_FILE),
              rec("2:ADD", ipam=REF_FILE, dns={}), rec("3:DEL"), rec("4:DEL")]}},
    "b": {"ours": {"error": "OSError: no netns", "steps": []},
          "reference": {"error": None, "steps": []}},
}
SCENARIOS = [{"name": "a"}, {"name": "b"}]


def results(allow: AllowList) -> list[report.StepResult]:
    return [r for sc in SCENARIOS
            for r in report.compare_scenario(sc["name"], ALL_RESULTS[sc["name"]], allow)]


class CountingTest(unittest.TestCase):
    def test_verdicts_and_counts(self) -> None:
        res = results(AllowList([dict(e) for e in ENTRIES]))
        self.assertEqual([(r.label, r.verdict) for r in res], [
            ("0:VERSION", "equal"), ("1:ADD", "allowed"), ("2:ADD", "allowed"),
            ("3:DEL", "unexpected"), ("4:DEL", "unexpected"), ("harness(ours)", "unexpected")])
        self.assertEqual(res[1].reasons, ["index", "mode"])
        self.assertEqual(res[2].reasons, ["mode", "dns"])
        counts = report.Counts.of(2, res)
        self.assertEqual((counts.steps, counts.equal, counts.allowed, counts.unexpected),
                         (5, 1, 2, 3), "a harness failure is unexpected but not a step")

    def test_headline_format_is_stable(self) -> None:
        line = report.Counts(64, 181, 9, 172, 0).headline(75.04)
        self.assertEqual(line, "64 scenarios, 181 steps, 9 equal, 172 intentional improvements, "
                               "0 unexpected (75.0 s)")
        self.assertRegex(line, r"\b0 unexpected\b")

    def test_steps_per_entry_and_beyond_pervasive(self) -> None:
        allow = AllowList([dict(e) for e in ENTRIES])
        res = results(allow)
        self.assertEqual(report.steps_per_entry(res, allow),
                         {"index": 1, "mode": 2, "dns": 1, "never": 0})
        beyond = report.beyond_pervasive(res, allow.pervasive())
        self.assertEqual([r.label for r in beyond], ["2:ADD", "3:DEL", "4:DEL", "harness(ours)"])


class RenderTest(unittest.TestCase):
    def render(self, **opts) -> tuple[str, int]:
        allow = AllowList([dict(e) for e in ENTRIES])
        lines, status = report.render(SCENARIOS, ALL_RESULTS, allow, report.Options(**opts), 1.0)
        return "\n".join(lines), status

    def test_table_headline_and_summaries(self) -> None:
        text, status = self.render()
        self.assertEqual(status, 1)
        self.assertIn("a        | 1:ADD         | differs (allowed: index, mode)", text)
        self.assertIn("b        | harness(ours) | DIFFERS  OSError: no netns", text)
        self.assertIn("a        | 4:DEL         | DIFFERS  step missing on one side", text)
        self.assertIn("\n2 scenarios, 5 steps, 1 equal, 2 intentional improvements, "
                      "3 unexpected (1.0 s)\n", text)
        after = text.split("3 unexpected (1.0 s)\n", 1)[1]
        # Entry table: most steps first, pervasive marked, the reason's first sentence.
        rows = [ln for ln in after.splitlines() if re.match(r"(index|mode|dns|never)\b", ln)]
        self.assertEqual([r.split(" | ")[0].strip() for r in rows],
                         ["mode *", "index *", "dns", "never"])
        self.assertIn("| Ours keeps an index", after)
        self.assertNotIn("It is hidden", after)
        self.assertIn("1 of the 5 differing steps differ only in the pervasive entries", after)
        self.assertIn("  a        | 2:ADD         | dns", after)
        self.assertIn("  a        | 3:DEL         | UNEXPECTED", after)
        self.assertIn("  b        | harness(ours) | UNEXPECTED (OSError: no netns)", after)
        self.assertIn("Allow-list entries not needed in this run: never", text)

    def test_details_verbose(self) -> None:
        text, _ = self.render()
        self.assertIn("  a 3:DEL\n    exit\n      ours:      1\n      reference: 0", text)
        self.assertIn("    ours stderr: boom", text)
        self.assertNotIn("[allowed:", text)
        verbose, _ = self.render(verbose=True)
        self.assertIn("  a 1:ADD\n    state.ipam.n/.index/c:eth0  [allowed: index]", verbose)

    def test_strict_fails_on_unused_entry(self) -> None:
        allow = AllowList([dict(e) for e in ENTRIES[:3]])
        ok = {"a": {"ours": {"error": None, "steps": [rec("0:ADD", ipam=OURS_FILE)]},
                    "reference": {"error": None, "steps": [rec("0:ADD", ipam=REF_FILE)]}}}
        _, status = report.render([{"name": "a"}], ok, allow, report.Options(), 1.0)
        self.assertEqual(status, 0)
        allow = AllowList([dict(e) for e in ENTRIES[:3]])
        lines, status = report.render([{"name": "a"}], ok, allow,
                                      report.Options(strict=True), 1.0)
        self.assertEqual(status, 1)
        self.assertIn("--strict: allow-list entries no step needed: index, dns", "\n".join(lines))

    def test_only_hides_unused_note(self) -> None:
        text, _ = self.render(only=True)
        self.assertNotIn("not needed in this run", text)

    def test_show(self) -> None:
        text, _ = self.render(show=True)
        self.assertIn('a 2:ADD [reference] exit=0 stdout={"dns": {}}', text)


if __name__ == "__main__":
    unittest.main()

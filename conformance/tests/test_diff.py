# SPDX-License-Identifier: Apache-2.0
import unittest

import support  # noqa: F401  (sys.path)
from cnbconf.normaliser import ABSENT, diff_records, flatten


class FlattenTest(unittest.TestCase):
    def test_paths(self) -> None:
        rec = {"exit": 0, "stdout": {"ips": [{"address": "10.0.0.2/24"}], "dns": {},
                                     "list": [1, 2]},
               "state": {"node": {"links": {"veth@pod": {"mtu": 1500}}}}}
        self.assertEqual(flatten(rec), {
            "exit": 0, "stdout.ips[0].address": "10.0.0.2/24", "stdout.dns": {},
            "stdout.list": [1, 2], "state.node.links.veth@pod.mtu": 1500})

    def test_edge_cases(self) -> None:
        self.assertEqual(flatten({}), {})            # an empty top level has no path
        self.assertEqual(flatten({"l": []}), {"l": []})
        self.assertEqual(flatten("x"), {"": "x"})
        self.assertEqual(flatten({"l": [{"a": 1}, 2]}), {"l[0].a": 1, "l[1]": 2})


class DiffTest(unittest.TestCase):
    def test_equal(self) -> None:
        self.assertEqual(diff_records({"a": {"b": [1]}}, {"a": {"b": [1]}}), [])

    def test_changed_missing_extra_sorted(self) -> None:
        ours = {"exit": 1, "stdout": {"code": 7, "cniVersion": "1.0.0"}}
        ref = {"exit": 1, "stdout": {"code": 4}, "state": {"x": 1}}
        self.assertEqual(diff_records(ours, ref), [
            ("state.x", ABSENT, 1), ("stdout.cniVersion", "1.0.0", ABSENT),
            ("stdout.code", 7, 4)])

    def test_key_order_irrelevant_list_order_relevant(self) -> None:
        self.assertEqual(diff_records({"a": 1, "b": 2}, {"b": 2, "a": 1}), [])
        self.assertEqual(diff_records({"l": [1, 2]}, {"l": [2, 1]}), [("l", [1, 2], [2, 1])])


if __name__ == "__main__":
    unittest.main()

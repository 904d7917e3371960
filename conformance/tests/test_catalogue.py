# SPDX-License-Identifier: Apache-2.0
import json
import os
import tempfile
import unittest

import support  # noqa: F401  (sys.path)
from cnbconf import catalogue


class FakeContext:
    node = "cnbc-1-1-node"
    tmp = "/tmp/cnbc-x"
    datadir = "/tmp/cnbc-x/data"
    plugin_dir = "/plugins"
    current_pod = "pod"

    def __init__(self) -> None:
        self.created: list[str] = []

    def netns_path(self, role: str) -> str:
        self.created.append(role)
        return f"/var/run/netns/ns-{role}"


class MergeTest(unittest.TestCase):
    def test_deep_merge_and_null_deletes(self) -> None:
        base = {"a": 1, "ipam": {"type": "host-local", "subnet": "10.0.0.0/24"}, "gone": True}
        out = catalogue.merge(base, {"ipam": {"subnet": None, "x": [1]}, "gone": None, "b": 2})
        self.assertEqual(out, {"a": 1, "ipam": {"type": "host-local", "x": [1]}, "b": 2})
        self.assertIn("subnet", base["ipam"], "base is not modified")

    def test_non_dict_replaces(self) -> None:
        self.assertEqual(catalogue.merge({"a": {"b": 1}}, {"a": 5}), {"a": 5})


class ExpandTest(unittest.TestCase):
    def test_placeholders(self) -> None:
        ctx = FakeContext()
        value = {"l": ["${NETNS}", "${NETNS:pod2}"], "n": "${NODE_NETNS}", "k": 3,
                 "s": "${TMP}/f ${DATADIR} ${PLUGIN_DIR}"}
        self.assertEqual(catalogue.expand(value, ctx), {
            "l": ["/var/run/netns/ns-pod", "/var/run/netns/ns-pod2"],
            "n": "/var/run/netns/cnbc-1-1-node", "k": 3,
            "s": "/tmp/cnbc-x/f /tmp/cnbc-x/data /plugins"})
        self.assertEqual(ctx.created, ["pod", "pod2"])

    def test_unknown_placeholder(self) -> None:
        with self.assertRaises(ValueError):
            catalogue.expand("${NOPE}", FakeContext())


class InvocationTest(unittest.TestCase):
    SC = {"name": "s", "conf": {"cniVersion": "1.0.0", "type": "bridge",
                                "IPAM": {"Type": "host-local", "subnet": "10.88.0.0/24"}},
          "env": {"CNI_ARGS": "IgnoreUnknown=1"}}

    def test_env_and_stdin(self) -> None:
        step = {"cmd": "ADD", "env": {"CNI_IFNAME": "net1", "CNI_ARGS": None}}
        plugin, env, stdin = catalogue.invocation(self.SC, step, FakeContext(), [], "-3")
        self.assertEqual(plugin, "bridge")
        self.assertEqual(env["CNI_CONTAINERID"], "ctr-s-3")
        self.assertEqual(env["CNI_NETNS"], "/var/run/netns/ns-pod")
        self.assertEqual(env["CNI_PATH"], "/plugins")
        self.assertEqual(env["CNI_IFNAME"], "net1")
        self.assertNotIn("CNI_ARGS", env)
        conf = json.loads(stdin)
        # dataDir defaults to the temp dir, keys found case-insensitively.
        self.assertEqual(conf["IPAM"]["dataDir"], "/tmp/cnbc-x/data")

    def test_data_dir_outside_tmp_refused(self) -> None:
        step = {"cmd": "ADD", "conf": {"IPAM": {"DataDir": "/var/lib/cni/networks"}}}
        with self.assertRaises(ValueError):
            catalogue.invocation(self.SC, step, FakeContext(), [])

    def test_prev_result_injected(self) -> None:
        step = {"cmd": "DEL", "prevResult": 0}
        _, _, stdin = catalogue.invocation(self.SC, step, FakeContext(), ['{"ips": []}'])
        self.assertEqual(json.loads(stdin)["prevResult"], {"ips": []})

    def test_raw_stdin(self) -> None:
        _, _, stdin = catalogue.invocation(self.SC, {"cmd": "ADD", "stdin": "{${TMP}"},
                                           FakeContext(), [])
        self.assertEqual(stdin, "{/tmp/cnbc-x")


class LoadTest(unittest.TestCase):
    def test_load_only_and_names(self) -> None:
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "10-a.json"), "w") as f:
                json.dump([{"name": "del-x", "steps": []}, {"name": "add-y", "steps": []}], f)
            with open(os.path.join(d, "20-b.json"), "w") as f:
                json.dump({"steps": []}, f)
            names = [s["name"] for s in catalogue.load_scenarios(d, None)]
            self.assertEqual(names, ["del-x", "add-y", "20-b"])
            only = catalogue.load_scenarios(d, ["del-*", "20-*"])
            self.assertEqual([s["name"] for s in only], ["del-x", "20-b"])

    def test_duplicate_names(self) -> None:
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "a.json"), "w") as f:
                json.dump([{"name": "x", "steps": []}, {"name": "x", "steps": []}], f)
            with self.assertRaises(SystemExit):
                catalogue.load_scenarios(d, None)


if __name__ == "__main__":
    unittest.main()

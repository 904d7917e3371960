# SPDX-License-Identifier: Apache-2.0
"""The scenario catalogue: loading scenarios/*.json, the ${...} placeholders, the deep merge of
config overrides, and what one step invokes (plugin, environment, stdin)."""

from __future__ import annotations

import copy
import fnmatch
import json
import os
import re
from typing import Any, Protocol

from .tools import SYSTEM_PATH


class Context(Protocol):
    """What placeholders expand against: one side's run of a scenario."""
    node: str
    tmp: str
    datadir: str
    plugin_dir: str
    current_pod: str

    def netns_path(self, role: str) -> str: ...


def load_scenarios(directory: str, only: list[str] | None) -> list[dict]:
    """Every scenario of every *.json file (an object or a list), in file-name order; `only`
    keeps the names that match one of its globs. Duplicate names are an error."""
    scenarios = []
    for fname in sorted(os.listdir(directory)):
        if not fname.endswith(".json"):
            continue
        with open(os.path.join(directory, fname)) as f:
            data = json.load(f)
        for sc in data if isinstance(data, list) else [data]:
            sc.setdefault("name", fname[:-5])
            if only and not any(fnmatch.fnmatch(sc["name"], pat) for pat in only):
                continue
            scenarios.append(sc)
    names = [s["name"] for s in scenarios]
    dups = {n for n in names if names.count(n) > 1}
    if dups:
        raise SystemExit(f"duplicate scenario names: {', '.join(sorted(dups))}")
    return scenarios


_PLACEHOLDER = re.compile(r"\$\{([A-Z_]+)(?::([A-Za-z0-9_]+))?\}")


def _placeholder(m: re.Match, ctx: Context) -> str:
    key, arg = m.group(1), m.group(2)
    if key == "NETNS":
        return ctx.netns_path(arg or ctx.current_pod)
    if key == "NODE_NETNS":
        return "/var/run/netns/" + ctx.node
    if key == "TMP":
        return ctx.tmp
    if key == "DATADIR":
        return ctx.datadir
    if key == "PLUGIN_DIR":
        return ctx.plugin_dir
    raise ValueError("unknown placeholder " + m.group(0))


def expand(value: Any, ctx: Context) -> Any:
    """Replaces ${NETNS}, ${NETNS:pod2}, ${NODE_NETNS}, ${TMP}, ${DATADIR}, ${PLUGIN_DIR} in
    every string of a JSON value."""
    if isinstance(value, str):
        return _PLACEHOLDER.sub(lambda m: _placeholder(m, ctx), value)
    if isinstance(value, list):
        return [expand(v, ctx) for v in value]
    if isinstance(value, dict):
        return {k: expand(v, ctx) for k, v in value.items()}
    return value


def merge(base: dict, override: dict) -> dict:
    """Deep merge for config overrides; a null value deletes the key."""
    out = copy.deepcopy(base)
    for k, v in override.items():
        if v is None:
            out.pop(k, None)
        elif isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def _member(obj: Any, key: str) -> str:
    """The plugins match keys case-insensitively, as Go does ("IPAM", "DataDir"), so must this."""
    if not isinstance(obj, dict):
        return key
    return next((k for k in obj if k.lower() == key.lower()), key)


def guard_data_dir(name: str, plugin: str, conf: dict) -> None:
    """Never let a scenario touch the machine's /var/lib/cni: host-local's dataDir defaults to
    ${DATADIR}, and one outside the temp dir is refused."""
    ipam = conf.get(_member(conf, "ipam"))
    if not isinstance(ipam, dict):
        return
    if plugin != "host-local" and ipam.get(_member(ipam, "type")) != "host-local":
        return
    data_dir = _member(ipam, "dataDir")
    ipam.setdefault(data_dir, "${DATADIR}")
    if not str(ipam[data_dir]).startswith(("${DATADIR}", "${TMP}")):
        raise ValueError(f"{name}: dataDir must live under ${{TMP}}")


def step_conf(sc: dict, step: dict, plugin: str, outputs: list[str | None]) -> dict:
    """The step's config before expansion: the scenario's, the step's overrides, prevResult."""
    conf = merge(sc.get("conf", {}), step.get("conf", {}))
    guard_data_dir(sc["name"], plugin, conf)
    prev = step.get("prevResult")
    if prev is not None:
        raw = outputs[int(prev)] if isinstance(prev, int) else None
        conf["prevResult"] = json.loads(raw) if raw is not None else prev
    return conf


def step_env(sc: dict, step: dict, cid_suffix: str = "") -> dict:
    """The CNI_* environment before expansion; a null override unsets a variable."""
    cid = step.get("containerId", sc.get("containerId", "ctr-" + sc["name"])) + cid_suffix
    env = {
        "PATH": SYSTEM_PATH,
        "CNI_COMMAND": step.get("cmd"),
        "CNI_CONTAINERID": cid,
        "CNI_NETNS": "${NETNS}",
        "CNI_IFNAME": "eth0",
        "CNI_PATH": "${PLUGIN_DIR}",
    }
    env.update(sc.get("env", {}))
    env.update(step.get("env", {}))
    return {k: v for k, v in env.items() if v is not None}


def invocation(sc: dict, step: dict, ctx: Context, outputs: list[str | None],
               cid_suffix: str = "") -> tuple[str, dict, str]:
    """(plugin name, environment, stdin) of one step, with every placeholder expanded."""
    plugin = step.get("plugin", sc.get("plugin", "bridge"))
    conf = expand(step_conf(sc, step, plugin, outputs), ctx)
    env = {k: expand(v, ctx) for k, v in step_env(sc, step, cid_suffix).items()}
    stdin = expand(step["stdin"], ctx) if "stdin" in step else json.dumps(conf)
    return plugin, env, stdin

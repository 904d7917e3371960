# SPDX-License-Identifier: Apache-2.0
"""cnbconf: the side-by-side conformance runner behind conformance/run.py.

One job per module:
  catalogue   the scenarios: loading, ${...} placeholders, config merge, the invocation of a step
  tools       where the system tools are (ip, PATH) and the step timeout
  netns       bookkeeping of the runner's own network namespaces
  snapshot    raw kernel state of one netns (ip, sysctls, iptables) and the IPAM files
  runner      one scenario on one side (ours or reference): setup actions, steps, records
  normaliser  make two sides' records comparable (names, MACs, timing); flatten and diff
  allowlist   match a difference against allowlist.json
  report      verdict per step, counts, the table, the headline and the summaries under it
Standard library only.
"""

#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs every real-client check against our bridge + host-local (and the installer image and the
# multi-node simulation) and prints PASS/FAIL per check, then the figures the CRI and cluster
# checks measured; exits non-zero if any failed. Each check cleans up after itself (EXIT traps).
#
#   conformance/clients/run-all.sh                 ours (build/bin, or $CNB_PLUGIN_DIR)
#   CNB_PLUGIN_DIR=/usr/lib/cni conformance/clients/run-all.sh   the reference, for comparison
#   CNB_CLIENTS_SETUP=0 ...                        skip setup-clients.sh (already done)
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/lib.sh"

if [[ ${CNB_CLIENTS_SETUP:-1} != 0 ]]; then
  "$here/setup-clients.sh" >/dev/null || die "setup-clients.sh failed"
fi
check_plugins_present

logdir=$(mktemp -d /tmp/cnbk-logs.XXXXXX)
trap 'rm -rf "$logdir"' EXIT
trap 'exit 1' INT TERM HUP
declare -A result
# cri: containerd's CRI plugin (the kubelet's path); installer: the image + DaemonSet;
# cluster: four nodes with host-gw routes (scripts/cluster-demo.sh --check).
clients=(cnitool gocni podman cri installer cluster)
start=$SECONDS
for c in "${clients[@]}"; do
  t0=$SECONDS
  "$here/$c-check.sh" >"$logdir/$c.log" 2>&1
  rc=$?
  if ((rc == 0)); then
    result[$c]="PASS ($((SECONDS - t0))s)"
  elif ((rc == 77)); then  # not applicable to these plugins (the check says why)
    result[$c]="SKIP: $(tail -n1 "$logdir/$c.log")"
  else
    result[$c]="FAIL ($((SECONDS - t0))s)"
    echo "---- $c log ----"
    cat "$logdir/$c.log"
  fi
done
echo "real clients against $cni_path:"
failed=0 skipped=0
for c in "${clients[@]}"; do
  printf '  %-10s %s\n' "$c" "${result[$c]}"
  case ${result[$c]} in
    PASS*) ;;
    SKIP*) skipped=$((skipped + 1)) ;;
    *) failed=$((failed + 1)) ;;
  esac
done
# The figures: the CRI timings (ours, reference, hostNetwork) and the cluster's ADD/DEL per node.
for c in cri cluster; do
  [[ ${result[$c]} == PASS* ]] && grep -E '^(median|cluster:|\|)' "$logdir/$c.log"
done
echo "clients took $((SECONDS - start))s"
if ((skipped)); then
  echo "$(( ${#clients[@]} - failed - skipped )) passed, $skipped skipped, $failed failed"
else
  echo "$(( ${#clients[@]} - failed )) passed, $failed failed"
fi
((failed == 0))

#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The multi-node simulation as a check: scripts/cluster-demo.sh --check (four nodes on an
# underlay with host-gw routes, 25 pods each through $CNB_PLUGIN_DIR's bridge + host-local,
# cross-node pings with source addresses preserved, masquerade to an outside host, nothing
# left). It runs in its own mount and PID namespaces; see the script's header.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
((EUID == 0)) || die "needs root (network, mount and PID namespaces)"
check_plugins_present
"$repo_root/scripts/cluster-demo.sh" --check || die "cluster simulation failed"
log "cluster: pass ($CNB_PLUGIN_DIR)"

#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Conformance: our bridge/host-local (build/bin) side by side with the reference plugins
# (Debian containernetworking-plugins, /usr/lib/cni). Needs root. Extra arguments go to run.py
# (e.g. --only 'del-*', -v, --show).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
ours=${CNB_OURS:-$here/../build/bin}
reference=${CNB_REFERENCE:-/usr/lib/cni}
if [ "$(id -u)" -ne 0 ]; then
  echo "conformance/run.sh: needs root (creates network namespaces)" >&2
  exit 2
fi
# The system python (Debian's python3), not a user-level shim: the runner uses the standard
# library only.
py=/usr/bin/python3
[ -x "$py" ] || py=python3
exec "$py" "$here/run.py" --ours "$ours" --reference "$reference" "$@"

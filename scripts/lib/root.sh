# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# Sourced by the entry scripts: they need root (network namespaces, apt). Run as root they go on;
# otherwise they re-run themselves through sudo when it is installed (Debian does not install it
# by default), keeping the environment (CNB_*, BENCH_*), and say what to do when it is not.
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib/root.sh"; need_root "$0" "$@"
need_root() {
  local script=$1
  shift
  ((EUID == 0)) && return 0
  if command -v sudo >/dev/null 2>&1; then
    exec sudo --preserve-env "$script" "$@"
  fi
  echo "$(basename "$script"): needs root (it creates network namespaces); run it as root" >&2
  exit 1
}

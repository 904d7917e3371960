#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The whole test suite, as CI runs it: set up + build, then every test (unit, kernel,
# integration) against the static Release build and again against an ASan/UBSan build.
# Needs root (the kernel and integration tests create their own network namespaces; they fail,
# never skip, without it): run as root, or it re-runs itself through sudo. Exits non-zero on any
# failure; the last line is "N passed, N failed".
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
source scripts/lib/root.sh
need_root scripts/test.sh "$@"

if ! scripts/setup.sh --asan; then
  echo "test: setup/build failed"
  echo "0 passed, 1 failed"
  exit 1
fi

total_passed=0
total_failed=0
status=0

# One check (a command) counted as one test.
run_check() {  # <name> <command...>
  local name=$1
  shift
  echo "== $name"
  if "$@"; then
    total_passed=$((total_passed + 1))
  else
    echo "test: $name FAILED"
    total_failed=$((total_failed + 1))
    status=1
  fi
}

run_suite() {  # <build dir>
  local dir=$1 log
  log=$(mktemp)
  echo "== ctest in $dir"
  # A hung test must not eat the CI budget: 300 s each at most.
  ctest --test-dir "$dir" --output-on-failure -j2 --timeout 300 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  local line failed total
  line=$(grep -E 'tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -1)
  rm -f "$log"
  if [[ -z $line ]]; then
    echo "test: no test summary from $dir (no tests found?)"
    total_failed=$((total_failed + 1))
    status=1
    return
  fi
  failed=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$line")
  total=$(sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\2/' <<<"$line")
  total_passed=$((total_passed + total - failed))
  total_failed=$((total_failed + failed))
  if ((rc != 0 || failed != 0 || total == 0)); then status=1; fi
}

# Static checks first: formatting, clang-tidy, shellcheck, function length (scripts/lint.sh).
run_check lint scripts/lint.sh

run_suite build
# Sanitizer reports in the plugins under test fail the tests too (the runner checks stderr).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
run_suite build-asan

# The libFuzzer targets under ASan + UBSan: saved regression inputs, then FUZZ_SECONDS (20) of
# fuzzing each, two at a time (scripts/fuzz.sh; a crash saves its input in fuzz/regressions/).
run_check fuzz scripts/fuzz.sh

# Black-box checks against the shipped build: the conformance runner's own unit tests, side by
# side with the reference plugins (--strict: an allow-list entry nothing needs fails too), then
# the real clients (cnitool, go-cni, podman, containerd's CRI, the installer image, a cluster).
# Each counts as one test here.
run_check conformance-runner /usr/bin/python3 -m unittest discover -q -s conformance/tests
run_check conformance conformance/run.sh --strict
run_check clients conformance/clients/run-all.sh

echo "${total_passed} passed, ${total_failed} failed"
exit "$status"

#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Static checks, as scripts/test.sh runs them: clang-format (.clang-format), clang-tidy
# (.clang-tidy, over the production sources, with build/'s compile_commands.json), shellcheck
# (.shellcheckrc), the function-length limit and the module graph (scripts/check-deps.py).
# Prints what fails; exits non-zero if anything did.
#
#   scripts/lint.sh            all of them (needs a configured build/ for clang-tidy)
#   scripts/lint.sh --fix      clang-format -i first, then the checks
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

mapfile -t cxx < <(git ls-files --cached --others --exclude-standard -- '*.cc' '*.h')
mapfile -t shell < <(git ls-files --cached --others --exclude-standard -- '*.sh')
# Not netlink/static/: it overrides libc's own (reserved) symbols on purpose.
mapfile -t production < <(git ls-files --cached --others --exclude-standard -- \
  'common/*.cc' 'cni/*.cc' 'ipam/*.cc' 'netlink/*.cc' 'masq/*.cc' 'plugin/*.cc' ':!netlink/static/*')
failed=0

if [[ ${1:-} == --fix ]]; then clang-format -i "${cxx[@]}"; fi

echo "== clang-format (${#cxx[@]} files)"
clang-format --dry-run --Werror "${cxx[@]}" || failed=1

echo "== shellcheck (${#shell[@]} scripts)"
shellcheck "${shell[@]}" || failed=1

echo "== function length"
/usr/bin/python3 scripts/check-function-length.py || failed=1

echo "== module dependencies"
/usr/bin/python3 scripts/check-deps.py || failed=1

echo "== clang-tidy (${#production[@]} production files)"
if [[ ! -f build/compile_commands.json ]]; then
  echo "lint: no build/compile_commands.json (run scripts/setup.sh first)"
  failed=1
else
  # Two at a time, each file alone; only the findings are printed. -Wno-sign-compare: clang warns
  # inside the kernel's NLMSG_OK macro, which GCC (the compiler that builds) treats as a system one.
  printf '%s\n' "${production[@]}" |
    xargs -P 2 -n 1 clang-tidy -p build --quiet --extra-arg=-Wno-sign-compare 2>/dev/null >build/clang-tidy.log || true
  if grep -E 'warning:|error:' build/clang-tidy.log; then failed=1; fi
fi

if ((failed)); then echo "lint: FAILED"; else echo "lint: clean"; fi
exit "$failed"

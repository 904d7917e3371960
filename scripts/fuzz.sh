#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The fuzz step of scripts/test.sh (fuzz/README.md): builds the libFuzzer targets in build-fuzz/
# (clang, ASan + UBSan, through scripts/setup.sh --fuzz), replays every saved regression input
# (fuzz/regressions/<target>/, all must pass), then fuzzes each target for a bounded time on a
# copy of its seed corpus (fuzz/corpus/<target>/, left unchanged). A crash, leak, timeout or
# sanitizer report fails the step and its input is saved as fuzz/regressions/<target>/<kind>-<sha1>.
# Prints one line per target with the executions done; exits non-zero on any failure.
#
#   scripts/fuzz.sh                        every target, FUZZ_SECONDS (default 20) each
#   scripts/fuzz.sh netconf nft_rule       only these
#   FUZZ_SECONDS=600 scripts/fuzz.sh hostlocal_files     a longer run of one
#   FUZZ_JOBS=1 scripts/fuzz.sh            one target at a time (default 2, one per core)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

all_targets=(netconf cni_args hostlocal_files resolv_conf nft_rule netlink_reply)
seconds=${FUZZ_SECONDS:-20}
jobs=${FUZZ_JOBS:-2}

# Longest input each target gets: a little above the largest realistic one (libFuzzer's own
# default is 4096 or the largest seed).
declare -A max_len=([netconf]=8192 [cni_args]=1024 [hostlocal_files]=2048 [resolv_conf]=4096
  [nft_rule]=2048 [netlink_reply]=4096)

targets=("$@")
((${#targets[@]})) || targets=("${all_targets[@]}")
for t in "${targets[@]}"; do
  [[ -n ${max_len[$t]:-} ]] || { echo "fuzz.sh: unknown target $t (one of: ${all_targets[*]})" >&2; exit 2; }
done

start=$SECONDS
scripts/setup.sh --fuzz

# In memory when it can be: hostlocal_files makes and removes a directory per input.
tmp_root=/tmp
[[ -d /dev/shm && -w /dev/shm ]] && tmp_root=/dev/shm
work=$(mktemp -d "$tmp_root/cnb-fuzz.XXXXXX")
cleanup() { rm -rf "$work"; }
trap cleanup EXIT

# halt_on_error: the first report ends the run (UBSan too; the build has -fno-sanitize-recover).
export ASAN_OPTIONS=halt_on_error=1:abort_on_error=1:detect_leaks=1:symbolize=1
export UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1
if [[ -x /usr/lib/llvm-14/bin/llvm-symbolizer ]]; then
  export ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-14/bin/llvm-symbolizer
fi
# The hostlocal_files target writes its directories under TMPDIR.
export TMPDIR=$work/tmp
mkdir -p "$TMPDIR"

failed=0

# The lines of a libFuzzer log that say what happened: the sanitizer's or the harness's verdict
# and the frames in our own sources (nlohmann's and libstdc++'s frames are long and many).
report() {  # <log>
  grep -E "ERROR|SUMMARY|fuzz finding|runtime error| in cnb::| $PWD/(common|cni|ipam|netlink|masq|plugin|fuzz)/" "$1" |
    grep -v BuildId | cut -c1-240 | head -25 || true
}

# Every saved input must run clean: each one was a crash once.
replay() {  # <target>
  local t=$1 bin=build-fuzz/fuzz/fuzz_$1 f n=0 bad=0
  [[ -d fuzz/regressions/$t ]] || return 0
  for f in fuzz/regressions/"$t"/*; do
    [[ -f $f && $(basename "$f") != README* ]] || continue
    n=$((n + 1))
    # In a subshell that exits normally, so that bash's own "Aborted" line goes to the log too.
    if ! (timeout 120 "$bin" -rss_limit_mb=2048 -timeout=10 "$f"; exit $?) >"$work/replay-$t.log" 2>&1; then
      echo "fuzz: $t regression $f FAILS:"
      report "$work/replay-$t.log"
      bad=$((bad + 1))
    fi
  done
  if ((n)); then echo "fuzz: $t replayed $n regression input(s), $bad failing"; fi
  ((bad == 0))
}

# One bounded run; writes "<status> <execs> <new units> <peak rss>" to $work/<target>.result.
run_target() {  # <target>
  local t=$1 bin=build-fuzz/fuzz/fuzz_$1 corpus=$work/corpus-$1 artifacts=$work/artifacts-$1/
  local dict=() rc=0
  cp -r "fuzz/corpus/$t" "$corpus"
  mkdir -p "$artifacts"
  [[ -f fuzz/dict/$t.dict ]] && dict=(-dict="fuzz/dict/$t.dict")
  timeout $((seconds + 60)) "$bin" -max_total_time="$seconds" -max_len="${max_len[$t]}" -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts" "${dict[@]}" "$corpus" \
    >"$work/$t.log" 2>&1 || rc=$?
  local execs units rss
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$t.log" | tail -1)
  units=$(sed -n 's/^stat::new_units_added: *//p' "$work/$t.log" | tail -1)
  rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$work/$t.log" | tail -1)
  echo "$rc ${execs:-?} ${units:-?} ${rss:-?}" >"$work/$t.result"
}

for t in "${targets[@]}"; do
  [[ -x build-fuzz/fuzz/fuzz_$t ]] || { echo "fuzz: build-fuzz/fuzz/fuzz_$t was not built"; exit 1; }
  replay "$t" || failed=1
done

# FUZZ_JOBS targets at a time, each on one core.
running=0
for t in "${targets[@]}"; do
  if ((running >= jobs)); then
    wait -n || true
    running=$((running - 1))
  fi
  run_target "$t" &
  running=$((running + 1))
done
wait

total=0
for t in "${targets[@]}"; do
  read -r rc execs units rss <"$work/$t.result"
  saved=()
  for a in "$work/artifacts-$t"/*; do
    [[ -f $a ]] || continue
    mkdir -p "fuzz/regressions/$t"
    cp "$a" "fuzz/regressions/$t/"
    saved+=("fuzz/regressions/$t/$(basename "$a")")
  done
  [[ $execs =~ ^[0-9]+$ ]] && total=$((total + execs))
  if ((rc == 0 && ${#saved[@]} == 0)); then
    printf 'fuzz: %-16s ok      %10s execs in %ss, %s new inputs, peak %s MB\n' "$t" "$execs" "$seconds" "$units" "$rss"
  else
    printf 'fuzz: %-16s FAILED  %10s execs (exit %s); saved: %s\n' "$t" "$execs" "$rc" "${saved[*]:-nothing}"
    report "$work/$t.log"
    failed=1
  fi
done

echo "fuzz: ${#targets[@]} targets, $total execs, $((SECONDS - start)) s in all"
exit "$failed"

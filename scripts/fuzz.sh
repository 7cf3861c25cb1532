#!/usr/bin/env bash
# Runs the libFuzzer targets of tests/fuzz (build them first: scripts/build.sh fuzz), as many
# at once as there are cores:
#   scripts/fuzz.sh --short [TARGET...]   60 s per target (what CI runs)
#   scripts/fuzz.sh --long  [TARGET...]   10 min per target
#   --seconds N                           any other duration per target
# Each target starts from the seeds write_fuzz_seeds generates, its regressions and the
# corpus kept from earlier runs in build/fuzz/corpus/<target>, with its dictionary. The run
# fails when any target finds a crash, a leak, a timeout or runs out of memory; the input
# that did it is copied into tests/fuzz/regressions/<target>/ (commit it with the fix, and
# every ctest run replays it). Prints each target's executions and result, then the total.
set -euo pipefail
cd "$(dirname "$0")/.."

all_targets=(fuzz_event_batch fuzz_open311 fuzz_jpeg fuzz_district fuzz_http fuzz_stream fuzz_headers)
seconds=""
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --short) seconds=60 ;;
    --long) seconds=600 ;;
    --seconds)
      [ $# -ge 2 ] && [[ "$2" =~ ^[1-9][0-9]*$ ]] || { echo "fuzz: --seconds needs a positive whole number" >&2; exit 2; }
      seconds=$2; shift ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    fuzz_*)
      [[ " ${all_targets[*]} " == *" $1 "* ]] || { echo "fuzz: unknown target '$1' (${all_targets[*]})" >&2; exit 2; }
      targets+=("$1") ;;
    *) echo "fuzz: unknown argument '$1'; use --short, --long or --seconds N, then targets" >&2; exit 2 ;;
  esac
  shift
done
[ -n "$seconds" ] || { echo "fuzz: say how long: --short (60 s per target), --long (10 min) or --seconds N" >&2; exit 2; }
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")

build=build/fuzz
bin=$build/tests/fuzz
for t in write_fuzz_seeds "${targets[@]}"; do
  [ -x "$bin/$t" ] || { echo "fuzz: $bin/$t is missing; run scripts/build.sh fuzz first" >&2; exit 2; }
done

# The hub targets keep their store in a temporary directory; a crash leaves it behind, so
# every run gets a directory of its own, removed at the end.
shm=/tmp
[ -d /dev/shm ] && [ -w /dev/shm ] && shm=/dev/shm
export TMPDIR
TMPDIR=$(mktemp -d "$shm/glassbrain-fuzz.XXXXXX")
trap 'rm -rf "$TMPDIR"' EXIT

seeds=$build/seeds
rm -rf "$seeds"
"$bin/write_fuzz_seeds" "$seeds" >/dev/null
results=$build/results
rm -rf "$results"
mkdir -p "$results"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
# Stack traces with function names and lines, when an LLVM symbolizer is installed.
for s in llvm-symbolizer-15 llvm-symbolizer; do
  if command -v "$s" >/dev/null; then
    export ASAN_SYMBOLIZER_PATH=${ASAN_SYMBOLIZER_PATH:-$(command -v "$s")}
    break
  fi
done

options_for() {
  case "$1" in
    fuzz_jpeg) echo "-rss_limit_mb=1024 -dict=tests/fuzz/jpeg.dict" ;;
    fuzz_event_batch|fuzz_district) echo "-dict=tests/fuzz/json.dict" ;;
    *) echo "-dict=tests/fuzz/http.dict" ;;
  esac
}

run_target() {
  local t=$1 corpus=$build/corpus/$1 artifacts=$build/artifacts/$1 log=$results/$1.log
  mkdir -p "$corpus" "$artifacts" "tests/fuzz/regressions/$t"
  rm -f "$artifacts"/*
  local status=0
  # shellcheck disable=SC2046  # the options are words
  "$bin/$t" -max_total_time="$seconds" -timeout=25 -print_final_stats=1 $(options_for "$t") \
    -artifact_prefix="$artifacts/" "$corpus" "$seeds/$t" "tests/fuzz/regressions/$t" >"$log" 2>&1 || status=$?
  local found=()
  for f in "$artifacts"/crash-* "$artifacts"/leak-* "$artifacts"/timeout-* "$artifacts"/oom-*; do
    [ -e "$f" ] || continue
    cp "$f" "tests/fuzz/regressions/$t/"
    found+=("tests/fuzz/regressions/$t/$(basename "$f")")
  done
  local execs
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  if [ $status -eq 0 ] && [ ${#found[@]} -eq 0 ]; then
    echo "ok ${execs:-0}" >"$results/$t"
  else
    echo "FAILED ${execs:-0} exit=$status ${found[*]}" >"$results/$t"
  fi
}

jobs=$(nproc)
echo "fuzz: ${#targets[@]} targets, $seconds s each, $jobs at a time (logs in $results/)"
for t in "${targets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
  run_target "$t" &
done
wait

failed=0
total=0
for t in "${targets[@]}"; do
  read -r result execs rest <"$results/$t"
  total=$((total + execs))
  printf '%-18s %-6s %12s executions %s\n' "$t" "$result" "$execs" "${rest:-}"
  if [ "$result" != ok ]; then
    failed=1
    tail -40 "$results/$t.log" | sed "s/^/  $t: /"
  fi
done
echo "fuzz: $total executions in all, commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown), $(date -u +%Y-%m-%dT%H:%MZ)"
if [ $failed -ne 0 ]; then
  echo "fuzz: FAILED; the inputs are in tests/fuzz/regressions/ (replay one: $bin/<target> FILE)" >&2
  exit 1
fi
echo "fuzz: no crash, leak, timeout or memory exhaustion"

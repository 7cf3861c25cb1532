#!/usr/bin/env bash
# Builds the release and the ASan+UBSan presets and runs every test under both, then builds
# the fuzz targets and fuzzes each for a minute (scripts/fuzz.sh --short), then runs each
# benchmark in its short mode to show that it works (benchmarks are not timed tests).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
for preset in release asan; do
  echo "== build $preset"
  scripts/build.sh "$preset"
  echo "== test $preset"
  ctest --preset "$preset" -j "$jobs"
done
echo "== build fuzz"
scripts/build.sh fuzz
echo "== fuzz (short)"
scripts/fuzz.sh --short
if [ -x build/release/bench/run-all.sh ]; then
  echo "== benchmarks (short mode)"
  GLASSBRAIN_BENCH_SHORT=1 build/release/bench/run-all.sh
fi

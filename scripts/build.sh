#!/usr/bin/env bash
# Configures and builds one CMake preset (dev, release or asan): scripts/build.sh release
# CMAKE_BUILD_PARALLEL_LEVEL limits the parallel compile jobs (default: ninja's).
set -euo pipefail
cd "$(dirname "$0")/.."
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.ccache}
# Hash paths relative to the checkout, so that fresh clones reuse earlier compilations.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$PWD}
export CCACHE_NOHASHDIR=1
preset=${1:-release}
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset"

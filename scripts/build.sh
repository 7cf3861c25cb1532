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
# The web pages, bundled into web/dist/ (the hub's default web_dir).
if [ ! -d web/node_modules ]; then
  echo "build: web/node_modules is missing; run scripts/install-deps.sh first" >&2
  exit 1
fi
node web/build.mjs
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset"

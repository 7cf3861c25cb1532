#!/usr/bin/env bash
# The Debian package of a build tree (argument: the build directory), built by CPack into a
# temporary directory: it holds the binary, its data, the service and its configuration
# (marked as one, so that an upgrade keeps the operator's changes), and depends on the
# libraries the binary links.
set -euo pipefail
build=$1
out=$(mktemp -d "${TMPDIR:-/tmp}/glassbrain-package-test-XXXXXX")
trap 'rm -rf "$out"' EXIT
fail() { echo "package_test: $*" >&2; exit 1; }

(cd "$build" && cpack -G DEB -B "$out" >"$out/cpack.log" 2>&1) || { cat "$out/cpack.log"; fail "cpack failed"; }
debs=("$out"/glassbrain_*.deb)
[ -f "${debs[0]}" ] || fail "no glassbrain_*.deb in the CPack output"
deb=${debs[0]}
dpkg-deb -c "$deb" >"$out/contents"
for path in ./usr/bin/glassbrain ./usr/lib/systemd/system/glassbrain.service ./etc/glassbrain/hub.toml \
            ./usr/share/glassbrain/web/index.html ./usr/share/glassbrain/demo/district.toml \
            ./usr/share/glassbrain/models/face_detection_front_128x128_barracuda.onnx \
            ./usr/share/glassbrain/models/ssdlite_mobilenet_v2_coco.pb ./usr/share/doc/glassbrain/deploy.md; do
  grep -q " $path\$" "$out/contents" || fail "$deb does not hold $path"
done
grep -q '^-rwxr-xr-x root/root .* ./usr/bin/glassbrain$' "$out/contents" \
  || fail "/usr/bin/glassbrain is not an executable owned by root"
[ "$(dpkg-deb -f "$deb" Package)" = glassbrain ] || fail "the package is not named glassbrain"
depends=$(dpkg-deb -f "$deb" Depends)
for lib in libsqlite3 libsodium libturbojpeg libopencv-dnn opencv-data; do
  grep -q "$lib" <<<"$depends" || fail "Depends lacks $lib: $depends"
done
dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles | grep -qx /etc/glassbrain/hub.toml \
  || fail "/etc/glassbrain/hub.toml is not a conffile"
echo "package_test: $(basename "$deb") ($(du -h "$deb" | cut -f1)) holds the hub, its data and its service"

#!/usr/bin/env bash
# REST GET benchmark: small authenticated REST GETs per second from the hub, against nginx
# returning a static body of the same size, both driven by wrk with the same settings.
#
# The hub is `glassbrain demo --no-simulate` on a fresh data directory and a free loopback
# port; the script signs in as the demo's dispatcher (the password is read from the demo's
# one-time output) and measures GET /api/v1/departments/sanitation with the session cookie:
# a real authenticated, store-backed read (cookie → session → user → the department's
# document). nginx (one worker, no access log, its own temporary prefix) serves a file of
# exactly the same number of bytes; wrk sends the same Cookie header to both.
# Target: hub req/s ÷ nginx req/s ≥ 0.5.
#
# wrk, the hub (one thread per core) and nginx (one worker) share the machine's cores, so on
# a busy machine the scheduler decides much of the req/s; the script then says so, and it
# always prints each server's own CPU time per request (user + system, from /proc), which
# other load barely moves.
#
# Usage: bench/rest_get_bench.sh [path/to/glassbrain]   (default: $GLASSBRAIN_BIN, else
# build/release/glassbrain next to this script's checkout). GLASSBRAIN_BENCH_SHORT=1 runs
# wrk for 2 s per server instead of 10 s.
# Exit status: 0 when both servers were measured (a missed target only prints FAIL);
# non-zero when something did not start or answered wrongly.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bin="${1:-${GLASSBRAIN_BIN:-$here/../build/release/glassbrain}}"
duration=10s
warmup=1s  # an unmeasured wrk run per server first (reader connections, caches, page cache)
if [ -n "${GLASSBRAIN_BENCH_SHORT:-}" ] && [ "${GLASSBRAIN_BENCH_SHORT}" != 0 ]; then duration=2s; warmup=""; fi
threads=2
connections=32
target=/api/v1/departments/sanitation

die() { echo "rest_get_bench: BROKEN RUN: $*" >&2; exit 1; }
[ -x "$bin" ] || die "no glassbrain binary at $bin (build it, or pass its path)"
for tool in curl wrk nginx; do
  command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] || die "$tool is not installed (scripts/install-deps.sh)"
done
nginx_bin="$(command -v nginx || echo /usr/sbin/nginx)"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/glassbrain-rest-bench-XXXXXX")"
hub_pid=""
nginx_pid=""
cleanup() {
  for pid in $hub_pid $nginx_pid; do kill "$pid" 2>/dev/null || true; done
  for pid in $hub_pid $nginx_pid; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- the hub ------------------------------------------------------------------------------
"$bin" demo --no-simulate --listen 127.0.0.1:0 --data-dir "$tmp/hub" >"$tmp/hub.out" 2>"$tmp/hub.err" &
hub_pid=$!
hub_port=""
for _ in $(seq 1 300); do
  hub_port="$(sed -n 's|^Serving on http://[^:]*:\([0-9][0-9]*\)/.*|\1|p' "$tmp/hub.out")"
  [ -n "$hub_port" ] && break
  kill -0 "$hub_pid" 2>/dev/null || die "the hub exited: $(cat "$tmp/hub.err" "$tmp/hub.out")"
  sleep 0.1
done
[ -n "$hub_port" ] || die "the hub did not start within 30 s: $(cat "$tmp/hub.err")"
password="$(sed -n 's|^  dispatcher (dispatcher): \(.*\)$|\1|p' "$tmp/hub.out")"
[ -n "$password" ] || die "no dispatcher password in the demo's output"
hub="http://127.0.0.1:$hub_port"

login_status="$(curl -sS -o "$tmp/login.json" -D "$tmp/login.headers" -w '%{http_code}' \
  -H 'Content-Type: application/json' \
  --data "{\"name\":\"dispatcher\",\"password\":\"$password\"}" "$hub/api/v1/session")"
[ "$login_status" = 200 ] || die "sign-in answered $login_status: $(cat "$tmp/login.json")"
cookie="$(tr -d '\r' <"$tmp/login.headers" | sed -n 's|^[Ss]et-[Cc]ookie: *\(gb_session=[^;]*\).*|\1|p' | head -n 1)"
[ -n "$cookie" ] || die "sign-in set no gb_session cookie"

get_status="$(curl -sS -o "$tmp/body" -w '%{http_code}' -H "Cookie: $cookie" "$hub$target")"
[ "$get_status" = 200 ] || die "GET $target answered $get_status: $(head -c 300 "$tmp/body")"
size="$(wc -c <"$tmp/body")"
[ "$size" -gt 0 ] || die "GET $target answered an empty body"

# ---- nginx with a static body of the same size ------------------------------------------
mkdir -p "$tmp/nginx/www" "$tmp/nginx/logs" "$tmp/nginx/temp"
head -c "$size" /dev/zero | tr '\0' 'x' >"$tmp/nginx/www/body"
# As root, nginx's worker runs as nobody: let it read the prefix.
chmod 755 "$tmp" "$tmp/nginx" "$tmp/nginx/www"
chmod 644 "$tmp/nginx/www/body"
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
nginx_port=""
for _ in $(seq 1 20); do
  candidate=$((20000 + RANDOM % 40000))
  port_free "$candidate" || continue
  cat >"$tmp/nginx/nginx.conf" <<EOF
worker_processes 1;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $tmp/nginx/temp/body;
  proxy_temp_path $tmp/nginx/temp/proxy;
  fastcgi_temp_path $tmp/nginx/temp/fastcgi;
  uwsgi_temp_path $tmp/nginx/temp/uwsgi;
  scgi_temp_path $tmp/nginx/temp/scgi;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$candidate;
    location = /body { root $tmp/nginx/www; default_type application/json; }
  }
}
EOF
  "$nginx_bin" -e "$tmp/nginx/logs/error.log" -p "$tmp/nginx/" -c "$tmp/nginx/nginx.conf" -g 'daemon off;' \
    >"$tmp/nginx/out" 2>&1 &
  nginx_pid=$!
  for _ in $(seq 1 50); do
    if curl -s -o /dev/null "http://127.0.0.1:$candidate/body"; then nginx_port=$candidate; break; fi
    kill -0 "$nginx_pid" 2>/dev/null || break
    sleep 0.1
  done
  [ -n "$nginx_port" ] && break
  kill "$nginx_pid" 2>/dev/null || true
  wait "$nginx_pid" 2>/dev/null || true
  nginx_pid=""
done
[ -n "$nginx_port" ] || die "nginx did not start: $(cat "$tmp/nginx/out" "$tmp/nginx/logs/error.log" 2>/dev/null)"
nginx_url="http://127.0.0.1:$nginx_port/body"
nginx_status="$(curl -sS -o "$tmp/nginx.body" -w '%{http_code}' -H "Cookie: $cookie" "$nginx_url")"
[ "$nginx_status" = 200 ] || die "nginx answered $nginx_status"
[ "$(wc -c <"$tmp/nginx.body")" = "$size" ] || die "nginx's body is not $size bytes"

# ---- wrk, the same settings for both ------------------------------------------------------
# CPU time (user + system, in clock ticks) used so far by the given processes.
cpu_ticks() {
  local total=0 stat rest
  for pid in "$@"; do
    stat="$(cat "/proc/$pid/stat" 2>/dev/null)" || continue
    rest="${stat##*) }"  # the fields after "pid (comm) "
    read -r -a f <<<"$rest"
    total=$((total + f[11] + f[12]))
  done
  echo "$total"
}
# Prints "req/s requests cpu_ticks"; a non-2xx answer makes the run broken. The CPU time is
# the server's own (its processes only), whatever else runs on the machine.
measure() {
  local name=$1 url=$2 out="$tmp/wrk.$1"
  shift 2
  if [ -n "$warmup" ]; then
    wrk -t"$threads" -c"$connections" -d"$warmup" -H "Cookie: $cookie" "$url" >/dev/null 2>&1 || true
  fi
  local before after
  before="$(cpu_ticks "$@")"
  wrk -t"$threads" -c"$connections" -d"$duration" -H "Cookie: $cookie" "$url" >"$out" 2>&1 || die "wrk failed on $name: $(cat "$out")"
  after="$(cpu_ticks "$@")"
  if grep -q 'Non-2xx or 3xx responses' "$out"; then die "$name: $(grep 'Non-2xx' "$out")"; fi
  if grep -q 'Socket errors' "$out"; then echo "rest_get_bench: $name: $(grep 'Socket errors' "$out")" >&2; fi
  local rps requests
  rps="$(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$out")"
  requests="$(sed -n 's/^ *\([0-9][0-9]*\) requests in .*/\1/p' "$out")"
  [ -n "$rps" ] && [ -n "$requests" ] || die "no Requests/sec from wrk on $name: $(cat "$out")"
  echo "$rps $requests $((after - before))"
}

cores="$(nproc 2>/dev/null || echo '?')"
echo "rest_get_bench: GET $target ($size-byte JSON body, session cookie), wrk -t$threads -c$connections -d$duration${warmup:+ after a $warmup warm-up}"
echo "note: the hub uses all $cores cores by default and nginx runs one worker; wrk competes for the same $cores cores in both runs"
load="$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo 0)"
if awk -v l="$load" -v c="$cores" 'BEGIN { exit !(c + 0 > 0 && l + 0 > c + 0) }'; then
  echo "warning: the machine is busy (load average $load on $cores cores): the scheduler, not the servers, sets" \
       "much of the req/s (the hub has $cores threads, nginx one worker); the CPU per request below still compares them"
fi
nginx_pids="$nginx_pid $(pgrep -P "$nginx_pid" | tr '\n' ' ' || true)"
hub_line="$(measure glassbrain "$hub$target" "$hub_pid")"            # set -e: a broken run stops here
nginx_line="$(measure nginx "$nginx_url" $nginx_pids)"
read -r hub_rps hub_requests hub_ticks <<<"$hub_line"
read -r nginx_rps nginx_requests nginx_ticks <<<"$nginx_line"
tick="$(getconf CLK_TCK 2>/dev/null || echo 100)"
us_per_request() { awk -v t="$1" -v hz="$tick" -v n="$2" 'BEGIN { printf "%.1f", (n > 0 ? t / hz / n * 1e6 : 0) }'; }
hub_us="$(us_per_request "$hub_ticks" "$hub_requests")"
nginx_us="$(us_per_request "$nginx_ticks" "$nginx_requests")"
ratio="$(awk -v a="$hub_rps" -v b="$nginx_rps" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }')"
verdict="$(awk -v r="$ratio" 'BEGIN { print (r >= 0.5 ? "PASS" : "FAIL") }')"
echo "glassbrain: $hub_rps req/s ($hub_us us of server CPU per request)"
echo "nginx (static $size-byte file): $nginx_rps req/s ($nginx_us us of server CPU per request)"
echo "CPU per request, nginx / glassbrain: $(awk -v a="$nginx_us" -v b="$hub_us" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }')"
echo "ratio: $ratio"
echo "ratio >= 0.5: $verdict"

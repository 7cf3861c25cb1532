#!/usr/bin/env bash
# REST GET benchmark: requests per second the hub answers on the routes clients poll, each
# against nginx returning a static body of the same size, both driven by wrk with the same
# settings.
#
# The hub is `glassbrain demo --no-simulate` on a fresh data directory and a free loopback
# port. Routes:
#   - the public ones residents' pages and Open311 clients poll (discovery, services in JSON
#     and XML, a service definition, the public map, the purposes, the month's figures),
#     anonymous, with 64 connections;
#   - GET /api/v1/departments/sanitation as the demo's dispatcher (session cookie: cookie →
#     session → user → the department's document), with 32 connections.
# nginx (one worker, no access log, its own temporary prefix) serves, per route, a file of
# exactly as many bytes as the hub's answer; wrk sends the same headers to both.
# Target: hub req/s ÷ nginx req/s ≥ 0.5 on every route.
#
# wrk, the hub (one thread per core) and nginx (one worker) share the machine's cores, so on
# a busy machine the scheduler decides much of the req/s; the script then says so, and it
# always prints each server's own CPU time per request (user + system, from /proc), which
# other load barely moves.
#
# Usage: bench/rest_get_bench.sh [path/to/glassbrain]   (default: $GLASSBRAIN_BIN, else
# build/release/glassbrain next to this script's checkout). GLASSBRAIN_BENCH_SHORT=1 runs
# wrk for 2 s per server and route instead of 10 s.
# Exit status: 0 when every route was measured on both servers (a missed target only
# prints FAIL); non-zero when something did not start or answered wrongly.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bin="${1:-${GLASSBRAIN_BIN:-$here/../build/release/glassbrain}}"
duration=10s
warmup=1s  # an unmeasured wrk run per server first (reader connections, caches, page cache)
if [ -n "${GLASSBRAIN_BENCH_SHORT:-}" ] && [ "${GLASSBRAIN_BENCH_SHORT}" != 0 ]; then duration=2s; warmup=""; fi
threads=2
# route|connections|auth ("cookie" or "public")
routes=(
  "/open311/v2/discovery.json|64|public"
  "/open311/v2/services.json|64|public"
  "/open311/v2/services.xml|64|public"
  "/open311/v2/services/graffiti.json|64|public"
  "/api/v1/public/map|64|public"
  "/api/v1/public/purposes|64|public"
  "/api/v1/public/stats|64|public"
  "/api/v1/departments/sanitation|32|cookie"
)

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

# Each route's answer, checked, and its size: nginx serves a file of that size for it.
mkdir -p "$tmp/nginx/www" "$tmp/nginx/logs" "$tmp/nginx/temp"
declare -a sizes
for i in "${!routes[@]}"; do
  IFS='|' read -r target _ auth <<<"${routes[$i]}"
  header=()
  [ "$auth" = cookie ] && header=(-H "Cookie: $cookie")
  get_status="$(curl -sS -o "$tmp/body.$i" -w '%{http_code}' "${header[@]}" "$hub$target")"
  [ "$get_status" = 200 ] || die "GET $target answered $get_status: $(head -c 300 "$tmp/body.$i")"
  sizes[$i]="$(wc -c <"$tmp/body.$i")"
  [ "${sizes[$i]}" -gt 0 ] || die "GET $target answered an empty body"
  head -c "${sizes[$i]}" /dev/zero | tr '\0' 'x' >"$tmp/nginx/www/body$i"
done

# ---- nginx with a static body of the same size ------------------------------------------
# As root, nginx's worker runs as nobody: let it read the prefix.
chmod 755 "$tmp" "$tmp/nginx" "$tmp/nginx/www"
chmod 644 "$tmp/nginx/www/"body*
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
    location / { root $tmp/nginx/www; default_type application/json; }
  }
}
EOF
  "$nginx_bin" -e "$tmp/nginx/logs/error.log" -p "$tmp/nginx/" -c "$tmp/nginx/nginx.conf" -g 'daemon off;' \
    >"$tmp/nginx/out" 2>&1 &
  nginx_pid=$!
  for _ in $(seq 1 50); do
    if curl -s -o /dev/null "http://127.0.0.1:$candidate/body0"; then nginx_port=$candidate; break; fi
    kill -0 "$nginx_pid" 2>/dev/null || break
    sleep 0.1
  done
  [ -n "$nginx_port" ] && break
  kill "$nginx_pid" 2>/dev/null || true
  wait "$nginx_pid" 2>/dev/null || true
  nginx_pid=""
done
[ -n "$nginx_port" ] || die "nginx did not start: $(cat "$tmp/nginx/out" "$tmp/nginx/logs/error.log" 2>/dev/null)"
nginx="http://127.0.0.1:$nginx_port"

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
  local name=$1 url=$2 conns=$3 auth=$4 out="$tmp/wrk.$1"
  shift 4
  local header=()
  [ "$auth" = cookie ] && header=(-H "Cookie: $cookie")
  if [ -n "$warmup" ]; then
    wrk -t"$threads" -c"$conns" -d"$warmup" "${header[@]}" "$url" >/dev/null 2>&1 || true
  fi
  local before after
  before="$(cpu_ticks "$@")"
  wrk -t"$threads" -c"$conns" -d"$duration" "${header[@]}" "$url" >"$out" 2>&1 || die "wrk failed on $name: $(cat "$out")"
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
echo "rest_get_bench: ${#routes[@]} routes, wrk -t$threads -d$duration${warmup:+ after a $warmup warm-up} per server and route"
echo "note: the hub uses all $cores cores by default and nginx runs one worker; wrk competes for the same $cores cores in both runs"
load="$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo 0)"
if awk -v l="$load" -v c="$cores" 'BEGIN { exit !(c + 0 > 0 && l + 0 > c + 0) }'; then
  echo "warning: the machine is busy (load average $load on $cores cores): the scheduler, not the servers, sets" \
       "much of the req/s (the hub has $cores threads, nginx one worker); the CPU per request below still compares them"
fi
nginx_pids="$nginx_pid $(pgrep -P "$nginx_pid" | tr '\n' ' ' || true)"
tick="$(getconf CLK_TCK 2>/dev/null || echo 100)"
us_per_request() { awk -v t="$1" -v hz="$tick" -v n="$2" 'BEGIN { printf "%.1f", (n > 0 ? t / hz / n * 1e6 : 0) }'; }
failed=0
printf '%-46s %7s %4s %10s %10s %8s %8s %6s\n' route bytes conn "hub req/s" "nginx r/s" "hub us" "ngx us" ratio
for i in "${!routes[@]}"; do
  IFS='|' read -r target conns auth <<<"${routes[$i]}"
  hub_line="$(measure "glassbrain$i" "$hub$target" "$conns" "$auth" "$hub_pid")"  # set -e: a broken run stops here
  nginx_line="$(measure "nginx$i" "$nginx/body$i" "$conns" "$auth" $nginx_pids)"
  read -r hub_rps hub_requests hub_ticks <<<"$hub_line"
  read -r nginx_rps nginx_requests nginx_ticks <<<"$nginx_line"
  ratio="$(awk -v a="$hub_rps" -v b="$nginx_rps" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }')"
  awk -v r="$ratio" 'BEGIN { exit !(r < 0.5) }' && failed=$((failed + 1))
  label="$target"
  [ "$auth" = cookie ] && label="$label (signed in)"
  printf '%-46s %7s %4s %10.0f %10.0f %8s %8s %6s\n' "$label" "${sizes[$i]}" "$conns" "$hub_rps" "$nginx_rps" \
    "$(us_per_request "$hub_ticks" "$hub_requests")" "$(us_per_request "$nginx_ticks" "$nginx_requests")" "$ratio"
done
echo "(us: server CPU per request; ratio: hub req/s ÷ nginx req/s on the same route and body size)"
echo "ratio >= 0.5 on every route: $([ "$failed" = 0 ] && echo PASS || echo "FAIL ($failed routes below)")"

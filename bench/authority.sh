#!/usr/bin/env bash
# Authority benchmark: client_credentials with a certificate assertion over HTTPS keep-alive
# (wrk), against `openssl speed rsa2048` signing on the same cores in the same run; plus start
# to ready with an existing data directory, and RSS idle and after load.
# Needs: wrk, openssl, a release build (it builds one), and the Skybridge host names resolving
# (it runs `skybridge hosts --write` when run as root). Usage: bench/authority.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-15}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
# SKYBRIDGE_BIN=path measures that binary instead of building one (to compare builds).
if [ -z "${SKYBRIDGE_BIN:-}" ]; then
  cargo build --release --locked -p skybridge >/dev/null
fi
bin="${SKYBRIDGE_BIN:-$CARGO_TARGET_DIR/release/skybridge}"
work="$(mktemp -d)"
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
domain=skybridge.localhost
if ! getent hosts "login.$domain" >/dev/null; then
  if [ "$(id -u)" = 0 ]; then "$bin" hosts --write --domain "$domain" >/dev/null
  else echo "run '$bin hosts --write' as root first" >&2; exit 1; fi
fi

# A client app trusting a fresh RSA certificate.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/client.key" -out "$work/client.pem" \
  -days 2 -subj /CN=bench-client 2>/dev/null
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
  [[application.certificate]]
  name = "bench"
  file = "client.pem"
[[app_role_assignment]]
tenant = "partner"
principal = "bench-client"
resource = "orders-api"
role = "Orders.Read"
TOML

start() {
  local t0; t0=$(date +%s%N)
  SKYBRIDGE_LOG=warn "$bin" up --data-dir "$work/data" --world "$work/world.toml" --port 0 >"$work/up.out" 2>"$work/up.err" &
  pid=$!
  for _ in $(seq 1 200); do grep -q "ready" "$work/up.out" 2>/dev/null && break; sleep 0.005; done
  ready_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
}
start; kill "$pid"; wait "$pid" || true           # first start creates keys and the CA
start                                              # measured: existing data directory
idle_rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")

ep="$work/data/endpoints.json"
read -r url client tid < <(python3 -c "import json,sys; e=json.load(open('$ep')); print(e['tenants']['partner']['token_endpoint'], e['applications']['partner/bench-client']['client_id'], e['tenants']['partner']['tenant_id'])")
b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
x5t=$(openssl x509 -in "$work/client.pem" -outform DER | openssl dgst -sha1 -binary | b64url)
now=$(date +%s)
header=$(printf '{"alg":"RS256","typ":"JWT","x5t":"%s"}' "$x5t" | b64url)
claims=$(printf '{"aud":"%s","iss":"%s","sub":"%s","jti":"bench","nbf":%d,"exp":%d}' "$url" "$client" "$client" "$now" $((now + 3600)) | b64url)
sig=$(printf '%s.%s' "$header" "$claims" | openssl dgst -sha256 -sign "$work/client.key" -binary | b64url)
body="grant_type=client_credentials&client_id=$client&scope=api%3A%2F%2Forders%2F.default&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=$header.$claims.$sig"
curl -sf --cacert "$work/data/ca.pem" -d "$body" "$url" | grep -q access_token

cat > "$work/post.lua" <<LUA
wrk.method = "POST"
wrk.body = "$body"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
LUA
# PERF_OUT=file records a profile of the server during the load.
if [ -n "${PERF_OUT:-}" ]; then perf record -F 999 -g -p "$pid" -o "$PERF_OUT" -- sleep "$((secs - 2))" >/dev/null 2>&1 & fi
wrk -t2 -c16 -d"${secs}s" -s "$work/post.lua" "$url" >"$work/wrk.out"
tokens=$(awk '/Requests\/sec/ {print $2}' "$work/wrk.out")
non2xx=$(awk '/Non-2xx/ {print $NF}' "$work/wrk.out"); non2xx=${non2xx:-0}
load_rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
speed=$(openssl speed -seconds "$secs" -multi "$(nproc)" rsa2048 2>/dev/null | awk '/^rsa 2048/ {print $6}')

printf '| metric | value |\n|---|---|\n'
printf '| tokens/s (certificate assertion, %s s, wrk -t2 -c16) | %s |\n' "$secs" "$tokens"
printf '| non-2xx responses | %s |\n' "$non2xx"
printf '| openssl speed rsa2048 sign/s (-multi %s) | %s |\n' "$(nproc)" "$speed"
printf '| ratio tokens / RSA-2048 signs | %s |\n' "$(python3 -c "print(round($tokens / $speed, 3))")"
printf '| start to ready, existing data dir (ms, incl. process spawn) | %s |\n' "$ready_ms"
printf '| RSS idle / after load (MB) | %s / %s |\n' "$((idle_rss / 1024))" "$((load_rss / 1024))"
grep -E "Latency|Req/Sec" "$work/wrk.out" | sed 's/^/    /'

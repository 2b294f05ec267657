#!/usr/bin/env bash
# Managed-identity benchmark: the cached-token path of the App Service endpoint over HTTP
# keep-alive (wrk), then the first-issue path in-process against the RS256 limit measured in
# the same run (crates/identity/benches/issue.rs). Usage: bench/identity.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-10}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
cargo build --release --locked -p skybridge >/dev/null
bin="$CARGO_TARGET_DIR/release/skybridge"
work="$(mktemp -d)"
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
SKYBRIDGE_LOG=warn "$bin" up --data-dir "$work/data" --port 0 >"$work/up.out" 2>"$work/up.err" &
pid=$!
for _ in $(seq 1 400); do grep -q ready "$work/up.out" 2>/dev/null && break; sleep 0.025; done
read -r endpoint header < <(python3 -c "
import json; m=json.load(open('$work/data/endpoints.json'))['managed_identities']['orders-sync']
print(m['identity_endpoint'], m['identity_header'])")
url="$endpoint?api-version=2019-08-01&resource=https%3A%2F%2Fvault.azure.net"
curl -sf -H "X-IDENTITY-HEADER: $header" "$url" | grep -q access_token
wrk -t2 -c32 -d"${secs}s" -H "X-IDENTITY-HEADER: $header" "$url" >"$work/wrk.out"
printf '| cached-token requests/s (App Service protocol, wrk -t2 -c32, %s s) | %s |\n' "$secs" "$(awk '/Requests\/sec/ {print $2}' "$work/wrk.out")"
grep -E "Latency|Non-2xx" "$work/wrk.out" | sed 's/^/    /' || true
cargo bench --locked -p skybridge-identity --bench issue 2>/dev/null | sed 's/^/    /'

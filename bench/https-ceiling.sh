#!/usr/bin/env bash
# The ceiling that bench/vault.sh's ratios live under on this machine: how many trivial HTTPS
# requests per second the fastest server we have (nginx, one worker per CPU, `return 200` with a
# body the size of a sign response) answers to the same load generator (wrk -t2 -c32, keep-alive,
# a request the size of a sign request with its bearer token) on the same cores, measured in one
# run with `openssl speed -multi <cpus>` for RSA-2048 and P-256 signing.
#
# A signing request costs the machine at least what a trivial request costs (server, load
# generator and kernel: 1/R of the machine) plus the signature (1/S), so no server on these cores
# can sign faster than 1/(1/R + 1/S) per second, a ratio to `openssl speed` of at most R/(R+S).
# Needs wrk, nginx (`apt-get install -y nginx`), openssl. Usage: bench/https-ceiling.sh [seconds]
# VAULT_CPUS / LOADGEN_CPUS: see bench/pinning.sh.
set -euo pipefail
secs="${1:-10}"
source "$(dirname "$0")/pinning.sh"
cpus="$server_cpus"
port=18445
work="$(mktemp -d)"
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" -days 2 \
  -subj /CN=127.0.0.1 2>/dev/null
# A sign response: kid and a 342-character base64url RSA-2048 signature.
body="{\"kid\":\"https://bench-kv.vault.skybridge.localhost/keys/rsa/0123456789abcdef0123456789abcdef\",\"value\":\"$(head -c 256 /dev/urandom | base64 -w0 | tr '+/' '-_' | tr -d '=')\"}"
cat > "$work/nginx.conf" <<CONF
worker_processes $cpus; daemon off; pid $work/pid; error_log $work/error.log;
events { worker_connections 4096; }
http { access_log off; keepalive_requests 1000000;
  server { listen 127.0.0.1:$port ssl; ssl_certificate $work/cert.pem; ssl_certificate_key $work/key.pem;
    location / { default_type application/json; return 200 '$body'; } } }
CONF
"${vault_pin[@]}" nginx -p "$work" -c "$work/nginx.conf" & pid=$!
for _ in $(seq 1 100); do curl -sk -o /dev/null "https://127.0.0.1:$port/" && break; sleep 0.05; done
# A sign request: a bearer token of an access token's size and the JSON body.
token="$(head -c 1100 /dev/urandom | base64 -w0 | tr '+/' '-_' | tr -d '=')"
cat > "$work/s.lua" <<LUA
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer $token"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"alg":"ES256","value":"LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564"}'
LUA
rps=$("${loadgen_pin[@]}" wrk -t"$wrk_threads" -c32 -d"${secs}s" -s "$work/s.lua" "https://127.0.0.1:$port/keys/ec/sign" | awk '/Requests\/sec/ {print $2}')
kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
rsa=$("${vault_pin[@]}" openssl speed -seconds "$secs" -multi "$cpus" rsa2048 2>/dev/null | awk '/^rsa 2048/ {print $6}')
p256=$("${vault_pin[@]}" openssl speed -seconds "$secs" -multi "$cpus" ecdsap256 2>/dev/null | awk '/256 bits ecdsa/ {print $7}')
python3 - "$rps" "$rsa" "$p256" <<'PY'
import sys
r, rsa, p256 = map(float, sys.argv[1:])
print(f"nginx trivial HTTPS on these cores: {r:,.0f} req/s (R)")
print("| signature | openssl speed (S) | best possible over HTTPS: 1/(1/R+1/S) | ratio ceiling R/(R+S) |")
print("|---|---|---|---|")
for name, s in (("RSA-2048", rsa), ("P-256", p256)):
    print(f"| {name} | {s:,.0f} | {1 / (1 / r + 1 / s):,.0f} | {r / (r + s):.2f} |")
PY

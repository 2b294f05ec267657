#!/usr/bin/env bash
# Key Vault benchmark over HTTPS keep-alive (wrk, 2 threads, 32 connections): RSA-2048 sign
# (RS256 over a digest), P-256 sign (ES256) and get-secret, each against `openssl speed` on the
# same cores in the same run. Needs wrk, openssl, root (for the hosts file) or the names
# resolving already. Usage: bench/vault.sh [seconds]
# REPEAT=n runs everything n times (openssl speed included, so each run's ratios are its own)
# and reports each run and the medians (the upper one for an even n).
# PERF_OUT=file records a system-wide profile (server, wrk and kernel) during PERF_CASE
# (rsa_sign|ec_sign|get_secret, default rsa_sign); PERF_CALLGRAPH='--call-graph dwarf' for whole stacks;
# PERF_FREQ samples per second (default 999; ~300 with dwarf stacks disturbs the run less).
# ALLOCS=1 reports Skybridge's heap allocations per request of each case (root; slows the runs).
# CPU_COST=1 also reports the vault's CPU time per request (task-clock) and its ratio to openssl
# speed's CPU time per signature.
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-10}"
# VAULT_CPUS / LOADGEN_CPUS: see bench/pinning.sh.
source bench/pinning.sh
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
# SKYBRIDGE_BIN=path measures that binary instead of building one (to compare builds).
if [ -z "${SKYBRIDGE_BIN:-}" ]; then
  cargo build --release --locked -p skybridge >/dev/null
fi
bin="${SKYBRIDGE_BIN:-$CARGO_TARGET_DIR/release/skybridge}"
work="$(mktemp -d)"
source bench/allocs.sh
cleanup() {
  kill "${pid:-}" 2>/dev/null || true; rm -rf "$work"
  if [ -n "${ALLOCS:-}" ]; then alloc_probes_remove; fi
}
trap cleanup EXIT
if [ -n "${ALLOCS:-}" ]; then alloc_probes_add "$bin"; fi
cat > "$work/world.toml" <<'TOML'
version = 1
[[tenant]]
name = "home"
[[application]]
tenant = "home"
name = "bench"
  [[application.secret]]
  name = "bench"
  value = "bench-secret-0123456789"
[[vault]]
name = "bench-kv"
tenant = "home"
  [[vault.role_assignment]]
  principal = "home/bench"
  role = "Key Vault Administrator"
  [[vault.key]]
  name = "rsa"
  kty = "RSA"
  [[vault.key]]
  name = "ec"
  kty = "EC"
  [[vault.secret]]
  name = "s"
  value = "a secret value"
TOML
"$bin" hosts --world "$work/world.toml" | while read -r _ host; do
  getent hosts "$host" >/dev/null || { [ "$(id -u)" = 0 ] && "$bin" hosts --write --world "$work/world.toml" >/dev/null; }
done
SKYBRIDGE_LOG=warn "${vault_pin[@]}" "$bin" up --data-dir "$work/data" --world "$work/world.toml" --port 0 >"$work/up.out" 2>"$work/up.err" &
pid=$!
for _ in $(seq 1 400); do grep -q ready "$work/up.out" 2>/dev/null && break; sleep 0.025; done
read -r token_url client vault resource < <(python3 -c "
import json; e=json.load(open('$work/data/endpoints.json'))
print(e['tenants']['home']['token_endpoint'], e['applications']['home/bench']['client_id'], e['vaults']['bench-kv']['uri'], e['vaults']['bench-kv']['uri'].split('//')[1].split('.',1)[1])")
token=$(curl -sf --cacert "$work/data/ca.pem" "$token_url" -d "grant_type=client_credentials&client_id=$client&client_secret=bench-secret-0123456789&scope=https%3A%2F%2F$resource%2F.default" | python3 -c "import json,sys; print(json.load(sys.stdin)['access_token'])")
digest=$(printf 'x' | openssl dgst -sha256 -binary | openssl base64 -A | tr '+/' '-_' | tr -d '=')
run() { # name url method body
  cat > "$work/s.lua" <<LUA
wrk.method = "$3"
wrk.headers["Authorization"] = "Bearer $token"
wrk.headers["Content-Type"] = "application/json"
${4:+wrk.body = '$4'}
LUA
  curl -sf --cacert "$work/data/ca.pem" -X "$3" -H "Authorization: Bearer $token" -H "Content-Type: application/json" ${4:+-d "$4"} "$2" >/dev/null
  local perf_pid=
  if [ -n "${PERF_OUT:-}" ] && [ "$1" = "${PERF_CASE:-rsa_sign}" ]; then
    perf record -a -F ${PERF_FREQ:-999} ${PERF_CALLGRAPH:--g} -o "$PERF_OUT" -- sleep "$((secs - 2))" >/dev/null 2>&1 & perf_pid=$!
  fi
  local cost_pid=
  if [ -n "${CPU_COST:-}" ]; then
    perf stat -x, -o "$work/$1.cost" -e task-clock -p "$pid" & cost_pid=$!
  fi
  local allocs_pid=
  if [ -n "${ALLOCS:-}" ]; then
    perf stat -x, -o "$work/$1.allocs" -e uprobes:sb_alloc -e uprobes:sb_realloc -p "$pid" &
    allocs_pid=$!
  fi
  "${loadgen_pin[@]}" wrk -t"$wrk_threads" -c32 -d"${secs}s" -s "$work/s.lua" "$2" >"$work/$1.wrk"
  awk -v n="$1" '/Requests\/sec/ {print n, $2} /Non-2xx/ {print n "-errors", $NF}' "$work/$1.wrk"
  if [ -n "$perf_pid" ]; then wait "$perf_pid" || true; fi
  if [ -n "$cost_pid" ]; then
    kill -INT "$cost_pid"; wait "$cost_pid" || true
    awk -F, -v n="$1" -v reqs="$(awk '/requests in/ {print $1}' "$work/$1.wrk")" '
      $3 == "task-clock" { printf "%s-cpu-us %.2f\n", n, $1 * 1000 / reqs }' "$work/$1.cost"
  fi
  if [ -n "$allocs_pid" ]; then
    kill -INT "$allocs_pid"; wait "$allocs_pid" || true
    # Every request wrk completed, against every allocation while it ran.
    awk -F, -v n="$1" -v reqs="$(awk '/requests in/ {print $1}' "$work/$1.wrk")" '
      { a += $1 } END { printf "%s-allocations-per-request %.1f\n", n, a / reqs }' "$work/$1.allocs" >&2
  fi
}
for i in $(seq 1 "${REPEAT:-1}"); do
  {
    run rsa_sign "$vault/keys/rsa/sign?api-version=7.5" POST "{\"alg\":\"RS256\",\"value\":\"$digest\"}"
    run ec_sign "$vault/keys/ec/sign?api-version=7.5" POST "{\"alg\":\"ES256\",\"value\":\"$digest\"}"
    run get_secret "$vault/secrets/s?api-version=7.5" GET ""
    "${vault_pin[@]}" openssl speed -seconds "$secs" -multi "$server_cpus" rsa2048 2>/dev/null | awk '/^rsa 2048/ {print "openssl_rsa2048_sign", $6}'
    "${vault_pin[@]}" openssl speed -seconds "$secs" -multi "$server_cpus" ecdsap256 2>/dev/null | awk '/256 bits ecdsa/ {print "openssl_p256_sign", $7}'
  } > "$work/results.$i"
  cat "$work/results.$i"
done
python3 - "$work" "${REPEAT:-1}" <<'PY'
import sys
work, n = sys.argv[1], int(sys.argv[2])
runs = []
for i in range(1, n + 1):
    r = dict(l.split()[0:2] for l in open(f"{work}/results.{i}") if len(l.split()) >= 2)
    runs.append({k: float(v) for k, v in r.items()})
def median_run(ratio):
    # The run whose ratio is the median, so that its figures belong together.
    return sorted(runs, key=ratio)[len(runs) // 2]
rsa = lambda f: f['rsa_sign'] / f['openssl_rsa2048_sign']
p256 = lambda f: f['ec_sign'] / f['openssl_p256_sign']
if 'ec_sign-cpu-us' in runs[0]:
    # CPU_COST: the vault's CPU time per request against openssl speed's per signature (it
    # counts user CPU time by default): a cost ratio that holds whether or not the vault kept
    # its CPU busy. A run on a disturbed machine still shows in both.
    crsa = lambda f: 1e6 / f['openssl_rsa2048_sign'] / f['rsa_sign-cpu-us']
    cp256 = lambda f: 1e6 / f['openssl_p256_sign'] / f['ec_sign-cpu-us']
    print("| run | vault CPU µs per RSA-2048 sign | ratio | per P-256 sign | ratio | per get-secret |\n|---|---|---|---|---|---|")
    for i, f in enumerate(runs, 1):
        print(f"| {i} | {f['rsa_sign-cpu-us']:.1f} | {crsa(f):.2f} | {f['ec_sign-cpu-us']:.1f} | {cp256(f):.2f} | {f['get_secret-cpu-us']:.1f} |")
    print(f"CPU-time ratios, medians: RSA-2048 {sorted(map(crsa, runs))[n // 2]:.2f}, P-256 {sorted(map(cp256, runs))[n // 2]:.2f}\n")
if n > 1:
    print("| run | RSA-2048 ratio | P-256 ratio | get-secret req/s |\n|---|---|---|---|")
    for i, f in enumerate(runs, 1):
        print(f"| {i} | {rsa(f):.2f} | {p256(f):.2f} | {f['get_secret']:.0f} |")
    print(f"\nmedians of {n} runs:")
a, b = median_run(rsa), median_run(p256)
g = sorted(f['get_secret'] for f in runs)[n // 2]
print("| metric | value | target |\n|---|---|---|")
print(f"| RSA-2048 sign ops/s | {a['rsa_sign']:.0f} (ratio {rsa(a):.2f} of openssl {a['openssl_rsa2048_sign']:.0f}) | >= 0.85 |")
print(f"| P-256 sign ops/s | {b['ec_sign']:.0f} (ratio {p256(b):.2f} of openssl {b['openssl_p256_sign']:.0f}) | >= 0.6 |")
print(f"| get-secret req/s | {g:.0f} | >= 20,000 |")
PY

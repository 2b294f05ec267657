#!/usr/bin/env bash
# Seed chain latency distribution (issue 7): `skybridge demo --runs N` starts every service on a
# temporary data directory, runs the demo once, then measures N runs of the vault-signed chain
# cold (no cached token on the client), warm (cached partner token) and as the orders-sync
# workflow, over HTTPS on loopback with pooled connections. Usage: bench/chain.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-1000}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
cargo build --release --locked -p skybridge >/dev/null
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
SKYBRIDGE_LOG=warn "$CARGO_TARGET_DIR/release/skybridge" demo --runs "$runs" | sed -n '/^| seed chain/,$p'

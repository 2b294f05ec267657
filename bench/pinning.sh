# Sourced by bench/vault.sh and bench/https-ceiling.sh: where the server and the load generator
# run. VAULT_CPUS=1 LOADGEN_CPUS=0 pins the server (and `openssl speed`) to CPU 1 and wrk (one
# thread per CPU it gets) to CPU 0: the server's cores against OpenSSL on the same cores, without
# the load generator's cost on them (the layout of bench/gateway.sh). Unset, everything shares
# every core and wrk runs two threads.
# Sets: vault_pin / loadgen_pin (command prefixes, empty when unpinned), server_cpus (how many
# CPUs the server gets) and wrk_threads.
vault_cpus="${VAULT_CPUS:-}"
loadgen_cpus="${LOADGEN_CPUS:-}"
# Prefixes rather than functions, so that `$!` of a pinned background server is the server
# itself (taskset execs it) and killing it stops the server.
vault_pin=(); [ -z "$vault_cpus" ] || vault_pin=(taskset -c "$vault_cpus")
loadgen_pin=(); [ -z "$loadgen_cpus" ] || loadgen_pin=(taskset -c "$loadgen_cpus")
server_cpus="$("${vault_pin[@]}" nproc)"
wrk_threads=2
if [ -n "$loadgen_cpus" ]; then wrk_threads="$("${loadgen_pin[@]}" nproc)"; fi

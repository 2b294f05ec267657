# Sourced by the benchmarks for ALLOCS=1: uprobes on the Rust allocator's entry points of a
# Skybridge binary, named uprobes:sb_alloc and uprobes:sb_realloc, so that `perf stat` can count
# heap allocations per request. Uprobes slow a run down a lot: such runs give counts, not rates.
# Needs root and tracefs.
tracefs=/sys/kernel/tracing

# alloc_probes_add BINARY
alloc_probes_add() {
  local bin=$1 name symbol addr delta
  # A uprobe takes a file offset: the symbol's address less its segment's (vaddr - offset).
  delta=$(readelf -lW "$bin" | awk '$1 == "LOAD" && $8 == "E" && !v {v = $3; o = $2} END {print v, o}' |
    { read -r v o; printf '%d' $((v - o)); })
  for pair in sb_alloc:___rustc12___rust_alloc sb_realloc:___rustc14___rust_realloc; do
    name=${pair%%:*} symbol=${pair#*:}
    addr=$(nm "$bin" | awk -v s="$symbol" '$3 ~ s"$" && !a {a = $1} END {print a}')
    printf 'p:uprobes/%s %s:0x%x\n' "$name" "$bin" $((0x$addr - delta)) >>"$tracefs/uprobe_events"
  done
}

alloc_probes_remove() {
  echo '-:uprobes/sb_alloc' >>"$tracefs/uprobe_events" 2>/dev/null || true
  echo '-:uprobes/sb_realloc' >>"$tracefs/uprobe_events" 2>/dev/null || true
}

#!/usr/bin/env bash
# Runs every fuzz target for a while (default 20 s each) on stable Rust
# (no sanitizer). New inputs go to fuzz/corpus-run/, seeds stay in
# fuzz/corpus/. Usage: fuzz/run.sh [seconds-per-target]
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-20}"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
cargo fuzz build -s none
for t in $(cargo fuzz list); do
  mkdir -p "corpus-run/$t"
  out=$(cargo fuzz run -s none "$t" "corpus-run/$t" "corpus/$t" -- -max_total_time="$secs" 2>&1) || { echo "$out" | tail -40; echo "fuzz target $t FAILED"; exit 1; }
  echo "$t: $(echo "$out" | grep -E '^Done' | tail -1)"
done

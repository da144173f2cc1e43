#!/usr/bin/env bash
# Reproduces the README's performance figures on this machine: release build, both generated corpora,
# `backstore bench`, `cargo bench`, peak memory with /usr/bin/time -v, and time to the first frame.
# Figures are medians; run it on a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cargo build --release --quiet --bin backstore --example gen_corpus
bin=target/release/backstore
target/release/examples/gen_corpus small "$out/small.tar.gz" >/dev/null
target/release/examples/gen_corpus large "$out/large.tar.gz" >/dev/null

echo "== backstore bench, small corpus (12,500 rows)"
"$bin" --archive "$out/small.tar.gz" bench --runs 100 --warmup 5
echo
echo "== backstore bench, large corpus (1,000,000 rows)"
"$bin" --archive "$out/large.tar.gz" bench --runs 10 --warmup 1
echo
echo "== peak memory of backstore load, large corpus (cold, then warm)"
data="$out/data"
for run in cold warm; do
  /usr/bin/time -v "$bin" --archive "$out/large.tar.gz" --data-dir "$data" load 2>"$out/time.txt" >/dev/null
  printf '%s: %s KiB max RSS\n' "$run" "$(awk -F': ' '/Maximum resident/ {print $2}' "$out/time.txt")"
done
echo
echo "== process start to first frame, warm cache, embedded data"
python3 scripts/first-frame.py "$PWD/$bin" --data-dir "$out/tui"
MARKER=adjectives python3 scripts/first-frame.py "$PWD/$bin" --data-dir "$out/tui"
echo
echo "== cargo bench (divan)"
cargo bench --bench store

#!/usr/bin/env bash
# Reproduces the README's performance figures on this machine: release build, the generated corpora,
# `backstore bench` (in process and --fresh whole processes), whole processes timed side by side against
# their floors (gzip -dc, hashing the archive alone, reading and verifying the cache file alone), peak memory,
# growth from 1M to 10M rows, bomb refusal, time to the first frame, and `cargo bench`.
# Figures are medians; run it on a quiet machine. `MEASURE=scale scripts/measure.sh` runs only the 1M/10M
# part (it needs ~3 GB of free disk in the temporary folder: corpus 183 MB, cache files 0.9 GB and 92 MB).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
only=${MEASURE:-all}

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cargo build --release --quiet --bin backstore --example gen_corpus --example floors --example search_time
bin=target/release/backstore
floors=target/release/examples/floors
runs="python3 scripts/runs.py"
target/release/examples/gen_corpus small "$out/small.tar.gz" >/dev/null
target/release/examples/gen_corpus large "$out/large.tar.gz" >/dev/null

if [[ $only == all ]]; then
  echo "== backstore bench, small corpus (12,500 rows)"
  "$bin" --archive "$out/small.tar.gz" bench --runs 100 --warmup 5
  echo
  echo "== backstore bench, large corpus (1,000,000 rows)"
  "$bin" --archive "$out/large.tar.gz" bench --runs 10 --warmup 1
  echo
fi

echo "== backstore bench --fresh (whole processes), large corpus (1,000,000 rows)"
"$bin" --archive "$out/large.tar.gz" bench --fresh --runs 10 --warmup 1
echo

echo "== generating the huge corpus (10,000,000 rows)"
/usr/bin/time -f '  %e s wall, %M KiB peak' target/release/examples/gen_corpus huge "$out/huge.tar.gz"
echo

# One corpus: cold against gzip -dc, warm against its floors, private memory after a warm load.
scale() {
  local name=$1 rounds=$2 archive="$out/$1.tar.gz" data="$out/data-$1"
  echo "== $name: cold (rebuild) against gzip -dc of the same archive, whole processes, interleaved"
  $runs --json "$out/$name-cold.json" --ratio cold:gzip "$rounds" \
    "cold=$bin --archive $archive --data-dir $data rebuild" "gzip=gzip -dc $archive"
  local cache
  cache=$(ls "$data"/cache/databases_*.bin)
  echo "== $name: warm load against hashing the archive alone and reading + verifying the cache file alone"
  $runs --json "$out/$name-warm.json" --ratio load:hash,verify --ratio load:hash "$rounds" \
    "load=$bin --archive $archive --data-dir $data load" \
    "hash=$floors hash $archive" "verify=$floors verify $cache"
  echo "== $name: warm load of the archive held in memory (an application's embedded archive), hashed in the"
  echo "   process and prehashed, against reading + verifying the cache file alone (each process first reads"
  echo "   the archive into memory, which an embedded archive does not)"
  local sha
  sha=$("$floors" hash "$archive" | cut -d' ' -f1)
  $runs --ratio bytes:verify --ratio prehashed:verify "$rounds" \
    "bytes=$floors warm-bytes $archive $data" "prehashed=$floors warm-bytes $archive $data $sha" \
    "verify=$floors verify $cache"
  echo "== $name: memory after a warm load"
  "$floors" warm-memory "$archive" "$data" | sed 's/^/  /'
  echo
}
scale large 7
scale huge 5

echo "== huge: substring search of all 10M rows, in process, both cores (search_time: medians of 5; the first"
echo "   search after a warm load validates each database on its first use, the second is the search alone)"
target/release/examples/search_time "$out/huge.tar.gz" "$out/data-huge" venbel substring 5 | sed 's/^/  /'
echo "== huge: the same search as a whole process against a warm load alone"
$runs 5 "search=$bin --archive $out/huge.tar.gz --data-dir $out/data-huge search venbel --limit 10" \
  "load=$bin --archive $out/huge.tar.gz --data-dir $out/data-huge load"
echo

echo "== growth from 1M to 10M rows: per row at 10M against per row at 1M (target <= 1.2)"
python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
rows = {"large": 1_000_000, "huge": 10_000_000}
load = lambda name, kind: json.load(open(f"{out}/{name}-{kind}.json"))
for kind, command, what, key in [("cold", "cold", "cold time", "median_s"),
                                 ("cold", "cold", "cold peak RSS", "peak_rss_kib"),
                                 ("warm", "load", "warm time", "median_s")]:
    small, big = (load(n, kind)[command][key] / rows[n] for n in ("large", "huge"))
    print(f"  {what:<14} per row: 1M {small:.3e}, 10M {big:.3e}: {big / small:.2f}x")
PY
echo

echo "== bombs: refused within 1 s with bounded memory"
python3 - "$out" <<'PY'
import gzip, io, sys, tarfile
out = sys.argv[1]
def bomb(path, name, size, unit):
    # The body streams through gzip a MiB at a time: the bomb is never held in memory.
    class Body(io.RawIOBase):
        left = size
        def readable(self): return True
        def readinto(self, b):
            n = min(len(b), self.left)
            b[:n] = (unit * (n // len(unit) + 1))[:n]
            self.left -= n
            return n
    with gzip.open(path, "wb", compresslevel=9) as g, tarfile.open(fileobj=g, mode="w|") as t:
        info = tarfile.TarInfo(name)
        info.size = size
        t.addfile(info, io.BufferedReader(Body(), 1 << 20))
bomb(f"{out}/bomb700.tar.gz", "databases/bomb.csv", 700_000_000, b"a")
bomb(f"{out}/kv500.tar.gz", "databases/kv.csv", 500 << 20, b"k,v\n")
with gzip.open(f"{out}/kvsplit.tar.gz", "wb", compresslevel=9) as g, tarfile.open(fileobj=g, mode="w|") as t:
    body = b"k,v\n" * ((50 << 20) // 4)
    for i in range(10):  # ten entries of 50 MiB, each under the per-entry cap
        info = tarfile.TarInfo(f"databases/kv{i}.csv")
        info.size = len(body)
        t.addfile(info, io.BytesIO(body))
PY
for bomb in bomb700 kv500 kvsplit; do
  size=$(stat -c %s "$out/$bomb.tar.gz")
  set +e
  /usr/bin/time -f "%e s wall, %M KiB peak" -o "$out/time.txt" \
    "$bin" --archive "$out/$bomb.tar.gz" --data-dir "$out/data-bomb" load >/dev/null 2>"$out/err.txt"
  code=$?
  set -e
  printf '  %s (%s bytes): exit %s in %s: %s\n' "$bomb" "$size" "$code" "$(tail -n1 "$out/time.txt")" "$(cat "$out/err.txt")"
done
echo

[[ $only == all ]] || exit 0

echo "== process start to first frame, warm cache, embedded data"
python3 scripts/first-frame.py "$PWD/$bin" --data-dir "$out/tui"
MARKER=adjectives python3 scripts/first-frame.py "$PWD/$bin" --data-dir "$out/tui"
echo
echo "== cargo bench (divan)"
cargo bench --bench store

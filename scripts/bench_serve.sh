#!/usr/bin/env bash
# `fifteen serve` at city scale: how long an edit takes on the server (add, move, remove;
# `Server-Timing`), the page's first full view in headless Chromium (navigation to the map
# idle with every tile drawn), the start-up, and the server's peak memory against a
# `coverage` run's on the same input, side by side in one run. Prints a Markdown report.
#
#   scripts/bench_serve.sh [-n EDITS] [-v VIEWS] [-g 4x4] [INPUT.osm.pbf]
#
# The input is INPUT (default liechtenstein-2015) tiled with `fifteen tile --grid G` (kept in
# $BENCH_WORK, default target/bench-scale/). Needs GNU time, chromium, chromium-driver and
# selenium (as tests/serve_browser.rs).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
edits=60
views=3
grid=4x4
input=$root/../shared/data/osm/liechtenstein-2015.osm.pbf
while (($#)); do
    case $1 in
    -n) edits=$2; shift 2 ;;
    -v) views=$2; shift 2 ;;
    -g) grid=$2; shift 2 ;;
    -h | --help) sed -n '2,11p' "$0" >&2; exit 2 ;;
    *) input=$1; shift ;;
    esac
done
[[ -f $input ]] || { echo "no such file: $input" >&2; exit 2; }
[[ -x /usr/bin/time ]] || { echo "GNU time is missing: apt-get install -y time" >&2; exit 2; }

cargo build --release --quiet --manifest-path "$root/Cargo.toml"
bin=$root/target/release/fifteen
work=${BENCH_WORK:-$root/target/bench-scale}
mkdir -p "$work"
# shellcheck source=scripts/tiled_input.sh
source "$root/scripts/tiled_input.sh"
pbf=$(tiled_input "$bin" "$input" "$grid" "$work")
options=(--category childcare --minutes 5,10,15 --quiet)
tmp=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$tmp"' EXIT

/usr/bin/time -f '%e %M' -o "$tmp/coverage.time" \
    "$bin" coverage "$pbf" "${options[@]}" -o "$tmp/coverage" >/dev/null
read -r coverage_s coverage_kb <"$tmp/coverage.time"

started=$(date +%s.%N)
"$bin" serve "$pbf" "${options[@]}" --port 0 -o "$tmp/serve" >"$tmp/serve.out" &
server=$!
until grep -q '^serving' "$tmp/serve.out" 2>/dev/null; do
    kill -0 "$server" || { echo "serve stopped" >&2; exit 1; }
    sleep 0.05
done
ready_s=$(echo "$(date +%s.%N) - $started" | bc)
base=$(sed -n 's/^serving \(http:[^ ]*\)\/ .*/\1/p' "$tmp/serve.out")
json=$(python3 "$root/scripts/bench_serve.py" "$base" "$edits" "$views")
serve_kb=$(awk '/VmHWM/ {print $2}' "/proc/$server/status")
kill -INT "$server"
wait "$server" || true

python3 - "$json" "$pbf" "$coverage_s" "$coverage_kb" "$ready_s" "$serve_kb" "$(nproc)" <<'PY'
import json, statistics, sys
r = json.loads(sys.argv[1])
pbf, cov_s, cov_kb, ready_s, serve_kb, cores = sys.argv[2:]
cov_mb, serve_mb = int(cov_kb) / 1024, int(serve_kb) / 1024
print(f"Input: `{pbf.rsplit('/', 1)[-1]}` ({r['homes']:,} homes), `--category childcare --minutes 5,10,15`, {cores} cores")
print()
print("| measure | value |")
print("|---|---:|")
print(f"| `coverage` wall, peak memory | {float(cov_s):.2f} s, {cov_mb:.0f} MB |")
print(f"| `serve` start-up to listening | {float(ready_s):.2f} s |")
print(f"| first scenario (every facility's search) | {r['first_scenario_ms']:.0f} ms |")
for op in ("add", "move", "remove"):
    o = r[op]
    print(f"| {op}: server median (max), round trip median, n | {o['server_median_ms']:.1f} ms ({o['server_max_ms']:.1f} ms), {o['round_trip_median_ms']:.1f} ms, {o['n']} |")
if r["first_view_s"]:
    views = r["first_view_s"]
    print(f"| first full view in Chromium, median of {len(views)} | {statistics.median(views):.2f} s ({', '.join(f'{v:.2f}' for v in views)}) |")
print(f"| suggest next site: first, again | {r['suggest_first_ms']:.0f} ms, {r['suggest_again_ms']:.0f} ms |")
print(f"| `serve` peak memory ÷ `coverage`'s | {serve_mb:.0f} MB ÷ {cov_mb:.0f} MB = {serve_mb / cov_mb:.2f}× |")
PY

#!/usr/bin/env bash
# Whole-pipeline benchmark: runs `fifteen coverage` N times and prints a Markdown table of
# wall time, peak RSS and per-stage medians (from each run's summary.json).
#
#   scripts/bench.sh [-n N] [INPUT.osm.pbf] [-- extra fifteen args]
#
# Extra args replace the default `--category childcare`.
set -euo pipefail

usage() {
    echo "usage: $0 [-n N] [INPUT.osm.pbf] [-- extra fifteen args]" >&2
    exit 2
}

root=$(cd "$(dirname "$0")/.." && pwd)
runs=10
input=$root/../shared/data/osm/liechtenstein-2015.osm.pbf
extra=(--category childcare)
while (($#)); do
    case $1 in
    -n)
        [[ $# -ge 2 && $2 =~ ^[1-9][0-9]*$ ]] || usage
        runs=$2
        shift 2
        ;;
    --)
        shift
        extra=("$@")
        break
        ;;
    -*) usage ;;
    *)
        input=$1
        shift
        ;;
    esac
done
[[ -f $input ]] || { echo "no such file: $input" >&2; exit 2; }
if [[ ! -x /usr/bin/time ]]; then
    echo "GNU time is missing: apt-get update && apt-get install -y time" >&2
    exit 2
fi

cargo build --release --quiet --manifest-path "$root/Cargo.toml"
bin=$root/target/release/fifteen
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for i in $(seq "$runs"); do
    # `%e %M`: wall seconds, peak RSS KiB.
    /usr/bin/time -f '%e %M' -o "$work/time-$i" \
        "$bin" coverage "$input" "${extra[@]}" --out "$work/out-$i" -q >/dev/null
    cp "$work/out-$i/summary.json" "$work/summary-$i.json"
    rm -rf "$work/out-$i"
done

# Reading floor: osmium decoding every block of the same file, same number of runs.
if command -v osmium >/dev/null; then
    for i in $(seq "$runs"); do
        start=$EPOCHREALTIME
        osmium fileinfo -e "$input" >/dev/null
        echo "$start $EPOCHREALTIME" >>"$work/osmium"
    done
else
    echo "osmium not found (apt-get install -y osmium-tool): no read floor" >&2
fi

echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "Date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "Input: $(basename "$input") ($(stat -c %s "$input") bytes), args: ${extra[*]}, runs: $runs"
echo
python3 - "$work" "$runs" <<'EOF'
import json, os, statistics, sys

work, runs = sys.argv[1], int(sys.argv[2])
order = ["register", "population sources", "read", "graph", "residents", "facilities", "index",
         "snap", "units", "population", "route", "indicators", "write"]
wall, rss, stages = [], [], {}
for i in range(1, runs + 1):
    e, m = open(f"{work}/time-{i}").read().split()[-2:]
    wall.append(float(e))
    rss.append(int(m) / 1024)
    for name, s in json.load(open(f"{work}/summary-{i}.json"))["timings_s"].items():
        stages.setdefault(name, []).append(s)


def row(label, xs, digits):
    print(f"| {label} | {statistics.median(xs):.{digits}f} | {min(xs):.{digits}f} | {max(xs):.{digits}f} |")


print("| measure | median | min | max |")
print("|---|---:|---:|---:|")
row("wall time (s)", wall, 2)
row("peak RSS (MiB)", rss, 1)
# Pipeline order; stages not listed here (new ones) just before `total`.
names = [n for n in order if n in stages] + [n for n in stages if n not in order + ["total"]]
for name in names + ["total"]:
    row(f"stage `{name}` (s)", stages[name], 3)
if os.path.exists(f"{work}/osmium"):
    floor = [float(b) - float(a) for a, b in (l.split() for l in open(f"{work}/osmium"))]
    row("`osmium fileinfo -e` (s, read floor)", floor, 3)
EOF

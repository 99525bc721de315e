#!/usr/bin/env bash
# Two builds side by side: runs OLD and NEW alternately N times each on one input, and prints
# the median wall time and peak RSS of each and their ratio. For a change that must not slow
# the tool down (a refactor), measured in one run on one machine, since these machines are
# shared and noisy.
#
#   scripts/bench_compare.sh [-n N] [-c coverage|site] OLD_BIN NEW_BIN INPUT.osm.pbf [-- args]
#
# Args default to `--category childcare --minutes 5,10,15` (`--add 3` more for site).
set -euo pipefail

usage() {
    echo "usage: $0 [-n N] [-c coverage|site] OLD_BIN NEW_BIN INPUT.osm.pbf [-- args]" >&2
    exit 2
}

runs=10
command=coverage
while (($#)); do
    case $1 in
    -n)
        [[ $# -ge 2 && $2 =~ ^[1-9][0-9]*$ ]] || usage
        runs=$2
        shift 2
        ;;
    -c)
        [[ $# -ge 2 && $2 =~ ^(coverage|site)$ ]] || usage
        command=$2
        shift 2
        ;;
    *) break ;;
    esac
done
[[ $# -ge 3 ]] || usage
old=$1 new=$2 input=$3
shift 3
args=(--category childcare --minutes 5,10,15)
[[ $command == site ]] && args+=(--add 3)
if [[ ${1:-} == -- ]]; then
    shift
    args=("$@")
fi
for f in "$old" "$new" "$input"; do
    [[ -f $f ]] || { echo "no such file: $f" >&2; exit 2; }
done
[[ -x /usr/bin/time ]] || { echo "GNU time is missing: apt-get install -y time" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for _ in $(seq "$runs"); do
    for which in old new; do
        /usr/bin/time -f "%e %M" -o "$work/t" "${!which}" "$command" "$input" \
            --out "$work/out-$which" --quiet "${args[@]}" >/dev/null
        echo "$which $(cat "$work/t")" >>"$work/times"
    done
done
python3 - "$work/times" "$command $(basename "$input") ${args[*]}" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
def of(which, column):
    return [float(r[column]) for r in rows if r[0] == which]
print(f"{sys.argv[2]}, {len(of('old', 1))} runs each, alternating")
print("| build | median wall | min–max | median peak RSS |")
print("|---|---:|---:|---:|")
for which in ("old", "new"):
    wall, kib = of(which, 1), of(which, 2)
    print(f"| {which} | {statistics.median(wall):.3f} s | {min(wall):.3f}–{max(wall):.3f} s "
          f"| {statistics.median(kib) / 1024:.0f} MiB |")
ratio = statistics.median(of("new", 1)) / statistics.median(of("old", 1))
print(f"new ÷ old median wall: {ratio:.3f}")
PY

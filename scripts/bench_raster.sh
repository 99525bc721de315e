#!/usr/bin/env bash
# Population-raster benchmark: reading the Liechtenstein window (9.47–9.64° E, 47.04–47.27° N)
# of a country-sized GeoTIFF with `fifteen::spatial::geotiff::read_window`, and a window 4×
# its area (twice as wide and tall, same centre), to show that time and memory follow the
# window and not the file.
#
#   scripts/bench_raster.sh [-n RUNS]
#
# Then the whole job: `fifteen coverage` on liechtenstein-2015 (../shared/data) with and
# without `--population-raster` of that file, alternating, RUNS/3 pairs: median wall time and
# peak RSS of each (the run's own summary.json), and their difference.
#
# The raster (made once with GDAL into $BENCH_WORK, default target/bench-raster/, and reused):
# 40,000 × 20,000 Float32 cells of 3″ (WorldPop's grid) over 0–33.3° E, 38.3–55° N, tiled
# 256 × 256, Deflate, nodata −99999. Content: a 400 × 200 ASCII grid of random people counts
# (30 % zeros, the rest cubed-uniform up to 50, fixed seed), upsampled bilinearly by
# gdal_translate -outsize: smooth but non-constant floats, so the tiles compress like real
# ones (about 80 % of raw) rather than to nothing.
# Time: median of RUNS reads inside one process (the file in the page cache). Memory: peak
# RSS of one read in a fresh process (GNU time).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
runs=21
while getopts "n:h" opt; do
    case $opt in
        n) runs=$OPTARG ;;
        *) sed -n '2,9p' "$0" >&2; exit 2 ;;
    esac
done

for tool in gdal_translate /usr/bin/time; do
    command -v "$tool" >/dev/null || { echo "needs $tool (gdal-bin, GNU time)" >&2; exit 2; }
done

work=${BENCH_WORK:-$root/target/bench-raster}
mkdir -p "$work"
raster=$work/country-3s-40000x20000.tif
if [ ! -s "$raster" ]; then
    echo "making $raster (a few minutes)..." >&2
    awk 'BEGIN {
        srand(16)
        print "ncols 400\nnrows 200\nxllcorner 0\nyllcorner 38.333333333333333"
        print "cellsize 0.083333333333333333\nNODATA_value -99999"
        for (r = 0; r < 200; r++) {
            line = ""
            for (c = 0; c < 400; c++) {
                v = (rand() < 0.3) ? 0 : int(rand() ^ 3 * 5000) / 100
                line = line v " "
            }
            print line
        }
    }' >"$work/noisy.asc"
    gdal_translate -q -of GTiff -ot Float32 -outsize 40000 20000 -r bilinear -a_srs EPSG:4326 \
        -a_nodata -99999 -co TILED=YES -co BLOCKXSIZE=256 -co BLOCKYSIZE=256 \
        -co COMPRESS=DEFLATE -co NUM_THREADS=ALL_CPUS -co BIGTIFF=YES \
        "$work/noisy.asc" "$raster.part"
    mv "$raster.part" "$raster"
fi

cd "$root"
cargo build --release --quiet --example read_raster
bin=$root/target/release/examples/read_raster

echo "raster: $(du -h "$raster" | cut -f1) on disk, $(gdalinfo "$raster" 2>/dev/null | grep -m1 '^Size is')"
echo
echo "| window | cells | median read | peak RSS |"
echo "|---|---|---|---|"
for case in "Liechtenstein:9.47 47.04 9.64 47.27" "4x area:9.385 46.925 9.725 47.385"; do
    name=${case%%:*}
    read -r -a box <<<"${case#*:}"
    timing=$("$bin" "$raster" "${box[@]}" "$runs")
    rss_kib=$( { /usr/bin/time -v "$bin" "$raster" "${box[@]}" 1 >/dev/null; } 2>&1 |
        awk -F': ' '/Maximum resident set size/ {print $2}')
    cells=$(sed -E 's/window ([0-9]+) x ([0-9]+) cells.*/\1 × \2/' <<<"$timing")
    median=$(sed -E 's/.*median ([0-9.]+ ms).*/\1/' <<<"$timing")
    rss_mb=$(awk -v k="$rss_kib" 'BEGIN { printf "%.1f", k / 1024 }')
    echo "| $name | $cells | $median | $rss_mb MB |"
done

extract=$root/../shared/data/osm/liechtenstein-2015.osm.pbf
if [ ! -f "$extract" ]; then
    echo "(no $extract: the whole-run comparison is skipped)"
    exit 0
fi
cargo build --release --quiet --bin fifteen
fifteen=$root/target/release/fifteen
pairs=$(( runs / 3 > 3 ? runs / 3 : 3 ))
for ((i = 0; i < pairs; i++)); do
    for with in no yes; do
        extra=()
        [ "$with" = yes ] && extra=(--population-raster "$raster")
        "$fifteen" coverage "$extract" --category childcare "${extra[@]}" \
            --out "$work/run-$with" --quiet >/dev/null
        python3 -c 'import json, sys
s = json.load(open(sys.argv[1]))
print(sys.argv[2], s["timings_s"]["total"], s["peak_memory_mib"], s["timings_s"].get("population", 0))' \
            "$work/run-$with/summary.json" "$with" >>"$work/runs.txt.part"
    done
done
mv "$work/runs.txt.part" "$work/runs.txt"
echo
echo "Liechtenstein coverage run, $pairs alternating pairs:"
echo
echo "| run | median total | median population stage | median peak memory |"
echo "|---|---|---|---|"
python3 - "$work/runs.txt" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
median = {}
for name, label in (("no", "without raster"), ("yes", "with the country raster")):
    mine = [r for r in rows if r[0] == name]
    t, m, p = (statistics.median(float(r[i]) for r in mine) for i in (1, 2, 3))
    median[name] = t
    print(f"| {label} | {t:.3f} s | {p * 1000:.1f} ms | {m:.1f} MiB |")
print(f"\nthe raster adds {median['yes'] - median['no']:+.3f} s (median of totals)")
PY

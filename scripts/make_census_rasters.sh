#!/usr/bin/env bash
# Builds population rasters from a census table the way WorldPop-style products are made
# (dasymetric: each unit's count spread over its built-up area), with GDAL alone, so the
# tool's raster reading can be checked against counts it never computed itself.
#
#   scripts/make_census_rasters.sh EXTRACT.osm.pbf CENSUS.csv ADMIN_LEVEL OUT_DIR
#
# CENSUS.csv has `name,residents` rows naming OSM boundaries of ADMIN_LEVEL in the extract.
# Steps: building footprints and units burnt at 0.3" (GDAL's OSM driver); per output grid,
# the footprints summed into its cells (gdalwarp -r sum) and the units taken by nearest
# neighbour; each cell gets its unit's count × its share of the unit's built-up area (awk
# over AAIGrid text); written as
#   wgs84-tiled-deflate.tif   3" WGS84, Float32, 256x256 tiles, Deflate, nodata -99999
#   wgs84-striped-lzw.tif     3" WGS84, Float32, strips, LZW
#   mollweide-100m.tif        100 m ESRI:54009 (GHS-POP's grid), tiled, Deflate
# Needs gdal-bin (ogrinfo, gdal_rasterize, gdalwarp, gdal_translate) and awk.
set -euo pipefail

if [[ $# -ne 4 ]]; then
    echo "usage: $0 EXTRACT.osm.pbf CENSUS.csv ADMIN_LEVEL OUT_DIR" >&2
    exit 2
fi
pbf=$1 census=$2 level=$3 out=$4
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cell=0.000833333333333333   # 3 arc-seconds, WorldPop's grid
fine=0.0000833333333333333  # a tenth of it, for the built-up share of each cell
# The extract's extent snapped outwards to the 3" grid.
read -r xmin ymin xmax ymax < <(
    ogrinfo -ro -so "$pbf" multipolygons | awk -F'[(), -]+' '/^Extent/ {
        c = 1 / 1200
        printf "%.10f %.10f %.10f %.10f\n", int($2 / c) * c, int($3 / c) * c,
            (int($4 / c) + 1) * c, (int($5 / c) + 1) * c }'
)
extent=(-te "$xmin" "$ymin" "$xmax" "$ymax")

gdal_rasterize -q -l multipolygons -where "building IS NOT NULL" -burn 1 -init 0 \
    -ot Byte "${extent[@]}" -tr "$fine" "$fine" "$pbf" "$work/built-fine.tif"

# Zone grid: unit i (its row in CENSUS.csv, from 1) burnt as i, at 0.3" like the buildings.
gdal_rasterize -q -l multipolygons -where "1=0" -burn 0 -init 0 -ot Int16 \
    "${extent[@]}" -tr "$fine" "$fine" "$pbf" "$work/zones-fine.tif"
i=0
tail -n +2 "$census" | while IFS=, read -r name _; do
    i=$((i + 1))
    gdal_rasterize -q -l multipolygons -burn "$i" \
        -where "boundary='administrative' AND admin_level='$level' AND name='${name//\'/\'\'}'" \
        "$pbf" "$work/zones-fine.tif"
done

# people_grid NAME GDALWARP_GRID_OPTIONS...: the built-up cells summed and the zones taken
# (nearest) on one grid, then people = count[zone] × built[cell] ÷ Σ built over the zone's
# cells, as $work/NAME.asc. AAIGrid: header lines (a keyword and a value), rows of values.
people_grid() {
    local name=$1
    shift
    gdalwarp -q -r sum -ot Float32 "$@" "$work/built-fine.tif" "$work/$name-built.tif"
    gdalwarp -q -r near "$@" "$work/zones-fine.tif" "$work/$name-zones.tif"
    gdal_translate -q -of AAIGrid "$work/$name-built.tif" "$work/$name-built.asc"
    gdal_translate -q -of AAIGrid "$work/$name-zones.tif" "$work/$name-zones.asc"
    awk -v census="$census" '
        BEGIN {
            FS = ","; n = 0
            while ((getline line < census) > 0) {
                if (n++ == 0) continue
                split(line, f, ","); count[n - 1] = f[2]
            }
            FS = " "
        }
        FNR == 1 { r = 0 }
        $1 ~ /^[A-Za-z]/ {
            if (FILENAME ~ /built/ && tolower($1) != "nodata_value") header[++headers] = $0
            next
        }
        FILENAME ~ /zones/ { r++; for (c = 1; c <= NF; c++) zone[r, c] = $c; cols = NF; next }
        { r++; for (c = 1; c <= NF; c++) { built[r, c] = $c; total[zone[r, c]] += $c }; rows = r }
        END {
            for (h = 1; h <= headers; h++) print header[h]
            print "NODATA_value -99999"
            for (r = 1; r <= rows; r++) {
                line = ""
                for (c = 1; c <= cols; c++) {
                    z = zone[r, c]; v = 0
                    if (z > 0 && total[z] > 0) v = count[z] * built[r, c] / total[z]
                    line = line (c > 1 ? " " : "") sprintf("%.6g", v)
                }
                print line
            }
        }' "$work/$name-zones.asc" "$work/$name-built.asc" > "$work/$name.asc"
}

people_grid wgs84 "${extent[@]}" -tr "$cell" "$cell"
people_grid mollweide -t_srs ESRI:54009 -tr 100 100

common=(-q -ot Float32 -a_nodata -99999)
gdal_translate "${common[@]}" -a_srs EPSG:4326 -co TILED=YES -co COMPRESS=DEFLATE \
    "$work/wgs84.asc" "$out/wgs84-tiled-deflate.tif"
gdal_translate "${common[@]}" -a_srs EPSG:4326 -co COMPRESS=LZW \
    "$work/wgs84.asc" "$out/wgs84-striped-lzw.tif"
gdal_translate "${common[@]}" -a_srs ESRI:54009 -co TILED=YES -co COMPRESS=DEFLATE \
    "$work/mollweide.asc" "$out/mollweide-100m.tif"
echo "wrote $out/{wgs84-tiled-deflate,wgs84-striped-lzw,mollweide-100m}.tif"

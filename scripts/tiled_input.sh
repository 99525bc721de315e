# Sourced by the benchmark scripts: `tiled_input BIN INPUT GRID WORK` prints the path of
# INPUT tiled GRID (CxR) times with `fifteen tile`, kept in the folder WORK and rebuilt only
# when older than the binary BIN; 1x1 is INPUT itself.
tiled_input() {
    local bin=$1 input=$2 grid=$3 work=$4
    if [[ $grid == 1x1 ]]; then
        echo "$input"
        return
    fi
    local pbf
    pbf=$work/$(basename "$input" .osm.pbf)-$grid.osm.pbf
    if [[ ! $pbf -nt $bin ]]; then
        echo "building $pbf" >&2
        "$bin" tile "$input" --grid "$grid" -o "$pbf" >&2
    fi
    echo "$pbf"
}

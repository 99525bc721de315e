//! `fifteen serve`'s base map on a real extract: Liechtenstein's water is read, and a tile
//! over Vaduz holds its water, streets and buildings. (How long tiles take is measured by
//! scripts/bench_serve.sh, not here.)

use std::path::Path;

use fifteen::config::options::CoverageOptions;
use fifteen::pipeline::{City, Stages};
use fifteen::serve::basemap::{BaseMap, read_water};
use geo::Geometry;
use geozero::mvt::{Message, Tile};

mod common;

use common::shared_or_skip;

fn prepare(input: &Path, out: &str) -> City {
    let options = CoverageOptions {
        categories: vec!["childcare".into()],
        ..CoverageOptions::default()
    };
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join(out);
    let config = options.resolve(input, &out).expect("options resolve");
    City::prepare(&config, &mut Stages::default(), &|_: &str| {}).expect("city prepares")
}

/// Column and row of the tile holding `(lon, lat)` at zoom `z`.
fn tile_of(z: u8, lon: f64, lat: f64) -> (u32, u32) {
    let n = f64::from(1u32 << z);
    let y = (1.0 - lat.to_radians().tan().asinh() / std::f64::consts::PI) / 2.0 * n;
    (((lon + 180.0) / 360.0 * n) as u32, y as u32)
}

#[test]
fn liechtenstein_has_water_areas_and_lines() {
    let path = shared_or_skip!("osm/liechtenstein-2015.osm.pbf", "a real country's water");
    let water = read_water(&path).expect("water reads");
    let areas = water
        .iter()
        .filter(|g| matches!(g, Geometry::Polygon(_)))
        .count();
    let lines = water
        .iter()
        .filter(|g| matches!(g, Geometry::LineString(_)))
        .count();
    assert!(areas > 0 && lines > 0, "{areas} areas, {lines} lines");
}

#[test]
fn liechtenstein_base_tile_at_vaduz_has_all_three_layers() {
    let path = shared_or_skip!("osm/liechtenstein-2015.osm.pbf", "a real town's base map");
    let city = prepare(&path, "serve-tiles-li");
    let base = BaseMap::build(&city, &path).expect("base map builds");
    // Vaduz at zoom 13: the Rhine, the town's streets and buildings
    let (x, y) = tile_of(13, 9.52, 47.14);
    let tile = Tile::decode(&base.tile(13, x, y).expect("tile exists")[..]).expect("valid MVT");
    let names: Vec<&str> = tile.layers.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, vec!["water", "streets", "buildings"]);
}

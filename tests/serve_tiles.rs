//! `fifteen serve`'s tiles: on a real extract, Liechtenstein's water is read and a base tile
//! over Vaduz holds its water, streets and buildings; on the sample town, a distance run's
//! scenario tile names homes' walks and service areas' bands in metres. (How long tiles take
//! is measured by scripts/bench_serve.sh, not here.)

use std::path::Path;

use fifteen::config::options::CoverageOptions;
use fifteen::pipeline::{City, Stages};
use fifteen::serve::basemap::{BaseMap, read_water};
use geo::Geometry;
use geozero::mvt::tile::Value as TileValue;
use geozero::mvt::{Message, Tile};
use serde_json::json;

mod common;

use common::server::Server;
use common::{sample_town, shared_or_skip};

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

/// A tile value as a number (the encoder writes floats as doubles, integers as sint).
fn number(value: &TileValue) -> Option<f64> {
    (value.double_value)
        .or(value.float_value.map(f64::from))
        .or(value.sint_value.map(|v| v as f64))
        .or(value.int_value.map(|v| v as f64))
        .or(value.uint_value.map(|v| v as f64))
}

/// Per feature of layer `name`, its properties as (key, value) pairs.
fn features(tile: &Tile, name: &str) -> Vec<Vec<(String, TileValue)>> {
    let layer =
        (tile.layers.iter().find(|l| l.name == name)).unwrap_or_else(|| panic!("no {name} layer"));
    (layer.features.iter())
        .map(|f| {
            (f.tags.chunks(2))
                .map(|kv| {
                    let key = layer.keys[kv[0] as usize].clone();
                    (key, layer.values[kv[1] as usize].clone())
                })
                .collect()
        })
        .collect()
}

#[test]
fn a_distance_run_tiles_walks_and_bands_in_metres() {
    let server = Server::start(
        &sample_town(),
        &["--category", "childcare", "--meters", "300,600"],
    );
    let city = server.get_json("/api/city");
    let state = server.send_json("POST", "/api/scenarios", &json!({}));
    let (id, version) = (state["id"].as_str().unwrap(), &state["version"]);
    let (lon, lat) = (
        city["center"][0].as_f64().unwrap(),
        city["center"][1].as_f64().unwrap(),
    );
    let z = 14;
    let (x, y) = tile_of(z, lon, lat);
    let answer = server.request(
        "GET",
        &format!("/tiles/scenario/{id}/{version}/{z}/{x}/{y}.mvt"),
        None,
    );
    assert_eq!(answer.status, 200);
    let tile = Tile::decode(&answer.body[..]).expect("valid MVT");
    let homes = features(&tile, "homes");
    let walks: Vec<f64> = (homes.iter().flatten())
        .filter(|(k, _)| k == "walk")
        .map(|(_, v)| number(v).expect("a walk is a number"))
        .collect();
    assert!(!walks.is_empty(), "no home with a walk");
    // metres, within the 600 m threshold (rounded to 0.1)
    assert!(
        walks.iter().all(|&w| (0.0..=600.05).contains(&w)),
        "{walks:?}"
    );
    assert!(
        walks.iter().any(|&w| w > 15.0),
        "walks look like minutes: {walks:?}"
    );
    assert!(
        (homes.iter().flatten()).all(|(k, _)| k != "minutes"),
        "homes still carry minutes"
    );
    let areas = features(&tile, "areas");
    let bands: Vec<f64> = (areas.iter().flatten())
        .filter(|(k, _)| k == "band")
        .map(|(_, v)| number(v).expect("a band is a number"))
        .collect();
    assert!(!bands.is_empty(), "no service area with a band");
    assert!(
        bands.iter().all(|b| [300.0, 600.0].contains(b)),
        "{bands:?}"
    );
    assert!((areas.iter().flatten()).all(|(k, _)| k != "band_min"));
}

//! `fifteen serve`'s base map on real extracts: Liechtenstein's water is read, and (by hand,
//! `#[ignore]`d) how long base and home-footprint tiles take on a city-sized extract.

use std::path::Path;
use std::time::Instant;

use fifteen::config::options::CoverageOptions;
use fifteen::pipeline::{City, Stages};
use fifteen::serve::basemap::{BaseMap, read_water};
use fifteen::serve::tiles::{PropValue, TileLayer, encode_tile};
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

/// Times the base map's build and tiles at zooms 8 to 14 over every tile of the city, and a
/// layer of the homes' footprints (what scenario tiles draw). Run by hand on a city-sized
/// extract, e.g. `fifteen tile --grid 4x4` of Liechtenstein:
/// `FIFTEEN_TILES_BENCH=/tmp/li-4x4.osm.pbf cargo test --release --test serve_tiles -- --ignored --nocapture`.
#[test]
#[ignore = "timings on a big extract; run by hand"]
fn tile_timings_on_a_city() {
    let Ok(path) = std::env::var("FIFTEEN_TILES_BENCH") else {
        common::note("skipped: tile_timings_on_a_city: set FIFTEEN_TILES_BENCH to an extract");
        return;
    };
    let path = Path::new(&path);
    let city = prepare(path, "serve-tiles-bench");
    let started = Instant::now();
    let water = read_water(path).expect("water reads");
    common::note(&format!(
        "water: {} features in {:?}",
        water.len(),
        started.elapsed()
    ));
    let started = Instant::now();
    let base = BaseMap::build(&city, path).expect("base map builds");
    common::note(&format!("base map build {:?}", started.elapsed()));
    let started = Instant::now();
    let homes: Vec<Geometry<f64>> = city
        .residents
        .buildings
        .iter()
        .map(|b| b.footprint.clone().into())
        .collect();
    let homes = TileLayer::new("homes", 0, homes);
    common::note(&format!(
        "homes layer ({}) {:?}",
        homes.len(),
        started.elapsed()
    ));
    let props = |i: usize| Some(vec![("residents", PropValue::Float(i as f64))]);
    let (w, s, e, n) = city.extract.nodes.bounds().expect("nodes");
    for z in [8u8, 10, 12, 14] {
        let (x0, y0) = tile_of(z, w, n);
        let (x1, y1) = tile_of(z, e, s);
        let (mut base_max, mut homes_max) = ((0.0f64, 0, (0, 0)), (0.0f64, 0, (0, 0)));
        let started = Instant::now();
        for x in x0..=x1 {
            for y in y0..=y1 {
                let t = Instant::now();
                let bytes = base.tile(z, x, y).expect("tile exists");
                let ms = t.elapsed().as_secs_f64() * 1e3;
                if ms > base_max.0 {
                    base_max = (ms, bytes.len(), (x, y));
                }
                let t = Instant::now();
                let bytes = encode_tile(&[(&homes, &props)], z, x, y).expect("tile exists");
                let ms = t.elapsed().as_secs_f64() * 1e3;
                if ms > homes_max.0 {
                    homes_max = (ms, bytes.len(), (x, y));
                }
            }
        }
        let count = (x1 - x0 + 1) * (y1 - y0 + 1);
        common::note(&format!(
            "z{z}: {count} tiles in {:?}; slowest base {:.1} ms ({} B, {:?}), homes {:.1} ms ({} B, {:?})",
            started.elapsed(),
            base_max.0,
            base_max.1,
            base_max.2,
            homes_max.0,
            homes_max.1,
            homes_max.2
        ));
    }
}

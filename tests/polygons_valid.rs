//! Every polygon of every layer is valid by OGC rules: the drawn ones (service areas, served
//! areas, gaps) and the mapper's own outlines (footprints, blocks, units), which are repaired
//! at ingest when invalid (`src/osm/repair.rs`).
//!
//! Checked three ways: by geo on Liechtenstein; by GEOS (shapely, through
//! `tests/shapely_check.py`) on every extract in `../shared/data/osm`; and on a hand-made
//! bow-tie footprint whose repair is computed by hand. Without shapely in the `python3` on
//! PATH the GEOS test says so and passes, unless `FIFTEEN_REQUIRE_SHAPELY=1` (set by
//! `.ci/run`, which installs geopandas and with it shapely), where it fails.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::map::Map;
use common::{coverage, note, read_features, read_json, shared_or_skip};
use geo::{Area, Validation};

fn invalid(features: &[serde_json::Value]) -> Vec<String> {
    features
        .iter()
        .filter_map(|f| {
            let g: geojson::Geometry = serde_json::from_value(f["geometry"].clone()).ok()?;
            let g = geo::Geometry::<f64>::try_from(g).ok()?;
            g.check_validation()
                .err()
                .map(|e| format!("{e}: {}", f["properties"]))
        })
        .collect()
}

#[test]
fn drawn_polygons_are_valid_on_liechtenstein() {
    let input = shared_or_skip!(
        "osm/liechtenstein-2015.osm.pbf",
        "a real extract's messy geometry"
    );
    let dir = tempfile::tempdir().expect("a temporary folder");
    let out = dir.path().join("out");
    let outcome = coverage([
        input.as_os_str(),
        "--category".as_ref(),
        "childcare".as_ref(),
        "--category".as_ref(),
        "park".as_ref(),
        "--minutes".as_ref(),
        "5,10,15".as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    assert_eq!(outcome.code, Some(0), "stderr:\n{}", outcome.stderr);
    // (layer, whether it must hold features: the drawn ones always do here)
    for (layer, drawn) in [
        ("isochrones", true),
        ("served", true),
        ("gaps", true),
        ("buildings", false),
        ("blocks", false),
        ("units", false),
    ] {
        let features = read_features(&out.join(format!("{layer}.geojson")));
        assert!(!drawn || !features.is_empty(), "{layer} is empty");
        let bad = invalid(&features);
        assert!(
            bad.is_empty(),
            "{layer}: {} invalid of {}: {:?}",
            bad.len(),
            features.len(),
            &bad[..bad.len().min(3)]
        );
    }
}

/// Set to `1` (`.ci/run` does) to make a Python without shapely fail the GEOS test instead
/// of skipping it.
const REQUIRE_SHAPELY: &str = "FIFTEEN_REQUIRE_SHAPELY";

/// Whether the `python3` on PATH has shapely; `false` (with a `skipped:` line naming `test`)
/// when it has not and `FIFTEEN_REQUIRE_SHAPELY` is not `1`, a panic when it is.
fn shapely_or_skip(test: &str) -> bool {
    let has = Command::new("python3")
        .args(["-c", "import shapely"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has {
        assert!(
            std::env::var(REQUIRE_SHAPELY).as_deref() != Ok("1"),
            "{REQUIRE_SHAPELY}=1 but python3 cannot import shapely: pip install shapely \
             (or geopandas, as .ci/run does)"
        );
        note(&format!(
            "skipped: {test}: python3 has no shapely (pip install shapely); \
             set {REQUIRE_SHAPELY}=1 to make this an error"
        ));
    }
    has
}

/// Runs `tests/shapely_check.py` over the output folders `runs`; panics with its findings
/// when any geometry is invalid by GEOS.
fn check_with_shapely(runs: &[PathBuf]) {
    let output = Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/shapely_check.py"
        ))
        .args(runs)
        .output()
        .expect("python3 runs");
    common::assert_checker_passed(&output, "GEOS found invalid geometry");
}

/// Facilities that most extracts hold some of, so that each one gives every layer.
const EVERYDAY: &str = "amenity=school,amenity=kindergarten,amenity=pharmacy,shop=supermarket,\
                        shop=convenience,leisure=park,leisure=playground,amenity=cafe";

#[test]
fn every_layer_of_every_shared_extract_is_valid_by_geos() {
    let folder = shared_or_skip!("osm", "every real extract's messy geometry");
    if !shapely_or_skip("every_layer_of_every_shared_extract_is_valid_by_geos") {
        return;
    }
    let mut extracts: Vec<PathBuf> = std::fs::read_dir(&folder)
        .expect("../shared/data/osm is readable")
        .map(|e| e.expect("a folder entry").path())
        .filter(|p| p.to_string_lossy().ends_with(".osm.pbf"))
        .collect();
    extracts.sort();
    let dir = tempfile::tempdir().expect("a temporary folder");
    let mut runs = Vec::new();
    for extract in &extracts {
        let name = extract.file_name().unwrap().to_string_lossy().to_string();
        let out = dir.path().join(name.trim_end_matches(".osm.pbf"));
        let outcome = coverage([
            extract.as_os_str(),
            "--facility-tags".as_ref(),
            EVERYDAY.as_ref(),
            "--minutes".as_ref(),
            "5,10,15".as_ref(),
            "--out".as_ref(),
            out.as_os_str(),
        ]);
        match outcome.code {
            Some(0) => runs.push(out),
            // A data problem (no walkable way, no facility): no layers to check.
            Some(1) => note(&format!(
                "polygons_valid: {name} gives no layers: {}",
                outcome.stderr.trim()
            )),
            _ => panic!("{name}: stderr:\n{}", outcome.stderr),
        }
    }
    // A site run too: its candidates and sites (points) and its `after/` layers.
    let site = dir.path().join("site-town");
    let outcome = common::run(
        "site",
        [
            common::sample_town().as_os_str(),
            "--category".as_ref(),
            "childcare".as_ref(),
            "--add".as_ref(),
            "2".as_ref(),
            "--candidates".as_ref(),
            "grid".as_ref(),
            "--candidates".as_ref(),
            "public-buildings".as_ref(),
            "--out".as_ref(),
            site.as_os_str(),
        ],
    );
    assert_eq!(outcome.code, Some(0), "site: {}", outcome.stderr);
    runs.push(site);
    assert!(
        runs.len() * 2 > extracts.len(),
        "most extracts must give layers: {} of {}",
        runs.len(),
        extracts.len()
    );
    check_with_shapely(&runs);
}

/// The bow-tie fixture: a street along y = 0 from x = -100 to 100 m, a kindergarten at
/// (0, -15), and three one-storey houses north of the street:
///
/// ```text
///  y 40  +       +            B: way 2, a bow-tie: (0,20) (20,40) (20,20) (0,40) (0,20);
///        | \   / |               its ring crosses itself at (10, 30). Repaired: two
///  y 30  |   X   |               triangles of 20 × 10 / 2 = 100 m² each, 200 m² in all
///        | /   \ |               (as mapped, the lobes cancel: 0 m²), 200 / 30 = 6.67
///  y 20  +       +               residents.
///        x 0    20            S: way 3, the 10 × 10 m square (40..50, 20..30) with a spike
///                                out to (70, 25) and back: repaired to the square, 100 m²,
///                                3.33 residents.
///                             Z: way 4, three collinear nodes (80,20) (90,20) (100,20): no
///                                area, beyond repair: a home by a point on it, 0 m², no
///                                residents, written with no geometry.
/// ```
fn bow_tie_map() -> Map {
    let mut map = Map::default();
    let a = map.node(-100.0, 0.0, &[]);
    let b = map.node(100.0, 0.0, &[]);
    map.way(vec![a, b], &[("highway", "residential")]);
    map.node(0.0, -15.0, &[("amenity", "kindergarten")]);
    let house: common::map::Tags = &[("building", "house"), ("building:levels", "1")];
    let nodes: Vec<i64> = [(0.0, 20.0), (20.0, 40.0), (20.0, 20.0), (0.0, 40.0)]
        .iter()
        .map(|&(x, y)| map.node(x, y, &[]))
        .collect();
    map.way(
        vec![nodes[0], nodes[1], nodes[2], nodes[3], nodes[0]],
        house,
    );
    let spike: Vec<i64> = [
        (40.0, 20.0),
        (50.0, 20.0),
        (50.0, 25.0),
        (70.0, 25.0),
        (50.0, 30.0),
        (40.0, 30.0),
    ]
    .iter()
    .map(|&(x, y)| map.node(x, y, &[]))
    .collect();
    let mut refs = spike.clone();
    refs.insert(4, spike[2]); // back along the spike to (50, 25)
    refs.push(spike[0]);
    map.way(refs, house);
    let line: Vec<i64> = [(80.0, 20.0), (90.0, 20.0), (100.0, 20.0)]
        .iter()
        .map(|&(x, y)| map.node(x, y, &[]))
        .collect();
    map.way(vec![line[0], line[1], line[2], line[0]], house);
    map
}

/// The area (m²) of a lon/lat polygon near 10°E 45°N, in the fixture's metres.
fn area_m2(geometry: &serde_json::Value) -> f64 {
    let g: geojson::Geometry = serde_json::from_value(geometry.clone()).expect("geometry");
    let g = geo::Geometry::<f64>::try_from(g).expect("a geo geometry");
    let per_lat = common::map::METRES_PER_DEGREE_LAT;
    let per_lon = per_lat * 45f64.to_radians().cos();
    use geo::MapCoords;
    g.map_coords(|c| geo::Coord {
        x: c.x * per_lon,
        y: c.y * per_lat,
    })
    .unsigned_area()
}

#[test]
fn bow_tie_footprint_is_repaired_and_counted() {
    let (_guard, out) = bow_tie_map().run_coverage("bow-tie", &["--category", "childcare"]);
    let summary = read_json(&out.join("summary.json"));
    let residents = &summary["counts"]["residents"];
    assert_eq!(
        residents["building_outlines"],
        serde_json::json!({"repaired": 2, "unrepairable": 1}),
        "{residents}"
    );
    let broken = &residents["broken_areas"];
    let listed = |key: &str| -> Vec<String> {
        broken[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().split(':').next().unwrap().to_string())
            .collect()
    };
    assert_eq!(listed("repaired"), ["way/2", "way/3"], "{broken}");
    assert_eq!(listed("unrepairable"), ["way/4"], "{broken}");

    let buildings = read_features(&out.join("buildings.geojson"));
    let by_id = |id: &str| {
        buildings
            .iter()
            .find(|f| f["properties"]["osm_id"] == id)
            .unwrap_or_else(|| panic!("{id} in buildings.geojson"))
    };
    let bow_tie = by_id("way/2");
    assert_eq!(bow_tie["geometry"]["type"], "MultiPolygon", "{bow_tie}");
    assert_eq!(
        bow_tie["geometry"]["coordinates"].as_array().unwrap().len(),
        2
    );
    assert!(
        (area_m2(&bow_tie["geometry"]) - 200.0).abs() < 0.5,
        "{bow_tie}"
    );
    assert!((bow_tie["properties"]["footprint_m2"].as_f64().unwrap() - 200.0).abs() < 0.5);
    assert!((bow_tie["properties"]["population"].as_f64().unwrap() - 6.67).abs() < 0.02);
    let square = by_id("way/3");
    assert_eq!(square["geometry"]["type"], "Polygon", "{square}");
    assert!(
        (area_m2(&square["geometry"]) - 100.0).abs() < 0.5,
        "{square}"
    );
    assert!((square["properties"]["population"].as_f64().unwrap() - 3.33).abs() < 0.02);
    // The line keeps its home (a point on it, 0 m², no residents) but has no polygon.
    let line = by_id("way/4");
    assert!(line["geometry"].is_null(), "{line}");
    assert_eq!(line["properties"]["footprint_m2"], 0.0, "{line}");
    assert_eq!(line["properties"]["population"], 0.0, "{line}");
    assert_eq!(buildings.len(), 3);
    assert!(invalid(&buildings).is_empty(), "{:?}", invalid(&buildings));
    if shapely_or_skip("bow_tie_footprint_is_repaired_and_counted (its GEOS part)") {
        check_with_shapely(&[out]);
    }
}

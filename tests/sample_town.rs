//! The sample town in `data/`: the binary reproduces, building by building, the answers that
//! `examples/make_sample_town.rs` computed on its own geometry and its own Dijkstra
//! (`data/README.md` describes the town and the columns of the expected CSV).

mod common;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::Path;

use common::{coverage, read_features, read_json};
use serde_json::Value;

const PBF: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/sample-town.osm.pbf");
const EXPECTED_CSV: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/sample-town.expected.csv");
/// Farthest a home may be from the network and still be snapped (the default), metres.
const MAX_SNAP_M: f64 = 250.0;
/// Threshold for "covered" (the default), minutes.
const THRESHOLD_MIN: f64 = 15.0;

/// One row of the expected CSV (the columns the checks use).
#[derive(Debug, serde::Deserialize)]
struct Expected {
    osm_id: i64,
    osm_type: String,
    residential: u8,
    judged: Option<String>,
    population: f64,
    snap_m: f64,
    on_island: u8,
    childcare_minutes: Option<f64>,
    nearest_childcare: Option<String>,
}

impl Expected {
    fn element(&self) -> String {
        format!("{}/{}", self.osm_type, self.osm_id)
    }

    fn snapped(&self) -> bool {
        self.snap_m <= MAX_SNAP_M
    }
}

/// The expected rows of the residential buildings.
fn expected_homes() -> Vec<Expected> {
    let mut reader = csv::Reader::from_path(EXPECTED_CSV).expect("the expected CSV opens");
    let rows: Vec<Expected> = reader
        .deserialize()
        .collect::<Result<_, _>>()
        .expect("the expected CSV parses");
    rows.into_iter().filter(|r| r.residential == 1).collect()
}

/// Runs `coverage` on the sample town for childcare with `flags` into `out`; the properties
/// of every output building by `osm_id`.
fn run(out: &Path, flags: &[&str]) -> BTreeMap<String, Value> {
    let mut args: Vec<OsString> = vec![
        PBF.into(),
        "--category".into(),
        "childcare".into(),
        "--out".into(),
        out.into(),
    ];
    args.extend(flags.iter().map(Into::into));
    let outcome = coverage(args);
    assert_eq!(outcome.code, Some(0), "stderr:\n{}", outcome.stderr);
    read_features(&out.join("buildings.geojson"))
        .into_iter()
        .map(|mut f| {
            let id = f["properties"]["osm_id"]
                .as_str()
                .expect("osm_id")
                .to_owned();
            (id, f["properties"].take())
        })
        .collect()
}

/// Whether `actual` is within the larger of `absolute` and `relative` × `expected`.
fn near(actual: f64, expected: f64, absolute: f64, relative: f64) -> bool {
    (actual - expected).abs() <= absolute.max(relative * expected.abs())
}

/// Panics listing every mismatch, if any.
fn assert_none(mismatches: &[String]) {
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

#[test]
fn every_building_matches_the_generator() {
    let out = tempfile::tempdir().expect("a temporary folder");
    let buildings = run(out.path(), &[]);
    let homes = expected_homes();

    let mut expected_ids: Vec<String> = homes.iter().map(Expected::element).collect();
    expected_ids.sort();
    assert!(
        buildings.keys().eq(&expected_ids),
        "the output's buildings are not exactly the expected homes"
    );

    let mut mismatches = Vec::new();
    for home in &homes {
        let element = home.element();
        let p = &buildings[&element];
        let mut check = |what: &str, ok: bool, expected: String| {
            if !ok {
                mismatches.push(format!("{element} {what}: {} ≠ {expected}", p[what]));
            }
        };
        check(
            "judged",
            p["judged"].as_str() == home.judged.as_deref(),
            format!("{:?}", home.judged),
        );
        let population = p["population"].as_f64().unwrap_or(f64::NAN);
        check(
            "population",
            near(population, home.population, 0.05, 0.001),
            home.population.to_string(),
        );
        let snap_ok = match p["snap_m"].as_f64() {
            Some(snap_m) => home.snapped() && near(snap_m, home.snap_m, 0.15, 0.0),
            None => !home.snapped(),
        };
        check("snap_m", snap_ok, home.snap_m.to_string());
        check(
            "on_island",
            p["on_island"].as_bool() == Some(home.on_island == 1),
            home.on_island.to_string(),
        );
        let minutes_ok = match (p["childcare_minutes"].as_f64(), home.childcare_minutes) {
            (Some(actual), Some(expected)) => near(actual, expected, 0.02, 0.003),
            (None, None) => p["childcare_minutes"].is_null(),
            _ => false,
        };
        check(
            "childcare_minutes",
            minutes_ok,
            format!("{:?}", home.childcare_minutes),
        );
        check(
            "childcare_nearest",
            p["childcare_nearest"].as_str() == home.nearest_childcare.as_deref(),
            format!("{:?}", home.nearest_childcare),
        );
    }
    assert_none(&mismatches);

    // The two special cases the town is built to hold, spelled out.
    let island: Vec<&Expected> = homes.iter().filter(|h| h.on_island == 1).collect();
    assert_eq!(island.len(), 1, "one house on the footway island");
    let p = &buildings[&island[0].element()];
    assert_eq!(p["on_island"], true, "{p}");
    assert!(p["childcare_minutes"].is_null(), "{p}");
    let unsnapped: Vec<&Expected> = homes.iter().filter(|h| !h.snapped()).collect();
    assert_eq!(unsnapped.len(), 1, "one house beyond snapping distance");
    let p = &buildings[&unsnapped[0].element()];
    assert!(p["snap_m"].is_null(), "{p}");
    assert!(p["childcare_minutes"].is_null(), "{p}");

    let population: f64 = homes.iter().map(|h| h.population).sum();
    let covered: f64 = homes
        .iter()
        .filter(|h| h.childcare_minutes.is_some_and(|m| m <= THRESHOLD_MIN))
        .map(|h| h.population)
        .sum();
    let summary = read_json(&out.path().join("summary.json"));
    let share = summary["coverage"]["childcare"]["covered_share"]
        .as_f64()
        .expect("summary.json has coverage.childcare.covered_share");
    assert!(
        (share - covered / population).abs() <= 1e-3,
        "covered share {share} ≠ {} from the expected CSV",
        covered / population
    );
}

#[test]
fn bands_hold_the_expected_minutes() {
    const BANDS_MIN: [f64; 3] = [5.0, 10.0, 15.0];
    let out = tempfile::tempdir().expect("a temporary folder");
    let buildings = run(out.path(), &["--minutes", "5,10,15"]);
    // The generator keeps every answer more than 0.3 % from 5, 10 and 15 minutes, so each
    // band is unambiguous.
    let mut mismatches = Vec::new();
    for home in expected_homes() {
        let band = home
            .childcare_minutes
            .and_then(|m| BANDS_MIN.into_iter().find(|&b| m <= b));
        let p = &buildings[&home.element()];
        if p["childcare_band"].as_f64() != band {
            mismatches.push(format!(
                "{}: childcare_band {} for {:?} min",
                home.element(),
                p["childcare_band"],
                home.childcare_minutes
            ));
        }
    }
    assert_none(&mismatches);
}

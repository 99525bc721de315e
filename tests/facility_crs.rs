//! `--facility-crs` end to end: a register in GCJ-02 (as AMap/Gaode gives it) over a street in
//! Beijing lands where the facility really is, and a register outside China is kept as given
//! with a warning that `--quiet` does not hide.
//!
//! The town, in metres east (x) and north (y) of 116.4°E 39.9°N:
//!
//! ```text
//!    y (m)
//!    20  H                        (home: a 10 m square centred 20 m north of the street)
//!    10                                   K   (the nursery, true WGS84 position)
//!     0  A--------------------------------+-----------------B
//!        0                               1000             2000  x (m)
//! ```
//!
//! Walk: 20 m from the home's centre to the street, 1,000 m along it, 10 m to the nursery:
//! 1,030 m at 75 m/min = 13.73 min. The same register read as WGS84 puts the nursery where
//! GCJ-02 shifts it, hundreds of metres away, and the walk changes.

mod common;

use std::path::Path;

use common::{coverage, file_with, read_features, read_json, sample_town};
use fifteen::facilities::crs::wgs84_to_gcj02;
use fifteen::osm::write::PbfWriter;

const LON0: f64 = 116.4;
const LAT0: f64 = 39.9;
const METRES_PER_DEGREE_LAT: f64 = 111_195.08;

/// Lon/lat of `(x_m, y_m)` metres from the origin.
fn lon_lat(x_m: f64, y_m: f64) -> (f64, f64) {
    let metres_per_degree_lon = METRES_PER_DEGREE_LAT * LAT0.to_radians().cos();
    (
        LON0 + x_m / metres_per_degree_lon,
        LAT0 + y_m / METRES_PER_DEGREE_LAT,
    )
}

/// The town above as a PBF at `path`.
fn write_town(path: &Path) {
    let mut pbf = PbfWriter::create(path).expect("create pbf");
    let nodes = [
        (1, 0.0, 0.0),
        (2, 2000.0, 0.0),
        (3, -5.0, 15.0),
        (4, 5.0, 15.0),
        (5, 5.0, 25.0),
        (6, -5.0, 25.0),
    ];
    for (id, x, y) in nodes {
        let (lon, lat) = lon_lat(x, y);
        pbf.write_node(id, lon, lat, &[]).expect("node");
    }
    pbf.write_way(1, &[1, 2], &[("highway", "residential")])
        .expect("street");
    pbf.write_way(2, &[3, 4, 5, 6, 3], &[("building", "house")])
        .expect("house");
    pbf.finish().expect("finish pbf");
}

/// Runs the town with a one-row register at `(lon, lat)` read as `crs`; the home's minutes,
/// the facility's written position and the summary.
fn run_town(lon: f64, lat: f64, crs: &str) -> (Option<f64>, (f64, f64), serde_json::Value) {
    let dir = tempfile::tempdir().expect("temp dir");
    let town = dir.path().join("town.osm.pbf");
    write_town(&town);
    let csv = format!("id,name,lon,lat\nk,Nursery,{lon:.9},{lat:.9}\n");
    let (_register_dir, register) = file_with("register.csv", csv.as_bytes());
    let out = dir.path().join("out");
    let outcome = coverage([
        town.as_os_str(),
        "--facilities".as_ref(),
        register.as_os_str(),
        "--category".as_ref(),
        "childcare".as_ref(),
        "--facility-crs".as_ref(),
        crs.as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    assert_eq!(outcome.code, Some(0), "stderr:\n{}", outcome.stderr);
    let homes = read_features(&out.join("buildings.geojson"));
    assert_eq!(homes.len(), 1);
    let minutes = homes[0]["properties"]["childcare_minutes"].as_f64();
    let facilities = read_features(&out.join("facilities.geojson"));
    assert_eq!(facilities.len(), 1);
    let point = &facilities[0]["geometry"]["coordinates"];
    let position = (point[0].as_f64().unwrap(), point[1].as_f64().unwrap());
    (minutes, position, read_json(&out.join("summary.json")))
}

#[test]
fn a_gcj02_register_lands_on_the_true_position() {
    let (true_lon, true_lat) = lon_lat(1000.0, 10.0);
    let (gcj_lon, gcj_lat) = wgs84_to_gcj02(true_lon, true_lat);

    let (minutes, position, summary) = run_town(gcj_lon, gcj_lat, "gcj02");
    assert!(
        (position.0 - true_lon).abs() < 2e-7 && (position.1 - true_lat).abs() < 2e-7,
        "written at {position:?}, truly at ({true_lon}, {true_lat})"
    );
    let minutes = minutes.expect("the home reaches the nursery");
    assert!(
        (minutes - 1030.0 / 75.0).abs() < 0.03,
        "{minutes} min, by hand 13.73"
    );
    assert_eq!(summary["parameters"]["facility_crs"], "gcj02");

    // The same numbers read as WGS84: the nursery sits where GCJ-02 shifted it.
    let (shifted_minutes, shifted, summary) = run_town(gcj_lon, gcj_lat, "wgs84");
    assert!((shifted.0 - gcj_lon).abs() < 2e-7 && (shifted.1 - gcj_lat).abs() < 2e-7);
    assert_ne!(shifted_minutes, Some(minutes));
    assert_eq!(summary["parameters"]["facility_crs"], "wgs84");
}

#[test]
fn points_outside_china_are_kept_with_a_warning_even_when_quiet() {
    // two shops in the sample town, in Italy
    let csv = "id,name,lon,lat\na,Shop A,10.006,45.0027\nb,Shop B,10.012,45.0081\n";
    let (dir, register) = file_with("register.csv", csv.as_bytes());
    let out = dir.path().join("out");
    let outcome = coverage([
        sample_town().as_os_str(),
        "--facilities".as_ref(),
        register.as_os_str(),
        "--category".as_ref(),
        "grocery".as_ref(),
        "--facility-crs".as_ref(),
        "gcj02".as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    assert_eq!(outcome.code, Some(0), "stderr:\n{}", outcome.stderr);
    assert!(
        outcome
            .stderr
            .contains("warning: 2 of 2 register points lie outside China"),
        "stderr under --quiet:\n{}",
        outcome.stderr
    );
    let facilities = read_features(&out.join("facilities.geojson"));
    let kept: Vec<(f64, f64)> = facilities
        .iter()
        .map(|f| {
            let c = &f["geometry"]["coordinates"];
            (c[0].as_f64().unwrap(), c[1].as_f64().unwrap())
        })
        .collect();
    assert!(kept.contains(&(10.006, 45.0027)), "{kept:?}");
    assert!(kept.contains(&(10.012, 45.0081)), "{kept:?}");
}

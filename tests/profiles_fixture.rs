//! Walking profiles and hills on hand-made maps, through the real binary, against minutes
//! worked out by hand.

mod common;

use std::path::Path;

use common::map::{METRES_PER_DEGREE_LAT, Map, Tags};
use common::{coverage, read_features, read_json};

/// A 10 m square `building=house` centred at `(x_m, y_m)`; its element, `way/ID`.
fn house(map: &mut Map, x_m: f64, y_m: f64) -> String {
    format!(
        "way/{}",
        map.rectangle(
            x_m - 5.0,
            y_m - 5.0,
            x_m + 5.0,
            y_m + 5.0,
            &[("building", "house")]
        )
    )
}

/// Minutes of `house` in the buildings layer of `dir`.
fn minutes(dir: &Path, house: &str) -> f64 {
    let buildings = read_features(&dir.join("buildings.geojson"));
    let b = buildings
        .iter()
        .find(|b| b["properties"]["osm_id"] == house)
        .unwrap_or_else(|| panic!("{house} in {}", dir.display()));
    b["properties"]["childcare_minutes"]
        .as_f64()
        .unwrap_or_else(|| panic!("{house} reaches the kindergarten: {}", b["properties"]))
}

/// Runs `coverage --category childcare` on `pbf` with `extra` flags into `out`.
fn run(pbf: &Path, out: &Path, extra: &[&str]) {
    let mut args: Vec<&std::ffi::OsStr> = vec![
        pbf.as_os_str(),
        "--category".as_ref(),
        "childcare".as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
    ];
    args.extend(extra.iter().map(std::ffi::OsStr::new));
    let outcome = coverage(args);
    assert_eq!(outcome.code, Some(0), "stderr:\n{}", outcome.stderr);
}

/// The stair map: a 100 m flight of steps (tagged `steps`) from A north to D, and the long
/// way round by the street A-B-C-D (600 + 100 + 600 m).
///
/// ```text
///   100  D-----K'----------------C      K: kindergarten 10 m north of (200, 100)
///        |                       |
///      steps                     |
///        |                       |
///     0  A-----H'----------------B      H: home 15 m south of (200, 0)
///        0    200               600
/// ```
///
/// By the steps: 15 + 200 + 200 + 10 = 425 m on the flat and 100 m of steps at half speed.
/// Round by the street: 15 + 400 + 100 + 400 + 10 = 925 m.
fn stair_map(dir: &Path, steps: Tags) -> (std::path::PathBuf, String) {
    let mut map = Map::default();
    let a = map.node(0.0, 0.0, &[]);
    let b = map.node(600.0, 0.0, &[]);
    let c = map.node(600.0, 100.0, &[]);
    let d = map.node(0.0, 100.0, &[]);
    map.node(200.0, 110.0, &[("amenity", "kindergarten")]);
    map.way(vec![a, b, c, d], &[("highway", "residential")]);
    map.way(vec![a, d], steps);
    let home = house(&mut map, 200.0, -15.0);
    let pbf = dir.join("stairs.osm.pbf");
    map.write(&pbf).expect("the map is written");
    (pbf, home)
}

#[test]
fn stairs_by_profile() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let (pbf, home) = stair_map(dir.path(), &[("highway", "steps")]);
    let out = dir.path().join("out");
    run(
        &pbf,
        &out,
        &[
            "--profile",
            "adult",
            "--profile",
            "stroller",
            "--profile",
            "older",
            "--profile",
            "wheelchair",
        ],
    );
    // metres per minute: adult 75, stroller 66.67, older 60, wheelchair 45
    let expected = [
        // steps: 425 / 75 + 100 / 37.5 = 8.33 min (the street: 12.33)
        ("adult", 425.0 / 75.0 + 100.0 / 37.5),
        // no steps: round by the street
        ("stroller", 925.0 / (4000.0 / 60.0)),
        // steps: 425 / 60 + 100 / 30 = 10.42 min (the street: 15.42)
        ("older", 425.0 / 60.0 + 100.0 / 30.0),
        ("wheelchair", 925.0 / 45.0),
    ];
    for (profile, want) in expected {
        let got = minutes(&out.join(profile), &home);
        assert!(
            (got - want).abs() <= 0.01,
            "{profile}: {got} min, by hand {want:.3}"
        );
    }
    let summary = read_json(&out.join("summary.json"));
    let profiles = summary["profiles"].as_object().expect("per profile");
    assert_eq!(profiles.len(), 4);
    assert_eq!(profiles["stroller"]["profile"]["impassable_edges"], 1);
    assert_eq!(profiles["older"]["profile"]["speed_kmh"], 3.6);
    assert_eq!(
        read_json(&out.join("wheelchair/summary.json"))["parameters"]["profile"]["name"],
        "wheelchair"
    );

    // --speed-kmh replaces one profile's flat speed; steps stay closed to the stroller
    let slow = dir.path().join("slow");
    run(&pbf, &slow, &["--profile", "stroller", "--speed-kmh", "3"]);
    let got = minutes(&slow, &home);
    assert!((got - 925.0 / 50.0).abs() <= 0.01, "{got}");
}

/// `--meters`: the stair map's walks as network distances, by hand. Steps cost their
/// length (no half speed), but the profile still decides they are walkable; speed and
/// slopes are refused because they change no distance.
#[test]
fn stairs_in_metres_by_profile() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let (pbf, home) = stair_map(dir.path(), &[("highway", "steps")]);
    let out = dir.path().join("out");
    let profiles = ["--profile", "adult", "--profile", "stroller"];
    run(
        &pbf,
        &out,
        &[&["--meters", "1000,500"][..], &profiles].concat(),
    );
    // by the steps 425 + 100 m; the stroller round by the street, 925 m
    for (profile, want, band) in [("adult", 525.0, 1000.0), ("stroller", 925.0, 1000.0)] {
        let buildings = read_features(&out.join(profile).join("buildings.geojson"));
        let p = &buildings
            .iter()
            .find(|b| b["properties"]["osm_id"] == home.as_str())
            .expect("the home")["properties"];
        let got = p["childcare_meters"].as_f64().expect("a distance");
        assert!(
            (got - want).abs() <= 0.01,
            "{profile}: {got} m, by hand {want}"
        );
        assert_eq!(p["childcare_band"], band, "{profile}");
        assert_eq!(p["childcare_covered"], true, "{profile}");
        assert!(p.get("childcare_minutes").is_none(), "{p}");
    }
    let summary = read_json(&out.join("adult/summary.json"));
    assert_eq!(
        summary["parameters"]["meters"],
        serde_json::json!([500.0, 1000.0])
    );
    assert!(summary["parameters"].get("minutes").is_none());
    let areas = read_features(&out.join("adult/isochrones.geojson"));
    assert!(areas.iter().all(|a| a["properties"]["band_m"].is_number()));
    let refused = |flags: &[&str], mention: &str| {
        let mut args: Vec<&std::ffi::OsStr> = vec![pbf.as_os_str()];
        args.extend(["--category", "childcare", "--out"].map(std::ffi::OsStr::new));
        args.push(dir.path().join("refused").into_os_string().leak());
        args.extend(flags.iter().map(std::ffi::OsStr::new));
        let outcome = coverage(args);
        assert_eq!(outcome.code, Some(2), "{flags:?}: {}", outcome.stderr);
        assert!(
            outcome.stderr.contains(mention),
            "{flags:?}: {}",
            outcome.stderr
        );
    };
    refused(
        &["--meters", "500", "--speed-kmh", "3"],
        "--speed-kmh changes walking times",
    );
    refused(
        &["--meters", "500", "--elevation", "tiles"],
        "--elevation changes walking times",
    );
    refused(
        &["--meters", "500", "--minutes", "5"],
        "cannot be used with",
    );
}

#[test]
fn ramps_open_steps_to_wheels() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let (pbf, home) = stair_map(
        dir.path(),
        &[("highway", "steps"), ("ramp:stroller", "yes")],
    );
    let out = dir.path().join("out");
    run(
        &pbf,
        &out,
        &["--profile", "stroller", "--profile", "wheelchair"],
    );
    // the stroller rolls up the ramp at its flat speed: 525 m at 66.67 m/min
    let stroller = minutes(&out.join("stroller"), &home);
    assert!(
        (stroller - 525.0 / (4000.0 / 60.0)).abs() <= 0.01,
        "{stroller}"
    );
    // a stroller ramp is no wheelchair ramp
    let wheelchair = minutes(&out.join("wheelchair"), &home);
    assert!((wheelchair - 925.0 / 45.0).abs() <= 0.01, "{wheelchair}");
}

/// Writes `N45E010.hgt` (3″): heights rising 5 m per row northwards, so that height =
/// 6,000 m × (lat − 45°), a uniform slope of 6,000 ÷ 111,195.08 = 5.40 % northwards on the
/// map's sphere.
fn write_slope_tile(dir: &Path) {
    let n = 1201usize;
    let mut bytes = Vec::with_capacity(2 * n * n);
    for row in 0..n {
        let h = (5 * (1200 - row)) as i16;
        for _ in 0..n {
            bytes.extend_from_slice(&h.to_be_bytes());
        }
    }
    std::fs::write(dir.join("N45E010.hgt"), bytes).expect("tile written");
}

/// Tobler's hiking function, km/h, written out for the oracle.
fn tobler_kmh(grade: f64) -> f64 {
    6.0 * (-3.5 * (grade + 0.05f64).abs()).exp()
}

/// A street straight up a uniform 5.40 % slope: uphill and downhill differ by Tobler.
///
/// ```text
///  1000  N  H2     H2: home 10 m west of the top
///        |
///   600  |- K      K: kindergarten 10 m east of (0, 600)
///        |
///     0  S  H1     H1: home 10 m west of the foot
/// ```
///
/// H1 walks 600 m uphill, H2 400 m downhill; legs (10 m each end) are flat.
#[test]
fn slope_of_known_grade() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let mut map = Map::default();
    let s = map.node(0.0, 0.0, &[]);
    let n = map.node(0.0, 1000.0, &[]);
    map.node(10.0, 600.0, &[("amenity", "kindergarten")]);
    map.way(vec![s, n], &[("highway", "residential")]);
    let h1 = house(&mut map, -10.0, 0.0);
    let h2 = house(&mut map, -10.0, 1000.0);
    let pbf = dir.path().join("slope.osm.pbf");
    map.write(&pbf).expect("the map is written");
    let tiles = dir.path().join("tiles");
    std::fs::create_dir(&tiles).unwrap();
    write_slope_tile(&tiles);

    let grade = 6000.0 / METRES_PER_DEGREE_LAT;
    let flat_m_min = 75.0;
    // time on a slope = flat time × W(0) / W(slope)
    let up = tobler_kmh(0.0) / tobler_kmh(grade);
    let down = tobler_kmh(0.0) / tobler_kmh(-grade);
    let h1_want = (20.0 + 600.0 * up) / flat_m_min; // ≈ 10.18 min
    let h2_want = (20.0 + 400.0 * down) / flat_m_min; // ≈ 4.81 min

    let hills = dir.path().join("hills");
    run(&pbf, &hills, &["--elevation", tiles.to_str().unwrap()]);
    for (home, want) in [(&h1, h1_want), (&h2, h2_want)] {
        let got = minutes(&hills, home);
        assert!(
            (got - want).abs() <= 0.01,
            "{home}: {got} min, by hand {want:.3}"
        );
    }
    let summary = read_json(&hills.join("summary.json"));
    assert_eq!(summary["elevation"]["tiles_used"][0], "N45E010.hgt");
    assert_eq!(summary["elevation"]["edges_with_heights"], 1);

    // flat, and with a folder lacking the tile: the same flat minutes, the tile reported
    let flat = dir.path().join("flat");
    run(&pbf, &flat, &[]);
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let missing = dir.path().join("missing");
    run(&pbf, &missing, &["--elevation", empty.to_str().unwrap()]);
    for out in [&flat, &missing] {
        let got = minutes(out, &h1);
        assert!((got - 620.0 / 75.0).abs() <= 0.01, "{got}");
    }
    let summary = read_json(&missing.join("summary.json"));
    assert_eq!(summary["elevation"]["tiles_missing"][0], "N45E010");
    assert_eq!(summary["elevation"]["edges_flat_missing_tile"], 1);
}

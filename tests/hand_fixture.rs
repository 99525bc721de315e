//! A map small enough to work out on paper, and the binary's answers checked against the
//! hand computation. Read this first to see the model:
//!
//! - a home's walk starts at its `entrance=*` node, else at the centre of its footprint;
//! - it steps straight to the nearest point of a walkable way (the snap leg, `snap_m`),
//!   walks along the network to the facility's snap point, then steps straight to the
//!   facility (the facility leg);
//! - minutes = metres ÷ 75 m/min (4.5 km/h); the binary prints them rounded up to 0.01.
//!
//! The map, in metres east (x) and north (y) of 10°E 45°N:
//!
//! ```text
//!    y (m)
//!   500                                C
//!                                      |
//!   400                                +- K   kindergarten, 10 m east of the street
//!                                      |
//!   170       H4                       |
//!   150      E . . . path, foot=no . . F
//!            |                         |
//!    75      | H3                      |
//!    25      |             H2          |      H2 has an entrance on its south wall
//!     0  A---D-------------------------B      residential street A-D-B-F-C, an L
//!   -15    H1                                 footway D-E, a dead end
//!        0  200           450         600  x (m)
//! ```
//!
//! The walkable network is 1,100 m of street plus 150 m of footway: 1,250 m, more than the
//! 1,125 m walked in 15 minutes, so it is not an island.

mod common;

use common::map::Map;
use common::{properties_of, read_features};

/// A 10 m square `building=house` centred at `(x_m, y_m)`, with an `entrance=main` node in
/// the middle of its south wall when `entrance`; its element, `way/ID`.
fn house(map: &mut Map, x_m: f64, y_m: f64, entrance: bool) -> String {
    let (west, east, south, north) = (x_m - 5.0, x_m + 5.0, y_m - 5.0, y_m + 5.0);
    let mut refs = vec![
        map.node(west, south, &[]),
        map.node(east, south, &[]),
        map.node(east, north, &[]),
        map.node(west, north, &[]),
    ];
    if entrance {
        refs.insert(1, map.node(x_m, south, &[("entrance", "main")]));
    }
    refs.push(refs[0]);
    format!("way/{}", map.way(refs, &[("building", "house")]))
}

#[test]
fn minutes_match_the_hand_computation() {
    let mut map = Map::default();
    let a = map.node(0.0, 0.0, &[]);
    let d = map.node(200.0, 0.0, &[]);
    let b = map.node(600.0, 0.0, &[]);
    let f = map.node(600.0, 150.0, &[]);
    let c = map.node(600.0, 500.0, &[]);
    let e = map.node(200.0, 150.0, &[]);
    let kindergarten = map.node(610.0, 400.0, &[("amenity", "kindergarten")]);
    map.way(vec![a, d, b, f, c], &[("highway", "residential")]);
    map.way(vec![d, e], &[("highway", "footway")]);
    map.way(vec![e, f], &[("highway", "path"), ("foot", "no")]);
    // The kindergarten snaps to (600, 400) on the street: a 10 m facility leg, 400 m north
    // of the corner B.

    // H1, by the street: snaps 15 m north to (100, 0); 500 m east to B, 400 m north, 10 m.
    // (15 + 500 + 400 + 10) / 75 = 925 / 75 = 12.33 min.
    let h1 = house(&mut map, 100.0, -15.0, false);
    // H2, with an entrance on its south wall at (450, 20): snaps 20 m to (450, 0) (from its
    // centre it would be 25 m); 150 m east to B, 400 m north, 10 m.
    // (20 + 150 + 400 + 10) / 75 = 580 / 75 = 7.73 min.
    let h2 = house(&mut map, 450.0, 25.0, true);
    // H3, by the footway: snaps 25 m west to (200, 75); 75 m down the footway to D, 400 m
    // east to B, 400 m north, 10 m. (25 + 75 + 400 + 400 + 10) / 75 = 910 / 75 = 12.13 min.
    let h3 = house(&mut map, 225.0, 75.0, false);
    // H4, behind the path: the path, 20 m south, is not walkable (foot=no), so the house snaps
    // to the footway's end E, √(15² + 20²) = 25 m away, and walks round: 150 m down the
    // footway, 400 m east, 400 m north, 10 m. (25 + 150 + 400 + 400 + 10) / 75 = 985 / 75
    // = 13.13 min. Were the path walkable: (20 + 385 + 250 + 10) / 75 = 8.87 min.
    let h4 = house(&mut map, 215.0, 170.0, false);

    let (_dir, out) = map.run_coverage("hand", &["--category", "childcare"]);

    // (house, snap_m, minutes)
    let expected = [
        (h1, 15.0, 925.0 / 75.0),
        (h2, 20.0, 580.0 / 75.0),
        (h3, 25.0, 910.0 / 75.0),
        (h4, 25.0, 985.0 / 75.0),
    ];
    let buildings = read_features(&out.join("buildings.geojson"));
    assert_eq!(buildings.len(), expected.len(), "every house is a home");
    for (house, snap_m, minutes) in expected {
        let p = properties_of(&buildings, &house);
        let actual_snap_m = p["snap_m"].as_f64().expect("snapped");
        assert!((actual_snap_m - snap_m).abs() <= 0.1, "{house} snap_m: {p}");
        let actual_minutes = p["childcare_minutes"].as_f64().expect("reachable");
        assert!(
            (actual_minutes - minutes).abs() <= 0.01,
            "{house}: {actual_minutes} min, by hand {minutes:.4}"
        );
        assert_eq!(
            p["childcare_nearest"],
            format!("node/{kindergarten}"),
            "{house}"
        );
    }
}

/// A home above a tunnel steps onto the street, not into the tunnel.
///
/// ```text
///    y (m)
///   105      H                    (home centred at (100, 105))
///   100  T=====================================T'   service road in a tunnel (layer −1)
///                                              ‖
///    10                              K         ‖   kindergarten at (1000, 10)
///     0  A-------------------------------------B   residential street
///        0   100                   1000      1200  x (m)
/// ```
///
/// The tunnel, 5 m from the home's centre, is left out of snapping: the home snaps 105 m
/// south to (100, 0), walks 900 m east and 10 m to K: 1,015 m / 75 = 13.53 min. Had it
/// stepped into the tunnel: (5 + 1100 + 100 + 200 + 10) / 75 = 18.87 min.
#[test]
fn homes_do_not_snap_into_tunnels() {
    let mut map = Map::default();
    let a = map.node(0.0, 0.0, &[]);
    let b = map.node(1200.0, 0.0, &[]);
    let t = map.node(0.0, 100.0, &[]);
    let t2 = map.node(1200.0, 100.0, &[]);
    let kindergarten = map.node(1000.0, 10.0, &[("amenity", "kindergarten")]);
    map.way(vec![a, b], &[("highway", "residential")]);
    map.way(
        vec![t, t2, b],
        &[("highway", "service"), ("tunnel", "yes"), ("layer", "-1")],
    );
    let home = house(&mut map, 100.0, 105.0, false);

    let (_dir, out) = map.run_coverage("tunnel", &["--category", "childcare"]);
    let buildings = read_features(&out.join("buildings.geojson"));
    let p = properties_of(&buildings, &home);
    assert!((p["snap_m"].as_f64().unwrap() - 105.0).abs() <= 0.1, "{p}");
    let minutes = p["childcare_minutes"].as_f64().expect("reachable");
    assert!((minutes - 1015.0 / 75.0).abs() <= 0.01, "{minutes} min");
    assert_eq!(p["childcare_nearest"], format!("node/{kindergarten}"));
}

/// Which buildings are homes and how many live in them, by hand: the size and landuse rules
/// for a plain `building=yes`, and the floor area per resident from the country boundary,
/// `--country` and `--floor-area-per-person-m2`.
///
/// Along a street (y = 0, x 0–400 m) with a kindergarten at its east end, all inside a
/// 500 m square `admin_level=2` boundary tagged `ISO3166-1:alpha2=LI`:
/// - Y36, `building=yes`, 6 × 6 m = 36 m²: a home, 36 ÷ floor area per resident;
/// - Y25, `building=yes`, 5 × 5 m = 25 m², under 30 m²: a shed, no home;
/// - H16, `building=house`, 4 × 4 m = 16 m²: tagged, a home at any size;
/// - Y100, `building=yes`, 10 × 10 m inside a `landuse=allotments` area: a garden shed.
#[test]
fn residents_rules_by_hand() {
    let mut map = Map::default();
    let a = map.node(0.0, 0.0, &[]);
    let b = map.node(400.0, 0.0, &[]);
    map.way(vec![a, b], &[("highway", "residential")]);
    map.node(400.0, 10.0, &[("amenity", "kindergarten")]);
    let y36 = map.rectangle(47.0, 10.0, 53.0, 16.0, &[("building", "yes")]);
    map.rectangle(97.5, 10.0, 102.5, 15.0, &[("building", "yes")]);
    let h16 = map.rectangle(148.0, 10.0, 152.0, 14.0, &[("building", "house")]);
    map.rectangle(180.0, 5.0, 260.0, 60.0, &[("landuse", "allotments")]);
    map.rectangle(200.0, 20.0, 210.0, 30.0, &[("building", "yes")]);
    let border = map.rectangle(-50.0, -50.0, 450.0, 450.0, &[]);
    map.relation(
        vec![(border, "outer")],
        &[
            ("type", "boundary"),
            ("boundary", "administrative"),
            ("admin_level", "2"),
            ("ISO3166-1:alpha2", "LI"),
        ],
    );

    // (flags, country, its source, floor area per resident, its source)
    let runs: [(&[&str], &str, &str, f64, &str); 3] = [
        (&[], "LI", "extract", 53.0 * 1.25, "country"),
        (&["--country", "cn"], "CN", "flag", 36.52, "country"),
        (
            &["--floor-area-per-person-m2", "20"],
            "LI",
            "extract",
            20.0,
            "flag",
        ),
    ];
    for (flags, country, country_source, m2, m2_source) in runs {
        let mut args = vec!["--category", "childcare"];
        args.extend_from_slice(flags);
        let (_dir, out) = map.run_coverage("residents", &args);
        let summary = common::read_json(&out.join("summary.json"));
        let counts = &summary["counts"]["residents"];
        assert_eq!(counts["country"], country, "{flags:?}");
        assert_eq!(counts["country_source"], country_source, "{flags:?}");
        assert_eq!(counts["floor_area_source"], m2_source, "{flags:?}");
        let used = counts["floor_area_per_person_m2"].as_f64().expect("m2");
        assert!((used - m2).abs() < 1e-9, "{flags:?}: {used}");
        assert_eq!(counts["ruled_out_by_size"], 1, "{flags:?}");
        assert_eq!(counts["ruled_out_by_landuse"], 1, "{flags:?}");

        let buildings = read_features(&out.join("buildings.geojson"));
        assert_eq!(buildings.len(), 2, "{flags:?}: Y36 and H16 only");
        for (way, footprint_m2) in [(y36, 36.0), (h16, 16.0)] {
            let p = properties_of(&buildings, &format!("way/{way}"));
            let population = p["population"].as_f64().expect("population");
            assert!(
                (population - footprint_m2 / m2).abs() <= 0.01,
                "{flags:?} way/{way}: {population}, by hand {:.3}",
                footprint_m2 / m2
            );
        }
    }
}

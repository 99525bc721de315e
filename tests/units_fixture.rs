//! Indicators rolled up over two districts and three sub-districts, against a hand
//! computation.
//!
//! ```text
//!  y (m)   D1 = S1 + S2 (admin_level 6)        D2 = S3
//!   500  +-------------+-------------+-------------+
//!        |  S1         |  S2         |  S3         |   sub-districts (admin_level 8)
//!    25  |   h1    h2  |   h3    h4  |   h5    h6  |   houses, 10 × 10 m, 3 floors: 10 residents
//!     0  A=============================================B   one residential street, 3,000 m
//!   -15  |      K1     |             |      K2     |   K1: 30 places, public; K2: 20, private
//!  -500  +-------------+-------------+-------------+
//!        0    250  500 750 1000 1250 1750 2000 2250 2500 2750 3000   x (m)
//! ```
//!
//! Walks (a house snaps 25 m to the street, a kindergarten 15 m): h1, h2, h5, h6 are
//! 25 + 250 + 15 = 290 m (3.87 min) from theirs; h3 is 790 m (10.53 min) from K1, h4 790 m
//! from K2. All six are within 15 min; four within 5 min.
//!
//! 2SFCA at 15 min: K1 reaches h1, h2, h3 (30 residents): R = 30/30 = 1 place per resident;
//! K2 reaches h4, h5, h6: R = 20/30. Access: h1–h3 1,000, h4–h6 666.7 places per 1,000.

mod common;

use common::map::Map;
use common::read_features;

fn house(map: &mut Map, x_m: f64) {
    map.rectangle(
        x_m - 5.0,
        20.0,
        x_m + 5.0,
        30.0,
        &[("building", "house"), ("building:levels", "3")],
    );
}

fn boundary(map: &mut Map, x0: f64, x1: f64, level: &str, name: &str) {
    let ring = map.rectangle(x0, -500.0, x1, 500.0, &[]);
    map.relation(
        vec![(ring, "outer")],
        &[
            ("type", "boundary"),
            ("boundary", "administrative"),
            ("admin_level", level),
            ("name", name),
        ],
    );
}

#[test]
fn indicators_roll_up_by_hand() {
    let mut map = Map::default();
    let a = map.node(0.0, 0.0, &[]);
    let b = map.node(3000.0, 0.0, &[]);
    map.way(vec![a, b], &[("highway", "residential")]);
    map.node(
        500.0,
        -15.0,
        &[
            ("amenity", "kindergarten"),
            ("capacity", "30"),
            ("operator:type", "public"),
        ],
    );
    map.node(
        2500.0,
        -15.0,
        &[
            ("amenity", "kindergarten"),
            ("capacity", "20"),
            ("operator:type", "private"),
        ],
    );
    for x in [250.0, 750.0, 1250.0, 1750.0, 2250.0, 2750.0] {
        house(&mut map, x);
    }
    boundary(&mut map, 0.0, 1000.0, "8", "S1");
    boundary(&mut map, 1000.0, 2000.0, "8", "S2");
    boundary(&mut map, 2000.0, 3000.0, "8", "S3");
    boundary(&mut map, 0.0, 2000.0, "6", "D1");
    boundary(&mut map, 2000.0, 3000.0, "6", "D2");

    let (_dir, out) = map.run_coverage(
        "units",
        &["--category", "childcare", "--minutes", "5,10,15"],
    );

    let text = std::fs::read_to_string(out.join("indicators.csv")).expect("indicators.csv");
    let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let header = reader.headers().expect("a header").clone();
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("a row")).collect();
    let row = |name: &str| {
        rows.iter()
            .find(|r| &r[1] == name)
            .unwrap_or_else(|| panic!("a row for {name}"))
    };
    let get = |name: &str, field: &str| -> String {
        let i = header
            .iter()
            .position(|h| h == field)
            .unwrap_or_else(|| panic!("column {field}"));
        row(name)[i].to_string()
    };
    let num = |name: &str, field: &str| -> f64 {
        get(name, field)
            .parse()
            .unwrap_or_else(|_| panic!("{name} {field}"))
    };
    let close = |name: &str, field: &str, want: f64| {
        let got = num(name, field);
        assert!(
            (got - want).abs() <= 0.002 * want.abs().max(1.0),
            "{name} {field}: {got} vs {want}"
        );
    };

    // (unit, residents, places, affordable share or "" when no places)
    close("(whole extract)", "residents", 60.0);
    close("(whole extract)", "covered_share_5min", 4.0 / 6.0);
    close("(whole extract)", "covered_share_10min", 4.0 / 6.0);
    close("(whole extract)", "covered_share_15min", 1.0);
    close("(whole extract)", "places", 50.0);
    close("(whole extract)", "places_per_1000", 50.0 / 60.0 * 1000.0);
    close("(whole extract)", "affordable_share", 0.6);
    assert_eq!(
        get("(whole extract)", "affordable_target_met"),
        "true",
        "30 of 50 places = 0.6"
    );
    close(
        "(whole extract)",
        "subdistricts_with_affordable_share",
        1.0 / 3.0,
    );
    assert_eq!(get("(whole extract)", "subdistricts_target_met"), "false");

    close("D1", "residents", 40.0);
    close("D1", "places", 30.0);
    close("D1", "subdistricts_with_affordable_share", 0.5);
    close("D2", "residents", 20.0);
    close("D2", "affordable_share", 0.0);
    assert_eq!(get("D2", "affordable_target_met"), "false");

    close("S1", "places", 30.0);
    assert_eq!(get("S1", "has_affordable_facility"), "true");
    close("S2", "places", 0.0);
    assert_eq!(get("S2", "has_affordable_facility"), "false");
    assert_eq!(get("S2", "places_target_met"), "false");
    close("S2", "deficit_places", 4.5 * 20.0 / 1000.0);
    close("S2", "access_per_1000", (1000.0 + 2000.0 / 3.0) / 2.0);
    close("S2", "covered_share_5min", 0.0);
    close("S2", "covered_share_15min", 1.0);
    assert_eq!(get("S3", "has_affordable_facility"), "false");
    assert!(
        rows.iter().all(|r| &r[0] != "outside"),
        "every home is in a unit"
    );

    let units = read_features(&out.join("units.geojson"));
    assert_eq!(units.len(), 5, "two districts and three sub-districts");
    let facilities = read_features(&out.join("facilities.geojson"));
    let k1 = facilities
        .iter()
        .find(|f| f["properties"]["places"] == 30.0)
        .expect("K1");
    assert_eq!(k1["properties"]["subdistrict"], "S1");
    assert_eq!(k1["properties"]["district"], "D1");
    assert_eq!(k1["properties"]["affordable_source"], "osm_proxy");
    assert!((k1["properties"]["ratio_per_1000"].as_f64().unwrap() - 1000.0).abs() < 1.0);
}

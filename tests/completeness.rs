//! Completeness of the default life-circle tier `all`: a home counts only when it reaches
//! every category of the run within the threshold. A hand-made street where completeness
//! differs from each category's coverage, a single-category run that must not change, and
//! Liechtenstein end to end.
//!
//! ```text
//!  y (m)   S1 (admin_level 8)        S2 (admin_level 8)        D (admin_level 6) = S1 + S2
//!   500  +-------------------------+-------------------------------------------+
//!    25  |    A        D           |            C                          B   |   houses
//!     0  K===========================================================================S   street, 1,500 m
//!        0   100      200         600          750                       1400  1500   x (m)
//! ```
//!
//! K, a kindergarten (`childcare`), and S, a school (`school`), sit 15 m south of the street's
//! ends. Every house (10 × 10 m, 3 floors) has the same residents and snaps 25 m to the street.
//! At 4.5 km/h, 15 minutes is 1,125 m:
//!
//! | home | to K (m)              | to S (m)                | reaches          |
//! |------|-----------------------|-------------------------|------------------|
//! | A    | 25 + 100 + 15 = 140   | 25 + 1,400 + 15 = 1,440 | childcare        |
//! | D    | 25 + 200 + 15 = 240   | 25 + 1,300 + 15 = 1,340 | childcare        |
//! | C    | 25 + 750 + 15 = 790   | 25 + 750 + 15 = 790     | both: complete   |
//! | B    | 25 + 1,400 + 15 = 1,440 | 25 + 100 + 15 = 140   | school           |
//!
//! Coverage: childcare 3/4 (A, D, C), school 2/4 (C, B); completeness 1/4 (C alone), below
//! both. Missing: school by A and D (2 homes), childcare by B (1): school is the most missing
//! category, with half the residents. S1 (A, D; named `=S1`, a formula to a spreadsheet):
//! 0 complete, school missing for both; S2 (C, B): 1/2 complete, childcare missing for B.

mod common;

use std::path::Path;

use common::map::Map;
use common::{properties_of, read_features, read_json, shared_or_skip};
use serde_json::Value;

/// A 10 m square `building=house` of 3 floors centred at `(x_m, 25)`; its element, `way/ID`.
fn house(map: &mut Map, x_m: f64) -> String {
    let id = map.rectangle(
        x_m - 5.0,
        20.0,
        x_m + 5.0,
        30.0,
        &[("building", "house"), ("building:levels", "3")],
    );
    format!("way/{id}")
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

/// The street of the module's drawing; its houses' ids A, D, C, B.
fn fixture() -> (Map, [String; 4]) {
    let mut map = Map::default();
    let k = map.node(0.0, 0.0, &[]);
    let s = map.node(1500.0, 0.0, &[]);
    map.way(vec![k, s], &[("highway", "residential")]);
    map.node(0.0, -15.0, &[("amenity", "kindergarten")]);
    map.node(1500.0, -15.0, &[("amenity", "school")]);
    let homes = [100.0, 200.0, 750.0, 1400.0].map(|x| house(&mut map, x));
    // named as a formula: completeness.csv must write it as text
    boundary(&mut map, -50.0, 600.0, "8", "=S1");
    boundary(&mut map, 600.0, 1550.0, "8", "S2");
    boundary(&mut map, -50.0, 1550.0, "6", "D");
    (map, homes)
}

/// `completeness.csv` (after its BOM) as maps of column to cell, in file order.
fn completeness_csv(out: &Path) -> Vec<std::collections::BTreeMap<String, String>> {
    let text = std::fs::read_to_string(out.join("completeness.csv")).expect("completeness.csv");
    assert!(text.starts_with('\u{feff}'), "UTF-8 with a BOM");
    let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let header = reader.headers().expect("a header").clone();
    reader
        .records()
        .map(|r| {
            let r = r.expect("a row");
            header
                .iter()
                .map(String::from)
                .zip(r.iter().map(String::from))
                .collect()
        })
        .collect()
}

fn num(v: &str) -> f64 {
    v.parse().unwrap_or_else(|_| panic!("{v:?} is a number"))
}

#[test]
fn completeness_differs_from_every_category_s_coverage_by_hand() {
    let (map, [a, d, c, b]) = fixture();
    let (_dir, out) = map.run_coverage(
        "street",
        &["--category", "childcare", "--category", "school"],
    );
    let buildings = read_features(&out.join("buildings.geojson"));
    let residents = properties_of(&buildings, &a)["population"]
        .as_f64()
        .unwrap();
    for home in [&d, &c, &b] {
        assert_eq!(properties_of(&buildings, home)["population"], residents);
    }
    // per home: complete, and what is missing
    for (home, complete, missing) in [
        (&a, false, "school"),
        (&d, false, "school"),
        (&c, true, ""),
        (&b, false, "childcare"),
    ] {
        let p = properties_of(&buildings, home);
        assert_eq!(p["complete_all"], complete, "{home}");
        assert_eq!(p["missing_all"], missing, "{home}");
    }

    // coverage 3/4 and 2/4, completeness 1/4: below both
    let summary = read_json(&out.join("summary.json"));
    let close = |v: &Value, want: f64| {
        let got = v.as_f64().unwrap_or(f64::NAN);
        assert!((got - want).abs() < 1e-6, "{got} vs {want}");
    };
    close(&summary["coverage"]["childcare"]["covered_share"], 0.75);
    close(&summary["coverage"]["school"]["covered_share"], 0.5);
    let rows = completeness_csv(&out);
    let row = |name: &str| {
        rows.iter()
            .find(|r| r["unit_name"] == name)
            .unwrap_or_else(|| panic!("a row for {name}"))
    };
    let city = row("(whole extract)");
    assert_eq!(city["tier"], "all");
    assert_eq!(city["categories"], "childcare;school");
    assert_eq!(
        (&city["threshold"], &city["threshold_unit"]),
        (&"15".into(), &"minutes".into())
    );
    assert_eq!(city["complete_share"], "0.2500");
    assert_eq!(city["complete_children_share"], "0.2500");
    assert!((num(&city["complete_residents"]) - residents).abs() < 0.06);
    assert!((num(&city["residents"]) - 4.0 * residents).abs() < 0.06);
    // school is missed by A and D, childcare by B alone
    assert_eq!(city["most_missing_category"], "school");
    assert!((num(&city["most_missing_residents"]) - 2.0 * residents).abs() < 0.06);
    // S1 (A, D): nobody complete, both miss the school; S2 (C, B): half, B misses childcare
    assert_eq!(row("'=S1")["complete_share"], "0.0000", "a formula as text");
    assert_eq!(row("'=S1")["most_missing_category"], "school");
    assert_eq!(row("S2")["complete_share"], "0.5000");
    assert_eq!(row("S2")["most_missing_category"], "childcare");
    assert_eq!(row("D")["complete_share"], "0.2500");
    assert_eq!(
        rows.len(),
        4,
        "the city, D, S1 and S2: nobody lives outside them"
    );

    // the same figures in summary.json, on units and, summed, on blocks
    let city_json = &summary["completeness"][0];
    assert_eq!(city_json["level"], "city");
    close(&city_json["complete_share"], 0.25);
    assert_eq!(city_json["most_missing_category"], "school");
    let units = read_features(&out.join("units.geojson"));
    let unit = |name: &str| -> &Value {
        &units
            .iter()
            .find(|u| u["properties"]["name"] == name)
            .expect("a unit")["properties"]
    };
    close(&unit("S2")["complete_share_all"], 0.5);
    assert_eq!(unit("=S1")["most_missing_all"], "school");
    let blocks = read_features(&out.join("blocks.geojson"));
    let complete_in_blocks: f64 = (blocks.iter())
        .map(|b| b["properties"]["complete_population_all"].as_f64().unwrap())
        .sum();
    assert!(
        (complete_in_blocks - residents).abs() < 0.2,
        "{complete_in_blocks}"
    );

    // the report's table and the project's group
    let report = std::fs::read_to_string(out.join("report.html")).expect("report.html");
    assert!(report.contains("Life circles: all facilities within reach"));
    assert!(
        report.contains("25.0 % of residents"),
        "the city's headline"
    );
    let project = std::fs::read_to_string(out.join("project.qgs")).expect("project.qgs");
    assert!(project.contains("<layer-tree-group name=\"all: all facilities within reach\""));
    assert!(project.contains("&quot;complete_all&quot;"));
}

#[test]
fn a_single_category_run_has_no_completeness() {
    let (map, _) = fixture();
    let (_dir, out) = map.run_coverage("street", &["--category", "childcare"]);
    assert!(!out.join("completeness.csv").exists());
    let summary = read_json(&out.join("summary.json"));
    assert!(summary.get("completeness").is_none());
    for layer in ["buildings", "blocks", "units"] {
        let text = std::fs::read_to_string(out.join(format!("{layer}.geojson"))).unwrap();
        assert!(
            !text.contains("complete_") && !text.contains("missing_"),
            "{layer} has completeness fields"
        );
    }
    let report = std::fs::read_to_string(out.join("report.html")).expect("report.html");
    assert!(!report.contains("Life circles"));
    let project = std::fs::read_to_string(out.join("project.qgs")).expect("project.qgs");
    assert!(!project.contains("complete_"));
}

/// Liechtenstein with childcare and schools: no unit's completeness exceeds the coverage of
/// either category, the city's figures are the sums over each level's units (and those
/// outside them), and the most missing category is the one with the most residents beyond.
#[test]
fn liechtenstein_completeness_is_bounded_by_coverage_and_sums_over_units() {
    let extract = shared_or_skip!(
        "osm/liechtenstein-2015.osm.pbf",
        "completeness of a real extract"
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("out");
    let outcome = common::coverage([
        extract.as_os_str(),
        "--category".as_ref(),
        "childcare".as_ref(),
        "--category".as_ref(),
        "school".as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    assert_eq!(outcome.code, Some(0), "{}", outcome.stderr);
    let summary = read_json(&out.join("summary.json"));
    let rows = summary["completeness"]
        .as_array()
        .expect("completeness rows");
    let city = &rows[0];
    assert_eq!(city["level"], "city");
    let coverage = &summary["coverage"];
    let share = |c: &str| coverage[c]["covered_share"].as_f64().unwrap();
    let complete = city["complete_share"].as_f64().unwrap();
    common::note(&format!(
        "liechtenstein-2015: complete {complete:.4}, childcare {:.4}, school {:.4}",
        share("childcare"),
        share("school")
    ));
    assert!(complete > 0.0 && complete <= share("childcare").min(share("school")));

    // the city's most missing category: the one with the most residents beyond
    let population = coverage["childcare"]["population"].as_f64().unwrap();
    let beyond = |c: &str| population - coverage[c]["covered_population"].as_f64().unwrap();
    let (most, most_beyond) = ["childcare", "school"]
        .into_iter()
        .map(|c| (c, beyond(c)))
        .fold(
            ("", -1.0),
            |best, (c, r)| if r > best.1 { (c, r) } else { best },
        );
    assert_eq!(city["most_missing_category"], most);
    let missing = city["most_missing_residents"].as_f64().unwrap();
    assert!(
        (missing - most_beyond).abs() < 1e-6 * population,
        "{missing} vs {most_beyond}"
    );

    // each level's rows, those outside every unit included, tile the city
    for level in ["district", "subdistrict"] {
        let of: Vec<&Value> = rows.iter().filter(|r| r["level"] == level).collect();
        assert!(of.len() > 1, "{level}s in Liechtenstein");
        for field in [
            "residents",
            "complete_residents",
            "children",
            "complete_children",
        ] {
            let total: f64 = of.iter().map(|r| r[field].as_f64().unwrap()).sum();
            let whole = city[field].as_f64().unwrap();
            assert!(
                (total - whole).abs() <= 1e-6 * whole.max(1.0),
                "{level} {field}: {total} vs {whole}"
            );
        }
    }
}

/// A city's own life circle (`--life-circle FILE.toml`) in a distance run: two tiers at
/// their own thresholds, by hand from the module's table. `near` (childcare within 300 m):
/// A (140 m) and D (240 m), not C (790) or B (1,440); `far` (school within 1,000 m): C (790)
/// and B (140). Each tier 2/4; childcare's coverage at the run's 1,000 m is 3/4 and within
/// its tier's 300 m 2/4, both reported.
#[test]
fn a_city_life_circle_judges_each_tier_at_its_own_distance() {
    let (map, [a, d, c, b]) = fixture();
    let dir = tempfile::tempdir().expect("a temporary folder");
    let preset = dir.path().join("city.toml");
    std::fs::write(
        &preset,
        "name = \"city\"\ntitle = \"City\"\n\
         [[tier]]\nname = \"near\"\nminutes = 4\nmeters = 300\ncategories = [\"childcare\"]\n\
         [[tier]]\nname = \"far\"\nminutes = 15\nmeters = 1000\ncategories = [\"school\"]\n",
    )
    .expect("preset written");
    let (_dir, out) = map.run_coverage(
        "street",
        &[
            "--meters",
            "1000",
            "--life-circle",
            preset.to_str().unwrap(),
        ],
    );
    let buildings = read_features(&out.join("buildings.geojson"));
    for (home, near, far) in [
        (&a, true, false),
        (&d, true, false),
        (&c, false, true),
        (&b, false, true),
    ] {
        let p = properties_of(&buildings, home);
        assert_eq!(
            (&p["complete_near"], &p["complete_far"]),
            (&near.into(), &far.into()),
            "{home}"
        );
    }
    let rows = completeness_csv(&out);
    for (tier, threshold) in [("near", "300"), ("far", "1000")] {
        let city = (rows.iter())
            .find(|r| r["tier"] == tier && r["level"] == "city")
            .expect("a city row");
        assert_eq!(city["threshold"], threshold);
        assert_eq!(city["threshold_unit"], "meters");
        assert_eq!(city["complete_share"], "0.5000", "{tier}");
    }
    let summary = read_json(&out.join("summary.json"));
    let childcare = &summary["coverage"]["childcare"];
    assert!((childcare["covered_share"].as_f64().unwrap() - 0.75).abs() < 1e-9);
    assert_eq!(childcare["tier"]["name"], "near");
    assert_eq!(childcare["tier"]["threshold"], 300.0);
    assert!((childcare["tier"]["covered_share"].as_f64().unwrap() - 0.5).abs() < 1e-9);
    let report = std::fs::read_to_string(out.join("report.html")).expect("report");
    assert!(
        report
            .contains("childcare in its life-circle tier, near: 50.0 % of residents within 300 m.")
    );
}

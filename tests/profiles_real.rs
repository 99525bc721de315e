//! Walking profiles on liechtenstein-2015 and hills on Andorra, through the real binary.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{coverage, read_features, read_json, shared_or_skip};

/// Per building: its minutes to the nearest facility of `category` (`None`: no time).
fn minutes(dir: &Path, category: &str) -> BTreeMap<String, Option<f64>> {
    read_features(&dir.join("buildings.geojson"))
        .iter()
        .map(|b| {
            let p = &b["properties"];
            (
                p["osm_id"].as_str().expect("id").to_string(),
                p[format!("{category}_minutes")].as_f64(),
            )
        })
        .collect()
}

fn run(input: &Path, out: &Path, args: &[&str]) {
    let mut all: Vec<&std::ffi::OsStr> = vec![input.as_os_str(), "--out".as_ref(), out.as_os_str()];
    all.extend(args.iter().map(std::ffi::OsStr::new));
    let outcome = coverage(all);
    assert_eq!(outcome.code, Some(0), "stderr:\n{}", outcome.stderr);
}

/// Every profile in one run: each has its folder; the adult's equals a plain run's; the older
/// adult, with the same rules at 3.6 instead of 4.5 km/h, takes exactly 1.25 times as long
/// everywhere; a stroller, kept off steps, never beats the adult's route at its own pace.
#[test]
fn liechtenstein_every_profile() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let input = shared_or_skip!(
        "osm/liechtenstein-2015.osm.pbf",
        "a real extract with steps and kerbs for every profile"
    );
    let all = dir.path().join("all");
    let mut args = vec!["--category", "childcare"];
    for p in ["adult", "stroller", "older", "wheelchair"] {
        args.extend(["--profile", p]);
    }
    run(&input, &all, &args);
    let plain = dir.path().join("plain");
    run(&input, &plain, &["--category", "childcare"]);

    let summary = read_json(&all.join("summary.json"));
    let share = |p: &str| {
        summary["profiles"][p]["coverage"]["childcare"]["covered_share"]
            .as_f64()
            .expect("a share")
    };
    eprintln!(
        "liechtenstein childcare within 15 min: adult {:.1} %, stroller {:.1} %, older {:.1} %, wheelchair {:.1} %",
        100.0 * share("adult"),
        100.0 * share("stroller"),
        100.0 * share("older"),
        100.0 * share("wheelchair")
    );
    let plain_summary = read_json(&plain.join("summary.json"));
    assert_eq!(
        share("adult"),
        plain_summary["coverage"]["childcare"]["covered_share"]
            .as_f64()
            .unwrap()
    );
    assert_eq!(
        std::fs::read(all.join("adult/buildings.geojson")).unwrap(),
        std::fs::read(plain.join("buildings.geojson")).unwrap(),
        "the adult's layers do not depend on the other profiles run beside it"
    );
    assert!(share("adult") > share("stroller") && share("stroller") > share("wheelchair"));
    assert!(share("adult") > share("older"));

    let adult = minutes(&all.join("adult"), "childcare");
    let older = minutes(&all.join("older"), "childcare");
    let stroller = minutes(&all.join("stroller"), "childcare");
    let mut compared = 0;
    for (id, a) in &adult {
        let Some(a) = a else { continue };
        if let Some(o) = older[id] {
            // minutes are printed rounded to 0.01
            assert!((o - a * 1.25).abs() <= 0.02, "{id}: older {o} vs adult {a}");
            compared += 1;
        }
        if let Some(s) = stroller[id] {
            assert!(s * 4.0 >= a * 4.5 - 0.05, "{id}: stroller {s} vs adult {a}");
        }
    }
    // 7,297 of 7,590 homes: the rest are beyond 120 min or unsnapped
    assert!(compared > 7000, "{compared}");
    assert!(
        summary["profiles"]["stroller"]["profile"]["impassable_edges"]
            .as_u64()
            .unwrap()
            > 0
    );
}

/// Andorra with its SRTM tile: every edge gets heights or is reported; hills never make a
/// walk faster than Tobler's downhill peak allows (6 ÷ 5.04 km/h), and coverage falls.
#[test]
fn andorra_hills_against_flat() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let input = shared_or_skip!("osm/andorra.osm.pbf", "a real extract on hills");
    let tiles = shared_or_skip!("elevation/N42E001.hgt.zip", "Andorra's SRTM tile");
    let tiles = tiles.parent().expect("the elevation folder");
    let categories = ["--category", "grocery", "--category", "pharmacy"];
    let flat = dir.path().join("flat");
    run(&input, &flat, &categories);
    let hills = dir.path().join("hills");
    let mut args = categories.to_vec();
    args.extend(["--elevation", tiles.to_str().expect("utf-8 path")]);
    run(&input, &hills, &args);

    let s = read_json(&hills.join("summary.json"));
    let e = &s["elevation"];
    assert_eq!(e["tiles_used"], serde_json::json!(["N42E001.hgt.zip"]));
    assert_eq!(e["tiles_missing"], serde_json::json!([]));
    let edges = s["counts"]["graph"]["edges"].as_u64().unwrap();
    let with = e["edges_with_heights"].as_u64().unwrap();
    assert_eq!(
        with + e["edges_flat_void"].as_u64().unwrap()
            + e["edges_flat_missing_tile"].as_u64().unwrap(),
        edges
    );
    assert!(with as f64 > 0.99 * edges as f64, "{e}");

    let f = read_json(&flat.join("summary.json"));
    let downhill_max = 6.0 / (6.0 * (-0.175f64).exp());
    for category in ["grocery", "pharmacy"] {
        let (a, b) = (
            f["coverage"][category]["covered_share"].as_f64().unwrap(),
            s["coverage"][category]["covered_share"].as_f64().unwrap(),
        );
        eprintln!(
            "andorra {category} within 15 min: flat {:.1} %, hills {:.1} %",
            100.0 * a,
            100.0 * b
        );
        assert!(b < a, "{category}: hills {b} vs flat {a}");
        let (flat_min, hill_min) = (minutes(&flat, category), minutes(&hills, category));
        let mut slower = 0;
        for (id, m) in &flat_min {
            if let (Some(m), Some(h)) = (m, hill_min[id]) {
                assert!(h >= m / downhill_max - 0.02, "{id}: hills {h} vs flat {m}");
                slower += usize::from(h > m + 0.01);
            }
        }
        assert!(slower > 0);
    }
}

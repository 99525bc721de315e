//! Residents from the planner's sources, end to end through the binary (issue 16): census
//! tables (Liechtenstein's official counts; a GBK table with Chinese headers and names),
//! population rasters written by GDAL from those counts, a known total, and the bad inputs
//! each must refuse without touching an earlier result.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{
    Outcome, assert_fails_cleanly, coverage, gdal_or_skip, read_json, sample_town, shared_or_skip,
};

/// Liechtenstein's municipalities, 31 December 2014 (Amt für Statistik Liechtenstein; see
/// tests/data/census/README.md).
fn liechtenstein_census() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/census/liechtenstein-2014.csv")
}

/// `name → residents` of a `name,residents` table.
fn census_rows(path: &Path) -> BTreeMap<String, f64> {
    let text = std::fs::read_to_string(path).expect("census");
    (text.lines().skip(1))
        .map(|l| {
            let (name, count) = l.split_once(',').expect("name,residents");
            (name.to_string(), count.parse().expect("a count"))
        })
        .collect()
}

/// `population_check.csv` as `unit_name → (residents, children, source)`.
fn population_check(out: &Path) -> BTreeMap<String, (f64, f64, String)> {
    let mut reader = csv::Reader::from_path(out.join("population_check.csv")).expect("written");
    let header = reader.headers().expect("header").clone();
    let column = |name: &str| {
        let name_bom = format!("\u{feff}{name}");
        (header.iter())
            .position(|h| h == name || h == name_bom)
            .unwrap_or_else(|| panic!("column {name} in {header:?}"))
    };
    let (unit, residents, children, source) = (
        column("unit_name"),
        column("residents"),
        column("children"),
        column("residents_source"),
    );
    (reader.records())
        .map(|r| {
            let r = r.expect("a row");
            let number = |i: usize| r[i].parse::<f64>().expect("a number");
            (
                r[unit].to_string(),
                (number(residents), number(children), r[source].to_string()),
            )
        })
        .collect()
}

/// A childcare run on the sample town into the folder it is given, with `FLAG FILE` added.
fn town_run(extra: Option<(&'static str, PathBuf)>) -> impl Fn(&Path) -> Outcome {
    move |out| {
        let mut args = vec![
            sample_town().into_os_string(),
            "--category".into(),
            "childcare".into(),
            "--out".into(),
            out.as_os_str().to_owned(),
        ];
        if let Some((flag, file)) = &extra {
            args.extend([flag.into(), file.as_os_str().to_owned()]);
        }
        coverage(args)
    }
}

fn ok(outcome: Outcome) {
    assert_eq!(outcome.code, Some(0), "{}", outcome.stderr);
}

/// Each municipality's residents are its census row to 0.5 % (the target; the spread makes
/// them exact), from the table committed with its source.
#[test]
fn census_rows_become_each_municipality_s_residents() {
    let extract = shared_or_skip!(
        "osm/liechtenstein-2015.osm.pbf",
        "a census of its municipalities"
    );
    let out = tempfile::tempdir().expect("temp dir");
    let census = liechtenstein_census();
    ok(coverage([
        extract.as_os_str(),
        "--category".as_ref(),
        "childcare".as_ref(),
        "--census".as_ref(),
        census.as_os_str(),
        "--out".as_ref(),
        out.path().as_os_str(),
    ]));
    let check = population_check(out.path());
    for (name, official) in census_rows(&census) {
        let (residents, _, source) = &check[&name];
        assert!(
            (residents / official - 1.0).abs() <= 0.005,
            "{name}: {residents} residents for a row of {official}"
        );
        assert_eq!(source, "census", "{name}");
    }
    let summary = read_json(&out.path().join("summary.json"));
    assert_eq!(summary["counts"]["population_source"], "census+estimate");
    assert_eq!(summary["population"]["census"]["matched_rows"], 11);
    assert_eq!(summary["population"]["uncalibrated"], false);
    let report = std::fs::read_to_string(out.path().join("report.html")).expect("report");
    assert!(report.contains("Residents and children") && report.contains("Triesenberg"));
    assert!(!report.contains("an uncalibrated estimate"));
}

/// Two sub-districts over the sample town, named in Chinese; a GBK table with Chinese
/// headers naming them without and with the office suffix; its children under 3 column.
#[test]
fn a_gbk_census_with_chinese_headers_sets_residents_and_children() {
    let dir = tempfile::tempdir().expect("temp dir");
    let half = |name: &str, west: f64, east: f64| {
        format!(
            r#"{{"type":"Feature","properties":{{"name":"{name}"}},"geometry":{{"type":"Polygon","coordinates":[[[{west},44.99],[{east},44.99],[{east},45.02],[{west},45.02],[{west},44.99]]]}}}}"#
        )
    };
    let units = dir.path().join("units.geojson");
    std::fs::write(
        &units,
        format!(
            r#"{{"type":"FeatureCollection","features":[{},{}]}}"#,
            half("西城街道", 9.99, 10.015),
            half("东城街道", 10.015, 10.04)
        ),
    )
    .expect("units");
    let census = dir.path().join("census.csv");
    let (gbk, _, unmappable) =
        encoding_rs::GBK.encode("街道,常住人口,0-3岁\n东城,3000,90\n西城街道办事处,\"2,000\",50\n");
    assert!(!unmappable);
    std::fs::write(&census, gbk).expect("census");
    let out = dir.path().join("out");
    ok(coverage([
        sample_town().as_os_str(),
        "--category".as_ref(),
        "childcare".as_ref(),
        "--units".as_ref(),
        units.as_os_str(),
        "--census".as_ref(),
        census.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ]));
    let check = population_check(&out);
    let close = |a: f64, b: f64| (a - b).abs() < 0.05;
    let (east, west) = (&check["东城街道"], &check["西城街道"]);
    assert!(close(east.0, 3000.0) && close(east.1, 90.0), "{east:?}");
    assert!(close(west.0, 2000.0) && close(west.1, 50.0), "{west:?}");
    assert_eq!(east.2, "census");
    let city = &check["(all homes)"];
    assert!(close(city.0, 5000.0) && close(city.1, 140.0), "{city:?}");
    let summary = read_json(&out.join("summary.json"));
    assert_eq!(summary["population"]["children_source"], "census");
    assert!((summary["counts"]["children"].as_f64().unwrap() - 140.0).abs() < 0.05);
}

/// A known total scales the footprint estimate (here of the sample town) to it.
#[test]
fn a_known_total_scales_the_estimate() {
    let out = tempfile::tempdir().expect("temp dir");
    ok(coverage([
        sample_town().as_os_str(),
        "--category".as_ref(),
        "childcare".as_ref(),
        "--population-total".as_ref(),
        "10000".as_ref(),
        "--under3-share".as_ref(),
        "0.025".as_ref(),
        "--out".as_ref(),
        out.path().as_os_str(),
    ]));
    let summary = read_json(&out.path().join("summary.json"));
    assert_eq!(summary["counts"]["population"], 10000.0);
    assert_eq!(summary["counts"]["population_source"], "estimate_scaled");
    assert_eq!(summary["counts"]["children"], 250.0);
    assert_eq!(
        summary["coverage"]["childcare"]["population_source"],
        "estimate_scaled"
    );
}

/// Rasters GDAL writes from the official counts (scripts/make_census_rasters.sh: each
/// municipality's count over its built-up area) in three layouts: each municipality within
/// 15 % of its count, the extract's total within 1 %.
#[test]
fn rasters_gdal_makes_from_the_counts_give_each_municipality_within_15_percent() {
    let extract = shared_or_skip!(
        "osm/liechtenstein-2015.osm.pbf",
        "rasters of its municipalities"
    );
    gdal_or_skip!();
    let dir = tempfile::tempdir().expect("temp dir");
    let census = liechtenstein_census();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/make_census_rasters.sh");
    let made = Command::new("bash")
        .arg(&script)
        .args([
            extract.as_os_str(),
            census.as_os_str(),
            "8".as_ref(),
            dir.path().as_os_str(),
        ])
        .output()
        .expect("bash runs");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let rows = census_rows(&census);
    let official_total: f64 = rows.values().sum();
    for raster in ["wgs84-tiled-deflate", "wgs84-striped-lzw", "mollweide-100m"] {
        let out = dir.path().join(raster);
        let tif = dir.path().join(format!("{raster}.tif"));
        ok(coverage([
            extract.as_os_str(),
            "--category".as_ref(),
            "childcare".as_ref(),
            "--population-raster".as_ref(),
            tif.as_os_str(),
            "--out".as_ref(),
            out.as_os_str(),
        ]));
        let check = population_check(&out);
        let mut worst = 0.0f64;
        for (name, official) in &rows {
            let residents = check[name].0;
            let off = residents / official - 1.0;
            worst = worst.max(off.abs());
            assert!(
                off.abs() <= 0.15,
                "{raster}: {name}: {residents:.0} for {official}"
            );
        }
        let total = check["(all homes)"].0;
        println!(
            "{raster}: total {total:.0} of {official_total} ({:+.2} %), worst municipality {:.1} %",
            100.0 * (total / official_total - 1.0),
            100.0 * worst
        );
        assert!(
            (total / official_total - 1.0).abs() <= 0.01,
            "{raster}: total {total}"
        );
        let summary = read_json(&out.join("summary.json"));
        assert_eq!(summary["counts"]["population_source"], "raster");
    }
}

/// A census that cannot be read, and rasters that cannot be used: exit 1 naming the file
/// and the row, column or tag; nothing written; an earlier result untouched.
#[test]
fn bad_census_tables_fail_cleanly() {
    let cases: [(&str, &str, &[&str]); 5] = [
        (
            "duplicate key",
            "name,residents\nEast,10\nEast,20\n",
            &["census.csv", "line 3"],
        ),
        (
            "negative count",
            "name,residents\nEast,-5\n",
            &["census.csv", "line 2"],
        ),
        (
            "not a number",
            "name,residents\nEast,many\n",
            &["census.csv", "line 2", "many"],
        ),
        (
            "no key column",
            "area,residents\nEast,1\n",
            &["census.csv", "area"],
        ),
        (
            "no residents column",
            "name,households\nEast,1\n",
            &["census.csv", "households"],
        ),
    ];
    for (case, text, mentions) in cases {
        let (_dir, census) = common::file_with("census.csv", text.as_bytes());
        assert_fails_cleanly(
            case,
            town_run(Some(("--census", census.clone()))),
            town_run(None),
            1,
            mentions,
        );
    }
}

/// Rasters GDAL writes wrong for the run: cut short, in a CRS the reader does not take, and
/// over another place.
#[test]
fn bad_rasters_fail_cleanly() {
    gdal_or_skip!();
    let dir = tempfile::tempdir().expect("temp dir");
    // 20 × 20 cells of 0.001° over the sample town (9.995–10.035 E, 44.997–45.011 N)
    let grid = dir.path().join("grid.asc");
    let mut asc = String::from(
        "ncols 50\nnrows 20\nxllcorner 9.99\nyllcorner 44.99\ncellsize 0.001\nNODATA_value -99999\n",
    );
    for _ in 0..20 {
        asc.push_str(&["5"; 50].join(" "));
        asc.push('\n');
    }
    std::fs::write(&grid, asc).expect("grid");
    let gdal = |args: &[&str], to: &str| -> PathBuf {
        let path = dir.path().join(to);
        let done = Command::new("gdal_translate")
            .args(["-q", "-ot", "Float32"])
            .args(args)
            .arg(&grid)
            .arg(&path)
            .output()
            .expect("gdal_translate runs");
        assert!(
            done.status.success(),
            "{}",
            String::from_utf8_lossy(&done.stderr)
        );
        path
    };
    let good = gdal(
        &["-a_srs", "EPSG:4326", "-co", "COMPRESS=DEFLATE"],
        "good.tif",
    );
    let bytes = std::fs::read(&good).expect("good raster");
    let truncated = dir.path().join("truncated.tif");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).expect("cut");
    let mercator = gdal(&["-a_srs", "EPSG:3857"], "mercator.tif");
    let elsewhere = gdal(
        &[
            "-a_srs",
            "EPSG:4326",
            "-a_ullr",
            "100",
            "30",
            "100.05",
            "29.98",
        ],
        "elsewhere.tif",
    );
    let cases: [(&str, &Path, &[&str]); 3] = [
        ("truncated raster", &truncated, &["truncated.tif"]),
        (
            "unsupported CRS",
            &mercator,
            &["mercator.tif", "3857|crs|projected"],
        ),
        ("no overlap", &elsewhere, &["elsewhere.tif", "overlap"]),
    ];
    for (case, raster, mentions) in cases {
        assert_fails_cleanly(
            case,
            town_run(Some(("--population-raster", raster.to_path_buf()))),
            town_run(None),
            1,
            mentions,
        );
    }
    // the good one is read: every home's residents from it
    let out = dir.path().join("out");
    ok(coverage([
        sample_town().as_os_str(),
        "--category".as_ref(),
        "childcare".as_ref(),
        "--population-raster".as_ref(),
        good.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ]));
    let summary = read_json(&out.join("summary.json"));
    assert_eq!(summary["counts"]["population_source"], "raster");
}

/// WorldPop-style age rasters over the sample town, written by GDAL: 2 children under 1
/// and 4 aged 1–4 per cell of 0.001° (50 × 20 cells), so 2 + ½ × 4 = 4 under 3 per cell;
/// what the homes hold is what was placed.
#[test]
fn age_rasters_give_children_under_3() {
    gdal_or_skip!();
    let dir = tempfile::tempdir().expect("temp dir");
    let raster = |name: &str, per_cell: &str| -> PathBuf {
        let grid = dir.path().join(format!("{name}.asc"));
        let mut asc = String::from(
            "ncols 50\nnrows 20\nxllcorner 9.99\nyllcorner 44.99\ncellsize 0.001\nNODATA_value -99999\n",
        );
        for _ in 0..20 {
            asc.push_str(&[per_cell; 50].join(" "));
            asc.push('\n');
        }
        std::fs::write(&grid, asc).expect("grid");
        let tif = dir.path().join(format!("{name}.tif"));
        let done = Command::new("gdal_translate")
            .args([
                "-q",
                "-ot",
                "Float32",
                "-a_srs",
                "EPSG:4326",
                "-co",
                "TILED=YES",
            ])
            .arg(&grid)
            .arg(&tif)
            .output()
            .expect("gdal_translate runs");
        assert!(
            done.status.success(),
            "{}",
            String::from_utf8_lossy(&done.stderr)
        );
        tif
    };
    let (under1, age1to4) = (raster("ita_f_0_2020", "2"), raster("ita_f_1_2020", "4"));
    let out = dir.path().join("out");
    ok(coverage([
        sample_town().as_os_str(),
        "--category".as_ref(),
        "childcare".as_ref(),
        "--under1-raster".as_ref(),
        under1.as_os_str(),
        "--age1to4-raster".as_ref(),
        age1to4.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ]));
    let summary = read_json(&out.join("summary.json"));
    let ages = &summary["population"]["age_rasters"];
    let number = |v: &serde_json::Value| v.as_f64().expect("a number");
    // the window: the homes' box grown by 500 m, all 50 columns but only 18 of the 20 rows
    // (the two southernmost lie farther south), in each of the two files
    assert_eq!(number(&ages["cells_read"]), 2.0 * 50.0 * 18.0);
    let in_window = number(&ages["people_in_window"]);
    assert_eq!(in_window, 50.0 * 18.0 * 4.0);
    let placed = number(&ages["placed_in_cell"]) + number(&ages["placed_nearby"]);
    assert!(placed > 0.0 && (placed + number(&ages["unplaced"]) - in_window).abs() < 1e-6);
    assert!((number(&summary["counts"]["children"]) - placed).abs() < 0.1);
    assert_eq!(summary["population"]["children_source"], "raster");
    assert_eq!(summary["counts"]["population_source"], "estimate");
}

/// The population keys in a batch manifest, a `coverage` job and a capacity-aware `site`
/// job: the census (a path relative to the manifest) sets Liechtenstein's municipalities in
/// both, and the site job's demand is the children it gives; editing the census reruns the
/// jobs.
#[test]
fn batch_jobs_take_the_census_and_site_demand_is_children() {
    let extract = shared_or_skip!(
        "osm/liechtenstein-2015.osm.pbf",
        "a census of its municipalities"
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let census = dir.path().join("gemeinden.csv");
    let mut table = std::fs::read_to_string(liechtenstein_census()).expect("census");
    table = table.replace("name,residents", "name,residents,under3");
    let table: String = (table.lines().enumerate())
        .map(|(i, l)| {
            if i == 0 {
                format!("{l}\n")
            } else {
                format!("{l},100\n")
            }
        })
        .collect();
    std::fs::write(&census, table).expect("census");
    let manifest = dir.path().join("jobs.toml");
    std::fs::write(
        &manifest,
        format!(
            r#"[defaults]
categories = ["childcare"]
census = "gemeinden.csv"
census_strict = true

[[job]]
name = "coverage"
input = "{li}"
out = "out/coverage"

[[job]]
name = "site"
command = "site"
input = "{li}"
out = "out/site"
add = 2
site_capacity = 40
"#,
            li = extract.display()
        ),
    )
    .expect("manifest");
    let outcome = Command::new(env!("CARGO_BIN_EXE_fifteen"))
        .args(["batch", "--plain"])
        .arg(&manifest)
        .output()
        .expect("batch runs");
    assert!(
        outcome.status.success(),
        "{}",
        String::from_utf8_lossy(&outcome.stderr)
    );
    let check = population_check(&dir.path().join("out/coverage"));
    assert!((check["Vaduz"].0 - 5425.0).abs() < 0.05 && (check["Vaduz"].1 - 100.0).abs() < 0.05);
    let site = read_json(&dir.path().join("out/site/summary.json"));
    assert_eq!(site["parameters"]["capacity"]["demand"], "children");
    assert_eq!(site["counts"]["population_source"], "census+estimate");
    // 11 municipalities × 100 children, and a share of the few homes outside them
    let children = site["counts"]["children"].as_f64().expect("children");
    assert!((1100.0..1110.0).contains(&children), "{children}");
    let after = population_check(&dir.path().join("out/site/after"));
    assert!((after["Vaduz"].0 - 5425.0).abs() < 0.05);

    let edited = std::fs::read_to_string(&census)
        .expect("census")
        .replace("5425", "5500");
    std::fs::write(&census, edited).expect("edit");
    let rerun = Command::new(env!("CARGO_BIN_EXE_fifteen"))
        .args(["batch", "--plain"])
        .arg(&manifest)
        .output()
        .expect("batch runs");
    assert!(
        rerun.status.success(),
        "{}",
        String::from_utf8_lossy(&rerun.stderr)
    );
    let check = population_check(&dir.path().join("out/coverage"));
    assert!(
        (check["Vaduz"].0 - 5500.0).abs() < 0.05,
        "the edited census was not read"
    );
}

//! Opens the outputs of real runs in real, headless QGIS (`tests/qgis_check.py` through
//! Debian's `/usr/bin/python3`, which has PyQGIS): every layer valid, non-empty, with valid
//! geometries and its `.qml` applied on opening; `project.qgs` opening every layer styled
//! from a copy of the folder; the project rendered to a PNG that is not blank.
//!
//! Without PyQGIS the test says so and passes, unless `FIFTEEN_REQUIRE_QGIS=1` (set by
//! `.ci/run`, which installs QGIS), where it fails.

mod common;

use std::path::Path;
use std::process::Command;

const PYTHON: &str = "/usr/bin/python3";

fn qgis_available() -> bool {
    Command::new(PYTHON)
        .args(["-c", "import qgis.core"])
        .env("QT_QPA_PLATFORM", "offscreen")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn run_ok(subcommand: &str, args: &[&str]) {
    let outcome = common::run(subcommand, args);
    assert_eq!(
        outcome.code,
        Some(0),
        "fifteen {subcommand} {args:?}: {}",
        outcome.stderr
    );
}

fn check_in_qgis(runs: &[&Path], may_be_empty: &[&str], render_dir: &Path) {
    let mut command = Command::new(PYTHON);
    command
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/qgis_check.py"))
        .arg("--render-dir")
        .arg(render_dir)
        .env("QT_QPA_PLATFORM", "offscreen");
    for stem in may_be_empty {
        command.args(["--may-be-empty", stem]);
    }
    let output = command.args(runs).output().expect("python runs");
    common::assert_checker_passed(&output, "QGIS found problems");
}

fn skip_without_qgis() -> bool {
    if qgis_available() {
        return false;
    }
    assert!(
        std::env::var("FIFTEEN_REQUIRE_QGIS").as_deref() != Ok("1"),
        "FIFTEEN_REQUIRE_QGIS=1 but {PYTHON} cannot import qgis.core: install qgis, python3-qgis and qgis-providers"
    );
    eprintln!("skipped: {PYTHON} has no PyQGIS (apt-get install qgis python3-qgis qgis-providers)");
    true
}

#[test]
fn sample_town_layers_styles_and_projects_open_in_qgis() {
    if skip_without_qgis() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let town = concat!(env!("CARGO_MANIFEST_DIR"), "/data/sample-town.osm.pbf");
    let geojson = dir.path().join("geojson");
    let fgb = dir.path().join("fgb");
    let site = dir.path().join("site");
    let out = |p: &Path| p.to_str().unwrap().to_string();
    run_ok(
        "coverage",
        &[
            town,
            "--category",
            "childcare",
            "--minutes",
            "5,10,15",
            "--out",
            &out(&geojson),
        ],
    );
    run_ok(
        "coverage",
        &[
            town,
            "--category",
            "childcare",
            "--minutes",
            "5,10,15",
            "--format",
            "fgb",
            "--out",
            &out(&fgb),
        ],
    );
    run_ok(
        "site",
        &[
            town,
            "--category",
            "childcare",
            "--add",
            "3",
            "--out",
            &out(&site),
        ],
    );
    // Chinese names, class labels and field aliases (`--lang zh`) open as well
    let site_zh = dir.path().join("site_zh");
    run_ok(
        "site",
        &[
            town,
            "--category",
            "childcare",
            "--add",
            "2",
            "--lang",
            "zh",
            "--out",
            &out(&site_zh),
        ],
    );
    // bands in metres (`--meters`): fields, classes and aliases named in metres
    let meters_zh = dir.path().join("meters_zh");
    run_ok(
        "coverage",
        &[
            town,
            "--category",
            "childcare",
            "--meters",
            "300,600",
            "--lang",
            "zh",
            "--out",
            &out(&meters_zh),
        ],
    );
    let style = std::fs::read_to_string(meters_zh.join("buildings.qml")).unwrap();
    assert!(
        style.contains("&quot;childcare_meters&quot;") && style.contains("label=\"300米以内\"")
    );
    assert!(fgb.join("blocks.fgb").exists() && !fgb.join("blocks.geojson").exists());
    // the sample town has no administrative boundaries: units.geojson is empty
    check_in_qgis(
        &[
            &geojson,
            &fgb,
            &site,
            &site.join("after"),
            &site_zh,
            &site_zh.join("after"),
            &meters_zh,
        ],
        &["units"],
        dir.path(),
    );
}

/// Liechtenstein with bands 10 and 20, and with three categories (a legend group each,
/// filtered and styled per category).
#[test]
fn liechtenstein_with_its_own_bands_opens_in_qgis() {
    if skip_without_qgis() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let input = common::shared_or_skip!(
        "osm/liechtenstein-2015.osm.pbf",
        "a real extract's layers to open"
    );
    let out = dir.path().join("li");
    run_ok(
        "coverage",
        &[
            input.to_str().unwrap(),
            "--category",
            "childcare",
            "--minutes",
            "10,20",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    let style = std::fs::read_to_string(out.join("buildings.qml")).unwrap();
    assert!(style.contains("label=\"≤ 20 min\"") && !style.contains("≤ 15 min"));
    // several categories: one legend group each, the first checked; as GeoJSON and as
    // FlatGeobuf (the subset filter on either)
    let several = dir.path().join("several");
    let several_fgb = dir.path().join("several-fgb");
    for (folder, format) in [(&several, "geojson"), (&several_fgb, "fgb")] {
        run_ok(
            "coverage",
            &[
                input.to_str().unwrap(),
                "--category",
                "childcare",
                "--category",
                "school",
                "--category",
                "pharmacy",
                "--format",
                format,
                "--out",
                folder.to_str().unwrap(),
            ],
        );
        let project = std::fs::read_to_string(folder.join("project.qgs")).unwrap();
        for (category, checked) in [
            ("childcare", "Qt::Checked"),
            ("school", "Qt::Unchecked"),
            ("pharmacy", "Qt::Unchecked"),
        ] {
            let group = format!("<layer-tree-group name=\"{category}\" checked=\"{checked}\"");
            assert!(project.contains(&group), "{group}");
            let filtered =
                format!("served.{format}|subset=&quot;category&quot; = &apos;{category}&apos;");
            assert!(project.contains(&filtered), "{filtered}");
            assert!(project.contains(&format!("&quot;{category}_minutes&quot;")));
        }
    }
    check_in_qgis(&[&out, &several, &several_fgb], &[], dir.path());
}

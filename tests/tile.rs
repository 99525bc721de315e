//! `fifteen tile`: a tiled copy is a valid, sorted PBF with every reference inside it, its
//! tiles are stitched, and `fifteen coverage` runs on it with N×M times the residents.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use osmpbf::{Element, ElementReader, RelMemberType};
use serde_json::Value;

mod common;

use common::shared_or_skip;

const BIN: &str = env!("CARGO_BIN_EXE_fifteen");

fn sample_town() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample-town.osm.pbf")
}

fn run(args: &[&std::ffi::OsStr]) -> (Option<i32>, String, String) {
    let out = Command::new(BIN).args(args).output().expect("fifteen runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn tile(input: &Path, grid: &str, out: &Path) -> String {
    let (code, stdout, stderr) = run(&[
        "tile".as_ref(),
        input.as_os_str(),
        "--grid".as_ref(),
        grid.as_ref(),
        "-o".as_ref(),
        out.as_os_str(),
    ]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    stdout
}

fn coverage(input: &Path, out: &Path) -> Value {
    let (code, stdout, stderr) = run(&[
        "coverage".as_ref(),
        input.as_os_str(),
        "--category".as_ref(),
        "childcare".as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
        "-q".as_ref(),
    ]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).expect("summary"))
        .expect("json")
}

#[derive(Default, Debug)]
struct Census {
    nodes: Vec<i64>,
    ways: Vec<i64>,
    relations: Vec<i64>,
    connectors: usize,
    way_refs: Vec<i64>,
    way_members: Vec<i64>,
    lons: Vec<f64>,
}

fn census(path: &Path) -> Census {
    let mut c = Census::default();
    ElementReader::from_path(path)
        .expect("opens")
        .for_each(|e| match e {
            Element::DenseNode(n) => {
                c.nodes.push(n.id());
                c.lons.push(n.lon());
            }
            Element::Node(n) => {
                c.nodes.push(n.id());
                c.lons.push(n.lon());
            }
            Element::Way(w) => {
                c.ways.push(w.id());
                c.way_refs.extend(w.refs());
                if w.tags().any(|t| t == ("fifteen:tile", "connector")) {
                    assert!(w.tags().any(|t| t == ("highway", "footway")));
                    assert_eq!(w.refs().count(), 2);
                    c.connectors += 1;
                }
            }
            Element::Relation(r) => {
                c.relations.push(r.id());
                c.way_members.extend(
                    r.members()
                        .filter(|m| m.member_type == RelMemberType::Way)
                        .map(|m| m.member_id),
                );
            }
        })
        .expect("a readable PBF");
    c
}

fn strictly_increasing(ids: &[i64]) -> bool {
    ids.windows(2).all(|w| w[0] < w[1])
}

#[test]
fn tiled_sample_town_is_valid_and_stitched() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("town-3x2.osm.pbf");
    let stdout = tile(&sample_town(), "3x2", &out);
    let base = census(&sample_town());
    let tiled = census(&out);
    assert_eq!(tiled.nodes.len(), 6 * base.nodes.len());
    assert_eq!(tiled.relations.len(), 6 * base.relations.len());
    assert_eq!(tiled.ways.len(), 6 * base.ways.len() + tiled.connectors);
    assert!(tiled.connectors > 0, "{stdout}");
    assert!(
        stdout.contains(&format!("{} connectors", tiled.connectors)),
        "{stdout}"
    );
    for ids in [&tiled.nodes, &tiled.ways, &tiled.relations] {
        assert!(strictly_increasing(ids), "sorted by id, no id twice");
    }
    // Every reference resolves inside the file (as it did in the original).
    let nodes: HashSet<i64> = tiled.nodes.iter().copied().collect();
    assert!(tiled.way_refs.iter().all(|r| nodes.contains(r)));
    let ways: HashSet<i64> = tiled.ways.iter().copied().collect();
    let base_ways: HashSet<i64> = base.ways.iter().copied().collect();
    let missing_before = base
        .way_members
        .iter()
        .filter(|m| !base_ways.contains(m))
        .count();
    let missing_after = tiled
        .way_members
        .iter()
        .filter(|m| !ways.contains(m))
        .count();
    assert_eq!(missing_after, 6 * missing_before);
    // Three tiles side by side span three times the width.
    let span = |l: &[f64]| {
        l.iter().copied().fold(f64::MIN, f64::max) - l.iter().copied().fold(f64::MAX, f64::min)
    };
    assert!(
        span(&tiled.lons) > 2.9 * span(&base.lons),
        "{} vs {}",
        span(&tiled.lons),
        span(&base.lons)
    );

    if Command::new("osmium").arg("--version").output().is_ok() {
        let info = Command::new("osmium")
            .args(["fileinfo", "-e"])
            .arg(&out)
            .output()
            .expect("osmium runs");
        let info = String::from_utf8_lossy(&info.stdout);
        assert!(
            info.contains("Objects ordered (by type and id): yes"),
            "{info}"
        );
        assert!(
            info.contains(&format!("Number of nodes: {}", tiled.nodes.len())),
            "{info}"
        );
    }

    // Coverage runs on it: six times the residents, about the same share covered.
    let one = coverage(&sample_town(), &dir.path().join("one"));
    let six = coverage(&out, &dir.path().join("six"));
    let pop = |s: &Value| s["counts"]["population"].as_f64().expect("population");
    // Not exactly 6×: footprints are measured in one local frame, and a degree of longitude
    // is shorter in the northern tiles.
    assert!(
        (pop(&six) / (6.0 * pop(&one)) - 1.0).abs() < 1e-3,
        "{} vs {}",
        pop(&six),
        pop(&one)
    );
    let share = |s: &Value| {
        s["coverage"]["childcare"]["covered_share"]
            .as_f64()
            .expect("share")
    };
    assert!(
        (share(&six) - share(&one)).abs() < 0.05,
        "{} vs {}",
        share(&six),
        share(&one)
    );
    assert_eq!(
        six["counts"]["osm"]["nodes"].as_u64(),
        Some(tiled.nodes.len() as u64)
    );
}

#[test]
fn tiled_liechtenstein_runs_end_to_end() {
    let input = shared_or_skip!(
        "osm/liechtenstein-2015.osm.pbf",
        "the real extract whose node count it checks"
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("li-2x2.osm.pbf");
    tile(&input, "2x2", &out);
    let tiled = census(&out);
    assert_eq!(tiled.nodes.len(), 4 * 142_832);
    assert!(strictly_increasing(&tiled.nodes) && strictly_increasing(&tiled.ways));
    assert!(tiled.connectors > 0);
    let one = coverage(&input, &dir.path().join("one"));
    let four = coverage(&out, &dir.path().join("four"));
    let read = |s: &Value| {
        s["counts"]["residents"]["buildings_read"]
            .as_u64()
            .expect("buildings_read")
    };
    assert_eq!(read(&four), 4 * read(&one));
    // Homes: all but a few. The size rule (a `building=yes` under 30 m² is no home) measures
    // each footprint at its own latitude, and a tile shifted north or south is a copy at
    // another latitude, so a footprint within a fraction of a percent of 30 m² can fall on
    // the other side in a copy.
    let homes = |s: &Value| s["counts"]["buildings"].as_u64().expect("buildings") as f64;
    let expected = 4.0 * homes(&one);
    assert!(
        (homes(&four) - expected).abs() <= 0.001 * expected,
        "{} homes against 4 × {}",
        homes(&four),
        homes(&one)
    );
    let facilities = |s: &Value| {
        s["coverage"]["childcare"]["facilities"]
            .as_u64()
            .expect("facilities")
    };
    assert_eq!(facilities(&four), 4 * facilities(&one));
}

#[test]
fn bad_grids_are_usage_errors() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("x.osm.pbf");
    for grid in ["0x2", "2", "axb", "2x", "100x100"] {
        let (code, _, stderr) = run(&[
            "tile".as_ref(),
            sample_town().as_os_str(),
            "--grid".as_ref(),
            grid.as_ref(),
            "-o".as_ref(),
            out.as_os_str(),
        ]);
        assert_eq!(code, Some(2), "{grid}: {stderr}");
        assert!(stderr.contains("--grid"), "{stderr}");
    }
    assert!(!out.exists());
    let (code, _, stderr) = run(&[
        "tile".as_ref(),
        dir.path().join("missing.osm.pbf").as_os_str(),
        "--grid".as_ref(),
        "2x2".as_ref(),
        "-o".as_ref(),
        out.as_os_str(),
    ]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(!out.exists());
}

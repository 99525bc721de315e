//! Helpers shared by the integration tests: where the shared data lies, running the real
//! binary, reading its outputs.
#![allow(dead_code)] // each test file uses its own subset

pub mod map;

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// The files a successful `coverage` run writes.
pub const OUTPUT_FILES: [&str; 4] = [
    "buildings.geojson",
    "blocks.geojson",
    "facilities.geojson",
    "summary.json",
];

/// A shared OSM extract, by file name.
pub fn osm(name: &str) -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data/osm")).join(name)
}

/// A shared reference file, by file name.
pub fn reference(name: &str) -> PathBuf {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/data/reference"
    ))
    .join(name)
}

/// What one run of the binary gave.
#[derive(Debug)]
pub struct Outcome {
    /// Exit code (`None` when killed by a signal).
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `fifteen coverage <args> --quiet` and waits for it.
pub fn coverage<I, S>(args: I) -> Outcome
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    run("coverage", args)
}

/// Runs `fifteen <subcommand> <args> --quiet` and waits for it.
pub fn run<I, S>(subcommand: &str, args: I) -> Outcome
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let output = Command::new(env!("CARGO_BIN_EXE_fifteen"))
        .arg(subcommand)
        .args(args)
        .arg("--quiet")
        .output()
        .expect("the fifteen binary runs");
    Outcome {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Every plain file directly in `dir` with its bytes; empty when `dir` does not exist.
pub fn files_in(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return BTreeMap::new();
    };
    entries
        .map(|e| e.expect("readable folder entry"))
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| {
            let bytes = std::fs::read(e.path()).expect("readable output file");
            (e.file_name().to_string_lossy().into_owned(), bytes)
        })
        .collect()
}

/// Parses a JSON file.
pub fn read_json(path: &Path) -> Value {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The `features` array of a GeoJSON FeatureCollection file.
pub fn read_features(path: &Path) -> Vec<Value> {
    let mut collection = read_json(path);
    assert_eq!(
        collection["type"],
        "FeatureCollection",
        "{}",
        path.display()
    );
    match collection["features"].take() {
        Value::Array(features) => features,
        other => panic!("{}: features is {other}", path.display()),
    }
}

//! Helpers shared by the integration tests: where the data lies (the sample town, and
//! `../shared/data`, skipped with a reason when absent), running the real binary, reading its
//! outputs.
#![allow(dead_code)] // each test file uses its own subset

pub mod map;
pub mod server;

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

/// The sample town in `data/`: a small, valid extract that every clone has.
pub fn sample_town() -> PathBuf {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/sample-town.osm.pbf"
    ))
    .to_path_buf()
}

/// The first fenced block in `lang` of the section headed `## heading` of `docs/doc`, as
/// written there (for tests that run or validate what the docs tell users to use unchanged).
pub fn doc_block(doc: &str, heading: &str, lang: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs").join(doc);
    let doc = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let start = doc
        .find(&format!("\n## {heading}"))
        .unwrap_or_else(|| panic!("{} has no section {heading:?}", path.display()));
    let section = &doc[start + 1..];
    let section = &section[..section.find("\n## ").unwrap_or(section.len())];
    let open = format!("```{lang}\n");
    let from = section
        .find(&open)
        .unwrap_or_else(|| panic!("no ```{lang} block under {heading:?}"))
        + open.len();
    let len = section[from..].find("\n```").expect("the block ends") + 1;
    section[from..from + len].to_string()
}

/// The data CI places beside the checkout (real OSM extracts, reference CSVs, elevation
/// tiles); a clone alone does not have it.
const SHARED_DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data");

/// Set to `1` (`.ci/run` does) to make a missing `../shared/data` fail the tests that need it
/// instead of skipping them.
pub const REQUIRE_SHARED: &str = "FIFTEEN_REQUIRE_SHARED";

/// `../shared/data/<relative>` (a file or folder, e.g. `osm/andorra.osm.pbf`), or `None` when
/// it is absent. Under `FIFTEEN_REQUIRE_SHARED=1` its absence panics instead, naming what the
/// caller `needs` it for.
#[track_caller] // a panic names the test's line
pub fn shared_data(relative: &str, needs: &str) -> Option<PathBuf> {
    let path = Path::new(SHARED_DATA).join(relative);
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var(REQUIRE_SHARED).as_deref() != Ok("1"),
        "{REQUIRE_SHARED}=1 but {} ({needs}): place the shared data beside the checkout \
         (see .ci/run), or unset {REQUIRE_SHARED} to skip the tests that need it",
        shared_absent(relative)
    );
    None
}

/// What is missing: all of `../shared/data`, or only `relative` inside it.
fn shared_absent(relative: &str) -> String {
    if Path::new(SHARED_DATA).is_dir() {
        format!("../shared/data/{relative} absent")
    } else {
        "../shared/data absent".to_string()
    }
}

/// [`shared_data`] for the test `test`, which is skipped without it: a `skipped:` line goes
/// to stderr, past the test harness's capture so that a plain `cargo test` shows it.
#[track_caller]
pub fn shared_for_test(test: &str, relative: &str, needs: &str) -> Option<PathBuf> {
    let path = shared_data(relative, needs);
    if path.is_none() {
        note(&format!(
            "skipped: {test}: {} ({needs}); set {REQUIRE_SHARED}=1 to make this an error",
            shared_absent(relative)
        ));
    }
    path
}

/// [`shared_data`] for a test that runs without it, on less: a `partly skipped:` line says
/// what it does `instead` (e.g. `fuzz_pbf: seeds without rome.osm.pbf`).
#[track_caller]
pub fn shared_or_less(relative: &str, needs: &str, instead: &str) -> Option<PathBuf> {
    let path = shared_data(relative, needs);
    if path.is_none() {
        note(&format!(
            "partly skipped: {instead}: {} ({needs}); set {REQUIRE_SHARED}=1 to make this an error",
            shared_absent(relative)
        ));
    }
    path
}

/// Writes `line` to the real stderr: `eprintln!` in a test is captured and shown only when
/// the test fails.
pub fn note(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// `let path = shared_or_skip!("osm/x.osm.pbf", "what the test needs it for");`: the path of
/// `../shared/data/osm/x.osm.pbf`, or, when it is absent, a `skipped:` line naming the test and
/// a `return` from it (a panic instead under `FIFTEEN_REQUIRE_SHARED=1`).
#[allow(unused_macros)]
macro_rules! shared_or_skip {
    ($relative:expr, $needs:expr) => {{
        fn here() {}
        let test = std::any::type_name_of_val(&here);
        let test = test.strip_suffix("::here").unwrap_or(test);
        match $crate::common::shared_for_test(test, $relative, $needs) {
            Some(path) => path,
            None => return,
        }
    }};
}
#[allow(unused_imports)]
pub(crate) use shared_or_skip;

/// Set to `1` to make a missing GDAL (`gdal_translate` on PATH) fail the tests that need it
/// instead of skipping them.
pub const REQUIRE_GDAL: &str = "FIFTEEN_REQUIRE_GDAL";

/// Whether GDAL's command-line tools (gdal-bin) are on PATH for the test `test`; when not, a
/// `skipped:` line goes to stderr (a panic instead under `FIFTEEN_REQUIRE_GDAL=1`).
#[track_caller]
pub fn gdal_for_test(test: &str) -> bool {
    let found = Command::new("gdal_translate")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var(REQUIRE_GDAL).as_deref() != Ok("1"),
            "{REQUIRE_GDAL}=1 but gdal_translate is not on PATH: install gdal-bin, or unset \
             {REQUIRE_GDAL} to skip the tests that need it"
        );
        note(&format!(
            "skipped: {test}: needs gdal-bin (gdal_translate); set {REQUIRE_GDAL}=1 to make this an error"
        ));
    }
    found
}

/// `gdal_or_skip!();` at the top of a test: a `skipped:` line naming the test and a `return`
/// when GDAL's tools are not on PATH (a panic instead under `FIFTEEN_REQUIRE_GDAL=1`).
#[allow(unused_macros)]
macro_rules! gdal_or_skip {
    () => {{
        fn here() {}
        let test = std::any::type_name_of_val(&here);
        let test = test.strip_suffix("::here").unwrap_or(test);
        if !$crate::common::gdal_for_test(test) {
            return;
        }
    }};
}
#[allow(unused_imports)]
pub(crate) use gdal_or_skip;

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

/// The properties of the feature whose `osm_id` is `osm_id` (a home in `buildings.geojson`).
pub fn properties_of<'a>(features: &'a [Value], osm_id: &str) -> &'a Value {
    &features
        .iter()
        .find(|f| f["properties"]["osm_id"] == osm_id)
        .unwrap_or_else(|| panic!("{osm_id} is in the layer"))["properties"]
}

/// A path in a fresh temp folder holding `bytes`; the folder lives as long as the guard.
pub fn file_with(name: &str, bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).expect("write test input");
    (dir, path)
}

/// Checks a failed run: no panic, exit `code`, exactly one `fifteen: error:` line on stderr
/// holding every mention (case-insensitively; `a|b` accepts either), nothing on stdout
/// claiming success. Returns that line.
pub fn check_failure(case: &str, outcome: &Outcome, code: i32, mentions: &[&str]) -> String {
    assert!(
        !outcome.stderr.contains("panicked"),
        "[{case}] panicked:\n{}",
        outcome.stderr
    );
    assert_eq!(
        outcome.code,
        Some(code),
        "[{case}] exit code; stderr:\n{}",
        outcome.stderr
    );
    let lines: Vec<&str> = outcome
        .stderr
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert_eq!(lines.len(), 1, "[{case}] one message:\n{}", outcome.stderr);
    let message = lines[0];
    assert!(
        message.starts_with("fifteen: error: "),
        "[{case}] {message}"
    );
    let lower = message.to_lowercase();
    for mention in mentions {
        assert!(
            mention
                .split('|')
                .any(|m| lower.contains(&m.to_lowercase())),
            "[{case}] the message does not mention {mention:?}: {message}"
        );
    }
    assert!(
        !outcome.stdout.contains("wrote"),
        "[{case}] stdout claims success: {}",
        outcome.stdout
    );
    message.to_string()
}

/// The bad run `run_bad(out)` fails as [`check_failure`] describes, twice: into a fresh
/// folder, which it leaves without files, and into a folder holding the outputs of the good
/// run `run_good(out)`, which it leaves byte for byte as they were. Returns the message.
pub fn assert_fails_cleanly(
    case: &str,
    run_bad: impl Fn(&Path) -> Outcome,
    run_good: impl Fn(&Path) -> Outcome,
    code: i32,
    mentions: &[&str],
) -> String {
    let tmp = tempfile::tempdir().expect("temp dir");

    let fresh = tmp.path().join("fresh");
    let message = check_failure(case, &run_bad(&fresh), code, mentions);
    eprintln!("[{case}] exit {code}: {message}");
    assert!(
        files_in(&fresh).is_empty(),
        "[{case}] files left in a fresh output folder: {:?}",
        files_in(&fresh).keys()
    );

    let used = tmp.path().join("used");
    let good = run_good(&used);
    assert_eq!(good.code, Some(0), "the good run failed:\n{}", good.stderr);
    let before = files_in(&used);
    assert!(before.len() >= 4, "the good run wrote {:?}", before.keys());
    check_failure(case, &run_bad(&used), code, mentions);
    let after = files_in(&used);
    assert!(
        before.keys().eq(after.keys()),
        "[{case}] the output folder changed from {:?} to {:?}",
        before.keys(),
        after.keys()
    );
    for (name, bytes) in &before {
        assert!(after[name] == *bytes, "[{case}] {name} was changed");
    }
    message
}

/// Asserts that a checker script (QGIS, shapely) run as `output` passed; on failure shows its
/// lines that are not `ok …` and its stderr, under `what` (e.g. "QGIS found problems").
pub fn assert_checker_passed(output: &std::process::Output, what: &str) {
    let stdout = String::from_utf8_lossy(&output.stdout);
    println!("{stdout}");
    assert!(
        output.status.success(),
        "{what}:\n{}\n{}",
        stdout
            .lines()
            .filter(|l| !l.starts_with("ok"))
            .collect::<Vec<_>>()
            .join("\n"),
        String::from_utf8_lossy(&output.stderr)
    );
}

//! End to end on real OpenStreetMap extracts: the binary's four outputs agree with each other,
//! with the threshold, with RFC 7946, with themselves across runs and, within explained
//! margins, with an independent implementation's per-building minutes.
//!
//! Runs of the binary are shared between tests (each distinct job runs once per process) to
//! keep the file fast; run with `-- --nocapture` to see timings and the measured figures.
//!
//! The extracts and reference files are in `../shared/data`; without it every test here says
//! it was skipped, and under `FIFTEEN_REQUIRE_SHARED=1` fails instead.

mod common;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::{Arc, LazyLock, Mutex, OnceLock};
use std::time::Instant;

use serde_json::Value;
use tempfile::TempDir;

use common::{OUTPUT_FILES, coverage, read_features, read_json, shared_or_skip};

/// `--facility-tags` of the custom `health` category on Helsinki.
const HEALTH_TAGS: &str = "amenity=pharmacy,amenity=doctors,amenity=dentist,amenity=clinic";
/// The `--minutes` values of the monotonicity check.
const THRESHOLDS: [u32; 4] = [5, 10, 15, 20];
/// Relative tolerance for sums of rounded populations.
const POPULATION_RTOL: f64 = 1e-3;

/// One run of the binary that tests share.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Job {
    /// liechtenstein-2015, `--category childcare --search-minutes 600 --minutes N`.
    Liechtenstein(u32),
    /// helsinki-center, `--category school` plus the custom `health` category, `--minutes N`.
    Helsinki(u32),
    /// kymenlaakso-small, `--category childcare --search-minutes 600`.
    Kymenlaakso,
    /// liechtenstein-2015 as `Liechtenstein`, with `--meters N` instead of `--minutes`.
    LiechtensteinMeters(u32),
}

impl Job {
    fn args(self) -> Vec<OsString> {
        let strings = |list: &[&str]| list.iter().map(OsString::from).collect::<Vec<_>>();
        let (extract, mut flags) = match self {
            Job::Liechtenstein(_) | Job::LiechtensteinMeters(_) => (
                "liechtenstein-2015.osm.pbf",
                strings(&["--category", "childcare", "--search-minutes", "600"]),
            ),
            Job::Helsinki(_) => (
                "helsinki-center.osm.pbf",
                strings(&[
                    "--facility-tags",
                    HEALTH_TAGS,
                    "--custom-name",
                    "health",
                    "--category",
                    "school",
                ]),
            ),
            Job::Kymenlaakso => (
                "kymenlaakso-small.osm.pbf",
                strings(&["--category", "childcare", "--search-minutes", "600"]),
            ),
        };
        match self {
            Job::LiechtensteinMeters(m) => flags.extend(strings(&["--meters", &m.to_string()])),
            _ => flags.extend(strings(&["--minutes", &self.minutes().to_string()])),
        }
        let input = common::shared_data(&format!("osm/{extract}"), "a job's extract")
            .expect("the test checked its extracts with `skip_without!`");
        std::iter::once(input.into_os_string())
            .chain(flags)
            .collect()
    }

    /// The job's extract, relative to `../shared/data`.
    fn extract(self) -> &'static str {
        match self {
            Job::Liechtenstein(_) | Job::LiechtensteinMeters(_) => "osm/liechtenstein-2015.osm.pbf",
            Job::Helsinki(_) => "osm/helsinki-center.osm.pbf",
            Job::Kymenlaakso => "osm/kymenlaakso-small.osm.pbf",
        }
    }

    fn input(self) -> PathBuf {
        PathBuf::from(&self.args()[0])
    }

    fn categories(self) -> &'static [&'static str] {
        match self {
            Job::Liechtenstein(_) | Job::LiechtensteinMeters(_) | Job::Kymenlaakso => {
                &["childcare"]
            }
            Job::Helsinki(_) => &["school", "health"],
        }
    }

    /// The threshold, in the job's unit (metres for `LiechtensteinMeters`).
    fn minutes(self) -> f64 {
        match self {
            Job::Liechtenstein(m) | Job::Helsinki(m) | Job::LiechtensteinMeters(m) => f64::from(m),
            Job::Kymenlaakso => 15.0,
        }
    }
}

/// Skips the calling test (see `common::shared_or_skip!`) unless every job's extract is in
/// `../shared/data`.
macro_rules! skip_without {
    ($($job:expr),+) => {
        $(shared_or_skip!($job.extract(), "a real extract, run end to end");)+
    };
}

/// A finished run and its parsed outputs.
struct Run {
    job: Job,
    dir: TempDir,
    summary: Value,
    buildings: Vec<Value>,
    blocks: Vec<Value>,
    facilities: Vec<Value>,
}

impl Run {
    fn out(&self) -> PathBuf {
        self.dir.path().join("out")
    }

    fn file(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.out().join(name)).expect("output file")
    }
}

/// Runs `job` into a fresh temp folder, checks it succeeded cleanly and parses its outputs.
fn execute(job: Job) -> Run {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("out");
    let started = Instant::now();
    let outcome = coverage(
        job.args()
            .into_iter()
            .chain([OsString::from("--out"), out.clone().into_os_string()]),
    );
    eprintln!(
        "{job:?}: binary ran {:.2} s",
        started.elapsed().as_secs_f64()
    );
    assert_eq!(outcome.code, Some(0), "{job:?} failed:\n{}", outcome.stderr);
    assert!(
        outcome.stderr.trim().is_empty(),
        "{job:?}: quiet run wrote to stderr:\n{}",
        outcome.stderr
    );
    let written = common::files_in(&out);
    for name in OUTPUT_FILES {
        assert!(
            written.contains_key(name),
            "{job:?}: {name} missing; wrote {:?}",
            written.keys()
        );
    }
    Run {
        job,
        summary: read_json(&out.join("summary.json")),
        buildings: read_features(&out.join("buildings.geojson")),
        blocks: read_features(&out.join("blocks.geojson")),
        facilities: read_features(&out.join("facilities.geojson")),
        dir,
    }
}

/// The shared run of `job`, executed on first use; a failed run fails every test using it
/// with its first message, without running again.
fn run(job: Job) -> Arc<Run> {
    type Cell = Arc<OnceLock<Result<Arc<Run>, String>>>;
    static RUNS: LazyLock<Mutex<HashMap<Job, Cell>>> = LazyLock::new(Default::default);
    let cell = RUNS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry(job)
        .or_default()
        .clone();
    let result = cell.get_or_init(|| {
        std::panic::catch_unwind(|| Arc::new(execute(job))).map_err(|panic| {
            panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default()
        })
    });
    match result {
        Ok(run) => run.clone(),
        Err(message) => panic!("{job:?} failed earlier: {message}"),
    }
}

fn props(feature: &Value) -> &Value {
    &feature["properties"]
}

fn number(value: &Value, what: &str) -> f64 {
    value
        .as_f64()
        .unwrap_or_else(|| panic!("{what} is not a number: {value}"))
}

fn text<'a>(value: &'a Value, what: &str) -> &'a str {
    value
        .as_str()
        .unwrap_or_else(|| panic!("{what} is not a string: {value}"))
}

fn assert_close(actual: f64, expected: f64, what: &str) {
    let tolerance = POPULATION_RTOL * expected.abs() + 0.05;
    assert!(
        (actual - expected).abs() <= tolerance,
        "{what}: {actual} vs {expected} (tolerance {tolerance})"
    );
}

/// Fails listing up to ten offenders when there are any.
fn assert_none(offenders: &[String], what: &str) {
    assert!(
        offenders.is_empty(),
        "{} {what}; first ones:\n  {}",
        offenders.len(),
        offenders
            .iter()
            .take(10)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n  ")
    );
}

/// The counts in `summary.json` are sane and match the three layers.
fn check_layers_match_summary(run: &Run) {
    let job = run.job;
    let counts = &run.summary["counts"];
    let buildings = number(&counts["buildings"], "counts.buildings") as usize;
    let blocks = number(&counts["blocks"], "counts.blocks") as usize;
    let population = number(&counts["population"], "counts.population");
    let unsnapped = number(&counts["buildings_unsnapped"], "buildings_unsnapped") as usize;
    eprintln!("{job:?}: {buildings} buildings, {blocks} blocks, {population} residents");
    assert!(buildings > 0 && blocks > 0 && population > 0.0);
    assert!(blocks <= buildings && unsnapped <= buildings);
    assert_eq!(run.buildings.len(), buildings, "building features");
    assert_eq!(run.blocks.len(), blocks, "block features");
    assert_eq!(
        number(&run.summary["input"]["bytes"], "input.bytes") as u64,
        std::fs::metadata(job.input()).unwrap().len()
    );
    // `minutes` is the threshold, or the list of time bands whose largest is the threshold
    let minutes = &run.summary["parameters"]["minutes"];
    let threshold = match minutes.as_array() {
        Some(bands) => bands
            .iter()
            .map(|m| number(m, "minutes"))
            .fold(f64::NEG_INFINITY, f64::max),
        None => number(minutes, "minutes"),
    };
    assert_eq!(threshold, job.minutes(), "parameters.minutes {minutes}");

    // every resident lands in exactly one block, and the block totals add up
    let mut members: HashMap<&str, (usize, f64)> = HashMap::new();
    for b in &run.blocks {
        let id = text(&props(b)["block_id"], "block_id");
        assert!(members.insert(id, (0, 0.0)).is_none(), "block {id} twice");
    }
    for b in &run.buildings {
        let p = props(b);
        let id = text(&p["block_id"], "block_id");
        let entry = members.get_mut(id).unwrap_or_else(|| {
            panic!(
                "building {} is in block {id}, which has no feature",
                p["osm_id"]
            )
        });
        entry.0 += 1;
        entry.1 += number(&p["population"], "population");
    }
    for b in &run.blocks {
        let p = props(b);
        let (homes, residents) = members[text(&p["block_id"], "block_id")];
        assert_eq!(number(&p["buildings"], "buildings") as usize, homes, "{p}");
        let population = number(&p["population"], "population");
        assert!(
            (population - residents).abs() <= 0.05 + 0.005 * homes as f64,
            "block {}: population {population}, its buildings hold {residents}",
            p["block_id"]
        );
    }
    let sum = |features: &[Value], key: &str| -> f64 {
        features.iter().map(|f| number(&props(f)[key], key)).sum()
    };
    assert_close(
        sum(&run.blocks, "population"),
        population,
        "block populations",
    );
    assert_close(
        sum(&run.buildings, "population"),
        population,
        "building populations",
    );
    let unsnapped_features = run
        .buildings
        .iter()
        .filter(|b| props(b)["snap_m"].is_null())
        .count();
    assert_eq!(unsnapped_features, unsnapped, "buildings without snap_m");

    for &category in job.categories() {
        let c = &run.summary["coverage"][category];
        assert!(c.is_object(), "no coverage for {category} in summary.json");
        let facilities = run
            .facilities
            .iter()
            .filter(|f| props(f)["category"] == category)
            .count();
        assert!(facilities > 0, "{category}: no facility feature");
        assert_eq!(number(&c["facilities"], "facilities") as usize, facilities);
        let covered: Vec<&Value> = run
            .buildings
            .iter()
            .filter(|b| props(b)[format!("{category}_covered")] == true)
            .collect();
        assert_eq!(
            number(&c["covered_buildings"], "covered_buildings") as usize,
            covered.len(),
            "{category}: covered buildings"
        );
        let covered_population = number(&c["covered_population"], "covered_population");
        assert_close(
            covered
                .iter()
                .map(|b| number(&props(b)["population"], "population"))
                .sum(),
            covered_population,
            "covered population from buildings",
        );
        assert_close(
            sum(&run.blocks, &format!("{category}_covered_population")),
            covered_population,
            "covered population from blocks",
        );
        let share = number(&c["covered_share"], "covered_share");
        assert!((0.0..=1.0).contains(&share));
        assert!((share - covered_population / population).abs() < 1e-3);
        eprintln!(
            "{job:?}: {category}: {facilities} facilities, {} of {buildings} homes covered, share {share:.4}",
            covered.len()
        );
    }
}

/// Liechtenstein/childcare: exit 0, the four files, and summary counts that match the layers.
#[test]
fn liechtenstein_childcare_layers_match_summary() {
    skip_without!(Job::Liechtenstein(15));
    check_layers_match_summary(&run(Job::Liechtenstein(15)));
}

/// Helsinki with a custom `health` category and the `school` preset: exit 0, the four files,
/// summary counts that match the layers, and the custom category named and described.
#[test]
fn helsinki_health_and_school_layers_match_summary() {
    skip_without!(Job::Helsinki(15));
    let run = run(Job::Helsinki(15));
    check_layers_match_summary(&run);
    let categories = run.summary["parameters"]["facilities"]["categories"]
        .as_array()
        .expect("categories listed");
    let health = categories
        .iter()
        .find(|c| c["name"] == "health")
        .expect("health category in parameters");
    let mut tags: Vec<&str> = health["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| text(t, "tag"))
        .collect();
    tags.sort_unstable();
    let mut expected: Vec<&str> = HEALTH_TAGS.split(',').collect();
    expected.sort_unstable();
    assert_eq!(tags, expected);
    assert!(categories.iter().any(|c| c["name"] == "school"));
}

/// Every covered building has minutes ≤ threshold; every uncovered one has minutes above it
/// or none (null), at every threshold the other tests run.
#[test]
fn covered_flag_agrees_with_minutes() {
    skip_without!(Job::Liechtenstein(15), Job::Helsinki(15));
    let mut offenders = Vec::new();
    for m in THRESHOLDS {
        for job in [Job::Liechtenstein(m), Job::Helsinki(m)] {
            let run = run(job);
            let threshold = job.minutes();
            for &category in job.categories() {
                for b in &run.buildings {
                    let p = props(b);
                    let minutes = p[format!("{category}_minutes")].as_f64();
                    let covered = p[format!("{category}_covered")]
                        .as_bool()
                        .expect("covered flag is a boolean");
                    let consistent = if covered {
                        minutes.is_some_and(|t| t <= threshold)
                    } else {
                        minutes.is_none_or(|t| t > threshold)
                    };
                    if !consistent {
                        offenders.push(format!(
                            "{job:?} {category} {}: minutes {minutes:?}, covered {covered}",
                            p["osm_id"]
                        ));
                    }
                }
            }
        }
    }
    assert_none(
        &offenders,
        "buildings whose covered flag contradicts their minutes",
    );
}

/// Raising `--minutes` never uncovers a building, and covered_share never falls.
#[test]
fn coverage_never_falls_as_minutes_grow() {
    skip_without!(Job::Liechtenstein(15), Job::Helsinki(15));
    for job_at in [Job::Liechtenstein as fn(u32) -> Job, Job::Helsinki] {
        let runs: Vec<Arc<Run>> = THRESHOLDS.iter().map(|&m| run(job_at(m))).collect();
        for &category in runs[0].job.categories() {
            let covered: Vec<BTreeMap<String, bool>> = runs
                .iter()
                .map(|r| {
                    r.buildings
                        .iter()
                        .map(|b| {
                            let p = props(b);
                            let id = text(&p["osm_id"], "osm_id").to_string();
                            (id, p[format!("{category}_covered")] == true)
                        })
                        .collect()
                })
                .collect();
            let shares: Vec<f64> = runs
                .iter()
                .map(|r| number(&r.summary["coverage"][category]["covered_share"], "share"))
                .collect();
            eprintln!(
                "{:?} {category}: covered_share at {THRESHOLDS:?} min = {shares:.4?}",
                runs[0].job
            );
            let mut offenders = Vec::new();
            for (i, pair) in covered.windows(2).enumerate() {
                let (lower, higher) = (&pair[0], &pair[1]);
                assert!(
                    lower.keys().eq(higher.keys()),
                    "the set of buildings changes with --minutes"
                );
                for (id, &was) in lower {
                    if was && !higher[id] {
                        offenders.push(format!(
                            "{category} {id}: covered at {} min, not at {}",
                            THRESHOLDS[i],
                            THRESHOLDS[i + 1]
                        ));
                    }
                }
                assert!(
                    shares[i] <= shares[i + 1],
                    "{category}: covered_share falls from {} to {} between {} and {} min",
                    shares[i],
                    shares[i + 1],
                    THRESHOLDS[i],
                    THRESHOLDS[i + 1]
                );
            }
            assert_none(&offenders, "buildings uncovered by a higher threshold");
        }
    }
}

/// Twice the shoelace area of a ring, positive when counter-clockwise.
fn signed_area2(ring: &[Value]) -> f64 {
    let xy = |p: &Value| (number(&p[0], "lon"), number(&p[1], "lat"));
    let (x0, y0) = xy(&ring[0]);
    ring.windows(2)
        .map(|w| {
            let ((ax, ay), (bx, by)) = (xy(&w[0]), xy(&w[1]));
            (ax - x0) * (by - y0) - (bx - x0) * (ay - y0)
        })
        .sum()
}

/// RFC 7946 problems of one position: more than 7 decimals, lon/lat out of range.
fn position_problems(position: &Value, problems: &mut Vec<String>) {
    let Some([lon, lat]) = position.as_array().map(Vec::as_slice) else {
        problems.push(format!("position {position} is not [lon, lat]"));
        return;
    };
    let (lon, lat) = (number(lon, "lon"), number(lat, "lat"));
    for v in [lon, lat] {
        // Display prints the shortest text that reads back as the same value
        let decimals = format!("{v}").split_once('.').map_or(0, |(_, f)| f.len());
        if decimals > 7 {
            problems.push(format!("{v} has {decimals} decimals"));
        }
    }
    if !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) {
        problems.push(format!("[{lon}, {lat}] is out of range"));
    }
}

/// RFC 7946 problems of one polygon's rings.
fn polygon_problems(rings: &Value, problems: &mut Vec<String>) {
    let rings = rings.as_array().expect("polygon rings");
    if rings.is_empty() {
        problems.push("polygon without rings".into());
    }
    for (i, ring) in rings.iter().enumerate() {
        let ring = ring.as_array().expect("ring positions");
        ring.iter().for_each(|p| position_problems(p, problems));
        if ring.len() < 4 {
            problems.push(format!("ring of {} positions", ring.len()));
            continue;
        }
        if ring.first() != ring.last() {
            problems.push("ring not closed".into());
        }
        let area = signed_area2(ring);
        if i == 0 && area <= 0.0 {
            problems.push(format!(
                "exterior ring not counter-clockwise (area {area:e})"
            ));
        }
        if i > 0 && area >= 0.0 {
            problems.push(format!("hole not clockwise (area {area:e})"));
        }
    }
}

/// RFC 7946 problems of one feature's geometry.
fn geometry_problems(feature: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let geometry = &feature["geometry"];
    if geometry.is_null() {
        return problems;
    }
    let coordinates = &geometry["coordinates"];
    match text(&geometry["type"], "geometry type") {
        "Point" => position_problems(coordinates, &mut problems),
        "Polygon" => polygon_problems(coordinates, &mut problems),
        "MultiPolygon" => coordinates
            .as_array()
            .expect("polygons")
            .iter()
            .for_each(|p| polygon_problems(p, &mut problems)),
        other => problems.push(format!("unexpected geometry type {other}")),
    }
    problems
}

/// All three layers follow RFC 7946: ≤ 7 decimals, lon/lat in range, rings closed with ≥ 4
/// positions, exteriors counter-clockwise and holes clockwise.
#[test]
fn geojson_layers_follow_rfc7946() {
    skip_without!(Job::Liechtenstein(15), Job::Helsinki(15));
    for job in [Job::Liechtenstein(15), Job::Helsinki(15)] {
        let run = run(job);
        for (layer, features) in [
            ("buildings", &run.buildings),
            ("blocks", &run.blocks),
            ("facilities", &run.facilities),
        ] {
            let without_geometry = features.iter().filter(|f| f["geometry"].is_null()).count();
            eprintln!(
                "{job:?} {layer}: {} features, {without_geometry} without geometry",
                features.len()
            );
            let offenders: Vec<String> = features
                .iter()
                .flat_map(|f| {
                    let id = props(f)["osm_id"].clone();
                    let id = if id.is_null() {
                        props(f)["block_id"].clone()
                    } else {
                        id
                    };
                    let id = if id.is_null() {
                        props(f)["id"].clone()
                    } else {
                        id
                    };
                    geometry_problems(f)
                        .into_iter()
                        .map(move |p| format!("{layer} {id}: {p}"))
                })
                .collect();
            assert_none(&offenders, &format!("RFC 7946 problems in {job:?}"));
        }
    }
}

/// Two runs of the same job write byte-identical buildings.geojson and blocks.geojson.
#[test]
fn runs_are_deterministic() {
    skip_without!(Job::Liechtenstein(15), Job::Helsinki(15));
    for job in [Job::Liechtenstein(15), Job::Helsinki(15)] {
        let first = run(job);
        let second = execute(job);
        for name in ["buildings.geojson", "blocks.geojson"] {
            assert!(
                first.file(name) == second.file(name),
                "{job:?}: {name} differs between two runs"
            );
        }
    }
}

/// One row of a reference CSV.
#[derive(Debug, serde::Deserialize)]
struct ReferenceRow {
    osm_id: i64,
    osm_type: String,
    /// `inf` when unreachable.
    minutes: f64,
    /// Metres walked: both snaps and the network (`inf` when unreachable).
    total_m: f64,
    building: String,
    covered: u8,
}

fn read_reference(name: &str) -> HashMap<String, ReferenceRow> {
    let path = common::shared_data(&format!("reference/{name}"), "a reference file")
        .expect("the test checked its reference file");
    let file = std::fs::File::open(path).expect("reference file");
    csv::Reader::from_reader(flate2::read::GzDecoder::new(file))
        .deserialize::<ReferenceRow>()
        .map(|row| {
            let row = row.expect("reference row");
            (format!("{}/{}", row.osm_type, row.osm_id), row)
        })
        .collect()
}

/// How our buildings compare with the reference's.
#[derive(Debug)]
struct Agreement {
    ours: usize,
    reference: usize,
    /// Our buildings found in the reference.
    joined: usize,
    /// Share of joined buildings with the same covered flag.
    covered_agree: f64,
    /// Joined buildings covered by us only / by the reference only.
    covered_ours_only: usize,
    covered_reference_only: usize,
    /// Share of joined buildings whose walks differ by at most the tolerance (or both have
    /// none).
    within_one_minute: f64,
    /// Of buildings with finite walks on both sides differing by more than the tolerance,
    /// the share where ours is shorter.
    shorter_when_differing: f64,
    differing: usize,
    /// Reference buildings we do not list whose building tag is not `yes`.
    reference_only_not_yes: Vec<String>,
    reference_only: usize,
}

/// What a comparison reads: our field's suffix (`minutes`, `meters`), the reference's walk
/// and the tolerance in that unit.
struct Measure {
    field: &'static str,
    of_row: fn(&ReferenceRow) -> f64,
    tolerance: f64,
}

/// Minutes, within one.
const MINUTES: Measure = Measure {
    field: "minutes",
    of_row: |r| r.minutes,
    tolerance: 1.0,
};

fn compare_with_reference(
    run: &Run,
    reference_name: &str,
    category: &str,
    measure: &Measure,
) -> Agreement {
    let rows = read_reference(reference_name);
    let (mut joined, mut agree, mut ours_only, mut ref_only, mut within) = (0, 0, 0, 0, 0);
    let (mut shorter, mut differing) = (0, 0);
    let mut ours = HashSet::new();
    for b in &run.buildings {
        let p = props(b);
        let id = text(&p["osm_id"], "osm_id");
        ours.insert(id);
        let Some(row) = rows.get(id) else { continue };
        joined += 1;
        let covered = p[format!("{category}_covered")] == true;
        let reference_walk = (measure.of_row)(row);
        let reference_covered = match measure.field {
            "minutes" => row.covered == 1,
            _ => reference_walk <= run.job.minutes(),
        };
        match (covered, reference_covered) {
            (a, b) if a == b => agree += 1,
            (true, false) => ours_only += 1,
            _ => ref_only += 1,
        }
        let ours = p[format!("{category}_{}", measure.field)].as_f64();
        match ours {
            None if reference_walk.is_infinite() => within += 1,
            Some(m) if reference_walk.is_finite() => {
                if (m - reference_walk).abs() <= measure.tolerance {
                    within += 1;
                } else {
                    differing += 1;
                    shorter += usize::from(m < reference_walk);
                }
            }
            _ => {}
        }
    }
    let reference_only: Vec<(&String, &ReferenceRow)> = rows
        .iter()
        .filter(|(id, _)| !ours.contains(id.as_str()))
        .collect();
    Agreement {
        ours: run.buildings.len(),
        reference: rows.len(),
        joined,
        covered_agree: agree as f64 / joined as f64,
        covered_ours_only: ours_only,
        covered_reference_only: ref_only,
        within_one_minute: within as f64 / joined as f64,
        shorter_when_differing: shorter as f64 / differing.max(1) as f64,
        differing,
        reference_only_not_yes: reference_only
            .iter()
            .filter(|(_, r)| r.building != "yes")
            .map(|(id, r)| format!("{id} building={}", r.building))
            .collect(),
        reference_only: reference_only.len(),
    }
}

/// Bounds the agreement must meet; measured values minus a modest margin.
struct Bounds {
    covered_agree: f64,
    within_one_minute: f64,
    shorter_when_differing: f64,
}

fn check_against_reference(job: Job, reference_name: &str, bounds: Bounds) {
    check_measure_against_reference(job, reference_name, &MINUTES, bounds);
}

fn check_measure_against_reference(
    job: Job,
    reference_name: &str,
    measure: &Measure,
    bounds: Bounds,
) {
    let run = run(job);
    let a = compare_with_reference(&run, reference_name, "childcare", measure);
    eprintln!(
        "{job:?} vs {reference_name}: {} of our {} buildings joined ({} in the reference, {} only there); \
         covered agreement {:.2} % ({} covered by us only, {} by the reference only); \
         within {} {} {:.2} %; ours shorter in {:.1} % of {} differing by more",
        a.joined,
        a.ours,
        a.reference,
        a.reference_only,
        100.0 * a.covered_agree,
        a.covered_ours_only,
        a.covered_reference_only,
        measure.tolerance,
        measure.field,
        100.0 * a.within_one_minute,
        100.0 * a.shorter_when_differing,
        a.differing
    );
    // we list a subset of the reference's buildings: it keeps every building=yes
    assert!(a.joined as f64 >= 0.99 * a.ours as f64, "{a:?}");
    assert_none(
        &a.reference_only_not_yes,
        "reference-only buildings not tagged building=yes",
    );
    assert!(a.covered_agree >= bounds.covered_agree, "{a:?}");
    assert!(a.within_one_minute >= bounds.within_one_minute, "{a:?}");
    // our extra (cycleway) edges and edge snapping make us shorter, rarely longer
    assert!(
        a.shorter_when_differing >= bounds.shorter_when_differing,
        "{a:?}"
    );
}

/// Liechtenstein/childcare agrees with the independent reference: covered flags in ≥ 97.5 %
/// of buildings (98.48 % measured), minutes within one minute for ≥ 75 % (77.7 %). The
/// reference walks steps at full speed, we at half (issue 7), so where minutes differ by
/// more ours is now as often the longer (steps) as the shorter (cycleways, edge snapping):
/// ≥ 45 % shorter (49.4 %). With steps at full speed it was 87.6 % and 88 %.
#[test]
fn liechtenstein_agrees_with_reference() {
    skip_without!(Job::Liechtenstein(15));
    shared_or_skip!(
        "reference/liechtenstein-2015.childcare.csv.gz",
        "the independent reference's minutes"
    );
    check_against_reference(
        Job::Liechtenstein(15),
        "liechtenstein-2015.childcare.csv.gz",
        Bounds {
            covered_agree: 0.975,
            within_one_minute: 0.75,
            shorter_when_differing: 0.45,
        },
    );
}

/// `--meters`: Liechtenstein/childcare's network distances agree with the reference's
/// `total_m` (both snaps and the network; no speed, so steps cost their length on both
/// sides): covered at 1,000 m in ≥ 97.5 % of buildings (98.42 % measured), within 75 m (a
/// minute at 4.5 km/h) for ≥ 84 % (86.94 %), and where they differ by more, ours shorter in
/// ≥ 85 % (89.6 % of 963: the cycleways we walk and our snapping to edges, not nodes).
#[test]
fn liechtenstein_distances_agree_with_reference() {
    skip_without!(Job::LiechtensteinMeters(1000));
    shared_or_skip!(
        "reference/liechtenstein-2015.childcare.csv.gz",
        "the independent reference's distances"
    );
    let metres = Measure {
        field: "meters",
        of_row: |r| r.total_m,
        tolerance: 75.0,
    };
    check_measure_against_reference(
        Job::LiechtensteinMeters(1000),
        "liechtenstein-2015.childcare.csv.gz",
        &metres,
        Bounds {
            covered_agree: 0.975,
            within_one_minute: 0.84,
            shorter_when_differing: 0.85,
        },
    );
}

/// Kymenlaakso/childcare agrees with the reference within the margins its many
/// `highway=cycleway` paths explain (we walk them, the reference does not): covered flags in
/// ≥ 74 % of buildings (77.4 % measured; 96.3 % with cycleways removed), minutes within one
/// minute for ≥ 28 % (31.0 %; 85.1 % without cycleways), and ours shorter in ≥ 94 % (97.5 %)
/// of the larger differences.
#[test]
fn kymenlaakso_agrees_with_reference() {
    skip_without!(Job::Kymenlaakso);
    shared_or_skip!(
        "reference/kymenlaakso-small.childcare.csv.gz",
        "the independent reference's minutes"
    );
    check_against_reference(
        Job::Kymenlaakso,
        "kymenlaakso-small.childcare.csv.gz",
        Bounds {
            covered_agree: 0.74,
            within_one_minute: 0.28,
            shorter_when_differing: 0.94,
        },
    );
}

//! `fifteen batch`: manifests, failure isolation, run manifests and skipping, `--jobs`,
//! `--shard` across processes, and a killed run.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use serde_json::Value;
use sha2::{Digest, Sha256};

const BIN: &str = env!("CARGO_BIN_EXE_fifteen");

fn sample_town() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data/sample-town.osm.pbf")
}

fn batch(manifest: &Path, flags: &[&str]) -> Output {
    Command::new(BIN)
        .arg("batch")
        .arg(manifest)
        .args(flags)
        .output()
        .expect("fifteen runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn run_json(out: &Path) -> Value {
    let path = out.join("run.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("run.json is JSON")
}

fn sha256(path: &Path) -> String {
    let bytes = std::fs::read(path).expect("readable");
    Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `name: status` from a batch's stdout.
fn statuses(stdout: &str) -> BTreeMap<String, String> {
    stdout
        .lines()
        .filter(|l| !l.starts_with("batch ("))
        .filter_map(|l| l.split_once(": "))
        .map(|(name, rest)| {
            let status = rest.split([' ', ':']).next().unwrap_or("").to_string();
            (name.to_string(), status)
        })
        .collect()
}

fn write_manifest(dir: &Path, body: &str) -> PathBuf {
    let path = dir.join("jobs.toml");
    std::fs::write(&path, body).expect("writable");
    path
}

#[test]
fn failures_are_isolated_and_unchanged_jobs_are_skipped() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("corrupt.osm.pbf"), b"not a pbf at all").expect("write");
    let manifest = write_manifest(
        dir.path(),
        &format!(
            r#"
[defaults]
categories = ["childcare"]

[[job]]
name = "town-15"
input = "{town}"
out = "out/town-15"

[[job]]
name = "missing-input"
input = "nowhere.osm.pbf"
out = "out/missing"

[[job]]
name = "town-bands"
input = "{town}"
out = "out/town-bands"
minutes = [5, 10, 15]
speed_kmh = 4.0

[[job]]
name = "corrupt"
input = "corrupt.osm.pbf"
out = "out/corrupt"

[[job]]
name = "typo"
input = "{town}"
out = "out/typo"
minuets = 10

[[job]]
name = "bad-value"
input = "{town}"
out = "out/bad-value"
minutes = [-5]

[[job]]
name = "town-park"
input = "{town}"
out = "out/town-park"
categories = ["park", "grocery"]
"#,
            town = sample_town().display()
        ),
    );
    let first = batch(&manifest, &["--plain"]);
    let stdout = text(&first.stdout);
    let stderr = text(&first.stderr);
    assert_eq!(first.status.code(), Some(1), "{stdout}\n{stderr}");
    let s = statuses(&stdout);
    for good in ["town-15", "town-bands", "town-park"] {
        assert_eq!(s[good], "done", "{good}: {stdout}\n{stderr}");
    }
    for bad in ["missing-input", "corrupt", "typo", "bad-value"] {
        assert_eq!(s[bad], "FAILED", "{bad}: {stdout}");
    }
    assert!(stdout.contains("nowhere.osm.pbf"), "{stdout}");
    assert!(stdout.contains("corrupt.osm.pbf"), "{stdout}");
    assert!(stdout.contains("unknown option `minuets`"), "{stdout}");
    assert!(
        stdout.contains("--minutes must be a positive number"),
        "{stdout}"
    );
    assert!(stdout.contains("3 done, 0 skipped, 4 failed"), "{stdout}");
    // Plain progress: one line per stage and job on stderr.
    assert!(stderr.contains("fifteen: [town-bands] route"), "{stderr}");
    assert!(!dir.path().join("out/corrupt/summary.json").exists());

    // The run manifest: tool, input hash, options, resolved parameters.
    let out = dir.path().join("out/town-bands");
    let run = run_json(&out);
    assert_eq!(run["job"], "town-bands");
    assert_eq!(
        run["fingerprint"]["tool"]["version"],
        env!("CARGO_PKG_VERSION")
    );
    assert_eq!(
        run["fingerprint"]["files"]["input"]["sha256"],
        sha256(&sample_town())
    );
    assert_eq!(run["input"]["sha256"], sha256(&sample_town()));
    assert_eq!(run["options"]["minutes"], serde_json::json!([5, 10, 15]));
    assert_eq!(run["parameters"]["speed_kmh"], 4.0);
    assert_eq!(
        run["parameters"]["minutes"],
        serde_json::json!([5.0, 10.0, 15.0])
    );
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).expect("summary"))
            .expect("json");
    assert!(summary["peak_memory_mib"].as_f64().is_some_and(|m| m > 0.0));

    // Same batch again: good jobs skipped, bad ones still fail.
    let modified = std::fs::metadata(out.join("summary.json"))
        .and_then(|m| m.modified())
        .expect("mtime");
    let second = batch(&manifest, &["--plain"]);
    let stdout = text(&second.stdout);
    assert_eq!(second.status.code(), Some(1));
    let s = statuses(&stdout);
    for good in ["town-15", "town-bands", "town-park"] {
        assert_eq!(s[good], "skipped", "{good}: {stdout}");
    }
    assert_eq!(s["corrupt"], "FAILED");
    assert_eq!(
        std::fs::metadata(out.join("summary.json"))
            .and_then(|m| m.modified())
            .expect("mtime"),
        modified,
        "a skipped job leaves its outputs alone"
    );

    // A changed parameter reruns that job only; --force reruns all.
    let changed = std::fs::read_to_string(&manifest)
        .expect("manifest")
        .replace("speed_kmh = 4.0", "speed_kmh = 3.5");
    std::fs::write(&manifest, changed).expect("write");
    let third = batch(&manifest, &["--quiet"]);
    let s = statuses(&text(&third.stdout));
    assert_eq!(s["town-bands"], "done");
    assert_eq!(s["town-15"], "skipped");
    assert_eq!(s["town-park"], "skipped");
    assert_eq!(run_json(&out)["parameters"]["speed_kmh"], 3.5);
    let forced = batch(&manifest, &["--quiet", "--force", "--jobs", "2"]);
    let s = statuses(&text(&forced.stdout));
    for good in ["town-15", "town-bands", "town-park"] {
        assert_eq!(s[good], "done", "{good}");
    }
    assert_eq!(forced.status.code(), Some(1));
}

/// Elevation tiles are inputs too: a job reruns when a tile it read changes or a tile it
/// lacked appears, and is skipped otherwise.
#[test]
fn changed_or_new_elevation_tiles_rerun_the_job() {
    let dir = tempfile::tempdir().expect("temp dir");
    let tiles = dir.path().join("tiles");
    std::fs::create_dir(&tiles).expect("mkdir");
    let manifest = write_manifest(
        dir.path(),
        &format!(
            r#"
[[job]]
name = "hills"
input = "{town}"
out = "out/hills"
categories = ["childcare"]
elevation = "tiles"
"#,
            town = sample_town().display()
        ),
    );
    let status = |label: &str| {
        let out = batch(&manifest, &["--plain"]);
        let stdout = text(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{label}: {stdout}\n{}",
            text(&out.stderr)
        );
        statuses(&stdout)["hills"].clone()
    };
    assert_eq!(status("first run, no tile"), "done");
    assert_eq!(status("nothing changed"), "skipped");
    let out = dir.path().join("out/hills");
    let missing = run_json(&out)["elevation"]["missing"][0]
        .as_str()
        .expect("the town's tile is recorded as missing")
        .to_string();

    // the missing tile appears: a flat 3″ tile (1201 × 1201 heights of 0 m)
    let tile = tiles.join(format!("{missing}.hgt"));
    let mut heights = vec![0u8; 2 * 1201 * 1201];
    std::fs::write(&tile, &heights).expect("write tile");
    assert_eq!(status("a missing tile appeared"), "done");
    let recorded = run_json(&out)["elevation"]["tiles"][format!("{missing}.hgt")].clone();
    assert_eq!(recorded, Value::from(sha256(&tile)));
    // recorded as the run read it (summary.json), not hashed again after the run
    let summary: Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("summary.json")).expect("summary.json"),
    )
    .expect("summary parses");
    assert_eq!(
        summary["elevation"]["tiles_sha256"],
        run_json(&out)["elevation"]["tiles"]
    );
    assert_eq!(status("nothing changed"), "skipped");

    // the tile read is changed: one height becomes 1 m
    heights[1] = 1;
    std::fs::write(&tile, &heights).expect("write tile");
    assert_eq!(status("a tile read changed"), "done");
    assert_eq!(status("nothing changed"), "skipped");

    // read as .hgt.zip, then a .hgt of the same tile appears, which a run picks first
    std::fs::remove_file(&tile).expect("remove tile");
    let zipped = tiles.join(format!("{missing}.hgt.zip"));
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&zipped).expect("create zip"));
    zip.start_file(
        format!("{missing}.hgt"),
        zip::write::SimpleFileOptions::default(),
    )
    .expect("zip entry");
    std::io::Write::write_all(&mut zip, &heights).expect("zip data");
    zip.finish().expect("zip written");
    assert_eq!(status("the tile is now zipped"), "done");
    assert_eq!(status("nothing changed"), "skipped");
    std::fs::write(&tile, &heights).expect("write tile");
    assert_eq!(status("a .hgt appeared beside the .hgt.zip read"), "done");
    assert_eq!(
        run_json(&out)["elevation"]["tiles"]
            .as_object()
            .expect("tiles")
            .keys()
            .collect::<Vec<_>>(),
        [&format!("{missing}.hgt")]
    );
}

#[test]
fn jobs_side_by_side_give_the_same_results() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut body =
        String::from("[defaults]\ncategories = [\"childcare\"]\nminutes = [5, 10, 15]\n");
    for (i, speed) in [3.0, 4.5, 5.0, 6.0].iter().enumerate() {
        body.push_str(&format!(
            "[[job]]\nname = \"j{i}\"\ninput = \"{}\"\nout = \"out/j{i}\"\nspeed_kmh = {speed:?}\n",
            sample_town().display()
        ));
    }
    let manifest = write_manifest(dir.path(), &body);
    let one = batch(&manifest, &["--quiet"]);
    assert_eq!(one.status.code(), Some(0), "{}", text(&one.stderr));
    let results = |dir: &Path| -> Vec<Value> {
        (0..4)
            .map(|i| run_json(&dir.join(format!("out/j{i}")))["result"].clone())
            .collect()
    };
    let sequential = results(dir.path());
    let two = batch(&manifest, &["--quiet", "--force", "--jobs", "2"]);
    assert_eq!(two.status.code(), Some(0), "{}", text(&two.stderr));
    assert_eq!(results(dir.path()), sequential);
    // Slower walking covers fewer residents.
    let share = |v: &Value| -> f64 {
        let line = v[0].as_str().expect("a line");
        line.split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .expect("a share")
    };
    assert!(
        share(&sequential[0]) < share(&sequential[3]),
        "{sequential:?}"
    );
}

#[test]
fn shard_processes_together_run_every_job_exactly_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    // (name, input, extra options)
    let mut jobs: Vec<(String, PathBuf, String)> = Vec::new();
    for (i, minutes) in ["5", "10", "15", "20", "[5, 15]", "[10, 20, 30]", "8"]
        .iter()
        .enumerate()
    {
        jobs.push((
            format!("town-{i}"),
            sample_town(),
            format!("minutes = {minutes}"),
        ));
    }
    for (name, category) in [
        ("kymenlaakso-small.osm.pbf", "childcare"),
        ("helsinki-center.osm.pbf", "healthcare"),
    ] {
        if let Some(input) = common::shared_or_less(
            &format!("osm/{name}"),
            "real jobs among the sample-town ones",
            &format!("batch: the shard test without {name}"),
        ) {
            jobs.push((
                name.replace(".osm.pbf", ""),
                input,
                format!("categories = [\"{category}\"]"),
            ));
        }
    }
    let mut body = String::from("[defaults]\ncategories = [\"childcare\"]\n");
    for (name, input, extra) in &jobs {
        body.push_str(&format!(
            "[[job]]\nname = \"{name}\"\ninput = \"{}\"\nout = \"out/{name}\"\n{extra}\n",
            input.display()
        ));
    }
    let manifest = write_manifest(dir.path(), &body);
    let n = 3;
    let children: Vec<_> = (1..=n)
        .map(|i| {
            Command::new(BIN)
                .arg("batch")
                .arg(&manifest)
                .arg("--shard")
                .arg(format!("{i}/{n}"))
                .arg("--plain")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawns")
        })
        .collect();
    let outputs: Vec<Output> = children
        .into_iter()
        .map(|c| c.wait_with_output().expect("finishes"))
        .collect();
    let mut done_by: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, out) in outputs.iter().enumerate() {
        let stdout = text(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "shard {}: {stdout}{}",
            i + 1,
            text(&out.stderr)
        );
        assert!(stdout.contains(&format!("shard {}/{n}", i + 1)), "{stdout}");
        for (name, status) in statuses(&stdout) {
            assert_eq!(status, "done", "{name} in shard {}", i + 1);
            done_by.entry(name).or_default().push(i + 1);
        }
    }
    assert_eq!(done_by.len(), jobs.len(), "{done_by:?}");
    for (index, (name, _, _)) in jobs.iter().enumerate() {
        let shards = &done_by[name];
        assert_eq!(shards.len(), 1, "{name} ran in shards {shards:?}");
        assert_eq!(
            shards[0],
            index % n + 1,
            "{name}: job i belongs to shard i % N + 1"
        );
        let out = dir.path().join("out").join(name);
        let run = run_json(&out);
        assert_eq!(run["shard"], format!("{}/{n}", shards[0]));
        assert!(out.join("summary.json").is_file());
    }
    // No folder beyond the jobs' own, and every shard skips everything on a rerun.
    assert_eq!(
        std::fs::read_dir(dir.path().join("out"))
            .expect("out")
            .count(),
        jobs.len()
    );
    for i in 1..=n {
        let again = batch(&manifest, &["--shard", &format!("{i}/{n}"), "--quiet"]);
        for (name, status) in statuses(&text(&again.stdout)) {
            assert_eq!(status, "skipped", "{name}");
        }
    }
}

#[test]
fn list_shows_each_shards_jobs() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut body = String::from("[defaults]\ncategory = \"childcare\"\n");
    for i in 0..5 {
        body.push_str(&format!(
            "[[job]]\nname = \"j{i}\"\ninput = \"in{i}.osm.pbf\"\nout = \"o{i}\"\n"
        ));
    }
    let manifest = write_manifest(dir.path(), &body);
    let listed = batch(&manifest, &["--list", "--shard", "2/2"]);
    assert_eq!(listed.status.code(), Some(0));
    let stdout = text(&listed.stdout);
    let names: Vec<&str> = stdout
        .lines()
        .map(|l| l.split('\t').nth(1).expect("name column"))
        .collect();
    assert_eq!(names, ["j1", "j3"]);
    assert!(stdout.contains("--category=childcare"), "{stdout}");
    for bad in ["0/2", "3/2", "1/0", "one/two"] {
        let out = batch(&manifest, &["--shard", bad]);
        assert_eq!(out.status.code(), Some(2), "{bad}");
    }
    let dup = write_manifest(
        dir.path(),
        "[[job]]\nname = \"a\"\ninput = \"x\"\nout = \"o\"\n[[job]]\nname = \"a\"\ninput = \"y\"\nout = \"p\"\n",
    );
    let out = batch(&dup, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("both named"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_killed_run_leaves_earlier_outputs_intact() {
    let input = common::shared_or_less(
        "osm/liechtenstein-2015.osm.pbf",
        "a run long enough to be killed midway",
        "batch: the killed-run test on the sample town",
    )
    .unwrap_or_else(sample_town);
    let dir = tempfile::tempdir().expect("temp dir");
    let manifest = write_manifest(
        dir.path(),
        &format!(
            "[[job]]\nname = \"li\"\ninput = \"{}\"\nout = \"out\"\ncategories = [\"childcare\"]\n",
            input.display()
        ),
    );
    let first = batch(&manifest, &["--quiet"]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    let out = dir.path().join("out");
    let files = |out: &Path| -> BTreeMap<String, Vec<u8>> {
        std::fs::read_dir(out)
            .expect("out")
            .map(|e| e.expect("entry").path())
            .filter(|p| {
                !p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            })
            .map(|p| {
                (
                    p.file_name().expect("name").to_string_lossy().into_owned(),
                    std::fs::read(&p).expect("readable"),
                )
            })
            .collect()
    };
    let before = files(&out);
    assert!(before.contains_key("run.json") && before.contains_key("summary.json"));
    for delay_ms in [50, 150, 300] {
        let mut child = Command::new(BIN)
            .arg("batch")
            .arg(&manifest)
            .args(["--force", "--quiet"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawns");
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
        let after = files(&out);
        assert_eq!(
            after.keys().collect::<Vec<_>>(),
            before.keys().collect::<Vec<_>>(),
            "killed after {delay_ms} ms"
        );
        for (name, bytes) in &after {
            if name.ends_with(".json") || name.ends_with(".geojson") {
                serde_json::from_slice::<Value>(bytes)
                    .unwrap_or_else(|e| panic!("{name} after a kill at {delay_ms} ms: {e}"));
            }
        }
    }
    // And the next batch finishes the job (or finds it finished).
    let again = batch(&manifest, &["--quiet"]);
    assert_eq!(again.status.code(), Some(0));
}

/// A `site` job in a manifest (`command = "site"`, with `site`'s own keys) writes exactly
/// what `fifteen site` writes with the same flags, and is skipped when run again.
#[test]
fn a_site_job_equals_the_site_command() {
    let dir = tempfile::tempdir().expect("temp dir");
    let manifest = write_manifest(
        dir.path(),
        &format!(
            r#"
[[job]]
name = "town-sites"
command = "site"
input = "{town}"
out = "out/sites"
category = "childcare"
add = 2
candidates = ["grid", "public-buildings"]
spacing_m = 150
threads = 1
"#,
            town = sample_town().display()
        ),
    );
    let first = batch(&manifest, &["--plain"]);
    let stdout = text(&first.stdout);
    assert_eq!(
        first.status.code(),
        Some(0),
        "{stdout}\n{}",
        text(&first.stderr)
    );
    assert_eq!(statuses(&stdout)["town-sites"], "done", "{stdout}");
    assert!(stdout.contains("after 2 new site(s)"), "{stdout}");
    let by_batch = dir.path().join("out/sites");
    assert_eq!(run_json(&by_batch)["command"], "site");

    let by_command = dir.path().join("cli");
    let cli = Command::new(BIN)
        .args(["site"])
        .arg(sample_town())
        .args(["--out"])
        .arg(&by_command)
        .args([
            "--category",
            "childcare",
            "--add",
            "2",
            "--candidates",
            "grid",
        ])
        .args([
            "--candidates",
            "public-buildings",
            "--spacing-m",
            "150",
            "--threads",
            "1",
        ])
        .args(["--quiet"])
        .output()
        .expect("fifteen runs");
    assert!(cli.status.success(), "{}", text(&cli.stderr));
    for file in [
        "sites.geojson",
        "candidates.geojson",
        "coverage_curve.csv",
        "after/buildings.geojson",
        "after/indicators.csv",
    ] {
        assert_eq!(
            sha256(&by_batch.join(file)),
            sha256(&by_command.join(file)),
            "{file}"
        );
    }
    let second = batch(&manifest, &["--quiet"]);
    assert_eq!(statuses(&text(&second.stdout))["town-sites"], "skipped");
}

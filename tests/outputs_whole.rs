//! Output folders swapped whole (issue 19): a run killed at any point leaves the whole old set
//! or the whole new one and the next run clears what it left; two runs on one folder do not
//! interleave; a batch killed midway redoes only unfinished jobs; a full disk exits 1 with the
//! earlier result intact. All with the real binary.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_fifteen");

fn run(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().expect("fifteen runs")
}

fn ok(args: &[&str]) {
    let out = run(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs `coverage` on the sample town for childcare into `out`, and insists it succeeds.
fn town_childcare_into(out: &str) {
    let town = common::sample_town();
    let town = town.to_str().expect("utf-8");
    ok(&[
        "coverage",
        town,
        "--category",
        "childcare",
        "--quiet",
        "-o",
        out,
    ]);
}

/// Every file under `dir` (hidden ones too), by path relative to it, with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).expect("readable folder") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).expect("inside");
                out.insert(
                    rel.to_string_lossy().into_owned(),
                    std::fs::read(&path).expect("readable"),
                );
            }
        }
    }
    let mut out = BTreeMap::new();
    if dir.is_dir() {
        walk(dir, dir, &mut out);
    }
    out
}

/// A summary less what changes from run to run (timings, memory, threads).
fn steady(v: Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(k, _)| !matches!(k.as_str(), "timings_s" | "peak_memory_mib" | "threads"))
                .map(|(k, x)| (k, steady(x)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(steady).collect()),
        v => v,
    }
}

/// Whether two snapshots are the same output set: the same files, byte-identical except
/// the timings in `summary.json`.
fn same_set(a: &BTreeMap<String, Vec<u8>>, b: &BTreeMap<String, Vec<u8>>) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|((na, xa), (nb, xb))| {
            na == nb
                && (xa == xb
                    || (na.ends_with("summary.json")
                        && serde_json::from_slice(xa).map(steady).ok()
                            == serde_json::from_slice(xb).map(steady).ok()))
        })
}

/// What runs on `out` may leave: `.out.*` beside it (staging, old, lock) and hidden
/// temporary files inside it.
fn leftovers(out: &Path) -> Vec<String> {
    let name = out
        .file_name()
        .expect("named")
        .to_string_lossy()
        .into_owned();
    let beside = std::fs::read_dir(out.parent().expect("parent"))
        .expect("readable")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(&format!(".{name}.")));
    let inside = snapshot(out)
        .into_keys()
        .filter(|k| k.rsplit('/').next().is_some_and(|n| n.starts_with('.')));
    beside.chain(inside).collect()
}

/// A PID no process has now.
fn dead_pid() -> u32 {
    let mut child = Command::new("true").spawn().expect("true runs");
    let pid = child.id();
    child.wait().expect("waited");
    pid
}

/// The sample town tiled 3x3, so that a run lasts long enough to be killed in its write stage.
fn town9(dir: &Path) -> PathBuf {
    let path = dir.join("town9.osm.pbf");
    let town = common::sample_town();
    ok(&[
        "tile",
        town.to_str().expect("utf-8"),
        "--grid",
        "3x3",
        "-o",
        path.to_str().expect("utf-8"),
    ]);
    path
}

#[test]
fn sigkill_at_any_point_leaves_the_old_set_or_the_new_one_and_the_next_run_clears_up() {
    let dir = tempfile::tempdir().expect("temp dir");
    let input = town9(dir.path());
    let input = input.to_str().expect("utf-8");
    let out = dir.path().join("out");
    let reference = dir.path().join("reference");
    let old_args = |o: &Path| {
        let o = o.to_str().expect("utf-8").to_string();
        vec![
            "coverage".into(),
            input.to_string(),
            "--category".into(),
            "childcare".into(),
            "--quiet".into(),
            "-o".into(),
            o,
        ]
    };
    let new_args = |o: &Path| {
        let o = o.to_str().expect("utf-8").to_string();
        vec![
            "coverage".into(),
            input.to_string(),
            "--category".into(),
            "park".into(),
            "--profile".into(),
            "adult".into(),
            "--profile".into(),
            "stroller".into(),
            "--quiet".into(),
            "-o".into(),
            o,
        ]
    };
    let strs = |v: &[String]| {
        v.iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join("\u{0}")
    };
    let go = |v: Vec<String>| ok(&strs(&v).split('\u{0}').collect::<Vec<_>>());

    let started = Instant::now();
    go(new_args(&reference));
    let run_time = started.elapsed();
    let new_set = snapshot(&reference);

    go(old_args(&out));
    // what an earlier version, killed, left: a temporary file of a dead process
    let litter = out.join(format!(".buildings.geojson.tmp-{}", dead_pid()));
    std::fs::write(&litter, b"half a layer").expect("write");
    let mut current = snapshot(&out);

    let kills = 20;
    let (mut old_seen, mut new_seen, mut left, mut staged) = (0, 0, 0, 0);
    for i in 0..kills {
        // spread over the run and a little past its usual end
        let delay = run_time.mul_f64(1.2 * f64::from(i) / f64::from(kills - 1));
        let mut child = Command::new(BIN)
            .args(new_args(&out))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("fifteen starts");
        std::thread::sleep(delay);
        child.kill().ok(); // SIGKILL; an error means it had finished
        child.wait().expect("waited");

        let now = snapshot(&out);
        // a dead process's temporary file may go as soon as the killed run held the lock
        let clean = |set: &BTreeMap<String, Vec<u8>>| {
            let mut set = set.clone();
            set.retain(|k, _| !k.contains(".tmp-"));
            set
        };
        if clean(&now) == clean(&current) {
            old_seen += 1;
        } else {
            // the new set, with the files of the old folder it does not write carried over
            let mut expected = current.clone();
            expected.retain(|k, _| !k.contains(".tmp-"));
            expected.extend(new_set.clone());
            assert!(
                same_set(&now, &expected),
                "kill {i} after {delay:?}: the folder holds neither the old set nor the new one: {:?}",
                now.keys().collect::<Vec<_>>()
            );
            new_seen += 1;
        }
        let litter = leftovers(&out);
        left += usize::from(!litter.is_empty());
        // killed in the write stage: a staging folder was being filled
        staged += usize::from(litter.iter().any(|n| n.contains(".staging-")));
        // the old set again, for the next kill; this run also clears what the kill left
        go(old_args(&out));
        current = snapshot(&out);
        assert!(
            leftovers(&out).is_empty(),
            "after kill {i}: {:?}",
            leftovers(&out)
        );
    }
    eprintln!(
        "{kills} kills over {run_time:?}: {old_seen} left the old set, {new_seen} the new one; \
         {left} left a lock, staging or temporary files ({staged} in the write stage, with a \
         staging folder), all removed by the next run"
    );
    assert!(
        !litter.exists(),
        "the dead process's temporary file is removed"
    );
    assert!(old_seen > 0, "some kills came before the swap");

    go(new_args(&out));
    let mut expected = current.clone();
    expected.extend(new_set.clone());
    assert!(same_set(&snapshot(&out), &expected));
    assert!(leftovers(&out).is_empty(), "{:?}", leftovers(&out));
}

#[test]
fn a_swap_cut_between_its_renames_is_undone_by_the_next_run() {
    let dir = tempfile::tempdir().expect("temp dir");
    let town = common::sample_town();
    let town = town.to_str().expect("utf-8");
    let out = dir.path().join("out");
    let o = out.to_str().expect("utf-8");
    town_childcare_into(o);
    std::fs::write(out.join("notes.txt"), b"the planner's own notes").expect("write");
    let old = snapshot(&out);

    // Where the filesystem cannot exchange two folders, the swap is two renames; a kill
    // between them leaves the old set beside the target and the new one staged.
    let pid = dead_pid();
    std::fs::rename(&out, dir.path().join(format!(".out.old-{pid}"))).expect("rename");
    let staged = dir.path().join(format!(".out.staging-{pid}"));
    std::fs::create_dir(&staged).expect("mkdir");
    std::fs::write(staged.join("summary.json"), b"{}").expect("write");

    // A run that fails before writing (a corrupt extract) still puts the old set back first.
    let corrupt = dir.path().join("corrupt.osm.pbf");
    std::fs::write(&corrupt, b"not a pbf at all").expect("write");
    let corrupt = corrupt.to_str().expect("utf-8");
    let failed = run(&["coverage", corrupt, "--category", "childcare", "-o", o]);
    assert_eq!(
        failed.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&failed.stderr)
    );
    assert!(snapshot(&out) == old, "the old set is back");
    assert!(leftovers(&out).is_empty(), "{:?}", leftovers(&out));

    // A good run replaces the set and keeps the file the tool did not write.
    ok(&["coverage", town, "--category", "park", "--quiet", "-o", o]);
    assert_eq!(
        std::fs::read(out.join("notes.txt")).expect("notes kept"),
        b"the planner's own notes"
    );
    assert!(leftovers(&out).is_empty(), "{:?}", leftovers(&out));
}

#[test]
fn a_second_run_on_the_same_folder_fails_at_once_naming_the_first() {
    let dir = tempfile::tempdir().expect("temp dir");
    let input = town9(dir.path());
    let input = input.to_str().expect("utf-8");
    let out = dir.path().join("out");
    let o = out.to_str().expect("utf-8");
    let lock = dir.path().join(".out.lock");
    let args = ["coverage", input, "--category", "park", "--quiet", "-o", o];
    for attempt in 0..10 {
        let mut first = Command::new(BIN)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("fifteen starts");
        let waited = Instant::now();
        // the holder writes its PID once it holds the lock; the file exists a moment before
        let held = || std::fs::read(&lock).is_ok_and(|pid| !pid.is_empty());
        while !held() && waited.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(1));
        }
        let started = Instant::now();
        let second = run(&args);
        let took = started.elapsed();
        let first_status = first.wait().expect("waited");
        assert!(first_status.success(), "the first run is not disturbed");
        if second.status.success() {
            eprintln!("attempt {attempt}: the first run had finished; again");
            continue;
        }
        let stderr = String::from_utf8_lossy(&second.stderr);
        assert_eq!(second.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(o), "names the folder: {stderr}");
        assert!(
            stderr.contains(&format!("process {}", first.id())),
            "names the other process: {stderr}"
        );
        assert!(
            took < Duration::from_secs(2),
            "fails at once, not after {took:?}"
        );
        assert!(leftovers(&out).is_empty(), "{:?}", leftovers(&out));
        return;
    }
    panic!("the first run never held the folder when the second started");
}

#[test]
fn a_batch_killed_midway_redoes_the_unfinished_jobs_and_skips_the_finished() {
    let dir = tempfile::tempdir().expect("temp dir");
    let town = common::sample_town();
    let names = ["a", "b", "c", "d", "e", "f"];
    let body: String = names
        .iter()
        .map(|n| {
            format!(
                "[[job]]\nname = \"{n}\"\ninput = \"{}\"\nout = \"out/{n}\"\ncategories = [\"childcare\"]\n\n",
                town.display()
            )
        })
        .collect();
    let manifest = dir.path().join("jobs.toml");
    std::fs::write(&manifest, body).expect("write");
    let m = manifest.to_str().expect("utf-8");

    // kill once the second job's run.json is there
    let mut batch = Command::new(BIN)
        .args(["batch", m, "--quiet"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("fifteen starts");
    let marker = dir.path().join("out/b/run.json");
    let waited = Instant::now();
    while !marker.exists() && waited.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(1));
    }
    batch.kill().ok();
    batch.wait().expect("waited");
    let finished: Vec<&str> = (names.iter().copied())
        .filter(|n| dir.path().join(format!("out/{n}/run.json")).exists())
        .collect();
    assert!(finished.len() < names.len(), "killed before the end");
    for n in &finished {
        let set = snapshot(&dir.path().join(format!("out/{n}")));
        for file in common::OUTPUT_FILES {
            assert!(set.contains_key(file), "{n}: run.json without {file}");
        }
    }

    let again = run(&["batch", m]);
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    let stdout = String::from_utf8_lossy(&again.stdout);
    for n in names {
        let status = stdout
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{n}: ")))
            .unwrap_or_else(|| panic!("{n} reported: {stdout}"));
        let expected = if finished.contains(&n) {
            "skipped"
        } else {
            "done"
        };
        assert!(status.starts_with(expected), "{n}: {status}; {stdout}");
        assert!(dir.path().join(format!("out/{n}/run.json")).exists());
        assert!(leftovers(&dir.path().join(format!("out/{n}"))).is_empty());
    }
    eprintln!(
        "killed with {} of {} jobs finished; the rerun skipped those and did the rest",
        finished.len(),
        names.len()
    );
}

/// Set to `1` (`.ci/run` does, as root) to make the full-disk test fail rather than skip
/// where a tmpfs cannot be mounted.
const REQUIRE_TMPFS: &str = "FIFTEEN_REQUIRE_TMPFS";

/// A 2 MiB tmpfs, unmounted when dropped.
struct SmallDisk(PathBuf);

impl SmallDisk {
    fn mount(at: &Path) -> Result<SmallDisk, String> {
        std::fs::create_dir_all(at).map_err(|e| e.to_string())?;
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=2m", "tmpfs"])
            .arg(at)
            .output()
            .map_err(|e| format!("mount: {e}"))?;
        if out.status.success() {
            Ok(SmallDisk(at.to_path_buf()))
        } else {
            Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
        }
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// A small tmpfs at `path`, or `None` after saying why the test skips (an error instead
/// under `FIFTEEN_REQUIRE_TMPFS=1`).
fn small_disk_or_skip(path: &Path) -> Option<SmallDisk> {
    match SmallDisk::mount(path) {
        Ok(disk) => Some(disk),
        Err(why) => {
            assert!(
                std::env::var(REQUIRE_TMPFS).as_deref() != Ok("1"),
                "{REQUIRE_TMPFS}=1 but a tmpfs cannot be mounted: {why}"
            );
            eprintln!("skipped: a small tmpfs cannot be mounted here ({why}); needs root");
            None
        }
    }
}

#[test]
fn a_full_disk_exits_1_and_keeps_the_earlier_result() {
    let dir = tempfile::tempdir().expect("temp dir");
    let Some(disk) = small_disk_or_skip(&dir.path().join("disk")) else {
        return;
    };
    let town = common::sample_town();
    let town = town.to_str().expect("utf-8");
    let out = disk.0.join("out");
    let o = out.to_str().expect("utf-8");
    // about 0.6 MB: fits
    town_childcare_into(o);
    let old = snapshot(&out);
    // about 1.7 MB more while the old set is there: does not
    let full = run(&[
        "coverage",
        town,
        "--category",
        "childcare",
        "--category",
        "park",
        "--profile",
        "adult",
        "--profile",
        "stroller",
        "--quiet",
        "-o",
        o,
    ]);
    let stderr = String::from_utf8_lossy(&full.stderr);
    assert_eq!(full.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("the disk is full"), "{stderr}");
    assert_eq!(snapshot(&out), old, "the earlier result is intact");
    assert!(leftovers(&out).is_empty(), "{:?}", leftovers(&out));
    eprintln!("full disk: exit 1, {}", stderr.trim());
}

/// An output folder that is a mount point (a container's volume) cannot be renamed: the run
/// stages inside it and moves the files in, and still leaves nothing behind.
#[test]
fn an_output_folder_that_is_a_mount_point_is_written_in_place() {
    let dir = tempfile::tempdir().expect("temp dir");
    let Some(disk) = small_disk_or_skip(&dir.path().join("volume")) else {
        return;
    };
    let town = common::sample_town();
    let town = town.to_str().expect("utf-8");
    let o = disk.0.to_str().expect("utf-8");
    town_childcare_into(o);
    std::fs::write(disk.0.join("notes.txt"), b"kept").expect("write");
    ok(&["coverage", town, "--category", "park", "--quiet", "-o", o]);
    let set = snapshot(&disk.0);
    assert!(set.contains_key("map_park.png") && set.contains_key("notes.txt"));
    let hidden: Vec<_> = set.keys().filter(|k| k.starts_with('.')).collect();
    assert!(hidden.is_empty(), "{hidden:?}");
}

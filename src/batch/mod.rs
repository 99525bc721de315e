//! `fifteen batch`: many `coverage` and `site` jobs from one TOML manifest.
//!
//! A manifest lists jobs as `[[job]]` tables (`name`, `input`, `out` and any option of the
//! job's command), optionally after a `[defaults]` table that every job starts from:
//!
//! ```toml
//! [defaults]
//! categories = ["childcare"]
//! minutes = [5, 10, 15]
//!
//! [[job]]
//! name = "vaduz"
//! input = "extracts/liechtenstein.osm.pbf"
//! out = "out/vaduz"
//!
//! [[job]]
//! name = "vaduz-sites"
//! command = "site"
//! input = "extracts/liechtenstein.osm.pbf"
//! out = "out/vaduz-sites"
//! add = 3
//! ```
//!
//! Relative paths are taken from the manifest's folder. Option keys are the flags with `_`
//! for `-` (or the options' field names, e.g. `categories` for `--category`), read into the
//! same raw options clap fills and resolved by the same code as the command ([`manifest`]).
//!
//! Each finished job leaves [`RUN_MANIFEST`] (`run.json`) in its output folder: the tool
//! version, the SHA-256 of every input file, the job's options, the resolved configuration
//! and the fingerprint that keys the cache: a versioned SHA-256 of the canonical serialized
//! configuration and the input files' hashes. A later batch skips a job whose fingerprint is
//! unchanged and whose outputs are there (unless forced). `run.json` is written after the
//! outputs, atomically, so a killed run leaves either the previous outputs with their
//! `run.json`, or new outputs with a stale `run.json` that makes the next batch redo the job.

pub mod manifest;

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{Value, json};

use crate::analysis::units::UnitsSource;
use crate::config::FacilityInput;
use crate::error::{Error, Result};
use crate::hashing::sha256_of;
use crate::pipeline;
use crate::spatial::elevation::tile_files;
pub use manifest::{Job, JobCommand, JobConfig, Manifest};

/// The run manifest each finished job leaves in its output folder.
pub const RUN_MANIFEST: &str = "run.json";

/// Version of the fingerprint's recipe: raised whenever what goes into it changes, so that
/// a fingerprint from an older recipe never matches.
pub const FINGERPRINT_VERSION: u32 = 2;

/// `--shard I/N`: the I-th (from 1) of N slices of a manifest. Job `i` (from 0, in manifest
/// order) belongs to shard `i % N + 1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// Which slice, 1..=count.
    pub index: usize,
    /// How many slices.
    pub count: usize,
}

impl Shard {
    /// Parses `I/N` with 1 ≤ I ≤ N.
    ///
    /// # Errors
    /// [`Error::Usage`] otherwise.
    pub fn parse(spec: &str) -> Result<Shard> {
        let bad = || {
            Error::Usage(format!(
                "--shard {spec:?}: expected I/N with 1 ≤ I ≤ N (shards count from 1)"
            ))
        };
        let (i, n) = spec.split_once('/').ok_or_else(bad)?;
        let index: usize = i.trim().parse().map_err(|_| bad())?;
        let count: usize = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    /// Whether the job at manifest position `job_index` (from 0) is this shard's.
    pub fn contains(&self, job_index: usize) -> bool {
        job_index % self.count == self.index - 1
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressMode {
    /// Bars when stderr is a terminal, plain lines otherwise.
    Auto,
    /// Always plain lines on stderr.
    Lines,
    /// Nothing on stderr but failures.
    Quiet,
}

/// How to run a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchOptions {
    /// Jobs run side by side (each gets `cores / jobs` worker threads, at least one).
    pub jobs: usize,
    /// Redo jobs whose inputs and parameters are unchanged.
    pub force: bool,
    /// Run only this slice of the manifest.
    pub shard: Option<Shard>,
    /// Progress display.
    pub progress: ProgressMode,
}

impl Default for BatchOptions {
    fn default() -> Self {
        BatchOptions {
            jobs: 1,
            force: false,
            shard: None,
            progress: ProgressMode::Auto,
        }
    }
}

/// How a job ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Status {
    /// It ran and wrote its outputs.
    Done {
        /// Wall-clock seconds.
        seconds: f64,
        /// One line per category: covered share of residents.
        result: Vec<String>,
    },
    /// Its inputs and parameters match its `run.json`: not run again.
    Skipped,
    /// It failed (an error or a panic); other jobs went on.
    Failed {
        /// The error.
        error: String,
    },
}

/// One job's outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// Position in the manifest, from 0.
    pub index: usize,
    /// Job name.
    pub name: String,
    /// How it ended.
    pub status: Status,
}

/// Turns a job into a resolved configuration ([`Job::resolve`]; tests pass their own).
pub type Resolver = dyn Fn(&Job) -> Result<JobConfig> + Sync;

fn sha256_hex(path: &Path) -> Result<String> {
    sha256_of(path).map(|(_, hex)| hex)
}

/// What decides whether a job must run again: the fingerprint recipe's version, the tool's
/// version, every input file's SHA-256, and `key`, the SHA-256 of all of these with the
/// canonical serialized configuration ([`JobConfig`] as JSON: fields in a fixed order,
/// defaults applied). Threads and log level are not part of it: they change no result.
fn fingerprint(config: &JobConfig) -> Result<Value> {
    let coverage = config.coverage();
    let mut files = serde_json::Map::new();
    let mut add = |role: &str, path: &Path| -> Result<()> {
        files.insert(
            role.into(),
            json!({ "path": path, "sha256": sha256_hex(path)? }),
        );
        Ok(())
    };
    add("input", &coverage.input)?;
    if let FacilityInput::Register { path, .. } = &coverage.facilities {
        add("facilities", path)?;
    }
    let population = &coverage.population;
    if let Some(layer) = &population.layer {
        add("population", &layer.path)?;
    }
    if let Some(path) = &population.raster {
        add("population_raster", path)?;
    }
    if let Some(census) = &population.census {
        add("census", &census.path)?;
    }
    let age_rasters = population
        .under1_rasters
        .iter()
        .chain(&population.age1to4_rasters);
    for (i, path) in age_rasters.enumerate() {
        add(&format!("age_raster_{}", i + 1), path)?;
    }
    if let UnitsSource::File { path, .. } = &coverage.units {
        add("units", path)?;
    }
    if let JobConfig::Site(site) = config {
        for (i, source) in site.candidates.iter().enumerate() {
            if let crate::siting::candidates::CandidateSource::File(path) = source {
                add(&format!("candidates_{}", i + 1), path)?;
            }
        }
    }
    let mut print = json!({
        "version": FINGERPRINT_VERSION,
        "tool": { "name": "fifteen", "version": env!("CARGO_PKG_VERSION") },
        "files": files,
    });
    let canonical = serde_json::to_vec(&json!({ "print": print, "config": config }))
        .expect("configurations serialize");
    print["key"] = json!(crate::hashing::sha256_of_bytes(&canonical));
    Ok(print)
}

/// The elevation tiles a run read, with the SHA-256 of the bytes it read, and the tiles it
/// lacked, for `run.json` (`None` without `--elevation`). Which tiles a run needs is known
/// only once the extract is read, so they are checked after the run rather than in the
/// fingerprint.
fn elevation_inputs(summary: &Value) -> Option<Value> {
    // a site run's summary keeps it with its parameters
    let elevation = match &summary["elevation"] {
        Value::Null => &summary["parameters"]["elevation"],
        e => e,
    };
    let dir = elevation["dir"].as_str()?;
    Some(json!({
        "dir": dir,
        "tiles": elevation["tiles_sha256"],
        "missing": elevation["tiles_missing"],
    }))
}

/// Whether the elevation tiles recorded by [`elevation_inputs`] are as they were: every
/// tile read is still the file a run would pick for its tile (no `.hgt` has appeared
/// beside a `.hgt.zip` read) and has the same SHA-256, and no tile that was missing has
/// appeared. A record without elevation passes only when the job has no `--elevation`.
fn elevation_unchanged(recorded: &Value, with_elevation: bool) -> bool {
    let Some(dir) = recorded["dir"].as_str().map(Path::new) else {
        return !with_elevation;
    };
    let picked = |file: &str| {
        let lower = file.to_lowercase();
        let name = lower
            .strip_suffix(".hgt.zip")
            .or_else(|| lower.strip_suffix(".hgt"))
            .unwrap_or(&lower)
            .to_uppercase();
        tile_files(&name)
            .into_iter()
            .find(|f| dir.join(f).is_file())
    };
    let same_tiles = recorded["tiles"].as_object().is_some_and(|tiles| {
        tiles.iter().all(|(file, sha)| {
            picked(file).as_deref() == Some(file.as_str())
                && sha256_hex(&dir.join(file)).is_ok_and(|now| Some(now.as_str()) == sha.as_str())
        })
    });
    let still_missing = recorded["missing"].as_array().is_some_and(|names| {
        names.iter().all(|name| {
            tile_files(name.as_str().unwrap_or_default())
                .iter()
                .all(|f| !dir.join(f).is_file())
        })
    });
    same_tiles && still_missing
}

/// Whether `out` holds a finished run of `config` with this fingerprint and the same
/// elevation tiles.
fn unchanged(out: &Path, print: &Value, config: &crate::config::CoverageConfig) -> bool {
    let Ok(text) = std::fs::read_to_string(out.join(RUN_MANIFEST)) else {
        return false;
    };
    let Ok(previous) = serde_json::from_str::<Value>(&text) else {
        return false;
    };
    previous.get("fingerprint") == Some(print)
        && elevation_unchanged(&previous["elevation"], config.elevation_dir.is_some())
        && out.join("summary.json").is_file()
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let name = path.file_name().map_or_else(
        || "run.json".to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let temp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| -> std::io::Result<()> {
        let mut f = std::fs::File::create(&temp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result.map_err(|e| Error::io(path, e))
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(no message)".to_string()
    }
}

/// Stages a run of `config` reports (for progress bars).
fn stage_count(config: &JobConfig) -> u64 {
    let coverage = config.coverage();
    // population sources, read, compounds, graph, residents, facilities, index, snap,
    // units, population; then route, indicators, write and report per profile
    let mut n = 10 + 4 * coverage.profiles.len() as u64;
    if coverage.elevation_dir.is_some() {
        n += 1;
    }
    if matches!(coverage.facilities, FacilityInput::Register { .. }) {
        n += 1;
    }
    if let JobConfig::Site(_) = config {
        // candidates, reach, select, then the whole coverage run again into after/
        n = 2 * n + 3;
    }
    n
}

/// Progress display shared by the workers.
struct Reporter {
    mode: ProgressMode,
    multi: Option<MultiProgress>,
    overall: Option<ProgressBar>,
}

impl Reporter {
    fn new(mode: ProgressMode, jobs: usize) -> Reporter {
        let bars = mode == ProgressMode::Auto && std::io::stderr().is_terminal();
        if !bars {
            let mode = if mode == ProgressMode::Quiet {
                ProgressMode::Quiet
            } else {
                ProgressMode::Lines
            };
            return Reporter {
                mode,
                multi: None,
                overall: None,
            };
        }
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        let overall = multi.add(ProgressBar::new(jobs as u64));
        overall.set_style(
            ProgressStyle::with_template(
                "{prefix:.bold} [{bar:30.cyan/blue}] {pos}/{len} jobs, {elapsed} {msg}",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        overall.set_prefix("batch");
        overall.enable_steady_tick(Duration::from_millis(200));
        Reporter {
            mode,
            multi: Some(multi),
            overall: Some(overall),
        }
    }

    fn line(&self, text: &str) {
        match (&self.multi, self.mode) {
            (Some(m), _) => {
                let _ = m.println(text);
            }
            (None, ProgressMode::Quiet) => {}
            (None, _) => eprintln!("{text}"),
        }
    }

    /// A line about a job's results: shown in every mode, quiet included.
    fn warning(&self, text: &str) {
        match &self.multi {
            Some(m) => {
                let _ = m.println(text);
            }
            None => eprintln!("{text}"),
        }
    }

    fn job_bar(&self, name: &str, stages: u64) -> Option<ProgressBar> {
        let multi = self.multi.as_ref()?;
        let bar = multi.insert_from_back(1, ProgressBar::new(stages));
        bar.set_style(
            ProgressStyle::with_template("  {prefix:24!} [{bar:20}] {pos}/{len} stages {msg}")
                .expect("valid template")
                .progress_chars("=> "),
        );
        bar.set_prefix(name.to_string());
        bar.set_message("starting");
        Some(bar)
    }

    fn finished(&self, bar: Option<ProgressBar>, line: &str, failed: bool) {
        if let Some(bar) = bar {
            bar.finish_and_clear();
            if let Some(m) = &self.multi {
                m.remove(&bar);
            }
        }
        if failed && self.mode == ProgressMode::Quiet {
            eprintln!("{line}");
        } else {
            self.line(line);
        }
        if let Some(o) = &self.overall {
            o.inc(1);
        }
    }

    fn done(&self) {
        if let Some(o) = &self.overall {
            o.finish_and_clear();
        }
    }
}

/// Runs a resolved job on the current thread pool; returns its `summary.json` and its
/// result lines.
fn execute(config: &JobConfig, log: &dyn Fn(&str)) -> Result<(Value, Vec<String>)> {
    Ok(match config {
        JobConfig::Coverage(config) => {
            let report = pipeline::run_coverage(config, log)?;
            let several = config.profiles.len() > 1;
            let lines = (report.categories.iter())
                .map(|c| c.result_line(&config.bands.threshold_label(), several))
                .collect();
            (report.summary, lines)
        }
        JobConfig::Site(config) => {
            let report = crate::siting::run_site(config, log)?;
            let lines = report.result_lines(&config.coverage.bands.threshold_label());
            (report.summary, lines)
        }
    })
}

/// Resolves, checks and runs one job; errors and panics become [`Status::Failed`].
fn run_job(
    job: &Job,
    opts: &BatchOptions,
    resolve: &Resolver,
    pool: Option<&rayon::ThreadPool>,
    reporter: &Reporter,
) -> Status {
    let prefix = format!("fifteen: [{}]", job.name);
    let started = Instant::now();
    let mut bar: Option<ProgressBar> = None;
    let attempt = catch_unwind(AssertUnwindSafe(|| -> Result<Status> {
        let config = resolve(job)?;
        let coverage = config.coverage();
        let print = fingerprint(&config)?;
        // held until run.json is written: no other run writes the folder in between
        let _lock = crate::output::OutputSet::lock(&coverage.out_dir)?;
        if !opts.force && unchanged(&coverage.out_dir, &print, coverage) {
            return Ok(Status::Skipped);
        }
        bar = reporter.job_bar(&job.name, stage_count(&config));
        if bar.is_none() && !job.quiet {
            reporter.line(&format!("{prefix} started"));
        }
        let log = |line: &str| match &bar {
            _ if line.starts_with("warning:") => reporter.warning(&format!("{prefix} {line}")),
            Some(b) => {
                b.inc(1);
                b.set_message(line.split_whitespace().collect::<Vec<_>>().join(" "));
            }
            None if job.quiet => {}
            None => reporter.line(&format!("{prefix} {line}")),
        };
        let own_pool = match job.threads {
            Some(n) => Some(
                rayon::ThreadPoolBuilder::new()
                    .num_threads(n)
                    .build()
                    .map_err(|e| Error::Usage(format!("threads = {n}: {e}")))?,
            ),
            None => None,
        };
        let (summary, result) = match own_pool.as_ref().or(pool) {
            Some(pool) => pool.install(|| execute(&config, &log))?,
            None => execute(&config, &log)?,
        };
        let seconds = started.elapsed().as_secs_f64();
        let finished = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let run = json!({
            "job": job.name,
            "command": job.command,
            "fingerprint": print,
            "elevation": elevation_inputs(&summary),
            "options": job.options_json(),
            "parameters": summary.get("parameters"),
            "input": summary.get("input"),
            "result": result,
            "seconds": (seconds * 1e3).round() / 1e3,
            "peak_memory_mib": summary.get("peak_memory_mib"),
            "finished_unix": finished,
            "shard": opts.shard.map(|s| s.to_string()),
            "pid": std::process::id(),
        });
        let mut bytes = serde_json::to_vec_pretty(&run).expect("serialisable");
        bytes.push(b'\n');
        write_atomically(&coverage.out_dir.join(RUN_MANIFEST), &bytes)?;
        Ok(Status::Done { seconds, result })
    }));
    let status = match attempt {
        Ok(Ok(status)) => status,
        Ok(Err(e)) => Status::Failed {
            error: e.to_string(),
        },
        Err(payload) => Status::Failed {
            error: format!("panicked: {}", panic_message(payload.as_ref())),
        },
    };
    let line = match &status {
        Status::Done { seconds, result } => {
            format!("{prefix} done in {seconds:.2} s; {}", result.join("; "))
        }
        Status::Skipped => format!(
            "{prefix} skipped: inputs and parameters unchanged since its run.json (--force to redo)"
        ),
        Status::Failed { error } => format!("{prefix} FAILED: {error}"),
    };
    reporter.finished(bar, &line, matches!(status, Status::Failed { .. }));
    status
}

/// Runs the manifest's jobs (this shard's only, when given), `opts.jobs` at a time, and
/// returns every selected job's outcome in manifest order. A failing or panicking job never
/// stops the others.
pub fn run_batch(manifest: &Manifest, opts: &BatchOptions, resolve: &Resolver) -> Vec<Outcome> {
    let selected: Vec<&Job> = manifest
        .jobs
        .iter()
        .filter(|j| opts.shard.is_none_or(|s| s.contains(j.index)))
        .collect();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let workers = opts.jobs.clamp(1, cores).min(selected.len().max(1));
    let threads_per_job = (cores / workers).max(1);
    let reporter = Reporter::new(opts.progress, selected.len());
    let next = AtomicUsize::new(0);
    let outcomes = Mutex::new(Vec::with_capacity(selected.len()));
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads_per_job)
                    .build()
                    .ok();
                loop {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    let Some(job) = selected.get(k) else { break };
                    let status = run_job(job, opts, resolve, pool.as_ref(), &reporter);
                    outcomes
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push(Outcome {
                            index: job.index,
                            name: job.name.clone(),
                            status,
                        });
                }
            });
        }
    });
    reporter.done();
    let mut outcomes = outcomes.into_inner().unwrap_or_else(|e| e.into_inner());
    outcomes.sort_by_key(|o| o.index);
    outcomes
}

/// Counts of outcomes: `(done, skipped, failed)`.
pub fn tally(outcomes: &[Outcome]) -> (usize, usize, usize) {
    let mut t = (0, 0, 0);
    for o in outcomes {
        match o.status {
            Status::Done { .. } => t.0 += 1,
            Status::Skipped => t.1 += 1,
            Status::Failed { .. } => t.2 += 1,
        }
    }
    t
}

/// Counts of jobs per status name, for a final report line.
pub fn summary_line(outcomes: &[Outcome], manifest_jobs: usize, shard: Option<Shard>) -> String {
    let (done, skipped, failed) = tally(outcomes);
    let mut by: BTreeMap<&str, usize> = BTreeMap::new();
    by.insert("done", done);
    by.insert("skipped", skipped);
    by.insert("failed", failed);
    let scope = match shard {
        Some(s) => format!(
            "shard {s}: {} of the manifest's {manifest_jobs} jobs",
            outcomes.len()
        ),
        None => format!("{manifest_jobs} jobs"),
    };
    format!("batch ({scope}): {done} done, {skipped} skipped, {failed} failed")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(text: &str) -> Result<Manifest> {
        Manifest::parse(text, Path::new("jobs.toml"), Path::new("/base"))
    }

    #[test]
    fn parses_jobs_with_defaults_and_relative_paths() {
        let m = manifest(
            r#"
            [defaults]
            categories = ["childcare"]
            minutes = [5, 10, 15]

            [[job]]
            name = "a"
            input = "in/a.osm.pbf"
            out = "out/a"
            speed_kmh = 3.6
            facilities = "reg.csv"

            [[job]]
            name = "b"
            input = "/abs/b.osm.pbf"
            out = "out/b"
            minutes = 10
            categories = "park"
            "#,
        )
        .expect("valid");
        assert_eq!(m.jobs.len(), 2);
        let a = m.jobs[0].command_line().expect("valid");
        let a: Vec<String> = a.iter().map(|s| s.to_string_lossy().into_owned()).collect();
        assert_eq!(
            a,
            [
                "coverage",
                "/base/in/a.osm.pbf",
                "--out=/base/out/a",
                "--category=childcare",
                "--facilities=/base/reg.csv",
                "--minutes=5,10,15",
                "--speed-kmh=3.6",
            ]
        );
        let b = m.jobs[1].command_line().expect("valid");
        let b: Vec<String> = b.iter().map(|s| s.to_string_lossy().into_owned()).collect();
        assert_eq!(
            b,
            [
                "coverage",
                "/abs/b.osm.pbf",
                "--out=/base/out/b",
                "--category=park",
                "--minutes=10",
            ]
        );
    }

    #[test]
    fn rejects_bad_manifests() {
        let cases = [
            ("", "no [[job]]"),
            ("[[job]]\ninput = \"a\"\nout = \"b\"", "has no `name`"),
            ("[[job]]\nname = \"a\"\nout = \"b\"", "has no `input`"),
            (
                "[[job]]\nname = \"a\"\ninput = \"x\"\nout = \"o1\"\n[[job]]\nname = \"a\"\ninput = \"x\"\nout = \"o2\"",
                "both named",
            ),
            (
                "[[job]]\nname = \"a\"\ninput = \"x\"\nout = \"o\"\n[[job]]\nname = \"b\"\ninput = \"x\"\nout = \"o\"",
                "same folder",
            ),
            ("[[job]\n", "jobs.toml"),
            ("jobs = 1", "unknown top-level key"),
            (
                "[defaults]\nout = \"x\"\n[[job]]\nname = \"a\"\ninput = \"x\"\nout = \"o\"",
                "not [defaults]",
            ),
        ];
        for (text, mention) in cases {
            let e = manifest(text).expect_err(text).to_string();
            assert!(e.contains(mention), "{text:?}: {e}");
        }
    }

    #[test]
    fn bad_options_fail_only_at_resolution() {
        let m = manifest(
            "[[job]]\nname = \"a\"\ninput = \"x\"\nout = \"o\"\nspeed = 3\n[[job]]\nname = \"b\"\ninput = \"x\"\nout = \"p\"\nminutes = \"ten\"",
        )
        .expect("structurally valid");
        let e = m.jobs[0].resolve().expect_err("unknown key").to_string();
        assert!(e.contains("unknown option `speed`"), "{e}");
        let e = m.jobs[1].resolve().expect_err("mistyped").to_string();
        assert!(e.contains("minutes"), "{e}");
    }

    #[test]
    fn shards_partition_the_jobs() {
        assert!(Shard::parse("0/3").is_err());
        assert!(Shard::parse("4/3").is_err());
        assert!(Shard::parse("1/0").is_err());
        assert!(Shard::parse("x").is_err());
        for n in 1..6 {
            let shards: Vec<Shard> = (1..=n)
                .map(|i| Shard::parse(&format!("{i}/{n}")).expect("valid"))
                .collect();
            for job in 0..23 {
                assert_eq!(shards.iter().filter(|s| s.contains(job)).count(), 1);
            }
        }
    }

    #[test]
    fn a_panicking_job_fails_alone() {
        let m = manifest(
            "[[job]]\nname = \"boom\"\ninput = \"x\"\nout = \"/nonexistent/o1\"\n[[job]]\nname = \"err\"\ninput = \"x\"\nout = \"/nonexistent/o2\"",
        )
        .expect("valid");
        let resolve = |job: &Job| -> Result<JobConfig> {
            if job.name == "boom" {
                panic!("deliberate");
            }
            Err(Error::Usage("deliberate error".into()))
        };
        let opts = BatchOptions {
            jobs: 2,
            progress: ProgressMode::Quiet,
            ..BatchOptions::default()
        };
        let outcomes = run_batch(&m, &opts, &resolve);
        assert_eq!(outcomes.len(), 2);
        assert!(
            matches!(&outcomes[0].status, Status::Failed { error } if error.contains("panicked: deliberate"))
        );
        assert!(
            matches!(&outcomes[1].status, Status::Failed { error } if error.contains("deliberate error"))
        );
        assert_eq!(tally(&outcomes), (0, 0, 2));
    }

    /// The cache key is the meaning of a job, not its spelling: the same run written two
    /// ways shares a key, any changed parameter or input changes it, and it has a version.
    #[test]
    fn fingerprints_key_the_resolved_configuration_and_the_inputs() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("town.osm.pbf"), b"bytes").expect("write");
        let key = |job: &str| -> Value {
            let text =
                format!("[[job]]\nname = \"a\"\ninput = \"town.osm.pbf\"\nout = \"o\"\n{job}");
            let m =
                Manifest::parse(&text, &dir.path().join("jobs.toml"), dir.path()).expect("valid");
            let print = fingerprint(&m.jobs[0].resolve().expect("valid")).expect("hashed");
            assert_eq!(print["version"], FINGERPRINT_VERSION);
            print["key"].clone()
        };
        let base = key("categories = [\"childcare\"]\nminutes = [5, 15]");
        assert_eq!(base.as_str().map(str::len), Some(64));
        // the same meaning: another key name, one item for a list, bands in another order,
        // a default stated, threads (which change no result)
        assert_eq!(key("category = \"childcare\"\nminutes = [15, 5]"), base);
        assert_eq!(
            key("categories = [\"childcare\"]\nminutes = [5, 15]\nmax_snap_m = 250\nthreads = 1"),
            base
        );
        // another meaning
        assert_ne!(key("categories = [\"childcare\"]\nminutes = [5, 10]"), base);
        assert_ne!(
            key("categories = [\"childcare\"]\nminutes = [5, 15]\nspeed_kmh = 4"),
            base
        );
        // another input
        std::fs::write(dir.path().join("town.osm.pbf"), b"other bytes").expect("write");
        assert_ne!(key("categories = [\"childcare\"]\nminutes = [5, 15]"), base);
    }
}

//! `fifteen batch`: many `coverage` jobs from one TOML manifest.
//!
//! A manifest lists jobs as `[[job]]` tables (`name`, `input`, `out` and any coverage
//! option), optionally after a `[defaults]` table that every job starts from:
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
//! name = "vaduz-slow"
//! input = "extracts/liechtenstein.osm.pbf"
//! out = "out/vaduz-slow"
//! speed_kmh = 3.0
//! ```
//!
//! Relative paths are taken from the manifest's folder. Option keys are the `coverage`
//! flags with `_` for `-` (see [`OPTIONS`]); each job becomes exactly the argument list of a
//! `coverage` run, so it is resolved and validated by the same code as the command.
//!
//! Each finished job leaves [`RUN_MANIFEST`] (`run.json`) in its output folder: the tool
//! version, the SHA-256 of every input file, the job's options and the resolved
//! configuration. A later batch skips a job whose fingerprint is unchanged and whose outputs
//! are there (unless forced). `run.json` is written after the outputs, atomically, so a
//! killed run leaves either the previous outputs with their `run.json`, or new outputs with
//! a stale `run.json` that makes the next batch redo the job.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{Value, json};

use crate::analysis::units::UnitsSource;
use crate::config::{CoverageConfig, FacilityInput};
use crate::error::{Error, Result};
use crate::hashing::sha256_of;
use crate::pipeline::{self, CoverageReport};
use crate::spatial::elevation::tile_files;

/// The run manifest each finished job leaves in its output folder.
pub const RUN_MANIFEST: &str = "run.json";

/// What an option's value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionKind {
    /// A string.
    Text,
    /// Several strings (or one); the flag is repeated.
    Texts,
    /// A file, relative to the manifest's folder.
    Path,
    /// A number.
    Number,
    /// Several numbers (or one), joined with commas.
    Numbers,
}

/// The coverage options a job may set: manifest key, `coverage` flag, kind.
pub const OPTIONS: &[(&str, &str, OptionKind)] = &[
    ("categories", "category", OptionKind::Texts),
    ("category", "category", OptionKind::Texts),
    ("facility_tags", "facility-tags", OptionKind::Text),
    ("custom_name", "custom-name", OptionKind::Text),
    ("facilities", "facilities", OptionKind::Path),
    ("minutes", "minutes", OptionKind::Numbers),
    ("profiles", "profile", OptionKind::Texts),
    ("profile", "profile", OptionKind::Texts),
    ("speed_kmh", "speed-kmh", OptionKind::Number),
    ("elevation", "elevation", OptionKind::Path),
    ("max_snap_m", "max-snap-m", OptionKind::Number),
    ("search_minutes", "search-minutes", OptionKind::Number),
    (
        "floor_area_per_person_m2",
        "floor-area-per-person-m2",
        OptionKind::Number,
    ),
    ("population", "population", OptionKind::Path),
    ("population_field", "population-field", OptionKind::Text),
    ("grid_block_m", "grid-block-m", OptionKind::Number),
    ("area_buffer_m", "area-buffer-m", OptionKind::Number),
    ("area_cell_m", "area-cell-m", OptionKind::Number),
    ("default_capacity", "default-capacity", OptionKind::Number),
    ("decay_weights", "decay-weights", OptionKind::Numbers),
    (
        "target_places_per_1000",
        "target-places-per-1000",
        OptionKind::Number,
    ),
    (
        "target_affordable_share",
        "target-affordable-share",
        OptionKind::Number,
    ),
    (
        "target_subdistrict_share",
        "target-subdistrict-share",
        OptionKind::Number,
    ),
    (
        "target_covered_share",
        "target-covered-share",
        OptionKind::Number,
    ),
    (
        "target_toddler_class_share",
        "target-toddler-class-share",
        OptionKind::Number,
    ),
    ("district_level", "district-level", OptionKind::Number),
    ("subdistrict_level", "subdistrict-level", OptionKind::Number),
    ("units", "units", OptionKind::Path),
    ("unit_name_field", "unit-name-field", OptionKind::Text),
    ("format", "format", OptionKind::Text),
];

/// One job of a manifest.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    /// Position in the manifest, from 0.
    pub index: usize,
    /// The job's name (unique in the manifest).
    pub name: String,
    /// The extract, resolved against the manifest's folder.
    pub input: PathBuf,
    /// The output folder, resolved against the manifest's folder.
    pub out: PathBuf,
    /// Coverage options: `[defaults]` overlaid with the job's own keys.
    pub options: toml::Table,
    /// Folder relative option paths are taken from.
    pub base: PathBuf,
}

/// A parsed manifest.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    /// Where it was read from.
    pub path: PathBuf,
    /// Jobs in manifest order.
    pub jobs: Vec<Job>,
}

fn toml_to_json(value: &toml::Value) -> Value {
    match value {
        toml::Value::String(s) => json!(s),
        toml::Value::Integer(i) => json!(i),
        toml::Value::Float(f) => json!(f),
        toml::Value::Boolean(b) => json!(b),
        toml::Value::Datetime(d) => json!(d.to_string()),
        toml::Value::Array(a) => Value::Array(a.iter().map(toml_to_json).collect()),
        toml::Value::Table(t) => Value::Object(
            t.iter()
                .map(|(k, v)| (k.clone(), toml_to_json(v)))
                .collect(),
        ),
    }
}

impl Manifest {
    /// Reads and checks the manifest at `path`.
    ///
    /// # Errors
    /// [`Error::Io`] when it cannot be read; [`Error::Usage`] when it is not TOML, has no
    /// job, a job lacks `name`, `input` or `out`, or two jobs share a name or output folder.
    /// Unknown or mistyped options fail only their job, when it runs.
    pub fn load(path: &Path) -> Result<Manifest> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let base = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf();
        Manifest::parse(&text, path, &base)
    }

    /// Parses manifest `text`; `path` names it in errors, `base` is the folder relative
    /// paths start from.
    ///
    /// # Errors
    /// As [`Manifest::load`].
    pub fn parse(text: &str, path: &Path, base: &Path) -> Result<Manifest> {
        let bad = |message: String| Error::Usage(format!("{}: {message}", path.display()));
        let table: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| bad(e.to_string().trim_end().to_string()))?;
        for key in table.keys() {
            if key != "job" && key != "defaults" {
                return Err(bad(format!(
                    "unknown top-level key {key:?} (expected [defaults] and [[job]] tables)"
                )));
            }
        }
        let defaults = match table.get("defaults") {
            None => toml::Table::new(),
            Some(toml::Value::Table(t)) => t.clone(),
            Some(_) => return Err(bad("`defaults` must be a table".into())),
        };
        for key in ["name", "input", "out"] {
            if defaults.contains_key(key) {
                return Err(bad(format!(
                    "`{key}` belongs in each [[job]], not [defaults]"
                )));
            }
        }
        let jobs = match table.get("job") {
            Some(toml::Value::Array(jobs)) if !jobs.is_empty() => jobs,
            Some(toml::Value::Array(_)) | None => {
                return Err(bad("no [[job]] table: nothing to run".into()));
            }
            Some(_) => return Err(bad("`job` must be an array of [[job]] tables".into())),
        };
        let mut out = Vec::with_capacity(jobs.len());
        for (index, job) in jobs.iter().enumerate() {
            let toml::Value::Table(job) = job else {
                return Err(bad(format!("job {} is not a table", index + 1)));
            };
            let text_key = |key: &str| -> Result<String> {
                match job.get(key) {
                    Some(toml::Value::String(s)) if !s.is_empty() => Ok(s.clone()),
                    Some(_) => Err(bad(format!(
                        "job {}: `{key}` must be a non-empty string",
                        index + 1
                    ))),
                    None => Err(bad(format!("job {} has no `{key}`", index + 1))),
                }
            };
            let name = text_key("name")?;
            let input = base.join(text_key("input")?);
            let out_dir = base.join(text_key("out")?);
            let mut options = defaults.clone();
            for (k, v) in job {
                if !["name", "input", "out"].contains(&k.as_str()) {
                    options.insert(k.clone(), v.clone());
                }
            }
            out.push(Job {
                index,
                name,
                input,
                out: out_dir,
                options,
                base: base.to_path_buf(),
            });
        }
        for (i, job) in out.iter().enumerate() {
            if let Some(other) = out[..i].iter().find(|o| o.name == job.name) {
                return Err(bad(format!(
                    "jobs {} and {} are both named {:?}",
                    other.index + 1,
                    job.index + 1,
                    job.name
                )));
            }
            if let Some(other) = out[..i].iter().find(|o| o.out == job.out) {
                return Err(bad(format!(
                    "jobs {:?} and {:?} write to the same folder {}",
                    other.name,
                    job.name,
                    job.out.display()
                )));
            }
        }
        Ok(Manifest {
            path: path.to_path_buf(),
            jobs: out,
        })
    }
}

impl Job {
    /// The job as the arguments of a `coverage` run (after the program name), e.g.
    /// `coverage IN --out=DIR --category=childcare --minutes=5,10,15`.
    ///
    /// # Errors
    /// [`Error::Usage`] for an unknown option or a value of the wrong type.
    pub fn coverage_args(&self) -> Result<Vec<OsString>> {
        let mut args: Vec<OsString> = vec!["coverage".into(), self.input.clone().into()];
        let mut out = OsString::from("--out=");
        out.push(&self.out);
        args.push(out);
        for (key, value) in &self.options {
            let Some(&(_, flag, kind)) = OPTIONS.iter().find(|(k, _, _)| k == key) else {
                let known: Vec<&str> = OPTIONS.iter().map(|(k, _, _)| *k).collect();
                return Err(Error::Usage(format!(
                    "unknown option `{key}` (known: name, input, out, {})",
                    known.join(", ")
                )));
            };
            let wrong =
                |what: &str| Error::Usage(format!("option `{key}` must be {what}, not {value}"));
            let number = |v: &toml::Value| match v {
                toml::Value::Integer(i) => Some(i.to_string()),
                toml::Value::Float(f) => Some(f.to_string()),
                _ => None,
            };
            let flag_eq = |v: &str| {
                let mut a = OsString::from(format!("--{flag}="));
                a.push(v);
                a
            };
            match kind {
                OptionKind::Text => match value {
                    toml::Value::String(s) => args.push(flag_eq(s)),
                    _ => return Err(wrong("a string")),
                },
                OptionKind::Path => match value {
                    toml::Value::String(s) => {
                        let mut a = OsString::from(format!("--{flag}="));
                        a.push(self.base.join(s));
                        args.push(a);
                    }
                    _ => return Err(wrong("a file path (string)")),
                },
                OptionKind::Texts => {
                    let items = match value {
                        toml::Value::Array(a) => a.iter().collect(),
                        one => vec![one],
                    };
                    for item in items {
                        match item {
                            toml::Value::String(s) => args.push(flag_eq(s)),
                            _ => return Err(wrong("a string or a list of strings")),
                        }
                    }
                }
                OptionKind::Number => {
                    args.push(flag_eq(&number(value).ok_or_else(|| wrong("a number"))?));
                }
                OptionKind::Numbers => {
                    let items = match value {
                        toml::Value::Array(a) => a.iter().collect(),
                        one => vec![one],
                    };
                    let numbers = items
                        .into_iter()
                        .map(number)
                        .collect::<Option<Vec<_>>>()
                        .filter(|n| !n.is_empty())
                        .ok_or_else(|| wrong("a number or a list of numbers"))?;
                    args.push(flag_eq(&numbers.join(",")));
                }
            }
        }
        Ok(args)
    }

    /// The job's options as JSON (for `run.json`).
    pub fn options_json(&self) -> Value {
        toml_to_json(&toml::Value::Table(self.options.clone()))
    }
}

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

/// Turns a job into a resolved configuration (the binary parses [`Job::coverage_args`] as a
/// `coverage` command line).
pub type Resolver = dyn Fn(&Job) -> Result<CoverageConfig> + Sync;

fn sha256_hex(path: &Path) -> Result<String> {
    sha256_of(path).map(|(_, hex)| hex)
}

/// What decides whether a job must run again: tool version, every input file's SHA-256 and
/// the resolved configuration.
fn fingerprint(config: &CoverageConfig) -> Result<Value> {
    let mut files = serde_json::Map::new();
    let mut add = |role: &str, path: &Path| -> Result<()> {
        files.insert(
            role.into(),
            json!({ "path": path, "sha256": sha256_hex(path)? }),
        );
        Ok(())
    };
    add("input", &config.input)?;
    if let FacilityInput::Register { path, .. } = &config.facilities {
        add("facilities", path)?;
    }
    if let Some((path, _)) = &config.population_layer {
        add("population", path)?;
    }
    if let UnitsSource::File { path, .. } = &config.units {
        add("units", path)?;
    }
    Ok(json!({
        "tool": { "name": "fifteen", "version": env!("CARGO_PKG_VERSION") },
        "files": files,
        "config": format!("{config:?}"),
    }))
}

/// The elevation tiles a run read, with the SHA-256 of the bytes it read, and the tiles it
/// lacked, for `run.json` (`None` without `--elevation`). Which tiles a run needs is known
/// only once the extract is read, so they are checked after the run rather than in the
/// fingerprint.
fn elevation_inputs(summary: &Value) -> Option<Value> {
    let elevation = &summary["elevation"];
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
fn unchanged(out: &Path, print: &Value, config: &CoverageConfig) -> bool {
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

/// Stages `run_coverage` reports for this configuration (for progress bars).
fn stage_count(config: &CoverageConfig) -> u64 {
    // read, compounds, graph, residents, facilities, index, snap, units; then route,
    // indicators, write and report per profile
    let mut n = 8 + 4 * config.profiles.len() as u64;
    if config.elevation_dir.is_some() {
        n += 1;
    }
    if matches!(config.facilities, FacilityInput::Register { .. }) {
        n += 1;
    }
    if config.population_layer.is_some() {
        n += 1;
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

fn result_lines(config: &CoverageConfig, report: &CoverageReport) -> Vec<String> {
    let several = config.profiles.len() > 1;
    report
        .categories
        .iter()
        .map(|c| c.result_line(config.threshold_min(), several))
        .collect()
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
        let print = fingerprint(&config)?;
        if !opts.force && unchanged(&config.out_dir, &print, &config) {
            return Ok(Status::Skipped);
        }
        bar = reporter.job_bar(&job.name, stage_count(&config));
        if bar.is_none() {
            reporter.line(&format!("{prefix} started"));
        }
        let log = |line: &str| match &bar {
            _ if line.starts_with("warning:") => reporter.warning(&format!("{prefix} {line}")),
            Some(b) => {
                b.inc(1);
                b.set_message(line.split_whitespace().collect::<Vec<_>>().join(" "));
            }
            None => reporter.line(&format!("{prefix} {line}")),
        };
        let report = match pool {
            Some(pool) => pool.install(|| pipeline::run_coverage(&config, &log))?,
            None => pipeline::run_coverage(&config, &log)?,
        };
        let seconds = started.elapsed().as_secs_f64();
        let result = result_lines(&config, &report);
        let finished = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let run = json!({
            "job": job.name,
            "fingerprint": print,
            "elevation": elevation_inputs(&report.summary),
            "options": job.options_json(),
            "parameters": report.summary.get("parameters"),
            "input": report.summary.get("input"),
            "result": result,
            "seconds": (seconds * 1e3).round() / 1e3,
            "peak_memory_mib": report.summary.get("peak_memory_mib"),
            "finished_unix": finished,
            "shard": opts.shard.map(|s| s.to_string()),
            "pid": std::process::id(),
        });
        let mut bytes = serde_json::to_vec_pretty(&run).expect("serialisable");
        bytes.push(b'\n');
        write_atomically(&config.out_dir.join(RUN_MANIFEST), &bytes)?;
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
        let a = m.jobs[0].coverage_args().expect("valid");
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
        let b = m.jobs[1].coverage_args().expect("valid");
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
        let e = m.jobs[0]
            .coverage_args()
            .expect_err("unknown key")
            .to_string();
        assert!(e.contains("unknown option `speed`"), "{e}");
        let e = m.jobs[1].coverage_args().expect_err("mistyped").to_string();
        assert!(e.contains("`minutes` must be a number"), "{e}");
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
        let resolve = |job: &Job| -> Result<CoverageConfig> {
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
}

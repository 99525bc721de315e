//! A batch manifest: `[defaults]` and `[[job]]` tables, each job a `coverage` or `site` run.
//!
//! A job's keys are `name`, `input`, `out`, optionally `command` (`coverage`, the default, or
//! `site`), `threads` and `quiet`, and any option of its command: the raw options
//! [`CoverageOptions`] (and [`SiteOptions`]) that clap fills from flags, filled here by serde
//! from TOML and resolved by the same code. Which keys exist is read from clap's own
//! command ([`manifest_keys`]), so a flag and its key cannot drift apart.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use clap::CommandFactory;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::cli::Cli;
use crate::config::CoverageConfig;
use crate::config::options::{CoverageOptions, manifest_keys};
use crate::error::{Error, Result};
use crate::siting::SiteConfig;
use crate::siting::options::SiteOptions;

/// Keys of a job that are not its command's options.
const JOB_KEYS: [&str; 6] = ["name", "input", "out", "command", "threads", "quiet"];

/// Which subcommand a job runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobCommand {
    /// `fifteen coverage`.
    Coverage,
    /// `fifteen site`.
    Site,
}

impl JobCommand {
    /// The subcommand's name.
    pub fn name(self) -> &'static str {
        match self {
            JobCommand::Coverage => "coverage",
            JobCommand::Site => "site",
        }
    }

    /// clap's command for this subcommand: its arguments are the manifest's keys.
    pub fn clap_command(self) -> clap::Command {
        Cli::command()
            .find_subcommand(self.name())
            .expect("the subcommand exists")
            .clone()
    }
}

/// A job's configuration, resolved.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "command", rename_all = "lowercase")]
pub enum JobConfig {
    /// A `coverage` run.
    Coverage(CoverageConfig),
    /// A `site` run.
    Site(SiteConfig),
}

impl JobConfig {
    /// The coverage part: the whole configuration of a coverage run, the existing
    /// facilities' run of a site run.
    pub fn coverage(&self) -> &CoverageConfig {
        match self {
            JobConfig::Coverage(c) => c,
            JobConfig::Site(s) => &s.coverage,
        }
    }
}

/// One job of a manifest.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    /// Position in the manifest, from 0.
    pub index: usize,
    /// The job's name (unique in the manifest).
    pub name: String,
    /// Which subcommand it runs.
    pub command: JobCommand,
    /// The extract, resolved against the manifest's folder.
    pub input: PathBuf,
    /// The output folder, resolved against the manifest's folder.
    pub out: PathBuf,
    /// Worker threads (`None`: the machine's cores ÷ `--jobs`).
    pub threads: Option<usize>,
    /// No stage lines for this job (warnings and failures still show).
    pub quiet: bool,
    /// The command's options: `[defaults]` overlaid with the job's own keys.
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
            let mut keys = defaults.clone();
            keys.extend(job.iter().map(|(k, v)| (k.clone(), v.clone())));
            out.push(Job::from_keys(index, keys, base).map_err(|e| bad(e.to_string()))?);
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
    /// A job from its keys (`[defaults]` overlaid with its own): the job keys are taken out,
    /// the rest are its command's options, checked when it is resolved.
    fn from_keys(index: usize, mut keys: toml::Table, base: &Path) -> Result<Job> {
        let n = index + 1;
        let mut text_key = |key: &str| -> Result<String> {
            match keys.remove(key) {
                Some(toml::Value::String(s)) if !s.is_empty() => Ok(s),
                Some(_) => Err(Error::Usage(format!(
                    "job {n}: `{key}` must be a non-empty string"
                ))),
                None => Err(Error::Usage(format!("job {n} has no `{key}`"))),
            }
        };
        let name = text_key("name")?;
        let input = base.join(text_key("input")?);
        let out = base.join(text_key("out")?);
        let command = match keys.remove("command") {
            None => JobCommand::Coverage,
            Some(value) => JobCommand::deserialize(value).map_err(|_| {
                Error::Usage(format!(
                    "job {n}: `command` must be \"coverage\" or \"site\""
                ))
            })?,
        };
        let threads = match keys.remove("threads") {
            None => None,
            Some(toml::Value::Integer(t)) if t > 0 => Some(t as usize),
            Some(_) => {
                return Err(Error::Usage(format!(
                    "job {n}: `threads` must be a positive integer"
                )));
            }
        };
        let quiet = match keys.remove("quiet") {
            None => false,
            Some(toml::Value::Boolean(q)) => q,
            Some(_) => {
                return Err(Error::Usage(format!(
                    "job {n}: `quiet` must be true or false"
                )));
            }
        };
        Ok(Job {
            index,
            name,
            command,
            input,
            out,
            threads,
            quiet,
            options: keys,
            base: base.to_path_buf(),
        })
    }

    /// The job's options as its command's raw options, relative paths taken from the
    /// manifest's folder.
    ///
    /// # Errors
    /// [`Error::Usage`] for a key its command does not take or a value of the wrong type.
    pub fn raw_options(&self) -> Result<(CoverageOptions, Option<SiteOptions>)> {
        self.check_keys()?;
        let coverage = self.deserialize::<CoverageOptions>()?.rebased(&self.base);
        let site = match self.command {
            JobCommand::Coverage => None,
            JobCommand::Site => Some(self.deserialize::<SiteOptions>()?.rebased(&self.base)),
        };
        Ok((coverage, site))
    }

    /// Resolves the job exactly as its command resolves its flags.
    ///
    /// # Errors
    /// As [`Job::raw_options`], then as [`CoverageOptions::resolve`] or
    /// [`SiteOptions::resolve`].
    pub fn resolve(&self) -> Result<JobConfig> {
        Ok(match self.raw_options()? {
            (coverage, None) => JobConfig::Coverage(coverage.resolve(&self.input, &self.out)?),
            (coverage, Some(site)) => {
                JobConfig::Site(site.resolve(&coverage, &self.input, &self.out)?)
            }
        })
    }

    /// Every option key must be an argument of the job's command.
    fn check_keys(&self) -> Result<()> {
        let known = manifest_keys(&self.command.clap_command());
        for key in self.options.keys() {
            if known.contains(key) && !JOB_KEYS.contains(&key.as_str()) {
                continue;
            }
            let hint = if self.command == JobCommand::Coverage
                && manifest_keys(&JobCommand::Site.clap_command()).contains(key)
            {
                " (a site option: add command = \"site\")".to_string()
            } else {
                format!(" (see `fifteen {} --help`)", self.command.name())
            };
            return Err(Error::Usage(format!("unknown option `{key}`{hint}")));
        }
        Ok(())
    }

    /// The option table as `T`, naming the key in a type error.
    fn deserialize<T: for<'de> Deserialize<'de>>(&self) -> Result<T> {
        T::deserialize(toml::Value::Table(self.options.clone())).map_err(|e| {
            Error::Usage(format!(
                "invalid option: {}",
                e.to_string().trim_end().replace('\n', " ")
            ))
        })
    }

    /// The job as the command line of the run it stands for (after the program name), e.g.
    /// `coverage IN --out=DIR --category=childcare --minutes=5,10,15`: every option that
    /// differs from its default, in the order of `--help`.
    ///
    /// # Errors
    /// As [`Job::raw_options`].
    pub fn command_line(&self) -> Result<Vec<OsString>> {
        let (coverage, site) = self.raw_options()?;
        let command = self.command.clap_command();
        let mut args: Vec<OsString> = vec![self.command.name().into(), self.input.clone().into()];
        let mut out = OsString::from("--out=");
        out.push(&self.out);
        args.push(out);
        args.extend(changed_flags(
            &command,
            &coverage,
            &CoverageOptions::default(),
        ));
        if let Some(site) = site {
            args.extend(changed_flags(&command, &site, &SiteOptions::default()));
        }
        if let Some(t) = self.threads {
            args.push(format!("--threads={t}").into());
        }
        if self.quiet {
            args.push("--quiet".into());
        }
        Ok(args)
    }

    /// The job's options as JSON (for `run.json`).
    pub fn options_json(&self) -> Value {
        serde_json::to_value(&self.options).unwrap_or(Value::Null)
    }
}

/// The flags of `command` whose values in `options` differ from `defaults`, as
/// `--flag=value` (repeated, or joined by the flag's delimiter, for lists).
fn changed_flags<T: Serialize>(
    command: &clap::Command,
    options: &T,
    defaults: &T,
) -> Vec<OsString> {
    let (Value::Object(values), Value::Object(defaults)) = (json!(options), json!(defaults)) else {
        unreachable!("options serialize as maps")
    };
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let mut flags = Vec::new();
    for arg in command.get_arguments() {
        let (Some(long), Some(value)) = (arg.get_long(), values.get(arg.get_id().as_str())) else {
            continue;
        };
        if defaults.get(arg.get_id().as_str()) == Some(value) {
            continue;
        }
        match value {
            Value::Null | Value::Bool(false) => {}
            Value::Bool(true) => flags.push(format!("--{long}").into()),
            Value::Array(items) => match arg.get_value_delimiter() {
                Some(d) => {
                    let joined: Vec<String> =
                        items.iter().map(|v| number_or_text(v, &text)).collect();
                    flags.push(format!("--{long}={}", joined.join(&d.to_string())).into());
                }
                None => flags.extend(
                    items
                        .iter()
                        .map(|v| OsString::from(format!("--{long}={}", number_or_text(v, &text)))),
                ),
            },
            v => flags.push(format!("--{long}={}", number_or_text(v, &text)).into()),
        }
    }
    flags
}

/// A value as a flag takes it: numbers as Rust prints them (`15`, `3.6`), text as is.
fn number_or_text(v: &Value, text: &impl Fn(&Value) -> String) -> String {
    match v.as_f64() {
        Some(x) if v.is_number() => x.to_string(),
        _ => text(v),
    }
}

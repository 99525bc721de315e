//! The stages as an API, and the `coverage` job as a list of them.
//!
//! A [`City`] is prepared once (read → compounds → graph → residents beside index → snap →
//! elevation → units); facility sets are placed on it ([`City::facilities`], [`City::place`])
//! and analysed per walking profile ([`City::analyse`]: route → indicators); each profile's
//! layers and planner files are written ([`mod@write`]: write → report). Every stage is named
//! and timed by [`Stages`]; the timings go into `summary.json` ([`summary`]).
//!
//! ```
//! use fifteen::config::options::CoverageOptions;
//! use fifteen::pipeline::{City, Stages};
//!
//! let options = CoverageOptions {
//!     categories: vec!["childcare".into()],
//!     ..CoverageOptions::default()
//! };
//! let config = options
//!     .resolve("data/sample-town.osm.pbf".as_ref(), "target/doc-town".as_ref())
//!     .unwrap();
//! let mut stages = Stages::default();
//! let quiet = |_: &str| {};
//! let city = City::prepare(&config, &mut stages, &quiet).unwrap();
//! let facilities = city.facilities(&config, None, &mut stages, &quiet).unwrap();
//! let adult = &config.profiles[0];
//! let name = |stage: &str| stage.to_string();
//! let analysis = city.analyse(&config, &facilities, adult, &mut stages, &name, &quiet);
//! let childcare = &analysis.coverage[0];
//! assert_eq!(childcare.category, "childcare");
//! assert!(childcare.covered_share > 0.5 && childcare.covered_share < 1.0);
//! // the same city answers another facility set without reading the extract again
//! let none = city.place(vec![("childcare".into(), Vec::new())]);
//! let without = city.analyse(&config, &none, adult, &mut stages, &name, &quiet);
//! assert_eq!(without.coverage[0].covered_population, 0.0);
//! ```

pub mod analyse;
pub mod city;
pub mod gather;
pub mod stages;
pub mod summary;
pub mod write;

use serde::Serialize;
use serde_json::Value;

use crate::config::CoverageConfig;
use crate::error::Result;
use crate::output::OutputSet;
use crate::output::planner::CoverageViews;
pub use analyse::{CategoryCoverage, ProfileAnalysis};
pub use city::{City, FacilitySet, InputFile, PlacedCategory};
pub use gather::read_register_stage;
pub use stages::{Stages, peak_memory_mib};
use summary::{CoverageSummary, IndexCounts, Parameters, ProfileEntry, RunIndex, RunStats};

/// What a finished run reports: the coverage per category and the full `summary.json`.
#[derive(Debug, Clone)]
pub struct CoverageReport {
    /// Per category (per profile, profiles in order).
    pub categories: Vec<CategoryCoverage>,
    /// The summary as written.
    pub summary: Value,
    /// Files written.
    pub files: Vec<std::path::PathBuf>,
    /// The (first profile's) layers written and the maps drawn from them, for a `site`
    /// run's report.
    pub views: CoverageViews,
}

/// Runs the whole `coverage` job and writes its outputs into `config.out_dir`.
///
/// `log` receives one line per finished stage. Nothing is written unless every stage
/// succeeds; then all files appear at once. With several profiles, each profile's layers
/// and `summary.json` go into `out_dir/PROFILE/`, and `out_dir/summary.json` gathers them.
///
/// # Errors
/// [`crate::Error::Data`] for unusable input (corrupt extract, no walkable way, no facility
/// of a category unless [`CoverageConfig::allow_empty_category`], a bad register row);
/// [`crate::Error::Io`] when the output folder cannot be written; [`crate::Error::Usage`]
/// when another run is writing it.
pub fn run_coverage(config: &CoverageConfig, log: &dyn Fn(&str)) -> Result<CoverageReport> {
    // a second run on the same folder fails now, not after the analysis
    let _lock = OutputSet::lock(&config.out_dir)?;
    let mut stages = Stages::default();
    let register = read_register_stage(config, &mut stages, log)?;
    let city = City::prepare(config, &mut stages, log)?;
    let facilities = city.facilities(config, register, &mut stages, log)?;
    write_coverage(config, &city, &facilities, stages, log)
}

/// Analyses `facilities` on a prepared `city` for every profile of `config` and writes the
/// whole output set into `config.out_dir` (stages `route`, `indicators`, `write` and
/// `report` per profile, after those already in `stages`).
///
/// # Errors
/// [`crate::Error::Io`] when the output folder cannot be written.
pub fn write_coverage(
    config: &CoverageConfig,
    city: &City,
    facilities: &FacilitySet,
    mut stages: Stages,
    log: &dyn Fn(&str),
) -> Result<CoverageReport> {
    let mut outputs = OutputSet::new(&config.out_dir)?;
    let several = config.profiles.len() > 1;
    let mut categories = Vec::new();
    let mut summaries = Vec::new();
    let mut views = None;
    for profile in &config.profiles {
        let prefix = if several {
            format!("{}/", profile.profile.name())
        } else {
            String::new()
        };
        let stage = |base: &str| match several {
            true => format!("{base} {}", profile.profile.name()),
            false => base.to_string(),
        };
        let analysis = city.analyse(config, facilities, profile, &mut stages, &stage, log);
        let written = stages.run_named(stage("write"), log, || {
            write::write_layers(config, city, &analysis, &prefix, &mut outputs)
        })?;
        let summary = CoverageSummary::of(config, city, &analysis);
        let profile_views = stages.run_named(stage("report"), log, || {
            let value = as_json(&summary);
            write::write_report(
                config,
                city,
                &analysis,
                &prefix,
                written,
                &value,
                &mut outputs,
            )
        })?;
        categories.extend(analysis.coverage);
        summaries.push((prefix, summary));
        views.get_or_insert(profile_views);
    }
    let stats = RunStats::now(&stages);
    let mut written = Vec::new();
    for (prefix, summary) in &mut summaries {
        summary.stats = Some(stats.clone());
        written.push(write_summary(
            &mut outputs,
            &format!("{prefix}summary.json"),
            summary,
        )?);
    }
    let summary = if several {
        let index = run_index(config, city, &summaries, stats);
        write_summary(&mut outputs, "summary.json", &index)?
    } else {
        written.swap_remove(0)
    };
    let files = outputs.commit()?;
    Ok(CoverageReport {
        categories,
        summary,
        files,
        views: views.expect("at least one profile"),
    })
}

/// A several-profile run's index from its profiles' summaries.
fn run_index(
    config: &CoverageConfig,
    city: &City,
    summaries: &[(String, CoverageSummary)],
    stats: RunStats,
) -> RunIndex {
    let profiles = (summaries.iter())
        .filter_map(|(_, s)| {
            let profile = s.parameters.profile.clone()?;
            let entry = ProfileEntry {
                profile,
                coverage: s.coverage.clone(),
                completeness: (s.completeness.iter())
                    .filter(|r| r.level == "city")
                    .cloned()
                    .collect(),
            };
            Some((entry.profile.name.to_string(), entry))
        })
        .collect();
    RunIndex {
        tool: summary::Tool::this(None),
        input: city.input.clone(),
        parameters: Parameters::of(config, None),
        counts: IndexCounts {
            osm: city.extract.counts,
            graph: city.graph_counts,
            compounds: city.compound_counts,
        },
        profiles,
        elevation: city.hill_report().cloned(),
        stats,
    }
}

/// A serde struct as JSON with sorted keys (`serde_json` without `preserve_order`), as every
/// `summary.json` has been written.
fn as_json(value: &impl Serialize) -> Value {
    serde_json::to_value(value).expect("summaries serialize")
}

/// Writes `summary` (keys sorted, pretty, newline-terminated) as `name`; returns it as JSON.
fn write_summary(outputs: &mut OutputSet, name: &str, summary: &impl Serialize) -> Result<Value> {
    let value = as_json(summary);
    outputs.write(name, |w| {
        serde_json::to_writer_pretty(&mut *w, &value)?;
        std::io::Write::write_all(w, b"\n")
    })?;
    Ok(value)
}

//! The site job's `summary.json` as serde structs, sharing the coverage summary's
//! [`Tool`], [`RunStats`] and [`InputFile`] so both name them alike. Written through
//! [`serde_json::Value`], so keys come out sorted, as they always have.

use crate::config::{BandUnit, Bands};
use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

use crate::analysis::population::PopulationSources;
use crate::config::{CoverageConfig, FacilityInput, ISLAND_MAX_M};
use crate::osm::read::ReadCounts;
use crate::pipeline::city::InputFile;
use crate::pipeline::summary::{RunStats, Tool};
use crate::pipeline::{City, CoverageReport};
use crate::spatial::elevation::HillReport;

use super::candidates::{CandidateSource, GridCounts};
use super::select::{Elements, ExactRow, Selection};
use super::{CapacityModel, CurvePoint, LeftOut, MICRO, SiteConfig, round_to};

/// Per-source candidate counts.
#[derive(Debug, Default, Clone, Serialize)]
pub struct SourceCounts {
    /// Candidates the source gave.
    pub generated: usize,
    /// The lattice's own counts (grid only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grid: Option<GridCounts>,
    /// Farther than `--max-snap-m` from the network.
    pub unsnapped: usize,
    /// On network islands.
    pub on_islands: usize,
    /// Already facilities of the category.
    pub already_facilities: usize,
    /// Named by an earlier source.
    pub duplicates: usize,
    /// Kept for selection.
    pub kept: usize,
}

/// Where the existing facilities came from.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "source", rename_all = "lowercase")]
pub enum ExistingSource {
    /// OSM.
    Osm,
    /// The planner's register.
    File {
        /// The register file.
        path: PathBuf,
    },
}

/// A candidate source as the summary states it.
#[derive(Debug, Clone, Serialize)]
pub struct CandidateParameters {
    /// `grid`, `file` or the tag source's name.
    pub source: String,
    /// Lattice spacing, metres (grid only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spacing_m: Option<f64>,
    /// Tags, `key=value` (tag sources only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    /// The candidate file (file only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<PathBuf>,
}

/// The parameters of a `site` run, resolved.
#[derive(Debug, Clone, Serialize)]
pub struct SiteParameters {
    /// The category.
    pub category: String,
    /// Where the existing facilities came from.
    pub facilities: ExistingSource,
    /// Threshold, in `threshold_unit`.
    pub threshold: f64,
    /// What the bands measure: `minutes` or `meters`.
    pub threshold_unit: BandUnit,
    /// Bands, under their unit (`minutes` or `meters`).
    #[serde(flatten)]
    pub bands: Bands,
    /// The walking profile's name.
    pub profile: &'static str,
    /// Flat speed, km/h.
    pub speed_kmh: f64,
    /// What the elevation tiles gave.
    pub elevation: Option<HillReport>,
    /// Maximum snap distance, metres.
    pub max_snap_m: f64,
    /// Network components shorter than this are islands, metres.
    pub island_max_m: f64,
    /// Gross floor area per resident given by flag, m² (`None`: by country, see
    /// docs/method.md#residents-and-blocks).
    pub floor_area_per_person_m2: Option<f64>,
    /// Candidate sources, in order.
    pub candidates: Vec<CandidateParameters>,
    /// `--add`.
    pub add: Option<usize>,
    /// `--target-share`.
    pub target_share: Option<f64>,
    /// Capacity-aware siting.
    pub capacity: Option<CapacityModel>,
    /// Where residents and children come from beyond the footprint estimate.
    pub population: PopulationSources,
    /// `--exact`.
    pub exact: bool,
    /// Worker threads.
    pub threads: usize,
}

/// What a `site` run counted.
#[derive(Debug, Clone, Serialize)]
pub struct SiteCounts {
    /// What the reader kept.
    pub osm: ReadCounts,
    /// Homes.
    pub buildings: usize,
    /// Residents, to 0.1.
    pub population: f64,
    /// Where they come from (`estimate`, `census+estimate`, …).
    pub population_source: String,
    /// Children under 3, to 0.1 (capacity-aware siting's demand, unless
    /// `--demand-per-1000`).
    pub children: f64,
    /// Where they come from (`census`, `raster`, `share`, joined by `+`).
    pub children_source: String,
    /// Existing facilities of the category.
    pub existing_facilities: usize,
    /// Homes with residents outside the threshold before any site.
    pub homes_outside_before: usize,
    /// Candidate–home pairs within the threshold.
    pub candidate_home_pairs: usize,
}

/// A candidate left out, as the summary lists it.
#[derive(Debug, Clone, Serialize)]
pub struct LeftOutCandidate {
    /// Its id.
    pub id: String,
    /// Its source.
    pub source: String,
    /// Why it was left out.
    pub reason: &'static str,
}

/// The candidates: how many, per source, and those left out.
#[derive(Debug, Clone, Serialize)]
pub struct CandidateCounts {
    /// Generated by every source.
    pub generated: usize,
    /// Kept for selection.
    pub kept: usize,
    /// Per source label.
    pub per_source: BTreeMap<String, SourceCounts>,
    /// Left out, and why.
    pub left_out: Vec<LeftOutCandidate>,
}

/// Where selection ended.
#[derive(Debug, Clone, Serialize)]
pub struct SiteResult {
    /// Sites chosen.
    pub sites_added: usize,
    /// Residents within the threshold after them.
    pub covered_population: f64,
    /// Their share.
    pub covered_share: f64,
    /// Capacity-aware: places served.
    pub served_places: Option<f64>,
    /// Capacity-aware: share of demand served.
    pub served_share: Option<f64>,
    /// Capacity-aware: places demanded.
    pub demand_places: Option<f64>,
    /// `--target-share`.
    pub target_share: Option<f64>,
    /// Whether it was reached (`None` without one).
    pub target_reached: Option<bool>,
    /// `add`, `target`, `no_gain` or `no_candidates`.
    pub stopped_because: &'static str,
}

/// How greedy chose.
#[derive(Debug, Clone, Serialize)]
pub struct GreedyStats {
    /// The algorithm.
    pub algorithm: &'static str,
    /// What it maximises.
    pub objective: &'static str,
    /// How ties go.
    pub tie_break: &'static str,
    /// Objective evaluations made.
    pub evaluations: usize,
    /// Evaluations plain greedy would have made.
    pub plain_greedy_evaluations: usize,
}

/// The coverage run with the chosen sites added.
#[derive(Debug, Clone, Serialize)]
pub struct AfterRun {
    /// Its folder, relative to the output folder.
    pub dir: &'static str,
    /// Covered share it reports.
    pub covered_share: f64,
    /// Whether that is the curve's last.
    pub matches_curve: bool,
}

/// A `site` run's `summary.json`.
#[derive(Debug, Clone, Serialize)]
pub struct SiteSummary {
    /// The tool.
    pub tool: Tool,
    /// The extract.
    pub input: InputFile,
    /// Resolved parameters.
    pub parameters: SiteParameters,
    /// What was counted.
    pub counts: SiteCounts,
    /// The candidates.
    pub candidates: CandidateCounts,
    /// Row 0 of the curve.
    pub before: CurvePoint,
    /// Where selection ended.
    pub result: SiteResult,
    /// The curve's other rows, one per site.
    pub sites: Vec<CurvePoint>,
    /// How greedy chose.
    pub greedy: GreedyStats,
    /// Greedy against the optimum, with `--exact`.
    pub exact: Option<Vec<ExactRow>>,
    /// The `after/` run.
    pub after: AfterRun,
    /// Timings and memory (written last).
    #[serde(flatten)]
    pub stats: Option<RunStats>,
}

impl SiteParameters {
    /// The resolved parameters of `config`, run as `cov`.
    pub(super) fn of(
        config: &SiteConfig,
        cov: &CoverageConfig,
        category: &str,
        elevation: Option<HillReport>,
    ) -> Self {
        let profile = cov.profiles[0];
        SiteParameters {
            category: category.to_string(),
            facilities: match &cov.facilities {
                FacilityInput::Osm(_) => ExistingSource::Osm,
                FacilityInput::Register { path, .. } => ExistingSource::File { path: path.clone() },
            },
            threshold: cov.bands.threshold(),
            threshold_unit: cov.bands.unit,
            bands: cov.bands.clone(),
            profile: profile.profile.name(),
            speed_kmh: profile.speed_kmh,
            elevation,
            max_snap_m: cov.max_snap_m,
            island_max_m: ISLAND_MAX_M,
            floor_area_per_person_m2: cov.residents.floor_area_per_person_m2,
            candidates: config
                .candidates
                .iter()
                .map(|s| CandidateParameters::of(s, config.spacing_m))
                .collect(),
            add: config.add,
            target_share: config.target_share,
            capacity: config.capacity,
            population: cov.population.clone(),
            exact: config.exact,
            threads: rayon::current_num_threads(),
        }
    }
}

impl CandidateParameters {
    /// `source`, with the lattice spacing when it is the grid.
    fn of(source: &CandidateSource, spacing_m: f64) -> Self {
        let none = CandidateParameters {
            source: String::new(),
            spacing_m: None,
            tags: None,
            path: None,
        };
        match source {
            CandidateSource::Grid => CandidateParameters {
                source: "grid".into(),
                spacing_m: Some(spacing_m),
                ..none
            },
            CandidateSource::Tags { name, tags } => CandidateParameters {
                source: name.clone(),
                tags: Some(tags.iter().map(|(k, v)| format!("{k}={v}")).collect()),
                ..none
            },
            CandidateSource::File(path) => CandidateParameters {
                source: "file".into(),
                path: Some(path.clone()),
                ..none
            },
        }
    }
}

impl SiteCounts {
    /// The counts of a run on `city`.
    pub(super) fn of(city: &City, elements: &Elements, existing: usize, pairs: usize) -> Self {
        SiteCounts {
            osm: city.extract.counts,
            buildings: city.residents.buildings.len(),
            population: round_to(elements.total_population, 1),
            population_source: city.population.residents_source.clone(),
            children: round_to(city.population.children, 1),
            children_source: city.population.children_source.clone(),
            existing_facilities: existing,
            homes_outside_before: elements.home_of_element.len(),
            candidate_home_pairs: pairs,
        }
    }
}

impl CandidateCounts {
    /// Counts of the gathered candidates, `kept` of them kept.
    pub(super) fn of(
        per_source: &BTreeMap<String, SourceCounts>,
        kept: usize,
        left_out: &[LeftOut],
    ) -> Self {
        CandidateCounts {
            generated: per_source.values().map(|c| c.generated).sum::<usize>(),
            kept,
            per_source: per_source.clone(),
            left_out: (left_out.iter())
                .map(|(c, reason)| LeftOutCandidate {
                    id: c.id.clone(),
                    source: c.source.clone(),
                    reason,
                })
                .collect(),
        }
    }
}

impl SiteResult {
    /// The curve's last row and the stopping rule.
    pub(super) fn of(config: &SiteConfig, elements: &Elements, selection: &Selection) -> Self {
        let last = selection.curve.last().expect("row 0 at least");
        SiteResult {
            sites_added: selection.picks.len(),
            covered_population: last.covered_population,
            covered_share: last.covered_share,
            served_places: last.served_places,
            served_share: last.served_share,
            demand_places: (elements.capacity_micro).map(|_| elements.demand_total as f64 / MICRO),
            target_share: config.target_share,
            target_reached: config
                .target_share
                .map(|t| last.served_share.unwrap_or(last.covered_share) >= t),
            stopped_because: selection.stopped_because,
        }
    }
}

impl GreedyStats {
    /// How `selection` was made among `kept` candidates.
    pub(super) fn of(config: &SiteConfig, selection: &Selection, kept: usize) -> Self {
        GreedyStats {
            algorithm: "CELF (lazy greedy)",
            objective: if config.capacity.is_some() {
                "served places (maximum flow, capacity per site)"
            } else {
                "residents newly within the threshold"
            },
            tie_break: "lowest candidate id",
            evaluations: selection.evaluations,
            plain_greedy_evaluations: (0..selection.picks.len()).map(|i| kept - i).sum::<usize>(),
        }
    }
}

impl AfterRun {
    /// What `after` reports of `category`, checked against the curve's last row (a warning
    /// when they differ).
    pub(super) fn of(
        after: &CoverageReport,
        category: &str,
        selection: &Selection,
        log: &dyn Fn(&str),
    ) -> Self {
        let after_share = (after.categories.iter())
            .find(|c| c.category == category)
            .map_or(0.0, |c| c.covered_share);
        let final_point = selection.curve.last().expect("row 0 at least");
        let matches = (after_share - final_point.covered_share).abs() <= 1e-9;
        if !matches {
            log(&format!(
                "warning: after/ reports a covered share of {after_share}, the curve {}",
                final_point.covered_share
            ));
        }
        AfterRun {
            dir: "after",
            covered_share: after_share,
            matches_curve: matches,
        }
    }
}

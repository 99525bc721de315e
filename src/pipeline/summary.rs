//! `summary.json` as serde structs: what a run read, with which parameters, what it counted
//! and what it found. Written through [`serde_json::Value`], so keys come out sorted, as
//! they always have. Field names are documented in docs/outputs.md.

use crate::config::Bands;
use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

use crate::analysis::completeness::CompletenessRow;
use crate::analysis::indicators::Indicator;
use crate::analysis::population::{PopulationReport, PopulationSources};
use crate::analysis::residents::ResidentsCounts;
use crate::analysis::sum;
use crate::analysis::units::{UnitLevel, UnitsSource};
use crate::config::{CoverageConfig, FacilityInput, ISLAND_MAX_M, Targets};
use crate::facilities::crs::FacilityCrs;
use crate::graph::{BuildCounts, WalkCosts, WalkProfile};
use crate::osm::compounds::CompoundCounts;
use crate::osm::read::ReadCounts;
use crate::osm::repair::RepairCounts;
use crate::output::planner::LayerFormat;
use crate::pipeline::analyse::{CategoryCoverage, ProfileAnalysis};
use crate::pipeline::city::{City, InputFile};
use crate::pipeline::stages::{Stages, peak_memory_mib};
use crate::spatial::elevation::HillReport;

/// The tool that wrote a summary.
#[derive(Debug, Clone, Serialize)]
pub struct Tool {
    /// `fifteen`.
    pub name: &'static str,
    /// The subcommand, for runs other than `coverage`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<&'static str>,
    /// The crate's version.
    pub version: &'static str,
}

impl Tool {
    /// This build, running `command` (`None` for `coverage`).
    pub fn this(command: Option<&'static str>) -> Tool {
        Tool {
            name: "fifteen",
            command,
            version: env!("CARGO_PKG_VERSION"),
        }
    }
}

/// How long each stage took and how much memory the process held at most: every summary
/// ends with these.
#[derive(Debug, Clone, Serialize)]
pub struct RunStats {
    /// Seconds per stage, and `total`.
    pub timings_s: BTreeMap<String, f64>,
    /// Peak resident memory, MiB, to 0.1 (`None` off Linux).
    pub peak_memory_mib: Option<f64>,
}

impl RunStats {
    /// The stages so far and the memory now.
    pub fn now(stages: &Stages) -> RunStats {
        RunStats {
            timings_s: stages.timings_s(),
            peak_memory_mib: peak_memory_mib().map(|m| (m * 10.0).round() / 10.0),
        }
    }
}

/// A walking profile as a summary states it.
#[derive(Debug, Clone, Serialize)]
pub struct ProfileParameters {
    /// `adult`, `stroller`, `older` or `wheelchair`.
    pub name: &'static str,
    /// Flat speed, km/h.
    pub speed_kmh: f64,
    /// Edges this profile cannot pass (steps without a ramp, for wheels).
    pub impassable_edges: usize,
}

impl ProfileParameters {
    /// `profile` with its costs on the network.
    pub fn of(profile: &WalkProfile, costs: &WalkCosts) -> Self {
        ProfileParameters {
            name: profile.profile.name(),
            speed_kmh: profile.speed_kmh,
            impassable_edges: costs.impassable_edges(),
        }
    }
}

/// A facility category read from OSM, as a summary states it.
#[derive(Debug, Clone, Serialize)]
pub struct CategoryParameters {
    /// Category name.
    pub name: String,
    /// Its tags, `key=value`.
    pub tags: Vec<String>,
}

/// Where facilities came from.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "source", rename_all = "lowercase")]
pub enum FacilityParameters {
    /// OSM, by category tags.
    Osm {
        /// The categories.
        categories: Vec<CategoryParameters>,
    },
    /// The planner's register.
    File {
        /// The register file.
        path: PathBuf,
        /// Categories kept (empty: all).
        categories: Vec<String>,
        /// Category of rows that name none.
        default_category: String,
    },
}

impl FacilityParameters {
    /// The configuration's facility source.
    pub fn of(input: &FacilityInput) -> Self {
        match input {
            FacilityInput::Osm(categories) => FacilityParameters::Osm {
                categories: (categories.iter())
                    .map(|c| CategoryParameters {
                        name: c.name.clone(),
                        tags: c.tags.iter().map(|(k, v)| format!("{k}={v}")).collect(),
                    })
                    .collect(),
            },
            FacilityInput::Register {
                path,
                categories,
                default_category,
            } => FacilityParameters::File {
                path: path.clone(),
                categories: categories.clone(),
                default_category: default_category.clone(),
            },
        }
    }
}

/// The parameters of a `coverage` run, resolved.
#[derive(Debug, Clone, Serialize)]
pub struct Parameters {
    /// Facility source.
    pub facilities: FacilityParameters,
    /// Bands, under their unit (`minutes` or `meters`).
    #[serde(flatten)]
    pub bands: Bands,
    /// Coordinate system of the register.
    pub facility_crs: FacilityCrs,
    /// Layer format.
    pub format: LayerFormat,
    /// Half-width of service-area strips, metres.
    pub area_buffer_m: f64,
    /// Places of facilities that state none (`None`: per category).
    pub default_capacity: Option<f64>,
    /// Enhanced 2SFCA band weights.
    pub decay_weights: Option<Vec<f64>>,
    /// Targets.
    pub targets: Targets,
    /// Where units come from.
    pub units: UnitsSource,
    /// The profile of this summary (absent in a several-profile run's index).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<ProfileParameters>,
    /// Every profile (a several-profile run's index only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profiles: Option<Vec<WalkProfile>>,
    /// Flat speed, km/h (`null` in a several-profile run's index).
    pub speed_kmh: Option<f64>,
    /// Folder of elevation tiles.
    pub elevation_dir: Option<PathBuf>,
    /// Maximum snap distance, metres.
    pub max_snap_m: f64,
    /// Search horizon, minutes (with `meters`: the distance walked in that time at 4.5 km/h).
    pub search_minutes: f64,
    /// Network components shorter than this are islands, metres.
    pub island_max_m: f64,
    /// Gross floor area per resident given by flag, m² (the value used is in
    /// `counts.residents`).
    pub floor_area_per_person_m2: Option<f64>,
    /// Country given by flag (the one used is in `counts.residents`).
    pub country: Option<String>,
    /// Grid block side, metres.
    pub grid_block_m: f64,
    /// Where residents and children come from beyond the footprint estimate.
    pub population: PopulationSources,
    /// The life-circle preset completeness was judged by (`--life-circle`), as read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub life_circle: Option<crate::analysis::life_circle::LifeCircle>,
    /// Worker threads.
    pub threads: usize,
}

impl Parameters {
    /// `config`'s parameters for one profile (`None`: the run as a whole).
    pub fn of(config: &CoverageConfig, profile: Option<ProfileParameters>) -> Self {
        let whole_run = profile.is_none();
        Parameters {
            facilities: FacilityParameters::of(&config.facilities),
            bands: config.bands.clone(),
            facility_crs: config.facility_crs,
            format: config.layer_format,
            area_buffer_m: config.area_buffer_m,
            default_capacity: config.default_capacity,
            decay_weights: config.decay_weights.clone(),
            targets: config.targets,
            units: config.units.clone(),
            speed_kmh: profile.as_ref().map(|p| p.speed_kmh),
            profile,
            profiles: whole_run.then(|| config.profiles.clone()),
            elevation_dir: config.elevation_dir.clone(),
            max_snap_m: config.max_snap_m,
            search_minutes: config.search_minutes,
            island_max_m: ISLAND_MAX_M,
            floor_area_per_person_m2: config.residents.floor_area_per_person_m2,
            country: config.residents.country.clone(),
            grid_block_m: config.residents.grid_block_m,
            population: config.population.clone(),
            life_circle: config.life_circle.clone(),
            threads: rayon::current_num_threads(),
        }
    }
}

/// What a run counted.
#[derive(Debug, Clone, Serialize)]
pub struct Counts {
    /// What the reader kept.
    pub osm: ReadCounts,
    /// The walking graph.
    pub graph: BuildCounts,
    /// Gated compounds.
    pub compounds: CompoundCounts,
    /// The residents model.
    pub residents: ResidentsCounts,
    /// Homes.
    pub buildings: usize,
    /// Blocks.
    pub blocks: usize,
    /// Residents, to 0.1.
    pub population: f64,
    /// Where they come from (`estimate`, `census+estimate`, …; see `population`).
    pub population_source: String,
    /// Children under 3, to 0.1.
    pub children: f64,
    /// Homes not snapped.
    pub buildings_unsnapped: usize,
    /// Their residents, to 0.1.
    pub population_unsnapped: f64,
    /// Homes on network islands.
    pub buildings_on_islands: usize,
}

impl Counts {
    /// The city's counts.
    pub fn of(city: &City) -> Counts {
        let population = city.population();
        let unsnapped: Vec<usize> = (0..city.homes.len())
            .filter(|&h| city.homes[h].snap.is_none())
            .collect();
        let tenth = |x: f64| (x * 10.0).round() / 10.0;
        Counts {
            osm: city.extract.counts,
            graph: city.graph_counts,
            compounds: city.compound_counts,
            residents: city.residents.counts.clone(),
            buildings: city.residents.buildings.len(),
            blocks: city.residents.blocks.len(),
            population: tenth(sum(population.iter().copied())),
            population_source: city.population.residents_source.clone(),
            children: tenth(sum(city.children())),
            buildings_unsnapped: unsnapped.len(),
            population_unsnapped: tenth(sum(unsnapped.iter().map(|&h| population[h]))),
            buildings_on_islands: city.homes.iter().filter(|p| p.on_island).count(),
        }
    }
}

/// How many units a run used and which it skipped.
#[derive(Debug, Clone, Serialize)]
pub struct UnitCounts {
    /// Districts.
    pub districts: usize,
    /// Sub-districts.
    pub subdistricts: usize,
    /// `name (id): reason` per unit skipped.
    pub skipped: Vec<String>,
    /// Unit outlines invalid as mapped: repaired, or not repairable (then skipped).
    pub outlines: RepairCounts,
}

/// One profile's `summary.json`.
#[derive(Debug, Clone, Serialize)]
pub struct CoverageSummary {
    /// The tool.
    pub tool: Tool,
    /// The extract.
    pub input: InputFile,
    /// Resolved parameters.
    pub parameters: Parameters,
    /// What was counted.
    pub counts: Counts,
    /// Where residents and children come from, per source, and what each source did.
    pub population: PopulationReport,
    /// Units used.
    pub units: UnitCounts,
    /// The plan's indicators per category and unit.
    pub indicators: Vec<Indicator>,
    /// Completeness per life-circle tier and unit, as in `completeness.csv` (absent in a run
    /// of one category, which has no tier).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub completeness: Vec<CompletenessRow>,
    /// Covered residents per category.
    pub coverage: BTreeMap<String, CategoryCoverage>,
    /// What the elevation tiles gave.
    pub elevation: Option<HillReport>,
    /// Timings and memory (the whole run's, written last).
    #[serde(flatten)]
    pub stats: Option<RunStats>,
}

impl CoverageSummary {
    /// The summary of `analysis` on `city`, without timings and memory (added when the run
    /// ends).
    pub fn of(config: &CoverageConfig, city: &City, analysis: &ProfileAnalysis) -> Self {
        let level_count = |level| city.units.units.iter().filter(|u| u.level == level).count();
        CoverageSummary {
            tool: Tool::this(None),
            input: city.input.clone(),
            parameters: Parameters::of(
                config,
                Some(ProfileParameters::of(&analysis.profile, &analysis.costs)),
            ),
            counts: Counts::of(city),
            population: city.population.clone(),
            units: UnitCounts {
                districts: level_count(UnitLevel::District),
                subdistricts: level_count(UnitLevel::Subdistrict),
                skipped: city.units.skipped.clone(),
                outlines: city.units.outlines,
            },
            indicators: analysis.indicators.clone(),
            completeness: analysis.completeness.clone(),
            coverage: coverage_by_category(&analysis.coverage),
            elevation: city.hill_report().cloned(),
            stats: None,
        }
    }
}

/// Coverage keyed by category name.
pub fn coverage_by_category(coverage: &[CategoryCoverage]) -> BTreeMap<String, CategoryCoverage> {
    (coverage.iter())
        .map(|c| (c.category.clone(), c.clone()))
        .collect()
}

/// One profile's entry in a several-profile run's index.
#[derive(Debug, Clone, Serialize)]
pub struct ProfileEntry {
    /// The profile.
    pub profile: ProfileParameters,
    /// Covered residents per category.
    pub coverage: BTreeMap<String, CategoryCoverage>,
    /// The city's completeness per life-circle tier (absent with one category).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub completeness: Vec<CompletenessRow>,
}

/// The shared counts of a several-profile run's index.
#[derive(Debug, Clone, Serialize)]
pub struct IndexCounts {
    /// What the reader kept.
    pub osm: ReadCounts,
    /// The walking graph.
    pub graph: BuildCounts,
    /// Gated compounds.
    pub compounds: CompoundCounts,
}

/// A several-profile run's `summary.json`: shared input and counts, each profile's coverage
/// (each profile's own summary is in its folder).
#[derive(Debug, Clone, Serialize)]
pub struct RunIndex {
    /// The tool.
    pub tool: Tool,
    /// The extract.
    pub input: InputFile,
    /// Resolved parameters, every profile.
    pub parameters: Parameters,
    /// Shared counts.
    pub counts: IndexCounts,
    /// Per profile name.
    pub profiles: BTreeMap<String, ProfileEntry>,
    /// What the elevation tiles gave.
    pub elevation: Option<HillReport>,
    /// Timings and memory.
    #[serde(flatten)]
    pub stats: RunStats,
}

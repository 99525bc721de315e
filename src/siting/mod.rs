//! The `site` job: where the next facilities should go, and how many are needed.
//!
//! 1. [`crate::pipeline::City::prepare`] reads the extract, builds the network and finds the
//!    homes; the existing facilities of the one category (there may be none) are placed on it
//!    and stay.
//! 2. One multi-source search finds the homes already within the threshold; they are left out
//!    of every gain.
//! 3. Candidates come from a lattice of network points, tagged OSM elements and/or a file
//!    ([`candidates`]); those that cannot be snapped or land on an island are reported and
//!    left out.
//! 4. Each candidate's coverage set (the homes within the threshold of it) comes from one
//!    bounded search per candidate, in parallel
//!    ([`crate::analysis::service_area::facility_reach`]).
//! 5. Greedy with lazy re-evaluation ([`greedy::Celf`]) chooses sites one at a time by what
//!    they add, until `--add` sites or `--target-share`.
//! 6. `sites.geojson`, `coverage_curve.csv`, `candidates.geojson` and `summary.json` explain
//!    every choice, and the `coverage` job runs again on the same prepared city with the
//!    chosen sites added, into `after/` (its covered share is the curve's last, to the bit:
//!    the same searches, the same sum).

pub mod candidates;
pub mod greedy;
pub mod options;
mod select;
mod summary;
mod write;

use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::path::PathBuf;

use geo::Coord;
use serde_json::Value;

use crate::analysis::coverage::nearest_facility;
use crate::analysis::placement::{Placement, place_points};
use crate::config::{CoverageConfig, FacilityInput, ISLAND_MAX_M};
use crate::error::{Error, Result};
use crate::facilities::{Facility, FacilitySource};
use crate::output::OutputSet;
use crate::output::planner::{FilesOptions, finish_site};
use crate::pipeline::summary::{RunStats, Tool};
use crate::pipeline::{
    City, CoverageReport, FacilitySet, PlacedCategory, Stages, read_register_stage, write_coverage,
};
use candidates::{Candidate, CandidateSource};
use select::{Elements, cover_sets, exact_rows, select};
use summary::{
    AfterRun, CandidateCounts, GreedyStats, SiteCounts, SiteParameters, SiteResult, SiteSummary,
    SourceCounts,
};

/// Most candidates `--exact` accepts (subsets are enumerated).
pub const EXACT_MAX_CANDIDATES: usize = 30;

/// Demand is counted in millionths of a place, so flows are exact integers.
const MICRO: f64 = 1e6;

/// How capacity-aware siting counts demand and supply.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct CapacityModel {
    /// Places of each new site.
    pub site_places: u32,
    /// What each home demands.
    pub demand: Demand,
}

/// Places a home demands in capacity-aware siting.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Demand {
    /// One place per child under 3 (from the population sources: census column, age
    /// rasters, or residents × `--under3-share`).
    Children,
    /// This many places per resident (`--demand-per-1000` ÷ 1,000).
    PerResident(f64),
}

/// Everything a `site` run needs, resolved (serialized canonically, as
/// [`CoverageConfig`] is).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SiteConfig {
    /// The coverage run it builds on: input, output folder, the one category's existing
    /// facilities, threshold, speed, snapping, population model. Its `extra_facilities`
    /// count as existing facilities. `site` runs it with `allow_empty_category` (there may
    /// be no facility yet) and adds its tagged candidates' tags to `read_also`.
    pub coverage: CoverageConfig,
    /// Candidate sources, in order (ids must be unique across them).
    pub candidates: Vec<CandidateSource>,
    /// Lattice spacing of grid candidates, metres.
    pub spacing_m: f64,
    /// Stop after this many sites.
    pub add: Option<usize>,
    /// Stop once this share of residents (of demand, capacity-aware) is within reach.
    pub target_share: Option<f64>,
    /// Capacity-aware siting, when given.
    pub capacity: Option<CapacityModel>,
    /// Also find the exact optimum for every number of sites chosen (≤ 30 candidates).
    pub exact: bool,
}

impl SiteConfig {
    /// The category sites are chosen for: the one category the coverage configuration names.
    ///
    /// # Errors
    /// [`Error::Usage`] when it names none or several.
    pub fn category(&self) -> Result<String> {
        let names: Vec<String> = match &self.coverage.facilities {
            FacilityInput::Osm(categories) => categories.iter().map(|c| c.name.clone()).collect(),
            FacilityInput::Register { categories, .. } => categories.clone(),
        };
        match names.as_slice() {
            [one] => Ok(one.clone()),
            _ => Err(Error::Usage(
                "site chooses sites for exactly one category: name one --category (or one --facility-tags)".into(),
            )),
        }
    }
}

/// One row of the coverage curve: the state after `sites` sites were added.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CurvePoint {
    /// Sites added so far (0: the existing facilities only).
    pub sites: usize,
    /// The site added last (`None` on row 0).
    pub site_id: Option<String>,
    /// Residents the last site added to the objective: newly within the threshold, or
    /// (capacity-aware) the residents whose places it newly serves.
    pub marginal_residents: f64,
    /// Residents within the threshold of some facility.
    pub covered_population: f64,
    /// `covered_population` ÷ all residents.
    pub covered_share: f64,
    /// Capacity-aware: places the last site added to the served demand.
    pub marginal_places: Option<f64>,
    /// Capacity-aware: places served (demand within reach of existing facilities, plus
    /// what the new sites serve).
    pub served_places: Option<f64>,
    /// Capacity-aware: `served_places` ÷ all demand.
    pub served_share: Option<f64>,
}

/// What a finished `site` run reports.
#[derive(Debug, Clone)]
pub struct SiteReport {
    /// The category.
    pub category: String,
    /// The coverage curve, row 0 first.
    pub curve: Vec<CurvePoint>,
    /// Ids of the chosen sites, in order.
    pub sites: Vec<String>,
    /// Why selection stopped: `add`, `target`, `no_gain` or `no_candidates`.
    pub stopped_because: &'static str,
    /// Covered share `after/summary.json` reports.
    pub after_covered_share: f64,
    /// The summary as written.
    pub summary: Value,
    /// Files written.
    pub files: Vec<PathBuf>,
}

impl SiteReport {
    /// The run's result lines: covered share before and after the new sites, and
    /// (capacity-aware) the demand served before and after.
    /// `threshold` as [`crate::config::Bands::threshold_label`] writes it.
    pub fn result_lines(&self, threshold: &str) -> Vec<String> {
        let category = &self.category;
        let first = &self.curve[0];
        let last = self.curve.last().expect("row 0 at least");
        let mut lines = vec![format!(
            "{category}: {:.1} % of residents within {threshold} before, {:.1} % after {} new site(s) (stopped: {})",
            100.0 * first.covered_share,
            100.0 * last.covered_share,
            self.sites.len(),
            self.stopped_because
        )];
        if let (Some(before), Some(after)) = (first.served_share, last.served_share) {
            lines.push(format!(
                "{category}: demand served {:.1} % before, {:.1} % after",
                100.0 * before,
                100.0 * after
            ));
        }
        lines
    }
}

/// A candidate left out, and why.
type LeftOut = (Candidate, &'static str);

/// What [`gather_candidates`] found: the kept candidates by id, counts per source, and the
/// left-out ones.
struct Gathered {
    kept: Vec<Kept>,
    per_source: BTreeMap<String, SourceCounts>,
    left_out: Vec<LeftOut>,
}

/// A candidate kept for selection, with where it meets the network.
struct Kept {
    candidate: Candidate,
    placement: Placement,
}

/// Generates the candidates of every source, leaves out what cannot be used (reported), and
/// returns the rest sorted by id.
fn gather_candidates(
    config: &SiteConfig,
    prepared: &City,
    existing: &[Facility],
) -> Result<Gathered> {
    let mut per_source: BTreeMap<String, SourceCounts> = BTreeMap::new();
    let mut left_out = Vec::new();
    let all = generate_candidates(config, prepared, &mut per_source)?;
    let unique = drop_taken_ids(all, existing, &mut per_source, &mut left_out)?;
    let mut kept = place_candidates(unique, config, prepared, &mut per_source, &mut left_out);
    kept.sort_by(|a, b| a.candidate.id.cmp(&b.candidate.id));
    Ok(Gathered {
        kept,
        per_source,
        left_out,
    })
}

/// Every source's candidates, in source order, with the file each came from (if any);
/// counts what each source generated.
fn generate_candidates(
    config: &SiteConfig,
    prepared: &City,
    per_source: &mut BTreeMap<String, SourceCounts>,
) -> Result<Vec<(Candidate, Option<PathBuf>)>> {
    let mut all = Vec::new();
    for source in &config.candidates {
        let counts = per_source.entry(source.label()).or_default();
        let generated = match source {
            CandidateSource::Grid => {
                let (list, grid) = candidates::grid_candidates(
                    config.spacing_m,
                    &prepared.residents,
                    &prepared.frame,
                    &prepared.graph,
                    &prepared.index,
                );
                counts.grid = Some(grid);
                list.into_iter().map(|c| (c, None)).collect::<Vec<_>>()
            }
            CandidateSource::Tags { name, tags } => {
                candidates::tagged_candidates(&prepared.extract, name, tags)
                    .into_iter()
                    .map(|c| (c, None))
                    .collect()
            }
            CandidateSource::File(path) => candidates::file_candidates(path)?
                .into_iter()
                .map(|c| (c, Some(path.clone())))
                .collect(),
        };
        counts.generated += generated.len();
        all.extend(generated);
    }
    Ok(all)
}

/// The candidates whose ids are free: one with an existing facility's id, or an id an
/// earlier candidate took, is left out (an error when it comes from a file, whose ids the
/// planner chose).
fn drop_taken_ids(
    all: Vec<(Candidate, Option<PathBuf>)>,
    existing: &[Facility],
    per_source: &mut BTreeMap<String, SourceCounts>,
    left_out: &mut Vec<LeftOut>,
) -> Result<Vec<Candidate>> {
    let existing_ids: HashSet<&str> = existing.iter().map(|f| f.id.as_str()).collect();
    let mut seen: HashSet<String> = HashSet::new();
    let mut unique = Vec::new();
    for (candidate, file) in all {
        let counts = per_source
            .get_mut(&candidate.source)
            .expect("every source counted");
        let (reason, message) = if existing_ids.contains(candidate.id.as_str()) {
            counts.already_facilities += 1;
            (
                "already a facility of the category",
                "has the id of an existing facility; give the candidates ids of their own (an id column)",
            )
        } else if !seen.insert(candidate.id.clone()) {
            counts.duplicates += 1;
            (
                "duplicate (named by an earlier source)",
                "is also the id of another candidate",
            )
        } else {
            unique.push(candidate);
            continue;
        };
        if let Some(path) = &file {
            let id = &candidate.id;
            return Err(Error::data(path, format!("candidate {id:?} {message}")));
        }
        left_out.push((candidate, reason));
    }
    Ok(unique)
}

/// The candidates that meet the network off an island, placed exactly as the city places
/// facilities (so the after/ run places them identically); the rest are left out.
fn place_candidates(
    unique: Vec<Candidate>,
    config: &SiteConfig,
    prepared: &City,
    per_source: &mut BTreeMap<String, SourceCounts>,
    left_out: &mut Vec<LeftOut>,
) -> Vec<Kept> {
    let points: Vec<Coord<f64>> = (unique.iter())
        .map(|c| prepared.frame.to_xy(c.lon, c.lat))
        .collect();
    let placements = place_points(
        &prepared.graph,
        &prepared.index,
        &prepared.frame,
        &points,
        config.coverage.max_snap_m,
        ISLAND_MAX_M,
    );
    let mut kept = Vec::new();
    for (candidate, placement) in unique.into_iter().zip(placements) {
        let counts = per_source
            .get_mut(&candidate.source)
            .expect("every source counted");
        let reason = if placement.snap.is_none() {
            counts.unsnapped += 1;
            "unsnapped: farther than --max-snap-m from the walking network"
        } else if placement.on_island {
            counts.on_islands += 1;
            "on an island: a network component shorter than the island limit"
        } else {
            counts.kept += 1;
            kept.push(Kept {
                candidate,
                placement,
            });
            continue;
        };
        left_out.push((candidate, reason));
    }
    kept
}

pub(crate) fn round_to(v: f64, decimals: i32) -> f64 {
    let f = 10f64.powi(decimals);
    (v * f).round() / f + 0.0 // + 0.0 turns the -0.0 of an empty sum into 0
}

pub(crate) fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 { a / b } else { 0.0 }
}

/// Runs the whole `site` job and writes its outputs into `config.coverage.out_dir`, the
/// coverage outputs with the chosen sites into its `after/` folder.
///
/// Nothing is written unless every stage succeeds: the site files are renamed into place
/// after the `after/` run has committed its own.
///
/// # Errors
/// As [`crate::pipeline::run_coverage`]; [`Error::Usage`] for a configuration that names
/// several categories or several profiles, no stopping rule, or `--exact` with more than 30
/// candidates; [`Error::Data`] for a bad candidate file.
pub fn run_site(config: &SiteConfig, log: &dyn Fn(&str)) -> Result<SiteReport> {
    let category = check_config(config)?;
    let cov = &site_coverage_config(config);
    let mut stages = Stages::default();
    let mut outputs = OutputSet::new(&cov.out_dir)?;
    let register = read_register_stage(cov, &mut stages, log)?;
    let city = City::prepare(cov, &mut stages, log)?;
    let facilities = city.facilities(cov, register.clone(), &mut stages, log)?;
    let existing = existing_of(&facilities, &category, log);
    let routing = cov.routing();
    let costs = city.walk_costs(&cov.profiles[0], cov.bands.unit);

    let covered_before: Vec<bool> = stages.run("route", log, || {
        nearest_facility(
            &city.graph,
            &costs,
            &routing,
            &existing.placements,
            &city.homes,
        )
        .iter()
        .map(|t| t.is_some_and(|(s, _)| s <= routing.threshold_s))
        .collect()
    });
    let gathered = stages.run("candidates", log, || {
        gather_candidates(config, &city, &existing.facilities)
    })?;
    let kept = &gathered.kept;
    check_exact(config, kept.len())?;
    let elements = Elements::new(config, &city, covered_before);
    let sets = stages.run("reach", log, || {
        cover_sets(&city, &costs, &routing, kept, &elements)
    });
    let selection = stages.run("greedy", log, || select(config, &elements, kept, &sets));
    let exact = (config.exact).then(|| {
        stages.run("exact", log, || {
            exact_rows(&elements, kept, &sets, &selection)
        })
    });

    let chosen: Vec<&Kept> = selection.picks.iter().map(|p| &kept[p.candidate]).collect();
    let extra = proposed_facilities(config, &category, &chosen);
    stages.run("write", log, || {
        write::write_site_layers(
            &mut outputs,
            config,
            &city,
            &elements,
            &selection,
            &gathered,
            &sets,
        )
    })?;
    let pairs = sets.pairs();
    drop(sets);

    let after = stages.run("after", log, || run_after(cov, &city, register, extra, log))?;
    let after_run = AfterRun::of(&after, &category, &selection, log);
    let after_covered_share = after_run.covered_share;

    let mut summary = SiteSummary {
        tool: Tool::this(Some("site")),
        input: city.input.clone(),
        parameters: SiteParameters::of(config, cov, &category, city.hill_report().cloned()),
        counts: SiteCounts::of(&city, &elements, existing.facilities.len(), pairs),
        candidates: CandidateCounts::of(&gathered.per_source, kept.len(), &gathered.left_out),
        before: selection.curve[0].clone(),
        result: SiteResult::of(config, &elements, &selection),
        sites: selection.curve[1..].to_vec(),
        greedy: GreedyStats::of(config, &selection, kept.len()),
        exact,
        after: after_run,
        stats: None,
    };
    let layers = write::site_layers(&selection, &gathered);
    let value = serde_json::to_value(&summary).expect("the summary serializes");
    stages.run("report", log, || {
        finish_site(
            &mut outputs,
            layers,
            &after.views,
            &cov.bands,
            &value,
            FilesOptions {
                format: cov.layer_format,
                lang: cov.lang,
            },
        )
    })?;
    summary.stats = Some(RunStats::now(&stages));
    let summary = serde_json::to_value(&summary).expect("the summary serializes");
    outputs.write("summary.json", |w| {
        serde_json::to_writer_pretty(&mut *w, &summary)?;
        w.write_all(b"\n")
    })?;
    let mut files = outputs.commit()?;
    files.extend(after.files);
    Ok(SiteReport {
        category,
        sites: selection.curve[1..]
            .iter()
            .filter_map(|p| p.site_id.clone())
            .collect(),
        curve: selection.curve,
        stopped_because: selection.stopped_because,
        after_covered_share,
        summary,
        files,
    })
}

/// The configuration's one category, once the rest of it is known to make a `site` run:
/// a stopping rule, a candidate source, one profile.
fn check_config(config: &SiteConfig) -> Result<String> {
    if config.coverage.life_circle.is_some() {
        return Err(Error::Usage(
            "site places one category's sites: --life-circle (several categories' tiers) is for coverage and serve".into(),
        ));
    }
    let category = config.category()?;
    if config.add.is_none() && config.target_share.is_none() {
        return Err(Error::Usage(
            "say when to stop: --add N sites and/or --target-share S".into(),
        ));
    }
    if config.candidates.is_empty() {
        return Err(Error::Usage("no candidate source".into()));
    }
    if config.coverage.profiles.len() != 1 {
        return Err(Error::Usage(
            "site places sites for one walking profile: give --profile once".into(),
        ));
    }
    Ok(category)
}

/// `--exact` enumerates subsets, so it takes few candidates.
fn check_exact(config: &SiteConfig, kept: usize) -> Result<()> {
    if config.exact && kept > EXACT_MAX_CANDIDATES {
        return Err(Error::Usage(format!(
            "--exact compares with every subset and takes at most {EXACT_MAX_CANDIDATES} candidates; these sources give {kept} (use a coarser --spacing-m or fewer sources)",
        )));
    }
    Ok(())
}

/// The coverage configuration a `site` run prepares its city with.
///
/// A category with no facility yet is where siting matters most: every home starts
/// uncovered and the first sites are chosen from the candidates alone. Tagged candidates
/// are read with the extract.
fn site_coverage_config(config: &SiteConfig) -> CoverageConfig {
    CoverageConfig {
        allow_empty_category: true,
        read_also: (config.coverage.read_also.iter().cloned())
            .chain(
                config
                    .candidates
                    .iter()
                    .filter_map(CandidateSource::read_as),
            )
            .collect(),
        ..config.coverage.clone()
    }
}

/// The existing facilities of `category`, with a warning when there are none.
fn existing_of<'a>(
    facilities: &'a FacilitySet,
    category: &str,
    log: &dyn Fn(&str),
) -> &'a PlacedCategory {
    let existing = (facilities.categories.iter())
        .find(|c| c.name == category)
        .expect("the configured category is gathered");
    if existing.facilities.is_empty() {
        // not an error here, but a mistyped tag or category also ends up here
        log(&format!(
            "warning: no facility of category {category:?} yet: every home starts uncovered"
        ));
    }
    existing
}

/// The chosen sites as facilities of the category, for `after/`.
fn proposed_facilities(config: &SiteConfig, category: &str, chosen: &[&Kept]) -> Vec<Facility> {
    chosen
        .iter()
        .enumerate()
        .map(|(i, k)| Facility {
            id: k.candidate.id.clone(),
            name: Some(
                config
                    .coverage
                    .lang
                    .proposed_site(i + 1, k.candidate.name.as_deref()),
            ),
            category: category.to_string(),
            lon: k.candidate.lon,
            lat: k.candidate.lat,
            source: FacilitySource::File,
            capacity: config.capacity.map(|c| c.site_places),
            affordable: None,
            kind: Some(crate::facilities::PROPOSED_SITE_KIND.into()),
            toddler_classes: None,
        })
        .collect()
}

/// The coverage job again on the same city, with the chosen sites added, into `after/`.
fn run_after(
    cov: &CoverageConfig,
    city: &City,
    register: Option<Vec<Facility>>,
    extra: Vec<Facility>,
    log: &dyn Fn(&str),
) -> Result<CoverageReport> {
    let mut after_config = cov.clone();
    after_config.out_dir = cov.out_dir.join("after");
    after_config.extra_facilities.extend(extra);
    let log = |line: &str| log(&format!("after: {line}"));
    let mut after_stages = Stages::default();
    let after_facilities = city.facilities(&after_config, register, &mut after_stages, &log)?;
    write_coverage(&after_config, city, &after_facilities, after_stages, &log)
}

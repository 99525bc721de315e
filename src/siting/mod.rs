//! The `site` job: where the next facilities should go, and how many are needed.
//!
//! 1. [`crate::pipeline::prepare`] reads the extract, builds the network, finds the homes and
//!    the existing facilities of the one category (there may be none), all snapped; the
//!    existing facilities stay.
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
//!    every choice, and the `coverage` job is rerun with the chosen sites added into `after/`
//!    (its covered share is the curve's last, to the bit: the same searches, the same sum).

pub mod candidates;
pub mod greedy;
pub mod options;

use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::path::PathBuf;

use geo::Coord;
use serde_json::{Value, json};

use crate::analysis::coverage::nearest_facility;
use crate::analysis::placement::{Placement, PointsByEdge, place_points};
use crate::analysis::service_area::{ReachInputs, facility_reach};
use crate::analysis::sum;
use crate::config::{CoverageConfig, FacilityInput, ISLAND_MAX_M};
use crate::error::{Error, Result};
use crate::facilities::{Facility, FacilitySource};
use crate::output::OutputSet;
use crate::output::geojson::{point_geometry, write_features};
use crate::output::planner::{WrittenLayer, finish_site};
use crate::pipeline::{City, Stages, read_register_stage, write_coverage};
use candidates::{Candidate, CandidateSource, GridCounts};
use greedy::{Capacitated, Celf, CoverSets, Coverage, Pick, exact_best};

/// Default share of residents who are children under 3, each wanting a place (capacity-aware
/// siting). A placeholder: China's 2020 census counts about 2.5–3 % of residents under 3;
/// give the city's own figure with `--under3-share`.
pub const DEFAULT_UNDER3_SHARE: f64 = 0.03;

/// Most candidates `--exact` accepts (subsets are enumerated).
pub const EXACT_MAX_CANDIDATES: usize = 30;

/// Demand is counted in millionths of a place, so flows are exact integers.
const MICRO: f64 = 1e6;

/// How capacity-aware siting counts demand and supply.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct CapacityModel {
    /// Places of each new site.
    pub site_places: u32,
    /// Places demanded per resident.
    pub places_per_resident: f64,
    /// Where `places_per_resident` comes from: `under3_share` or `demand_per_1000`.
    pub basis: &'static str,
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
    pub fn result_lines(&self, threshold_min: f64) -> Vec<String> {
        let category = &self.category;
        let first = &self.curve[0];
        let last = self.curve.last().expect("row 0 at least");
        let mut lines = vec![format!(
            "{category}: {:.1} % of residents within {threshold_min} min before, {:.1} % after {} new site(s) (stopped: {})",
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

/// Per-source candidate counts for `summary.json`.
#[derive(Debug, Default, Clone, serde::Serialize)]
struct SourceCounts {
    generated: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    grid: Option<GridCounts>,
    unsnapped: usize,
    on_islands: usize,
    already_facilities: usize,
    duplicates: usize,
    kept: usize,
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
    let mut all: Vec<(Candidate, Option<PathBuf>)> = Vec::new();
    for source in &config.candidates {
        let label = source.label();
        let counts = per_source.entry(label.clone()).or_default();
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

    let existing_ids: HashSet<&str> = existing.iter().map(|f| f.id.as_str()).collect();
    let mut seen: HashSet<String> = HashSet::new();
    let mut unique = Vec::new();
    for (candidate, file) in all {
        let counts = per_source
            .get_mut(&candidate.source)
            .expect("every source counted");
        let reason = if existing_ids.contains(candidate.id.as_str()) {
            if let Some(path) = &file {
                return Err(Error::data(
                    path,
                    format!(
                        "candidate {:?} has the id of an existing facility; give the candidates ids of their own (an id column)",
                        candidate.id
                    ),
                ));
            }
            counts.already_facilities += 1;
            "already a facility of the category"
        } else if !seen.insert(candidate.id.clone()) {
            if let Some(path) = &file {
                return Err(Error::data(
                    path,
                    format!(
                        "candidate id {:?} is also the id of another candidate",
                        candidate.id
                    ),
                ));
            }
            counts.duplicates += 1;
            "duplicate (named by an earlier source)"
        } else {
            unique.push(candidate);
            continue;
        };
        left_out.push((candidate, reason));
    }

    let points: Vec<Coord<f64>> = unique
        .iter()
        .map(|c| prepared.frame.to_xy(c.lon, c.lat))
        .collect();
    // exactly how `prepare` places facilities, so the after/ run places them identically
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
    kept.sort_by(|a, b| a.candidate.id.cmp(&b.candidate.id));
    Ok(Gathered {
        kept,
        per_source,
        left_out,
    })
}

/// Groups elements by which candidates reach them (at most 32 candidates): the reduced sets
/// and, per group, its elements.
fn reduce_by_membership(sets: &CoverSets, elements: usize) -> (CoverSets, Vec<Vec<u32>>) {
    let mut mask = vec![0u32; elements];
    for c in 0..sets.len() {
        for &e in sets.set(c) {
            mask[e as usize] |= 1 << c;
        }
    }
    let mut groups: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for (e, &m) in mask.iter().enumerate() {
        if m != 0 {
            groups.entry(m).or_default().push(e as u32);
        }
    }
    let masks: Vec<u32> = groups.keys().copied().collect();
    let mut reduced = CoverSets::new();
    for c in 0..sets.len() {
        reduced.push(
            masks
                .iter()
                .enumerate()
                .filter(|(_, m)| *m >> c & 1 == 1)
                .map(|(g, _)| g as u32),
        );
    }
    (reduced, groups.into_values().collect())
}

fn round_to(v: f64, decimals: i32) -> f64 {
    let f = 10f64.powi(decimals);
    (v * f).round() / f + 0.0 // + 0.0 turns the -0.0 of an empty sum into 0
}

/// Runs the whole `site` job and writes its outputs into `config.coverage.out_dir`, the
/// coverage outputs with the chosen sites into its `after/` folder.
///
/// Nothing is written unless every stage succeeds: the site files are renamed into place
/// after the `after/` run has committed its own.
///
/// # Errors
/// As [`run_coverage`]; [`Error::Usage`] for a configuration that names several categories
/// or several profiles, no stopping rule, or `--exact` with more than 30 candidates; [`Error::Data`] for a bad
/// candidate file.
pub fn run_site(config: &SiteConfig, log: &dyn Fn(&str)) -> Result<SiteReport> {
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
    // A category with no facility yet is where siting matters most: every home starts
    // uncovered and the first sites are chosen from the candidates alone. Tagged candidates
    // are read with the extract.
    let cov = &CoverageConfig {
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
    };
    let mut stages = Stages::default();
    let mut outputs = OutputSet::new(&cov.out_dir)?;
    let register = read_register_stage(cov, &mut stages, log)?;
    let prepared = City::prepare(cov, &mut stages, log)?;
    let facilities = prepared.facilities(cov, register.clone(), &mut stages, log)?;
    let position = (facilities.categories.iter())
        .position(|c| c.name == category)
        .expect("the configured category is gathered");
    let existing = &facilities.categories[position].facilities;
    if existing.is_empty() {
        // not an error here, but a mistyped tag or category also ends up here
        log(&format!(
            "warning: no facility of category {category:?} yet: every home starts uncovered"
        ));
    }
    let existing_placements = &facilities.categories[position].placements;
    let routing = cov.routing();
    let graph = &prepared.graph;
    let homes = &prepared.homes;
    let residents = &prepared.residents;
    let hill_report = prepared.hill_report().cloned();
    let profile = cov.profiles[0];
    let costs = prepared.walk_costs(&profile);
    let population: Vec<f64> = residents.buildings.iter().map(|b| b.population).collect();
    let total_population = sum(population.iter().copied());
    let share_of = |p: f64| {
        if total_population > 0.0 {
            p / total_population
        } else {
            0.0
        }
    };

    let covered_before: Vec<bool> = stages.run("route", log, || {
        nearest_facility(graph, &costs, &routing, existing_placements, homes)
            .iter()
            .map(|t| t.is_some_and(|(s, _)| s <= routing.threshold_s))
            .collect()
    });
    // the same sum, in the same order, as coverage's summary
    let covered_population_of = |covered: &[bool]| -> f64 {
        sum((0..homes.len())
            .filter(|&h| covered[h])
            .map(|h| population[h]))
    };

    let Gathered {
        kept,
        per_source,
        left_out,
    } = stages.run("candidates", log, || {
        gather_candidates(config, &prepared, existing)
    })?;
    if config.exact && kept.len() > EXACT_MAX_CANDIDATES {
        return Err(Error::Usage(format!(
            "--exact compares with every subset and takes at most {EXACT_MAX_CANDIDATES} candidates; these sources give {} (use a coarser --spacing-m or fewer sources)",
            kept.len()
        )));
    }

    // Elements: homes not yet within the threshold, snapped, with residents.
    let places_per_resident = config.capacity.map(|c| c.places_per_resident);
    let demand_of = |h: usize| -> i64 {
        places_per_resident.map_or(0, |r| (population[h] * r * MICRO).round() as i64)
    };
    let mut element_of_home = vec![u32::MAX; homes.len()];
    let mut home_of_element: Vec<u32> = Vec::new();
    for h in 0..homes.len() {
        if !covered_before[h] && homes[h].snap.is_some() && population[h] > 0.0 {
            element_of_home[h] = home_of_element.len() as u32;
            home_of_element.push(h as u32);
        }
    }
    let weight: Vec<f64> = home_of_element
        .iter()
        .map(|&h| population[h as usize])
        .collect();
    let demand: Vec<i64> = home_of_element
        .iter()
        .map(|&h| demand_of(h as usize))
        .collect();

    let sets: CoverSets = stages.run("reach", log, || {
        let homes_by_edge = PointsByEdge::new(graph, homes);
        let bands_s = [routing.threshold_s];
        let inputs = ReachInputs {
            graph,
            costs: &costs,
            bands_s: &bands_s,
            homes,
            homes_by_edge: &homes_by_edge,
            areas: None,
        };
        let mut sets = CoverSets::new();
        // in chunks, so that only one chunk's full reach lists are held at a time
        for chunk in kept.chunks(1024) {
            let placements: Vec<Placement> = chunk.iter().map(|k| k.placement).collect();
            let xy: Vec<Coord<f64>> = chunk
                .iter()
                .map(|k| prepared.frame.to_xy(k.candidate.lon, k.candidate.lat))
                .collect();
            for reach in facility_reach(&inputs, &placements, &xy) {
                sets.push(
                    reach
                        .homes
                        .iter()
                        .map(|&(h, _)| element_of_home[h as usize])
                        .filter(|&e| e != u32::MAX),
                );
            }
        }
        sets
    });

    // Selection.
    let demand_before: i64 = (0..homes.len())
        .filter(|&h| covered_before[h])
        .map(demand_of)
        .sum();
    let demand_total: i64 = (0..homes.len()).map(demand_of).sum();
    let capacity_micro = config
        .capacity
        .map(|c| (f64::from(c.site_places) * MICRO).round() as i64);
    let before_point = CurvePoint {
        sites: 0,
        site_id: None,
        marginal_residents: 0.0,
        covered_population: covered_population_of(&covered_before),
        covered_share: share_of(covered_population_of(&covered_before)),
        marginal_places: config.capacity.map(|_| 0.0),
        served_places: config.capacity.map(|_| demand_before as f64 / MICRO),
        served_share: config
            .capacity
            .map(|_| ratio(demand_before as f64, demand_total as f64)),
    };
    struct Selection {
        picks: Vec<Pick>,
        curve: Vec<CurvePoint>,
        newly_within: Vec<Vec<u32>>,
        loads: Vec<i64>,
        assignment: Vec<Vec<(u32, i64)>>,
        evaluations: usize,
        stopped_because: &'static str,
    }
    let select = |objective: &mut dyn FnMut() -> Option<Pick>| -> (Vec<Pick>, &'static str) {
        let mut picks = Vec::new();
        let mut served = demand_before;
        let mut covered = covered_before.clone();
        loop {
            let share = match capacity_micro {
                Some(_) => ratio(served as f64, demand_total as f64),
                None => share_of(covered_population_of(&covered)),
            };
            if config.target_share.is_some_and(|t| share >= t) {
                return (picks, "target");
            }
            if config.add.is_some_and(|k| picks.len() >= k) {
                return (picks, "add");
            }
            let Some(pick) = objective() else {
                let why = if kept.is_empty() {
                    "no_candidates"
                } else {
                    "no_gain"
                };
                return (picks, why);
            };
            served += pick.gain as i64;
            for &e in sets.set(pick.candidate) {
                covered[home_of_element[e as usize] as usize] = true;
            }
            picks.push(pick);
        }
    };
    let selection = stages.run("greedy", log, || {
        let (picks, stopped_because, evaluations, loads, assignment) = match capacity_micro {
            None => {
                let mut celf = Celf::new(Coverage::new(&sets, &weight));
                let (picks, why) = select(&mut || celf.next_pick());
                (picks, why, celf.evaluations(), Vec::new(), Vec::new())
            }
            Some(cap) => {
                let mut celf = Celf::new(Capacitated::new(&sets, &demand, cap));
                let (picks, why) = select(&mut || celf.next_pick());
                let objective = celf.objective();
                let loads: Vec<i64> = (0..picks.len()).map(|r| objective.load(r)).collect();
                let assignment: Vec<Vec<(u32, i64)>> = (0..home_of_element.len() as u32)
                    .map(|e| {
                        objective
                            .assignment(e)
                            .map(|(r, a)| (r as u32, a))
                            .collect()
                    })
                    .collect();
                (picks, why, celf.evaluations(), loads, assignment)
            }
        };
        let mut curve = vec![before_point.clone()];
        let mut covered = covered_before.clone();
        let mut served = demand_before;
        let mut newly_within = Vec::new();
        for (rank, pick) in picks.iter().enumerate() {
            let mut newly = Vec::new();
            for &e in sets.set(pick.candidate) {
                let h = home_of_element[e as usize] as usize;
                if !covered[h] {
                    covered[h] = true;
                    newly.push(e);
                }
            }
            newly_within.push(newly);
            let covered_population = covered_population_of(&covered);
            let (marginal_residents, marginal_places) = match (capacity_micro, places_per_resident)
            {
                (Some(_), Some(r)) => {
                    served += pick.gain as i64;
                    let places = pick.gain / MICRO;
                    (places / r, Some(places))
                }
                _ => (pick.gain, None),
            };
            curve.push(CurvePoint {
                sites: rank + 1,
                site_id: Some(kept[pick.candidate].candidate.id.clone()),
                marginal_residents,
                covered_population,
                covered_share: share_of(covered_population),
                marginal_places,
                served_places: capacity_micro.map(|_| served as f64 / MICRO),
                served_share: capacity_micro.map(|_| ratio(served as f64, demand_total as f64)),
            });
        }
        Selection {
            picks,
            curve,
            newly_within,
            loads,
            assignment,
            evaluations,
            stopped_because,
        }
    });

    // The exact optimum for each number of sites, on small instances.
    let exact: Option<Vec<Value>> = if config.exact {
        Some(stages.run("exact", log, || {
            let (reduced, groups) = reduce_by_membership(&sets, home_of_element.len());
            let group_weight: Vec<f64> = groups
                .iter()
                .map(|g| g.iter().fold(0.0, |acc, &e| acc + weight[e as usize]))
                .collect();
            let group_demand: Vec<i64> = groups
                .iter()
                .map(|g| g.iter().map(|&e| demand[e as usize]).sum())
                .collect();
            let mut greedy_total = 0.0;
            let mut rows = Vec::new();
            for (i, pick) in selection.picks.iter().enumerate() {
                greedy_total += pick.gain;
                let k = i + 1;
                let best = match capacity_micro {
                    None => exact_best(&|| Coverage::new(&reduced, &group_weight), k, 5_000_000),
                    Some(cap) => exact_best(
                        &|| Capacitated::new(&reduced, &group_demand, cap),
                        k,
                        5_000_000,
                    ),
                };
                let scale = if capacity_micro.is_some() { MICRO } else { 1.0 };
                rows.push(match best {
                    Some((optimum, set)) => json!({
                        "sites": k,
                        "greedy": round_to(greedy_total / scale, 6),
                        "optimum": round_to(optimum / scale, 6),
                        "ratio": if optimum > 0.0 { round_to(greedy_total / optimum, 6) } else { 1.0 },
                        "optimal_sites": set.iter().map(|&c| kept[c].candidate.id.clone()).collect::<Vec<_>>(),
                    }),
                    None => json!({ "sites": k, "greedy": round_to(greedy_total / scale, 6), "optimum": null, "ratio": null }),
                });
            }
            rows
        }))
    } else {
        None
    };

    // The chosen sites as facilities of the category, for after/.
    let chosen: Vec<&Kept> = selection.picks.iter().map(|p| &kept[p.candidate]).collect();
    let extra: Vec<Facility> = chosen
        .iter()
        .enumerate()
        .map(|(i, k)| Facility {
            id: k.candidate.id.clone(),
            name: Some(match &k.candidate.name {
                Some(name) => format!("proposed site {}: {name}", i + 1),
                None => format!("proposed site {}", i + 1),
            }),
            category: category.clone(),
            lon: k.candidate.lon,
            lat: k.candidate.lat,
            source: FacilitySource::File,
            capacity: config.capacity.map(|c| c.site_places),
            affordable: None,
            kind: Some(crate::facilities::PROPOSED_SITE_KIND.into()),
            toddler_classes: None,
        })
        .collect();

    // Blocks each site serves.
    let block_of_element = |e: u32| residents.buildings[home_of_element[e as usize] as usize].block;
    let site_blocks: Vec<Vec<(String, f64)>> = (0..chosen.len())
        .map(|rank| {
            let mut per_block: BTreeMap<u32, f64> = BTreeMap::new();
            match capacity_micro {
                None => {
                    for &e in &selection.newly_within[rank] {
                        *per_block.entry(block_of_element(e)).or_default() += weight[e as usize];
                    }
                }
                Some(_) => {
                    for (e, served) in selection.assignment.iter().enumerate() {
                        for &(r, amount) in served {
                            if r as usize == rank {
                                *per_block.entry(block_of_element(e as u32)).or_default() +=
                                    amount as f64 / MICRO;
                            }
                        }
                    }
                }
            }
            let mut list: Vec<(String, f64)> = per_block
                .into_iter()
                .map(|(b, v)| (residents.blocks[b as usize].id.clone(), v))
                .collect();
            list.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            list
        })
        .collect();

    stages.run("write", log, || -> Result<()> {
        outputs.write("sites.geojson", |w| {
            write_features(
                w,
                chosen.iter().enumerate().map(|(i, k)| {
                    let point = &selection.curve[i + 1];
                    let c = &k.candidate;
                    let mut p = serde_json::Map::new();
                    p.insert("rank".into(), json!(i + 1));
                    p.extend(candidate_properties(c));
                    p.insert(
                        "snap_m".into(),
                        json!(
                            k.placement
                                .snap
                                .map(|s| round_to(f64::from(s.distance_m), 1))
                        ),
                    );
                    p.insert(
                        "marginal_residents".into(),
                        json!(round_to(point.marginal_residents, 3)),
                    );
                    let newly: f64 = selection.newly_within[i]
                        .iter()
                        .map(|&e| weight[e as usize])
                        .sum();
                    p.insert("newly_within_residents".into(), json!(round_to(newly, 3)));
                    p.insert(
                        "cumulative_covered_population".into(),
                        json!(point.covered_population),
                    );
                    p.insert(
                        "cumulative_covered_share".into(),
                        json!(point.covered_share),
                    );
                    if let Some(model) = &config.capacity {
                        p.insert("site_places".into(), json!(model.site_places));
                        p.insert(
                            "marginal_places".into(),
                            json!(point.marginal_places.map(|v| round_to(v, 6))),
                        );
                        p.insert(
                            "served_places".into(),
                            json!(round_to(selection.loads[i] as f64 / MICRO, 6)),
                        );
                        p.insert("cumulative_served_share".into(), json!(point.served_share));
                    }
                    p.insert(
                        "blocks".into(),
                        json!(site_blocks[i].iter().map(|b| &b.0).collect::<Vec<_>>()),
                    );
                    let key = if config.capacity.is_some() {
                        "block_places"
                    } else {
                        "block_residents"
                    };
                    p.insert(
                        key.into(),
                        json!(
                            site_blocks[i]
                                .iter()
                                .map(|b| round_to(b.1, 3))
                                .collect::<Vec<_>>()
                        ),
                    );
                    (Some(point_geometry(c.lon, c.lat)), p)
                }),
            )
        })?;
        outputs.write("coverage_curve.csv", |w| write_curve(w, &selection.curve))?;
        let mut rank_of = vec![None; kept.len()];
        for (rank, pick) in selection.picks.iter().enumerate() {
            rank_of[pick.candidate] = Some(rank + 1);
        }
        outputs.write("candidates.geojson", |w| {
            let kept_features = kept.iter().enumerate().map(|(i, k)| {
                let set = sets.set(i);
                let alone = set.iter().fold(0.0, |acc, &e| acc + weight[e as usize]);
                let mut p = candidate_properties(&k.candidate);
                p.insert("kept".into(), json!(true));
                p.insert("left_out".into(), Value::Null);
                p.insert("alone_residents".into(), json!(round_to(alone, 3)));
                if let Some(cap) = capacity_micro {
                    let d: i64 = set.iter().map(|&e| demand[e as usize]).sum();
                    p.insert(
                        "alone_places".into(),
                        json!(round_to(d.min(cap) as f64 / MICRO, 6)),
                    );
                }
                p.insert("rank".into(), json!(rank_of[i]));
                (Some(point_geometry(k.candidate.lon, k.candidate.lat)), p)
            });
            let left_features = left_out.iter().map(|(c, reason)| {
                let mut p = candidate_properties(c);
                p.insert("kept".into(), json!(false));
                p.insert("left_out".into(), json!(reason));
                (Some(point_geometry(c.lon, c.lat)), p)
            });
            write_features(w, kept_features.chain(left_features))
        })
    })?;

    let read_counts = prepared.extract.counts;
    let buildings = residents.buildings.len();
    let input_bytes = prepared.input.bytes;
    let input_sha256 = prepared.input.sha256.clone();
    let existing_count = existing.len();
    let kept_count = kept.len();
    let pairs = sets.pairs();
    drop(sets);

    // The coverage job again on the same city, with the chosen sites added.
    let mut after_config = cov.clone();
    after_config.out_dir = cov.out_dir.join("after");
    after_config.extra_facilities.extend(extra);
    let after = stages.run("after", log, || {
        let log = |line: &str| log(&format!("after: {line}"));
        let mut after_stages = Stages::default();
        let after_facilities =
            prepared.facilities(&after_config, register, &mut after_stages, &log)?;
        write_coverage(
            &after_config,
            &prepared,
            &after_facilities,
            after_stages,
            &log,
        )
    })?;
    let after_share = after
        .categories
        .iter()
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

    let target_reached = config.target_share.map(|t| {
        final_point
            .served_share
            .unwrap_or(final_point.covered_share)
            >= t
    });
    let mut summary = json!({
        "tool": { "name": "fifteen", "command": "site", "version": env!("CARGO_PKG_VERSION") },
        "input": { "path": cov.input, "bytes": input_bytes, "sha256": input_sha256 },
        "parameters": {
            "category": category,
            "facilities": match &cov.facilities {
                FacilityInput::Osm(_) => json!({ "source": "osm" }),
                FacilityInput::Register { path, .. } => json!({ "source": "file", "path": path }),
            },
            "threshold_min": cov.threshold_min(),
            "minutes": cov.bands_min,
            "profile": profile.profile.name(),
            "speed_kmh": profile.speed_kmh,
            "elevation": hill_report,
            "max_snap_m": cov.max_snap_m,
            "island_max_m": ISLAND_MAX_M,
            "floor_area_per_person_m2": cov.residents.floor_area_per_person_m2,
            "candidates": config.candidates.iter().map(|s| match s {
                CandidateSource::Grid => json!({ "source": "grid", "spacing_m": config.spacing_m }),
                CandidateSource::Tags { name, tags } => json!({
                    "source": name,
                    "tags": tags.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>(),
                }),
                CandidateSource::File(path) => json!({ "source": "file", "path": path }),
            }).collect::<Vec<_>>(),
            "add": config.add,
            "target_share": config.target_share,
            "capacity": config.capacity.map(|c| json!({
                "site_places": c.site_places,
                "places_per_resident": c.places_per_resident,
                "basis": c.basis,
            })),
            "exact": config.exact,
            "threads": rayon::current_num_threads(),
        },
        "counts": {
            "osm": read_counts,
            "buildings": buildings,
            "population": round_to(total_population, 1),
            "existing_facilities": existing_count,
            "homes_outside_before": home_of_element.len(),
            "candidate_home_pairs": pairs,
        },
        "candidates": {
            "generated": per_source.values().map(|c| c.generated).sum::<usize>(),
            "kept": kept_count,
            "per_source": per_source,
            "left_out": left_out.iter().map(|(c, reason)| json!({
                "id": c.id, "source": c.source, "reason": reason,
            })).collect::<Vec<_>>(),
        },
        "before": selection.curve[0],
        "result": {
            "sites_added": selection.picks.len(),
            "covered_population": final_point.covered_population,
            "covered_share": final_point.covered_share,
            "served_places": final_point.served_places,
            "served_share": final_point.served_share,
            "demand_places": capacity_micro.map(|_| demand_total as f64 / MICRO),
            "target_share": config.target_share,
            "target_reached": target_reached,
            "stopped_because": selection.stopped_because,
        },
        "sites": selection.curve[1..],
        "greedy": {
            "algorithm": "CELF (lazy greedy)",
            "objective": if config.capacity.is_some() { "served places (maximum flow, capacity per site)" } else { "residents newly within the threshold" },
            "tie_break": "lowest candidate id",
            "evaluations": selection.evaluations,
            "plain_greedy_evaluations": (0..selection.picks.len()).map(|i| kept_count - i).sum::<usize>(),
        },
        "exact": exact,
        "after": {
            "dir": "after",
            "covered_share": after_share,
            "matches_curve": matches,
        },
    });
    let layers = vec![
        WrittenLayer {
            stem: "sites",
            features: selection.picks.len(),
        },
        WrittenLayer {
            stem: "candidates",
            features: kept_count + left_out.len(),
        },
    ];
    stages.run("report", log, || {
        finish_site(
            &mut outputs,
            layers,
            &after.views,
            &cov.bands_min,
            &summary,
            cov.layer_format,
        )
    })?;
    let stats = crate::pipeline::summary::RunStats::now(&stages);
    summary["timings_s"] = json!(stats.timings_s);
    summary["peak_memory_mib"] = json!(stats.peak_memory_mib);
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
        after_covered_share: after_share,
        summary,
        files,
    })
}

/// `id`, `source`, `name` and `tags` (an object, `null` when none) of a candidate.
fn candidate_properties(c: &Candidate) -> serde_json::Map<String, Value> {
    let mut p = serde_json::Map::new();
    p.insert("id".into(), json!(c.id));
    p.insert("source".into(), json!(c.source));
    p.insert("name".into(), json!(c.name));
    p.insert(
        "tags".into(),
        if c.tags.is_empty() {
            Value::Null
        } else {
            Value::Object(c.tags.iter().map(|(k, v)| (k.clone(), json!(v))).collect())
        },
    );
    p
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 { a / b } else { 0.0 }
}

/// `coverage_curve.csv`: one row per number of sites added (0 = existing facilities only).
fn write_curve(w: &mut impl Write, curve: &[CurvePoint]) -> std::io::Result<()> {
    let capacity = curve.first().is_some_and(|p| p.served_share.is_some());
    let mut header =
        "sites,site_id,marginal_residents,covered_population,covered_share".to_string();
    if capacity {
        header.push_str(",marginal_places,served_places,served_share");
    }
    writeln!(w, "{header}")?;
    for p in curve {
        write!(
            w,
            "{},{},{},{},{}",
            p.sites,
            p.site_id.as_deref().map(csv_field).unwrap_or_default(),
            round_to(p.marginal_residents, 6),
            p.covered_population,
            p.covered_share
        )?;
        if capacity {
            write!(
                w,
                ",{},{},{}",
                p.marginal_places.map(|v| round_to(v, 6)).unwrap_or(0.0),
                p.served_places.map(|v| round_to(v, 6)).unwrap_or(0.0),
                p.served_share.unwrap_or(0.0)
            )?;
        }
        writeln!(w)?;
    }
    Ok(())
}

/// A CSV field, quoted when it holds a delimiter, quote or line break.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

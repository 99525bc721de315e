//! Choosing the sites: who is still outside the threshold (the elements every gain counts),
//! what each candidate reaches, greedy selection with its coverage curve, and (on small
//! instances) the exact optimum to compare it with. Kept apart from [`super::run_site`] so
//! that the job reads as its stages and each computation can be read on its own.

use std::collections::BTreeMap;

use geo::Coord;
use serde::Serialize;

use crate::analysis::coverage::Routing;
use crate::analysis::placement::{Placement, PointsByEdge};
use crate::analysis::service_area::{ReachInputs, facility_reach};
use crate::analysis::sum;
use crate::graph::WalkCosts;
use crate::pipeline::City;

use super::greedy::{Capacitated, Celf, CoverSets, Coverage, Pick, exact_best};
use super::{CurvePoint, Demand, Kept, MICRO, SiteConfig, ratio, round_to};

/// Homes not yet within the threshold, snapped, with residents: the elements every gain
/// counts, with the per-home totals the curve is measured against.
pub(crate) struct Elements {
    /// Residents per home.
    pub population: Vec<f64>,
    /// All residents.
    pub total_population: f64,
    /// Homes within the threshold of an existing facility.
    pub covered_before: Vec<bool>,
    /// Places demanded per home (capacity-aware).
    pub demand_per_home: Option<Vec<f64>>,
    /// Places demanded per resident, on average over all homes (capacity-aware).
    pub places_per_resident: Option<f64>,
    /// Places of each new site, in millionths (capacity-aware).
    pub capacity_micro: Option<i64>,
    /// Element of each home (`u32::MAX`: none).
    pub element_of_home: Vec<u32>,
    /// Home of each element.
    pub home_of_element: Vec<u32>,
    /// Residents per element.
    pub weight: Vec<f64>,
    /// Places demanded per element, in millionths.
    pub demand: Vec<i64>,
    /// Places demanded by covered homes, in millionths.
    pub demand_before: i64,
    /// Places demanded by all homes, in millionths.
    pub demand_total: i64,
}

impl Elements {
    /// The elements of `city`'s homes, given which are covered already.
    pub fn new(config: &SiteConfig, city: &City, covered_before: Vec<bool>) -> Elements {
        let homes = &city.homes;
        let population: Vec<f64> = (city.residents.buildings.iter())
            .map(|b| b.population)
            .collect();
        let total_population = sum(population.iter().copied());
        let demand_per_home: Option<Vec<f64>> = config.capacity.map(|c| {
            (city.residents.buildings.iter())
                .map(|b| match c.demand {
                    Demand::Children => b.children,
                    Demand::PerResident(r) => b.population * r,
                })
                .collect()
        });
        let places_per_resident = (demand_per_home.as_ref())
            .map(|d| sum(d.iter().copied()))
            .filter(|_| total_population > 0.0)
            .map(|demand| demand / total_population);
        let mut element_of_home = vec![u32::MAX; homes.len()];
        let mut home_of_element: Vec<u32> = Vec::new();
        for h in 0..homes.len() {
            if !covered_before[h] && homes[h].snap.is_some() && population[h] > 0.0 {
                element_of_home[h] = home_of_element.len() as u32;
                home_of_element.push(h as u32);
            }
        }
        let mut elements = Elements {
            population,
            total_population,
            covered_before,
            demand_per_home,
            places_per_resident,
            capacity_micro: (config.capacity)
                .map(|c| (f64::from(c.site_places) * MICRO).round() as i64),
            element_of_home,
            home_of_element,
            weight: Vec::new(),
            demand: Vec::new(),
            demand_before: 0,
            demand_total: 0,
        };
        let hs = &elements.home_of_element;
        elements.weight = hs
            .iter()
            .map(|&h| elements.population[h as usize])
            .collect();
        elements.demand = hs.iter().map(|&h| elements.demand_of(h as usize)).collect();
        elements.demand_before = (0..homes.len())
            .filter(|&h| elements.covered_before[h])
            .map(|h| elements.demand_of(h))
            .sum();
        elements.demand_total = (0..homes.len()).map(|h| elements.demand_of(h)).sum();
        elements
    }

    /// Places home `h` demands, in millionths (0 unless capacity-aware).
    fn demand_of(&self, h: usize) -> i64 {
        (self.demand_per_home.as_ref()).map_or(0, |d| (d[h] * MICRO).round() as i64)
    }

    /// `p` as a share of all residents.
    fn share_of(&self, p: f64) -> f64 {
        if self.total_population > 0.0 {
            p / self.total_population
        } else {
            0.0
        }
    }

    /// Residents of the covered homes: the same sum, in the same order, as coverage's
    /// summary.
    fn covered_population_of(&self, covered: &[bool]) -> f64 {
        sum((0..covered.len())
            .filter(|&h| covered[h])
            .map(|h| self.population[h]))
    }

    /// Row 0 of the curve: the existing facilities only.
    fn before_point(&self) -> CurvePoint {
        let capacity = self.capacity_micro;
        let covered_population = self.covered_population_of(&self.covered_before);
        CurvePoint {
            sites: 0,
            site_id: None,
            marginal_residents: 0.0,
            covered_population,
            covered_share: self.share_of(covered_population),
            marginal_places: capacity.map(|_| 0.0),
            served_places: capacity.map(|_| self.demand_before as f64 / MICRO),
            served_share: capacity
                .map(|_| ratio(self.demand_before as f64, self.demand_total as f64)),
        }
    }
}

/// Each kept candidate's cover set: the elements within the threshold of it, from one
/// bounded search per candidate.
pub(crate) fn cover_sets(
    city: &City,
    costs: &WalkCosts,
    routing: &Routing,
    kept: &[Kept],
    elements: &Elements,
) -> CoverSets {
    let graph = &city.graph;
    let homes = &city.homes;
    let homes_by_edge = PointsByEdge::new(graph, homes);
    let bands_s = [routing.threshold_s];
    let inputs = ReachInputs {
        graph,
        costs,
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
            .map(|k| city.frame.to_xy(k.candidate.lon, k.candidate.lat))
            .collect();
        for reach in facility_reach(&inputs, &placements, &xy) {
            sets.push(
                reach
                    .homes
                    .iter()
                    .map(|&(h, _)| elements.element_of_home[h as usize])
                    .filter(|&e| e != u32::MAX),
            );
        }
    }
    sets
}

/// The sites chosen, in order, with the curve and what explains each choice.
pub(crate) struct Selection {
    /// The picks, in order.
    pub picks: Vec<Pick>,
    /// The coverage curve, row 0 first.
    pub curve: Vec<CurvePoint>,
    /// Per pick, the elements it newly brought within the threshold.
    pub newly_within: Vec<Vec<u32>>,
    /// Capacity-aware: places each site serves, in millionths.
    pub loads: Vec<i64>,
    /// Capacity-aware: per element, `(rank, places)` served by each site.
    pub assignment: Vec<Vec<(u32, i64)>>,
    /// Objective evaluations greedy made.
    pub evaluations: usize,
    /// Why selection stopped.
    pub stopped_because: &'static str,
}

/// Greedy with lazy re-evaluation, by residents or (capacity-aware) by places served, and
/// the coverage curve it traces.
pub(crate) fn select(
    config: &SiteConfig,
    elements: &Elements,
    kept: &[Kept],
    sets: &CoverSets,
) -> Selection {
    let (picks, stopped_because, evaluations, loads, assignment) = match elements.capacity_micro {
        None => {
            let mut celf = Celf::new(Coverage::new(sets, &elements.weight));
            let (picks, why) =
                pick_until_stop(config, elements, kept, sets, &mut || celf.next_pick());
            (picks, why, celf.evaluations(), Vec::new(), Vec::new())
        }
        Some(cap) => {
            let mut celf = Celf::new(Capacitated::new(sets, &elements.demand, cap));
            let (picks, why) =
                pick_until_stop(config, elements, kept, sets, &mut || celf.next_pick());
            let objective = celf.objective();
            let loads: Vec<i64> = (0..picks.len()).map(|r| objective.load(r)).collect();
            let assignment: Vec<Vec<(u32, i64)>> = (0..elements.home_of_element.len() as u32)
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
    let (curve, newly_within) = trace_curve(elements, kept, sets, &picks);
    Selection {
        picks,
        curve,
        newly_within,
        loads,
        assignment,
        evaluations,
        stopped_because,
    }
}

/// Takes `objective`'s picks until a stopping rule holds: the target share, `--add` sites,
/// or no gain left.
fn pick_until_stop(
    config: &SiteConfig,
    elements: &Elements,
    kept: &[Kept],
    sets: &CoverSets,
    objective: &mut dyn FnMut() -> Option<Pick>,
) -> (Vec<Pick>, &'static str) {
    let mut picks = Vec::new();
    let mut served = elements.demand_before;
    let mut covered = elements.covered_before.clone();
    loop {
        let share = match elements.capacity_micro {
            Some(_) => ratio(served as f64, elements.demand_total as f64),
            None => elements.share_of(elements.covered_population_of(&covered)),
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
            covered[elements.home_of_element[e as usize] as usize] = true;
        }
        picks.push(pick);
    }
}

/// The coverage curve of `picks`, row 0 first, and the elements each pick newly brought
/// within the threshold.
fn trace_curve(
    elements: &Elements,
    kept: &[Kept],
    sets: &CoverSets,
    picks: &[Pick],
) -> (Vec<CurvePoint>, Vec<Vec<u32>>) {
    let capacity_micro = elements.capacity_micro;
    let mut curve = vec![elements.before_point()];
    let mut covered = elements.covered_before.clone();
    let mut served = elements.demand_before;
    let mut newly_within = Vec::new();
    for (rank, pick) in picks.iter().enumerate() {
        let mut newly = Vec::new();
        for &e in sets.set(pick.candidate) {
            let h = elements.home_of_element[e as usize] as usize;
            if !covered[h] {
                covered[h] = true;
                newly.push(e);
            }
        }
        newly_within.push(newly);
        let covered_population = elements.covered_population_of(&covered);
        let (marginal_residents, marginal_places) =
            match (capacity_micro, elements.places_per_resident) {
                (Some(_), Some(r)) if r > 0.0 => {
                    served += pick.gain as i64;
                    let places = pick.gain / MICRO;
                    (places / r, Some(places))
                }
                _ => (pick.gain, None),
            };
        let demand_total = elements.demand_total as f64;
        curve.push(CurvePoint {
            sites: rank + 1,
            site_id: Some(kept[pick.candidate].candidate.id.clone()),
            marginal_residents,
            covered_population,
            covered_share: elements.share_of(covered_population),
            marginal_places,
            served_places: capacity_micro.map(|_| served as f64 / MICRO),
            served_share: capacity_micro.map(|_| ratio(served as f64, demand_total)),
        });
    }
    (curve, newly_within)
}

/// One row of `summary.json`'s `exact`: greedy against the optimum for `sites` sites.
#[derive(Debug, Clone, Serialize)]
pub struct ExactRow {
    /// Number of sites.
    pub sites: usize,
    /// Greedy's objective with that many sites.
    pub greedy: f64,
    /// The optimum (`None`: not found within the evaluation budget).
    pub optimum: Option<f64>,
    /// `greedy` ÷ `optimum` (1 when the optimum is 0).
    pub ratio: Option<f64>,
    /// Sites of an optimum.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub optimal_sites: Option<Vec<String>>,
}

/// The exact optimum for each number of sites greedy chose, on the instance reduced to
/// groups of elements reached by the same candidates.
pub(crate) fn exact_rows(
    elements: &Elements,
    kept: &[Kept],
    sets: &CoverSets,
    selection: &Selection,
) -> Vec<ExactRow> {
    let (reduced, groups) = reduce_by_membership(sets, elements.home_of_element.len());
    let group_weight: Vec<f64> = groups
        .iter()
        .map(|g| {
            g.iter()
                .fold(0.0, |acc, &e| acc + elements.weight[e as usize])
        })
        .collect();
    let group_demand: Vec<i64> = groups
        .iter()
        .map(|g| g.iter().map(|&e| elements.demand[e as usize]).sum())
        .collect();
    let capacity_micro = elements.capacity_micro;
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
        let greedy = round_to(greedy_total / scale, 6);
        rows.push(match best {
            Some((optimum, set)) => ExactRow {
                sites: k,
                greedy,
                optimum: Some(round_to(optimum / scale, 6)),
                ratio: Some(if optimum > 0.0 {
                    round_to(greedy_total / optimum, 6)
                } else {
                    1.0
                }),
                optimal_sites: Some(
                    (set.iter())
                        .map(|&c| kept[c].candidate.id.clone())
                        .collect(),
                ),
            },
            None => ExactRow {
                sites: k,
                greedy,
                optimum: None,
                ratio: None,
                optimal_sites: None,
            },
        });
    }
    rows
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

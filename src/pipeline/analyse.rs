//! Analyses of a facility set on a prepared [`City`] for one walking profile: the searches
//! (nearest facility, each facility's reach and service areas, 2SFCA), the plan's indicators
//! per unit, each category's covered residents, and the completeness of life-circle tiers.

use std::collections::BTreeMap;
use std::sync::Mutex;

use geo::{Coord, Rect};
use rayon::prelude::*;
use serde::Serialize;

use crate::analysis::completeness::{CompletenessRow, Tier, TierHomes, completeness_rows};
use crate::analysis::coverage::{Routing, nearest_facility};
use crate::analysis::indicators::{Indicator, indicators};
use crate::analysis::outcome::{CategoryOutcome, nearest_population};
use crate::analysis::placement::{Placement, PointsByEdge};
use crate::analysis::population::PopulationReport;
use crate::analysis::service_area::{AreaInputs, ReachInputs, facility_reach};
use crate::analysis::sum;
use crate::analysis::supply::{Decay, default_capacity, two_step_fca};
use crate::config::CoverageConfig;
use crate::facilities::Facility;
use crate::graph::{WalkCosts, WalkProfile};
use crate::pipeline::city::{City, FacilitySet, PlacedCategory};
use crate::spatial::elevation::tobler_kmh;
use crate::spatial::raster::{TimeGrid, snap_extent};

/// Covered residents of one category, for the run's result line and `summary.json`.
#[derive(Debug, Clone, Serialize)]
pub struct CategoryCoverage {
    /// Category name.
    pub category: String,
    /// Walking profile name.
    pub profile: String,
    /// Facilities of the category.
    pub facilities: usize,
    /// Facilities that could not be snapped (ids).
    pub facilities_unsnapped: Vec<String>,
    /// Facilities on network islands (ids).
    pub facilities_on_islands: Vec<String>,
    /// Residents in all homes.
    pub population: f64,
    /// Where they come from (`estimate`, `census+estimate`, …).
    pub population_source: String,
    /// Children under 3 in all homes.
    pub children: f64,
    /// Residents within the threshold.
    pub covered_population: f64,
    /// `covered_population / population`.
    pub covered_share: f64,
    /// Share of residents within each band, by the band's value (minutes or metres, as the
    /// parameters' `minutes` or `meters` say).
    pub covered_share_by_band: BTreeMap<String, f64>,
    /// Homes within the threshold.
    pub covered_buildings: usize,
    /// With `--life-circle`: the tier holding the category and the share of residents within
    /// the tier's threshold, beside the run's threshold above (childcare: the 5-minute tier
    /// and the plan's 15 minutes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tier: Option<TierCoverage>,
    /// Facilities by their stated type (the register's `type`, or OSM's `amenity`;
    /// `(not stated)` without one), to check how the kind-counting targets read them.
    pub facility_types: BTreeMap<String, usize>,
}

impl CategoryCoverage {
    /// The run's result line for this category: `childcare (stroller): 30.8 % of 55780
    /// residents within 15 min of 8 facilities`, naming the profile when `with_profile`;
    /// `threshold` as [`crate::config::BandUnit::label`] writes it.
    pub fn result_line(&self, threshold: &str, with_profile: bool) -> String {
        let label = if with_profile {
            format!("{} ({})", self.category, self.profile)
        } else {
            self.category.clone()
        };
        format!(
            "{label}: {:.1} % of {:.0} residents within {threshold} of {} facilities",
            100.0 * self.covered_share,
            self.population,
            self.facilities
        )
    }
}

/// One category judged at the threshold of its life-circle tier.
#[derive(Debug, Clone, Serialize)]
pub struct TierCoverage {
    /// Tier name (`5min`).
    pub name: String,
    /// The tier's threshold, in `unit`.
    pub threshold: f64,
    /// The run's unit.
    #[serde(rename = "threshold_unit")]
    pub unit: crate::config::BandUnit,
    /// Share of residents within the tier's threshold.
    pub covered_share: f64,
}

/// A facility set analysed for one walking profile.
pub struct ProfileAnalysis {
    /// The profile.
    pub profile: WalkProfile,
    /// Its walking costs on the city's network.
    pub costs: WalkCosts,
    /// Per category: times, reach, service areas, supply.
    pub outcomes: Vec<CategoryOutcome>,
    /// The plan's indicators per category and unit.
    pub indicators: Vec<Indicator>,
    /// Per category: covered residents.
    pub coverage: Vec<CategoryCoverage>,
    /// Per life-circle tier: which homes reach all its categories (none with one category).
    pub tiers: Vec<TierHomes>,
    /// Completeness per tier and unit (the city first), as `completeness.csv` holds it.
    pub completeness: Vec<CompletenessRow>,
}

impl City {
    /// Routes every category of `facilities` for `profile` (stage `route`) and rolls the
    /// results up into indicators and the completeness of the run's default tiers
    /// ([`CoverageConfig::tiers`]) (stage `indicators`); `stage` names a stage for the log
    /// (e.g. `route stroller` when a run has several profiles).
    pub fn analyse(
        &self,
        config: &CoverageConfig,
        facilities: &FacilitySet,
        profile: &WalkProfile,
        stages: &mut crate::pipeline::Stages,
        stage: &dyn Fn(&str) -> String,
        log: &dyn Fn(&str),
    ) -> ProfileAnalysis {
        let costs = self.walk_costs(profile, config.bands.unit);
        let outcomes = stages.run_named(stage("route"), log, || {
            self.route(config, facilities, &costs)
        });
        let (indicators, (tiers, completeness)) =
            stages.run_named(stage("indicators"), log, || {
                let names: Vec<String> = outcomes.iter().map(|c| c.name.clone()).collect();
                let tiers = config.tiers(&names);
                (
                    indicators(
                        &self.units,
                        &self.home_units,
                        &self.residents,
                        &outcomes,
                        &config.bands,
                        &config.targets,
                    ),
                    self.completeness(&tiers, &outcomes),
                )
            });
        let population = self.population();
        let coverage = (outcomes.iter())
            .map(|c| category_coverage(c, &population, &self.population, config, profile))
            .collect();
        ProfileAnalysis {
            profile: *profile,
            costs,
            outcomes,
            indicators,
            coverage,
            tiers,
            completeness,
        }
    }

    /// Every home judged for each of `tiers`, and the judgements rolled up per unit.
    fn completeness(
        &self,
        tiers: &[Tier],
        outcomes: &[CategoryOutcome],
    ) -> (Vec<TierHomes>, Vec<CompletenessRow>) {
        let judged: Vec<TierHomes> = (tiers.iter())
            .map(|t| TierHomes::judge(t, outcomes, self.homes.len()))
            .collect();
        let rows = completeness_rows(&self.units, &self.home_units, &self.residents, &judged);
        (judged, rows)
    }

    /// Every category's searches, categories in parallel (one category's nearest-facility
    /// search is sequential).
    pub fn route(
        &self,
        config: &CoverageConfig,
        facilities: &FacilitySet,
        costs: &WalkCosts,
    ) -> Vec<CategoryOutcome> {
        let homes_by_edge = PointsByEdge::new(&self.graph, &self.homes);
        let demand = Demand {
            residents: self.population(),
            children: self.children(),
        };
        (facilities.categories.par_iter())
            .map(|category| self.route_category(config, category, costs, &homes_by_edge, &demand))
            .collect()
    }

    /// One category: nearest facility per home, each facility's reach and service areas,
    /// and the two-step floating catchment (demand: children under 3).
    fn route_category(
        &self,
        config: &CoverageConfig,
        category: &PlacedCategory,
        costs: &WalkCosts,
        homes_by_edge: &PointsByEdge,
        demand: &Demand,
    ) -> CategoryOutcome {
        let routing = config.routing();
        let bands_s = config.bands.costs_s();
        let home_times = nearest_facility(
            &self.graph,
            costs,
            &routing,
            &category.placements,
            &self.homes,
        );
        let facility_xy: Vec<Coord<f64>> = (category.facilities.iter())
            .map(|f| self.frame.to_xy(f.lon, f.lat))
            .collect();
        let served_extent = snap_extent(
            extent_around(&facility_xy, reach_m(config, costs, &routing)),
            config.area_cell_m,
        );
        let inputs = ReachInputs {
            graph: &self.graph,
            costs,
            bands_s: &bands_s,
            homes: &self.homes,
            homes_by_edge,
            areas: Some(AreaInputs {
                buffer_m: config.area_buffer_m,
                cell_m: config.area_cell_m,
                served: Some(Mutex::new(TimeGrid::covering(
                    served_extent,
                    config.area_cell_m,
                ))),
            }),
        };
        let reach = facility_reach(&inputs, &category.placements, &facility_xy);
        let served_grid = (inputs.areas.and_then(|a| a.served))
            .map(|m| m.into_inner().expect("no panic while merging"))
            .expect("asked for above");
        let places = places_of(config, &category.name, &category.facilities);
        let decay = decay_of(config, bands_s);
        let (ratios, access) = two_step_fca(&reach, &places, &demand.children, &decay);
        let nearest_population = nearest_population(
            &home_times,
            &demand.residents,
            category.facilities.len(),
            routing.threshold_s,
        );
        CategoryOutcome {
            name: category.name.clone(),
            facilities: category.facilities.clone(),
            placements: category.placements.clone(),
            facility_units: category.units.clone(),
            home_times,
            reach,
            places,
            ratios,
            access,
            nearest_population,
            served_grid,
        }
    }
}

/// Places per facility of category `name`: its stated capacity, else the configuration's
/// or the category's default.
pub(crate) fn places_of(config: &CoverageConfig, name: &str, facilities: &[Facility]) -> Vec<f64> {
    (facilities.iter())
        .map(|f| match f.capacity {
            Some(c) => f64::from(c),
            None => (config.default_capacity).unwrap_or_else(|| default_capacity(name)),
        })
        .collect()
}

/// The 2SFCA's distance decay over `bands_s`: the configuration's weights (as many as
/// there are bands), else the plain 2SFCA's weight 1 in every band.
pub(crate) fn decay_of(config: &CoverageConfig, bands_s: Vec<f64>) -> Decay {
    let weights = match &config.decay_weights {
        Some(w) => w[..bands_s.len().min(w.len())].to_vec(),
        None => vec![1.0; bands_s.len()],
    };
    Decay { weights, bands_s }
}

/// Who lives in each home, for the searches.
struct Demand {
    /// Residents per home.
    residents: Vec<f64>,
    /// Children under 3 per home.
    children: Vec<f64>,
}

/// How far from a facility a walk within the threshold can end, service-area strips and
/// cells included, metres: downhill is at most Tobler's peak ÷ his flat speed faster.
fn reach_m(config: &CoverageConfig, costs: &WalkCosts, routing: &Routing) -> f64 {
    let downhill_max = tobler_kmh(-0.05) / tobler_kmh(0.0);
    costs.speed_m_s() * downhill_max * routing.threshold_s
        + config.area_buffer_m
        + config.area_cell_m
}

/// The box around `points` grown by `pad_m` on every side (a box around the origin when
/// there are no points).
fn extent_around(points: &[Coord<f64>], pad_m: f64) -> Rect<f64> {
    let pad = Coord { x: pad_m, y: pad_m };
    let first = points.first().copied().unwrap_or_default();
    let (lo, hi) = points.iter().fold((first, first), |(lo, hi), p| {
        (
            Coord {
                x: lo.x.min(p.x),
                y: lo.y.min(p.y),
            },
            Coord {
                x: hi.x.max(p.x),
                y: hi.y.max(p.y),
            },
        )
    });
    Rect::new(lo - pad, hi + pad)
}

/// Category `c` at the threshold of its life-circle tier, with `--life-circle`.
fn tier_coverage(
    c: &CategoryOutcome,
    population: &[f64],
    config: &CoverageConfig,
) -> Option<TierCoverage> {
    config.life_circle.as_ref()?;
    let tier = (config.tiers(&[]).into_iter()).find(|t| t.categories.contains(&c.name))?;
    let limit_s = tier.threshold_s();
    let within = sum((0..population.len())
        .filter(|&h| c.home_times[h].is_some_and(|(t, _)| t <= limit_s))
        .map(|h| population[h]));
    let total = sum(population.iter().copied());
    Some(TierCoverage {
        covered_share: if total > 0.0 { within / total } else { 0.0 },
        name: tier.name,
        threshold: tier.threshold,
        unit: tier.unit,
    })
}

/// One category's covered residents (the same sums, in the same order, as the site curve).
fn category_coverage(
    c: &CategoryOutcome,
    population: &[f64],
    report: &PopulationReport,
    config: &CoverageConfig,
    profile: &WalkProfile,
) -> CategoryCoverage {
    let threshold_s = config.bands.threshold_s();
    let homes = population.len();
    let total_population = sum(population.iter().copied());
    let share = |p: f64| {
        if total_population > 0.0 {
            p / total_population
        } else {
            0.0
        }
    };
    let covered: Vec<usize> = (0..homes)
        .filter(|&h| c.home_times[h].is_some_and(|(t, _)| t <= threshold_s))
        .collect();
    let covered_population = sum(covered.iter().map(|&h| population[h]));
    let ids_where = |pred: &dyn Fn(&Placement) -> bool| -> Vec<String> {
        (c.placements.iter().zip(&c.facilities))
            .filter(|(p, _)| pred(p))
            .map(|(_, f)| f.id.clone())
            .collect()
    };
    CategoryCoverage {
        category: c.name.clone(),
        profile: profile.profile.name().to_string(),
        facilities: c.facilities.len(),
        facilities_unsnapped: ids_where(&|p| p.snap.is_none()),
        facilities_on_islands: ids_where(&|p| p.on_island),
        population: total_population,
        population_source: report.residents_source.clone(),
        children: report.children,
        covered_population,
        covered_share: share(covered_population),
        covered_buildings: covered.len(),
        covered_share_by_band: (config.bands.values.iter())
            .map(|&b| {
                let within = sum((0..homes)
                    .filter(|&h| c.walk(h, &config.bands).is_some_and(|m| m <= b))
                    .map(|h| population[h]));
                (b.to_string(), share(within))
            })
            .collect(),
        tier: tier_coverage(c, population, config),
        facility_types: c.facilities.iter().fold(BTreeMap::new(), |mut types, f| {
            let kind = f.kind.as_deref().unwrap_or("(not stated)");
            *types.entry(kind.to_string()).or_default() += 1;
            types
        }),
    }
}

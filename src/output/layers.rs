//! The properties of each output layer, one function per file.

use geojson::{Geometry, JsonObject};
use serde_json::{Value, json};

use crate::analysis::coverage::{CategoryOutcome, Placement, weighted_median_and_max};
use crate::analysis::residents::Residents;

use super::geojson::{point_geometry, polygon_geometry};

fn round(v: f64, decimals: i32) -> Value {
    let f = 10f64.powi(decimals);
    json!((v * f).round() / f)
}

fn opt_round(v: Option<f64>, decimals: i32) -> Value {
    v.map_or(Value::Null, |v| round(v, decimals))
}

/// Whether `minutes` is within the threshold.
fn covered(minutes: Option<f64>, threshold_min: f64) -> bool {
    minutes.is_some_and(|m| m <= threshold_min)
}

/// `buildings.geojson`: one footprint per home.
pub fn building_features<'a>(
    residents: &'a Residents,
    homes: &'a [Placement],
    outcomes: &'a [CategoryOutcome],
    threshold_min: f64,
) -> impl Iterator<Item = (Option<Geometry>, JsonObject)> + 'a {
    residents.buildings.iter().enumerate().map(move |(h, b)| {
        let mut p = JsonObject::new();
        p.insert("osm_id".into(), json!(b.id.to_string()));
        p.insert("building".into(), json!(b.building));
        p.insert("judged".into(), json!(b.judged));
        p.insert(
            "block_id".into(),
            json!(residents.blocks[b.block as usize].id),
        );
        p.insert("levels".into(), json!(b.levels));
        p.insert("footprint_m2".into(), round(b.footprint_m2, 1));
        p.insert("population".into(), round(b.population, 2));
        p.insert("from_entrance".into(), json!(b.from_entrance));
        let snap = homes[h].snap;
        p.insert(
            "snap_m".into(),
            opt_round(snap.map(|s| f64::from(s.distance_m)), 1),
        );
        p.insert("on_island".into(), json!(homes[h].on_island));
        for c in outcomes {
            let minutes = c.minutes(h);
            let nearest = c.home_times[h].map(|(_, f)| c.facilities[f as usize].id.clone());
            p.insert(format!("{}_minutes", c.name), opt_round(minutes, 2));
            p.insert(format!("{}_nearest", c.name), json!(nearest));
            p.insert(
                format!("{}_covered", c.name),
                json!(covered(minutes, threshold_min)),
            );
        }
        (polygon_geometry(&b.footprint), p)
    })
}

/// Per-block, per-category roll-up used by `blocks.geojson` and the summary.
#[derive(Debug, Clone, Default)]
pub struct BlockStats {
    /// Residents.
    pub population: f64,
    /// Homes.
    pub buildings: usize,
    /// Per category: (covered residents, median minutes, max minutes).
    pub per_category: Vec<(f64, Option<f64>, Option<f64>)>,
}

/// Rolls homes up into their blocks.
pub fn block_stats(
    residents: &Residents,
    outcomes: &[CategoryOutcome],
    threshold_min: f64,
) -> Vec<BlockStats> {
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); residents.blocks.len()];
    for (h, b) in residents.buildings.iter().enumerate() {
        members[b.block as usize].push(h);
    }
    members
        .iter()
        .map(|homes| {
            let population = homes
                .iter()
                .map(|&h| residents.buildings[h].population)
                .sum();
            let per_category = outcomes
                .iter()
                .map(|c| {
                    let items: Vec<(Option<f64>, f64)> = homes
                        .iter()
                        .map(|&h| (c.minutes(h), residents.buildings[h].population))
                        .collect();
                    let covered_pop = items
                        .iter()
                        .filter(|(m, _)| covered(*m, threshold_min))
                        .map(|(_, p)| p)
                        .sum();
                    let (median, max) = weighted_median_and_max(items);
                    (covered_pop, median, max)
                })
                .collect();
            BlockStats {
                population,
                buildings: homes.len(),
                per_category,
            }
        })
        .collect()
}

/// `covered` when every resident is covered, `outside` when none is, else `partly`.
pub fn block_status(covered_population: f64, population: f64) -> &'static str {
    if population > 0.0 && covered_population >= population * (1.0 - 1e-9) {
        "covered"
    } else if covered_population <= 0.0 {
        "outside"
    } else {
        "partly"
    }
}

/// `blocks.geojson`: one outline per block holding homes.
pub fn block_features<'a>(
    residents: &'a Residents,
    stats: &'a [BlockStats],
    outcomes: &'a [CategoryOutcome],
) -> impl Iterator<Item = (Option<Geometry>, JsonObject)> + 'a {
    residents.blocks.iter().zip(stats).map(move |(block, s)| {
        let mut p = JsonObject::new();
        p.insert("block_id".into(), json!(block.id));
        p.insert("source".into(), json!(block.source));
        p.insert("buildings".into(), json!(s.buildings));
        p.insert("population".into(), round(s.population, 1));
        for (c, &(covered_pop, median, max)) in outcomes.iter().zip(&s.per_category) {
            let share = if s.population > 0.0 {
                covered_pop / s.population
            } else {
                0.0
            };
            p.insert(
                format!("{}_covered_population", c.name),
                round(covered_pop, 1),
            );
            p.insert(format!("{}_covered_share", c.name), round(share, 4));
            p.insert(format!("{}_median_minutes", c.name), opt_round(median, 2));
            p.insert(format!("{}_max_minutes", c.name), opt_round(max, 2));
            p.insert(
                format!("{}_status", c.name),
                json!(block_status(covered_pop, s.population)),
            );
        }
        (polygon_geometry(&block.outline), p)
    })
}

/// `facilities.geojson`: one point per facility per category.
pub fn facility_features(
    outcomes: &[CategoryOutcome],
) -> impl Iterator<Item = (Option<Geometry>, JsonObject)> + '_ {
    outcomes.iter().flat_map(|c| {
        c.facilities.iter().enumerate().map(move |(i, f)| {
            let mut p = JsonObject::new();
            p.insert("id".into(), json!(f.id));
            p.insert("name".into(), json!(f.name));
            p.insert("category".into(), json!(f.category));
            p.insert("source".into(), json!(f.source));
            p.insert("capacity".into(), json!(f.capacity));
            p.insert("affordable".into(), json!(f.affordable));
            let placement = c.placements[i];
            p.insert(
                "snap_m".into(),
                opt_round(placement.snap.map(|s| f64::from(s.distance_m)), 1),
            );
            p.insert("on_island".into(), json!(placement.on_island));
            p.insert(
                "population_within".into(),
                round(c.catchment_population[i], 1),
            );
            p.insert(
                "nearest_population".into(),
                round(c.nearest_population[i], 1),
            );
            (Some(point_geometry(f.lon, f.lat)), p)
        })
    })
}

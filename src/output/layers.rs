//! The properties of each output layer, one function per file.

use geo::{Area, BooleanOps, BoundingRect, MultiPolygon};
use geojson::{Geometry, JsonObject};
use rayon::prelude::*;
use serde_json::{Value, json};

use crate::analysis::bands::Bands;
use crate::analysis::completeness::{CompletenessRow, Rollup, TierHomes};
use crate::analysis::coverage::weighted_median_and_max;
use crate::analysis::indicators::Indicator;
use crate::analysis::outcome::CategoryOutcome;
use crate::analysis::placement::Placement;
use crate::analysis::residents::Residents;
use crate::analysis::units::Units;
use crate::facilities::FacilitySource;
use crate::output::checks::places_source;
use crate::output::spreadsheet::{bom_writer, decimal, opt_decimal, text_cell};
use crate::spatial::LocalFrame;

use super::geojson::{point_geometry, polygon_geometry};

fn round(v: f64, decimals: i32) -> Value {
    let f = 10f64.powi(decimals);
    json!((v * f).round() / f + 0.0) // + 0.0 turns the -0.0 of an empty sum into 0
}

fn opt_round(v: Option<f64>, decimals: i32) -> Value {
    v.map_or(Value::Null, |v| round(v, decimals))
}

/// A walk (minutes or metres) to 2 decimals, rounded up, so a printed walk is within a
/// threshold exactly when the walk is (15.004 prints as 15.01, not as a covered-looking 15.0).
fn walk_up(walk: Option<f64>) -> Value {
    walk.map_or(Value::Null, |m| json!((m * 100.0).ceil() / 100.0 + 0.0))
}

/// Whether `walk` is within `limit` (same unit).
fn within(walk: Option<f64>, limit: f64) -> bool {
    walk.is_some_and(|m| m <= limit)
}

/// `buildings.geojson`: the feature of home `h`, its footprint, walks and completeness per
/// tier.
pub fn building_feature<'a>(
    residents: &'a Residents,
    homes: &'a [Placement],
    outcomes: &'a [CategoryOutcome],
    tiers: &'a [TierHomes],
    bands: &'a Bands,
) -> impl Fn(usize) -> (Option<Geometry>, JsonObject) + Sync + 'a {
    let (threshold, unit) = (bands.threshold(), bands.unit.field());
    move |h| {
        let b = &residents.buildings[h];
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
        p.insert(
            "residents_source".into(),
            json!(b.population_source.label()),
        );
        p.insert("children".into(), round(b.children, 3));
        p.insert("children_source".into(), json!(b.children_source.label()));
        p.insert("from_entrance".into(), json!(b.from_entrance));
        let snap = homes[h].snap;
        p.insert(
            "snap_m".into(),
            opt_round(snap.map(|s| f64::from(s.distance_m)), 1),
        );
        p.insert("on_island".into(), json!(homes[h].on_island));
        for c in outcomes {
            let walk = c.walk(h, bands);
            let nearest = c.home_times[h].map(|(_, f)| c.facilities[f as usize].id.clone());
            p.insert(format!("{}_{unit}", c.name), walk_up(walk));
            p.insert(format!("{}_nearest", c.name), json!(nearest));
            p.insert(
                format!("{}_covered", c.name),
                json!(within(walk, threshold)),
            );
            p.insert(
                format!("{}_band", c.name),
                json!(c.band(h, bands).map(|i| bands.values[i])),
            );
            p.insert(
                format!("{}_access_per_child", c.name),
                round(c.access[h], 4),
            );
        }
        for t in tiers {
            p.insert(format!("complete_{}", t.tier.name), json!(t.complete(h)));
            p.insert(
                format!("missing_{}", t.tier.name),
                json!(t.missing_names(h)),
            );
        }
        (polygon_geometry(&b.footprint), p)
    }
}

/// One category's roll-up over one block.
#[derive(Debug, Clone, Default)]
pub struct BlockCategory {
    /// Residents within each band.
    pub covered_population: Vec<f64>,
    /// Population-weighted median walk (minutes or metres).
    pub median_walk: Option<f64>,
    /// Longest walk (`None` when some home has no walk).
    pub max_walk: Option<f64>,
    /// Places available to the block's children under 3 (Σ children × 2SFCA access).
    pub access_places: f64,
    /// Places missing to reach the target ratio.
    pub deficit_places: f64,
}

/// Per-block roll-up used by `blocks.geojson` and `gaps.geojson`.
#[derive(Debug, Clone, Default)]
pub struct BlockStats {
    /// Residents.
    pub population: f64,
    /// Children under 3.
    pub children: f64,
    /// Homes.
    pub buildings: usize,
    /// Per category.
    pub per_category: Vec<BlockCategory>,
    /// Per life-circle tier: its completeness over the block.
    pub per_tier: Vec<Rollup>,
}

impl BlockStats {
    /// Residents of category `c` beyond the threshold (the last band).
    pub fn uncovered(&self, c: usize) -> f64 {
        let covered = self.per_category[c]
            .covered_population
            .last()
            .copied()
            .unwrap_or(0.0);
        (self.population - covered).max(0.0)
    }
}

/// Rolls homes up into their blocks, per category and per life-circle tier.
pub fn block_stats(
    residents: &Residents,
    outcomes: &[CategoryOutcome],
    tiers: &[TierHomes],
    bands: &Bands,
    target_places_per_1000: f64,
) -> Vec<BlockStats> {
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); residents.blocks.len()];
    for (h, b) in residents.buildings.iter().enumerate() {
        members[b.block as usize].push(h);
    }
    let pop = |h: usize| residents.buildings[h].population;
    let kids = |h: usize| residents.buildings[h].children;
    let (people, home_children): (Vec<f64>, Vec<f64>) = (residents.buildings.iter())
        .map(|b| (b.population, b.children))
        .unzip();
    members
        .iter()
        .map(|homes| {
            let population: f64 = homes.iter().map(|&h| pop(h)).sum();
            let children: f64 = homes.iter().map(|&h| kids(h)).sum();
            let per_category = outcomes
                .iter()
                .map(|c| {
                    let items: Vec<(Option<f64>, f64)> =
                        homes.iter().map(|&h| (c.walk(h, bands), pop(h))).collect();
                    let covered_population = (bands.values.iter())
                        .map(|&b| {
                            items
                                .iter()
                                .filter(|(m, _)| within(*m, b))
                                .map(|(_, p)| p)
                                .sum()
                        })
                        .collect();
                    let access_places: f64 = homes.iter().map(|&h| kids(h) * c.access[h]).sum();
                    let (median_walk, max_walk) = weighted_median_and_max(items);
                    BlockCategory {
                        covered_population,
                        median_walk,
                        max_walk,
                        access_places,
                        deficit_places: (target_places_per_1000 * population / 1000.0
                            - access_places)
                            .max(0.0),
                    }
                })
                .collect();
            BlockStats {
                population,
                children,
                buildings: homes.len(),
                per_category,
                per_tier: (tiers.iter())
                    .map(|t| t.roll_up(homes.iter().copied(), &people, &home_children))
                    .collect(),
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

/// The completeness fields of one tier over a block or unit (`complete_share_all`, …).
fn tier_fields(p: &mut JsonObject, tier: &str, figures: &TierFigures) {
    p.insert(
        format!("complete_population_{tier}"),
        round(figures.complete_residents, 1),
    );
    p.insert(
        format!("complete_share_{tier}"),
        opt_round(figures.complete_share, 4),
    );
    p.insert(
        format!("complete_children_share_{tier}"),
        opt_round(figures.complete_children_share, 4),
    );
    p.insert(format!("most_missing_{tier}"), json!(figures.most_missing));
    p.insert(
        format!("most_missing_population_{tier}"),
        round(figures.most_missing_residents, 1),
    );
}

/// What a block or unit layer shows of one tier.
struct TierFigures {
    complete_residents: f64,
    complete_share: Option<f64>,
    complete_children_share: Option<f64>,
    most_missing: Option<String>,
    most_missing_residents: f64,
}

impl TierFigures {
    fn of_block(rollup: &Rollup, categories: &[String]) -> Self {
        let most = rollup.most_missing();
        TierFigures {
            complete_residents: rollup.complete_residents,
            complete_share: rollup.complete_share(),
            complete_children_share: rollup.complete_children_share(),
            most_missing: most.map(|(c, _)| categories[c].clone()),
            most_missing_residents: most.map_or(0.0, |(_, r)| r),
        }
    }

    fn of_row(row: &CompletenessRow) -> Self {
        TierFigures {
            complete_residents: row.complete_residents,
            complete_share: row.complete_share,
            complete_children_share: row.complete_children_share,
            most_missing: row.most_missing_category.clone(),
            most_missing_residents: row.most_missing_residents,
        }
    }
}

/// `blocks.geojson`: one outline per block holding homes.
pub fn block_features<'a>(
    residents: &'a Residents,
    stats: &'a [BlockStats],
    outcomes: &'a [CategoryOutcome],
    tiers: &'a [TierHomes],
    bands: &'a Bands,
) -> impl Iterator<Item = (Option<Geometry>, JsonObject)> + 'a {
    let unit = bands.unit;
    residents.blocks.iter().zip(stats).map(move |(block, s)| {
        let mut p = JsonObject::new();
        p.insert("block_id".into(), json!(block.id));
        p.insert("source".into(), json!(block.source));
        p.insert("buildings".into(), json!(s.buildings));
        p.insert("population".into(), round(s.population, 1));
        p.insert("children".into(), round(s.children, 2));
        for (c, stats) in outcomes.iter().zip(&s.per_category) {
            let share = |covered: f64| {
                if s.population > 0.0 {
                    covered / s.population
                } else {
                    0.0
                }
            };
            let covered = stats.covered_population.last().copied().unwrap_or(0.0);
            p.insert(format!("{}_covered_population", c.name), round(covered, 1));
            p.insert(
                format!("{}_covered_share", c.name),
                round(share(covered), 4),
            );
            for (b, covered) in bands.values.iter().zip(&stats.covered_population) {
                p.insert(
                    format!("{}_share_{}", c.name, unit.field_label(*b)),
                    round(share(*covered), 4),
                );
            }
            // the tightest band holding every resident of the block
            let band = (bands.values.iter())
                .zip(&stats.covered_population)
                .find(|(_, covered)| s.population > 0.0 && **covered >= s.population * (1.0 - 1e-9))
                .map(|(b, _)| *b);
            p.insert(format!("{}_band", c.name), json!(band));
            p.insert(
                format!("{}_median_{}", c.name, unit.field()),
                opt_round(stats.median_walk, 2),
            );
            p.insert(
                format!("{}_max_{}", c.name, unit.field()),
                opt_round(stats.max_walk, 2),
            );
            p.insert(
                format!("{}_status", c.name),
                json!(block_status(covered, s.population)),
            );
            let access = (s.children > 0.0).then(|| stats.access_places / s.children);
            p.insert(format!("{}_access_per_child", c.name), opt_round(access, 4));
            p.insert(
                format!("{}_deficit_places", c.name),
                round(stats.deficit_places, 2),
            );
        }
        for (t, rollup) in tiers.iter().zip(&s.per_tier) {
            let figures = TierFigures::of_block(rollup, &t.tier.categories);
            tier_fields(&mut p, &t.tier.name, &figures);
        }
        (polygon_geometry(&block.outline), p)
    })
}

/// `facilities.geojson`: one point per facility per category.
pub fn facility_features<'a>(
    outcomes: &'a [CategoryOutcome],
    units: &'a Units,
    bands: &'a Bands,
    (population, children): (&'a [f64], &'a [f64]),
) -> impl Iterator<Item = (Option<Geometry>, JsonObject)> + 'a {
    let unit_name = |u: Option<u32>| u.map(|u| units.units[u as usize].name.clone());
    outcomes.iter().flat_map(move |c| {
        c.facilities.iter().enumerate().map(move |(i, f)| {
            let mut p = JsonObject::new();
            p.insert("id".into(), json!(f.id));
            p.insert("name".into(), json!(f.name));
            p.insert("category".into(), json!(f.category));
            p.insert("source".into(), json!(f.source));
            p.insert("places".into(), json!(c.places[i]));
            p.insert("places_source".into(), json!(places_source(f)));
            p.insert("affordable".into(), json!(f.affordable));
            p.insert(
                "affordable_source".into(),
                json!(stated_by(f.affordable, f.source)),
            );
            p.insert("type".into(), json!(f.kind));
            p.insert("toddler_classes".into(), json!(f.toddler_classes));
            p.insert(
                "toddler_classes_source".into(),
                json!(stated_by(f.toddler_classes, f.source)),
            );
            let (district, subdistrict) = c.facility_units[i];
            p.insert("district".into(), json!(unit_name(district)));
            p.insert("subdistrict".into(), json!(unit_name(subdistrict)));
            let placement = c.placements[i];
            p.insert(
                "snap_m".into(),
                opt_round(placement.snap.map(|s| f64::from(s.distance_m)), 1),
            );
            p.insert("on_island".into(), json!(placement.on_island));
            for (b, b_s) in bands.values.iter().zip(bands.costs_s()) {
                let within = c.reach[i].population_within(b_s, population);
                p.insert(
                    format!("population_{}", bands.unit.field_label(*b)),
                    round(within, 1),
                );
            }
            let threshold = bands.threshold_s();
            p.insert(
                "population_within".into(),
                round(c.reach[i].population_within(threshold, population), 1),
            );
            p.insert(
                "nearest_population".into(),
                round(c.nearest_population[i], 1),
            );
            p.insert(
                "children_within".into(),
                round(c.reach[i].population_within(threshold, children), 2),
            );
            p.insert("ratio_per_child".into(), opt_round(c.ratios[i], 4));
            (Some(point_geometry(f.lon, f.lat)), p)
        })
    })
}

/// `isochrones.geojson`: one service area per facility and band.
pub fn isochrone_features<'a>(
    outcomes: &'a [CategoryOutcome],
    frame: &'a LocalFrame,
    bands: &'a Bands,
    population: &'a [f64],
) -> impl Iterator<Item = (Option<Geometry>, JsonObject)> + 'a {
    outcomes.iter().flat_map(move |c| {
        c.facilities
            .iter()
            .zip(&c.reach)
            .flat_map(move |(f, reach)| {
                reach
                    .areas
                    .iter()
                    .zip(&bands.values)
                    .rev()
                    .map(move |(area, b)| {
                        let mut p = JsonObject::new();
                        p.insert("facility_id".into(), json!(f.id));
                        p.insert("name".into(), json!(f.name));
                        p.insert("category".into(), json!(c.name));
                        p.insert(bands.unit.band_field(), json!(b));
                        p.insert("area_m2".into(), round(area.unsigned_area(), 0));
                        let b_s = b * bands.unit.cost_s();
                        p.insert(
                            "population".into(),
                            round(reach.population_within(b_s, population), 1),
                        );
                        (polygon_geometry(&frame.unproject(area)), p)
                    })
            })
    })
}

/// The served area per category and band (frame metres): every facility's reach merged.
pub fn served_areas(outcomes: &[CategoryOutcome], bands: &Bands) -> Vec<Vec<MultiPolygon<f64>>> {
    outcomes
        .par_iter()
        .map(|c| {
            (bands.costs_s().par_iter())
                .map(|&b_s| c.served_grid.polygons(b_s as f32, None))
                .collect()
        })
        .collect()
}

/// `served.geojson`: the served area per category and band, with the residents within the band.
pub fn served_features<'a>(
    served: &'a [Vec<MultiPolygon<f64>>],
    outcomes: &'a [CategoryOutcome],
    frame: &'a LocalFrame,
    bands: &'a Bands,
    population: &'a [f64],
) -> impl Iterator<Item = (Option<Geometry>, JsonObject)> + 'a {
    outcomes.iter().zip(served).flat_map(move |(c, areas)| {
        areas.iter().zip(&bands.values).rev().map(move |(area, b)| {
            let covered: f64 = (0..population.len())
                .filter(|&h| within(c.walk(h, bands), *b))
                .map(|h| population[h])
                .sum();
            let mut p = JsonObject::new();
            p.insert("category".into(), json!(c.name));
            p.insert(bands.unit.band_field(), json!(b));
            p.insert("area_m2".into(), round(area.unsigned_area(), 0));
            p.insert("population".into(), round(covered, 1));
            (polygon_geometry(&frame.unproject(area)), p)
        })
    })
}

/// `gaps.geojson`: per category, the part of each block with residents beyond the threshold
/// that lies outside the served area, with those residents.
pub fn gap_features(
    residents: &Residents,
    stats: &[BlockStats],
    outcomes: &[CategoryOutcome],
    frame: &LocalFrame,
    threshold_s: f64,
) -> impl Iterator<Item = (Option<Geometry>, JsonObject)> {
    let limit_s = threshold_s as f32;
    let pairs: Vec<(usize, usize)> = (0..outcomes.len())
        .flat_map(|c| {
            (0..residents.blocks.len())
                .filter(move |&b| stats[b].uncovered(c) > 0.0)
                .map(move |b| (c, b))
        })
        .collect();
    // One polygon difference per block: done in parallel, kept in category-then-block order.
    let features: Vec<_> = pairs
        .into_par_iter()
        .filter_map(|(c, b)| {
            let (outcome, block, s) = (&outcomes[c], &residents.blocks[b], &stats[b]);
            let outline = frame.project(&block.outline);
            let window = outline.bounding_rect()?;
            let served_here = outcome.served_grid.polygons(limit_s, Some(window));
            let gap = outline.difference(&served_here);
            let area_m2 = gap.unsigned_area();
            (area_m2 > 1.0).then(|| {
                let mut p = JsonObject::new();
                p.insert("block_id".into(), json!(block.id));
                p.insert("category".into(), json!(outcome.name));
                p.insert("population_outside".into(), round(s.uncovered(c), 1));
                p.insert("area_m2".into(), round(area_m2, 0));
                (polygon_geometry(&frame.unproject(&gap)), p)
            })
        })
        .collect();
    features.into_iter()
}

/// Where a facility's yes/no value came from: `register`, `osm_proxy` (a tag read as it),
/// or `unknown` when neither said.
fn stated_by(value: Option<bool>, source: FacilitySource) -> &'static str {
    match (value, source) {
        (None, _) => "unknown",
        (Some(_), FacilitySource::Osm) => "osm_proxy",
        (Some(_), FacilitySource::File) => "register",
    }
}

/// `units.geojson`: one outline per unit with its indicators, prefixed by category, and its
/// completeness, suffixed by tier.
pub fn unit_features<'a>(
    units: &'a Units,
    indicators: &'a [Indicator],
    completeness: &'a [CompletenessRow],
    bands: &'a Bands,
) -> impl Iterator<Item = (Option<Geometry>, JsonObject)> + 'a {
    units.units.iter().map(move |u| {
        let mut p = JsonObject::new();
        p.insert("unit_id".into(), json!(u.id));
        p.insert("name".into(), json!(u.name));
        p.insert("level".into(), json!(u.level));
        for row in indicators.iter().filter(|r| r.unit_id == u.id) {
            let c = &row.category;
            p.insert(format!("{c}_residents"), round(row.residents, 1));
            p.insert(format!("{c}_children"), round(row.children, 1));
            for (b, share) in bands.values.iter().zip(&row.covered_share) {
                let field = format!("{c}_share_{}", bands.unit.field_label(*b));
                p.insert(field, round(*share, 4));
            }
            p.insert(format!("{c}_facilities"), json!(row.facilities));
            p.insert(format!("{c}_places"), round(row.places, 1));
            p.insert(format!("{c}_assumed_places"), round(row.assumed_places, 1));
            p.insert(
                format!("{c}_places_per_1000"),
                opt_round(row.places_per_1000, 3),
            );
            p.insert(
                format!("{c}_affordable_share"),
                opt_round(row.affordable_share, 4),
            );
            p.insert(
                format!("{c}_affordable_facilities"),
                json!(row.affordable_facilities),
            );
            p.insert(format!("{c}_deficit_places"), round(row.deficit_places, 1));
            p.insert(format!("{c}_covered_met"), json!(row.covered_target_met));
            p.insert(format!("{c}_places_met"), json!(row.places_target_met));
            p.insert(
                format!("{c}_places_met_on_assumed"),
                json!(row.places_target_met_on_assumed),
            );
            p.insert(
                format!("{c}_affordable_met"),
                json!(row.affordable_target_met),
            );
            p.insert(
                format!("{c}_has_affordable"),
                json!(row.has_affordable_facility),
            );
            p.insert(format!("{c}_kindergartens"), json!(row.kindergartens));
            p.insert(
                format!("{c}_toddler_class_share"),
                opt_round(row.toddler_class_share, 4),
            );
            p.insert(
                format!("{c}_toddler_class_met"),
                json!(row.toddler_class_target_met),
            );
            p.insert(format!("{c}_guidance_centres"), json!(row.guidance_centres));
            p.insert(format!("{c}_guidance_met"), json!(row.guidance_target_met));
        }
        for row in completeness.iter().filter(|r| r.unit_id == u.id) {
            tier_fields(&mut p, &row.tier, &TierFigures::of_row(row));
        }
        (polygon_geometry(&u.outline), p)
    })
}

/// `indicators.csv`: one row per unit (and the city) and category, UTF-8 with a BOM so
/// spreadsheets read it as UTF-8; empty cells where a value is undefined; text cells that a
/// spreadsheet would run as formulas neutralised ([`text_cell`]).
pub fn write_indicators_csv(
    out: &mut impl std::io::Write,
    indicators: &[Indicator],
    bands: &Bands,
) -> std::io::Result<()> {
    let mut w = bom_writer(out)?;
    let mut header: Vec<String> = [
        "unit_id",
        "unit_name",
        "level",
        "category",
        "residents",
        "children",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    header.extend(
        (bands.values.iter()).map(|b| format!("covered_share_{}", bands.unit.field_label(*b))),
    );
    header.extend(
        [
            "facilities",
            "places",
            "assumed_places",
            "places_per_1000",
            "affordable_places",
            "unknown_affordability_places",
            "affordable_share",
            "affordable_facilities",
            "access_per_child",
            "deficit_places",
            "subdistricts_with_affordable_share",
            "covered_target_met",
            "places_target_met",
            "places_target_met_on_assumed",
            "affordable_target_met",
            "has_affordable_facility",
            "subdistricts_target_met",
            "kindergartens",
            "toddler_class_kindergartens",
            "toddler_class_share",
            "toddler_class_target_met",
            "guidance_centres",
            "guidance_target_met",
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    w.write_record(&header)?;
    let flag = |v: Option<bool>| v.map_or(String::new(), |v| v.to_string());
    for r in indicators {
        let mut record = vec![
            text_cell(&r.unit_id).into_owned(),
            text_cell(&r.unit_name).into_owned(),
            text_cell(&r.level).into_owned(),
            text_cell(&r.category).into_owned(),
            decimal(r.residents, 1),
            decimal(r.children, 1),
        ];
        record.extend(r.covered_share.iter().map(|s| decimal(*s, 4)));
        record.extend([
            r.facilities.to_string(),
            decimal(r.places, 1),
            decimal(r.assumed_places, 1),
            opt_decimal(r.places_per_1000, 3),
            decimal(r.affordable_places, 1),
            decimal(r.unknown_affordability_places, 1),
            opt_decimal(r.affordable_share, 4),
            r.affordable_facilities.to_string(),
            opt_decimal(r.access_per_child, 4),
            decimal(r.deficit_places, 2),
            opt_decimal(r.subdistricts_with_affordable_share, 4),
            flag(r.covered_target_met),
            flag(r.places_target_met),
            flag(r.places_target_met_on_assumed),
            flag(r.affordable_target_met),
            flag(r.has_affordable_facility),
            flag(r.subdistricts_target_met),
            r.kindergartens.to_string(),
            r.toddler_class_kindergartens.to_string(),
            opt_decimal(r.toddler_class_share, 4),
            flag(r.toddler_class_target_met),
            r.guidance_centres.to_string(),
            flag(r.guidance_target_met),
        ]);
        w.write_record(&record)?;
    }
    w.flush()
}

/// `completeness.csv`: one row per life-circle tier and unit (and the city), UTF-8 with a
/// BOM like `indicators.csv`; the tier's categories joined by `;`; empty cells where a value
/// is undefined; text cells neutralised ([`text_cell`]).
pub fn write_completeness_csv(
    out: &mut impl std::io::Write,
    rows: &[CompletenessRow],
) -> std::io::Result<()> {
    let mut w = bom_writer(out)?;
    w.write_record([
        "unit_id",
        "unit_name",
        "level",
        "tier",
        "categories",
        "threshold",
        "threshold_unit",
        "residents",
        "complete_residents",
        "complete_share",
        "children",
        "complete_children",
        "complete_children_share",
        "most_missing_category",
        "most_missing_residents",
    ])?;
    for r in rows {
        w.write_record([
            text_cell(&r.unit_id).into_owned(),
            text_cell(&r.unit_name).into_owned(),
            text_cell(&r.level).into_owned(),
            text_cell(&r.tier).into_owned(),
            text_cell(&r.categories.join(";")).into_owned(),
            r.threshold.to_string(),
            r.unit.field().to_string(),
            decimal(r.residents, 1),
            decimal(r.complete_residents, 1),
            opt_decimal(r.complete_share, 4),
            decimal(r.children, 1),
            decimal(r.complete_children, 1),
            opt_decimal(r.complete_children_share, 4),
            text_cell(r.most_missing_category.as_deref().unwrap_or("")).into_owned(),
            decimal(r.most_missing_residents, 1),
        ])?;
    }
    w.flush()
}

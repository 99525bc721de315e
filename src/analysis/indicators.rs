//! The plan's indicators per city, district and sub-district, checked against its targets.

use super::bands::Bands;
use rayon::prelude::*;
use serde::Serialize;

use super::outcome::CategoryOutcome;
use super::residents::Residents;
use super::sum;
use super::units::{UnitLevel, UnitLocator, Units};
use crate::analysis::targets::Targets;
use crate::facilities::Facility;
use crate::spatial::LocalFrame;
use crate::spatial::inside::point_inside;

/// One row of `indicators.csv`: one unit (or the city) and one category.
#[derive(Debug, Clone, Serialize)]
pub struct Indicator {
    /// `city`, a unit id, or `outside` for residents in no unit of the level.
    pub unit_id: String,
    /// Unit name.
    pub unit_name: String,
    /// `city`, `district` or `subdistrict`.
    pub level: String,
    /// Category.
    pub category: String,
    /// Residents.
    pub residents: f64,
    /// Children under 3 (the plan's demand).
    pub children: f64,
    /// Share of residents within each band.
    pub covered_share: Vec<f64>,
    /// Facilities located in the unit.
    pub facilities: usize,
    /// Places of those facilities.
    pub places: f64,
    /// Of `places`, those assumed (`--default-capacity` or the category's default) for
    /// facilities whose source states none.
    pub assumed_places: f64,
    /// Places per 1,000 residents (`None` without residents).
    pub places_per_1000: Option<f64>,
    /// Places in facilities known to be affordable.
    pub affordable_places: f64,
    /// Places in facilities whose affordability is unknown.
    pub unknown_affordability_places: f64,
    /// Affordable places ÷ places, counting unknown as not affordable (`None` without places).
    pub affordable_share: Option<f64>,
    /// Facilities known to be affordable.
    pub affordable_facilities: usize,
    /// 2SFCA access (demand: children under 3) averaged over children, places per child
    /// (`None` without children).
    pub access_per_child: Option<f64>,
    /// Places missing to reach the target ratio (0 when met).
    pub deficit_places: f64,
    /// Share of sub-districts (of the city or district) holding an affordable facility.
    pub subdistricts_with_affordable_share: Option<f64>,
    /// Covered share at the threshold ≥ target.
    pub covered_target_met: Option<bool>,
    /// Places per 1,000 ≥ target; `None` (undecided) when only assumed places could meet
    /// it, and without residents.
    pub places_target_met: Option<bool>,
    /// Places per 1,000 ≥ target counting assumed places as real: the verdict "on assumed
    /// capacities" (`None` without residents).
    pub places_target_met_on_assumed: Option<bool>,
    /// Affordable share ≥ target; `None` when unknown places could decide either way.
    pub affordable_target_met: Option<bool>,
    /// (Sub-districts) at least one affordable facility; `None` when only unknowns could.
    pub has_affordable_facility: Option<bool>,
    /// (City, districts) sub-district share target met.
    pub subdistricts_target_met: Option<bool>,
    /// Kindergartens (facilities whose kind names one).
    pub kindergartens: usize,
    /// Kindergartens known to offer toddler classes.
    pub toddler_class_kindergartens: usize,
    /// Kindergartens with toddler classes ÷ kindergartens, counting unknown as without
    /// (`None` without kindergartens).
    pub toddler_class_share: Option<f64>,
    /// Toddler-class share ≥ target; `None` when unknowns could decide either way.
    pub toddler_class_target_met: Option<bool>,
    /// Guidance centres (known from a register's `type`).
    pub guidance_centres: usize,
    /// (Districts) at least one guidance centre; (city) every district has one. `None` when
    /// facilities of unknown kind could decide it, and for other rows.
    pub guidance_target_met: Option<bool>,
}

/// Where every home and facility lies: unit index per level.
pub struct UnitPlacement {
    /// Per home: (district, sub-district).
    pub homes: Vec<(Option<u32>, Option<u32>)>,
    /// Per unit: its district, for sub-districts.
    pub district_of_unit: Vec<Option<u32>>,
}

/// Locates homes and sub-districts in units; the same for every facility set and walking
/// profile.
pub fn locate_homes(units: &Units, frame: &LocalFrame, residents: &Residents) -> UnitPlacement {
    let locator = UnitLocator::new(units, frame);
    UnitPlacement {
        homes: residents
            .buildings
            .par_iter()
            .map(|b| locator.locate_both(b.inside_xy))
            .collect(),
        district_of_unit: units
            .units
            .iter()
            .map(|u| {
                let inside = point_inside(&frame.project(&u.outline))?;
                match u.level {
                    UnitLevel::Subdistrict => locator.locate(inside, UnitLevel::District),
                    UnitLevel::District => None,
                }
            })
            .collect(),
    }
}

/// Lower and upper bounds decide a target: met, missed, or `None` when unknowns straddle it.
fn verdict(lower: f64, upper: f64, target: f64) -> Option<bool> {
    if lower >= target {
        Some(true)
    } else if upper < target {
        Some(false)
    } else {
        None
    }
}

/// Whether one of a unit's facilities holds something: `Some(true)` when one does, `None`
/// when none does but one (or, with `unknown`, the unit itself) may, else `Some(false)`.
fn any_holds(facilities: impl Iterator<Item = Option<bool>>, unknown: bool) -> Option<bool> {
    let mut unknown = unknown;
    for holds in facilities {
        match holds {
            Some(true) => return Some(true),
            None => unknown = true,
            Some(false) => {}
        }
    }
    if unknown { None } else { Some(false) }
}

/// Whether every verdict holds: `Some(false)` when one fails, `None` when none fails but
/// one is unknown.
fn every(verdicts: &[Option<bool>]) -> Option<bool> {
    if verdicts.contains(&Some(false)) {
        Some(false)
    } else if verdicts.contains(&None) {
        None
    } else {
        Some(true)
    }
}

/// Which homes and facilities a row counts, by their (district, sub-district).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Extent {
    City,
    Unit(UnitLevel, u32),
    Outside(UnitLevel),
}

impl Extent {
    fn holds(self, (district, subdistrict): (Option<u32>, Option<u32>)) -> bool {
        match self {
            Extent::City => true,
            Extent::Unit(UnitLevel::District, u) => district == Some(u),
            Extent::Unit(UnitLevel::Subdistrict, u) => subdistrict == Some(u),
            Extent::Outside(UnitLevel::District) => district.is_none(),
            Extent::Outside(UnitLevel::Subdistrict) => subdistrict.is_none(),
        }
    }
}

/// What one indicator row is about (one per row of every per-unit table).
pub(crate) struct Scope {
    /// `city`, a unit id, or `outside`.
    pub(crate) unit_id: String,
    /// The unit's name.
    pub(crate) unit_name: String,
    /// `city`, `district` or `subdistrict`.
    pub(crate) level: &'static str,
    /// Which homes and facilities it counts.
    extent: Extent,
    /// Home indices inside.
    pub(crate) homes: Vec<usize>,
    /// Sub-districts inside (for the city and districts).
    subdistricts: Vec<usize>,
}

fn level_name(level: UnitLevel) -> &'static str {
    match level {
        UnitLevel::District => "district",
        UnitLevel::Subdistrict => "subdistrict",
    }
}

/// The scopes of every row: the city, each unit, and "outside" per level when anyone is.
pub(crate) fn scopes(units: &Units, located: &UnitPlacement) -> Vec<Scope> {
    // One pass over the homes and sub-districts: scanning all homes per unit was quadratic
    // (1.2 s of 64× Liechtenstein's 704 units and 576k homes went into it).
    let mut homes_of_unit = vec![Vec::new(); units.units.len()];
    let mut outside = [Vec::new(), Vec::new()];
    for (h, &(district, subdistrict)) in located.homes.iter().enumerate() {
        for (level, unit) in [district, subdistrict].into_iter().enumerate() {
            match unit {
                Some(u) => homes_of_unit[u as usize].push(h),
                None => outside[level].push(h),
            }
        }
    }
    let mut subdistricts_of_unit = vec![Vec::new(); units.units.len()];
    let mut all_subdistricts = Vec::new();
    for (s, unit) in units.units.iter().enumerate() {
        if unit.level == UnitLevel::Subdistrict {
            all_subdistricts.push(s);
            if let Some(d) = located.district_of_unit[s] {
                subdistricts_of_unit[d as usize].push(s);
            }
        }
    }
    let mut out = vec![Scope {
        unit_id: "city".into(),
        unit_name: "(whole extract)".into(),
        level: "city",
        extent: Extent::City,
        homes: (0..located.homes.len()).collect(),
        subdistricts: all_subdistricts,
    }];
    for ((u, unit), (homes, subdistricts)) in units
        .units
        .iter()
        .enumerate()
        .zip(homes_of_unit.into_iter().zip(subdistricts_of_unit))
    {
        out.push(Scope {
            unit_id: unit.id.clone(),
            unit_name: unit.name.clone(),
            level: level_name(unit.level),
            extent: Extent::Unit(unit.level, u as u32),
            homes,
            subdistricts: match unit.level {
                UnitLevel::District => subdistricts,
                UnitLevel::Subdistrict => Vec::new(),
            },
        });
    }
    for (level, homes) in [UnitLevel::District, UnitLevel::Subdistrict]
        .into_iter()
        .zip(outside)
    {
        if units.units.iter().any(|u| u.level == level) && !homes.is_empty() {
            out.push(Scope {
                unit_id: "outside".into(),
                unit_name: format!("(outside every {})", level_name(level)),
                level: level_name(level),
                extent: Extent::Outside(level),
                homes,
                subdistricts: Vec::new(),
            });
        }
    }
    out
}

/// Every indicator row: the city, each district, each sub-district, and residents outside
/// every unit of a level; for each category.
pub fn indicators(
    units: &Units,
    located: &UnitPlacement,
    residents: &Residents,
    outcomes: &[CategoryOutcome],
    bands: &Bands,
    targets: &Targets,
) -> Vec<Indicator> {
    let scopes = scopes(units, located);
    let districts: Vec<usize> = (0..units.units.len())
        .filter(|&u| units.units[u].level == UnitLevel::District)
        .collect();
    let pop = |h: usize| residents.buildings[h].population;
    let kids = |h: usize| residents.buildings[h].children;
    let mut rows = Vec::new();
    for outcome in outcomes {
        // Per sub-district: holds an affordable facility (Some(true)), only unknowns (None).
        let affordable_in = |u: usize| -> Option<bool> {
            any_holds(
                (outcome.facilities.iter().zip(&outcome.facility_units))
                    .filter(|(_, at)| at.1 == Some(u as u32))
                    .map(|(f, _)| f.affordable),
                false,
            )
        };
        // Per district: holds a guidance centre (Some(true)), or may hold one (None): one of
        // its facilities has no stated type, or no facility of the category has one (OSM
        // alone cannot tell, not even that a district without facilities lacks a centre).
        let types_stated = outcome.facilities.iter().any(Facility::has_register_type);
        let guidance_in = |u: usize| -> Option<bool> {
            any_holds(
                (outcome.facilities.iter().zip(&outcome.facility_units))
                    .filter(|(_, at)| at.0 == Some(u as u32))
                    .map(|(f, _)| f.is_guidance_centre()),
                !types_stated,
            )
        };
        let district_verdicts: Vec<Option<bool>> =
            districts.iter().map(|&u| guidance_in(u)).collect();
        let verdict_of_district =
            |u: u32| district_verdicts[districts.binary_search(&(u as usize)).expect("a district")];
        for scope in &scopes {
            let total = sum(scope.homes.iter().map(|&h| pop(h)));
            let covered_share: Vec<f64> = (bands.values.iter())
                .map(|&b| {
                    let covered = sum(scope
                        .homes
                        .iter()
                        .filter(|&&h| outcome.walk(h, bands).is_some_and(|m| m <= b))
                        .map(|&h| pop(h)));
                    if total > 0.0 { covered / total } else { 0.0 }
                })
                .collect();
            let inside: Vec<usize> = (0..outcome.facilities.len())
                .filter(|&f| scope.extent.holds(outcome.facility_units[f]))
                .collect();
            let places_where = |want: Option<bool>| -> f64 {
                sum(inside
                    .iter()
                    .filter(|&&f| outcome.facilities[f].affordable == want)
                    .map(|&f| outcome.places[f]))
            };
            let places = sum(inside.iter().map(|&f| outcome.places[f]));
            let assumed_places = sum((inside.iter())
                .filter(|&&f| outcome.facilities[f].capacity.is_none())
                .map(|&f| outcome.places[f]));
            let children = sum(scope.homes.iter().map(|&h| kids(h)));
            let (affordable_places, unknown_places) =
                (places_where(Some(true)), places_where(None));
            let per_1000 = |v: f64| (total > 0.0).then(|| v / total * 1000.0);
            let access_total = sum(scope.homes.iter().map(|&h| kids(h) * outcome.access[h]));
            let kindergartens: Vec<&Facility> = inside
                .iter()
                .map(|&f| &outcome.facilities[f])
                .filter(|f| f.is_kindergarten())
                .collect();
            let with_toddlers = |want: Option<bool>| {
                kindergartens
                    .iter()
                    .filter(|k| k.toddler_classes == want)
                    .count()
            };
            let (toddler_yes, toddler_unknown) = (with_toddlers(Some(true)), with_toddlers(None));
            let toddler_share = |n: usize| n as f64 / kindergartens.len() as f64;
            let sub_share = (!scope.subdistricts.is_empty()).then(|| {
                let verdicts: Vec<Option<bool>> = scope
                    .subdistricts
                    .iter()
                    .map(|&u| affordable_in(u))
                    .collect();
                let n = verdicts.len() as f64;
                let yes = verdicts.iter().filter(|v| **v == Some(true)).count() as f64;
                let maybe = verdicts.iter().filter(|v| v.is_none()).count() as f64;
                (yes / n, (yes + maybe) / n)
            });
            rows.push(Indicator {
                unit_id: scope.unit_id.clone(),
                unit_name: scope.unit_name.clone(),
                level: scope.level.to_string(),
                category: outcome.name.clone(),
                residents: total,
                children,
                covered_target_met: (total > 0.0).then(|| {
                    covered_share
                        .last()
                        .is_some_and(|&s| s >= targets.covered_share)
                }),
                covered_share,
                facilities: inside.len(),
                places,
                assumed_places,
                places_per_1000: per_1000(places),
                affordable_places,
                unknown_affordability_places: unknown_places,
                affordable_share: (places > 0.0).then(|| affordable_places / places),
                affordable_facilities: inside
                    .iter()
                    .filter(|&&f| outcome.facilities[f].affordable == Some(true))
                    .count(),
                access_per_child: (children > 0.0).then(|| access_total / children),
                deficit_places: (targets.places_per_1000 * total / 1000.0 - places).max(0.0),
                subdistricts_with_affordable_share: sub_share.map(|s| s.0),
                // an assumed capacity could be anything: only stated places decide
                places_target_met: per_1000(places - assumed_places).and_then(|stated| {
                    let most = if assumed_places > 0.0 {
                        f64::INFINITY
                    } else {
                        stated
                    };
                    verdict(stated, most, targets.places_per_1000)
                }),
                places_target_met_on_assumed: per_1000(places)
                    .map(|p| p >= targets.places_per_1000),
                affordable_target_met: (places > 0.0)
                    .then(|| {
                        verdict(
                            affordable_places / places,
                            (affordable_places + unknown_places) / places,
                            targets.affordable_share,
                        )
                    })
                    .flatten(),
                has_affordable_facility: match scope.extent {
                    Extent::Unit(UnitLevel::Subdistrict, u) => affordable_in(u as usize),
                    _ => None,
                },
                subdistricts_target_met: sub_share.and_then(|(lo, hi)| {
                    verdict(lo, hi, targets.subdistricts_with_affordable_share)
                }),
                kindergartens: kindergartens.len(),
                toddler_class_kindergartens: toddler_yes,
                toddler_class_share: (!kindergartens.is_empty())
                    .then(|| toddler_share(toddler_yes)),
                toddler_class_target_met: (!kindergartens.is_empty())
                    .then(|| {
                        verdict(
                            toddler_share(toddler_yes),
                            toddler_share(toddler_yes + toddler_unknown),
                            targets.toddler_class_share,
                        )
                    })
                    .flatten(),
                guidance_centres: inside
                    .iter()
                    .filter(|&&f| outcome.facilities[f].is_guidance_centre() == Some(true))
                    .count(),
                guidance_target_met: match scope.extent {
                    Extent::Unit(UnitLevel::District, u) => verdict_of_district(u),
                    Extent::City if !districts.is_empty() => every(&district_verdicts),
                    _ => None,
                },
            });
        }
    }
    rows
}

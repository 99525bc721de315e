//! How far the footprint estimate is from the figures used, per unit: the rows of
//! `population_check.csv`.

use std::collections::BTreeSet;

use crate::analysis::indicators::UnitPlacement;
use crate::analysis::residents::{Residents, ResidentsSource};
use crate::analysis::units::{UnitLevel, Units};

/// One unit (or the whole extract) with its estimate beside the residents used.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct UnitCheck {
    /// `city`, or the unit's id.
    pub unit_id: String,
    /// Unit name (`(all homes)` for the city row).
    pub unit_name: String,
    /// `city`, `district` or `subdistrict`.
    pub level: String,
    /// Homes in the unit.
    pub homes: usize,
    /// The footprint estimate's residents.
    pub estimate: f64,
    /// The residents used.
    pub residents: f64,
    /// The residents a planner's source (census, raster, layer; scaled or not) gave the
    /// unit; `None` unless it gave every home of the unit.
    pub given: Option<f64>,
    /// Where the unit's residents come from, joined by `+` when its homes differ.
    pub residents_source: String,
    /// Children under 3 used.
    pub children: f64,
    /// Where the unit's children come from, joined by `+`.
    pub children_source: String,
    /// The estimate ÷ the given figure (`None` without one, or when it is 0).
    pub estimate_ratio: Option<f64>,
}

/// The city row, then one row per unit in the units' order.
pub fn unit_checks(
    residents: &Residents,
    estimate: &[f64],
    units: &Units,
    home_units: &UnitPlacement,
) -> Vec<UnitCheck> {
    let mut homes_of: Vec<Vec<usize>> = vec![Vec::new(); units.units.len()];
    for (h, (district, subdistrict)) in home_units.homes.iter().enumerate() {
        for u in [district, subdistrict].into_iter().flatten() {
            homes_of[*u as usize].push(h);
        }
    }
    let all: Vec<usize> = (0..residents.buildings.len()).collect();
    let city = check_of(("city", "(all homes)", "city"), &all, residents, estimate);
    let rows = units.units.iter().zip(&homes_of).map(|(u, homes)| {
        let level = match u.level {
            UnitLevel::District => "district",
            UnitLevel::Subdistrict => "subdistrict",
        };
        check_of((&u.id, &u.name, level), homes, residents, estimate)
    });
    std::iter::once(city).chain(rows).collect()
}

/// The check of one set of homes.
fn check_of(
    (id, name, level): (&str, &str, &str),
    homes: &[usize],
    residents: &Residents,
    estimate: &[f64],
) -> UnitCheck {
    let b = |h: usize| &residents.buildings[h];
    let sum = |f: &dyn Fn(usize) -> f64| crate::analysis::sum(homes.iter().map(|&h| f(h)));
    let given_by = |s: ResidentsSource| {
        !matches!(
            s,
            ResidentsSource::Estimate | ResidentsSource::EstimateScaled
        )
    };
    let given = !homes.is_empty() && homes.iter().all(|&h| given_by(b(h).population_source));
    let residents_used = sum(&|h| b(h).population);
    let estimate_sum = sum(&|h| estimate[h]);
    let labels = |f: &dyn Fn(usize) -> &'static str| {
        let set: BTreeSet<&str> = homes.iter().map(|&h| f(h)).collect();
        set.into_iter().collect::<Vec<_>>().join("+")
    };
    UnitCheck {
        unit_id: id.to_string(),
        unit_name: name.to_string(),
        level: level.to_string(),
        homes: homes.len(),
        estimate: estimate_sum,
        residents: residents_used,
        given: given.then_some(residents_used),
        residents_source: labels(&|h| b(h).population_source.label()),
        children: sum(&|h| b(h).children),
        children_source: labels(&|h| b(h).children_source.label()),
        estimate_ratio: (given && residents_used > 0.0).then(|| estimate_sum / residents_used),
    }
}

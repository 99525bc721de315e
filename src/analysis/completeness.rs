//! Completeness of a life circle: a home is *complete* for a tier when it reaches every
//! category of the tier within the tier's threshold. Coverage judges each category alone; a
//! life circle (GB 50180-2018, TD/T 1062-2021) is judged by whether a home reaches *all*
//! the facilities of its tier, so a city can be well covered category by category and still
//! leave most homes incomplete (A reaches only the school, B only the clinic).
//!
//! Tiers come from a life-circle preset ([`Tier::of_life_circle`], `--life-circle`), else
//! from [`Tier::defaults`]: with two or more categories, one tier `all` holding every
//! category of the run at the run's threshold; with one, none (a single category's
//! completeness is its coverage). Everything below takes any list of them.

use serde::Serialize;

use super::bands::{BandUnit, Bands};
use super::indicators::scopes;
use super::life_circle::LifeCircle;
use super::outcome::CategoryOutcome;
use super::residents::Residents;
use super::sum;
use super::units::Units;
use crate::analysis::indicators::UnitPlacement;

/// Name of the default tier: every category of the run.
pub const DEFAULT_TIER: &str = "all";

/// A life-circle tier: the categories a home must all reach, and within how long or how far.
#[derive(Debug, Clone, PartialEq)]
pub struct Tier {
    /// Tier name, used in field names (`complete_all`).
    pub name: String,
    /// Its categories, in the order ties of the most-missing category are broken.
    pub categories: Vec<String>,
    /// Threshold, in `unit`.
    pub threshold: f64,
    /// The unit of the run's bands.
    pub unit: BandUnit,
}

impl Tier {
    /// The tiers of a run without a preset: `all` (every one of `categories` within the
    /// threshold of `bands`) when there are two or more categories, else none.
    pub fn defaults(categories: &[String], bands: &Bands) -> Vec<Tier> {
        if categories.len() < 2 {
            return Vec::new();
        }
        vec![Tier {
            name: DEFAULT_TIER.to_string(),
            categories: categories.to_vec(),
            threshold: bands.threshold(),
            unit: bands.unit,
        }]
    }

    /// The tiers of a life-circle preset, at the thresholds of `unit`.
    pub fn of_life_circle(circle: &LifeCircle, unit: BandUnit) -> Vec<Tier> {
        (circle.tiers.iter())
            .map(|t| Tier {
                name: t.name.clone(),
                categories: t.categories.clone(),
                threshold: t.threshold(unit),
                unit,
            })
            .collect()
    }

    /// The threshold as a search cost, seconds.
    pub fn threshold_s(&self) -> f64 {
        self.threshold * self.unit.cost_s()
    }
}

/// One tier judged home by home.
#[derive(Debug, Clone)]
pub struct TierHomes {
    /// The tier.
    pub tier: Tier,
    /// Per home: the tier's categories it does not reach within the threshold (indices
    /// into `tier.categories`, ascending); empty when the home is complete.
    pub missing: Vec<Vec<u32>>,
}

impl TierHomes {
    /// Judges every home for `tier` from the searches' `outcomes`. A home with no time to a
    /// category (unsnapped, unreachable, beyond the search) misses it; so does every home
    /// for a category of the tier that the run did not route.
    pub fn judge(tier: &Tier, outcomes: &[CategoryOutcome], homes: usize) -> TierHomes {
        let limit_s = tier.threshold_s();
        let routed: Vec<Option<&CategoryOutcome>> = (tier.categories.iter())
            .map(|name| outcomes.iter().find(|o| &o.name == name))
            .collect();
        let reaches = |c: Option<&CategoryOutcome>, h: usize| {
            c.is_some_and(|c| c.home_times[h].is_some_and(|(t, _)| t <= limit_s))
        };
        let missing = (0..homes)
            .map(|h| {
                (0..routed.len() as u32)
                    .filter(|&c| !reaches(routed[c as usize], h))
                    .collect()
            })
            .collect();
        TierHomes {
            tier: tier.clone(),
            missing,
        }
    }

    /// Whether home `h` reaches every category of the tier.
    pub fn complete(&self, h: usize) -> bool {
        self.missing[h].is_empty()
    }

    /// The categories home `h` misses, joined by `; ` (empty when complete).
    pub fn missing_names(&self, h: usize) -> String {
        let names: Vec<&str> = (self.missing[h].iter())
            .map(|&c| self.tier.categories[c as usize].as_str())
            .collect();
        names.join("; ")
    }

    /// Rolls `homes` up (`residents` and `children` per home of the city).
    pub fn roll_up(
        &self,
        homes: impl IntoIterator<Item = usize>,
        residents: &[f64],
        children: &[f64],
    ) -> Rollup {
        let mut r = Rollup {
            missing_residents: vec![0.0; self.tier.categories.len()],
            ..Rollup::default()
        };
        for h in homes {
            r.residents += residents[h];
            r.children += children[h];
            if self.complete(h) {
                r.complete_residents += residents[h];
                r.complete_children += children[h];
            }
            for &c in &self.missing[h] {
                r.missing_residents[c as usize] += residents[h];
            }
        }
        r
    }
}

/// A tier's figures over a set of homes (a block, a unit, the city).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rollup {
    /// Residents.
    pub residents: f64,
    /// Residents in complete homes.
    pub complete_residents: f64,
    /// Children under 3.
    pub children: f64,
    /// Children under 3 in complete homes.
    pub complete_children: f64,
    /// Per category of the tier: residents in homes that miss it.
    pub missing_residents: Vec<f64>,
}

impl Rollup {
    /// `complete_residents / residents` (`None` without residents).
    pub fn complete_share(&self) -> Option<f64> {
        (self.residents > 0.0).then(|| self.complete_residents / self.residents)
    }

    /// `complete_children / children` (`None` without children).
    pub fn complete_children_share(&self) -> Option<f64> {
        (self.children > 0.0).then(|| self.complete_children / self.children)
    }

    /// The category missed by the most residents (index into the tier's categories) and
    /// those residents; ties go to the category listed first; `None` when no resident misses
    /// any.
    pub fn most_missing(&self) -> Option<(usize, f64)> {
        let mut best: Option<(usize, f64)> = None;
        for (c, &r) in self.missing_residents.iter().enumerate() {
            if r > 0.0 && best.is_none_or(|(_, b)| r > b) {
                best = Some((c, r));
            }
        }
        best
    }
}

/// One row of `completeness.csv`: one tier over one unit (or the city).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CompletenessRow {
    /// `city`, a unit id, or `outside` for residents in no unit of the level.
    pub unit_id: String,
    /// Unit name.
    pub unit_name: String,
    /// `city`, `district` or `subdistrict`.
    pub level: String,
    /// Tier name.
    pub tier: String,
    /// The tier's categories.
    pub categories: Vec<String>,
    /// The tier's threshold, in `unit`.
    pub threshold: f64,
    /// The unit of the threshold (`threshold_unit` in `summary.json`, as in the CSV).
    #[serde(rename = "threshold_unit")]
    pub unit: BandUnit,
    /// Residents.
    pub residents: f64,
    /// Residents in homes that reach every category of the tier.
    pub complete_residents: f64,
    /// `complete_residents / residents` (`None` without residents).
    pub complete_share: Option<f64>,
    /// Children under 3.
    pub children: f64,
    /// Children under 3 in complete homes.
    pub complete_children: f64,
    /// `complete_children / children` (`None` without children).
    pub complete_children_share: Option<f64>,
    /// The category missed by the most residents (`None` when none is missed).
    pub most_missing_category: Option<String>,
    /// Residents in homes missing it.
    pub most_missing_residents: f64,
}

impl CompletenessRow {
    /// The row of `rollup` for `tier` over a unit.
    fn of(tier: &Tier, rollup: &Rollup, (unit_id, unit_name, level): (&str, &str, &str)) -> Self {
        let most = rollup.most_missing();
        CompletenessRow {
            unit_id: unit_id.to_string(),
            unit_name: unit_name.to_string(),
            level: level.to_string(),
            tier: tier.name.clone(),
            categories: tier.categories.clone(),
            threshold: tier.threshold,
            unit: tier.unit,
            residents: sum([rollup.residents]),
            complete_residents: sum([rollup.complete_residents]),
            complete_share: rollup.complete_share(),
            children: sum([rollup.children]),
            complete_children: sum([rollup.complete_children]),
            complete_children_share: rollup.complete_children_share(),
            most_missing_category: most.map(|(c, _)| tier.categories[c].clone()),
            most_missing_residents: most.map_or(0.0, |(_, r)| r),
        }
    }
}

/// Every completeness row: per tier, the city, each district, each sub-district, and the
/// residents outside every unit of a level (the rows of `indicators.csv`, in its order).
pub fn completeness_rows(
    units: &Units,
    located: &UnitPlacement,
    residents: &Residents,
    tiers: &[TierHomes],
) -> Vec<CompletenessRow> {
    let scopes = scopes(units, located);
    let people: Vec<f64> = residents.buildings.iter().map(|b| b.population).collect();
    let children: Vec<f64> = residents.buildings.iter().map(|b| b.children).collect();
    let mut rows = Vec::new();
    for t in tiers {
        for scope in &scopes {
            let rollup = t.roll_up(scope.homes.iter().copied(), &people, &children);
            let unit = (
                scope.unit_id.as_str(),
                scope.unit_name.as_str(),
                scope.level,
            );
            rows.push(CompletenessRow::of(&t.tier, &rollup, unit));
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tier(categories: &[&str]) -> Tier {
        Tier {
            name: "t".into(),
            categories: categories.iter().map(|c| c.to_string()).collect(),
            threshold: 15.0,
            unit: BandUnit::Minutes,
        }
    }

    #[test]
    fn one_category_has_no_tier() {
        assert!(Tier::defaults(&["childcare".into()], &Bands::minutes(&[15.0])).is_empty());
        let two = Tier::defaults(
            &["childcare".into(), "school".into()],
            &Bands::meters(&[300.0, 500.0]),
        );
        assert_eq!(
            two,
            vec![Tier {
                name: "all".into(),
                categories: vec!["childcare".into(), "school".into()],
                threshold: 500.0,
                unit: BandUnit::Meters,
            }]
        );
    }

    /// Homes A (10 residents) misses b, B (10) misses a, C (10) misses nothing, D (5) misses
    /// both: coverage of a and b 20/35 each, completeness 10/35; a and b are each missed by
    /// 15, a tie that goes to a, listed first.
    #[test]
    fn rollup_by_hand() {
        let homes = TierHomes {
            tier: tier(&["a", "b"]),
            missing: vec![vec![1], vec![0], vec![], vec![0, 1]],
        };
        let r = homes.roll_up(0..4, &[10.0, 10.0, 10.0, 5.0], &[1.0, 0.0, 2.0, 1.0]);
        assert_eq!(r.complete_share(), Some(10.0 / 35.0));
        assert_eq!(r.complete_children_share(), Some(2.0 / 4.0));
        assert_eq!(r.most_missing(), Some((0, 15.0)));
        assert_eq!(homes.missing_names(3), "a; b");
        assert_eq!(homes.missing_names(2), "");
        let nobody = homes.roll_up([2], &[10.0, 10.0, 10.0, 5.0], &[0.0; 4]);
        assert_eq!(nobody.most_missing(), None);
        assert_eq!(nobody.complete_children_share(), None);
        assert_eq!(homes.roll_up([], &[], &[]).complete_share(), None);
    }
}

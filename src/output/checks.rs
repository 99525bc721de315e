//! How good the numbers are: `population_check.csv` (the footprint estimate beside the
//! residents used, per unit) and `supply_check.csv` (every facility with where its places
//! come from). UTF-8 with a BOM, text cells neutralised, as `indicators.csv`.

use crate::analysis::outcome::CategoryOutcome;
use crate::analysis::population::check::UnitCheck;
use crate::facilities::{Facility, FacilitySource};
use crate::output::spreadsheet::{bom_writer, decimal, opt_decimal, text_cell};

/// Where a facility's places come from: `register` or `osm` when its source states them,
/// `default` when they are assumed.
pub fn places_source(f: &Facility) -> &'static str {
    match (f.capacity, f.source) {
        (None, _) => "default",
        (Some(_), FacilitySource::Osm) => "osm",
        (Some(_), FacilitySource::File) => "register",
    }
}

/// `population_check.csv`: per unit (the city first) the footprint estimate, the residents
/// used, the figure a source gave, estimate ÷ given, and the sources.
pub fn write_population_check_csv(
    out: &mut impl std::io::Write,
    checks: &[UnitCheck],
) -> std::io::Result<()> {
    let mut w = bom_writer(out)?;
    w.write_record([
        "unit_id",
        "unit_name",
        "level",
        "homes",
        "estimate",
        "residents",
        "given",
        "estimate_ratio",
        "residents_source",
        "children",
        "children_source",
    ])?;
    for c in checks {
        w.write_record([
            text_cell(&c.unit_id).into_owned(),
            text_cell(&c.unit_name).into_owned(),
            c.level.clone(),
            c.homes.to_string(),
            decimal(c.estimate, 1),
            decimal(c.residents, 1),
            opt_decimal(c.given, 1),
            opt_decimal(c.estimate_ratio, 3),
            c.residents_source.clone(),
            decimal(c.children, 1),
            c.children_source.clone(),
        ])?;
    }
    w.flush()
}

/// `supply_check.csv`: every facility of every category, grouped by where its places come
/// from (`register`, `osm`, then `default`: assumed).
pub fn write_supply_check_csv(
    out: &mut impl std::io::Write,
    outcomes: &[CategoryOutcome],
) -> std::io::Result<()> {
    let mut w = bom_writer(out)?;
    w.write_record(["category", "places_source", "facility_id", "name", "places"])?;
    let order = |s: &str| ["register", "osm", "default"].iter().position(|x| *x == s);
    for c in outcomes {
        let mut rows: Vec<usize> = (0..c.facilities.len()).collect();
        rows.sort_by_key(|&i| order(places_source(&c.facilities[i])));
        for i in rows {
            let f = &c.facilities[i];
            w.write_record([
                text_cell(&c.name).into_owned(),
                places_source(f).to_string(),
                text_cell(&f.id).into_owned(),
                text_cell(f.name.as_deref().unwrap_or("")).into_owned(),
                format!("{}", c.places[i]),
            ])?;
        }
    }
    w.flush()
}

//! The population stage on hand-made homes and units, every figure computed by hand.
//!
//! Five homes, floor area (footprint × levels) 100, 200, 100, 50 and 150 m², estimates
//! floor area ÷ 50 m² (2, 4, 2, 1, 3 residents). Sub-district S1 holds homes 0–2, S2 home 3,
//! home 4 lies in no unit; district D holds S1 and S2.

use std::path::PathBuf;

use geo::{Coord, MultiPolygon};

use super::*;
use crate::analysis::census::{CensusRow, CensusTable};
use crate::analysis::residents::Building;
use crate::analysis::units::Unit;
use crate::osm::ElementId;
use crate::osm::rules::Judged;

fn home(floor_area_m2: f64) -> Building {
    Building {
        id: ElementId::way(1),
        building: "house".into(),
        judged: Judged::Tagged,
        levels: 1.0,
        footprint_m2: floor_area_m2,
        population: floor_area_m2 / 50.0,
        population_source: ResidentsSource::Estimate,
        children: 0.0,
        children_source: ChildrenSource::Share,
        footprint: MultiPolygon(vec![]),
        inside_xy: Coord::zero(),
        origin_xy: Coord::zero(),
        from_entrance: false,
        block: 0,
    }
}

fn unit(id: &str, name: &str, level: UnitLevel) -> Unit {
    Unit {
        name_zh: None,
        id: id.into(),
        name: name.into(),
        codes: Vec::new(),
        other_names: Vec::new(),
        level,
        outline: MultiPolygon(vec![]),
    }
}

/// The homes, units (D, S1, S2) and where each home lies.
fn town() -> (Residents, Units, UnitPlacement) {
    let residents = Residents {
        buildings: [100.0, 200.0, 100.0, 50.0, 150.0].map(home).to_vec(),
        ..Residents::default()
    };
    let units = Units {
        units: vec![
            unit("relation/1", "D", UnitLevel::District),
            unit("relation/2", "S1", UnitLevel::Subdistrict),
            unit("relation/3", "S2", UnitLevel::Subdistrict),
        ],
        ..Units::default()
    };
    let (d, s1, s2) = (Some(0), Some(1), Some(2));
    let placement = UnitPlacement {
        homes: vec![(d, s1), (d, s1), (d, s1), (d, s2), (None, None)],
        district_of_unit: vec![None, d, d],
    };
    (residents, units, placement)
}

fn census(rows: &[(&str, f64, Option<f64>)]) -> CensusTable {
    CensusTable {
        path: PathBuf::from("census.csv"),
        key_column: "name".into(),
        residents_column: "residents".into(),
        under3_column: rows.iter().any(|r| r.2.is_some()).then(|| "under3".into()),
        rows: (rows.iter().enumerate())
            .map(|(i, &(key, residents, under3))| CensusRow {
                line: i + 2,
                key: key.into(),
                residents,
                under3,
            })
            .collect(),
        total: None,
    }
}

fn census_source(strict: bool) -> CensusSource {
    CensusSource {
        path: PathBuf::from("census.csv"),
        key_column: None,
        residents_column: None,
        under3_column: None,
        level: UnitLevel::Subdistrict,
        strict,
    }
}

fn run(
    sources: &PopulationSources,
    table: Option<CensusTable>,
) -> Result<(Residents, PopulationReport)> {
    run_on(town(), sources, table)
}

/// The population stage over `town` (homes, units, placement) with `sources` and `table`.
fn run_on(
    (mut residents, units, placement): (Residents, Units, UnitPlacement),
    sources: &PopulationSources,
    table: Option<CensusTable>,
) -> Result<(Residents, PopulationReport)> {
    let early = EarlySources {
        layer: None,
        census: table,
    };
    let frame = LocalFrame::new(0.0, 0.0);
    let report = apply(
        sources,
        early,
        &mut residents,
        &frame,
        &units,
        &placement,
        &|_| {},
    )?;
    Ok((residents, report))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

fn assert_all(got: impl IntoIterator<Item = f64>, want: &[f64], what: &str) {
    let got: Vec<f64> = got.into_iter().collect();
    assert!(
        got.len() == want.len() && got.iter().zip(want).all(|(a, b)| close(*a, *b)),
        "{what}: {got:?}, want {want:?}"
    );
}

#[test]
fn without_sources_residents_are_the_estimate_and_children_a_share() {
    let sources = PopulationSources {
        under3_share: 0.05,
        ..PopulationSources::default()
    };
    let (residents, report) = run(&sources, None).unwrap();
    let b = &residents.buildings;
    assert_all(
        b.iter().map(|b| b.population),
        &[2.0, 4.0, 2.0, 1.0, 3.0],
        "residents",
    );
    assert_all(
        b.iter().map(|b| b.children),
        &[0.1, 0.2, 0.1, 0.05, 0.15],
        "children",
    );
    assert!(report.uncalibrated);
    assert_eq!(report.residents_source, "estimate");
    assert_eq!(report.children_source, "share");
    // city, D, S1, S2: nothing given, so no ratio
    let s1 = &report.units[2];
    assert_eq!((s1.unit_name.as_str(), s1.homes), ("S1", 3));
    assert!(close(s1.estimate, 8.0) && s1.given.is_none() && s1.estimate_ratio.is_none());
}

/// S1's 400 residents spread 100 : 200 : 100, S2's 50 to its one home; the home in no unit
/// keeps its 3; S1's 20 children follow its residents, S2 has no child column value.
#[test]
fn census_rows_set_their_units_exactly_and_the_rest_keeps_the_estimate() {
    let table = census(&[("S1", 400.0, Some(20.0)), ("S2", 50.0, None)]);
    let sources = PopulationSources {
        census: Some(census_source(false)),
        ..PopulationSources::default()
    };
    let (residents, report) = run(&sources, Some(table)).unwrap();
    let b = &residents.buildings;
    assert_all(
        b.iter().map(|b| b.population),
        &[100.0, 200.0, 100.0, 50.0, 3.0],
        "residents",
    );
    assert_all(
        b.iter().map(|b| b.children),
        &[5.0, 10.0, 5.0, 50.0 * 0.03, 3.0 * 0.03],
        "children",
    );
    let sources_of: Vec<_> = b.iter().map(|b| b.population_source).collect();
    assert_eq!(sources_of[..4], [ResidentsSource::Census; 4]);
    assert_eq!(sources_of[4], ResidentsSource::Estimate);
    assert_eq!(report.residents_source, "census+estimate");
    assert_eq!(report.children_source, "census+share");
    assert!(!report.uncalibrated);
    let census = report.census.as_ref().unwrap();
    assert_eq!((census.rows, census.matched_rows), (2, 2));
    assert!(close(census.residents_in_rows, 450.0));
    // S1: estimate 8 against 400 given; D holds only census homes: 9 against 450
    let (d, s1) = (&report.units[1], &report.units[2]);
    assert!(close(s1.given.unwrap(), 400.0) && close(s1.estimate_ratio.unwrap(), 0.02));
    assert!(close(d.given.unwrap(), 450.0) && close(d.estimate, 9.0));
    // the city mixes census and estimate homes: no given figure
    assert!(report.units[0].given.is_none());
    assert_eq!(report.units[0].residents_source, "census+estimate");
}

/// With S1 = 400 and S2 = 50 from the census, a total of 500 leaves 50 for the home in no
/// unit (estimate 3, factor 50/3); the census homes are not scaled.
#[test]
fn a_total_scales_only_the_homes_no_census_row_set() {
    let table = census(&[("S1", 400.0, None), ("S2", 50.0, None)]);
    let sources = PopulationSources {
        census: Some(census_source(false)),
        total: Some(500.0),
        ..PopulationSources::default()
    };
    let (residents, report) = run(&sources, Some(table)).unwrap();
    let b = &residents.buildings;
    assert_all(
        b.iter().map(|b| b.population),
        &[100.0, 200.0, 100.0, 50.0, 50.0],
        "residents",
    );
    assert_eq!(b[4].population_source, ResidentsSource::EstimateScaled);
    let total = report.total.as_ref().unwrap();
    assert!(close(total.factor, 50.0 / 3.0) && close(total.census_residents, 450.0));
    assert!(close(report.residents, 500.0));

    // Alone, the total scales every home by 24 / 12.
    let sources = PopulationSources {
        total: Some(24.0),
        ..PopulationSources::default()
    };
    let (residents, _) = run(&sources, None).unwrap();
    assert_all(
        residents.buildings.iter().map(|b| b.population),
        &[4.0, 8.0, 4.0, 2.0, 6.0],
        "scaled",
    );
}

#[test]
fn a_total_below_the_census_rows_is_refused() {
    let table = census(&[("S1", 400.0, None)]);
    let sources = PopulationSources {
        census: Some(census_source(false)),
        total: Some(300.0),
        ..PopulationSources::default()
    };
    let e = run(&sources, Some(table)).expect_err("refused").to_string();
    assert!(
        e.contains("--population-total 300") && e.contains("400"),
        "{e}"
    );
}

#[test]
fn unmatched_rows_are_warnings_unless_strict() {
    let table = || census(&[("S1", 400.0, None), ("Nowhere", 10.0, None)]);
    let lenient = PopulationSources {
        census: Some(census_source(false)),
        ..PopulationSources::default()
    };
    let (residents, report) = run(&lenient, Some(table())).unwrap();
    assert!(
        close(residents.buildings[3].population, 1.0),
        "S2 keeps its estimate"
    );
    let census = report.census.as_ref().unwrap();
    assert_eq!(census.matched_rows, 1);
    assert!(
        census.unmatched_rows[0].starts_with("Nowhere (line 3"),
        "{:?}",
        census.unmatched_rows
    );
    assert!(
        census.units_without_row[0].starts_with("S2"),
        "{:?}",
        census.units_without_row
    );

    let strict = PopulationSources {
        census: Some(census_source(true)),
        ..PopulationSources::default()
    };
    let e = run(&strict, Some(table())).expect_err("strict").to_string();
    assert!(
        e.contains("census.csv") && e.contains("Nowhere") && e.contains("S2"),
        "{e}"
    );
}

#[test]
fn two_rows_naming_one_unit_are_an_error() {
    let table = census(&[("S1", 400.0, None), ("s1", 10.0, None)]);
    let sources = PopulationSources {
        census: Some(census_source(false)),
        ..PopulationSources::default()
    };
    let e = run(&sources, Some(table)).expect_err("refused").to_string();
    assert!(e.contains("lines 2 and 3") && e.contains("S1"), "{e}");
}

/// A row for a unit whose homes hold no residents yet (a population layer gave them none)
/// is spread by floor area: S1's 40 as 100 : 200 : 100.
#[test]
fn a_census_row_over_homes_without_residents_follows_floor_area() {
    let (mut residents, units, placement) = town();
    for b in &mut residents.buildings[..3] {
        b.population = 0.0;
    }
    let sources = PopulationSources {
        census: Some(census_source(false)),
        ..PopulationSources::default()
    };
    let table = census(&[("S1", 40.0, None)]);
    let (residents, _) = run_on((residents, units, placement), &sources, Some(table)).unwrap();
    let b = &residents.buildings;
    assert_all(
        b[..3].iter().map(|b| b.population),
        &[10.0, 20.0, 10.0],
        "S1",
    );
}

/// A census that matches nothing leaves every home on the estimate: the run says it is
/// uncalibrated, whatever flags were given.
#[test]
fn a_census_matching_no_unit_leaves_the_run_uncalibrated() {
    let table = census(&[("Elsewhere", 40.0, None)]);
    let sources = PopulationSources {
        census: Some(census_source(false)),
        ..PopulationSources::default()
    };
    let (_, report) = run(&sources, Some(table)).unwrap();
    assert!(report.uncalibrated);
    assert_eq!(report.census.unwrap().matched_rows, 0);
}

/// Rows naming districts when the run has none are refused, saying why.
#[test]
fn a_census_level_without_units_is_refused() {
    let (residents, mut units, placement) = town();
    units.units.retain(|u| u.level == UnitLevel::Subdistrict);
    let sources = PopulationSources {
        census: Some(CensusSource {
            level: UnitLevel::District,
            ..census_source(false)
        }),
        ..PopulationSources::default()
    };
    let table = census(&[("D", 10.0, None)]);
    let e = run_on((residents, units, placement), &sources, Some(table)).expect_err("no districts");
    assert!(e.to_string().contains("no district to match"), "{e}");
}

/// A row for a unit that holds no home is not placed, but `population_check` shows it as
/// the unit's given figure, and a total is the city's.
#[test]
fn given_figures_without_homes_are_shown() {
    let (residents, mut units, mut placement) = town();
    units
        .units
        .push(unit("relation/4", "S3", UnitLevel::Subdistrict));
    placement.district_of_unit.push(Some(0));
    let sources = PopulationSources {
        census: Some(census_source(false)),
        total: Some(24.0),
        ..PopulationSources::default()
    };
    let table = census(&[("S3", 70.0, None)]);
    let (_, report) = run_on((residents, units, placement), &sources, Some(table)).unwrap();
    let s3 = &report.units[4];
    assert_eq!(
        (s3.unit_name.as_str(), s3.homes, s3.given),
        ("S3", 0, Some(70.0))
    );
    let city = &report.units[0];
    assert!(close(city.given.unwrap(), 24.0) && close(city.estimate_ratio.unwrap(), 0.5));
}

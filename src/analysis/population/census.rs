//! A census table's counts given to homes (`--census`): each matched unit's residents (and
//! children under 3, when the table has them) spread over the unit's homes, so the unit
//! holds exactly its row. Reading and matching the table: [`crate::analysis::census`].

use serde::Serialize;

use super::CensusSource;
use super::raster::shares;
use crate::analysis::census::{
    CensusColumns, CensusMatch, CensusRow, CensusTable, RowOutcome, match_census, read_census,
};
use crate::analysis::indicators::UnitPlacement;
use crate::analysis::residents::{ChildrenSource, Residents, ResidentsSource};
use crate::analysis::units::{UnitLevel, Units};
use crate::error::{Error, Result};

/// What the census table did, for `summary.json` and the report.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CensusCounts {
    /// The file.
    pub path: String,
    /// Rows read.
    pub rows: usize,
    /// Rows matched to a unit.
    pub matched_rows: usize,
    /// Rows matched to no unit, each with the closest unit names.
    pub unmatched_rows: Vec<String>,
    /// Units of the level with no row (their homes keep the previous figure), each with
    /// the closest row keys.
    pub units_without_row: Vec<String>,
    /// Residents in matched rows.
    pub residents_in_rows: f64,
    /// Matched rows whose unit holds no home: the unit's id and the row's residents (not
    /// placed; `population_check.csv` shows them as the unit's given figure).
    pub rows_without_homes: Vec<(String, f64)>,
    /// Children under 3 in matched rows (the table's column), when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub children_in_rows: Option<f64>,
    /// Residents of the table's total row (`合计`, `Total`, …), when it has one; a warning
    /// says when its rows sum to more than 0.5 % off it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_row: Option<f64>,
}

/// How far the rows may sum from the table's total row before a warning, as a share.
const TOTAL_ROW_TOLERANCE: f64 = 0.005;

/// Reads the table as `source` says.
///
/// # Errors
/// As [`read_census`].
pub fn read(source: &CensusSource) -> Result<CensusTable> {
    read_census(
        &source.path,
        &CensusColumns {
            key: source.key_column.clone(),
            residents: source.residents_column.clone(),
            under3: source.under3_column.clone(),
        },
    )
}

/// Matches `table` to the units of the source's level and sets the residents (and children)
/// of each matched unit's homes: in proportion to their residents so far, else to their
/// `floor_area`.
///
/// # Errors
/// [`Error::Data`] when the run has no unit of the level, under `--census-strict` when a row
/// matches no unit or a unit has no row, and for two rows that match one unit.
pub fn apply(
    source: &CensusSource,
    table: &CensusTable,
    residents: &mut Residents,
    units: &Units,
    home_units: &UnitPlacement,
    floor_area: &[f64],
    log: &dyn Fn(&str),
) -> Result<CensusCounts> {
    let level_units: Vec<usize> = (0..units.units.len())
        .filter(|&u| units.units[u].level == source.level)
        .collect();
    if level_units.is_empty() {
        return Err(Error::data(
            &table.path,
            format!(
                "the run has no {} to match the rows to (--census-level; --units polygons are sub-districts, OSM units come from --district-level and --subdistrict-level)",
                match source.level {
                    UnitLevel::District => "district",
                    UnitLevel::Subdistrict => "sub-district",
                }
            ),
        ));
    }
    let candidates: Vec<_> = level_units.iter().map(|&u| &units.units[u]).collect();
    let matched = match_census(table, &candidates);
    check_match(source, table, &matched, log)?;
    let homes_of_unit = homes_by_unit(home_units, units.units.len(), source.level);
    let mut counts = CensusCounts::of(source, table, &matched);
    let prior: Vec<f64> = residents.buildings.iter().map(|b| b.population).collect();
    for (candidate, row) in matched.by_unit.iter().enumerate() {
        let Some(row) = row.map(|r| &table.rows[r]) else {
            continue;
        };
        let unit = &units.units[level_units[candidate]];
        let homes = &homes_of_unit[level_units[candidate]];
        counts.add_row(row);
        if homes.is_empty() {
            log(&format!(
                "warning: {}: line {}: {:?} holds no home in the extract; its {} residents are not placed",
                source.path.display(),
                row.line,
                unit.name,
                row.residents
            ));
            counts
                .rows_without_homes
                .push((unit.id.clone(), row.residents));
            continue;
        }
        let weight = if homes.iter().any(|&h| prior[h] > 0.0) {
            &prior
        } else {
            floor_area
        };
        for (h, share) in shares(homes, weight) {
            let b = &mut residents.buildings[h];
            b.population = row.residents * share;
            b.population_source = ResidentsSource::Census;
            if let Some(children) = row.under3 {
                b.children = children * share;
                b.children_source = ChildrenSource::Census;
            }
        }
    }
    Ok(counts)
}

/// Stops on two rows naming one unit (always) or any problem (`--census-strict`); else
/// warns of each problem, and of rows that sum far from the table's total row.
fn check_match(
    source: &CensusSource,
    table: &CensusTable,
    matched: &CensusMatch,
    log: &dyn Fn(&str),
) -> Result<()> {
    if source.strict {
        matched.require_complete(table)?;
    } else if let Some(c) = matched.contested.first() {
        let lines: Vec<String> = c.lines.iter().map(ToString::to_string).collect();
        return Err(Error::data(
            &table.path,
            format!(
                "lines {} all name the unit {:?}: give it one row",
                lines.join(" and "),
                c.name
            ),
        ));
    }
    let warn = |line: &str| log(&format!("warning: {}: {line}", source.path.display()));
    for line in matched.describe() {
        warn(&line);
    }
    if let Some(total) = &table.total {
        let rows: f64 = table.rows.iter().map(|r| r.residents).sum();
        if (rows - total.residents).abs() > TOTAL_ROW_TOLERANCE * total.residents {
            warn(&format!(
                "the rows sum to {rows} residents, the total row (line {}) says {}",
                total.line, total.residents
            ));
        }
    }
    Ok(())
}

/// Per unit (index into the run's units), its homes at `level`.
fn homes_by_unit(home_units: &UnitPlacement, units: usize, level: UnitLevel) -> Vec<Vec<usize>> {
    let mut homes_of_unit: Vec<Vec<usize>> = vec![Vec::new(); units];
    for (h, (district, subdistrict)) in home_units.homes.iter().enumerate() {
        let unit = match level {
            UnitLevel::District => district,
            UnitLevel::Subdistrict => subdistrict,
        };
        if let Some(u) = unit {
            homes_of_unit[*u as usize].push(h);
        }
    }
    homes_of_unit
}

impl CensusCounts {
    /// The counts of `table` before any row is placed: what did not match.
    fn of(source: &CensusSource, table: &CensusTable, matched: &CensusMatch) -> Self {
        CensusCounts {
            path: source.path.display().to_string(),
            rows: table.rows.len(),
            unmatched_rows: (matched.rows.iter())
                .filter_map(|r| match &r.outcome {
                    RowOutcome::Matched { .. } => None,
                    RowOutcome::Ambiguous { names, .. } => Some(format!(
                        "{} (line {}; several units: {})",
                        r.key,
                        r.line,
                        names.join(", ")
                    )),
                    RowOutcome::Unmatched { closest } => Some(format!(
                        "{} (line {}; closest: {})",
                        r.key,
                        r.line,
                        closest.join(", ")
                    )),
                })
                .collect(),
            units_without_row: (matched.without_row.iter())
                .map(|u| format!("{} (closest keys: {})", u.name, u.closest.join(", ")))
                .collect(),
            children_in_rows: table.under3_column.is_some().then_some(0.0),
            total_row: table.total.as_ref().map(|t| t.residents),
            ..CensusCounts::default()
        }
    }

    /// One matched row counted.
    fn add_row(&mut self, row: &CensusRow) {
        self.matched_rows += 1;
        self.residents_in_rows += row.residents;
        if let (Some(c), Some(total)) = (row.under3, self.children_in_rows.as_mut()) {
            *total += c;
        }
    }
}

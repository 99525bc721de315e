//! Residents and children under 3 per home, from the planner's sources over the footprint
//! estimate, and how far the estimate is from them.
//!
//! The order, each step over the one before (docs/method.md#where-residents-come-from):
//!
//! 1. the footprint estimate ([`crate::analysis::residents`]);
//! 2. a population layer ([`layer`]) or a population raster ([`raster`]) replaces it;
//! 3. a census table ([`census`]) sets each listed unit's residents to its row, spread over
//!    the unit's homes in proportion to what step 2 gave them;
//! 4. `--population-total` scales every home not set by a census row so the extract's total
//!    is the given one;
//! 5. children under 3: the census column where the home's unit has one, else age rasters,
//!    else residents × `--under3-share`.

pub mod census;
pub mod check;
pub mod layer;
pub mod raster;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

use crate::analysis::census::CensusTable;
use crate::analysis::indicators::UnitPlacement;
use crate::analysis::residents::{ChildrenSource, Residents, ResidentsSource};
use crate::analysis::units::{UnitLevel, UnitLocator, Units};
use crate::error::{Error, Result};
use crate::spatial::LocalFrame;
use census::CensusCounts;
use check::UnitCheck;
use layer::{PopulationFeature, PopulationLayerCounts};
use raster::RasterCounts;

/// Share of residents who are under 3 when no census column or age raster says: a
/// placeholder (docs/method.md#children-under-3); give the city's own figure.
pub const DEFAULT_UNDER3_SHARE: f64 = 0.03;

/// How far the home nearest a raster cell holding people but no home may be for them to go
/// to its cell, metres: about five 3″ cells, as far as built-up cells OSM maps as not
/// residential (industry, farms, schools) lie from homes; on Liechtenstein 200 m left 9 %
/// of the people unplaced, 500 m 0.04 % (docs/method.md#census-and-rasters-on-liechtenstein).
pub const DEFAULT_RASTER_SEARCH_M: f64 = 500.0;

/// The planner's population layer: a GeoJSON file and the property holding residents.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LayerSource {
    /// GeoJSON of points or polygons.
    pub path: PathBuf,
    /// Property holding residents.
    pub field: String,
}

/// A census table and how to read and match it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CensusSource {
    /// The CSV file.
    pub path: PathBuf,
    /// Column of unit names or codes (`None`: recognised headers).
    pub key_column: Option<String>,
    /// Column of residents (`None`: recognised headers).
    pub residents_column: Option<String>,
    /// Column of children under 3 (`None`: recognised headers, if any).
    pub under3_column: Option<String>,
    /// The level of the units its rows name.
    pub level: UnitLevel,
    /// Unmatched rows and units without a row are errors, not warnings.
    pub strict: bool,
}

/// Where residents and children come from, beyond the footprint estimate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PopulationSources {
    /// A population layer replacing the estimate.
    pub layer: Option<LayerSource>,
    /// A population raster (GeoTIFF, people per cell) replacing the estimate.
    pub raster: Option<PathBuf>,
    /// How far a raster cell's people may go to homes outside it, metres.
    pub raster_search_m: f64,
    /// A census table by unit.
    pub census: Option<CensusSource>,
    /// The extract's known total of residents.
    pub total: Option<f64>,
    /// Rasters of children under 1 (WorldPop `*_f_0_*`, `*_m_0_*`), summed.
    pub under1_rasters: Vec<PathBuf>,
    /// Rasters of children aged 1–4 (WorldPop `*_f_1_*`, `*_m_1_*`), summed; half of each
    /// cell's children are taken as under 3.
    pub age1to4_rasters: Vec<PathBuf>,
    /// Share of residents under 3 where no other source says.
    pub under3_share: f64,
}

impl Default for PopulationSources {
    fn default() -> Self {
        PopulationSources {
            layer: None,
            raster: None,
            raster_search_m: DEFAULT_RASTER_SEARCH_M,
            census: None,
            total: None,
            under1_rasters: Vec::new(),
            age1to4_rasters: Vec::new(),
            under3_share: DEFAULT_UNDER3_SHARE,
        }
    }
}

/// Of the 1–4 age group, the share under 3: ages 1 and 2 of 1, 2, 3 and 4, taking the four
/// years as equally many (docs/method.md#children-under-3).
pub const UNDER3_SHARE_OF_AGE1TO4: f64 = 0.5;

/// The sources read before the extract, so a bad file stops the run at once.
pub struct EarlySources {
    /// The population layer's features.
    pub layer: Option<Vec<PopulationFeature>>,
    /// The census table.
    pub census: Option<CensusTable>,
}

/// Reads the population layer and the census table.
///
/// # Errors
/// [`Error::Data`] naming the file, row or feature of a bad value; [`Error::Io`].
pub fn read_early(sources: &PopulationSources) -> Result<EarlySources> {
    Ok(EarlySources {
        layer: match &sources.layer {
            Some(l) => Some(layer::read_population_layer(&l.path, &l.field)?),
            None => None,
        },
        census: match &sources.census {
            Some(c) => Some(census::read(c)?),
            None => None,
        },
    })
}

/// What the population stage did, for `summary.json`, `population_check.csv` and the report.
#[derive(Debug, Clone, Serialize)]
pub struct PopulationReport {
    /// Whether every home's residents are the footprint estimate (no source gave any).
    pub uncalibrated: bool,
    /// The sources of the homes' residents, joined by `+` (`census+estimate`).
    pub residents_source: String,
    /// The sources of the homes' children under 3, joined by `+`.
    pub children_source: String,
    /// Residents in all homes.
    pub residents: f64,
    /// Children under 3 in all homes.
    pub children: f64,
    /// The footprint estimate's residents in all homes, before any source.
    pub estimate: f64,
    /// Residents per source.
    pub residents_by_source: BTreeMap<String, f64>,
    /// Children per source.
    pub children_by_source: BTreeMap<String, f64>,
    /// Homes per residents source.
    pub homes_by_source: BTreeMap<String, usize>,
    /// What the population layer did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer: Option<PopulationLayerCounts>,
    /// What the population raster did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raster: Option<RasterCounts>,
    /// What the census table did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub census: Option<CensusCounts>,
    /// `--population-total` and the factor it scaled the homes outside census units by.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<TotalCounts>,
    /// What the age rasters did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub age_rasters: Option<RasterCounts>,
    /// The share of residents under 3 used where no other source says.
    pub under3_share: f64,
    /// The city, then per unit: the estimate beside the figures used (as in
    /// `population_check.csv`).
    pub units: Vec<UnitCheck>,
}

/// What `--population-total` did.
#[derive(Debug, Clone, Serialize)]
pub struct TotalCounts {
    /// The given total.
    pub total: f64,
    /// Residents set by census rows (not scaled).
    pub census_residents: f64,
    /// The factor the other homes were scaled by.
    pub factor: f64,
}

/// Sets every home's residents and children from `sources` (steps 2–5 of the module doc).
///
/// # Errors
/// [`Error::Data`] for a raster that cannot be read or does not overlap the extract, a
/// census that does not match under `--census-strict`, or a total below the census rows';
/// [`Error::Io`] when a file cannot be read.
pub fn apply(
    sources: &PopulationSources,
    early: EarlySources,
    residents: &mut Residents,
    frame: &LocalFrame,
    units: &Units,
    home_units: &UnitPlacement,
    log: &dyn Fn(&str),
) -> Result<PopulationReport> {
    let estimate: Vec<f64> = residents.buildings.iter().map(|b| b.population).collect();
    // where the homes lie and their floor areas, for rasters and census shares alike
    let homes = raster::Homes::of(residents, frame);
    let locator = UnitLocator::new(units, frame);
    let in_units = |p| units.units.is_empty() || locator.locate_both(p) != (None, None);
    let layer = early
        .layer
        .map(|features| layer::apply_population_layer(residents, frame, &features));
    let raster = match &sources.raster {
        Some(path) => Some(residents_from_raster(
            path,
            sources.raster_search_m,
            residents,
            (&homes, frame),
            &in_units,
            log,
        )?),
        None => None,
    };
    let census = match (early.census, &sources.census) {
        (Some(table), Some(source)) => Some(census::apply(
            source,
            &table,
            residents,
            units,
            home_units,
            &homes.floor_area_m2,
            log,
        )?),
        _ => None,
    };
    let total = match sources.total {
        Some(total) => Some(scale_to_total(residents, total)?),
        None => None,
    };
    let age_rasters = children_from_rasters(sources, residents, (&homes, frame), &in_units, log)?;
    for b in &mut residents.buildings {
        if b.children_source == ChildrenSource::Share {
            b.children = b.population * sources.under3_share;
        }
    }
    let mut report = PopulationReport {
        uncalibrated: false,
        residents_source: String::new(),
        children_source: String::new(),
        residents: 0.0,
        children: 0.0,
        estimate: crate::analysis::sum(estimate.iter().copied()),
        residents_by_source: BTreeMap::new(),
        children_by_source: BTreeMap::new(),
        homes_by_source: BTreeMap::new(),
        layer,
        raster,
        census,
        total,
        age_rasters,
        under3_share: sources.under3_share,
        units: check::unit_checks(residents, &estimate, units, home_units),
    };
    report.sum_by_source(residents);
    report.add_given_figures(units);
    Ok(report)
}

/// Step 2 with a raster: the people of `path` to the homes it covers (the others keep the
/// estimate, with a warning).
fn residents_from_raster(
    path: &std::path::Path,
    search_m: f64,
    residents: &mut Residents,
    (homes, frame): (&raster::Homes, &LocalFrame),
    in_units: &dyn Fn(geo::Coord<f64>) -> bool,
    log: &dyn Fn(&str),
) -> Result<RasterCounts> {
    let (people, counts) = raster::allocate_file(path, homes, frame, search_m, in_units)?;
    for (b, p) in residents.buildings.iter_mut().zip(people) {
        if let Some(p) = p {
            b.population = p;
            b.population_source = ResidentsSource::Raster;
        }
    }
    warn_not_covered(
        path,
        &counts,
        residents.buildings.len(),
        "the estimate",
        log,
    );
    Ok(counts)
}

/// The warning for homes a raster does not cover.
fn warn_not_covered(
    path: &std::path::Path,
    counts: &RasterCounts,
    homes: usize,
    instead: &str,
    log: &dyn Fn(&str),
) {
    if counts.homes_not_covered > 0 {
        log(&format!(
            "warning: {}: {} of {homes} homes lie beyond the raster or in nodata cells; they keep {instead}",
            path.display(),
            counts.homes_not_covered
        ));
    }
}

impl PopulationReport {
    /// Totals per source, and the source labels.
    fn sum_by_source(&mut self, residents: &Residents) {
        for b in &residents.buildings {
            let r = b.population_source.label().to_string();
            *self.residents_by_source.entry(r.clone()).or_default() += b.population;
            *self.homes_by_source.entry(r).or_default() += 1;
            *(self.children_by_source)
                .entry(b.children_source.label().to_string())
                .or_default() += b.children;
        }
        self.residents = crate::analysis::sum(residents.buildings.iter().map(|b| b.population));
        self.children = crate::analysis::sum(residents.buildings.iter().map(|b| b.children));
        self.residents_source = join_keys(&self.residents_by_source);
        self.children_source = join_keys(&self.children_by_source);
        self.uncalibrated = (self.homes_by_source.keys()).all(|s| s == "estimate");
    }

    /// The figures a source gave that no home holds: a census row of a unit without homes,
    /// and the city's `--population-total`.
    fn add_given_figures(&mut self, units: &Units) {
        let rows = self.census.iter().flat_map(|c| &c.rows_without_homes);
        for (unit_id, residents) in rows {
            let at = units.units.iter().position(|u| u.id == *unit_id);
            if let Some(check) = at.and_then(|u| self.units.get_mut(u + 1)) {
                check.given = Some(*residents);
            }
        }
        if let (Some(total), Some(city)) = (&self.total, self.units.first_mut()) {
            city.given = Some(total.total);
        }
        for check in &mut self.units {
            check.estimate_ratio = (check.given.filter(|g| *g > 0.0)).map(|g| check.estimate / g);
        }
    }
}

/// `a+b+c` from a map's keys; `estimate` when empty (no homes).
fn join_keys<V>(map: &BTreeMap<String, V>) -> String {
    if map.is_empty() {
        return ResidentsSource::Estimate.label().to_string();
    }
    map.keys().cloned().collect::<Vec<_>>().join("+")
}

/// Scales every home not set by a census row so all homes hold `total` residents.
fn scale_to_total(residents: &mut Residents, total: f64) -> Result<TotalCounts> {
    let (mut census_residents, mut rest) = (0.0, 0.0);
    for b in &residents.buildings {
        match b.population_source {
            ResidentsSource::Census => census_residents += b.population,
            _ => rest += b.population,
        }
    }
    let wanted = total - census_residents;
    if wanted < -1e-6 * total.max(1.0) {
        return Err(Error::Usage(format!(
            "--population-total {total} is below the {census_residents:.0} residents the census rows already place"
        )));
    }
    if rest <= 0.0 && wanted > 0.5 {
        return Err(Error::Usage(format!(
            "--population-total {total}: no home outside the census units holds residents to scale"
        )));
    }
    let factor = if rest > 0.0 {
        wanted.max(0.0) / rest
    } else {
        1.0
    };
    for b in &mut residents.buildings {
        if b.population_source != ResidentsSource::Census {
            b.population *= factor;
            b.population_source = b.population_source.scaled();
        }
    }
    Ok(TotalCounts {
        total,
        census_residents,
        factor,
    })
}

/// Children under 3 from the age rasters, for homes the census column did not set and every
/// age raster covers (the others keep the share).
fn children_from_rasters(
    sources: &PopulationSources,
    residents: &mut Residents,
    (homes_at, frame): (&raster::Homes, &LocalFrame),
    in_units: &dyn Fn(geo::Coord<f64>) -> bool,
    log: &dyn Fn(&str),
) -> Result<Option<RasterCounts>> {
    let files = (sources.under1_rasters.iter().map(|p| (p, 1.0)))
        .chain((sources.age1to4_rasters.iter()).map(|p| (p, UNDER3_SHARE_OF_AGE1TO4)));
    let homes = residents.buildings.len();
    let mut children: Vec<Option<f64>> = vec![Some(0.0); homes];
    let mut total: Option<RasterCounts> = None;
    for (path, weight) in files {
        let (people, counts) =
            raster::allocate_file(path, homes_at, frame, sources.raster_search_m, in_units)?;
        warn_not_covered(path, &counts, homes, "the share of residents", log);
        for (c, p) in children.iter_mut().zip(people) {
            *c = c.zip(p).map(|(c, p)| c + weight * p);
        }
        let counts = counts.weighted(weight);
        total = Some(match total {
            Some(t) => t.plus(&counts),
            None => counts,
        });
    }
    for (b, c) in residents.buildings.iter_mut().zip(children) {
        if let Some(c) =
            c.filter(|_| total.is_some() && b.children_source != ChildrenSource::Census)
        {
            b.children = c;
            b.children_source = ChildrenSource::Raster;
        }
    }
    Ok(total)
}

#[cfg(test)]
mod tests;

//! A city prepared once — network, homes, blocks, units, snapping index, snapped homes, hills —
//! and the facility sets placed on it. Everything here is independent of which facilities
//! are asked about, so one prepared city answers many facility sets (a `site` run's
//! `after/`, a what-if edit) without reading the extract again.

use serde::Serialize;

use crate::analysis::indicators::{UnitPlacement, locate_homes};
use crate::analysis::placement::{Placement, place_homes, place_points};
use crate::analysis::population::{self, PopulationReport};
use crate::analysis::residents::{Residents, find_residents};
use crate::analysis::units::{UnitLocator, Units, UnitsSource, units_from_file, units_from_osm};
use crate::config::{BandUnit, CoverageConfig, FacilityInput, ISLAND_MAX_M};
use crate::error::{Error, Result};
use crate::facilities::Facility;
use crate::facilities::categories::tags_of;
use crate::graph::{BuildCounts, WalkCosts, WalkGraph, WalkProfile};
use crate::hashing::sha256_of;
use crate::osm::compounds::{CompoundCounts, Compounds};
use crate::osm::read::{OsmExtract, read_extract};
use crate::osm::rules;
use crate::output::lang::Lang;
use crate::pipeline::Stages;
use crate::pipeline::gather::{check_no_empty_category, gather_facilities, warn_of_unread_types};
use crate::spatial::elevation::{HillReport, Hills, hill_factors};
use crate::spatial::{EdgeIndex, LocalFrame};

/// The input extract as `summary.json` names it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InputFile {
    /// Path as given.
    pub path: std::path::PathBuf,
    /// Size, bytes.
    pub bytes: u64,
    /// SHA-256, hex.
    pub sha256: String,
}

/// A city ready for analyses: what every run builds before it asks about facilities.
pub struct City {
    /// What the reader kept of the extract (facilities and candidates are found in it).
    pub extract: OsmExtract,
    /// The extract file.
    pub input: InputFile,
    /// The local metric frame.
    pub frame: LocalFrame,
    /// The walking graph.
    pub graph: WalkGraph,
    /// Counts from building it.
    pub graph_counts: BuildCounts,
    /// Gated compounds found, what belongs to them, and the homes inside them.
    pub compound_counts: CompoundCounts,
    /// Packed R-tree of the graph's edge segments, for snapping.
    pub index: EdgeIndex,
    /// Homes and blocks.
    pub residents: Residents,
    /// Where residents and children come from, and how far the estimate is from them.
    pub population: PopulationReport,
    /// Where each home meets the network.
    pub homes: Vec<Placement>,
    /// Districts and sub-districts.
    pub units: Units,
    /// Which units each home lies in.
    pub home_units: UnitPlacement,
    /// Per-edge uphill and downhill factors from the elevation tiles, when given.
    pub hills: Option<Hills>,
    /// Largest distance from a point to the network that is still snapped, metres.
    pub max_snap_m: f64,
}

/// Facilities per category, each placed on a city's network and in its units.
pub struct FacilitySet {
    /// Per category, in the configuration's order.
    pub categories: Vec<PlacedCategory>,
}

/// One category's facilities with where they meet the network and which units hold them.
pub struct PlacedCategory {
    /// Category name.
    pub name: String,
    /// The facilities, in source order.
    pub facilities: Vec<Facility>,
    /// Where each meets the network.
    pub placements: Vec<Placement>,
    /// Per facility: (district, sub-district).
    pub units: Vec<(Option<u32>, Option<u32>)>,
}

impl City {
    /// Reads the extract and prepares everything facilities are later asked about: stages
    /// `population sources` (layer and census, read first so a bad file stops the run at
    /// once), `read`, `residents` beside `compounds`, `graph` (under the foot defaults of the
    /// country the residents found), `index`, `snap` (homes),
    /// `elevation` (with `--elevation`), `units` and `population` (rasters, census,
    /// calibration, children).
    ///
    /// The reader keeps the OSM elements of the configuration's categories (and
    /// `read_also`), so facility sets from OSM must name those categories.
    ///
    /// # Errors
    /// [`Error::Data`] for a corrupt extract, one with nothing to walk, or a bad population
    /// layer, elevation tile or units file; [`Error::Io`] when a file cannot be read.
    pub fn prepare(
        config: &CoverageConfig,
        stages: &mut Stages,
        log: &dyn Fn(&str),
    ) -> Result<City> {
        let early = stages.run("population sources", log, || {
            population::read_early(&config.population)
        })?;
        let (extract, input) = stages.run("read", log, || read_with_hash(config))?;
        if extract.walk_ways.is_empty() {
            return Err(Error::data(
                &config.input,
                "the extract holds no walkable way (see docs/method.md for the highway rules)",
            ));
        }
        let (min_lon, min_lat, max_lon, max_lat) =
            extract.nodes.bounds().expect("walkable ways have nodes");
        let frame = LocalFrame::new(0.5 * (min_lon + max_lon), 0.5 * (min_lat + max_lat));
        // The residents decide the country (flag, else the boundary holding most homes), whose
        // foot defaults the graph applies.
        let (mut residents, compounds): (Residents, Compounds) = stages.run_side_by_side(
            log,
            ("residents", || {
                find_residents(&extract, &frame, &config.residents)
            }),
            ("compounds", || Compounds::find(&extract, &frame)),
        );
        let foot = rules::foot_defaults(residents.counts.country.as_deref());
        let (graph, graph_counts) = stages.run("graph", log, || {
            WalkGraph::build(&extract, &frame, &compounds, foot)
        });
        if graph.edge_count() == 0 {
            let why = match graph_counts.walkable_ways {
                0 => "no walkable way under the country's foot defaults (see docs/method.md)",
                _ => "the walkable ways' nodes are missing from the extract: no edge to walk",
            };
            return Err(Error::data(&config.input, why));
        }
        let index = stages.run("index", log, || EdgeIndex::new(&graph));
        let mut compound_counts = compounds.counts;
        let homes = stages.run("snap", log, || {
            let origins: Vec<_> = residents.buildings.iter().map(|b| b.origin_xy).collect();
            let home_compounds: Vec<_> = origins.iter().map(|&p| compounds.containing(p)).collect();
            compound_counts.homes = home_compounds.iter().flatten().count();
            place_homes(
                &graph,
                &index,
                &frame,
                &origins,
                &home_compounds,
                config.max_snap_m,
                ISLAND_MAX_M,
            )
        });
        let hills = match &config.elevation_dir {
            Some(dir) => Some(stages.run("elevation", log, || hill_factors(dir, &graph, &frame))?),
            None => None,
        };
        if let Some(h) = hills
            .as_ref()
            .filter(|h| !h.report.tiles_missing.is_empty())
        {
            log(&format!(
                "warning: elevation tiles missing from {}: {}; {} edges on them are walked as flat",
                h.report.dir.display(),
                h.report.tiles_missing.join(", "),
                h.report.edges_flat_missing_tile
            ));
        }
        let (units, home_units) = stages.run("units", log, || -> Result<_> {
            let mut units = match &config.units {
                UnitsSource::Osm {
                    district_level,
                    subdistrict_level,
                } => units_from_osm(&extract, *district_level, *subdistrict_level),
                UnitsSource::File { path, name_field } => units_from_file(path, name_field)?,
            };
            if config.lang == Lang::Zh {
                units.name_in_chinese();
            }
            let home_units = locate_homes(&units, &frame, &residents);
            Ok((units, home_units))
        })?;
        let population = stages.run("population", log, || {
            population::apply(
                &config.population,
                early,
                &mut residents,
                &frame,
                &units,
                &home_units,
                log,
            )
        })?;
        Ok(City {
            extract,
            input,
            frame,
            graph,
            graph_counts,
            compound_counts,
            index,
            residents,
            population,
            homes,
            units,
            home_units,
            hills,
            max_snap_m: config.max_snap_m,
        })
    }

    /// The walking costs of `profile` on this city's network for bands in `unit`: times
    /// (hills included when the city has them) or distances.
    pub fn walk_costs(&self, profile: &WalkProfile, unit: BandUnit) -> WalkCosts {
        match unit {
            BandUnit::Minutes => {
                let factors = self.hills.as_ref().map(|h| h.factors.as_slice());
                WalkCosts::new(&self.graph, profile, factors)
            }
            BandUnit::Meters => WalkCosts::distance(&self.graph, profile.profile),
        }
    }

    /// What the elevation tiles gave, when the city has them.
    pub fn hill_report(&self) -> Option<&HillReport> {
        self.hills.as_ref().map(|h| &h.report)
    }

    /// Residents per home, in home order.
    pub fn population(&self) -> Vec<f64> {
        self.residents
            .buildings
            .iter()
            .map(|b| b.population)
            .collect()
    }

    /// Children under 3 per home, in home order: the plan's demand.
    pub fn children(&self) -> Vec<f64> {
        (self.residents.buildings.iter())
            .map(|b| b.children)
            .collect()
    }

    /// Places facilities, per category, on the network (snapped within the city's
    /// `max_snap_m`; those on islands marked) and in the units.
    pub fn place(&self, categories: Vec<(String, Vec<Facility>)>) -> FacilitySet {
        let locator = UnitLocator::new(&self.units, &self.frame);
        let categories = categories
            .into_iter()
            .map(|(name, facilities)| {
                let points: Vec<_> = (facilities.iter())
                    .map(|f| self.frame.to_xy(f.lon, f.lat))
                    .collect();
                let placements = place_points(
                    &self.graph,
                    &self.index,
                    &self.frame,
                    &points,
                    self.max_snap_m,
                    ISLAND_MAX_M,
                );
                let units = points.iter().map(|&p| locator.locate_both(p)).collect();
                PlacedCategory {
                    name,
                    facilities,
                    placements,
                    units,
                }
            })
            .collect();
        FacilitySet { categories }
    }

    /// The configuration's facilities — from the register read before (`register`) or from
    /// the extract, plus its `extra_facilities` — placed on the city: stage `facilities`.
    ///
    /// # Errors
    /// [`Error::Data`] when a category has no facility, unless the configuration allows it.
    pub fn facilities(
        &self,
        config: &CoverageConfig,
        register: Option<Vec<Facility>>,
        stages: &mut Stages,
        log: &dyn Fn(&str),
    ) -> Result<FacilitySet> {
        stages.run("facilities", log, || {
            let mut categories = gather_facilities(config, register, &self.extract)?;
            for extra in &config.extra_facilities {
                match categories
                    .iter_mut()
                    .find(|(name, _)| *name == extra.category)
                {
                    Some((_, list)) => list.push(extra.clone()),
                    None => categories.push((extra.category.clone(), vec![extra.clone()])),
                }
            }
            if !config.allow_empty_category {
                check_no_empty_category(config, &categories)?;
            }
            warn_of_unread_types(&categories, log);
            Ok(self.place(categories))
        })
    }
}

/// Reads the extract while hashing the file on another thread.
fn read_with_hash(config: &CoverageConfig) -> Result<(OsmExtract, InputFile)> {
    let mut osm_categories = match &config.facilities {
        FacilityInput::Osm(c) => c.clone(),
        FacilityInput::Register { .. } => Vec::new(),
    };
    osm_categories.extend(config.read_also.iter().cloned());
    let (extract, hash) = std::thread::scope(|s| {
        let hash = s.spawn(|| sha256_of(&config.input));
        let extract = read_extract(&config.input, &tags_of(&osm_categories));
        (extract, hash.join().expect("hashing does not panic"))
    });
    let (bytes, sha256) = hash?;
    Ok((
        extract?,
        InputFile {
            path: config.input.clone(),
            bytes,
            sha256,
        },
    ))
}

//! A named what-if scenario: the facilities of every category as edited in one tab, the
//! view it is looked at in, and its latest analysis.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::engine::{Analysis, Engine, View};
use crate::facilities::Facility;

/// Where a scenario's facility came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// The run's own facilities (OSM or the register).
    Base,
    /// Added in this scenario.
    Added,
    /// A base facility moved in this scenario.
    Moved,
    /// Read from a saved scenario.
    Loaded,
}

/// One facility of a scenario.
#[derive(Debug, Clone)]
pub struct ScenarioFacility {
    /// The facility as `coverage` would read it from the saved register.
    pub facility: Facility,
    /// Where it came from.
    pub origin: Origin,
}

/// One edit of a scenario, as the page sends it.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "op", rename_all = "lowercase", deny_unknown_fields)]
pub enum Edit {
    /// A new facility.
    Add {
        /// Its category (one of the run's).
        category: String,
        /// Longitude, degrees.
        lon: f64,
        /// Latitude, degrees.
        lat: f64,
        /// Places.
        capacity: Option<u32>,
        /// Whether it is affordable (普惠).
        affordable: Option<bool>,
        /// Its type, as a register's `type` column.
        #[serde(rename = "type")]
        kind: Option<String>,
        /// Its name.
        name: Option<String>,
    },
    /// A facility moved.
    Move {
        /// Its id.
        id: String,
        /// New longitude, degrees.
        lon: f64,
        /// New latitude, degrees.
        lat: f64,
    },
    /// A facility removed.
    Remove {
        /// Its id.
        id: String,
    },
}

/// Why an edit was refused (an HTTP 4xx).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EditError {
    /// The request names something that does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The request is well-formed but cannot be done.
    #[error("{0}")]
    Unprocessable(String),
}

/// A scenario.
pub struct Scenario {
    /// Opaque id, unique in the server.
    pub id: String,
    /// Name the planner gave it.
    pub name: String,
    /// Bumped by every change; tiles are cached under it.
    pub version: u64,
    /// What the page shows.
    pub view: View,
    /// Facilities per category, in the configuration's order.
    pub facilities: Vec<Vec<ScenarioFacility>>,
    /// The analysis of the current facilities and view.
    pub analysis: Arc<Analysis>,
    /// Seconds the last analysis took.
    pub last_analysis_s: f64,
    added: u32,
}

impl Scenario {
    /// A scenario holding the engine's base facilities, in the default view.
    pub fn new(engine: &Engine, id: String, name: String) -> Scenario {
        let facilities = (engine.base.iter())
            .map(|(_, list)| {
                (list.iter())
                    .map(|f| ScenarioFacility {
                        facility: f.clone(),
                        origin: Origin::Base,
                    })
                    .collect()
            })
            .collect();
        let view = View {
            category: 0,
            profile: 0,
            threshold: engine.config.bands.threshold(),
        };
        let mut scenario = Scenario {
            id,
            name,
            version: 0,
            view,
            facilities,
            analysis: Arc::new(Analysis::default()),
            last_analysis_s: 0.0,
            added: 0,
        };
        scenario.reanalyse(engine);
        scenario
    }

    /// The facilities per category, as analysed.
    pub fn facility_lists(&self) -> Vec<Vec<Facility>> {
        (self.facilities.iter())
            .map(|list| list.iter().map(|f| f.facility.clone()).collect())
            .collect()
    }

    /// Every facility, categories in order (what a saved register holds).
    pub fn all_facilities(&self) -> Vec<Facility> {
        self.facility_lists().into_iter().flatten().collect()
    }

    /// Analyses the current facilities for the current view and bumps the version.
    pub fn reanalyse(&mut self, engine: &Engine) {
        let started = std::time::Instant::now();
        self.analysis = Arc::new(engine.analyse(&self.facility_lists(), &self.view));
        self.last_analysis_s = started.elapsed().as_secs_f64();
        self.version += 1;
    }

    /// Applies `edit` and reanalyses.
    ///
    /// # Errors
    /// [`EditError::NotFound`] for an unknown category or facility id;
    /// [`EditError::Unprocessable`] for a position off the map or too far from the network.
    pub fn apply(&mut self, engine: &Engine, edit: Edit) -> Result<(), EditError> {
        match edit {
            Edit::Add {
                category,
                lon,
                lat,
                capacity,
                affordable,
                kind,
                name,
            } => {
                let c = (engine.categories().iter())
                    .position(|n| *n == category)
                    .ok_or_else(|| {
                        EditError::NotFound(format!("no category {category:?} in this run"))
                    })?;
                check_position(engine, lon, lat)?;
                let facility = Facility {
                    name: trimmed(name),
                    capacity,
                    affordable,
                    kind: trimmed(kind),
                    ..Facility::at(self.next_added_id(), category, lon, lat)
                };
                self.facilities[c].push(ScenarioFacility {
                    facility,
                    origin: Origin::Added,
                });
            }
            Edit::Move { id, lon, lat } => {
                check_position(engine, lon, lat)?;
                let f = self.find(&id)?;
                f.facility.lon = lon;
                f.facility.lat = lat;
                if f.origin == Origin::Base {
                    f.origin = Origin::Moved;
                }
            }
            Edit::Remove { id } => {
                let (c, i) = self.position(&id)?;
                self.facilities[c].remove(i);
            }
        }
        self.reanalyse(engine);
        Ok(())
    }

    /// Replaces every category's facilities by `facilities` (a saved register), each in
    /// the category it names; rows of other categories are refused.
    ///
    /// # Errors
    /// [`EditError::Unprocessable`] when a row names a category the run does not have.
    pub fn load(&mut self, engine: &Engine, facilities: Vec<Facility>) -> Result<(), EditError> {
        let names = engine.categories();
        let mut lists: Vec<Vec<ScenarioFacility>> = vec![Vec::new(); names.len()];
        for facility in facilities {
            let c = (names.iter().position(|n| *n == facility.category)).ok_or_else(|| {
                EditError::Unprocessable(format!(
                    "facility {:?} is of category {:?}, which this run does not have (it has {})",
                    facility.id,
                    facility.category,
                    names.join(", ")
                ))
            })?;
            let origin = Origin::Loaded;
            lists[c].push(ScenarioFacility { facility, origin });
        }
        self.facilities = lists;
        self.reanalyse(engine);
        Ok(())
    }

    /// `added/N` with the next N no facility of the scenario has (a loaded register may hold
    /// such ids already).
    fn next_added_id(&mut self) -> String {
        loop {
            self.added += 1;
            let id = format!("added/{}", self.added);
            if self.position(&id).is_err() {
                return id;
            }
        }
    }

    fn position(&self, id: &str) -> Result<(usize, usize), EditError> {
        (self.facilities.iter().enumerate())
            .find_map(|(c, list)| {
                let i = list.iter().position(|f| f.facility.id == id)?;
                Some((c, i))
            })
            .ok_or_else(|| EditError::NotFound(format!("no facility {id:?} in this scenario")))
    }

    fn find(&mut self, id: &str) -> Result<&mut ScenarioFacility, EditError> {
        let (c, i) = self.position(id)?;
        Ok(&mut self.facilities[c][i])
    }
}

/// Text as a register reads it back: trimmed, and `None` when empty.
fn trimmed(text: Option<String>) -> Option<String> {
    text.map(|t| t.trim().to_string()).filter(|t| !t.is_empty())
}

/// Refuses a position that is not a coordinate or that no walk reaches: farther than the
/// run's snap distance from the network, or on an island.
fn check_position(engine: &Engine, lon: f64, lat: f64) -> Result<(), EditError> {
    if !(lon.is_finite() && lat.is_finite() && lon.abs() <= 180.0 && lat.abs() <= 90.0) {
        return Err(EditError::Unprocessable(format!(
            "({lon}, {lat}) is not a longitude and latitude"
        )));
    }
    let probe = Facility::at(String::new(), String::new(), lon, lat);
    let placed = engine.city.place(vec![(String::new(), vec![probe])]);
    let placement = placed.categories[0].placements[0];
    match (placement.snap, placement.on_island) {
        (None, _) => Err(EditError::Unprocessable(format!(
            "({lon}, {lat}) is farther than {} m from the walking network",
            engine.config.max_snap_m
        ))),
        (Some(_), true) => Err(EditError::Unprocessable(format!(
            "({lon}, {lat}) meets the network on an island that no one walks to"
        ))),
        (Some(_), false) => Ok(()),
    }
}

//! The resolved configuration of a `coverage` run: every default applied, units in names.

use std::path::PathBuf;

use crate::analysis::residents::ResidentsOptions;
use crate::facilities::categories::Category;

/// Walking speed of the default adult profile, km/h.
pub const DEFAULT_SPEED_KMH: f64 = 4.5;
/// Threshold for "covered", minutes.
pub const DEFAULT_MINUTES: f64 = 15.0;
/// Farthest a home or facility may be from the network and still be snapped, metres.
pub const DEFAULT_MAX_SNAP_M: f64 = 250.0;
/// How far the nearest-facility search looks, minutes: homes beyond get no time (null).
pub const DEFAULT_SEARCH_MINUTES: f64 = 120.0;

/// Where facilities come from.
#[derive(Debug, Clone, PartialEq)]
pub enum FacilityInput {
    /// OSM features matching these categories.
    Osm(Vec<Category>),
    /// The planner's register file; `categories` filters the file's `category` column
    /// (all of them when empty), and rows without one get `default_category`.
    Register {
        /// CSV or GeoJSON register.
        path: PathBuf,
        /// Categories to keep (empty: every category in the file).
        categories: Vec<String>,
        /// Category of rows that name none.
        default_category: String,
    },
}

/// Everything a `coverage` run needs, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct CoverageConfig {
    /// The OSM PBF extract.
    pub input: PathBuf,
    /// Output folder.
    pub out_dir: PathBuf,
    /// Facility source.
    pub facilities: FacilityInput,
    /// Threshold for "covered", minutes.
    pub minutes: f64,
    /// Walking speed, km/h.
    pub speed_kmh: f64,
    /// Maximum snap distance, metres.
    pub max_snap_m: f64,
    /// Search horizon for reported minutes.
    pub search_minutes: f64,
    /// Population model.
    pub residents: ResidentsOptions,
    /// The planner's population layer (GeoJSON) and the property holding residents; replaces
    /// the footprint estimate when given.
    pub population_layer: Option<(PathBuf, String)>,
}

impl CoverageConfig {
    /// A configuration with the documented defaults for one input, output folder and
    /// facility source.
    pub fn new(input: PathBuf, out_dir: PathBuf, facilities: FacilityInput) -> Self {
        CoverageConfig {
            input,
            out_dir,
            facilities,
            minutes: DEFAULT_MINUTES,
            speed_kmh: DEFAULT_SPEED_KMH,
            max_snap_m: DEFAULT_MAX_SNAP_M,
            search_minutes: DEFAULT_SEARCH_MINUTES,
            residents: ResidentsOptions::default(),
            population_layer: None,
        }
    }

    /// Walking speed, m/s.
    pub fn speed_m_s(&self) -> f64 {
        self.speed_kmh / 3.6
    }

    /// A network component is an island when its total length is under the distance walked
    /// in the threshold time: nobody on it could walk the threshold without leaving it.
    pub fn island_max_m(&self) -> f64 {
        self.speed_m_s() * self.minutes * 60.0
    }
}

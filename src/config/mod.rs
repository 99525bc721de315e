//! The configuration of a run: [`options`] holds the raw options a person gives (flags or a
//! manifest's keys) and resolves them into the [`CoverageConfig`] defined here, with every
//! default applied and units in names.

pub mod options;

pub use crate::analysis::bands::{BandUnit, Bands};

pub use crate::analysis::targets::{
    DEFAULT_TARGET_AFFORDABLE_SHARE, DEFAULT_TARGET_COVERED_SHARE, DEFAULT_TARGET_PLACES_PER_1000,
    DEFAULT_TARGET_SUBDISTRICT_SHARE, DEFAULT_TARGET_TODDLER_CLASS_SHARE, Targets,
};

use std::path::PathBuf;

use crate::analysis::completeness::Tier;
use crate::analysis::residents::ResidentsOptions;
use crate::analysis::units::{DEFAULT_DISTRICT_LEVEL, DEFAULT_SUBDISTRICT_LEVEL, UnitsSource};
use crate::facilities::categories::Category;

/// Threshold for "covered", minutes.
pub const DEFAULT_MINUTES: f64 = 15.0;
/// Farthest a home or facility may be from the network and still be snapped, metres.
pub const DEFAULT_MAX_SNAP_M: f64 = 250.0;
/// A network component with less walkable length than this, metres, is an island. Fixed,
/// not derived from the threshold, so that where a home snaps never depends on `--minutes`
/// (coverage can only grow with the threshold).
pub const ISLAND_MAX_M: f64 = 1000.0;
/// How far the nearest-facility search looks, minutes: homes beyond get no time (null).
pub const DEFAULT_SEARCH_MINUTES: f64 = 120.0;
/// Speed that turns `--search-minutes` into a distance in a distance run (`--meters`), km/h:
/// the adult preset's, so that 120 minutes look 9 km far.
pub const SEARCH_SPEED_KMH: f64 = 4.5;

/// Where facilities come from.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
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

/// Everything a `coverage` run needs, resolved. Its serialized form is canonical (fields in
/// a fixed order, defaults applied, bands sorted): batch hashes it to know when a job must
/// run again.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CoverageConfig {
    /// The OSM PBF extract.
    pub input: PathBuf,
    /// Output folder.
    pub out_dir: PathBuf,
    /// Facility source.
    pub facilities: FacilityInput,
    /// Bands (minutes or metres), ascending; the last is the threshold for "covered".
    #[serde(flatten)]
    pub bands: Bands,
    /// Walking profiles, each at its flat speed; several share one read, graph and snapping,
    /// and each gets its own outputs.
    pub profiles: Vec<crate::graph::WalkProfile>,
    /// Folder of SRTM tiles for slope-aware walking (`None`: flat).
    pub elevation_dir: Option<PathBuf>,
    /// Maximum snap distance, metres.
    pub max_snap_m: f64,
    /// How far the nearest-facility search looks, minutes (a distance run looks as far as
    /// [`SEARCH_SPEED_KMH`] walks in that time).
    pub search_minutes: f64,
    /// Population model.
    pub residents: ResidentsOptions,
    /// Half-width of service-area strips along reachable streets, metres.
    pub area_buffer_m: f64,
    /// Grid cell of service-area polygons, metres.
    pub area_cell_m: f64,
    /// Places assumed for facilities whose source states none (`None`: per-category table).
    pub default_capacity: Option<f64>,
    /// Band weights of the enhanced 2SFCA (`None`: plain 2SFCA, weight 1 within the threshold).
    pub decay_weights: Option<Vec<f64>>,
    /// Targets the indicators are checked against.
    pub targets: Targets,
    /// Where districts and sub-districts come from.
    pub units: UnitsSource,
    /// Coordinate system of the facility register (converted to WGS84 before snapping).
    pub facility_crs: crate::facilities::crs::FacilityCrs,
    /// Facilities added to those found (e.g. proposed sites), each in the category its
    /// `category` names.
    pub extra_facilities: Vec<crate::facilities::Facility>,
    /// Where residents and children come from beyond the footprint estimate.
    pub population: crate::analysis::population::PopulationSources,
    /// File format of the layers (`--format`).
    pub layer_format: crate::output::planner::LayerFormat,
    /// Language of the report, maps and QGIS names (`--lang`).
    pub lang: crate::output::lang::Lang,
    /// Run even when a category has no facility (every home then counts as uncovered), as
    /// `site` does to place a category's first facilities; otherwise that is a data error.
    pub allow_empty_category: bool,
    /// Life-circle tiers completeness is judged by (`None`: one tier of every category at the
    /// threshold, see [`crate::analysis::completeness::Tier::defaults`]).
    pub life_circle: Option<crate::analysis::life_circle::LifeCircle>,
    /// Elements the reader keeps besides the facility categories' (the tags of `site`'s
    /// candidates); they are not facilities. Like facilities' areas, their ways count
    /// towards the extract's bounds (the local frame) and are not read as walls.
    pub read_also: Vec<crate::facilities::categories::Category>,
}

impl CoverageConfig {
    /// A configuration with the documented defaults for one input, output folder and
    /// facility source.
    pub fn new(input: PathBuf, out_dir: PathBuf, facilities: FacilityInput) -> Self {
        CoverageConfig {
            input,
            out_dir,
            facilities,
            bands: Bands::minutes(&[DEFAULT_MINUTES]),
            profiles: vec![crate::graph::WalkProfile::preset(
                crate::graph::Profile::Adult,
            )],
            elevation_dir: None,
            max_snap_m: DEFAULT_MAX_SNAP_M,
            search_minutes: DEFAULT_SEARCH_MINUTES,
            residents: ResidentsOptions::default(),
            population: crate::analysis::population::PopulationSources::default(),
            layer_format: crate::output::planner::LayerFormat::Geojson,
            lang: crate::output::lang::Lang::En,
            extra_facilities: Vec::new(),
            allow_empty_category: false,
            read_also: Vec::new(),
            life_circle: None,
            facility_crs: crate::facilities::crs::FacilityCrs::Wgs84,
            area_buffer_m: crate::analysis::service_area::DEFAULT_AREA_BUFFER_M,
            area_cell_m: crate::analysis::service_area::DEFAULT_AREA_CELL_M,
            default_capacity: None,
            decay_weights: None,
            targets: Targets::default(),
            units: UnitsSource::Osm {
                district_level: DEFAULT_DISTRICT_LEVEL,
                subdistrict_level: DEFAULT_SUBDISTRICT_LEVEL,
            },
        }
    }

    /// The life-circle tiers of a run routing `categories`: the preset's, at the thresholds
    /// of the run's unit, else [`Tier::defaults`].
    pub fn tiers(&self, categories: &[String]) -> Vec<Tier> {
        match &self.life_circle {
            Some(circle) => Tier::of_life_circle(circle, self.bands.unit),
            None => Tier::defaults(categories, &self.bands),
        }
    }

    /// The searches' limits (costs, seconds; see [`crate::analysis::bands`]): the threshold,
    /// and how far the nearest-facility search looks (never short of the threshold or of a
    /// life-circle tier's).
    pub fn routing(&self) -> crate::analysis::coverage::Routing {
        let horizon_s = match self.bands.unit {
            BandUnit::Minutes => self.search_minutes * 60.0,
            BandUnit::Meters => self.search_minutes * 60.0 * SEARCH_SPEED_KMH / 3.6,
        };
        // a life circle's tiers judge homes from the nearest-facility times too
        let tiers_s = self
            .tiers(&[])
            .iter()
            .map(Tier::threshold_s)
            .fold(0.0, f64::max);
        crate::analysis::coverage::Routing {
            threshold_s: self.bands.threshold_s(),
            search_limit_s: horizon_s.max(self.bands.threshold_s()).max(tiers_s),
        }
    }
}

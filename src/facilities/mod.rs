//! Facilities: the tag table of preset categories, and the planner's own register files.

pub mod categories;
pub mod crs;
pub mod osm;
pub mod register;

/// Where a facility came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FacilitySource {
    /// An OpenStreetMap node, way or relation.
    Osm,
    /// A row of the planner's register file.
    File,
}

/// One facility, as a WGS84 point, before snapping.
#[derive(Debug, Clone, PartialEq)]
pub struct Facility {
    /// Stable identifier: `node/123`, `way/45`, `relation/6` for OSM, the register's `id`
    /// column (or `row/N`, 1-based data row, when it has none) for a file.
    pub id: String,
    /// Human-readable name, when known.
    pub name: Option<String>,
    /// Category name (`childcare`, `school`, … or the register's label).
    pub category: String,
    /// Longitude in degrees, WGS84.
    pub lon: f64,
    /// Latitude in degrees, WGS84.
    pub lat: f64,
    /// Origin of the record.
    pub source: FacilitySource,
    /// Places (e.g. childcare slots), when the source states them.
    pub capacity: Option<u32>,
    /// Whether it is in the affordable (public-interest, subsidised) tier, when known.
    pub affordable: Option<bool>,
}

//! Writing results: atomic files, RFC 7946 GeoJSON, `summary.json`, and what planners open
//! (QGIS styles and project, the report, PNG maps, FlatGeobuf).

pub mod atomic;
pub mod checks;
pub mod fgb;
pub mod geojson;
pub mod lang;
pub mod layers;
pub mod map;
pub mod planner;
pub mod qgis;
pub mod register;
pub mod report;
pub mod spreadsheet;

pub use atomic::{OutputLock, OutputSet};

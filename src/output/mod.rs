//! Writing results: atomic files, RFC 7946 GeoJSON, `summary.json`.

pub mod atomic;
pub mod geojson;
pub mod layers;

pub use atomic::OutputSet;

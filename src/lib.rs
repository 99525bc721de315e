//! `fifteen`: which homes lie outside a 15-minute walk of a service, from an OpenStreetMap extract.
//!
//! The library follows the pipeline a planner's job runs through:
//!
//! 1. [`osm`] reads a PBF extract in one parallel pass and classifies what it holds
//!    (walkable ways, facilities, residential buildings, landuse blocks);
//! 2. [`graph`] turns walkable ways into a compact undirected walking graph and searches it
//!    (bounded, multi-source Dijkstra with reusable workspaces);
//! 3. [`spatial`] projects lon/lat into a local metric frame once and snaps points onto edges;
//! 4. [`facilities`] holds facility categories and the planner's own register files;
//! 5. [`analysis`] estimates residents, groups them in blocks and computes coverage;
//! 6. [`output`] writes RFC 7946 GeoJSON and `summary.json`, atomically;
//!
//! and [`pipeline`] names and times those stages for the `coverage` command.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod analysis;
pub mod batch;
pub mod cli;
pub mod config;
pub mod error;
pub mod facilities;
pub mod frame;
pub mod graph;
mod hashing;
pub mod osm;
pub mod output;
pub mod pipeline;
pub mod siting;
pub mod spatial;
pub mod tile;

pub use config::CoverageConfig;
pub use error::{Error, Result};

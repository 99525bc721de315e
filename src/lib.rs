//! `fifteen`: which homes lie outside a 15-minute walk of a service, from an OpenStreetMap extract.
//!
//! # Quick start
//!
//! Resolve a configuration from the same options the command line takes, prepare the city
//! once, and ask it about facilities (more in [`pipeline`], and docs/library.md):
//!
//! ```
//! use fifteen::config::options::CoverageOptions;
//! use fifteen::pipeline::{City, Stages};
//!
//! let options = CoverageOptions {
//!     categories: vec!["childcare".into()],
//!     minutes: vec![5.0, 10.0, 15.0],
//!     ..CoverageOptions::default()
//! };
//! let config = options.resolve("data/sample-town.osm.pbf".as_ref(), "out/town".as_ref())?;
//! let (mut stages, quiet) = (Stages::default(), |_: &str| {});
//! let city = City::prepare(&config, &mut stages, &quiet)?;
//! let childcare = city.facilities(&config, None, &mut stages, &quiet)?;
//! let name = |stage: &str| stage.to_string();
//! let adult = city.analyse(&config, &childcare, &config.profiles[0], &mut stages, &name, &quiet);
//! let share = adult.coverage[0].covered_share_by_band["15"];
//! assert!(share >= adult.coverage[0].covered_share_by_band["5"]);
//! # Ok::<(), fifteen::Error>(())
//! ```
//!
//! [`pipeline::run_coverage`] runs the whole `coverage` job and writes its layers;
//! [`siting::run_site`] the `site` job; [`batch`] many of either from a manifest.
//!
//! # Layers
//!
//! The modules follow the pipeline a planner's job runs through, each using only those
//! before it (`tests/layering.rs` holds it):
//!
//! 1. [`frame`] projects lon/lat into a local metric frame once, at ingest;
//! 2. [`osm`] reads a PBF extract in one parallel pass and classifies what it holds
//!    (walkable ways, facilities, residential buildings, landuse blocks);
//! 3. [`graph`] turns walkable ways into a compact undirected walking graph and searches it
//!    (bounded, multi-source Dijkstra with reusable workspaces);
//! 4. [`spatial`] snaps points onto edges, reads heights and draws service areas;
//! 5. [`facilities`] holds facility categories and the planner's own register files;
//! 6. [`analysis`] estimates residents, groups them in blocks and computes coverage;
//! 7. [`output`] writes RFC 7946 GeoJSON, styles, maps and the report, atomically;
//! 8. [`config`] turns raw options into one resolved configuration;
//! 9. [`pipeline`] prepares a [`pipeline::City`] and runs the named, timed stages on it;
//!    [`siting`] chooses new sites;
//! 10. [`cli`] and [`batch`] are the command line and manifests over the same options.
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
pub mod serve;
pub mod siting;
pub mod spatial;
mod text;
pub mod tile;

pub use config::CoverageConfig;
pub use error::{Error, Result};

//! The walking graph: built from walkable ways, stored as compact arrays (CSR), and searched
//! with bounded multi-source Dijkstra.

pub mod build;
pub mod profile;
pub mod search;

pub use build::{BuildCounts, WalkGraph};
pub use profile::{EdgeKind, Profile, WalkCosts, WalkProfile};
pub use search::{SearchSpace, Seed};

//! Who lives where, how far they walk, and what that means per building and block.
//!
//! Bottom up, so that no two of these modules import each other: [`bands`] (what a run
//! measures: minutes or metres), [`placement`] (where points
//! meet the network), then the searches [`coverage`] (nearest facility) and [`service_area`]
//! (each facility's reach), then [`supply`], and [`outcome`], which gathers one category's
//! results for [`indicators`] (checked against [`targets`]) and the writers; [`completeness`]
//! judges several categories at once, by the tiers of a [`life_circle`] preset (GB 50180-2018
//! built in, or a city's own TOML). [`residents`], [`population`] and [`units`]
//! say who lives where and stand beside them;
//! [`census`] reads census tables by unit and matches them to the units.

pub mod bands;
pub mod census;
pub mod completeness;
pub mod coverage;
pub mod indicators;
pub mod life_circle;
pub mod outcome;
pub mod placement;
pub mod population;
pub mod residents;
pub mod service_area;
pub mod supply;
pub mod targets;
pub mod units;

/// Σ `values`, in order; 0.0 when empty (an empty `f64` sum is -0.0, which JSON prints).
pub fn sum(values: impl IntoIterator<Item = f64>) -> f64 {
    values.into_iter().sum::<f64>() + 0.0
}

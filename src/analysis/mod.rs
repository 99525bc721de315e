//! Who lives where, how far they walk, and what that means per building and block.

pub mod coverage;
pub mod indicators;
pub mod population;
pub mod residents;
pub mod service_area;
pub mod supply;
pub mod units;

//! Who lives where, how far they walk, and what that means per building and block.

pub mod coverage;
pub mod population;
pub mod residents;

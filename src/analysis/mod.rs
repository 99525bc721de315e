//! Who lives where, how far they walk, and what that means per building and block.

pub mod coverage;
pub mod indicators;
pub mod population;
pub mod residents;
pub mod service_area;
pub mod supply;
pub mod units;

/// Σ `values`, in order; 0.0 when empty (an empty `f64` sum is -0.0, which JSON prints).
pub fn sum(values: impl IntoIterator<Item = f64>) -> f64 {
    values.into_iter().sum::<f64>() + 0.0
}

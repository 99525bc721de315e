//! The plan's targets that indicators are checked against, with the plan's values as
//! defaults. Here, below the configuration, so that indicators need nothing from above.

/// The plan's target: childcare places per 1,000 residents.
pub const DEFAULT_TARGET_PLACES_PER_1000: f64 = 4.5;
/// The plan's target: share of places in the affordable tier.
pub const DEFAULT_TARGET_AFFORDABLE_SHARE: f64 = 0.6;
/// The plan's target: share of sub-districts with at least one affordable facility.
pub const DEFAULT_TARGET_SUBDISTRICT_SHARE: f64 = 0.9;
/// The plan's target: share of kindergartens offering toddler classes, for its last year
/// (30 % in 2023, 35 % in 2024, 40 % in 2025).
pub const DEFAULT_TARGET_TODDLER_CLASS_SHARE: f64 = 0.4;
/// Share of residents within the threshold for a unit to meet the service-circle target.
/// The plan names no share; this default is the tool's.
pub const DEFAULT_TARGET_COVERED_SHARE: f64 = 0.9;
/// The policy targets indicators are checked against (defaults: the plan's values).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Targets {
    /// Places per 1,000 residents.
    pub places_per_1000: f64,
    /// Share of places that are affordable.
    pub affordable_share: f64,
    /// Share of sub-districts with at least one affordable facility.
    pub subdistricts_with_affordable_share: f64,
    /// Share of residents within the threshold.
    pub covered_share: f64,
    /// Share of kindergartens offering toddler classes.
    pub toddler_class_share: f64,
}

impl Default for Targets {
    fn default() -> Self {
        Targets {
            places_per_1000: DEFAULT_TARGET_PLACES_PER_1000,
            affordable_share: DEFAULT_TARGET_AFFORDABLE_SHARE,
            subdistricts_with_affordable_share: DEFAULT_TARGET_SUBDISTRICT_SHARE,
            covered_share: DEFAULT_TARGET_COVERED_SHARE,
            toddler_class_share: DEFAULT_TARGET_TODDLER_CLASS_SHARE,
        }
    }
}

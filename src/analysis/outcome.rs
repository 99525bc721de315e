//! What the pipeline keeps of one category once every search has run: the nearest-facility
//! times ([`super::coverage`]), each facility's reach ([`super::service_area`]) and supply
//! ([`super::supply`]). It sits above those modules so none of them has to know the others.

use super::bands::Bands;
use super::placement::Placement;
use super::service_area::FacilityReach;
use crate::facilities::Facility;
use crate::spatial::raster::TimeGrid;

/// Everything computed for one category.
#[derive(Debug, Clone)]
pub struct CategoryOutcome {
    /// Category name.
    pub name: String,
    /// Its facilities, in source order.
    pub facilities: Vec<Facility>,
    /// Where each facility meets the network.
    pub placements: Vec<Placement>,
    /// Per facility: its (district, sub-district), indices into the run's units.
    pub facility_units: Vec<(Option<u32>, Option<u32>)>,
    /// Per home: seconds (metres in a distance run) to the nearest facility and its index, `None` when unsnapped,
    /// unreachable or beyond the search limit.
    pub home_times: Vec<Option<(f64, u32)>>,
    /// Per facility: the homes it reaches and its service areas.
    pub reach: Vec<FacilityReach>,
    /// Per facility: places (stated, or the category default).
    pub places: Vec<f64>,
    /// Per facility: 2SFCA ratio, places per weighted child under 3 in reach.
    pub ratios: Vec<Option<f64>>,
    /// Per home: 2SFCA access, places per child under 3.
    pub access: Vec<f64>,
    /// Per facility: residents within the threshold for whom it is the nearest.
    pub nearest_population: Vec<f64>,
    /// The earliest time any facility reaches each cell of the city grid (served areas).
    pub served_grid: TimeGrid,
}

impl CategoryOutcome {
    /// The walk from home `h` to its nearest facility in the unit of `bands` (minutes or
    /// metres).
    pub fn walk(&self, h: usize, bands: &Bands) -> Option<f64> {
        self.home_times[h].map(|(t, _)| bands.value_of_s(t))
    }

    /// Index of the tightest of `bands` home `h` reaches, if any.
    pub fn band(&self, h: usize, bands: &Bands) -> Option<usize> {
        bands.band_of(self.walk(h, bands)?)
    }
}

/// Residents per facility whose nearest it is, within `threshold_s`, from every home's
/// `(seconds, facility)` to its nearest.
pub fn nearest_population(
    home_times: &[Option<(f64, u32)>],
    residents: &[f64],
    facilities: usize,
    threshold_s: f64,
) -> Vec<f64> {
    let mut population = vec![0.0; facilities];
    for (h, t) in home_times.iter().enumerate() {
        if let Some((_, f)) = t.filter(|(s, _)| *s <= threshold_s) {
            population[f as usize] += residents[h];
        }
    }
    population
}

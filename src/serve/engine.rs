//! The what-if engine: a city prepared once, and facility sets answered from each facility's
//! own bounded search, cached by profile and position.
//!
//! A whole `coverage` run finds every home's nearest facility in one multi-source search.
//! Here every facility keeps its own search (the homes within the largest band, with their
//! times in full precision, and its service areas), so an edit costs one bounded search
//! (add, move) or none (remove: the homes it served fall back on the other facilities'
//! cached searches), and the nearest time of a home is the least over the facilities that
//! reach it — bit for bit the time the multi-source search gives, for every home within the
//! largest band (see [`facility_reach_exact`]). The 2SFCA and the indicators are then
//! recomputed whole: they are sums over those searches, milliseconds even for a big city.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use geo::{Coord, Rect};
use rayon::prelude::*;

use crate::analysis::indicators::{Indicator, indicators};
use crate::analysis::outcome::{CategoryOutcome, nearest_population};
use crate::analysis::placement::{Placement, PointsByEdge, place_points};
use crate::analysis::service_area::{
    AreaInputs, FacilityReach, ReachInputs, facility_reach, facility_reach_exact,
};
use crate::analysis::supply::two_step_fca;
use crate::config::Bands;
use crate::config::{CoverageConfig, ISLAND_MAX_M};
use crate::facilities::Facility;
use crate::graph::WalkCosts;
use crate::pipeline::analyse::{decay_of, places_of};
use crate::pipeline::{City, FacilitySet};
use crate::siting::candidates::{DEFAULT_SPACING_M, grid_candidates};
use crate::spatial::raster::TimeGrid;

/// Cached searches beyond which those of facilities not in the base set are dropped.
const CACHE_MAX_SEARCHES: usize = 4096;

/// One facility's search for one profile.
pub struct SiteReach {
    /// Where it meets the network.
    pub placement: Placement,
    /// (district, sub-district) holding it.
    pub units: (Option<u32>, Option<u32>),
    /// Homes within the largest band (seconds as `f32`, as the 2SFCA reads them) and the
    /// service area of each band (frame metres).
    pub reach: FacilityReach,
    /// The same homes' seconds in full precision, for the nearest-facility times.
    pub exact_s: Vec<f64>,
}

/// What a view asks: the category shown, the walking profile and the threshold.
#[derive(Debug, Clone, PartialEq)]
pub struct View {
    /// Index into the configuration's categories.
    pub category: usize,
    /// Index into the configuration's profiles.
    pub profile: usize,
    /// Walk (in the run's unit, minutes or metres) within which a home counts as covered:
    /// one of the run's bands.
    pub threshold: f64,
}

/// A facility set analysed for one view: what the page and the tiles show.
#[derive(Default)]
pub struct Analysis {
    /// Bands of the view: the configuration's bands up to the threshold, and the threshold.
    pub bands: Bands,
    /// Per category, in the configuration's order.
    pub outcomes: Vec<CategoryOutcome>,
    /// The plan's indicators, every category and unit (as `indicators.csv`).
    pub indicators: Vec<Indicator>,
    /// Per facility of the view's category: its id and its search, whose service areas (one
    /// per configured band) the map draws.
    pub view_areas: Vec<(String, Arc<SiteReach>)>,
}

impl Analysis {
    /// The view category's outcome.
    pub fn outcome(&self, view: &View) -> &CategoryOutcome {
        &self.outcomes[view.category]
    }
}

/// Position of a facility as a cache key: the exact bits of its coordinates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct ReachKey {
    profile: usize,
    lon: u64,
    lat: u64,
}

impl ReachKey {
    fn of(profile: usize, f: &Facility) -> Self {
        ReachKey {
            profile,
            lon: f.lon.to_bits(),
            lat: f.lat.to_bits(),
        }
    }
}

/// Homes each grid candidate reaches within one threshold, for "suggest next site".
pub struct CandidateSets {
    /// Candidate positions, lon/lat, with their ids.
    pub sites: Vec<(String, f64, f64)>,
    /// Per candidate: homes within the threshold.
    pub homes: Vec<Vec<u32>>,
}

/// The prepared city and its configuration, shared by every scenario.
pub struct Engine {
    /// The resolved configuration the server was started with.
    pub config: CoverageConfig,
    /// The prepared city.
    pub city: City,
    /// The configuration's facilities per category, in its order.
    pub base: Vec<(String, Vec<Facility>)>,
    homes_by_edge: PointsByEdge,
    costs: Vec<WalkCosts>,
    residents: Vec<f64>,
    children: Vec<f64>,
    searches: Mutex<HashMap<ReachKey, Arc<SiteReach>>>,
    cache_max_searches: usize,
    candidates: Mutex<HashMap<(usize, u64), Arc<CandidateSets>>>,
}

impl Engine {
    /// An engine for `city` whose base scenario is `facilities`.
    pub fn new(config: CoverageConfig, city: City, facilities: FacilitySet) -> Engine {
        let costs = (config.profiles.iter())
            .map(|p| city.walk_costs(p, config.bands.unit))
            .collect();
        let base = (facilities.categories.into_iter())
            .map(|c| (c.name, c.facilities))
            .collect();
        Engine {
            homes_by_edge: PointsByEdge::new(&city.graph, &city.homes),
            residents: city.population(),
            children: city.children(),
            costs,
            base,
            config,
            city,
            searches: Mutex::new(HashMap::new()),
            cache_max_searches: CACHE_MAX_SEARCHES,
            candidates: Mutex::new(HashMap::new()),
        }
    }

    /// Runs the base facilities' searches for every profile, so that the first tab and a
    /// switch of profile find them cached.
    pub fn warm(&self) {
        for profile in 0..self.config.profiles.len() {
            for (_, list) in &self.base {
                self.searches(profile, list);
            }
        }
    }

    /// Category names, in the configuration's order.
    pub fn categories(&self) -> Vec<&str> {
        self.base.iter().map(|(name, _)| name.as_str()).collect()
    }

    /// Residents per home.
    pub fn residents(&self) -> &[f64] {
        &self.residents
    }

    /// Children under 3 per home.
    pub fn children(&self) -> &[f64] {
        &self.children
    }

    /// The configured bands, seconds (the searches' bounds).
    fn bands_s(&self) -> Vec<f64> {
        self.config.bands.costs_s()
    }

    /// The searches of `facilities` for `profile`: cached ones reused, the others run in
    /// parallel and cached. The searches handed out are the caller's to keep, whatever the
    /// cache drops meanwhile.
    pub fn searches(&self, profile: usize, facilities: &[Facility]) -> Vec<Arc<SiteReach>> {
        let mut found: HashMap<ReachKey, Arc<SiteReach>> = HashMap::new();
        let mut queued: HashSet<ReachKey> = HashSet::new();
        let mut missing: Vec<&Facility> = Vec::new();
        {
            let cache = self.cache();
            for f in facilities {
                let key = ReachKey::of(profile, f);
                match cache.get(&key) {
                    Some(search) => {
                        found.insert(key, Arc::clone(search));
                    }
                    // a position given twice is searched once
                    None if queued.insert(key) => missing.push(f),
                    None => {}
                }
            }
        }
        if !missing.is_empty() {
            let searched: Vec<Arc<SiteReach>> = (self.search(profile, &missing).into_iter())
                .map(Arc::new)
                .collect();
            let mut cache = self.cache();
            if cache.len() + searched.len() > self.cache_max_searches {
                self.evict_non_base(&mut cache);
            }
            for (f, search) in missing.iter().zip(searched) {
                let key = ReachKey::of(profile, f);
                cache.insert(key, Arc::clone(&search));
                found.insert(key, search);
            }
        }
        (facilities.iter())
            .map(|f| Arc::clone(&found[&ReachKey::of(profile, f)]))
            .collect()
    }

    /// The cache of searches; a panic elsewhere while it was held leaves it usable.
    fn cache(&self) -> std::sync::MutexGuard<'_, HashMap<ReachKey, Arc<SiteReach>>> {
        self.searches.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Drops the cached searches of facilities not in the base set (other tabs' edits are
    /// searched again when next asked for).
    fn evict_non_base(&self, cache: &mut HashMap<ReachKey, Arc<SiteReach>>) {
        let base: HashSet<(u64, u64)> = (self.base.iter())
            .flat_map(|(_, list)| list.iter().map(|f| (f.lon.to_bits(), f.lat.to_bits())))
            .collect();
        cache.retain(|k, _| base.contains(&(k.lon, k.lat)));
    }

    /// Runs the bounded searches (largest band, service areas) of `facilities`.
    fn search(&self, profile: usize, facilities: &[&Facility]) -> Vec<SiteReach> {
        let owned: Vec<Facility> = facilities.iter().map(|f| (*f).clone()).collect();
        let placed = self.city.place(vec![(String::new(), owned)]);
        let category = placed.categories.into_iter().next().expect("one category");
        let xy: Vec<Coord<f64>> = (facilities.iter())
            .map(|f| self.city.frame.to_xy(f.lon, f.lat))
            .collect();
        let bands_s = self.bands_s();
        let inputs = ReachInputs {
            graph: &self.city.graph,
            costs: &self.costs[profile],
            bands_s: &bands_s,
            homes: &self.city.homes,
            homes_by_edge: &self.homes_by_edge,
            areas: Some(AreaInputs {
                buffer_m: self.config.area_buffer_m,
                cell_m: self.config.area_cell_m,
                served: None,
            }),
        };
        let reached = facility_reach_exact(&inputs, &category.placements, &xy);
        (reached.into_iter())
            .zip(category.placements)
            .zip(category.units)
            .map(|(((reach, exact_s), placement), units)| SiteReach {
                placement,
                units,
                reach,
                exact_s,
            })
            .collect()
    }

    /// The threshold of `view` as a search cost, seconds.
    pub fn threshold_s(&self, view: &View) -> f64 {
        view.threshold * self.config.bands.unit.cost_s()
    }

    /// Analyses a facility set (per category, in the configuration's order) for `view`.
    pub fn analyse(&self, facilities: &[Vec<Facility>], view: &View) -> Analysis {
        let bands = view_bands(&self.config.bands, view.threshold);
        let bands_s = bands.costs_s();
        let mut view_areas = Vec::new();
        let outcomes = (self.base.iter().zip(facilities).enumerate())
            .map(|(c, ((name, _), list))| {
                let searches = self.searches(view.profile, list);
                if c == view.category {
                    view_areas = (list.iter().zip(&searches))
                        .map(|(f, s)| (f.id.clone(), Arc::clone(s)))
                        .collect();
                }
                self.outcome(name, list, &searches, &bands_s)
            })
            .collect::<Vec<_>>();
        let indicators = indicators(
            &self.city.units,
            &self.city.home_units,
            &self.city.residents,
            &outcomes,
            &bands,
            &self.config.targets,
        );
        Analysis {
            bands,
            outcomes,
            indicators,
            view_areas,
        }
    }

    /// One category's outcome from its facilities' searches, within `bands_s`.
    fn outcome(
        &self,
        name: &str,
        facilities: &[Facility],
        searches: &[Arc<SiteReach>],
        bands_s: &[f64],
    ) -> CategoryOutcome {
        let limit_s = *bands_s.last().expect("at least one band");
        let mut home_times: Vec<Option<(f64, u32)>> = vec![None; self.residents.len()];
        let mut reach = Vec::with_capacity(searches.len());
        for (f, search) in searches.iter().enumerate() {
            let mut homes = Vec::new();
            for (&(h, t32), &t) in search.reach.homes.iter().zip(&search.exact_s) {
                if t > limit_s {
                    continue;
                }
                homes.push((h, t32));
                let nearest = &mut home_times[h as usize];
                if nearest.is_none_or(|(best, _)| t < best) {
                    *nearest = Some((t, f as u32));
                }
            }
            reach.push(FacilityReach {
                homes,
                areas: Vec::new(),
            });
        }
        let places = places_of(&self.config, name, facilities);
        let decay = decay_of(&self.config, bands_s.to_vec());
        let (ratios, access) = two_step_fca(&reach, &places, &self.children, &decay);
        let nearest_population =
            nearest_population(&home_times, &self.residents, facilities.len(), limit_s);
        CategoryOutcome {
            name: name.to_string(),
            facilities: facilities.to_vec(),
            placements: searches.iter().map(|s| s.placement).collect(),
            facility_units: searches.iter().map(|s| s.units).collect(),
            home_times,
            reach,
            places,
            ratios,
            access,
            nearest_population,
            served_grid: TimeGrid::covering(Rect::new(Coord::zero(), Coord::zero()), 1.0),
        }
    }

    /// Grid candidates (the `site` command's lattice, its default spacing) and the homes
    /// each reaches within `threshold` (the run's unit) for `profile`; computed on first
    /// use, then cached.
    pub fn candidate_sets(&self, profile: usize, threshold: f64) -> Arc<CandidateSets> {
        let key = (profile, threshold.to_bits());
        if let Some(sets) = self.candidates.lock().expect("no panic").get(&key) {
            return Arc::clone(sets);
        }
        let sets = Arc::new(self.find_candidate_sets(profile, threshold));
        let mut cache = self.candidates.lock().expect("no panic");
        Arc::clone(cache.entry(key).or_insert(sets))
    }

    /// The grid candidates of the city and the homes each reaches within `threshold`.
    fn find_candidate_sets(&self, profile: usize, threshold: f64) -> CandidateSets {
        let city = &self.city;
        let (candidates, _) = grid_candidates(
            DEFAULT_SPACING_M,
            &city.residents,
            &city.frame,
            &city.graph,
            &city.index,
        );
        let xy: Vec<Coord<f64>> = (candidates.iter())
            .map(|c| city.frame.to_xy(c.lon, c.lat))
            .collect();
        let placements = place_points(
            &city.graph,
            &city.index,
            &city.frame,
            &xy,
            city.max_snap_m,
            ISLAND_MAX_M,
        );
        let bands_s = [threshold * self.config.bands.unit.cost_s()];
        let inputs = ReachInputs {
            graph: &city.graph,
            costs: &self.costs[profile],
            bands_s: &bands_s,
            homes: &city.homes,
            homes_by_edge: &self.homes_by_edge,
            areas: None,
        };
        let homes = (facility_reach(&inputs, &placements, &xy).into_par_iter())
            .map(|r| r.homes.into_iter().map(|(h, _)| h).collect())
            .collect();
        CandidateSets {
            sites: (candidates.into_iter())
                .map(|c| (c.id, c.lon, c.lat))
                .collect(),
            homes,
        }
    }
}

/// The next site "suggest" proposes.
#[derive(Debug, Clone)]
pub struct Suggestion {
    /// The grid candidate's id.
    pub candidate_id: String,
    /// Longitude, degrees.
    pub lon: f64,
    /// Latitude, degrees.
    pub lat: f64,
    /// Residents it brings within the threshold.
    pub gain_residents: f64,
    /// Children under 3 it brings within the threshold.
    pub gain_children: f64,
    /// The homes it brings within the threshold.
    pub homes: Vec<u32>,
}

impl Engine {
    /// One step of `site`'s greedy from a scenario: the grid candidate that brings the most
    /// residents not yet covered within the view's threshold of its category (ties to the
    /// lowest id); `None` when no candidate brings anyone.
    pub fn suggest(&self, analysis: &Analysis, view: &View) -> Option<Suggestion> {
        let sets = self.candidate_sets(view.profile, view.threshold);
        let outcome = analysis.outcome(view);
        let limit_s = self.threshold_s(view);
        let uncovered =
            |h: &&u32| !outcome.home_times[**h as usize].is_some_and(|(t, _)| t <= limit_s);
        let gain = |homes: &[u32]| -> f64 {
            (homes.iter().filter(uncovered))
                .map(|&h| self.residents[h as usize])
                .sum()
        };
        let (best, c) = (0..sets.homes.len())
            .into_par_iter()
            .map(|c| (gain(&sets.homes[c]), c))
            .max_by(|a, b| {
                a.0.total_cmp(&b.0)
                    .then(sets.sites[b.1].0.cmp(&sets.sites[a.1].0))
            })?;
        if best <= 0.0 {
            return None;
        }
        let homes: Vec<u32> = sets.homes[c].iter().filter(uncovered).copied().collect();
        let (id, lon, lat) = sets.sites[c].clone();
        Some(Suggestion {
            candidate_id: id,
            lon,
            lat,
            gain_residents: best,
            gain_children: homes.iter().map(|&h| self.children[h as usize]).sum(),
            homes,
        })
    }
}

/// The bands of a view with `threshold`: the configured bands below it, then the threshold
/// itself (what `coverage --minutes` or `--meters` would be given for it).
pub fn view_bands(bands: &Bands, threshold: f64) -> Bands {
    let mut values: Vec<f64> = (bands.values.iter().copied())
        .filter(|&b| b < threshold)
        .collect();
    values.push(threshold);
    Bands {
        unit: bands.unit,
        values,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::options::CoverageOptions;
    use crate::pipeline::Stages;

    /// The sample town's engine (childcare, 5/10/15 minutes).
    fn town() -> Engine {
        let options = CoverageOptions {
            categories: vec!["childcare".into()],
            minutes: vec![5.0, 10.0, 15.0],
            ..CoverageOptions::default()
        };
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let input = root.join("data/sample-town.osm.pbf");
        let config = options
            .resolve(&input, &root.join("target/engine-test"))
            .unwrap();
        let (mut stages, quiet) = (Stages::default(), |_: &str| {});
        let city = City::prepare(&config, &mut stages, &quiet).unwrap();
        let facilities = city.facilities(&config, None, &mut stages, &quiet).unwrap();
        Engine::new(config, city, facilities)
    }

    fn site(n: u32, lon: f64, lat: f64) -> Facility {
        Facility::at(format!("added/{n}"), "childcare".into(), lon, lat)
    }

    /// With room for only the base searches, every new set evicts the others' searches while
    /// they are handed out: the answers stay those of an engine that never evicts.
    #[test]
    fn evicting_searches_in_use_changes_no_answer() {
        let mut small = town();
        small.cache_max_searches = 3;
        let roomy = town();
        let view = View {
            category: 0,
            profile: 0,
            threshold: 15.0,
        };
        let base = small.base[0].1.clone();
        let mut previous: Vec<Facility> = Vec::new();
        for round in 0..3u32 {
            // last round's sites are cached (hits), this round's are not (misses), and
            // searching the misses evicts the hits while this call holds them
            let mut list = base.clone();
            list.extend(previous.iter().cloned());
            let new: Vec<Facility> = (0..4)
                .map(|i| {
                    let k = round * 4 + i;
                    let lon = 10.0 + 0.006 * f64::from(k % 6);
                    site(k, lon, 45.0 + 0.002 * f64::from(i))
                })
                .collect();
            list.extend(new.iter().cloned());
            previous = new;
            // a position twice is searched once, and answers both
            list.push(list[2].clone());
            let (a, b) = (
                small.analyse(&[list.clone()], &view),
                roomy.analyse(&[list], &view),
            );
            assert_eq!(a.outcomes[0].home_times, b.outcomes[0].home_times);
            assert_eq!(a.outcomes[0].access, b.outcomes[0].access);
            assert!(small.cache().len() <= base.len() + 4);
        }
    }

    #[test]
    fn view_bands_end_at_the_threshold() {
        let five_ten_fifteen = Bands::minutes(&[5.0, 10.0, 15.0]);
        assert_eq!(
            view_bands(&five_ten_fifteen, 15.0),
            Bands::minutes(&[5.0, 10.0, 15.0])
        );
        assert_eq!(
            view_bands(&five_ten_fifteen, 10.0),
            Bands::minutes(&[5.0, 10.0])
        );
        assert_eq!(
            view_bands(&Bands::minutes(&[15.0]), 12.0),
            Bands::minutes(&[12.0])
        );
        // a distance run's view keeps its unit
        assert_eq!(
            view_bands(&Bands::meters(&[300.0, 600.0]), 300.0),
            Bands::meters(&[300.0])
        );
    }
}

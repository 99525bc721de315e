//! The map's vector tiles: the base map (streets, buildings, water), and a scenario's
//! homes, blocks and service areas. Geometry is indexed once; a scenario's tile asks its
//! analysis for each feature's properties, so an edit re-indexes nothing but the service
//! areas of the category shown.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use geo::{Geometry, Point};

use super::basemap::BaseMap;
use super::engine::{Analysis, Engine, View};
use super::tiles::{BadTile, PropValue, PropsFn, TileLayer, encode_tile};
use crate::analysis::sum;
use crate::output::layers::block_status;

/// Homes are drawn from this zoom on (blocks show the city below it).
pub const HOMES_MIN_ZOOM: u8 = 13;

/// Properties of one feature of a tile.
type Props = Vec<(&'static str, PropValue)>;

/// An analysis's service-area layer, kept while the analysis lives (keyed by its address).
type AreasCache = HashMap<usize, (Weak<Analysis>, Arc<TileLayer>)>;

/// Every tiled layer of a server.
pub struct TileSets {
    base: BaseMap,
    homes: TileLayer,
    blocks: TileLayer,
    block_homes: Vec<Vec<u32>>,
    areas: Mutex<AreasCache>,
}

impl TileSets {
    /// Indexes the base map and the homes and blocks of `engine`'s city.
    pub fn new(engine: &Engine, base: BaseMap) -> TileSets {
        let city = &engine.city;
        let homes = (city.residents.buildings.iter())
            .map(|b| match b.footprint.0.is_empty() {
                true => {
                    let (lon, lat) = city.frame.to_lon_lat(b.inside_xy);
                    Geometry::Point(Point::new(lon, lat))
                }
                false => Geometry::MultiPolygon(b.footprint.clone()),
            })
            .collect();
        let blocks = (city.residents.blocks.iter())
            .map(|b| Geometry::MultiPolygon(b.outline.clone()))
            .collect();
        let mut block_homes = vec![Vec::new(); city.residents.blocks.len()];
        for (h, b) in city.residents.buildings.iter().enumerate() {
            block_homes[b.block as usize].push(h as u32);
        }
        TileSets {
            base,
            homes: TileLayer::new("homes", HOMES_MIN_ZOOM, homes),
            blocks: TileLayer::new("blocks", 0, blocks),
            block_homes,
            areas: Mutex::new(HashMap::new()),
        }
    }

    /// A base-map tile.
    ///
    /// # Errors
    /// [`BadTile`] when the tile does not exist.
    pub fn base(&self, z: u8, x: u32, y: u32) -> Result<Vec<u8>, BadTile> {
        self.base.tile(z, x, y)
    }

    /// A tile of a scenario's view: homes by minutes, blocks by status, service areas.
    ///
    /// # Errors
    /// [`BadTile`] when the tile does not exist.
    pub fn scenario(
        &self,
        engine: &Engine,
        analysis: &Arc<Analysis>,
        view: &View,
        z: u8,
        x: u32,
        y: u32,
    ) -> Result<Vec<u8>, BadTile> {
        let props = ViewProps {
            engine,
            analysis,
            view,
            block_homes: &self.block_homes,
        };
        let areas = self.areas_of(engine, analysis);
        let (home, block, area) = (|h| props.home(h), |b| props.block(b), |i| props.area(i));
        let layers: [(&TileLayer, PropsFn<'_>); 3] = [
            (&self.blocks, &block),
            (&areas, &area),
            (&self.homes, &home),
        ];
        encode_tile(&layers, z, x, y)
    }

    /// The service areas of an analysis as a layer (feature `f × bands + band`), indexed on
    /// first use (outside the lock: other tabs' tiles do not wait) and kept while the
    /// analysis lives.
    fn areas_of(&self, engine: &Engine, analysis: &Arc<Analysis>) -> Arc<TileLayer> {
        let key = Arc::as_ptr(analysis) as usize;
        {
            let mut cache = self.areas.lock().unwrap_or_else(|e| e.into_inner());
            cache.retain(|_, (weak, _)| weak.strong_count() > 0);
            if let Some((_, layer)) = cache.get(&key) {
                return Arc::clone(layer);
            }
        }
        let frame = &engine.city.frame;
        let geometries = (analysis.view_areas.iter())
            .flat_map(|(_, search)| search.reach.areas.iter())
            .map(|area| Geometry::MultiPolygon(frame.unproject(area)))
            .collect();
        let layer = Arc::new(TileLayer::new("areas", 0, geometries));
        let mut cache = self.areas.lock().unwrap_or_else(|e| e.into_inner());
        cache.insert(key, (Arc::downgrade(analysis), Arc::clone(&layer)));
        layer
    }
}

/// The properties of a scenario tile's features, from the scenario's analysis and view.
struct ViewProps<'a> {
    engine: &'a Engine,
    analysis: &'a Analysis,
    view: &'a View,
    block_homes: &'a [Vec<u32>],
}

impl ViewProps<'_> {
    fn covered(&self, h: usize) -> bool {
        let limit_s = self.engine.threshold_s(self.view);
        self.analysis.outcome(self.view).home_times[h].is_some_and(|(t, _)| t <= limit_s)
    }

    /// Home `h`: covered, residents, children, and its walk (minutes or metres) and band
    /// when within one.
    fn home(&self, h: usize) -> Option<Props> {
        let outcome = self.analysis.outcome(self.view);
        let mut props = vec![
            ("covered", PropValue::Bool(self.covered(h))),
            (
                "residents",
                PropValue::Float(round1(self.engine.residents()[h])),
            ),
            (
                "children",
                PropValue::Float(round1(self.engine.children()[h])),
            ),
        ];
        let bands = &self.analysis.bands;
        if let Some(band) = outcome.band(h, bands) {
            let walk = outcome.walk(h, bands).expect("a band has a walk");
            props.push(("walk", PropValue::Float(round1(walk))));
            props.push(("band", PropValue::Int(band as i64)));
        }
        Some(props)
    }

    /// Block `b`: its status and the share of its residents covered.
    fn block(&self, b: usize) -> Option<Props> {
        let homes = &self.block_homes[b];
        let residents = self.engine.residents();
        let population = sum(homes.iter().map(|&h| residents[h as usize]));
        let within = homes.iter().filter(|&&h| self.covered(h as usize));
        let covered_population = sum(within.map(|&h| residents[h as usize]));
        let share = match population > 0.0 {
            true => covered_population / population,
            false => 0.0,
        };
        let status = match homes.is_empty() {
            true => "empty",
            false => block_status(covered_population, population),
        };
        let share = PropValue::Float((share * 1000.0).round() / 1000.0);
        Some(vec![
            ("status", PropValue::Text(status.into())),
            ("covered_share", share),
        ])
    }

    /// Service area `i` (facility `i / bands`, band `i % bands`), left out beyond the
    /// view's threshold.
    fn area(&self, i: usize) -> Option<Props> {
        let configured = &self.engine.config.bands.values;
        let (f, band) = (i / configured.len(), i % configured.len());
        let band_value = configured[band];
        let id = &self.analysis.view_areas[f].0;
        (band_value <= self.view.threshold).then(|| {
            vec![
                ("facility_id", PropValue::Text(id.clone())),
                ("band", PropValue::Float(band_value)),
            ]
        })
    }
}

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

//! The planner's own population layer (`--population`), replacing the footprint estimate.
//!
//! A GeoJSON file of points (e.g. address counts) or polygons (e.g. census areas), each with
//! a number of residents. A point's residents go to the home whose footprint holds it, else to
//! the nearest home within [`POINT_SEARCH_M`]; a polygon's residents are spread over the homes
//! whose inside point lies in it, in proportion to their floor area (footprint × levels). Homes
//! the layer does not reach get no residents; residents that find no home are counted as
//! unplaced, never dropped silently.

use std::path::Path;

use geo::{BoundingRect, Contains, Coord, Geometry, MapCoords, Point, Rect};
use rstar::primitives::GeomWithData;
use rstar::{AABB, RTree};

use super::raster::shares;
use crate::analysis::residents::{Building, Residents, ResidentsSource};
use crate::error::{Error, Result};
use crate::spatial::LocalFrame;
use crate::text::decode;

/// How far a population point may lie from the home it is given to, metres.
pub const POINT_SEARCH_M: f64 = 50.0;

/// One feature of the layer: its geometry (lon/lat) and residents.
#[derive(Debug, Clone)]
pub struct PopulationFeature {
    /// Point, multipoint, polygon or multipolygon.
    pub geometry: Geometry<f64>,
    /// Residents.
    pub population: f64,
}

/// What applying the layer did, for `summary.json`.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct PopulationLayerCounts {
    /// Features read.
    pub features: usize,
    /// Residents in the layer.
    pub layer_population: f64,
    /// Residents given to homes.
    pub placed_population: f64,
    /// Residents of features that found no home.
    pub unplaced_population: f64,
    /// Features that found no home.
    pub features_without_homes: usize,
}

/// Reads a GeoJSON population layer; `field` names the residents property.
///
/// # Errors
/// [`Error::Data`] naming the feature and field for a missing or negative count, an
/// unsupported geometry or a file that is not GeoJSON; [`Error::Io`] when unreadable.
pub fn read_population_layer(path: &Path, field: &str) -> Result<Vec<PopulationFeature>> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let text = decode(&bytes);
    let geojson: geojson::GeoJson = text
        .parse()
        .map_err(|e| Error::data(path, format!("not GeoJSON: {e}")))?;
    let features = match geojson {
        geojson::GeoJson::FeatureCollection(fc) => fc.features,
        geojson::GeoJson::Feature(f) => vec![f],
        geojson::GeoJson::Geometry(_) => {
            return Err(Error::data(
                path,
                "a bare geometry has no population: expected features",
            ));
        }
    };
    if features.is_empty() {
        return Err(Error::data(path, "no features in the population layer"));
    }
    features
        .into_iter()
        .enumerate()
        .map(|(i, f)| {
            let bad = |what: String| Error::data(path, format!("feature {i}, {what}"));
            let value = f
                .property(field)
                .ok_or_else(|| bad(format!("field {field:?}: missing")))?;
            let population = match value {
                serde_json::Value::Number(n) => n.as_f64(),
                serde_json::Value::String(s) => s.trim().parse().ok(),
                _ => None,
            }
            .filter(|p: &f64| p.is_finite() && *p >= 0.0)
            .ok_or_else(|| {
                bad(format!(
                    "field {field:?}: {value} is not a non-negative number"
                ))
            })?;
            let geometry = f
                .geometry
                .ok_or_else(|| bad("field \"geometry\": missing".into()))?;
            let geometry = Geometry::<f64>::try_from(geometry)
                .map_err(|e| bad(format!("field \"geometry\": {e}")))?;
            match geometry {
                Geometry::Point(_)
                | Geometry::MultiPoint(_)
                | Geometry::Polygon(_)
                | Geometry::MultiPolygon(_) => Ok(PopulationFeature {
                    geometry,
                    population,
                }),
                _ => Err(bad(
                    "field \"geometry\": only points and polygons carry population".into(),
                )),
            }
        })
        .collect()
}

/// Replaces every home's population with what `layer` gives it.
pub fn apply_population_layer(
    residents: &mut Residents,
    frame: &LocalFrame,
    layer: &[PopulationFeature],
) -> PopulationLayerCounts {
    let footprints: Vec<_> = residents
        .buildings
        .iter()
        .map(|b| frame.project(&b.footprint))
        .collect();
    let centres: Vec<Coord<f64>> = residents.buildings.iter().map(|b| b.inside_xy).collect();
    let footprint_tree: RTree<GeomWithData<Rect<f64>, usize>> = RTree::bulk_load(
        footprints
            .iter()
            .enumerate()
            .filter_map(|(i, f)| Some(GeomWithData::new(f.bounding_rect()?, i)))
            .collect(),
    );
    let centre_tree: RTree<GeomWithData<Point<f64>, usize>> = RTree::bulk_load(
        centres
            .iter()
            .enumerate()
            .map(|(i, c)| GeomWithData::new(Point::from(*c), i))
            .collect(),
    );
    let floor_area: Vec<f64> = (residents.buildings.iter())
        .map(Building::floor_area_m2)
        .collect();

    let mut population = vec![0.0; residents.buildings.len()];
    let mut counts = PopulationLayerCounts {
        features: layer.len(),
        ..PopulationLayerCounts::default()
    };
    for feature in layer {
        counts.layer_population += feature.population;
        let geometry = feature.geometry.map_coords(|c| frame.to_xy(c.x, c.y));
        let shares: Vec<(usize, f64)> = match &geometry {
            Geometry::Point(p) => home_at(*p, &footprint_tree, &footprints, &centre_tree)
                .map(|h| vec![(h, 1.0)])
                .unwrap_or_default(),
            Geometry::MultiPoint(mp) => {
                let homes: Vec<usize> = mp
                    .iter()
                    .filter_map(|p| home_at(*p, &footprint_tree, &footprints, &centre_tree))
                    .collect();
                let n = mp.0.len() as f64;
                homes.into_iter().map(|h| (h, 1.0 / n)).collect()
            }
            area => {
                let Some(rect) = area.bounding_rect() else {
                    continue;
                };
                let envelope = AABB::from_corners(rect.min().into(), rect.max().into());
                let mut inside: Vec<usize> = centre_tree
                    .locate_in_envelope(&envelope)
                    .map(|c| c.data)
                    .filter(|&h| area.contains(&Point::from(centres[h])))
                    .collect();
                inside.sort_unstable();
                shares(&inside, &floor_area).collect()
            }
        };
        let placed: f64 = shares.iter().map(|(_, s)| s).sum::<f64>().min(1.0);
        if shares.is_empty() {
            counts.features_without_homes += 1;
        }
        for (h, share) in shares {
            population[h] += feature.population * share;
        }
        counts.placed_population += feature.population * placed;
        counts.unplaced_population += feature.population * (1.0 - placed);
    }
    for (b, p) in residents.buildings.iter_mut().zip(population) {
        b.population = p;
        b.population_source = ResidentsSource::Layer;
    }
    counts
}

/// The home whose footprint holds `p`, else the one whose centre is nearest within
/// [`POINT_SEARCH_M`].
fn home_at(
    p: Point<f64>,
    footprint_tree: &RTree<GeomWithData<Rect<f64>, usize>>,
    footprints: &[geo::MultiPolygon<f64>],
    centre_tree: &RTree<GeomWithData<Point<f64>, usize>>,
) -> Option<usize> {
    let holding = footprint_tree
        .locate_in_envelope_intersecting(&AABB::from_point(p))
        .map(|g| g.data)
        .filter(|&h| footprints[h].contains(&p))
        .min();
    holding.or_else(|| {
        centre_tree
            .nearest_neighbor_iter_with_distance_2(&p)
            .next()
            .filter(|(_, d2)| *d2 <= POINT_SEARCH_M * POINT_SEARCH_M)
            .map(|(c, _)| c.data)
    })
}

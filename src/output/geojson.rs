//! RFC 7946 GeoJSON: WGS84 lon/lat with at most 7 decimals (about 1 cm), exterior rings
//! counter-clockwise and holes clockwise, streamed feature by feature.

use std::io::Write;

use geo::orient::{Direction, Orient};
use geo::{Coord, LineString, MultiPolygon, Polygon};
use geojson::{Feature, FeatureWriter, Geometry, GeometryValue, JsonObject};

fn round7(v: f64) -> f64 {
    (v * 1e7).round() / 1e7
}

/// Rounds a ring to 7 decimals and drops the repeated points rounding creates.
fn round_ring(ring: &LineString<f64>) -> LineString<f64> {
    let mut out: Vec<Coord<f64>> = Vec::with_capacity(ring.0.len());
    for c in &ring.0 {
        let r = Coord {
            x: round7(c.x),
            y: round7(c.y),
        };
        if out.last() != Some(&r) {
            out.push(r);
        }
    }
    LineString(out)
}

/// A lon/lat multipolygon as RFC 7946 geometry: rounded, oriented, degenerate rings dropped;
/// a single polygon is written as a `Polygon`. `None` when nothing is left.
pub fn polygon_geometry(polygon: &MultiPolygon<f64>) -> Option<Geometry> {
    let polygons: Vec<Polygon<f64>> = polygon
        .0
        .iter()
        .filter_map(|p| {
            let exterior = round_ring(p.exterior());
            (exterior.0.len() >= 4).then(|| {
                let holes = p
                    .interiors()
                    .iter()
                    .map(round_ring)
                    .filter(|r| r.0.len() >= 4)
                    .collect();
                Polygon::new(exterior, holes).orient(Direction::Default)
            })
        })
        .collect();
    let rings = |p: &Polygon<f64>| -> Vec<Vec<[f64; 2]>> {
        std::iter::once(p.exterior())
            .chain(p.interiors())
            .map(|r| r.0.iter().map(|c| [c.x, c.y]).collect())
            .collect()
    };
    match polygons.as_slice() {
        [] => None,
        [one] => Some(Geometry::new(GeometryValue::new_polygon(rings(one)))),
        many => Some(Geometry::new(GeometryValue::new_multi_polygon(
            many.iter().map(rings),
        ))),
    }
}

/// A lon/lat point as RFC 7946 geometry, rounded to 7 decimals.
pub fn point_geometry(lon: f64, lat: f64) -> Geometry {
    Geometry::new(GeometryValue::new_point([round7(lon), round7(lat)]))
}

/// Writes a FeatureCollection of `(geometry, properties)` to `out`.
pub fn write_features(
    out: &mut impl Write,
    features: impl Iterator<Item = (Option<Geometry>, JsonObject)>,
) -> std::io::Result<()> {
    let mut writer = FeatureWriter::from_writer(out);
    for (geometry, properties) in features {
        let feature = Feature {
            geometry,
            properties: Some(properties),
            ..Feature::default()
        };
        writer
            .write_feature(&feature)
            .map_err(std::io::Error::other)?;
    }
    writer.finish().map_err(std::io::Error::other)
}

/// How a FeatureCollection opens (as `geojson::FeatureWriter` writes it).
const COLLECTION_PREFIX: &[u8] = br#"{ "type": "FeatureCollection", "features": ["#;
/// Features rendered by one task of [`write_features_parallel`].
const FEATURES_PER_TASK: usize = 2048;

/// Writes a FeatureCollection of `feature(0)`, …, `feature(count - 1)` to `out`, rendering
/// the features on every core a batch at a time: the same bytes as [`write_features`].
/// For the largest layer (`buildings`, over 80 % of a run's bytes), which on one core was the
/// longest part of the `write` stage at city scale.
pub fn write_features_parallel(
    out: &mut impl Write,
    count: usize,
    feature: impl Fn(usize) -> (Option<Geometry>, JsonObject) + Sync,
) -> std::io::Result<()> {
    use rayon::prelude::*;
    let batch = FEATURES_PER_TASK * 2 * rayon::current_num_threads();
    out.write_all(COLLECTION_PREFIX)?;
    for batch_start in (0..count).step_by(batch) {
        let batch_end = (batch_start + batch).min(count);
        let tasks: Vec<usize> = (batch_start..batch_end)
            .step_by(FEATURES_PER_TASK)
            .collect();
        let rendered: Vec<std::io::Result<Vec<u8>>> = tasks
            .into_par_iter()
            .map(|start| {
                let mut bytes = Vec::new();
                for k in start..(start + FEATURES_PER_TASK).min(batch_end) {
                    if k > 0 {
                        bytes.push(b',');
                    }
                    let (geometry, properties) = feature(k);
                    let feature = Feature {
                        geometry,
                        properties: Some(properties),
                        ..Feature::default()
                    };
                    serde_json::to_writer(&mut bytes, &feature).map_err(std::io::Error::other)?;
                }
                Ok(bytes)
            })
            .collect();
        for bytes in rendered {
            out.write_all(&bytes?)?;
        }
    }
    out.write_all(b"]}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    #[test]
    fn rings_are_rounded_and_oriented() {
        // exterior clockwise, hole counter-clockwise: both must flip
        let p = polygon!(
            exterior: [(x: 0.0, y: 0.0), (x: 0.0, y: 1.0), (x: 1.0, y: 1.0), (x: 1.0, y: 0.0), (x: 0.0, y: 0.0)],
            interiors: [[(x: 0.2, y: 0.2), (x: 0.4, y: 0.2), (x: 0.4, y: 0.4), (x: 0.2, y: 0.200000001), (x: 0.2, y: 0.2)]],
        );
        let g = polygon_geometry(&MultiPolygon(vec![p])).unwrap();
        let GeometryValue::Polygon { coordinates } = g.value else {
            panic!("not a polygon")
        };
        let signed = |ring: &Vec<geojson::Position>| -> f64 {
            ring.windows(2)
                .map(|w| {
                    w[0].as_slice()[0] * w[1].as_slice()[1]
                        - w[1].as_slice()[0] * w[0].as_slice()[1]
                })
                .sum()
        };
        assert!(
            signed(&coordinates[0]) > 0.0,
            "exterior must be counter-clockwise"
        );
        assert!(signed(&coordinates[1]) < 0.0, "hole must be clockwise");
        // 0.200000001 rounds onto 0.2 and the repeated point is dropped
        assert_eq!(coordinates[1].len(), 4);
        assert!(
            coordinates[1]
                .iter()
                .all(|c| c.as_slice().iter().all(|v| (v * 1e7).fract() == 0.0))
        );
    }

    #[test]
    fn parallel_writer_writes_the_same_bytes() {
        let feature = |k: usize| {
            let mut p = JsonObject::new();
            p.insert("k".into(), k.into());
            let geometry = (!k.is_multiple_of(3)).then(|| point_geometry(k as f64 * 1e-3, 47.0));
            (geometry, p)
        };
        // A batch holds 2 × FEATURES_PER_TASK × threads features: with one thread and with
        // two the larger counts cross batch boundaries as well as task boundaries.
        for threads in [1, 2] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            for count in [
                0,
                1,
                2,
                FEATURES_PER_TASK,
                FEATURES_PER_TASK + 1,
                5 * FEATURES_PER_TASK + 7,
                9 * FEATURES_PER_TASK,
            ] {
                let mut one = Vec::new();
                write_features(&mut one, (0..count).map(feature)).unwrap();
                let mut many = Vec::new();
                pool.install(|| write_features_parallel(&mut many, count, feature))
                    .unwrap();
                assert_eq!(
                    String::from_utf8(many).unwrap(),
                    String::from_utf8(one).unwrap(),
                    "{count} features, {threads} threads"
                );
            }
        }
    }
}

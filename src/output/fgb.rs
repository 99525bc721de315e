//! FlatGeobuf copies of the GeoJSON layers (`--format fgb`): the same features and
//! properties, with a spatial index, which QGIS opens much faster at city scale.

use std::io::Write;
use std::path::Path;

use flatgeobuf::{ColumnType, FgbCrs, FgbWriter, FgbWriterOptions, GeometryType};
use geo::{Geometry, LineString, MultiPolygon, Point, Polygon};
use geozero::{ColumnValue, PropertyProcessor};
use serde_json::Value;

use crate::error::{Error, Result};

/// The column type that holds every non-null value of a property: bool, whole numbers
/// (`Long`), other numbers (`Double`), text, or JSON for arrays and objects.
fn column_type(values: impl Iterator<Item = Value>) -> Option<ColumnType> {
    let mut found: Option<ColumnType> = None;
    for v in values {
        let t = match v {
            Value::Null => continue,
            Value::Bool(_) => ColumnType::Bool,
            Value::Number(n) if n.is_i64() => ColumnType::Long,
            Value::Number(_) => ColumnType::Double,
            Value::String(_) => ColumnType::String,
            Value::Array(_) | Value::Object(_) => ColumnType::Json,
        };
        found = Some(match (found, t) {
            (None, t) => t,
            (Some(a), b) if a == b => a,
            (Some(ColumnType::Long), ColumnType::Double)
            | (Some(ColumnType::Double), ColumnType::Long) => ColumnType::Double,
            _ => ColumnType::String,
        });
    }
    found
}

fn ring(v: &Value) -> LineString<f64> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| Some((p[0].as_f64()?, p[1].as_f64()?)))
        .collect()
}

fn polygon(v: &Value) -> Polygon<f64> {
    let mut rings = v.as_array().into_iter().flatten().map(ring);
    let exterior = rings.next().unwrap_or_else(|| LineString(Vec::new()));
    Polygon::new(exterior, rings.collect())
}

/// A GeoJSON geometry the tool writes (points, polygons, multipolygons) as `geo` geometry.
fn geometry(g: &Value) -> Option<Geometry<f64>> {
    let c = &g["coordinates"];
    match g["type"].as_str()? {
        "Point" => Some(Geometry::Point(Point::new(c[0].as_f64()?, c[1].as_f64()?))),
        // promoted to multi so that a layer has one geometry type
        "Polygon" => Some(Geometry::MultiPolygon(MultiPolygon(vec![polygon(c)]))),
        "MultiPolygon" => Some(Geometry::MultiPolygon(MultiPolygon(
            c.as_array().into_iter().flatten().map(polygon).collect(),
        ))),
        _ => None,
    }
}

/// Writes the FeatureCollection in `geojson` (a file the tool wrote) as a FlatGeobuf layer
/// named `name`, WGS84, with a spatial index (when it has features; the index orders the
/// features by position, not as in the GeoJSON). Columns follow the properties of the first
/// feature; each column's type holds all its values (a column that is null throughout is
/// text).
///
/// # Errors
/// [`Error::Io`] when the GeoJSON cannot be read or the FlatGeobuf written.
pub fn write_fgb(geojson: &Path, name: &str, out: &mut impl Write) -> Result<()> {
    let fail = |e: &dyn std::fmt::Display| Error::io(geojson, std::io::Error::other(e.to_string()));
    let text = std::fs::read(geojson).map_err(|e| Error::io(geojson, e))?;
    let value: Value = serde_json::from_slice(&text).map_err(|e| fail(&e))?;
    let features = value["features"].as_array().cloned().unwrap_or_default();
    let names: Vec<String> = features
        .first()
        .and_then(|f| f["properties"].as_object())
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default();
    let is_point = features
        .first()
        .is_some_and(|f| f["geometry"]["type"] == "Point");
    let mut fgb = FgbWriter::create_with_options(
        name,
        if is_point {
            GeometryType::Point
        } else {
            GeometryType::MultiPolygon
        },
        FgbWriterOptions {
            crs: FgbCrs {
                code: 4326,
                ..Default::default()
            },
            // GDAL cannot open an empty file with an index
            write_index: !features.is_empty(),
            ..Default::default()
        },
    )
    .map_err(|e| fail(&e))?;
    let types: Vec<ColumnType> = names
        .iter()
        .map(|n| {
            column_type(features.iter().map(|f| f["properties"][n].clone()))
                .unwrap_or(ColumnType::String)
        })
        .collect();
    for (n, t) in names.iter().zip(&types) {
        fgb.add_column(n, *t, |_, col| col.nullable = true);
    }
    for f in &features {
        let Some(g) = geometry(&f["geometry"]) else {
            continue;
        };
        let mut result = Ok(());
        fgb.add_feature_geom(g, |w| {
            for (i, (n, t)) in names.iter().zip(&types).enumerate() {
                let v = &f["properties"][n];
                let json;
                let text;
                let column = match (v, *t) {
                    (Value::Null, _) => continue,
                    (Value::Bool(b), ColumnType::Bool) => ColumnValue::Bool(*b),
                    (Value::Number(x), ColumnType::Long) => {
                        ColumnValue::Long(x.as_i64().unwrap_or_default())
                    }
                    (Value::Number(x), ColumnType::Double) => {
                        ColumnValue::Double(x.as_f64().unwrap_or_default())
                    }
                    (Value::String(s), _) => ColumnValue::String(s),
                    (other, ColumnType::Json) => {
                        json = other.to_string();
                        ColumnValue::Json(&json)
                    }
                    (other, _) => {
                        text = other.to_string();
                        ColumnValue::String(&text)
                    }
                };
                if let Err(e) = w.property(i, n, &column) {
                    result = Err(e);
                }
            }
        })
        .map_err(|e| fail(&e))?;
        result.map_err(|e| fail(&e))?;
    }
    fgb.write(out).map_err(|e| fail(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_hold_every_value() {
        let t = |v: Vec<Value>| column_type(v.into_iter());
        assert_eq!(
            t(vec![Value::Null, 3.into(), 2.5.into()]),
            Some(ColumnType::Double)
        );
        assert_eq!(t(vec![true.into(), Value::Null]), Some(ColumnType::Bool));
        assert_eq!(t(vec![Value::Null]), None);
        assert_eq!(t(vec!["a".into(), 1.into()]), Some(ColumnType::String));
    }

    #[test]
    fn a_layer_round_trips_through_the_reader() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("a.geojson");
        std::fs::write(
            &src,
            r#"{"type":"FeatureCollection","features":[
            {"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]},"properties":{"id":"x","n":1,"share":null}},
            {"type":"Feature","geometry":{"type":"MultiPolygon","coordinates":[[[[2,2],[3,2],[3,3],[2,2]]]]},"properties":{"id":"y","n":2,"share":0.5}}]}"#,
        )
        .unwrap();
        let mut bytes = Vec::new();
        write_fgb(&src, "a", &mut bytes).unwrap();
        let mut reader = flatgeobuf::FgbReader::open(std::io::Cursor::new(bytes))
            .unwrap()
            .select_all()
            .unwrap();
        assert_eq!(reader.header().features_count(), 2);
        let columns: Vec<_> = reader
            .header()
            .columns()
            .unwrap()
            .iter()
            .map(|c| (c.name().to_string(), c.type_()))
            .collect();
        assert_eq!(
            columns,
            vec![
                ("id".into(), ColumnType::String),
                ("n".into(), ColumnType::Long),
                ("share".into(), ColumnType::Double)
            ]
        );
        use flatgeobuf::FallibleStreamingIterator;
        let mut ids = Vec::new();
        while let Some(f) = reader.next().unwrap() {
            use geozero::FeatureProperties;
            ids.push(f.property::<String>("id").unwrap());
        }
        // the spatial index orders features by position
        ids.sort();
        assert_eq!(ids, vec!["x", "y"]);
    }
}

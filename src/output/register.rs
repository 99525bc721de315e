//! Facilities written as a register (CSV and GeoJSON) that [`read_register`](crate::facilities::register::read_register)
//! reads back as the same facilities: ids, categories, coordinates to the last bit (Rust's
//! shortest round-trip digits), capacity, affordability, type, toddler classes, and `source`
//! (`osm` for facts read from OpenStreetMap's tags, so a saved what-if scenario is judged as
//! the run it came from). The CSV is UTF-8 with a BOM, its text cells neutralised
//! ([`text_cell`]); the GeoJSON keeps names exactly as typed.

use serde_json::{Value, json};

use crate::facilities::{Facility, FacilitySource};
use crate::output::spreadsheet::text_cell;

/// The register's columns, in order.
const COLUMNS: [&str; 10] = [
    "id",
    "name",
    "category",
    "lon",
    "lat",
    "capacity",
    "affordable",
    "type",
    "toddler_classes",
    "source",
];

/// How a register names where a row's facts came from.
fn source_name(source: FacilitySource) -> &'static str {
    match source {
        FacilitySource::Osm => "osm",
        FacilitySource::File => "register",
    }
}

/// The facilities as register CSV text (BOM, header, one row each).
pub fn register_csv(facilities: &[Facility]) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(COLUMNS).expect("writing to memory");
    for f in facilities {
        let flag = |v: Option<bool>| v.map_or(String::new(), |b| b.to_string());
        let text = |v: &Option<String>| v.as_deref().map_or(String::new(), |t| text_cell(t).into());
        writer
            .write_record([
                text_cell(&f.id).into_owned(),
                text(&f.name),
                text_cell(&f.category).into_owned(),
                f.lon.to_string(),
                f.lat.to_string(),
                f.capacity.map_or(String::new(), |c| c.to_string()),
                flag(f.affordable),
                text(&f.kind),
                flag(f.toddler_classes),
                source_name(f.source).to_string(),
            ])
            .expect("writing to memory");
    }
    let bytes = writer.into_inner().expect("writing to memory");
    format!("\u{feff}{}", String::from_utf8(bytes).expect("UTF-8 in, UTF-8 out"))
}

/// The facilities as a register GeoJSON FeatureCollection of points.
pub fn register_geojson(facilities: &[Facility]) -> Value {
    let features: Vec<Value> = facilities
        .iter()
        .map(|f| {
            json!({
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [f.lon, f.lat]},
                "properties": {
                    "id": f.id,
                    "name": f.name,
                    "category": f.category,
                    "capacity": f.capacity,
                    "affordable": f.affordable,
                    "type": f.kind,
                    "toddler_classes": f.toddler_classes,
                    "source": source_name(f.source),
                },
            })
        })
        .collect();
    json!({"type": "FeatureCollection", "features": features})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facilities::register::parse_register;
    use std::path::Path;

    fn facilities() -> Vec<Facility> {
        vec![
            Facility {
                id: "node/1".into(),
                name: Some("=Kita, \"Sonne\"".into()),
                category: "childcare".into(),
                lon: 9.521_234_567_890_123,
                lat: 47.141_000_000_000_01,
                source: FacilitySource::Osm,
                capacity: None,
                affordable: Some(true),
                kind: Some("kindergarten".into()),
                toddler_classes: None,
            },
            Facility {
                id: "added/1".into(),
                name: Some("托育中心".into()),
                category: "childcare".into(),
                lon: -0.1,
                lat: 51.5,
                source: FacilitySource::File,
                capacity: Some(40),
                affordable: None,
                kind: None,
                toddler_classes: Some(false),
            },
        ]
    }

    #[test]
    fn geojson_reads_back_as_the_same_facilities() {
        let text = register_geojson(&facilities()).to_string();
        let back = parse_register(Path::new("s.geojson"), text.as_bytes(), "x").unwrap();
        assert_eq!(back, facilities());
    }

    #[test]
    fn csv_reads_back_with_formula_names_neutralised() {
        let text = register_csv(&facilities());
        assert!(text.starts_with('\u{feff}'));
        let back = parse_register(Path::new("s.csv"), text.as_bytes(), "x").unwrap();
        let mut expected = facilities();
        expected[0].name = Some("'=Kita, \"Sonne\"".into());
        assert_eq!(back, expected);
    }
}

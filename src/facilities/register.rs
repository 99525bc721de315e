//! The planner's own facility register: a CSV or GeoJSON file of points.

use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;

use crate::error::{Error, Result};
use crate::facilities::{Facility, FacilitySource};
use crate::text::{csv_delimiter, decode};

/// Accepted names of the longitude column, in order of preference.
const LON_NAMES: &[&str] = &["lon", "lng", "long", "longitude", "x", "经度"];
/// Accepted names of the latitude column, in order of preference.
const LAT_NAMES: &[&str] = &["lat", "latitude", "y", "纬度"];

/// Accepted names of the other columns of a CSV register: the field, then the Chinese
/// headers a register exported from a 托育 management system commonly carries.
const COLUMN_NAMES: [&[&str]; 8] = [
    &["id", "编号", "机构编号"],
    &["name", "名称", "机构名称"],
    &["category", "类别"],
    &["capacity", "托位", "托位数", "托位数量"],
    &["affordable", "普惠", "是否普惠"],
    &["type", "类型", "机构类型"],
    &["toddler_classes", "托班", "开设托班"],
    &["source", "来源"],
];

/// One data row or feature, as raw trimmed text (`None` when absent or empty).
struct Row {
    /// `row N` (spreadsheet numbering) or `feature N` (0-based), for messages.
    label: String,
    /// 1-based data row or feature number, for the default id `row/N`.
    number: usize,
    id: Option<String>,
    name: Option<String>,
    category: Option<String>,
    lon: Option<String>,
    lat: Option<String>,
    capacity: Option<String>,
    affordable: Option<String>,
    kind: Option<String>,
    toddler_classes: Option<String>,
    source: Option<String>,
}

/// Reads a planner's register (CSV or GeoJSON, chosen by extension `.csv` / `.geojson` / `.json`,
/// else by sniffing the first non-space byte `{`) into facilities.
/// Facilities whose row has a `category` value get it; others get `default_category`.
///
/// CSV files need a header row with a longitude (`lon`, `lng`, `long`, `longitude`, `x`) and
/// a latitude (`lat`, `latitude`, `y`) column, and may have `id`, `name`, `category`,
/// `capacity`, `affordable`, `type` (see [`crate::facilities::KINDERGARTEN_WORDS`]),
/// `toddler_classes` and `source` (`register`, the default, or `osm` for a row whose facts
/// came from OpenStreetMap's tags, as a register written by `serve` marks them); the delimiter is `,`, or `;` / tab when the header has no comma.
/// Text that is not valid UTF-8 is read as GBK. GeoJSON files hold a `FeatureCollection` (or
/// one `Feature`) of points with those properties. Bad values are [`Error::Data`] naming the
/// row (`row N`, header = row 1) or feature (`feature N`, 0-based), the field and the value;
/// an unreadable file is [`Error::Io`].
pub fn read_register(path: &Path, default_category: &str) -> Result<Vec<Facility>> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    parse_register(path, &bytes, default_category)
}

/// [`read_register`] of a file's `bytes` already in memory; `path` chooses the format (by its
/// extension) and names the file in messages.
///
/// # Errors
/// [`Error::Data`] as [`read_register`]; never [`Error::Io`].
pub fn parse_register(path: &Path, bytes: &[u8], default_category: &str) -> Result<Vec<Facility>> {
    let text = decode(bytes);
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let geojson = match extension.as_deref() {
        Some("csv") => false,
        Some("geojson" | "json") => true,
        _ => text.trim_start().starts_with('{'),
    };
    let rows = if text.trim().is_empty() {
        Vec::new()
    } else if geojson {
        geojson_rows(&text).map_err(|m| Error::data(path, m))?
    } else {
        csv_rows(&text).map_err(|m| Error::data(path, m))?
    };
    if rows.is_empty() {
        return Err(Error::data(path, "no facilities in file"));
    }
    let mut first_row_of_id = HashMap::new();
    rows.into_iter()
        .map(|row| {
            let label = row.label.clone();
            let facility = facility(row, default_category)?;
            match first_row_of_id.insert(facility.id.clone(), label.clone()) {
                Some(first) => Err(format!(
                    "{label}, field \"id\": {:?} is already the id of {first}",
                    facility.id
                )),
                None => Ok(facility),
            }
        })
        .collect::<Result<_, String>>()
        .map_err(|m| Error::data(path, m))
}

/// Splits a CSV register into rows, after finding the delimiter and the columns.
fn csv_rows(text: &str) -> Result<Vec<Row>, String> {
    let delimiter = csv_delimiter(text);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| format!("row 1: {e}"))?.clone();
    let names: Vec<String> = headers.iter().map(str::to_lowercase).collect();
    let column = |aliases: &[&str]| {
        aliases
            .iter()
            .find_map(|a| names.iter().position(|n| n == a))
    };
    let (lon, lat) = (column(LON_NAMES), column(LAT_NAMES));
    if lon.is_none() || lat.is_none() {
        let missing: Vec<String> = [("longitude", LON_NAMES, lon), ("latitude", LAT_NAMES, lat)]
            .into_iter()
            .filter(|(_, _, found)| found.is_none())
            .map(|(what, aliases, _)| format!("a {what} column ({})", aliases.join("/")))
            .collect();
        let found: Vec<String> = headers.iter().map(|h| format!("{h:?}")).collect();
        let hint = if headers.len() == 1 {
            " (one column only: the delimiter must be a comma, a semicolon or a tab)"
        } else {
            ""
        };
        return Err(format!(
            "row 1: missing {}; columns found: {}{hint}",
            missing.join(" and "),
            found.join(", ")
        ));
    }
    let [
        id,
        name,
        category,
        capacity,
        affordable,
        kind,
        toddler_classes,
        source,
    ] = COLUMN_NAMES.map(column);
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let label = format!("row {}", i + 2);
        let record = record.map_err(|e| format!("{label}: {e}"))?;
        if record.iter().all(str::is_empty) {
            continue; // a spreadsheet's blank row (`;;;`)
        }
        let get = |c: Option<usize>| {
            c.and_then(|c| record.get(c))
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        rows.push(Row {
            number: i + 1,
            id: get(id),
            name: get(name),
            category: get(category),
            lon: get(lon),
            lat: get(lat),
            capacity: get(capacity),
            affordable: get(affordable),
            kind: get(kind),
            toddler_classes: get(toddler_classes),
            source: get(source),
            label,
        });
    }
    Ok(rows)
}

/// Splits a GeoJSON register (a FeatureCollection or one Feature of points) into rows.
fn geojson_rows(text: &str) -> Result<Vec<Row>, String> {
    let json: Value = serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
    let features = match json["type"].as_str() {
        Some("FeatureCollection") => json["features"]
            .as_array()
            .ok_or("the FeatureCollection has no \"features\" array")?
            .as_slice(),
        Some("Feature") => std::slice::from_ref(&json),
        other => {
            return Err(format!(
                "not a GeoJSON FeatureCollection or Feature (type {})",
                other.map_or("missing".into(), |t| format!("{t:?}"))
            ));
        }
    };
    let mut rows = Vec::new();
    for (i, feature) in features.iter().enumerate() {
        let label = format!("feature {i}");
        let field = |key: &str, value: &Value| {
            scalar(value)
                .map_err(|v| format!("{label}, field {key:?}: {v} is not text or a number"))
        };
        let [lon, lat] =
            point(&feature["geometry"]).map_err(|m| format!("{label}, field \"geometry\": {m}"))?;
        let props = &feature["properties"];
        let id = match field("id", &props["id"])? {
            Some(id) => Some(id),
            None => field("id", &feature["id"])?, // GeoJSON's own feature id
        };
        rows.push(Row {
            number: i + 1,
            id,
            name: field("name", &props["name"])?,
            category: field("category", &props["category"])?,
            lon: Some(lon),
            lat: Some(lat),
            capacity: field("capacity", &props["capacity"])?,
            affordable: field("affordable", &props["affordable"])?,
            kind: field("type", &props["type"])?,
            toddler_classes: field("toddler_classes", &props["toddler_classes"])?,
            source: field("source", &props["source"])?,
            label,
        });
    }
    Ok(rows)
}

/// The `[lon, lat]` of a Point (or single-point MultiPoint) geometry, as number text.
fn point(geometry: &Value) -> Result<[String; 2], String> {
    let coordinates = &geometry["coordinates"];
    let position = match geometry["type"].as_str() {
        Some("Point") => coordinates,
        Some("MultiPoint") if coordinates.as_array().is_some_and(|a| a.len() == 1) => {
            &coordinates[0]
        }
        Some(kind) => return Err(format!("a {kind} is not a Point")),
        None if geometry.is_null() => return Err("missing (the feature has no geometry)".into()),
        None => return Err(format!("{geometry} has no geometry type")),
    };
    match position.as_array().map(Vec::as_slice) {
        Some([lon @ Value::Number(_), lat @ Value::Number(_), ..]) => {
            Ok([lon.to_string(), lat.to_string()])
        }
        _ => Err(format!(
            "coordinates {position} are not a [lon, lat] position"
        )),
    }
}

/// A property as trimmed text (`None` for null or empty); arrays and objects are an error,
/// returned as their JSON text.
fn scalar(value: &Value) -> Result<Option<String>, String> {
    Ok(match value {
        Value::Null => None,
        Value::String(s) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        other => return Err(other.to_string()),
    })
}

/// A finite number, also accepting one decimal comma (`52,37`) as spreadsheets write it.
fn number(text: &str) -> Option<f64> {
    let decimal_comma = || {
        (text.matches(',').count() == 1 && !text.contains('.'))
            .then(|| text.replace(',', ".").parse().ok())
            .flatten()
    };
    text.parse()
        .ok()
        .or_else(decimal_comma)
        .filter(|v: &f64| v.is_finite())
}

/// Turns one row's raw values into a facility, checking every value.
fn facility(row: Row, default_category: &str) -> Result<Facility, String> {
    let label = &row.label;
    let bad =
        |field: &str, value: &str, why: &str| format!("{label}, field {field:?}: {value:?} {why}");
    let coordinate = |field: &str, value: Option<&str>, limit: f64| {
        let value = value.ok_or_else(|| format!("{label}, field {field:?}: missing value"))?;
        match number(value) {
            Some(v) if v.abs() <= limit => Ok(v),
            Some(_) => Err(bad(
                field,
                value,
                &format!("is out of range [-{limit}, {limit}]"),
            )),
            None => Err(bad(field, value, "is not a number")),
        }
    };
    let lon = coordinate("lon", row.lon.as_deref(), 180.0)?;
    let lat = coordinate("lat", row.lat.as_deref(), 90.0)?;
    let capacity = row.capacity.as_deref().map(|v| match number(v) {
        Some(c) if c < 0.0 => Err(bad("capacity", v, "is negative")),
        Some(c) if c.fract() == 0.0 && c <= f64::from(u32::MAX) => Ok(c as u32),
        Some(_) => Err(bad("capacity", v, "is not a whole number")),
        None => Err(bad("capacity", v, "is not a number")),
    });
    let flag = |field: &str, value: Option<&str>| {
        value
            .map(|v| match v.to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" | "y" | "是" => Ok(true),
                "0" | "false" | "no" | "n" | "否" => Ok(false),
                _ => Err(bad(
                    field,
                    v,
                    "is not one of 1/0, true/false, yes/no, y/n, 是/否",
                )),
            })
            .transpose()
    };
    let source = match row
        .source
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("register" | "file") => FacilitySource::File,
        Some("osm") => FacilitySource::Osm,
        Some(_) => {
            let v = row.source.as_deref().unwrap_or_default();
            return Err(bad("source", v, "is not one of register, osm"));
        }
    };
    Ok(Facility {
        capacity: capacity.transpose()?,
        affordable: flag("affordable", row.affordable.as_deref())?,
        toddler_classes: flag("toddler_classes", row.toddler_classes.as_deref())?,
        kind: row.kind,
        id: row.id.unwrap_or_else(|| format!("row/{}", row.number)),
        name: row.name,
        category: row.category.unwrap_or_else(|| default_category.to_owned()),
        lon,
        lat,
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    /// Writes `bytes` to `register.<ext>` in a fresh temporary folder.
    fn write(ext: &str, bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(format!("register.{ext}"));
        std::fs::write(&path, bytes).unwrap();
        (dir, path)
    }

    fn read(ext: &str, text: &str) -> Result<Vec<Facility>> {
        let (_dir, path) = write(ext, text.as_bytes());
        read_register(&path, "childcare")
    }

    /// The message of a data error, which must name the file.
    fn data_error(ext: &str, text: &str) -> String {
        match read(ext, text) {
            Err(Error::Data { path, message }) => {
                assert!(path.ends_with(format!("register.{ext}")));
                message
            }
            other => panic!("expected a data error, got {other:?}"),
        }
    }

    #[test]
    fn csv_with_all_columns() {
        let text = "ID,Name,Category, Longitude ,Latitude,Capacity,Affordable\n\
                    k1,Kita Sonne,,13.4,52.5,40.0,Yes\n\
                    k2,\"Kita, Mond\",school,13.41,52.51,,\n\
                    ,,,13.42,52.52,12,0\n";
        let facilities = read("csv", text).unwrap();
        assert_eq!(facilities.len(), 3);
        assert_eq!(
            facilities[0],
            Facility {
                id: "k1".into(),
                name: Some("Kita Sonne".into()),
                category: "childcare".into(),
                lon: 13.4,
                lat: 52.5,
                source: FacilitySource::File,
                capacity: Some(40),
                affordable: Some(true),
                kind: None,
                toddler_classes: None,
            }
        );
        assert_eq!(facilities[1].name.as_deref(), Some("Kita, Mond"));
        assert_eq!(facilities[1].category, "school");
        assert_eq!(
            (facilities[1].capacity, facilities[1].affordable),
            (None, None)
        );
        assert_eq!(facilities[2].id, "row/3");
        assert_eq!(facilities[2].name, None);
        assert_eq!(
            (facilities[2].capacity, facilities[2].affordable),
            (Some(12), Some(false))
        );
    }

    #[test]
    fn semicolon_delimiter_with_decimal_commas() {
        let facilities = read("csv", "name;x;y\nKita;4,9;52,37\nSchool;4.91;52.38\n").unwrap();
        assert_eq!(facilities.len(), 2);
        assert_eq!((facilities[0].lon, facilities[0].lat), (4.9, 52.37));
        assert_eq!(facilities[1].name.as_deref(), Some("School"));
    }

    #[test]
    fn tab_delimiter() {
        let facilities = read("csv", "id\tlng\tlat\na\t2.35\t48.85\n").unwrap();
        assert_eq!((facilities[0].id.as_str(), facilities[0].lon), ("a", 2.35));
    }

    #[test]
    fn utf8_bom_is_stripped() {
        let facilities = read("csv", "\u{feff}lon,lat,name\n1,2,Zoë\n").unwrap();
        assert_eq!((facilities[0].lon, facilities[0].lat), (1.0, 2.0));
        assert_eq!(facilities[0].name.as_deref(), Some("Zoë"));
    }

    #[test]
    fn gbk_encoded_chinese_names() {
        let text = "name,lon,lat\n北京市第一幼儿园,116.40,39.90\n朝阳区托育中心,116.48,39.92\n";
        let (bytes, _, unmappable) = encoding_rs::GBK.encode(text);
        assert!(!unmappable && std::str::from_utf8(&bytes).is_err());
        let (_dir, path) = write("csv", &bytes);
        let facilities = read_register(&path, "childcare").unwrap();
        assert_eq!(facilities[0].name.as_deref(), Some("北京市第一幼儿园"));
        assert_eq!(facilities[1].name.as_deref(), Some("朝阳区托育中心"));
        assert_eq!(facilities[1].lon, 116.48);
    }

    #[test]
    fn missing_lat_column_lists_columns_found() {
        let message = data_error("csv", "id,lon,latt\na,1,2\n");
        assert!(message.contains("latitude column"), "{message}");
        assert!(!message.contains("longitude"), "{message}");
        assert!(message.contains(r#""id", "lon", "latt""#), "{message}");
    }

    #[test]
    fn one_column_hints_at_the_delimiter() {
        let message = data_error("csv", "id|lon|lat\na|1|2\n");
        assert!(
            message.contains("columns found: \"id|lon|lat\""),
            "{message}"
        );
        assert!(message.contains("the delimiter must be"), "{message}");
        let message = data_error("csv", "id,lon\na,1\n");
        assert!(!message.contains("delimiter"), "{message}");
    }

    #[test]
    fn text_in_a_number_names_row_and_field() {
        let message = data_error("csv", "lon,lat\n1,2\n3,abc\n");
        assert_eq!(message, r#"row 3, field "lat": "abc" is not a number"#);
        let message = data_error("csv", "lon,lat,capacity\n1,2,many\n");
        assert_eq!(
            message,
            r#"row 2, field "capacity": "many" is not a number"#
        );
        let message = data_error("csv", "lon,lat,capacity\n1,2,-3\n");
        assert_eq!(message, r#"row 2, field "capacity": "-3" is negative"#);
        let message = data_error("csv", "lon,lat\n1,\n");
        assert_eq!(message, r#"row 2, field "lat": missing value"#);
    }

    #[test]
    fn out_of_range_lat() {
        let message = data_error("csv", "lon,lat\n1,2\n1,2\n1,2\n4,91.5\n");
        assert_eq!(
            message,
            r#"row 5, field "lat": "91.5" is out of range [-90, 90]"#
        );
    }

    #[test]
    fn bad_affordable() {
        let message = data_error("csv", "lon,lat,affordable\n1,2,TRUE\n1,2,maybe\n");
        assert!(message.starts_with(r#"row 3, field "affordable": "maybe" is not one of"#));
    }

    #[test]
    fn type_and_toddler_classes_columns() {
        let text = "lon,lat,Type,Toddler_Classes\n1,2,幼儿园,是\n1,2,,\n1,2,guidance centre,no\n";
        let facilities = read("csv", text).unwrap();
        let kinds: Vec<(Option<&str>, Option<bool>)> = facilities
            .iter()
            .map(|f| (f.kind.as_deref(), f.toddler_classes))
            .collect();
        assert_eq!(
            kinds,
            [
                (Some("幼儿园"), Some(true)),
                (None, None),
                (Some("guidance centre"), Some(false))
            ]
        );
        let message = data_error("csv", "lon,lat,toddler_classes\n1,2,some\n");
        assert!(message.starts_with(r#"row 2, field "toddler_classes": "some" is not one of"#));
        let geojson = r#"{"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]},
            "properties":{"type":"kindergarten","toddler_classes":true}}"#;
        let facilities = read("geojson", geojson).unwrap();
        assert_eq!(facilities[0].kind.as_deref(), Some("kindergarten"));
        assert_eq!(facilities[0].toddler_classes, Some(true));
    }

    #[test]
    fn duplicate_id_names_both_rows() {
        let message = data_error("csv", "id,lon,lat\na,1,2\nb,1,2\na,3,4\n");
        assert_eq!(
            message,
            r#"row 4, field "id": "a" is already the id of row 2"#
        );
    }

    #[test]
    fn empty_file_and_header_only() {
        assert_eq!(data_error("csv", ""), "no facilities in file");
        assert_eq!(data_error("csv", "lon,lat\n"), "no facilities in file");
        assert_eq!(data_error("csv", "lon;lat\n;\n"), "no facilities in file");
        assert_eq!(data_error("geojson", " \n"), "no facilities in file");
    }

    #[test]
    fn unreadable_file_is_io_error() {
        let dir = tempfile::tempdir().unwrap();
        let result = read_register(&dir.path().join("missing.csv"), "childcare");
        assert!(matches!(result, Err(Error::Io { .. })), "{result:?}");
    }

    #[test]
    fn geojson_points_with_numeric_ids() {
        let text = r#"{"type":"FeatureCollection","features":[
            {"type":"Feature","geometry":{"type":"Point","coordinates":[13.4,52.5]},
             "properties":{"id":7,"name":"Kita","capacity":40,"affordable":true}},
            {"type":"Feature","geometry":{"type":"MultiPoint","coordinates":[[13.5,52.6]]},
             "properties":{"category":"school","affordable":"n"}}]}"#;
        let facilities = read("geojson", text).unwrap();
        assert_eq!(facilities[0].id, "7");
        assert_eq!(facilities[0].name.as_deref(), Some("Kita"));
        assert_eq!((facilities[0].lon, facilities[0].lat), (13.4, 52.5));
        assert_eq!(
            (facilities[0].capacity, facilities[0].affordable),
            (Some(40), Some(true))
        );
        assert_eq!(facilities[0].category, "childcare");
        assert_eq!(facilities[1].id, "row/2");
        assert_eq!(facilities[1].category, "school");
        assert_eq!(facilities[1].affordable, Some(false));
    }

    #[test]
    fn single_feature_sniffed_without_extension() {
        let text =
            r#"  {"type":"Feature","id":"f1","geometry":{"type":"Point","coordinates":[1,2]}}"#;
        let facilities = read("txt", text).unwrap();
        assert_eq!((facilities[0].id.as_str(), facilities[0].lat), ("f1", 2.0));
    }

    #[test]
    fn geojson_polygon_is_an_error() {
        let text = r#"{"type":"FeatureCollection","features":[
            {"type":"Feature","geometry":{"type":"Point","coordinates":[1,2]},"properties":{}},
            {"type":"Feature","geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[0,1],[0,0]]]},
             "properties":null}]}"#;
        let message = data_error("geojson", text);
        assert_eq!(
            message,
            r#"feature 1, field "geometry": a Polygon is not a Point"#
        );
        let text =
            r#"{"type":"FeatureCollection","features":[{"type":"Feature","geometry":null}]}"#;
        assert!(data_error("json", text).starts_with(r#"feature 0, field "geometry": missing"#));
    }

    #[test]
    fn not_json_is_an_error() {
        let message = data_error("geojson", "lon,lat\n1,2\n");
        assert!(message.starts_with("not valid JSON"), "{message}");
        let message = data_error("json", "{\"type\": \"Feature\",");
        assert!(message.starts_with("not valid JSON"), "{message}");
    }

    #[test]
    fn empty_feature_collection_is_an_error() {
        let message = data_error("geojson", r#"{"type":"FeatureCollection","features":[]}"#);
        assert_eq!(message, "no facilities in file");
    }
}

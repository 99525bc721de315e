//! Administrative units (districts and sub-districts), from OSM boundary relations or the
//! planner's own polygons, and which unit each point falls in.

use std::path::Path;

use geo::{BoundingRect, Coord, MultiPolygon, Point, Rect};
use rstar::primitives::GeomWithData;
use rstar::{AABB, RTree};

use crate::error::{Error, Result};
use crate::osm::areas::build_areas;
use crate::osm::read::{OsmExtract, is_admin_boundary};
use crate::osm::repair::{Outline, RepairCounts, repair_outline};
use crate::osm::tag;
use crate::spatial::LocalFrame;
use crate::spatial::inside::IndexedArea;
use crate::text::decode;

/// Default `admin_level` of districts (区/县 in China's OSM convention).
pub const DEFAULT_DISTRICT_LEVEL: u8 = 6;
/// Default `admin_level` of sub-districts (街道/乡镇; Liechtenstein's municipalities).
pub const DEFAULT_SUBDISTRICT_LEVEL: u8 = 8;

/// Which tier a unit belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum UnitLevel {
    /// A district.
    District,
    /// A sub-district (street office).
    Subdistrict,
}

/// One administrative unit.
#[derive(Debug, Clone)]
pub struct Unit {
    /// `relation/123` for OSM, `row/N` (feature index + 1) for a file.
    pub id: String,
    /// Its name (`name` tag or the file's name field).
    pub name: String,
    /// Codes it is known by, for census tables: the `ref` and `ISO3166-2` tags of an OSM
    /// relation; a file unit's `row/N` id and its `id`, `code`, `ref` and `ISO3166-2` properties.
    pub codes: Vec<String>,
    /// Its other names ([`OTHER_NAME_KEYS`], each split on `;`), without `name` itself.
    pub other_names: Vec<String>,
    /// Its Chinese name ([`CHINESE_NAME_KEYS`], the first mapped), by which `--lang zh`
    /// names it ([`Units::name_in_chinese`]).
    pub name_zh: Option<String>,
    /// District or sub-district.
    pub level: UnitLevel,
    /// Outline in lon/lat degrees.
    pub outline: MultiPolygon<f64>,
}

/// The units of a run, with those that had to be skipped.
#[derive(Debug, Clone, Default)]
pub struct Units {
    /// Usable units, districts first, each tier ordered by name then id.
    pub units: Vec<Unit>,
    /// `name (id): reason` for each unit skipped.
    pub skipped: Vec<String>,
    /// Unit outlines invalid as mapped: repaired, or not repairable (then skipped).
    pub outlines: RepairCounts,
}

impl Units {
    /// Names every unit with a Chinese name by it (`--lang zh`), keeping its `name` among its
    /// other names, so census rows still match either.
    pub fn name_in_chinese(&mut self) {
        for unit in &mut self.units {
            let Some(zh) = unit.name_zh.clone().filter(|zh| *zh != unit.name) else {
                continue;
            };
            let name = std::mem::replace(&mut unit.name, zh);
            unit.other_names.retain(|n| *n != unit.name);
            unit.other_names.insert(0, name);
        }
    }
}

/// Where units come from (serialized as `summary.json` names it: `{"source": "osm", …}`).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "source", rename_all = "lowercase")]
pub enum UnitsSource {
    /// OSM `boundary=administrative` relations at these admin levels.
    Osm {
        /// `admin_level` of districts.
        district_level: u8,
        /// `admin_level` of sub-districts.
        subdistrict_level: u8,
    },
    /// The planner's polygons (GeoJSON), all taken as sub-districts.
    File {
        /// GeoJSON file of polygons.
        path: std::path::PathBuf,
        /// Property holding each unit's name.
        name_field: String,
    },
}

/// Keys of a unit's Chinese name, in order of preference (a tag, or a units file's property).
pub const CHINESE_NAME_KEYS: &[&str] = &["name:zh", "name:zh-Hans", "name_zh"];

/// The first of `values` with text, trimmed.
fn first_text<'a>(values: impl IntoIterator<Item = Option<&'a str>>) -> Option<String> {
    (values.into_iter().flatten())
        .map(str::trim)
        .find(|v| !v.is_empty())
        .map(str::to_string)
}

/// Tags (OSM) or properties (file) holding other names of a unit, in this order.
pub const OTHER_NAME_KEYS: &[&str] = &[
    "name:zh",
    "name:zh-Hans",
    "name:zh-Hant",
    "official_name",
    "short_name",
    "name:en",
    "alt_name",
];

/// Tags of an OSM relation holding its codes.
const OSM_CODE_KEYS: &[&str] = &["ref", "ISO3166-2"];

/// Properties of a file unit holding its codes (besides its `row/N` id).
const FILE_CODE_KEYS: &[&str] = &["id", "code", "ref", "ISO3166-2"];

/// The non-empty `values`, each split on `;` and trimmed, without repeats and without any
/// of `except`.
fn split_values<S: AsRef<str>>(
    values: impl IntoIterator<Item = S>,
    except: &[&str],
) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for value in values {
        for v in value.as_ref().split(';').map(str::trim) {
            if !v.is_empty() && !except.contains(&v) && !found.iter().any(|f| f == v) {
                found.push(v.to_string());
            }
        }
    }
    found
}

fn order(units: &mut [Unit]) {
    units.sort_by(|a, b| (a.level, &a.name, &a.id).cmp(&(b.level, &b.name, &b.id)));
}

/// Districts and sub-districts from the extract's boundary relations.
pub fn units_from_osm(extract: &OsmExtract, district_level: u8, subdistrict_level: u8) -> Units {
    let level_of = |tags: &[(String, String)]| -> Option<UnitLevel> {
        let level: u8 = tag(tags, "admin_level")?.trim().parse().ok()?;
        if level == district_level {
            Some(UnitLevel::District)
        } else if level == subdistrict_level {
            Some(UnitLevel::Subdistrict)
        } else {
            None
        }
    };
    let wanted = |tags: &Vec<(String, String)>| is_admin_boundary(tags) && level_of(tags).is_some();
    let (areas, mut broken) = build_areas(extract, wanted);
    let name_of = |tags: &[(String, String)]| tag(tags, "name").unwrap_or("(unnamed)").to_string();
    let mut outlines = RepairCounts::default();
    for a in &areas {
        outlines.count(&a.outline);
    }
    broken.skipped.append(&mut broken.unrepairable);
    let mut units: Vec<Unit> = areas
        .into_iter()
        .filter(|a| !matches!(a.outline, Outline::Unrepairable(_)))
        .map(|a| {
            let name = name_of(&a.tags);
            Unit {
                id: a.id.to_string(),
                codes: split_values(OSM_CODE_KEYS.iter().filter_map(|k| tag(&a.tags, k)), &[]),
                other_names: split_values(
                    OTHER_NAME_KEYS.iter().filter_map(|k| tag(&a.tags, k)),
                    &[&name],
                ),
                name_zh: first_text(CHINESE_NAME_KEYS.iter().map(|k| tag(&a.tags, k))),
                name,
                level: level_of(&a.tags).expect("filtered on level"),
                outline: a.polygon,
            }
        })
        .collect();
    order(&mut units);
    let skipped = broken
        .skipped
        .into_iter()
        .map(|reason| {
            let id = reason.split(':').next().unwrap_or("");
            let rel_id = id
                .strip_prefix("relation/")
                .and_then(|n| n.parse::<i64>().ok());
            let name = extract
                .relations
                .iter()
                .find(|r| Some(r.id) == rel_id)
                .map_or_else(|| "(unnamed)".to_string(), |r| name_of(&r.tags));
            format!("{name} ({reason})")
        })
        .collect();
    Units {
        units,
        skipped,
        outlines,
    }
}

/// Sub-districts from the planner's GeoJSON polygons, named by `name_field`.
///
/// # Errors
/// [`Error::Data`] naming the feature for a missing name or a geometry that is not a
/// polygon; [`Error::Io`] when unreadable.
pub fn units_from_file(path: &Path, name_field: &str) -> Result<Units> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let text = decode(&bytes);
    let geojson: geojson::GeoJson = text
        .parse()
        .map_err(|e| Error::data(path, format!("not GeoJSON: {e}")))?;
    let geojson::GeoJson::FeatureCollection(fc) = geojson else {
        return Err(Error::data(
            path,
            "expected a FeatureCollection of unit polygons",
        ));
    };
    if fc.features.is_empty() {
        return Err(Error::data(path, "no units in file"));
    }
    let (mut units, mut skipped, mut outlines) = (Vec::new(), Vec::new(), RepairCounts::default());
    for (i, f) in fc.features.into_iter().enumerate() {
        let bad = |what: &str| Error::data(path, format!("feature {i}, {what}"));
        let text_of = |k: &str| match f.property(k) {
            Some(serde_json::Value::String(s)) => Some(s.clone()),
            Some(serde_json::Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        let name = text_of(name_field)
            .ok_or_else(|| bad(&format!("field {name_field:?}: missing (the unit name)")))?;
        let id = format!("row/{}", i + 1);
        let mut codes = vec![id.clone()];
        codes.extend(split_values(
            FILE_CODE_KEYS.iter().filter_map(|k| text_of(k)),
            &[&id],
        ));
        let other_names = split_values(OTHER_NAME_KEYS.iter().filter_map(|k| text_of(k)), &[&name]);
        let zh: Vec<Option<String>> = CHINESE_NAME_KEYS.iter().map(|k| text_of(k)).collect();
        let name_zh = first_text(zh.iter().map(Option::as_deref));
        let geometry = f
            .geometry
            .ok_or_else(|| bad("field \"geometry\": missing"))?;
        let mut outline = match geo::Geometry::<f64>::try_from(geometry) {
            Ok(geo::Geometry::Polygon(p)) => MultiPolygon(vec![p]),
            Ok(geo::Geometry::MultiPolygon(mp)) => mp,
            _ => {
                return Err(bad(
                    "field \"geometry\": a unit must be a Polygon or MultiPolygon",
                ));
            }
        };
        let checked = repair_outline(&mut outline);
        outlines.count(&checked);
        if let Outline::Unrepairable(why) = checked {
            skipped.push(format!("{name} (row/{}: {why})", i + 1));
            continue;
        }
        units.push(Unit {
            id,
            codes,
            other_names,
            name_zh,
            name,
            level: UnitLevel::Subdistrict,
            outline,
        });
    }
    order(&mut units);
    Ok(Units {
        units,
        skipped,
        outlines,
    })
}

/// Finds the unit of each tier holding a point.
pub struct UnitLocator {
    tree: RTree<GeomWithData<Rect<f64>, usize>>,
    projected: Vec<IndexedArea>,
    levels: Vec<UnitLevel>,
}

impl UnitLocator {
    /// Indexes `units` in the frame.
    pub fn new(units: &Units, frame: &LocalFrame) -> Self {
        let projected: Vec<_> = units
            .units
            .iter()
            .map(|u| frame.project(&u.outline))
            .collect();
        let tree = RTree::bulk_load(
            projected
                .iter()
                .enumerate()
                .filter_map(|(i, p)| Some(GeomWithData::new(p.bounding_rect()?, i)))
                .collect(),
        );
        UnitLocator {
            tree,
            projected: projected.iter().map(IndexedArea::new).collect(),
            levels: units.units.iter().map(|u| u.level).collect(),
        }
    }

    /// The lowest-index unit of `level` containing `p` (frame metres).
    pub fn locate(&self, p: Coord<f64>, level: UnitLevel) -> Option<u32> {
        self.tree
            .locate_in_envelope_intersecting(&AABB::from_point(Point::from(p)))
            .map(|g| g.data)
            .filter(|&i| self.levels[i] == level && self.projected[i].contains(p))
            .min()
            .map(|i| i as u32)
    }

    /// `p`'s (district, sub-district).
    pub fn locate_both(&self, p: Coord<f64>) -> (Option<u32>, Option<u32>) {
        (
            self.locate(p, UnitLevel::District),
            self.locate(p, UnitLevel::Subdistrict),
        )
    }
}

//! The base map (`streets`, `buildings`, `water`) drawn from the extract itself, so the page
//! needs no tile server and nothing online.
//!
//! - **streets**: every edge of the walking graph, with a `kind` ("major", "minor" or "path")
//!   from the `highway` tag of the way it came from ([`street_kind`]);
//! - **buildings**: closed ways tagged `building` (not `building=no`) and the closed outer
//!   ways of `building` multipolygons the reader kept, each way drawn once (holes of
//!   multipolygons are not drawn);
//! - **water**: the batch reader keeps no water, so [`read_water`] makes its own two-pass,
//!   parallel read of the PBF with the `osmpbf` crate: closed ways tagged `natural=water`,
//!   `waterway=riverbank`, `landuse=reservoir|basin` or `water=*` as polygons, and ways
//!   tagged `waterway=river|stream|canal` as lines. Water multipolygon relations are not
//!   read (their member ways carry no tags, so they would need a third pass): a river mapped
//!   only as a relation shows by its `waterway=river` line.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use geo::{Coord, Geometry, LineString, Polygon};
use osmpbf::{BlobDecode, BlobReader, Element};
use rayon::prelude::*;

use super::tiles::{BadTile, PropValue, TileLayer, encode_tile};
use crate::error::{Error, Result};
use crate::osm::read::RawWay;
use crate::osm::{Tags, tag};
use crate::pipeline::City;

/// Zoom from which streets are drawn.
pub const STREETS_MIN_ZOOM: u8 = 10;
/// Zoom from which buildings are drawn.
pub const BUILDINGS_MIN_ZOOM: u8 = 13;
/// Zoom from which water is drawn.
pub const WATER_MIN_ZOOM: u8 = 8;

/// The base map's three layers, built once per city.
#[derive(Debug)]
pub struct BaseMap {
    /// One line per edge of the walking graph (feature index = edge index).
    pub streets: TileLayer,
    /// Building outlines.
    pub buildings: TileLayer,
    /// Water areas and water lines.
    pub water: TileLayer,
    /// `kind` of each street: "major", "minor" or "path".
    pub street_kinds: Vec<&'static str>,
}

impl BaseMap {
    /// The base map of `city`, read from `input` (the extract the city was prepared from) for
    /// its water.
    ///
    /// # Errors
    /// [`Error::Io`] or [`Error::Data`] when `input` cannot be read again.
    pub fn build(city: &City, input: &Path) -> Result<BaseMap> {
        let water = read_water(input)?;
        let (streets, street_kinds) = streets(city);
        Ok(BaseMap {
            streets: TileLayer::new("streets", STREETS_MIN_ZOOM, streets),
            buildings: TileLayer::new("buildings", BUILDINGS_MIN_ZOOM, buildings(city)),
            water: TileLayer::new("water", WATER_MIN_ZOOM, water),
            street_kinds,
        })
    }

    /// The MVT bytes of base tile `z/x/y` (layers `water`, `streets` with `kind`,
    /// `buildings`); empty when nothing is in it.
    ///
    /// # Errors
    /// [`BadTile`] when the tile does not exist.
    pub fn tile(&self, z: u8, x: u32, y: u32) -> std::result::Result<Vec<u8>, BadTile> {
        let plain = |_: usize| Some(Vec::new());
        let kind = |e: usize| Some(vec![("kind", PropValue::Text(self.street_kinds[e].into()))]);
        encode_tile(
            &[
                (&self.water, &plain),
                (&self.streets, &kind),
                (&self.buildings, &plain),
            ],
            z,
            x,
            y,
        )
    }
}

/// The kind a street is drawn as, from its way's `highway` tag: roads for through traffic
/// are "major", other roads "minor", everything else (footways, paths, steps, tracks,
/// cycleways, pedestrian streets, `fifteen tile`'s connectors) "path".
pub fn street_kind(highway: Option<&str>) -> &'static str {
    let base = highway.map(|h| h.trim_end_matches("_link"));
    match base {
        Some("motorway" | "trunk" | "primary" | "secondary" | "tertiary") => "major",
        Some("residential" | "unclassified" | "living_street" | "service" | "road") => "minor",
        _ => "path",
    }
}

/// Each edge's line in lon/lat, and its kind.
fn streets(city: &City) -> (Vec<Geometry<f64>>, Vec<&'static str>) {
    let highway: HashMap<i64, &'static str> = city
        .extract
        .walk_ways
        .iter()
        .chain(&city.extract.private_ways)
        .map(|w| (w.id, street_kind(tag(&w.tags, "highway"))))
        .collect();
    let graph = &city.graph;
    (0..graph.edge_count() as u32)
        .map(|e| {
            let line: LineString<f64> = graph
                .edge_geometry(e)
                .iter()
                .map(|&c| lon_lat(city, c))
                .collect();
            let kind = highway
                .get(&graph.edge_way_id(e))
                .copied()
                .unwrap_or("path");
            (Geometry::LineString(line), kind)
        })
        .unzip()
}

fn lon_lat(city: &City, c: Coord<f64>) -> Coord<f64> {
    let (x, y) = city.frame.to_lon_lat(c);
    Coord { x, y }
}

/// Building outlines: closed `building` ways, then the closed outer ways of `building`
/// multipolygons not already drawn.
fn buildings(city: &City) -> Vec<Geometry<f64>> {
    let extract = &city.extract;
    let is_building = |tags: &Tags| tag(tags, "building").is_some_and(|b| b != "no");
    let tagged: Vec<&RawWay> = extract
        .area_ways
        .iter()
        .filter(|w| is_building(&w.tags))
        .collect();
    let mut drawn: HashSet<i64> = tagged.iter().map(|w| w.id).collect();
    let ways: HashMap<i64, &RawWay> = extract
        .area_ways
        .iter()
        .chain(&extract.member_ways)
        .map(|w| (w.id, w))
        .collect();
    let outers = extract
        .relations
        .iter()
        .filter(|r| is_building(&r.tags) && tag(&r.tags, "type") == Some("multipolygon"))
        .flat_map(|r| r.members.iter().filter(|m| m.role == "outer"))
        .filter_map(|m| ways.get(&m.id).copied())
        .filter(|w| drawn.insert(w.id))
        .collect::<Vec<_>>();
    tagged
        .into_iter()
        .chain(outers)
        .filter_map(|w| closed_polygon(&w.refs, |id| extract.nodes.get(id)))
        .collect()
}

/// The polygon of a closed way, if it is closed and every node is known.
fn closed_polygon(
    refs: &[i64],
    coords: impl Fn(i64) -> Option<(f64, f64)>,
) -> Option<Geometry<f64>> {
    if refs.len() < 4 || refs.first() != refs.last() {
        return None;
    }
    let ring: Option<LineString<f64>> =
        refs.iter().map(|&id| coords(id).map(Coord::from)).collect();
    Some(Geometry::Polygon(Polygon::new(ring?, Vec::new())))
}

/// What a way is as water.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WaterKind {
    Area,
    Line,
}

/// Whether a way with these tags is water, and drawn how (closed or not).
fn water_kind<'a>(
    mut tags: impl Iterator<Item = (&'a str, &'a str)>,
    closed: bool,
) -> Option<WaterKind> {
    let mut area = false;
    let mut line = false;
    for (k, v) in &mut tags {
        match (k, v) {
            ("waterway", "river" | "stream" | "canal") => line = true,
            ("natural", "water") | ("waterway", "riverbank") | ("water", _) => area = true,
            ("landuse", "reservoir" | "basin") => area = true,
            _ => {}
        }
    }
    if line {
        Some(WaterKind::Line)
    } else {
        (area && closed).then_some(WaterKind::Area)
    }
}

/// A water way as read in the first pass.
struct WaterWay {
    id: i64,
    refs: Vec<i64>,
    kind: WaterKind,
}

/// Water areas and lines of the extract at `path`, in lon/lat, ordered by way id.
///
/// Two parallel passes with `osmpbf`: the first keeps water ways, the second the
/// coordinates of their nodes.
///
/// # Errors
/// [`Error::Io`] when the file cannot be opened; [`Error::Data`] when `osmpbf` cannot read it.
pub fn read_water(path: &Path) -> Result<Vec<Geometry<f64>>> {
    let mut ways: Vec<WaterWay> = blob_pass(path, water_ways)?;
    ways.sort_unstable_by_key(|w| w.id);
    let mut wanted: Vec<i64> = ways.iter().flat_map(|w| w.refs.iter().copied()).collect();
    wanted.sort_unstable();
    wanted.dedup();
    let mut nodes: Vec<(i64, (f64, f64))> = blob_pass(path, |e, out| node_coords(e, &wanted, out))?;
    nodes.sort_unstable_by_key(|n| n.0);
    let coords = |id: i64| {
        let i = nodes.binary_search_by_key(&id, |n| n.0).ok()?;
        Some(nodes[i].1)
    };
    Ok(ways
        .iter()
        .filter_map(|w| water_geometry(w, coords))
        .collect())
}

fn water_geometry(
    way: &WaterWay,
    coords: impl Fn(i64) -> Option<(f64, f64)>,
) -> Option<Geometry<f64>> {
    match way.kind {
        WaterKind::Area => closed_polygon(&way.refs, coords),
        WaterKind::Line => {
            let line: Option<LineString<f64>> = way
                .refs
                .iter()
                .map(|&id| coords(id).map(Coord::from))
                .collect();
            line.filter(|l| l.0.len() >= 2).map(Geometry::LineString)
        }
    }
}

fn water_ways(e: &Element<'_>, out: &mut Vec<WaterWay>) {
    if let Element::Way(w) = e {
        let refs: Vec<i64> = w.refs().collect();
        let closed = refs.len() >= 4 && refs.first() == refs.last();
        if let Some(kind) = water_kind(w.tags(), closed) {
            out.push(WaterWay {
                id: w.id(),
                refs,
                kind,
            });
        }
    }
}

fn node_coords(e: &Element<'_>, wanted: &[i64], out: &mut Vec<(i64, (f64, f64))>) {
    let (id, lon, lat) = match e {
        Element::DenseNode(n) => (n.id(), n.lon(), n.lat()),
        Element::Node(n) => (n.id(), n.lon(), n.lat()),
        _ => return,
    };
    if wanted.binary_search(&id).is_ok() {
        out.push((id, (lon, lat)));
    }
}

/// One parallel pass over the blobs of `path`, each element handed to `keep` with the
/// blob's output; the outputs are concatenated (in no particular order).
fn blob_pass<T: Send>(
    path: &Path,
    keep: impl Fn(&Element<'_>, &mut Vec<T>) + Sync,
) -> Result<Vec<T>> {
    let bad = |e: osmpbf::Error| Error::data(path, format!("not a readable OSM PBF file: {e}"));
    let reader = BlobReader::from_path(path).map_err(bad)?;
    let parts: Vec<Vec<T>> = reader
        .par_bridge()
        .map(|blob| {
            let mut out = Vec::new();
            if let BlobDecode::OsmData(block) = blob.map_err(bad)?.decode().map_err(bad)? {
                block.for_each_element(|e| keep(&e, &mut out));
            }
            Ok(out)
        })
        .collect::<Result<_>>()?;
    Ok(parts.into_iter().flatten().collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::options::CoverageOptions;
    use crate::pipeline::Stages;
    use geozero::mvt::{Message, Tile};

    fn town() -> City {
        let options = CoverageOptions {
            categories: vec!["childcare".into()],
            ..CoverageOptions::default()
        };
        let config = options
            .resolve(
                "data/sample-town.osm.pbf".as_ref(),
                "target/serve-basemap-town".as_ref(),
            )
            .unwrap();
        City::prepare(&config, &mut Stages::default(), &|_: &str| {}).unwrap()
    }

    #[test]
    fn street_kinds_follow_the_highway_tag() {
        assert_eq!(street_kind(Some("primary")), "major");
        assert_eq!(street_kind(Some("secondary_link")), "major");
        assert_eq!(street_kind(Some("residential")), "minor");
        assert_eq!(street_kind(Some("footway")), "path");
        assert_eq!(street_kind(None), "path");
    }

    #[test]
    fn water_tags_make_areas_when_closed_and_rivers_lines() {
        let kind = |pairs: &[(&'static str, &'static str)], closed| {
            water_kind(pairs.iter().copied(), closed)
        };
        assert_eq!(kind(&[("natural", "water")], true), Some(WaterKind::Area));
        assert_eq!(kind(&[("natural", "water")], false), None);
        assert_eq!(kind(&[("water", "pond")], true), Some(WaterKind::Area));
        assert_eq!(kind(&[("landuse", "basin")], true), Some(WaterKind::Area));
        assert_eq!(kind(&[("waterway", "river")], false), Some(WaterKind::Line));
        assert_eq!(kind(&[("waterway", "ditch")], false), None);
        assert_eq!(kind(&[("building", "yes")], true), None);
    }

    #[test]
    fn sample_town_base_map_has_streets_and_buildings_at_its_centre() {
        let city = town();
        let base = BaseMap::build(&city, &city.input.path).unwrap();
        assert_eq!(base.streets.len(), city.graph.edge_count());
        assert_eq!(base.street_kinds.len(), city.graph.edge_count());
        assert!(!base.buildings.is_empty());
        let (w, s, e, n) = city.extract.nodes.bounds().unwrap();
        let (x, y) = tile_of(15, (w + e) / 2.0, (s + n) / 2.0);
        let tile = Tile::decode(&base.tile(15, x, y).unwrap()[..]).unwrap();
        let names: Vec<&str> = tile.layers.iter().map(|l| l.name.as_str()).collect();
        assert!(
            names.contains(&"streets") && names.contains(&"buildings"),
            "{names:?}"
        );
        let streets = tile.layers.iter().find(|l| l.name == "streets").unwrap();
        assert_eq!(streets.keys, vec!["kind".to_string()]);
    }

    /// Column and row of the tile holding `(lon, lat)` at zoom `z`.
    fn tile_of(z: u8, lon: f64, lat: f64) -> (u32, u32) {
        let n = f64::from(1u32 << z);
        let lat = lat.to_radians();
        let x = (lon + 180.0) / 360.0 * n;
        let y = (1.0 - lat.tan().asinh() / std::f64::consts::PI) / 2.0 * n;
        (x as u32, y as u32)
    }
}

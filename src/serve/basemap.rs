//! The base map (`streets`, `buildings`, `water`) drawn from the extract itself, so the page
//! needs no tile server and nothing online.
//!
//! - **streets**: every edge of the walking graph, with a `kind` ("major", "minor" or "path")
//!   from the `highway` tag of the way it came from ([`street_kind`]);
//! - **buildings**: closed ways tagged `building` (not `building=no`) and the closed outer
//!   ways of `building` multipolygons the reader kept, each way drawn once (holes of
//!   multipolygons are not drawn);
//! - **water**: the batch reader keeps no water, so [`read_water`] makes its own
//!   parallel read of the PBF with the `osmpbf` crate: closed ways tagged `natural=water`,
//!   `waterway=riverbank`, `landuse=reservoir|basin` or `water=*` as polygons, and ways
//!   tagged `waterway=river|stream|canal` as lines, and multipolygon relations with those
//!   area tags (their member ways joined into rings; a way that is also a member is drawn
//!   only in its relation).

use std::collections::{HashMap, HashSet};
use std::path::Path;

use geo::{Coord, Geometry, Intersects, LineString, MultiPolygon, Polygon};
use osmpbf::{BlobDecode, BlobReader, Element, RelMemberType};
use rayon::prelude::*;

use super::tiles::{BadTile, PropValue, TileLayer, encode_tile};
use crate::error::{Error, Result};
use crate::osm::read::RawWay;
use crate::osm::{Tags, tag};
use crate::pipeline::City;

/// Zoom from which streets are drawn.
pub const STREETS_MIN_ZOOM: u8 = 10;
/// Zoom from which streets of kind "path" are drawn: below it they would crowd the roads.
pub const PATHS_MIN_ZOOM: u8 = 13;
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
    /// `buildings`); empty when nothing is in it. Streets of kind "path" are drawn from
    /// [`PATHS_MIN_ZOOM`] on.
    ///
    /// # Errors
    /// [`BadTile`] when the tile does not exist.
    pub fn tile(&self, z: u8, x: u32, y: u32) -> std::result::Result<Vec<u8>, BadTile> {
        let plain = |_: usize| Some(Vec::new());
        let kind = |e: usize| {
            let kind = self.street_kinds[e];
            (z >= PATHS_MIN_ZOOM || kind != "path")
                .then(|| vec![("kind", PropValue::Text(kind.into()))])
        };
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

/// Whether a way with these tags is water, and drawn how: a line, or an area when it is
/// closed.
fn water_kind<'a>(tags: impl Iterator<Item = (&'a str, &'a str)>) -> Option<WaterKind> {
    let mut kind = None;
    for (k, v) in tags {
        match (k, v) {
            ("waterway", "river" | "stream" | "canal") => return Some(WaterKind::Line),
            ("natural", "water") | ("waterway", "riverbank") | ("water", _) => {
                kind = Some(WaterKind::Area)
            }
            ("landuse", "reservoir" | "basin") => kind = Some(WaterKind::Area),
            _ => {}
        }
    }
    kind
}

/// A water way as read in the first pass.
struct WaterWay {
    id: i64,
    refs: Vec<i64>,
    kind: WaterKind,
}

/// A water multipolygon as read in the first pass: its member ways, `true` for outers.
struct WaterRelation {
    members: Vec<(i64, bool)>,
}

/// What a pass keeps of an element.
enum Kept {
    Way(WaterWay),
    Relation(WaterRelation),
    Refs(i64, Vec<i64>),
    Node(i64, (f64, f64)),
}

/// Water areas and lines of the extract at `path`, in lon/lat: water ways by id, then water
/// multipolygons in file order.
///
/// Parallel passes with `osmpbf`: the first keeps water ways and multipolygons, the second
/// the coordinates of the ways' nodes and the node lists of the multipolygons' member ways,
/// a third (only when there are multipolygons) the coordinates of those. The later passes
/// decode only the blobs the first saw holding wanted node ids (or ways, for members).
///
/// # Errors
/// [`Error::Io`] when the file cannot be opened; [`Error::Data`] when `osmpbf` cannot read it.
pub fn read_water(path: &Path) -> Result<Vec<Geometry<f64>>> {
    let (found, blobs) = blob_pass(path, |_| true, water_elements)?;
    let (mut ways, relations) = split_found(found);
    let members: HashSet<i64> = relations
        .iter()
        .flat_map(|r| r.members.iter().map(|m| m.0))
        .collect();
    ways.retain(|w| w.kind == WaterKind::Line || !members.contains(&w.id));
    ways.sort_unstable_by_key(|w| w.id);
    let wanted = sorted_ids(ways.iter().flat_map(|w| w.refs.iter().copied()));
    let second = |i: usize| blobs[i].holds_any(&wanted) || (blobs[i].ways && !members.is_empty());
    let (mut nodes, member_refs) = split_second(
        blob_pass(path, second, |e, out| {
            node_coords(e, &wanted, out);
            member_refs(e, &members, out);
        })?
        .0,
    );
    let extra = sorted_ids(member_refs.values().flatten().copied());
    if !extra.is_empty() {
        let third = |i: usize| blobs[i].holds_any(&extra);
        let kept = blob_pass(path, third, |e, out| node_coords(e, &extra, out))?.0;
        nodes.extend(split_second(kept).0);
    }
    nodes.sort_unstable_by_key(|n| n.0);
    let coords = |id: i64| {
        let i = nodes.binary_search_by_key(&id, |n| n.0).ok()?;
        Some(nodes[i].1)
    };
    let mut water: Vec<Geometry<f64>> = ways
        .iter()
        .filter_map(|w| water_geometry(w, coords))
        .collect();
    water.extend(
        relations
            .iter()
            .filter_map(|r| multipolygon(r, &member_refs, coords)),
    );
    Ok(water)
}

fn sorted_ids(ids: impl Iterator<Item = i64>) -> Vec<i64> {
    let mut ids: Vec<i64> = ids.collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

fn split_found(kept: Vec<Kept>) -> (Vec<WaterWay>, Vec<WaterRelation>) {
    let (mut ways, mut relations) = (Vec::new(), Vec::new());
    for k in kept {
        match k {
            Kept::Way(w) => ways.push(w),
            Kept::Relation(r) => relations.push(r),
            Kept::Refs(..) | Kept::Node(..) => {}
        }
    }
    (ways, relations)
}

type NodeList = Vec<(i64, (f64, f64))>;

fn split_second(kept: Vec<Kept>) -> (NodeList, HashMap<i64, Vec<i64>>) {
    let (mut nodes, mut refs) = (Vec::new(), HashMap::new());
    for k in kept {
        match k {
            Kept::Node(id, c) => nodes.push((id, c)),
            Kept::Refs(id, r) => {
                refs.insert(id, r);
            }
            Kept::Way(_) | Kept::Relation(_) => {}
        }
    }
    (nodes, refs)
}

fn water_geometry(
    way: &WaterWay,
    coords: impl Fn(i64) -> Option<(f64, f64)>,
) -> Option<Geometry<f64>> {
    match way.kind {
        WaterKind::Area => closed_polygon(&way.refs, coords),
        WaterKind::Line => {
            let line = line_of(&way.refs, coords)?;
            (line.0.len() >= 2).then_some(Geometry::LineString(line))
        }
    }
}

fn line_of(refs: &[i64], coords: impl Fn(i64) -> Option<(f64, f64)>) -> Option<LineString<f64>> {
    refs.iter().map(|&id| coords(id).map(Coord::from)).collect()
}

/// A water multipolygon's outer rings, each with the inner rings whose first point lies in
/// it; rings that do not close, or miss a node, are left out.
fn multipolygon(
    relation: &WaterRelation,
    refs: &HashMap<i64, Vec<i64>>,
    coords: impl Fn(i64) -> Option<(f64, f64)> + Copy,
) -> Option<Geometry<f64>> {
    let rings_of = |outer: bool| -> Vec<LineString<f64>> {
        let parts = relation
            .members
            .iter()
            .filter(|m| m.1 == outer)
            .filter_map(|m| refs.get(&m.0).cloned())
            .collect();
        assemble_rings(parts)
            .iter()
            .filter_map(|r| line_of(r, coords))
            .collect()
    };
    let inners = rings_of(false);
    let polygons: Vec<Polygon<f64>> = rings_of(true)
        .into_iter()
        .map(|outer| {
            let shell = Polygon::new(outer.clone(), Vec::new());
            let holes = inners
                .iter()
                .filter(|i| shell.intersects(&i.0[0]))
                .cloned()
                .collect();
            Polygon::new(outer, holes)
        })
        .collect();
    (!polygons.is_empty()).then(|| Geometry::MultiPolygon(MultiPolygon::new(polygons)))
}

/// Closed rings joined end to end from ways' node lists (a way may run either way round).
fn assemble_rings(mut parts: Vec<Vec<i64>>) -> Vec<Vec<i64>> {
    let mut rings = Vec::new();
    parts.reverse();
    while let Some(mut ring) = parts.pop() {
        while let (Some(&end), false) = (ring.last(), ring.first() == ring.last()) {
            let at = parts
                .iter()
                .position(|p| p.first() == Some(&end) || p.last() == Some(&end));
            let Some(at) = at else { break };
            let mut next = parts.remove(at);
            if next.first() != Some(&end) {
                next.reverse();
            }
            ring.extend_from_slice(&next[1..]);
        }
        if ring.len() >= 4 && ring.first() == ring.last() {
            rings.push(ring);
        }
    }
    rings
}

fn water_elements(e: &Element<'_>, out: &mut Vec<Kept>) {
    match e {
        Element::Way(w) => {
            let Some(kind) = water_kind(w.tags()) else {
                return;
            };
            let refs: Vec<i64> = w.refs().collect();
            let closed = refs.len() >= 4 && refs.first() == refs.last();
            if kind == WaterKind::Line || closed {
                out.push(Kept::Way(WaterWay {
                    id: w.id(),
                    refs,
                    kind,
                }));
            }
        }
        Element::Relation(r) => {
            let multipolygon = r.tags().any(|t| t == ("type", "multipolygon"));
            if multipolygon && water_kind(r.tags()) == Some(WaterKind::Area) {
                let members = r
                    .members()
                    .filter(|m| m.member_type == RelMemberType::Way)
                    .map(|m| (m.member_id, m.role().unwrap_or("") != "inner"))
                    .collect();
                out.push(Kept::Relation(WaterRelation { members }));
            }
        }
        _ => {}
    }
}

fn member_refs(e: &Element<'_>, members: &HashSet<i64>, out: &mut Vec<Kept>) {
    if let Element::Way(w) = e
        && members.contains(&w.id())
    {
        out.push(Kept::Refs(w.id(), w.refs().collect()));
    }
}

fn node_coords(e: &Element<'_>, wanted: &[i64], out: &mut Vec<Kept>) {
    let (id, lon, lat) = match e {
        Element::DenseNode(n) => (n.id(), n.lon(), n.lat()),
        Element::Node(n) => (n.id(), n.lon(), n.lat()),
        _ => return,
    };
    if wanted.binary_search(&id).is_ok() {
        out.push(Kept::Node(id, (lon, lat)));
    }
}

/// What a pass saw of one blob: the range of node ids it holds, and whether it holds ways.
#[derive(Debug, Clone, Copy, Default)]
struct BlobSummary {
    nodes: Option<(i64, i64)>,
    ways: bool,
}

impl BlobSummary {
    fn see(&mut self, e: &Element<'_>) {
        let id = match e {
            Element::DenseNode(n) => n.id(),
            Element::Node(n) => n.id(),
            Element::Way(_) => {
                self.ways = true;
                return;
            }
            Element::Relation(_) => return,
        };
        let (lo, hi) = self.nodes.unwrap_or((id, id));
        self.nodes = Some((lo.min(id), hi.max(id)));
    }

    /// Whether the blob may hold one of the nodes `sorted_ids`.
    fn holds_any(&self, sorted_ids: &[i64]) -> bool {
        self.nodes.is_some_and(|(lo, hi)| {
            let at = sorted_ids.partition_point(|&id| id < lo);
            sorted_ids.get(at).is_some_and(|&id| id <= hi)
        })
    }
}

/// One parallel pass over the blobs of `path`, decoding only the blobs `wanted` by their
/// index (0 the header) and handing each element to `keep` with the blob's output; the
/// outputs are concatenated (in no particular order), and each blob's summary returned by
/// index (default for blobs not decoded).
fn blob_pass<T: Send>(
    path: &Path,
    wanted: impl Fn(usize) -> bool + Sync,
    keep: impl Fn(&Element<'_>, &mut Vec<T>) + Sync,
) -> Result<(Vec<T>, Vec<BlobSummary>)> {
    let bad = |e: osmpbf::Error| Error::data(path, format!("not a readable OSM PBF file: {e}"));
    let reader = BlobReader::from_path(path).map_err(bad)?;
    let mut parts: Vec<(usize, Vec<T>, BlobSummary)> = reader
        .enumerate()
        .par_bridge()
        .map(|(i, blob)| {
            let (mut out, mut summary) = (Vec::new(), BlobSummary::default());
            let blob = blob.map_err(bad)?;
            if wanted(i)
                && let BlobDecode::OsmData(block) = blob.decode().map_err(bad)?
            {
                block.for_each_element(|e| {
                    summary.see(&e);
                    keep(&e, &mut out);
                });
            }
            Ok((i, out, summary))
        })
        .collect::<Result<_>>()?;
    parts.sort_unstable_by_key(|p| p.0);
    let summaries = parts.iter().map(|p| p.2).collect();
    Ok((parts.into_iter().flat_map(|p| p.1).collect(), summaries))
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
    fn water_tags_make_areas_and_rivers_lines() {
        let kind = |pairs: &[(&'static str, &'static str)]| water_kind(pairs.iter().copied());
        assert_eq!(kind(&[("natural", "water")]), Some(WaterKind::Area));
        assert_eq!(kind(&[("water", "pond")]), Some(WaterKind::Area));
        assert_eq!(kind(&[("landuse", "basin")]), Some(WaterKind::Area));
        assert_eq!(kind(&[("waterway", "river")]), Some(WaterKind::Line));
        assert_eq!(kind(&[("waterway", "ditch")]), None);
        assert_eq!(kind(&[("building", "yes")]), None);
    }

    #[test]
    fn rings_join_ways_either_way_round_and_open_chains_are_dropped() {
        let parts = vec![vec![1, 2, 3], vec![5, 4, 3], vec![5, 6, 1], vec![7, 8, 9]];
        assert_eq!(assemble_rings(parts), vec![vec![1, 2, 3, 4, 5, 6, 1]]);
        let closed = vec![vec![10, 11, 12, 10]];
        assert_eq!(assemble_rings(closed.clone()), closed);
    }

    #[test]
    fn blob_summary_knows_which_node_ids_it_may_hold() {
        let blob = BlobSummary {
            nodes: Some((10, 20)),
            ways: false,
        };
        assert!(blob.holds_any(&[1, 15, 30]));
        assert!(blob.holds_any(&[20]));
        assert!(!blob.holds_any(&[1, 9, 21]));
        assert!(!BlobSummary::default().holds_any(&[1]));
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
        let kinds = |l: &geozero::mvt::tile::Layer| -> Vec<String> {
            l.values
                .iter()
                .filter_map(|v| v.string_value.clone())
                .collect()
        };
        assert_eq!(kinds(streets), vec!["minor".to_string()]);
        // the town has a few paths; its zoom-12 tile leaves them out
        assert!(base.street_kinds.contains(&"path"));
        let (x, y) = tile_of(12, (w + e) / 2.0, (s + n) / 2.0);
        let tile = Tile::decode(&base.tile(12, x, y).unwrap()[..]).unwrap();
        let streets = tile.layers.iter().find(|l| l.name == "streets").unwrap();
        assert!(
            !kinds(streets).contains(&"path".to_string()),
            "no paths below zoom 13"
        );
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

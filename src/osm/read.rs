//! One parallel pass over a PBF extract, keeping only what the pipeline needs.
//!
//! # Why one pass
//! A PBF file stores nodes first, then ways, then relations, and a way names its nodes by id
//! only. A two-pass reader (ways first, then only the nodes they use) holds less, but inflates
//! every blob twice, and inflating is most of the cost of reading. This reader inflates each
//! blob once, on all cores, and keeps for every node just its id and coordinates (16 bytes);
//! once the ways are known, the coordinates of nodes no kept way uses are dropped. Tags are
//! kept only for the elements that matter (walkable ways, buildings, landuse, facilities,
//! entrances, multipolygons of those, administrative boundaries).

use std::path::Path;

use osmpbf::{BlobDecode, BlobReader, Element, RelMemberType};
use rayon::prelude::*;

use super::{ElementKind, Tags, rules};
use crate::error::{Error, Result};
use crate::facilities::categories::Category;

/// A way as read: id, node refs, tags.
#[derive(Debug, Clone)]
pub struct RawWay {
    /// OSM way id.
    pub id: i64,
    /// Node ids in order.
    pub refs: Vec<i64>,
    /// Tags (empty for untagged multipolygon members).
    pub tags: Tags,
}

/// One member of a relation.
#[derive(Debug, Clone)]
pub struct RawMember {
    /// Element kind of the member.
    pub kind: ElementKind,
    /// OSM id of the member.
    pub id: i64,
    /// Role (`outer`, `inner`, …).
    pub role: String,
}

/// A relation as read.
#[derive(Debug, Clone)]
pub struct RawRelation {
    /// OSM relation id.
    pub id: i64,
    /// Members in order.
    pub members: Vec<RawMember>,
    /// Tags.
    pub tags: Tags,
}

/// A tagged node kept because it is a facility.
#[derive(Debug, Clone)]
pub struct RawNode {
    /// OSM node id.
    pub id: i64,
    /// Longitude, degrees.
    pub lon: f64,
    /// Latitude, degrees.
    pub lat: f64,
    /// Tags.
    pub tags: Tags,
}

/// Coordinates of the nodes the kept ways use, sorted by id, in 1e-7 degrees.
#[derive(Debug, Default)]
pub struct NodeCoords {
    ids: Vec<i64>,
    lon_lat_e7: Vec<(i32, i32)>,
}

impl NodeCoords {
    /// `(lon, lat)` in degrees of node `id`, if the extract holds it.
    pub fn get(&self, id: i64) -> Option<(f64, f64)> {
        let i = self.ids.binary_search(&id).ok()?;
        let (lon, lat) = self.lon_lat_e7[i];
        Some((f64::from(lon) * 1e-7, f64::from(lat) * 1e-7))
    }

    /// `(min_lon, min_lat, max_lon, max_lat)` of the held nodes, degrees.
    pub fn bounds(&self) -> Option<(f64, f64, f64, f64)> {
        let (lons, lats): (Vec<i32>, Vec<i32>) = self.lon_lat_e7.iter().copied().unzip();
        let deg = |v: Option<&i32>| v.map(|&v| f64::from(v) * 1e-7);
        Some((
            deg(lons.iter().min())?,
            deg(lats.iter().min())?,
            deg(lons.iter().max())?,
            deg(lats.iter().max())?,
        ))
    }

    /// How many nodes are held.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether no node is held.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// Element counts of the whole file.
#[derive(Debug, Default, Clone, Copy, serde::Serialize)]
pub struct ReadCounts {
    /// Blobs (compressed blocks) in the file.
    pub blobs: usize,
    /// Nodes in the file.
    pub nodes: usize,
    /// Ways in the file.
    pub ways: usize,
    /// Relations in the file.
    pub relations: usize,
}

/// What the pipeline keeps of an extract.
#[derive(Debug, Default)]
pub struct OsmExtract {
    /// Coordinates of every node a kept way uses.
    pub nodes: NodeCoords,
    /// Ways [`rules::is_walkable`] accepts.
    pub walk_ways: Vec<RawWay>,
    /// Ways tagged `building`, a landuse [`rules::landuse_class`] knows, or as a wanted facility.
    pub area_ways: Vec<RawWay>,
    /// Untagged or `boundary=administrative` ways used by a kept relation.
    pub member_ways: Vec<RawWay>,
    /// `type=multipolygon` relations tagged `building`, `landuse` or as a wanted facility, and
    /// `boundary=administrative` relations with an `admin_level`.
    pub relations: Vec<RawRelation>,
    /// Nodes tagged as a facility of a wanted category.
    pub facility_nodes: Vec<RawNode>,
    /// Ids of nodes tagged `entrance=*`, sorted.
    pub entrances: Vec<i64>,
    /// Counts of the whole file.
    pub counts: ReadCounts,
}

/// Per-blob partial result, merged in file order after the parallel pass.
#[derive(Default)]
struct Partial {
    coords: Vec<(i64, i32, i32)>,
    bad_coordinate: Option<(i64, f64, f64)>,
    header: bool,
    extract: OsmExtract,
    member_candidates: Vec<RawWay>,
}

fn owned_tags<'a>(tags: impl Iterator<Item = (&'a str, &'a str)>) -> Tags {
    tags.map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn wanted_area(tags: &[(String, String)], categories: &[Category]) -> bool {
    tags.iter().any(|(k, _)| k == "building")
        || rules::landuse_class(tags).is_some()
        || categories.iter().any(|c| c.matches(tags))
}

/// Reads the extract at `path`, keeping walkable ways, residents' buildings and landuse, and
/// facilities of `categories` (pass none when facilities come from a register).
///
/// # Errors
/// [`Error::Io`] when the file cannot be opened; [`Error::Data`] when it is empty, not a PBF,
/// truncated or corrupt, or holds a coordinate outside ±90°/±180°.
pub fn read_extract(path: &Path, categories: &[Category]) -> Result<OsmExtract> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    if file.metadata().map_err(|e| Error::io(path, e))?.len() == 0 {
        return Err(Error::data(
            path,
            "the file is empty, not an OSM PBF extract",
        ));
    }
    let reader = BlobReader::new(std::io::BufReader::new(file));
    let bad_pbf = |e: osmpbf::Error| Error::data(path, format!("not a readable OSM PBF file: {e}"));

    let mut partials: Vec<(usize, Partial)> = reader
        .enumerate()
        .par_bridge()
        .map(|(index, blob)| {
            let blob = blob.map_err(bad_pbf)?;
            let partial = match blob.decode().map_err(bad_pbf)? {
                BlobDecode::OsmHeader(_) => Partial {
                    header: true,
                    ..Partial::default()
                },
                BlobDecode::OsmData(block) => read_block(&block, categories),
                BlobDecode::Unknown(kind) => {
                    return Err(Error::data(
                        path,
                        format!("blob {index} has unknown type {kind:?}"),
                    ));
                }
            };
            Ok((index, partial))
        })
        .collect::<Result<_>>()?;
    partials.sort_unstable_by_key(|(index, _)| *index);

    if !partials.first().is_some_and(|(_, p)| p.header) {
        return Err(Error::data(
            path,
            "not an OSM PBF extract: it does not start with an OSMHeader block",
        ));
    }
    merge(path, partials.into_iter().map(|(_, p)| p))
}

/// An administrative boundary relation with an `admin_level`.
pub fn is_admin_boundary(tags: &[(String, String)]) -> bool {
    super::tag(tags, "boundary") == Some("administrative")
        && super::tag(tags, "admin_level").is_some()
}

fn read_block(block: &osmpbf::PrimitiveBlock, categories: &[Category]) -> Partial {
    let mut part = Partial::default();
    let on_node = |part: &mut Partial, id: i64, lon: f64, lat: f64, tags: Tags| {
        part.extract.counts.nodes += 1;
        if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
            part.bad_coordinate.get_or_insert((id, lon, lat));
            return;
        }
        part.coords
            .push((id, (lon * 1e7).round() as i32, (lat * 1e7).round() as i32));
        if tags.is_empty() {
            return;
        }
        if tags.iter().any(|(k, _)| k == "entrance") {
            part.extract.entrances.push(id);
        }
        if categories.iter().any(|c| c.matches(&tags)) {
            part.extract
                .facility_nodes
                .push(RawNode { id, lon, lat, tags });
        }
    };
    block.for_each_element(|element| match element {
        Element::DenseNode(n) => {
            let tags = owned_tags(n.tags());
            on_node(&mut part, n.id(), n.lon(), n.lat(), tags)
        }
        Element::Node(n) => {
            let tags = owned_tags(n.tags());
            on_node(&mut part, n.id(), n.lon(), n.lat(), tags)
        }
        Element::Way(w) => {
            part.extract.counts.ways += 1;
            let tags = owned_tags(w.tags());
            let way = || RawWay {
                id: w.id(),
                refs: w.refs().collect(),
                tags: Vec::new(),
            };
            if tags.is_empty() || super::tag(&tags, "boundary") == Some("administrative") {
                // kept only if a kept relation uses it (see `merge`)
                part.member_candidates.push(way());
            } else if rules::is_walkable(&tags) {
                part.extract.walk_ways.push(RawWay { tags, ..way() });
            } else if wanted_area(&tags, categories) {
                part.extract.area_ways.push(RawWay { tags, ..way() });
            }
        }
        Element::Relation(r) => {
            part.extract.counts.relations += 1;
            let tags = owned_tags(r.tags());
            let multipolygon = super::tag(&tags, "type") == Some("multipolygon");
            if (multipolygon && wanted_area(&tags, categories)) || is_admin_boundary(&tags) {
                let members = r
                    .members()
                    .map(|m| RawMember {
                        kind: match m.member_type {
                            RelMemberType::Node => ElementKind::Node,
                            RelMemberType::Way => ElementKind::Way,
                            RelMemberType::Relation => ElementKind::Relation,
                        },
                        id: m.member_id,
                        role: m.role().unwrap_or("").to_string(),
                    })
                    .collect();
                part.extract.relations.push(RawRelation {
                    id: r.id(),
                    members,
                    tags,
                });
            }
        }
    });
    part
}

fn merge(path: &Path, partials: impl Iterator<Item = Partial>) -> Result<OsmExtract> {
    let mut out = OsmExtract::default();
    let mut coords = Vec::new();
    let mut untagged = Vec::new();
    for p in partials {
        out.counts.blobs += 1;
        if let Some((id, lon, lat)) = p.bad_coordinate {
            return Err(Error::data(
                path,
                format!(
                    "node/{id} has coordinates ({lon}, {lat}) outside ±180° longitude / ±90° latitude"
                ),
            ));
        }
        coords.extend(p.coords);
        untagged.extend(p.member_candidates);
        let e = p.extract;
        out.counts.nodes += e.counts.nodes;
        out.counts.ways += e.counts.ways;
        out.counts.relations += e.counts.relations;
        out.walk_ways.extend(e.walk_ways);
        out.area_ways.extend(e.area_ways);
        out.relations.extend(e.relations);
        out.facility_nodes.extend(e.facility_nodes);
        out.entrances.extend(e.entrances);
    }
    out.entrances.sort_unstable();

    let mut member_ids: Vec<i64> = out
        .relations
        .iter()
        .flat_map(|r| r.members.iter())
        .filter(|m| m.kind == ElementKind::Way)
        .map(|m| m.id)
        .collect();
    member_ids.sort_unstable();
    out.member_ways = untagged
        .into_iter()
        .filter(|w| member_ids.binary_search(&w.id).is_ok())
        .collect();

    let mut used: Vec<i64> = [&out.walk_ways, &out.area_ways, &out.member_ways]
        .into_iter()
        .flat_map(|ways| ways.iter().flat_map(|w| w.refs.iter().copied()))
        .collect();
    used.par_sort_unstable();
    used.dedup();
    if !coords.is_sorted_by_key(|c| c.0) {
        coords.par_sort_unstable_by_key(|c| c.0);
    }
    let mut nodes = NodeCoords::default();
    let mut wanted = used.iter().peekable();
    for (id, lon, lat) in coords {
        while wanted.next_if(|w| **w < id).is_some() {}
        if wanted.peek() == Some(&&id) {
            nodes.ids.push(id);
            nodes.lon_lat_e7.push((lon, lat));
        }
    }
    out.nodes = nodes;
    Ok(out)
}

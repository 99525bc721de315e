//! `fifteen tile`: a city-sized extract built from a real one, for benchmarks.
//!
//! The input is read once, whole (every node, way and relation with its tags), and written
//! `cols × rows` times side by side:
//!
//! - **ids** of tile `t` (row-major, `t = row · cols + col`) are `id + t · span`, where `span`
//!   is one more than the largest id of that element type in the file *or referenced by it*
//!   (way refs, relation members), so tiles never share an id and every reference stays
//!   inside its own tile;
//! - **coordinates** of tile `(col, row)` are shifted by `col` tile widths east and `row`
//!   tile heights north, in exact 1e-7° steps. The tile is the header's bounding box (the
//!   area the extract was cut to) when the file has one, else the box around its nodes;
//!   `gap_m` metres are added between tiles. Nodes outside the header box (the far ends of
//!   ways that cross the cut) overlap the neighbouring tile's area but share no node with it;
//! - **stitching**: across every shared tile edge, each walkable way (as the pipeline judges
//!   it) with a node within `stitch_m` of the edge gets one connecting `highway=footway`
//!   way (tagged `fifteen:tile=connector`), two nodes long, from its node nearest to any
//!   walkable node of the neighbouring tile that also lies within `stitch_m` of the edge, to
//!   that node, when they lie at most `max_link_m` apart. A real extract's streets seldom
//!   reach its box (Liechtenstein's are bounded by the Rhine and the Alps), so connectors are
//!   straight footways up to a few kilometres long. Connector ways get ids after every
//!   tile's ways.
//!
//! The output is sorted like osmium writes it: nodes, then ways, then relations, each by id
//! (tile by tile, since ids grow with the tile). Element metadata is not written. The file
//! is written to a temporary name and renamed into place when complete.

use std::io::BufWriter;
use std::path::Path;

use osmpbf::{BlobDecode, BlobReader, Element, RelMemberType};
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::osm::Tags;
use crate::osm::rules;
use crate::osm::write::{Member, MemberType, PbfWriter};

/// Metres per degree of latitude (mean Earth radius 6,371,008.8 m).
const M_PER_DEG: f64 = 111_195.08;

/// How to tile.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TileOptions {
    /// Tiles west to east.
    pub cols: u32,
    /// Tiles south to north.
    pub rows: u32,
    /// Space left between neighbouring tiles, metres.
    pub gap_m: f64,
    /// Band along a shared edge where walkable ways are stitched, metres.
    pub stitch_m: f64,
    /// Longest connector, metres.
    pub max_link_m: f64,
}

impl Default for TileOptions {
    fn default() -> Self {
        TileOptions {
            cols: 2,
            rows: 2,
            gap_m: 0.0,
            stitch_m: 1000.0,
            max_link_m: 3000.0,
        }
    }
}

/// What a tiling wrote.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct TileReport {
    /// Tiles written.
    pub tiles: u32,
    /// Nodes written.
    pub nodes: u64,
    /// Ways written, connectors included.
    pub ways: u64,
    /// Relations written.
    pub relations: u64,
    /// Connector ways added between tiles.
    pub connectors: u64,
    /// Connectors across one east–west edge (between a tile and the one east of it).
    pub connectors_per_east_edge: u64,
    /// Connectors across one south–north edge.
    pub connectors_per_north_edge: u64,
    /// Longest connector, metres.
    pub longest_connector_m: f64,
    /// `(min_lon, min_lat, max_lon, max_lat)` of one tile as used for shifting, degrees.
    pub tile_bbox: (f64, f64, f64, f64),
}

/// Parses `COLSxROWS` (e.g. `8x8`, `4x2`).
///
/// # Errors
/// [`Error::Usage`] unless both are whole numbers ≥ 1 and the grid holds at most 4,096 tiles.
pub fn parse_grid(spec: &str) -> Result<(u32, u32)> {
    let bad = || {
        Error::Usage(format!(
            "--grid {spec:?}: expected COLSxROWS with whole numbers ≥ 1, e.g. 8x8"
        ))
    };
    let (c, r) = spec.split_once(['x', 'X', '×']).ok_or_else(bad)?;
    let cols: u32 = c.trim().parse().map_err(|_| bad())?;
    let rows: u32 = r.trim().parse().map_err(|_| bad())?;
    if cols == 0 || rows == 0 {
        return Err(bad());
    }
    if u64::from(cols) * u64::from(rows) > 4096 {
        return Err(Error::Usage(format!(
            "--grid {spec}: at most 4096 tiles, not {}",
            u64::from(cols) * u64::from(rows)
        )));
    }
    Ok((cols, rows))
}

#[derive(Debug)]
struct TNode {
    id: i64,
    lon: i32,
    lat: i32,
    tags: Tags,
}

#[derive(Debug)]
struct TWay {
    id: i64,
    refs: Vec<i64>,
    tags: Tags,
}

#[derive(Debug)]
struct TRelation {
    id: i64,
    members: Vec<(MemberType, i64, String)>,
    tags: Tags,
}

#[derive(Debug, Default)]
struct Source {
    header_bbox: Option<(f64, f64, f64, f64)>,
    nodes: Vec<TNode>,
    ways: Vec<TWay>,
    relations: Vec<TRelation>,
}

fn borrowed(tags: &Tags) -> Vec<(&str, &str)> {
    tags.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

fn owned<'a>(tags: impl Iterator<Item = (&'a str, &'a str)>) -> Tags {
    tags.map(|(k, v)| (k.to_owned(), v.to_owned())).collect()
}

/// Reads every element of `path`, sorted by type then id.
fn read_all(path: &Path) -> Result<Source> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let bad = |e: osmpbf::Error| Error::data(path, format!("not a readable OSM PBF file: {e}"));
    let mut parts: Vec<(usize, Source)> = BlobReader::new(std::io::BufReader::new(file))
        .enumerate()
        .par_bridge()
        .map(|(index, blob)| {
            let mut part = Source::default();
            match blob.map_err(bad)?.decode().map_err(bad)? {
                BlobDecode::OsmHeader(h) => {
                    part.header_bbox = h.bbox().map(|b| {
                        (
                            b.left.min(b.right),
                            b.top.min(b.bottom),
                            b.left.max(b.right),
                            b.top.max(b.bottom),
                        )
                    });
                }
                BlobDecode::OsmData(block) => block.for_each_element(|e| match e {
                    Element::DenseNode(n) => part.nodes.push(TNode {
                        id: n.id(),
                        lon: n.decimicro_lon(),
                        lat: n.decimicro_lat(),
                        tags: owned(n.tags()),
                    }),
                    Element::Node(n) => part.nodes.push(TNode {
                        id: n.id(),
                        lon: n.decimicro_lon(),
                        lat: n.decimicro_lat(),
                        tags: owned(n.tags()),
                    }),
                    Element::Way(w) => part.ways.push(TWay {
                        id: w.id(),
                        refs: w.refs().collect(),
                        tags: owned(w.tags()),
                    }),
                    Element::Relation(r) => part.relations.push(TRelation {
                        id: r.id(),
                        members: r
                            .members()
                            .map(|m| {
                                let kind = match m.member_type {
                                    RelMemberType::Node => MemberType::Node,
                                    RelMemberType::Way => MemberType::Way,
                                    RelMemberType::Relation => MemberType::Relation,
                                };
                                (kind, m.member_id, m.role().unwrap_or("").to_owned())
                            })
                            .collect(),
                        tags: owned(r.tags()),
                    }),
                }),
                BlobDecode::Unknown(kind) => {
                    return Err(Error::data(
                        path,
                        format!("blob {index} has unknown type {kind:?}"),
                    ));
                }
            }
            Ok((index, part))
        })
        .collect::<Result<_>>()?;
    parts.sort_unstable_by_key(|(i, _)| *i);
    let mut all = Source::default();
    for (_, p) in parts {
        all.header_bbox = all.header_bbox.or(p.header_bbox);
        all.nodes.extend(p.nodes);
        all.ways.extend(p.ways);
        all.relations.extend(p.relations);
    }
    all.nodes.par_sort_by_key(|n| n.id);
    all.ways.par_sort_by_key(|w| w.id);
    all.relations.sort_by_key(|r| r.id);
    Ok(all)
}

/// One past the largest id of each type, present or referenced: `(nodes, ways, relations)`.
fn id_spans(src: &Source) -> (i64, i64, i64) {
    let mut node = src.nodes.last().map_or(0, |n| n.id);
    let mut way = src.ways.last().map_or(0, |w| w.id);
    let mut rel = src.relations.last().map_or(0, |r| r.id);
    for w in &src.ways {
        node = node.max(w.refs.iter().copied().max().unwrap_or(0));
    }
    for r in &src.relations {
        for &(kind, id, _) in &r.members {
            let max = match kind {
                MemberType::Node => &mut node,
                MemberType::Way => &mut way,
                MemberType::Relation => &mut rel,
            };
            *max = (*max).max(id);
        }
    }
    (node + 1, way + 1, rel + 1)
}

/// A pair of node ids to connect: `(in the west or south tile, in the east or north tile)`.
type Pair = (i64, i64);

/// One kind of shared edge (east–west or south–north) between a tile and the next.
struct Seam<'a> {
    /// Metres from node `i` to the shared edge on the first tile's high side (east or north).
    edge_dist_high: &'a dyn Fn(usize) -> f64,
    /// Metres from node `i` to the tile's low edge (west or south), where the next tile
    /// meets the first once shifted by `shift_xy` metres.
    edge_dist_low: &'a dyn Fn(usize) -> f64,
    /// Where the next tile's frame lies in the first's, metres east and north.
    shift_xy: (f64, f64),
}

/// Connectors across one shared edge, in base (untiled) ids, with their lengths.
fn stitch(
    src: &Source,
    walkable: &[usize],
    node_xy: &dyn Fn(usize) -> (f64, f64),
    seam: &Seam<'_>,
    opts: &TileOptions,
) -> Vec<(Pair, f64)> {
    let Seam {
        edge_dist_high,
        edge_dist_low,
        shift_xy,
    } = *seam;
    let (band_m, max_link_m) = (opts.stitch_m, opts.max_link_m);
    let node_index = |id: i64| src.nodes.binary_search_by_key(&id, |n| n.id).ok();
    // Nodes of walkable ways within the band of the low edge of the next tile, moved into
    // this tile's frame.
    let mut targets: Vec<(usize, f64, f64)> = Vec::new();
    for &w in walkable {
        for &r in &src.ways[w].refs {
            if let Some(i) = node_index(r)
                && edge_dist_low(i).abs() <= band_m
            {
                let (x, y) = node_xy(i);
                targets.push((i, x + shift_xy.0, y + shift_xy.1));
            }
        }
    }
    targets.sort_unstable_by_key(|t| t.0);
    targets.dedup_by_key(|t| t.0);
    let mut pairs: Vec<(Pair, f64)> = Vec::new();
    if targets.is_empty() {
        return pairs;
    }
    for &w in walkable {
        let mut best: Option<(f64, usize, usize)> = None;
        for &r in &src.ways[w].refs {
            let Some(i) = node_index(r) else { continue };
            if edge_dist_high(i).abs() > band_m {
                continue;
            }
            let (x, y) = node_xy(i);
            for &(j, tx, ty) in &targets {
                let d = (tx - x).hypot(ty - y);
                if best.is_none_or(|(bd, _, _)| d < bd) {
                    best = Some((d, i, j));
                }
            }
        }
        if let Some((d, i, j)) = best
            && d <= max_link_m
        {
            pairs.push(((src.nodes[i].id, src.nodes[j].id), d));
        }
    }
    pairs.sort_unstable_by_key(|p| p.0);
    pairs.dedup_by_key(|p| p.0);
    pairs
}

/// Reads `input` and writes it tiled `cols × rows` into `output`.
///
/// # Errors
/// [`Error::Usage`] for a bad grid or options; [`Error::Io`] when a file cannot be read or
/// written; [`Error::Data`] when the input is not a readable PBF, holds no node, or the
/// tiled coordinates would leave ±180° / ±90°.
pub fn tile_extract(input: &Path, output: &Path, opts: &TileOptions) -> Result<TileReport> {
    if opts.cols == 0 || opts.rows == 0 {
        return Err(Error::Usage("the grid needs at least one tile".into()));
    }
    if !(opts.gap_m.is_finite() && opts.gap_m >= 0.0) {
        return Err(Error::Usage(format!(
            "--gap-m must be ≥ 0, not {}",
            opts.gap_m
        )));
    }
    if !(opts.max_link_m.is_finite() && opts.max_link_m >= 0.0) {
        return Err(Error::Usage(format!(
            "--max-link-m must be ≥ 0, not {}",
            opts.max_link_m
        )));
    }
    if !(opts.stitch_m.is_finite() && opts.stitch_m >= 0.0) {
        return Err(Error::Usage(format!(
            "--stitch-m must be ≥ 0, not {}",
            opts.stitch_m
        )));
    }
    let src = read_all(input)?;
    if src.nodes.is_empty() {
        return Err(Error::data(input, "the extract holds no node"));
    }
    if src.nodes.first().is_some_and(|n| n.id < 0)
        || src.ways.first().is_some_and(|w| w.id < 0)
        || src.relations.first().is_some_and(|r| r.id < 0)
    {
        return Err(Error::data(
            input,
            "negative ids (unsaved edits) cannot be tiled",
        ));
    }
    let e7 = |deg: f64| (deg * 1e7).round() as i64;
    let (lo_lon, lo_lat, hi_lon, hi_lat) = match src.header_bbox {
        Some((a, b, c, d)) if c > a && d > b => (e7(a), e7(b), e7(c), e7(d)),
        _ => {
            let lons = src.nodes.iter().map(|n| i64::from(n.lon));
            let lats = src.nodes.iter().map(|n| i64::from(n.lat));
            (
                lons.clone().min().unwrap_or(0),
                lats.clone().min().unwrap_or(0),
                lons.max().unwrap_or(0),
                lats.max().unwrap_or(0),
            )
        }
    };
    let mid_lat = (lo_lat + hi_lat) as f64 * 0.5e-7;
    let cos = mid_lat.to_radians().cos().max(0.01);
    // Shifts in 1e-7°: the tile's width and height plus the gap.
    let dlon = (hi_lon - lo_lon).max(1) + e7(opts.gap_m / (M_PER_DEG * cos));
    let dlat = (hi_lat - lo_lat).max(1) + e7(opts.gap_m / M_PER_DEG);

    // Metric position of each node in the base tile, and distances to its edges.
    let node_xy = |i: usize| {
        let n = &src.nodes[i];
        (
            (i64::from(n.lon) - lo_lon) as f64 * 1e-7 * M_PER_DEG * cos,
            (i64::from(n.lat) - lo_lat) as f64 * 1e-7 * M_PER_DEG,
        )
    };
    // The tile's own east and north edges, and how far the next tile is shifted (the same
    // unless there is a gap), metres.
    let east_edge_m = (hi_lon - lo_lon) as f64 * 1e-7 * M_PER_DEG * cos;
    let north_edge_m = (hi_lat - lo_lat) as f64 * 1e-7 * M_PER_DEG;
    let east_shift_m = dlon as f64 * 1e-7 * M_PER_DEG * cos;
    let north_shift_m = dlat as f64 * 1e-7 * M_PER_DEG;
    let walkable: Vec<usize> = src
        .ways
        .iter()
        .enumerate()
        .filter(|(_, w)| w.refs.len() >= 2 && rules::is_walk_candidate(&w.tags))
        .map(|(i, _)| i)
        .collect();
    let east_pairs = if opts.cols > 1 {
        stitch(
            &src,
            &walkable,
            &node_xy,
            &Seam {
                edge_dist_high: &|i| east_edge_m - node_xy(i).0,
                edge_dist_low: &|i| node_xy(i).0,
                shift_xy: (east_shift_m, 0.0),
            },
            opts,
        )
    } else {
        Vec::new()
    };
    let north_pairs = if opts.rows > 1 {
        stitch(
            &src,
            &walkable,
            &node_xy,
            &Seam {
                edge_dist_high: &|i| north_edge_m - node_xy(i).1,
                edge_dist_low: &|i| node_xy(i).1,
                shift_xy: (0.0, north_shift_m),
            },
            opts,
        )
    } else {
        Vec::new()
    };

    let (node_span, way_span, rel_span) = id_spans(&src);
    let tiles = i64::from(opts.cols) * i64::from(opts.rows);
    for span in [node_span, way_span, rel_span] {
        if span.checked_mul(tiles + 1).is_none() {
            return Err(Error::data(input, "ids too large to tile this many times"));
        }
    }
    let tile_of = |col: u32, row: u32| i64::from(row) * i64::from(opts.cols) + i64::from(col);

    // The output box; also checks every coordinate stays valid.
    let all_lon = |n: &TNode, col: i64| i64::from(n.lon) + col * dlon;
    let all_lat = |n: &TNode, row: i64| i64::from(n.lat) + row * dlat;
    let (min_lon, max_lon) = src.nodes.iter().fold((i64::MAX, i64::MIN), |(a, b), n| {
        (a.min(n.lon.into()), b.max(n.lon.into()))
    });
    let (min_lat, max_lat) = src.nodes.iter().fold((i64::MAX, i64::MIN), |(a, b), n| {
        (a.min(n.lat.into()), b.max(n.lat.into()))
    });
    let out_max_lon = max_lon + i64::from(opts.cols - 1) * dlon;
    let out_max_lat = max_lat + i64::from(opts.rows - 1) * dlat;
    if out_max_lon > 1_800_000_000 || out_max_lat > 900_000_000 {
        return Err(Error::data(
            input,
            format!(
                "a {}x{} grid would reach {:.3}°E {:.3}°N, beyond ±180° / ±90°",
                opts.cols,
                opts.rows,
                out_max_lon as f64 * 1e-7,
                out_max_lat as f64 * 1e-7
            ),
        ));
    }

    let dir = output.parent().filter(|p| !p.as_os_str().is_empty());
    if let Some(dir) = dir {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    let file_name = output
        .file_name()
        .ok_or_else(|| Error::Usage(format!("{}: not a file name", output.display())))?;
    let temp = output.with_file_name(format!(
        ".{}.tmp-{}",
        file_name.to_string_lossy(),
        std::process::id()
    ));
    let write = || -> std::io::Result<TileReport> {
        let file = std::fs::File::create(&temp)?;
        let deg = |v: i64| v as f64 * 1e-7;
        let mut w = PbfWriter::with_bbox(
            BufWriter::with_capacity(1 << 20, file),
            deg(min_lon),
            deg(min_lat),
            deg(out_max_lon),
            deg(out_max_lat),
        )?;
        let node_tags: Vec<Vec<(&str, &str)>> =
            src.nodes.iter().map(|n| borrowed(&n.tags)).collect();
        let way_tags: Vec<Vec<(&str, &str)>> = src.ways.iter().map(|x| borrowed(&x.tags)).collect();
        let mut report = TileReport {
            tiles: opts.cols * opts.rows,
            nodes: 0,
            ways: 0,
            relations: 0,
            connectors: 0,
            connectors_per_east_edge: east_pairs.len() as u64,
            connectors_per_north_edge: north_pairs.len() as u64,
            longest_connector_m: east_pairs
                .iter()
                .chain(&north_pairs)
                .map(|p| p.1)
                .fold(0.0, f64::max),
            tile_bbox: (
                deg(lo_lon),
                deg(lo_lat),
                deg(lo_lon + dlon),
                deg(lo_lat + dlat),
            ),
        };
        for row in 0..opts.rows {
            for col in 0..opts.cols {
                let t = tile_of(col, row);
                for (n, tags) in src.nodes.iter().zip(&node_tags) {
                    w.write_node(
                        n.id + t * node_span,
                        deg(all_lon(n, col.into())),
                        deg(all_lat(n, row.into())),
                        tags,
                    )?;
                    report.nodes += 1;
                }
            }
        }
        let mut refs = Vec::new();
        for t in 0..tiles {
            for (x, tags) in src.ways.iter().zip(&way_tags) {
                refs.clear();
                refs.extend(x.refs.iter().map(|r| r + t * node_span));
                w.write_way(x.id + t * way_span, &refs, tags)?;
                report.ways += 1;
            }
        }
        let connector_tags = [("highway", "footway"), ("fifteen:tile", "connector")];
        let mut next_id = tiles * way_span;
        for row in 0..opts.rows {
            for col in 0..opts.cols {
                let t = tile_of(col, row);
                let mut edges: Vec<(i64, &[(Pair, f64)])> = Vec::new();
                if col + 1 < opts.cols {
                    edges.push((tile_of(col + 1, row), &east_pairs));
                }
                if row + 1 < opts.rows {
                    edges.push((tile_of(col, row + 1), &north_pairs));
                }
                for (u, pairs) in edges {
                    for &((a, b), _) in pairs {
                        w.write_way(
                            next_id,
                            &[a + t * node_span, b + u * node_span],
                            &connector_tags,
                        )?;
                        next_id += 1;
                        report.ways += 1;
                        report.connectors += 1;
                    }
                }
            }
        }
        let mut members_buf: Vec<(MemberType, i64)> = Vec::new();
        for t in 0..tiles {
            for r in &src.relations {
                members_buf.clear();
                members_buf.extend(r.members.iter().map(|&(kind, id, _)| {
                    let span = match kind {
                        MemberType::Node => node_span,
                        MemberType::Way => way_span,
                        MemberType::Relation => rel_span,
                    };
                    (kind, id + t * span)
                }));
                let members: Vec<Member<'_>> = members_buf
                    .iter()
                    .zip(&r.members)
                    .map(|(&(kind, id), (_, _, role))| Member {
                        kind,
                        id,
                        role: role.as_str(),
                    })
                    .collect();
                w.write_relation(r.id + t * rel_span, &members, &borrowed(&r.tags))?;
                report.relations += 1;
            }
        }
        let inner = w.finish()?;
        inner.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        Ok(report)
    };
    match write() {
        Ok(report) => {
            std::fs::rename(&temp, output).map_err(|e| Error::io(output, e))?;
            Ok(report)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&temp);
            Err(Error::io(output, e))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grids_parse() {
        assert_eq!(parse_grid("8x8").ok(), Some((8, 8)));
        assert_eq!(parse_grid("4X2").ok(), Some((4, 2)));
        assert_eq!(parse_grid(" 3 x 1 ").ok(), Some((3, 1)));
        for bad in ["", "8", "0x3", "3x0", "x", "ax2", "-1x2", "65x64"] {
            assert!(parse_grid(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn id_spans_cover_references() {
        let src = Source {
            header_bbox: None,
            nodes: vec![TNode {
                id: 5,
                lon: 0,
                lat: 0,
                tags: Vec::new(),
            }],
            ways: vec![TWay {
                id: 3,
                refs: vec![5, 90],
                tags: Vec::new(),
            }],
            relations: vec![TRelation {
                id: 1,
                members: vec![
                    (MemberType::Way, 40, String::new()),
                    (MemberType::Relation, 7, String::new()),
                ],
                tags: Vec::new(),
            }],
        };
        assert_eq!(id_spans(&src), (91, 41, 8));
    }
}

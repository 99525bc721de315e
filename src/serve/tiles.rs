//! Mapbox Vector Tiles (MVT 2.1) of layers whose geometry is fixed and whose properties are
//! asked for per request.
//!
//! A [`TileLayer`] projects its lon/lat geometries to Web Mercator once, in normalised world
//! units (`0..1` west to east and north to south), and indexes their bounding boxes in an
//! R-tree. [`encode_tile`] then finds the features meeting a tile (with a buffer of
//! [`BUFFER_UNITS`]), asks the caller's closure for each one's properties, clips, simplifies
//! and quantises the geometry to the tile's [`EXTENT`] and writes the protobuf with geozero's
//! MVT types.
//!
//! # Small features
//! A polygon whose bounding box is under one pixel ([`PIXEL_UNITS`]) both ways is left out of
//! the tile, and so is a hole that small: at zoom 10 that drops almost every building, which
//! would draw as noise anyway. Lines are kept while they quantise to two distinct points.
//!
//! # Simplification
//! Below zoom [`EXACT_FROM_ZOOM`] lines and rings are simplified (Ramer–Douglas–Peucker, geo's
//! `Simplify`) with a tolerance of half a pixel; from that zoom on the tile is exact, so a
//! map that over-zooms a tile draws footprints true.

use geo::{Coord, CoordsIter, Geometry, LineString, MultiLineString, Polygon, Rect, Simplify};
use geozero::mvt::tile::{Feature, GeomType, Layer, Value};
use geozero::mvt::{Message, TagsBuilder, Tile, TileValue};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

/// Side of a tile in tile units.
pub const EXTENT: u32 = 4096;
/// One pixel of a 256-pixel tile, in tile units.
pub const PIXEL_UNITS: f64 = EXTENT as f64 / 256.0;
/// How far past its edges a tile draws, tile units (so strokes and fills join across edges).
pub const BUFFER_UNITS: f64 = 64.0;
/// Deepest zoom a tile may be asked for.
pub const MAX_ZOOM: u8 = 22;
/// Zoom from which geometry is not simplified.
pub const EXACT_FROM_ZOOM: u8 = 15;

/// A property value of a feature.
#[derive(Debug, Clone, PartialEq)]
pub enum PropValue {
    /// `true` or `false`.
    Bool(bool),
    /// A whole number (written as an MVT `sint`).
    Int(i64),
    /// A number (written as an MVT `double`).
    Float(f64),
    /// Text.
    Text(String),
}

/// The properties of feature `index` of a layer, or `None` to leave it out of the tile.
pub type PropsFn<'a> = &'a dyn Fn(usize) -> Option<Vec<(&'static str, PropValue)>>;

/// A tile address that does not exist: zoom over [`MAX_ZOOM`], or `x`/`y` not below `2^z`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("no tile {z}/{x}/{y}: zoom must be at most 22 and x, y below 2^zoom")]
pub struct BadTile {
    /// Zoom asked for.
    pub z: u8,
    /// Column asked for.
    pub x: u32,
    /// Row asked for.
    pub y: u32,
}

/// A feature's geometry in world units.
#[derive(Debug, Clone)]
enum Shape {
    Points(Vec<Coord<f64>>),
    Lines(MultiLineString<f64>),
    Polygons(Vec<Polygon<f64>>),
}

/// A named layer of fixed geometries, projected and indexed once.
#[derive(Debug)]
pub struct TileLayer {
    name: String,
    min_zoom: u8,
    shapes: Vec<Shape>,
    index: RTree<GeomWithData<Rectangle<[f64; 2]>, usize>>,
}

impl TileLayer {
    /// A layer named `name`, drawn from zoom `min_zoom` on, of `geometries` in lon/lat
    /// degrees (WGS84). Feature `i` of a tile is `geometries[i]`; empty geometries and
    /// geometry collections mixing kinds keep their index but never draw (a collection draws
    /// the parts of the kind of its first part).
    pub fn new(name: &str, min_zoom: u8, geometries: Vec<Geometry<f64>>) -> TileLayer {
        let shapes: Vec<Shape> = geometries.iter().map(shape_of).collect();
        let boxes = shapes
            .iter()
            .enumerate()
            .filter_map(|(i, s)| Some(GeomWithData::new(bbox_of(s)?, i)))
            .collect();
        TileLayer {
            name: name.to_string(),
            min_zoom,
            shapes,
            index: RTree::bulk_load(boxes),
        }
    }

    /// The layer's name in tiles.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// How many features the layer holds (drawn or not).
    pub fn len(&self) -> usize {
        self.shapes.len()
    }

    /// Whether the layer holds no feature.
    pub fn is_empty(&self) -> bool {
        self.shapes.is_empty()
    }
}

/// Web Mercator in normalised world units: `x` 0..1 west to east, `y` 0..1 north to south.
fn world(lon: f64, lat: f64) -> Coord<f64> {
    let lat = lat.clamp(-85.051_128_78, 85.051_128_78).to_radians();
    Coord {
        x: (lon + 180.0) / 360.0,
        y: (1.0 - lat.tan().asinh() / std::f64::consts::PI) / 2.0,
    }
}

/// Longitude and latitude (degrees) of a point in world units.
fn lon_lat(c: Coord<f64>) -> Coord<f64> {
    let lat = (std::f64::consts::PI * (1.0 - 2.0 * c.y)).sinh().atan();
    Coord {
        x: c.x * 360.0 - 180.0,
        y: lat.to_degrees(),
    }
}

fn world_line(line: &LineString<f64>) -> LineString<f64> {
    line.coords().map(|c| world(c.x, c.y)).collect()
}

fn world_polygon(p: &Polygon<f64>) -> Polygon<f64> {
    let holes = p.interiors().iter().map(world_line).collect();
    Polygon::new(world_line(p.exterior()), holes)
}

fn shape_of(g: &Geometry<f64>) -> Shape {
    match g {
        Geometry::Point(p) => Shape::Points(vec![world(p.x(), p.y())]),
        Geometry::MultiPoint(m) => Shape::Points(m.iter().map(|p| world(p.x(), p.y())).collect()),
        Geometry::Line(l) => Shape::Lines(MultiLineString::new(vec![world_line(&(*l).into())])),
        Geometry::LineString(l) => Shape::Lines(MultiLineString::new(vec![world_line(l)])),
        Geometry::MultiLineString(m) => Shape::Lines(m.iter().map(world_line).collect()),
        Geometry::Polygon(p) => Shape::Polygons(vec![world_polygon(p)]),
        Geometry::MultiPolygon(m) => Shape::Polygons(m.iter().map(world_polygon).collect()),
        Geometry::Rect(r) => Shape::Polygons(vec![world_polygon(&r.to_polygon())]),
        Geometry::Triangle(t) => Shape::Polygons(vec![world_polygon(&t.to_polygon())]),
        Geometry::GeometryCollection(c) => collection_shape(&c.0),
    }
}

/// The parts of a collection of the kind of its first part.
fn collection_shape(parts: &[Geometry<f64>]) -> Shape {
    let mut shapes = parts.iter().map(shape_of);
    let Some(first) = shapes.next() else {
        return Shape::Points(Vec::new());
    };
    shapes.fold(first, |acc, s| match (acc, s) {
        (Shape::Points(mut a), Shape::Points(b)) => {
            a.extend(b);
            Shape::Points(a)
        }
        (Shape::Lines(mut a), Shape::Lines(b)) => {
            a.0.extend(b.0);
            Shape::Lines(a)
        }
        (Shape::Polygons(mut a), Shape::Polygons(b)) => {
            a.extend(b);
            Shape::Polygons(a)
        }
        (acc, _) => acc,
    })
}

fn bbox_of(s: &Shape) -> Option<Rectangle<[f64; 2]>> {
    let rect = match s {
        Shape::Points(p) => geo::BoundingRect::bounding_rect(&geo::MultiPoint::from(p.clone())),
        Shape::Lines(m) => geo::BoundingRect::bounding_rect(m),
        Shape::Polygons(p) => geo::BoundingRect::bounding_rect(&geo::MultiPolygon::new(p.clone())),
    }?;
    let (lo, hi) = (rect.min(), rect.max());
    Some(Rectangle::from_corners([lo.x, lo.y], [hi.x, hi.y]))
}

/// The tile's place in world units: west, north, and side.
#[derive(Debug, Clone, Copy)]
struct Frame {
    west: f64,
    north: f64,
    side: f64,
    z: u8,
}

impl Frame {
    fn new(z: u8, x: u32, y: u32) -> Result<Frame, BadTile> {
        let n = 1u64 << z.min(MAX_ZOOM);
        if z > MAX_ZOOM || u64::from(x) >= n || u64::from(y) >= n {
            return Err(BadTile { z, x, y });
        }
        let side = 1.0 / n as f64;
        Ok(Frame {
            west: f64::from(x) * side,
            north: f64::from(y) * side,
            side,
            z,
        })
    }

    /// A world point in (unrounded) tile units.
    fn to_tile(self, c: Coord<f64>) -> Coord<f64> {
        let scale = f64::from(EXTENT) / self.side;
        Coord {
            x: (c.x - self.west) * scale,
            y: (c.y - self.north) * scale,
        }
    }

    /// The buffered tile in world units, for the index.
    fn query_box(self) -> AABB<[f64; 2]> {
        let pad = BUFFER_UNITS / f64::from(EXTENT) * self.side;
        AABB::from_corners(
            [self.west - pad, self.north - pad],
            [self.west + self.side + pad, self.north + self.side + pad],
        )
    }

    /// Size in tile units of a world-unit length.
    fn units(self, world_len: f64) -> f64 {
        world_len / self.side * f64::from(EXTENT)
    }
}

/// Bounds of tile `z/x/y` in lon/lat degrees (`min` south-west, `max` north-east).
///
/// # Errors
/// [`BadTile`] when the tile does not exist.
pub fn tile_bounds_lonlat(z: u8, x: u32, y: u32) -> Result<Rect<f64>, BadTile> {
    let f = Frame::new(z, x, y)?;
    let north_west = lon_lat(Coord {
        x: f.west,
        y: f.north,
    });
    let south_east = lon_lat(Coord {
        x: f.west + f.side,
        y: f.north + f.side,
    });
    Ok(Rect::new(north_west, south_east))
}

/// The MVT bytes of tile `z/x/y` of `layers`, each with the closure giving its features'
/// properties (`None` leaves a feature out). A layer below its minimum zoom, or with no
/// feature in the tile, is left out; a tile with no layer is an empty `Vec`.
///
/// # Errors
/// [`BadTile`] when the tile does not exist (zoom over 22, `x` or `y` not below `2^z`).
pub fn encode_tile(
    layers: &[(&TileLayer, PropsFn<'_>)],
    z: u8,
    x: u32,
    y: u32,
) -> Result<Vec<u8>, BadTile> {
    let frame = Frame::new(z, x, y)?;
    let layers: Vec<Layer> = layers
        .iter()
        .filter(|(layer, _)| z >= layer.min_zoom)
        .filter_map(|(layer, props)| encode_layer(layer, *props, frame))
        .collect();
    if layers.is_empty() {
        return Ok(Vec::new());
    }
    Ok(Tile { layers }.encode_to_vec())
}

fn encode_layer(layer: &TileLayer, props: PropsFn<'_>, frame: Frame) -> Option<Layer> {
    let mut hits: Vec<usize> = layer
        .index
        .locate_in_envelope_intersecting(&frame.query_box())
        .map(|g| g.data)
        .collect();
    hits.sort_unstable();
    let mut tags = TagsBuilder::new();
    let features: Vec<Feature> = hits
        .into_iter()
        .filter_map(|i| encode_feature(&layer.shapes[i], i, props, frame, &mut tags))
        .collect();
    if features.is_empty() {
        return None;
    }
    let (keys, values) = tags.into_tags();
    Some(Layer {
        version: 2,
        name: layer.name.clone(),
        features,
        keys,
        values: values.into_iter().map(Value::from).collect(),
        extent: Some(EXTENT),
    })
}

fn encode_feature(
    shape: &Shape,
    index: usize,
    props: PropsFn<'_>,
    frame: Frame,
    tags: &mut TagsBuilder,
) -> Option<Feature> {
    let (kind, geometry) = match shape {
        Shape::Points(p) => (GeomType::Point, points_commands(p, frame)),
        Shape::Lines(m) => (GeomType::Linestring, lines_commands(m, frame)),
        Shape::Polygons(p) => (GeomType::Polygon, polygons_commands(p, frame)),
    };
    if geometry.is_empty() {
        return None;
    }
    let properties = props(index)?;
    let mut feature_tags = Vec::with_capacity(properties.len() * 2);
    for (key, value) in properties {
        let (k, v) = tags.insert_ref(key, tile_value(value));
        feature_tags.extend([k, v]);
    }
    Some(Feature {
        id: Some(index as u64),
        tags: feature_tags,
        r#type: Some(kind as i32),
        geometry,
    })
}

fn tile_value(v: PropValue) -> TileValue {
    match v {
        PropValue::Bool(b) => TileValue::Bool(b),
        PropValue::Int(i) => TileValue::Sint(i),
        PropValue::Float(f) => TileValue::Double(f),
        PropValue::Text(s) => TileValue::Str(s),
    }
}

/// Integer tile coordinates.
type Pt = (i32, i32);

fn quantise(c: Coord<f64>) -> Pt {
    (c.x.round() as i32, c.y.round() as i32)
}

/// The buffered tile in tile units: `lo..=hi` both ways.
fn clip_limits() -> (f64, f64) {
    (-BUFFER_UNITS, f64::from(EXTENT) + BUFFER_UNITS)
}

fn points_commands(points: &[Coord<f64>], frame: Frame) -> Vec<u32> {
    let (lo, hi) = clip_limits();
    let inside: Vec<Pt> = points
        .iter()
        .map(|&c| frame.to_tile(c))
        .filter(|c| (lo..=hi).contains(&c.x) && (lo..=hi).contains(&c.y))
        .map(quantise)
        .collect();
    let mut out = Vec::new();
    if !inside.is_empty() {
        let mut cursor = (0, 0);
        out.push(command(MOVE_TO, inside.len()));
        push_deltas(&mut out, &mut cursor, &inside);
    }
    out
}

fn lines_commands(lines: &MultiLineString<f64>, frame: Frame) -> Vec<u32> {
    let mut out = Vec::new();
    let mut cursor = (0, 0);
    for line in lines {
        let tiled: LineString<f64> = line.coords().map(|&c| frame.to_tile(c)).collect();
        for piece in clip_line(&tiled.0) {
            let piece = simplified_line(piece, frame.z);
            let pts = dedup(piece.iter().map(|&c| quantise(c)));
            if pts.len() >= 2 {
                out.push(command(MOVE_TO, 1));
                push_deltas(&mut out, &mut cursor, &pts[..1]);
                out.push(command(LINE_TO, pts.len() - 1));
                push_deltas(&mut out, &mut cursor, &pts[1..]);
            }
        }
    }
    out
}

fn polygons_commands(polygons: &[Polygon<f64>], frame: Frame) -> Vec<u32> {
    let mut out = Vec::new();
    let mut cursor = (0, 0);
    for polygon in polygons {
        let Some(exterior) = tile_ring(polygon.exterior(), frame, 1) else {
            continue;
        };
        push_ring(&mut out, &mut cursor, &exterior);
        for hole in polygon.interiors() {
            if let Some(hole) = tile_ring(hole, frame, -1) {
                push_ring(&mut out, &mut cursor, &hole);
            }
        }
    }
    out
}

/// A ring in integer tile units, open (no repeated last point), with the area sign `sign`
/// (MVT: exterior rings positive, i.e. clockwise with y down; holes negative); `None` when
/// it is under a pixel, outside the tile, or degenerate once quantised.
fn tile_ring(ring: &LineString<f64>, frame: Frame, sign: i64) -> Option<Vec<Pt>> {
    let (lo, hi) = ring_box(ring)?;
    if frame.units(hi.x - lo.x) < PIXEL_UNITS && frame.units(hi.y - lo.y) < PIXEL_UNITS {
        return None;
    }
    let tiled: Vec<Coord<f64>> = ring.coords().map(|&c| frame.to_tile(c)).collect();
    let clipped = clip_ring(tiled);
    let simple = simplified_ring(clipped, frame.z);
    let mut pts = dedup(simple.iter().map(|&c| quantise(c)));
    if pts.len() > 1 && pts.first() == pts.last() {
        pts.pop();
    }
    let area2 = doubled_area(&pts);
    if pts.len() < 3 || area2 == 0 {
        return None;
    }
    if area2.signum() != sign {
        pts.reverse();
    }
    Some(pts)
}

fn ring_box(ring: &LineString<f64>) -> Option<(Coord<f64>, Coord<f64>)> {
    let mut coords = ring.coords_iter();
    let first = coords.next()?;
    Some(coords.fold((first, first), |(lo, hi), c| {
        (
            Coord {
                x: lo.x.min(c.x),
                y: lo.y.min(c.y),
            },
            Coord {
                x: hi.x.max(c.x),
                y: hi.y.max(c.y),
            },
        )
    }))
}

/// Twice the signed area by the surveyor's formula, in tile units (y down): positive for a
/// ring that runs clockwise on screen.
fn doubled_area(pts: &[Pt]) -> i64 {
    let n = pts.len();
    (0..n)
        .map(|i| {
            let (a, b) = (pts[i], pts[(i + 1) % n]);
            i64::from(a.0) * i64::from(b.1) - i64::from(b.0) * i64::from(a.1)
        })
        .sum()
}

fn dedup(pts: impl Iterator<Item = Pt>) -> Vec<Pt> {
    let mut out: Vec<Pt> = Vec::new();
    for p in pts {
        if out.last() != Some(&p) {
            out.push(p);
        }
    }
    out
}

/// Half a pixel, in tile units, below [`EXACT_FROM_ZOOM`]; none from it on.
fn tolerance_units(z: u8) -> Option<f64> {
    (z < EXACT_FROM_ZOOM).then_some(PIXEL_UNITS / 2.0)
}

fn simplified_line(line: Vec<Coord<f64>>, z: u8) -> Vec<Coord<f64>> {
    match tolerance_units(z) {
        Some(eps) if line.len() > 2 => LineString::new(line).simplify(eps).0,
        _ => line,
    }
}

fn simplified_ring(ring: Vec<Coord<f64>>, z: u8) -> Vec<Coord<f64>> {
    match tolerance_units(z) {
        Some(eps) if ring.len() > 4 => {
            let mut closed = LineString::new(ring);
            closed.close();
            closed.simplify(eps).0
        }
        _ => ring,
    }
}

const MOVE_TO: u32 = 1;
const LINE_TO: u32 = 2;
const CLOSE_PATH: u32 = 7;

fn command(id: u32, count: usize) -> u32 {
    (id & 0x7) | ((count as u32) << 3)
}

fn zigzag(v: i32) -> u32 {
    ((v << 1) ^ (v >> 31)) as u32
}

fn push_deltas(out: &mut Vec<u32>, cursor: &mut Pt, pts: &[Pt]) {
    for &(x, y) in pts {
        out.extend([zigzag(x - cursor.0), zigzag(y - cursor.1)]);
        *cursor = (x, y);
    }
}

fn push_ring(out: &mut Vec<u32>, cursor: &mut Pt, ring: &[Pt]) {
    out.push(command(MOVE_TO, 1));
    push_deltas(out, cursor, &ring[..1]);
    out.push(command(LINE_TO, ring.len() - 1));
    push_deltas(out, cursor, &ring[1..]);
    out.push(command(CLOSE_PATH, 1));
}

// Clipping is by hand, not geo's `BooleanOps`: it runs for every feature of every tile, and a
// rectangle needs neither general polygon overlay nor its cost. Rings go through
// Sutherland–Hodgman (one pass per side of the buffered tile; a concave ring may keep
// zero-width slivers along the edge, which fill nothing), lines through Liang–Barsky.

/// A ring (tile units) clipped to the buffered tile by Sutherland–Hodgman.
fn clip_ring(ring: Vec<Coord<f64>>) -> Vec<Coord<f64>> {
    let (lo, hi) = clip_limits();
    if ring
        .iter()
        .all(|c| (lo..=hi).contains(&c.x) && (lo..=hi).contains(&c.y))
    {
        return ring;
    }
    let sides: [(bool, f64, bool); 4] = [
        (true, lo, true),
        (true, hi, false),
        (false, lo, true),
        (false, hi, false),
    ];
    sides.iter().fold(ring, |pts, &(on_x, limit, keep_above)| {
        clip_side(&pts, on_x, limit, keep_above)
    })
}

/// One Sutherland–Hodgman pass: keep the part of the (open or closed) ring on one side of
/// `x = limit` (`on_x`) or `y = limit`, above it when `keep_above`.
fn clip_side(pts: &[Coord<f64>], on_x: bool, limit: f64, keep_above: bool) -> Vec<Coord<f64>> {
    let value = |c: &Coord<f64>| if on_x { c.x } else { c.y };
    let inside = |c: &Coord<f64>| (value(c) >= limit) == keep_above || value(c) == limit;
    let mut out = Vec::with_capacity(pts.len() + 4);
    let Some(mut prev) = pts.last().copied() else {
        return out;
    };
    for &cur in pts {
        match (inside(&prev), inside(&cur)) {
            (true, true) => out.push(cur),
            (true, false) => out.push(crossing(prev, cur, on_x, limit)),
            (false, true) => out.extend([crossing(prev, cur, on_x, limit), cur]),
            (false, false) => {}
        }
        prev = cur;
    }
    out
}

/// Where segment `a`–`b` crosses `x = limit` (`on_x`) or `y = limit`.
fn crossing(a: Coord<f64>, b: Coord<f64>, on_x: bool, limit: f64) -> Coord<f64> {
    let (va, vb) = if on_x { (a.x, b.x) } else { (a.y, b.y) };
    let t = (limit - va) / (vb - va);
    let c = a + (b - a) * t;
    if on_x {
        Coord { x: limit, y: c.y }
    } else {
        Coord { x: c.x, y: limit }
    }
}

/// The pieces of a line (tile units) inside the buffered tile, by Liang–Barsky per segment,
/// joining consecutive segments that stay connected.
fn clip_line(line: &[Coord<f64>]) -> Vec<Vec<Coord<f64>>> {
    let mut pieces: Vec<Vec<Coord<f64>>> = Vec::new();
    let mut open = false;
    for w in line.windows(2) {
        match clip_segment(w[0], w[1]) {
            Some((a, b)) => {
                if !open {
                    pieces.push(vec![a]);
                }
                let piece = pieces.last_mut().expect("a piece is open");
                piece.push(b);
                open = b == w[1];
            }
            None => open = false,
        }
    }
    pieces
}

/// Segment `a`–`b` cut to the buffered tile (Liang–Barsky), or `None` when it misses it.
fn clip_segment(a: Coord<f64>, b: Coord<f64>) -> Option<(Coord<f64>, Coord<f64>)> {
    let (lo, hi) = clip_limits();
    let d = b - a;
    let (mut t0, mut t1) = (0.0_f64, 1.0_f64);
    for (p, q) in [
        (-d.x, a.x - lo),
        (d.x, hi - a.x),
        (-d.y, a.y - lo),
        (d.y, hi - a.y),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
            continue;
        }
        let r = q / p;
        if p < 0.0 {
            t0 = t0.max(r);
        } else {
            t1 = t1.min(r);
        }
        if t0 > t1 {
            return None;
        }
    }
    let at = |t: f64| {
        if t == 0.0 {
            a
        } else if t == 1.0 {
            b
        } else {
            a + d * t
        }
    };
    Some((at(t0), at(t1)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{line_string, point, polygon};

    /// Lon/lat of tile-unit point `(tx, ty)` of tile `z/x/y`.
    fn at(z: u8, x: u32, y: u32, tx: f64, ty: f64) -> Coord<f64> {
        let f = Frame::new(z, x, y).unwrap();
        lon_lat(Coord {
            x: f.west + tx / f64::from(EXTENT) * f.side,
            y: f.north + ty / f64::from(EXTENT) * f.side,
        })
    }

    fn decode(bytes: &[u8]) -> Tile {
        Tile::decode(bytes).expect("valid protobuf")
    }

    /// The geometry commands back as absolute points per MoveTo/LineTo/ClosePath.
    fn absolute(geometry: &[u32]) -> Vec<(u32, Vec<Pt>)> {
        let (mut i, mut cur, mut out) = (0, (0, 0), Vec::new());
        while i < geometry.len() {
            let (id, count) = (geometry[i] & 7, geometry[i] >> 3);
            i += 1;
            let mut pts = Vec::new();
            if id != CLOSE_PATH {
                for _ in 0..count {
                    let dz = |v: u32| ((v >> 1) as i32) ^ -((v & 1) as i32);
                    cur = (cur.0 + dz(geometry[i]), cur.1 + dz(geometry[i + 1]));
                    pts.push(cur);
                    i += 2;
                }
            }
            out.push((id, pts));
        }
        out
    }

    fn all(_: usize) -> Option<Vec<(&'static str, PropValue)>> {
        Some(Vec::new())
    }

    const Z: u8 = 14;
    const X: u32 = 8626;
    const Y: u32 = 5750;

    #[test]
    fn square_polygon_decodes_to_its_tile_coordinates_clockwise() {
        let c = |tx, ty| at(Z, X, Y, tx, ty);
        // counter-clockwise on screen as given (y down): the tile must turn it clockwise
        let square = polygon![
            c(1000.0, 1000.0),
            c(1000.0, 2000.0),
            c(2000.0, 2000.0),
            c(2000.0, 1000.0)
        ];
        let layer = TileLayer::new("homes", 10, vec![square.into()]);
        let tile = decode(&encode_tile(&[(&layer, &all)], Z, X, Y).unwrap());
        assert_eq!(tile.layers.len(), 1);
        let l = &tile.layers[0];
        assert_eq!(
            (l.name.as_str(), l.extent, l.version),
            ("homes", Some(4096), 2)
        );
        let f = &l.features[0];
        assert_eq!(f.r#type, Some(GeomType::Polygon as i32));
        let cmds = absolute(&f.geometry);
        assert_eq!(cmds[0], (MOVE_TO, vec![(2000, 1000)]));
        assert_eq!(
            cmds[1],
            (LINE_TO, vec![(2000, 2000), (1000, 2000), (1000, 1000)])
        );
        assert_eq!(cmds[2].0, CLOSE_PATH);
        let ring = [(1000, 1000), (2000, 1000), (2000, 2000), (1000, 2000)];
        assert_eq!(
            doubled_area(&ring),
            2_000_000,
            "exterior positive (clockwise, y down)"
        );
    }

    #[test]
    fn hole_winds_against_its_exterior() {
        let c = |tx, ty| at(Z, X, Y, tx, ty);
        let outer = line_string![
            c(0.0, 0.0),
            c(3000.0, 0.0),
            c(3000.0, 3000.0),
            c(0.0, 3000.0),
            c(0.0, 0.0)
        ];
        let hole = line_string![
            c(1000.0, 1000.0),
            c(2000.0, 1000.0),
            c(2000.0, 2000.0),
            c(1000.0, 2000.0),
            c(1000.0, 1000.0)
        ];
        let layer = TileLayer::new("a", 0, vec![Polygon::new(outer, vec![hole]).into()]);
        let tile = decode(&encode_tile(&[(&layer, &all)], Z, X, Y).unwrap());
        let cmds = absolute(&tile.layers[0].features[0].geometry);
        let ring = |m: usize| [cmds[m].1.clone(), cmds[m + 1].1.clone()].concat();
        assert!(doubled_area(&ring(0)) > 0);
        assert!(doubled_area(&ring(3)) < 0);
        assert_eq!(
            ring(3),
            vec![(1000, 2000), (2000, 2000), (2000, 1000), (1000, 1000)]
        );
    }

    #[test]
    fn line_crossing_the_edge_is_clipped_at_the_buffer() {
        // from (2048, 1000) east to (6048, 3000): crosses x = 4096 + 64 at t = 0.528, y = 2056
        let line = line_string![at(Z, X, Y, 2048.0, 1000.0), at(Z, X, Y, 6048.0, 3000.0)];
        let layer = TileLayer::new("streets", 0, vec![line.into()]);
        let tile = decode(&encode_tile(&[(&layer, &all)], Z, X, Y).unwrap());
        let cmds = absolute(&tile.layers[0].features[0].geometry);
        assert_eq!(
            cmds,
            vec![(MOVE_TO, vec![(2048, 1000)]), (LINE_TO, vec![(4160, 2056)])]
        );
    }

    #[test]
    fn line_leaving_and_coming_back_makes_two_pieces() {
        let pts = [
            (100.0, 100.0),
            (100.0, -500.0),
            (300.0, -500.0),
            (300.0, 100.0),
        ];
        let line: LineString<f64> = pts.iter().map(|&(x, y)| at(Z, X, Y, x, y)).collect();
        let layer = TileLayer::new("l", 0, vec![line.into()]);
        let tile = decode(&encode_tile(&[(&layer, &all)], Z, X, Y).unwrap());
        let cmds = absolute(&tile.layers[0].features[0].geometry);
        assert_eq!(
            cmds,
            vec![
                (MOVE_TO, vec![(100, 100)]),
                (LINE_TO, vec![(100, -64)]),
                (MOVE_TO, vec![(300, -64)]),
                (LINE_TO, vec![(300, 100)]),
            ]
        );
    }

    #[test]
    fn features_outside_the_tile_are_absent_and_an_empty_tile_is_empty() {
        let inside = point!(at(Z, X, Y, 10.0, 10.0));
        let outside = point!(at(Z, X, Y, 4096.0 + 200.0, 10.0));
        let layer = TileLayer::new("p", 0, vec![outside.into(), inside.into()]);
        let tile = decode(&encode_tile(&[(&layer, &all)], Z, X, Y).unwrap());
        let ids: Vec<_> = tile.layers[0].features.iter().map(|f| f.id).collect();
        assert_eq!(ids, vec![Some(1)]);
        assert_eq!(
            absolute(&tile.layers[0].features[0].geometry),
            vec![(MOVE_TO, vec![(10, 10)])]
        );
        assert!(
            encode_tile(&[(&layer, &all)], Z, X + 2, Y)
                .unwrap()
                .is_empty()
        );
        let far = TileLayer::new("q", 0, vec![outside.into()]);
        let tile = decode(&encode_tile(&[(&layer, &all), (&far, &all)], Z, X, Y).unwrap());
        assert_eq!(
            tile.layers.len(),
            1,
            "a layer with nothing in the tile is left out"
        );
    }

    #[test]
    fn layer_below_its_min_zoom_is_left_out() {
        let layer = TileLayer::new("p", 15, vec![point!(at(Z, X, Y, 10.0, 10.0)).into()]);
        assert!(encode_tile(&[(&layer, &all)], Z, X, Y).unwrap().is_empty());
    }

    #[test]
    fn properties_come_through_typed_and_none_drops_the_feature() {
        let pts = vec![
            point!(at(Z, X, Y, 10.0, 10.0)).into(),
            point!(at(Z, X, Y, 20.0, 10.0)).into(),
        ];
        let layer = TileLayer::new("homes", 0, pts);
        let props = |i: usize| {
            (i == 1).then(|| {
                vec![
                    ("covered", PropValue::Bool(true)),
                    ("band", PropValue::Int(-2)),
                    ("walk", PropValue::Float(7.5)),
                    ("status", PropValue::Text("partly".into())),
                ]
            })
        };
        let tile = decode(&encode_tile(&[(&layer, &props)], Z, X, Y).unwrap());
        let l = &tile.layers[0];
        assert_eq!(l.features.len(), 1);
        assert_eq!(l.features[0].id, Some(1));
        let tags = &l.features[0].tags;
        let get = |key: &str| {
            let k = l.keys.iter().position(|k| k == key).unwrap() as u32;
            let at = tags.chunks(2).find(|kv| kv[0] == k).unwrap()[1];
            l.values[at as usize].clone()
        };
        assert_eq!(get("covered").bool_value, Some(true));
        assert_eq!(get("band").sint_value, Some(-2));
        assert_eq!(get("walk").double_value, Some(7.5));
        assert_eq!(get("status").string_value.as_deref(), Some("partly"));
    }

    #[test]
    fn polygon_under_a_pixel_is_dropped() {
        let c = |tx, ty| at(Z, X, Y, tx, ty);
        let speck = polygon![
            c(100.0, 100.0),
            c(110.0, 100.0),
            c(110.0, 110.0),
            c(100.0, 110.0)
        ];
        let layer = TileLayer::new("b", 0, vec![speck.into()]);
        assert!(encode_tile(&[(&layer, &all)], Z, X, Y).unwrap().is_empty());
    }

    #[test]
    fn polygon_larger_than_the_tile_is_clipped_to_the_buffer() {
        let c = |tx, ty| at(Z, X, Y, tx, ty);
        let big = polygon![
            c(-1000.0, -1000.0),
            c(5000.0, -1000.0),
            c(5000.0, 2000.0),
            c(-1000.0, 2000.0)
        ];
        let layer = TileLayer::new("w", 0, vec![big.into()]);
        let tile = decode(&encode_tile(&[(&layer, &all)], Z, X, Y).unwrap());
        let cmds = absolute(&tile.layers[0].features[0].geometry);
        let mut ring = [cmds[0].1.clone(), cmds[1].1.clone()].concat();
        assert!(doubled_area(&ring) > 0);
        ring.sort();
        assert_eq!(
            ring,
            vec![(-64, -64), (-64, 2000), (4160, -64), (4160, 2000)]
        );
    }

    #[test]
    fn invalid_tiles_are_rejected() {
        let layer = TileLayer::new("p", 0, Vec::new());
        assert!(encode_tile(&[(&layer, &all)], 23, 0, 0).is_err());
        assert!(encode_tile(&[(&layer, &all)], 2, 4, 0).is_err());
        assert_eq!(
            encode_tile(&[(&layer, &all)], 2, 0, 4),
            Err(BadTile { z: 2, x: 0, y: 4 })
        );
        assert!(encode_tile(&[(&layer, &all)], 22, (1 << 22) - 1, 0).is_ok());
        assert!(tile_bounds_lonlat(1, 2, 0).is_err());
    }

    #[test]
    fn tile_bounds_of_the_world_and_a_quarter() {
        let world = tile_bounds_lonlat(0, 0, 0).unwrap();
        assert!((world.min().x + 180.0).abs() < 1e-9 && (world.max().x - 180.0).abs() < 1e-9);
        assert!((world.max().y - 85.051_128_78).abs() < 1e-6);
        let ne = tile_bounds_lonlat(1, 1, 0).unwrap();
        assert!(ne.min().x.abs() < 1e-9 && ne.min().y.abs() < 1e-9);
    }
}

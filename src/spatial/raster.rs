//! Service areas on a grid: each cell holds the earliest time at which a walker on a street
//! within the buffer distance of the cell's centre gets there; the cells within a band are
//! traced back into polygons along cell edges.
//!
//! Hand-written because buffering and unioning hundreds of street pieces per facility with a
//! general polygon-overlay library cost about 80 ms per polygon (measured with callgrind on
//! liechtenstein-2015: 90 % of the run in the overlay's segment splitting), where a grid of
//! 10 m cells takes about 1 ms. The price is that outlines follow cell edges: an area is
//! exact to half a cell along its boundary.

use geo::{BoundingRect, Contains, Coord, LineString, MultiPolygon, Polygon, Rect};
use rstar::RTree;
use rstar::primitives::{GeomWithData, Rectangle};

/// Side of the square tiles a grid's cells are stored in, cells (640 m at 10 m cells).
///
/// Grids are sparse because the city-wide served grid spans the box around every facility
/// plus its reach: on 64× tiled liechtenstein-2015 that box is about 10⁸ cells (0.8 GB of
/// `f32`, and tracing it allocated twice that again), while the cells any walk reaches fill
/// a few thousand tiles. 64 × 64 keeps the tile table small (one pointer per 4,096 cells)
/// and a tile's rows long enough for the burn loop to run on plain slices.
const TILE: usize = 64;

/// A 2-D array of `T` stored in `TILE` × `TILE` tiles, each allocated on its first write;
/// cells never written read as `fill`.
#[derive(Debug, Clone)]
struct Tiles<T> {
    tiles_x: usize,
    fill: T,
    tiles: Vec<Option<Box<[T]>>>,
}

impl<T: Copy> Tiles<T> {
    fn new(nx: usize, ny: usize, fill: T) -> Self {
        let tiles_x = nx.div_ceil(TILE);
        Tiles {
            tiles_x,
            fill,
            tiles: vec![None; tiles_x * ny.div_ceil(TILE)],
        }
    }

    fn tile_of(&self, i: usize, j: usize) -> usize {
        (j / TILE) * self.tiles_x + i / TILE
    }

    fn get(&self, i: usize, j: usize) -> T {
        match &self.tiles[self.tile_of(i, j)] {
            Some(tile) => tile[(j % TILE) * TILE + i % TILE],
            None => self.fill,
        }
    }

    fn get_mut(&mut self, i: usize, j: usize) -> &mut T {
        let t = self.tile_of(i, j);
        let fill = self.fill;
        let tile = self.tiles[t].get_or_insert_with(|| vec![fill; TILE * TILE].into_boxed_slice());
        &mut tile[(j % TILE) * TILE + i % TILE]
    }

    /// Cells `i0..i1` of row `j`, all in one tile (allocated if need be).
    fn row_mut(&mut self, i0: usize, i1: usize, j: usize) -> &mut [T] {
        debug_assert!(i0 < i1 && i0 / TILE == (i1 - 1) / TILE);
        let t = self.tile_of(i0, j);
        let fill = self.fill;
        let tile = self.tiles[t].get_or_insert_with(|| vec![fill; TILE * TILE].into_boxed_slice());
        let row = (j % TILE) * TILE;
        &mut tile[row + i0 % TILE..row + (i1 - 1) % TILE + 1]
    }

    /// Whether the tile holding cell `(i, j)` was ever written to.
    fn allocated(&self, i: usize, j: usize) -> bool {
        self.tiles[self.tile_of(i, j)].is_some()
    }

    /// The written tiles: `(first column, first row, cells row by row)`.
    fn written(&self) -> impl Iterator<Item = (usize, usize, &[T])> {
        self.tiles.iter().enumerate().filter_map(|(t, tile)| {
            let tile = tile.as_deref()?;
            Some(((t % self.tiles_x) * TILE, (t / self.tiles_x) * TILE, tile))
        })
    }
}

/// A rectangular grid of times, seconds (`f32::INFINITY` = not reached), stored sparsely:
/// only the tiles a burn or merge wrote to hold memory.
#[derive(Debug, Clone)]
pub struct TimeGrid {
    origin: Coord<f64>,
    cell_m: f64,
    nx: usize,
    ny: usize,
    time_s: Tiles<f32>,
    /// Cells ever lowered: `(i0, j0, i1, j1)`, half-open; empty when `i0 >= i1`.
    touched: (usize, usize, usize, usize),
}

/// How time grows along one straight segment of a street.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimedSegment {
    /// Segment start, frame metres.
    pub start: Coord<f64>,
    /// Segment end, frame metres.
    pub end: Coord<f64>,
    /// Earliest arrival at each point `s` metres past `start`:
    /// `min(from_start_s + s·per_m_forward, from_end_s + (len − s)·per_m_backward)`.
    pub from_start_s: f32,
    /// Arrival time at `end` when coming from beyond it (`INFINITY` when not).
    pub from_end_s: f32,
    /// Seconds added per metre moving from `start` towards `end`.
    pub per_m_forward: f32,
    /// Seconds added per metre moving from `end` towards `start`.
    pub per_m_backward: f32,
}

/// No exit from a vertex of a traced outline.
const NO_EXIT: u8 = u8::MAX;
/// Steps to the four neighbouring vertices, by exit code: east, north, west, south. A left
/// turn from code `d` is code `(d + 1) % 4`.
const STEPS: [(i32, i32); 4] = [(1, 0), (0, 1), (-1, 0), (0, -1)];

impl TimeGrid {
    /// A grid of `cell_m` cells covering `extent` (frame metres). Allocates only a table of
    /// tiles; cells take memory when first lowered.
    pub fn covering(extent: Rect<f64>, cell_m: f64) -> Self {
        let nx = ((extent.width() / cell_m).ceil() as usize).max(1);
        let ny = ((extent.height() / cell_m).ceil() as usize).max(1);
        TimeGrid {
            origin: extent.min(),
            cell_m,
            nx,
            ny,
            time_s: Tiles::new(nx, ny, f32::INFINITY),
            touched: (nx, ny, 0, 0),
        }
    }

    /// Number of cells.
    pub fn len(&self) -> usize {
        self.nx * self.ny
    }

    /// Whether the grid has no cells.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Lowers every cell whose centre lies within `buffer_m` of a point of the segment to the
    /// earliest time any such point is reached.
    pub fn burn(&mut self, seg: &TimedSegment, buffer_m: f64) {
        let (a, b) = (seg.start, seg.end);
        let d = b - a;
        let len2 = d.x * d.x + d.y * d.y;
        let len = len2.sqrt();
        let cell = self.cell_m;
        let i0 = ((a.x.min(b.x) - buffer_m - self.origin.x) / cell)
            .floor()
            .max(0.0) as usize;
        let j0 = ((a.y.min(b.y) - buffer_m - self.origin.y) / cell)
            .floor()
            .max(0.0) as usize;
        let i1 = (((a.x.max(b.x) + buffer_m - self.origin.x) / cell).ceil() as usize).min(self.nx);
        let j1 = (((a.y.max(b.y) + buffer_m - self.origin.y) / cell).ceil() as usize).min(self.ny);
        let w2 = buffer_m * buffer_m;
        if i0 >= i1 || j0 >= j1 {
            return;
        }
        self.touch(i0, j0, i1, j1);
        let (origin, cell_m) = (self.origin, self.cell_m);
        for j in j0..j1 {
            let cy = origin.y + (j as f64 + 0.5) * cell_m;
            // one tile's part of the row at a time
            let mut span = i0;
            while span < i1 {
                let span_end = ((span / TILE + 1) * TILE).min(i1);
                let row = self.time_s.row_mut(span, span_end, j);
                for (cell, i) in row.iter_mut().zip(span..span_end) {
                    let cx = origin.x + (i as f64 + 0.5) * cell_m;
                    let (px, py) = (cx - a.x, cy - a.y);
                    // Points of the segment within the buffer: |a + u·d − c|² ≤ w², u ∈ [0, 1].
                    let (s0, s1) = if len2 > 0.0 {
                        let along = (px * d.x + py * d.y) / len;
                        let off2 = (px * px + py * py) - along * along;
                        if off2 > w2 {
                            continue;
                        }
                        let half = (w2 - off2).max(0.0).sqrt();
                        let (s0, s1) = ((along - half).max(0.0), (along + half).min(len));
                        if s0 > s1 {
                            continue;
                        }
                        (s0, s1)
                    } else if px * px + py * py <= w2 {
                        (0.0, 0.0)
                    } else {
                        continue;
                    };
                    let t = (seg.from_start_s + s0 as f32 * seg.per_m_forward)
                        .min(seg.from_end_s + (len - s1) as f32 * seg.per_m_backward);
                    if t < *cell {
                        *cell = t;
                    }
                }
                span = span_end;
            }
        }
    }

    fn touch(&mut self, i0: usize, j0: usize, i1: usize, j1: usize) {
        let t = &mut self.touched;
        *t = (t.0.min(i0), t.1.min(j0), t.2.max(i1), t.3.max(j1));
    }

    /// Lowers this grid's cells to `other`'s times where they overlap (same cell size and
    /// aligned origins assumed: both grids snapped with [`snap_extent`]).
    pub fn merge_min(&mut self, other: &TimeGrid) {
        let di = ((other.origin.x - self.origin.x) / self.cell_m).round() as isize;
        let dj = ((other.origin.y - self.origin.y) / self.cell_m).round() as isize;
        let (oi0, oj0, oi1, oj1) = other.touched;
        if oi0 >= oi1 || oj0 >= oj1 {
            return;
        }
        let clamp = |v: isize, n: usize| v.clamp(0, n as isize) as usize;
        self.touch(
            clamp(oi0 as isize + di, self.nx),
            clamp(oj0 as isize + dj, self.ny),
            clamp(oi1 as isize + di, self.nx),
            clamp(oj1 as isize + dj, self.ny),
        );
        for (ti, tj, tile) in other.time_s.written() {
            for (k, &t) in tile.iter().enumerate() {
                // unreached cells change nothing: skipping them leaves untouched tiles unwritten
                if t == f32::INFINITY {
                    continue;
                }
                let (ci, cj) = ((ti + k % TILE) as isize + di, (tj + k / TILE) as isize + dj);
                if ci < 0 || cj < 0 || ci >= self.nx as isize || cj >= self.ny as isize {
                    continue;
                }
                let cell = self.time_s.get_mut(ci as usize, cj as usize);
                *cell = cell.min(t);
            }
        }
    }

    /// The cells reached within `limit_s`, as polygons along cell edges (frame metres):
    /// exteriors counter-clockwise, holes clockwise, cells touching only at a corner kept
    /// apart. Only the cells whose centre lies in `window` (the whole grid when `None`).
    pub fn polygons(&self, limit_s: f32, window: Option<Rect<f64>>) -> MultiPolygon<f64> {
        let (mut i0, mut j0, mut i1, mut j1) = self.touched;
        if let Some(w) = window {
            let lo = |v: f64, o: f64| ((v - o) / self.cell_m - 0.5).ceil().max(0.0) as usize;
            let hi = |v: f64, o: f64| ((v - o) / self.cell_m - 0.5).floor().max(-1.0) as isize + 1;
            i0 = i0.max(lo(w.min().x, self.origin.x));
            j0 = j0.max(lo(w.min().y, self.origin.y));
            i1 = i1.min(hi(w.max().x, self.origin.x).max(0) as usize);
            j1 = j1.min(hi(w.max().y, self.origin.y).max(0) as usize);
        }
        if i0 >= i1 || j0 >= j1 {
            return MultiPolygon(vec![]);
        }
        let limit_s = limit_s.min(f32::MAX);
        let filled = |i: usize, j: usize| self.time_s.get(i, j) <= limit_s;
        // Boundary edges between window vertices, directed so the filled cell is on the left;
        // a vertex has at most two exits (two when two cells meet only at that corner). Kept
        // per vertex as exit codes (see `STEPS`), in tiles over the window's vertices.
        let mut exits = Tiles::new(i1 - i0 + 1, j1 - j0 + 1, [NO_EXIT; 2]);
        let mut starts: Vec<(u32, u32)> = Vec::new();
        for j in j0..j1 {
            let mut span = i0;
            while span < i1 {
                let span_end = ((span / TILE + 1) * TILE).min(i1);
                if !self.time_s.allocated(span, j) {
                    span = span_end; // a tile never written holds no reached cell
                    continue;
                }
                for i in span..span_end {
                    if !filled(i, j) {
                        continue;
                    }
                    // (open, from vertex, exit code), counter-clockwise from the bottom side
                    let sides = [
                        (j == j0 || !filled(i, j - 1), (i, j), 0),
                        (i + 1 == i1 || !filled(i + 1, j), (i + 1, j), 1),
                        (j + 1 == j1 || !filled(i, j + 1), (i + 1, j + 1), 2),
                        (i == i0 || !filled(i - 1, j), (i, j + 1), 3),
                    ];
                    for (open, (vi, vj), code) in sides {
                        if open {
                            let (li, lj) = (vi - i0, vj - j0);
                            let slot = exits.get_mut(li, lj);
                            slot[usize::from(slot[0] != NO_EXIT)] = code;
                            starts.push((li as u32, lj as u32));
                        }
                    }
                }
                span = span_end;
            }
        }
        // Takes an exit of window vertex `v`, the one coded `prefer` when there are two, and
        // returns its code.
        let take = |exits: &mut Tiles<[u8; 2]>, v: (u32, u32), prefer: u8| -> u8 {
            let slot = exits.get_mut(v.0 as usize, v.1 as usize);
            let k = usize::from(slot[1] != NO_EXIT && slot[1] == prefer);
            let next = slot[k];
            slot[k] = slot[1];
            slot[1] = NO_EXIT;
            next
        };
        let step = |v: (u32, u32), code: u8| {
            let (di, dj) = STEPS[usize::from(code)];
            (v.0.wrapping_add_signed(di), v.1.wrapping_add_signed(dj))
        };
        let xy = |v: (u32, u32)| ((v.0 as usize + i0) as i32, (v.1 as usize + j0) as i32);
        let mut rings: Vec<Vec<(i32, i32)>> = Vec::new();
        for start in starts {
            // Start only where the exit is unambiguous: every ring has such a corner.
            let slot = exits.get(start.0 as usize, start.1 as usize);
            if slot[0] == NO_EXIT || slot[1] != NO_EXIT {
                continue;
            }
            let mut ring = vec![xy(start)];
            let mut code = take(&mut exits, start, NO_EXIT);
            let mut at = step(start, code);
            while at != start {
                ring.push(xy(at));
                // At a corner shared by two diagonal cells, turn left to keep them apart.
                code = take(&mut exits, at, (code + 1) % 4);
                at = step(at, code);
            }
            rings.push(ring);
        }
        self.assemble(rings)
    }

    fn assemble(&self, rings: Vec<Vec<(i32, i32)>>) -> MultiPolygon<f64> {
        let to_xy = |(i, j): (i32, i32)| Coord {
            x: self.origin.x + f64::from(i) * self.cell_m,
            y: self.origin.y + f64::from(j) * self.cell_m,
        };
        let mut exteriors: Vec<(Polygon<f64>, f64)> = Vec::new();
        let mut holes: Vec<LineString<f64>> = Vec::new();
        for ring in rings.into_iter().flat_map(split_at_repeats) {
            // Drop vertices where the outline runs straight on.
            let n = ring.len();
            let mut corners: Vec<Coord<f64>> = (0..n)
                .filter(|&k| {
                    let (p, c, q) = (ring[(k + n - 1) % n], ring[k], ring[(k + 1) % n]);
                    (c.0 - p.0, c.1 - p.1) != (q.0 - c.0, q.1 - c.1)
                })
                .map(|k| to_xy(ring[k]))
                .collect();
            corners.push(corners[0]);
            let signed: f64 = corners
                .windows(2)
                .map(|w| w[0].x * w[1].y - w[1].x * w[0].y)
                .sum::<f64>()
                / 2.0;
            if signed > 0.0 {
                exteriors.push((Polygon::new(LineString(corners), vec![]), signed));
            } else {
                holes.push(LineString(corners));
            }
        }
        exteriors.sort_by(|a, b| a.1.total_cmp(&b.1));
        // Exteriors by bounding box: a city's served area has thousands of exteriors and
        // holes, and testing every hole against every exterior was the largest cost of the
        // `write` stage on 64× tiled liechtenstein-2015.
        let boxes = RTree::bulk_load(
            exteriors
                .iter()
                .enumerate()
                .filter_map(|(k, (p, _))| {
                    let b = p.bounding_rect()?;
                    Some(GeomWithData::new(
                        Rectangle::from_corners([b.min().x, b.min().y], [b.max().x, b.max().y]),
                        k,
                    ))
                })
                .collect(),
        );
        for hole in holes {
            let probe = Coord {
                x: 0.5 * (hole.0[0].x + hole.0[1].x),
                y: 0.5 * (hole.0[0].y + hole.0[1].y),
            };
            // the smallest exterior around the hole holds it (exteriors are sorted by area)
            let holder = boxes
                .locate_all_at_point(&[probe.x, probe.y])
                .map(|b| b.data)
                .filter(|&k| exteriors[k].0.contains(&probe))
                .min();
            if let Some(k) = holder {
                exteriors[k].0.interiors_push(hole);
            }
        }
        let mut polygons: Vec<Polygon<f64>> = exteriors.into_iter().map(|(p, _)| p).collect();
        polygons.sort_by(|a, b| {
            let (a, b) = (a.exterior().0[0], b.exterior().0[0]);
            (a.y, a.x).partial_cmp(&(b.y, b.x)).expect("finite")
        });
        MultiPolygon(polygons)
    }
}

/// Splits a traced ring wherever it passes through a vertex twice into simple rings, each
/// keeping its orientation. A region whose outline pinches at a corner (a U whose tips touch
/// diagonally) becomes an exterior with a hole touching it at that corner — the valid way
/// to write it; a pinched hole becomes two holes touching at a point.
fn split_at_repeats(ring: Vec<(i32, i32)>) -> Vec<Vec<(i32, i32)>> {
    let mut out = Vec::new();
    let mut stack: Vec<(i32, i32)> = Vec::with_capacity(ring.len());
    let mut at: std::collections::HashMap<(i32, i32), usize> = std::collections::HashMap::new();
    for v in ring {
        if let Some(&k) = at.get(&v) {
            let pinched = stack.split_off(k);
            for u in &pinched {
                at.remove(u);
            }
            out.push(pinched);
        }
        at.insert(v, stack.len());
        stack.push(v);
    }
    out.push(stack);
    out
}

/// `extent` grown to whole cells of a lattice anchored at the frame origin, so grids of the
/// same cell size line up cell for cell.
pub fn snap_extent(extent: Rect<f64>, cell_m: f64) -> Rect<f64> {
    let lo = |v: f64| (v / cell_m).floor() * cell_m;
    let hi = |v: f64| (v / cell_m).ceil() * cell_m;
    Rect::new(
        Coord {
            x: lo(extent.min().x),
            y: lo(extent.min().y),
        },
        Coord {
            x: hi(extent.max().x),
            y: hi(extent.max().y),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Area;

    fn flat(start: Coord<f64>, end: Coord<f64>) -> TimedSegment {
        TimedSegment {
            start,
            end,
            from_start_s: 0.0,
            from_end_s: f32::INFINITY,
            per_m_forward: 1.0,
            per_m_backward: 1.0,
        }
    }

    /// A 1,000 m street buffered by 50 m: by hand, 1,000 × 100 plus two half-discs of
    /// radius 50 (7,854 m²) = 107,854 m²; cells of 5 m get within 1 % of it.
    #[test]
    fn straight_street_area_by_hand() {
        let seg = flat(Coord { x: 0.0, y: 0.0 }, Coord { x: 1000.0, y: 0.0 });
        let extent = snap_extent(
            Rect::new(Coord { x: -60.0, y: -60.0 }, Coord { x: 1060.0, y: 60.0 }),
            5.0,
        );
        let mut grid = TimeGrid::covering(extent, 5.0);
        grid.burn(&seg, 50.0);
        let area = grid.polygons(f32::INFINITY, None).unsigned_area();
        let want = 100_000.0 + std::f64::consts::PI * 2500.0;
        assert!((area - want).abs() / want < 0.01, "{area} vs {want}");
        // Cut where the time runs out: within 400 s at 1 s/m the piece is 0..400 m,
        // 400 × 100 + one half-disc + the 50 m square end's half-disc = 40,000 + 7,854.
        let cut = grid.polygons(400.0, None).unsigned_area();
        let want_cut = 40_000.0 + std::f64::consts::PI * 2500.0;
        assert!(
            (cut - want_cut).abs() / want_cut < 0.015,
            "{cut} vs {want_cut}"
        );
    }

    /// A U of cells whose tips touch diagonally: one polygon whose inside is a hole touching
    /// the exterior at the tips' shared corner, not a self-touching exterior.
    #[test]
    fn pinched_outline_is_split_into_a_valid_hole() {
        let extent = Rect::new(Coord { x: 0.0, y: 0.0 }, Coord { x: 40.0, y: 40.0 });
        let mut grid = TimeGrid::covering(extent, 10.0);
        // rows from the bottom: X X X . / X . X . / X . . . / X X . .  (tips (1,3) and (2,2))
        let filled = [
            (0, 0),
            (1, 0),
            (2, 0),
            (0, 1),
            (2, 1),
            (0, 2),
            (2, 2),
            (0, 3),
            (1, 3),
        ];
        for (i, j) in filled {
            *grid.time_s.get_mut(i, j) = 1.0;
        }
        grid.touched = (0, 0, grid.nx, grid.ny);
        let mp = grid.polygons(1.0, None);
        assert!(geo::Validation::is_valid(&mp), "{mp:?}");
        assert!((mp.unsigned_area() - 900.0).abs() < 1e-9);
    }

    #[test]
    fn ring_with_a_hole_and_corner_touching_cells() {
        // A 3×3 block of cells with the centre empty, plus a cell touching its corner.
        let extent = Rect::new(Coord { x: 0.0, y: 0.0 }, Coord { x: 50.0, y: 50.0 });
        let mut grid = TimeGrid::covering(extent, 10.0);
        for j in 0..3 {
            for i in 0..3 {
                if (i, j) != (1, 1) {
                    *grid.time_s.get_mut(i, j) = 1.0;
                }
            }
        }
        *grid.time_s.get_mut(3, 3) = 1.0;
        grid.touched = (0, 0, grid.nx, grid.ny);
        let mp = grid.polygons(1.0, None);
        assert_eq!(mp.0.len(), 2, "diagonal cells stay apart");
        let big = mp.0.iter().find(|p| p.unsigned_area() > 500.0).unwrap();
        assert_eq!(big.interiors().len(), 1);
        assert!((big.unsigned_area() - 800.0).abs() < 1e-9);
        assert!((mp.unsigned_area() - 900.0).abs() < 1e-9);
        assert!(geo::Validation::is_valid(&mp), "{mp:?}");
        // a window holding only the lone cell
        let w = Rect::new(Coord { x: 30.0, y: 30.0 }, Coord { x: 40.0, y: 40.0 });
        assert!((grid.polygons(1.0, Some(w)).unsigned_area() - 100.0).abs() < 1e-9);
    }

    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// The tiled store reads back what a dense array would, for sizes that cut tiles.
        #[test]
        fn tiles_match_a_dense_array(
            nx in 1usize..200,
            ny in 1usize..200,
            writes in proptest::collection::vec((0usize..200, 0usize..200, 0u16..1000), 0..300),
        ) {
            let mut tiles = Tiles::new(nx, ny, u16::MAX);
            let mut dense = vec![u16::MAX; nx * ny];
            for (i, j, v) in writes {
                let (i, j) = (i % nx, j % ny);
                *tiles.get_mut(i, j) = v;
                dense[j * nx + i] = v;
            }
            for j in 0..ny {
                for i in 0..nx {
                    prop_assert_eq!(tiles.get(i, j), dense[j * nx + i], "cell {} {}", i, j);
                }
            }
            let mut seen = 0;
            for (ti, tj, tile) in tiles.written() {
                for (k, &v) in tile.iter().enumerate() {
                    let (i, j) = (ti + k % TILE, tj + k / TILE);
                    if v != u16::MAX {
                        prop_assert_eq!(v, dense[j * nx + i]);
                        seen += 1;
                    }
                }
            }
            prop_assert_eq!(seen, dense.iter().filter(|&&v| v != u16::MAX).count());
        }

        /// Merging equals the cell-wise minimum of the two grids, read cell by cell.
        #[test]
        fn merge_is_the_cellwise_minimum(
            segs in proptest::collection::vec(
                (0.0..1500.0f64, 0.0..1500.0f64, 0.0..1500.0f64, 0.0..1500.0f64, 0.0..100.0f32),
                1..12,
            ),
            shift in (0i32..40, 0i32..40),
        ) {
            let big = Rect::new(Coord { x: 0.0, y: 0.0 }, Coord { x: 1500.0, y: 1500.0 });
            let mut a = TimeGrid::covering(big, 10.0);
            let small = Rect::new(
                Coord { x: f64::from(shift.0) * 10.0, y: f64::from(shift.1) * 10.0 },
                Coord { x: f64::from(shift.0) * 10.0 + 900.0, y: f64::from(shift.1) * 10.0 + 700.0 },
            );
            let mut b = TimeGrid::covering(small, 10.0);
            for (k, &(x0, y0, x1, y1, t)) in segs.iter().enumerate() {
                let seg = TimedSegment { from_start_s: t, ..flat(Coord { x: x0, y: y0 }, Coord { x: x1, y: y1 }) };
                if k % 2 == 0 { a.burn(&seg, 30.0) } else { b.burn(&seg, 30.0) }
            }
            let before = a.clone();
            a.merge_min(&b);
            let (di, dj) = (shift.0 as usize, shift.1 as usize);
            for j in 0..a.ny {
                for i in 0..a.nx {
                    let from_b = if i >= di && j >= dj && i - di < b.nx && j - dj < b.ny {
                        b.time_s.get(i - di, j - dj)
                    } else {
                        f32::INFINITY
                    };
                    prop_assert_eq!(a.time_s.get(i, j), before.time_s.get(i, j).min(from_b));
                }
            }
        }

        /// Traced polygons hold exactly the filled cells: valid, of the filled cells' total
        /// area, containing every filled cell's centre and no empty neighbour's.
        #[test]
        fn polygons_hold_exactly_the_filled_cells(
            cells in proptest::collection::vec((0usize..140, 0usize..140), 1..250),
            blobs in proptest::collection::vec((0usize..130, 0usize..130, 1usize..12, 1usize..12), 0..6),
        ) {
            let extent = Rect::new(Coord { x: 0.0, y: 0.0 }, Coord { x: 1400.0, y: 1400.0 });
            let mut grid = TimeGrid::covering(extent, 10.0);
            let mut filled = std::collections::BTreeSet::new();
            let blob_cells = blobs.iter().flat_map(|&(i, j, w, h)| {
                (j..(j + h).min(140)).flat_map(move |y| (i..(i + w).min(140)).map(move |x| (x, y)))
            });
            for (i, j) in cells.into_iter().chain(blob_cells) {
                *grid.time_s.get_mut(i, j) = 1.0;
                grid.touch(i, j, i + 1, j + 1);
                filled.insert((i, j));
            }
            let mp = grid.polygons(1.0, None);
            prop_assert!(geo::Validation::is_valid(&mp), "{:?}", mp);
            prop_assert!((mp.unsigned_area() - 100.0 * filled.len() as f64).abs() < 1e-6);
            let centre = |i: usize, j: usize| geo::Point::new(i as f64 * 10.0 + 5.0, j as f64 * 10.0 + 5.0);
            for &(i, j) in &filled {
                prop_assert!(mp.contains(&centre(i, j)), "filled {} {}", i, j);
                for (ni, nj) in [(i + 1, j), (i, j + 1), (i.wrapping_sub(1), j), (i, j.wrapping_sub(1))] {
                    if ni < 140 && nj < 140 && !filled.contains(&(ni, nj)) {
                        prop_assert!(!mp.contains(&centre(ni, nj)), "empty {} {}", ni, nj);
                    }
                }
            }
        }
    }
}

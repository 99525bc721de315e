//! Point in polygon for many points against the same polygons: each ring's edges bucketed by
//! the horizontal band of the plane they cross, so a query looks only at the edges of the
//! band holding the point.
//!
//! Hand-written because locating every home in its district and sub-district with geo's
//! `Contains` walked every edge of a municipal outline per home: 9 % of a 4× tiled
//! liechtenstein-2015 run in `coord_pos_relative_to_ring` (perf, cpu-clock samples), with
//! outlines of thousands of edges. The answer is the same as `Contains` (the same winding
//! rule and robust orientation test, edge by edge): an edge whose `y` span misses the point's
//! `y` never changes the winding number nor puts the point on the boundary, so skipping it
//! changes nothing.
//!
//! Also here, as the other half of "points and polygons": [`point_inside`], the one point
//! that stands for a polygon (a home's building, a facility's area, a unit's outline), so
//! residents, facilities and indicators all place a polygon the same way.

use geo::kernels::{Kernel, Orientation, RobustKernel};
use geo::{Centroid, Contains, Coord, InteriorPoint, LineString, MultiPolygon};

/// Edges per band, on average: a few edges to test per query at little memory.
const EDGES_PER_BAND: usize = 4;

/// Where a point lies relative to a ring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RingPos {
    Inside,
    OnBoundary,
    Outside,
}

/// One closed ring with its edges bucketed by band.
#[derive(Debug, Clone)]
struct IndexedRing {
    points: Vec<Coord<f64>>,
    min_y: f64,
    /// Bands per metre (or per unit of `y`).
    scale: f64,
    /// Compressed rows: the edges of band `b` are `edges[start[b]..start[b + 1]]`, by index.
    start: Vec<u32>,
    edges: Vec<u32>,
}

impl IndexedRing {
    fn new(ring: &LineString<f64>) -> Self {
        let points = ring.0.clone();
        let n_edges = points.len().saturating_sub(1);
        let (min_y, max_y) = points
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| {
                (lo.min(p.y), hi.max(p.y))
            });
        let bands = (n_edges / EDGES_PER_BAND).max(1);
        let scale = if max_y > min_y {
            bands as f64 / (max_y - min_y)
        } else {
            0.0
        };
        let mut ring = IndexedRing {
            points,
            min_y,
            scale,
            start: vec![0; bands + 1],
            edges: Vec::new(),
        };
        // Bands of each edge, through the same (monotone) `band` as queries, so an edge
        // spanning a point's `y` always lies in that point's band.
        let span = |r: &IndexedRing, e: usize| {
            let (a, b) = (r.points[e].y, r.points[e + 1].y);
            (r.band(a.min(b)), r.band(a.max(b)))
        };
        for e in 0..n_edges {
            let (lo, hi) = span(&ring, e);
            for count in &mut ring.start[lo + 1..=hi + 1] {
                *count += 1;
            }
        }
        for b in 0..bands {
            ring.start[b + 1] += ring.start[b];
        }
        let mut next = ring.start.clone();
        ring.edges = vec![0; ring.start[bands] as usize];
        for e in 0..n_edges {
            let (lo, hi) = span(&ring, e);
            for slot in &mut next[lo..=hi] {
                ring.edges[*slot as usize] = e as u32;
                *slot += 1;
            }
        }
        ring
    }

    fn band(&self, y: f64) -> usize {
        let last = self.start.len() - 2;
        (((y - self.min_y) * self.scale).max(0.0) as usize).min(last)
    }

    /// As geo's `coord_pos_relative_to_ring`, over the edges of `c`'s band only.
    fn position(&self, c: Coord<f64>) -> RingPos {
        match self.points.len() {
            0 => return RingPos::Outside,
            1 => {
                return if c == self.points[0] {
                    RingPos::OnBoundary
                } else {
                    RingPos::Outside
                };
            }
            _ => {}
        }
        let b = self.band(c.y);
        let mut winding = 0i32;
        for &e in &self.edges[self.start[b] as usize..self.start[b + 1] as usize] {
            let (s, t) = (self.points[e as usize], self.points[e as usize + 1]);
            let between = || {
                let (lo, hi) = if s.x <= t.x { (s.x, t.x) } else { (t.x, s.x) };
                lo <= c.x && c.x <= hi
            };
            if s.y <= c.y {
                if t.y >= c.y {
                    let o = RobustKernel::orient2d(s, t, c);
                    if o == Orientation::CounterClockwise && t.y != c.y {
                        winding += 1;
                    } else if o == Orientation::Collinear && between() {
                        return RingPos::OnBoundary;
                    }
                }
            } else if t.y <= c.y {
                let o = RobustKernel::orient2d(s, t, c);
                if o == Orientation::Clockwise {
                    winding -= 1;
                } else if o == Orientation::Collinear && between() {
                    return RingPos::OnBoundary;
                }
            }
        }
        if winding == 0 {
            RingPos::Outside
        } else {
            RingPos::Inside
        }
    }
}

/// A multipolygon prepared for many point-in-polygon queries. Costs about 1.5 times the
/// polygon's memory; worth it from a few queries per edge of the outline.
#[derive(Debug, Clone)]
pub struct IndexedArea {
    /// Per polygon: exterior, then holes.
    polygons: Vec<Vec<IndexedRing>>,
}

impl IndexedArea {
    /// Indexes every ring of `area`.
    pub fn new(area: &MultiPolygon<f64>) -> Self {
        IndexedArea {
            polygons: area
                .0
                .iter()
                .map(|p| {
                    std::iter::once(p.exterior())
                        .chain(p.interiors())
                        .map(IndexedRing::new)
                        .collect()
                })
                .collect(),
        }
    }

    /// Whether `c` lies strictly inside: the same answer as geo's
    /// `Contains<Coord> for MultiPolygon` (a point on an outline is not contained).
    pub fn contains(&self, c: Coord<f64>) -> bool {
        self.polygons.iter().any(|rings| {
            let Some((exterior, holes)) = rings.split_first() else {
                return false;
            };
            exterior.position(c) == RingPos::Inside
                && holes.iter().all(|h| h.position(c) == RingPos::Outside)
        })
    }
}

/// A point inside `polygon`: its centroid when that lies inside, else geo's interior point;
/// `None` for an empty or degenerate polygon.
pub fn point_inside(polygon: &MultiPolygon<f64>) -> Option<Coord<f64>> {
    let centroid = polygon.centroid()?;
    if polygon.contains(&centroid) {
        return Some(centroid.0);
    }
    polygon.interior_point().map(|p| p.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Polygon;
    use proptest::prelude::*;

    fn ring(points: &[(i32, i32)]) -> LineString<f64> {
        let mut r: Vec<Coord<f64>> = points
            .iter()
            .map(|&(x, y)| Coord {
                x: f64::from(x),
                y: f64::from(y),
            })
            .collect();
        r.push(r[0]);
        LineString(r)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// Same answer as geo's `Contains` on random (often self-crossing) polygons with
        /// holes, at random points and at points on vertices and edges (integer lattice, so
        /// boundary hits are common).
        #[test]
        fn matches_geo_contains(
            polys in proptest::collection::vec(
                (
                    proptest::collection::vec((-20i32..20, -20i32..20), 3..40),
                    proptest::collection::vec(proptest::collection::vec((-20i32..20, -20i32..20), 3..10), 0..3),
                ),
                1..4,
            ),
            queries in proptest::collection::vec((-42i32..42, -42i32..42), 1..60),
        ) {
            let mp = MultiPolygon(
                polys
                    .iter()
                    .map(|(ext, holes)| Polygon::new(ring(ext), holes.iter().map(|h| ring(h)).collect()))
                    .collect(),
            );
            let indexed = IndexedArea::new(&mp);
            for (x, y) in queries {
                // half-units too: midpoints of edges, centres of cells
                let c = Coord { x: f64::from(x) / 2.0, y: f64::from(y) / 2.0 };
                prop_assert_eq!(indexed.contains(c), mp.contains(&c), "at {:?}", c);
            }
            for p in mp.0.iter().flat_map(|p| p.exterior().0.iter().chain(p.interiors().iter().flat_map(|h| h.0.iter()))) {
                prop_assert_eq!(indexed.contains(*p), mp.contains(p), "vertex {:?}", p);
            }
        }
    }

    #[test]
    fn square_with_hole_by_hand() {
        let mp = MultiPolygon(vec![Polygon::new(
            ring(&[(0, 0), (10, 0), (10, 10), (0, 10)]),
            vec![ring(&[(4, 4), (6, 4), (6, 6), (4, 6)])],
        )]);
        let a = IndexedArea::new(&mp);
        assert!(a.contains(Coord { x: 1.0, y: 1.0 }));
        assert!(!a.contains(Coord { x: 5.0, y: 5.0 }), "in the hole");
        assert!(!a.contains(Coord { x: 0.0, y: 5.0 }), "on the outline");
        assert!(
            !a.contains(Coord { x: 4.0, y: 5.0 }),
            "on the hole's outline"
        );
        assert!(!a.contains(Coord { x: 11.0, y: 5.0 }));
        assert!(!IndexedArea::new(&MultiPolygon(vec![])).contains(Coord { x: 0.0, y: 0.0 }));
    }

    /// A square's centroid is inside; a ring-shaped square's centroid falls in its hole, so
    /// the interior point stands in; an empty polygon has none.
    #[test]
    fn point_inside_by_hand() {
        let square = MultiPolygon(vec![Polygon::new(
            ring(&[(0, 0), (10, 0), (10, 10), (0, 10)]),
            vec![],
        )]);
        assert_eq!(point_inside(&square), Some(Coord { x: 5.0, y: 5.0 }));
        let holed = MultiPolygon(vec![Polygon::new(
            ring(&[(0, 0), (10, 0), (10, 10), (0, 10)]),
            vec![ring(&[(2, 2), (8, 2), (8, 8), (2, 8)])],
        )]);
        let p = point_inside(&holed).expect("a ring has an inside");
        assert!(holed.contains(&p), "{p:?} is inside");
        assert_eq!(point_inside(&MultiPolygon(vec![])), None);
    }
}

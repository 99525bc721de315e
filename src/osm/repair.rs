//! Outline repair: a mapped outline that is not a valid OGC polygon (a ring crossing itself,
//! outer rings of a multipolygon that overlap) is rebuilt with geo's boolean operations, so
//! that every polygon layer holds only geometry that GEOS, QGIS and shapely accept.
//!
//! The repair orients the rings (outers counter-clockwise, holes clockwise) and takes the
//! union of the outline with nothing under the non-zero fill rule: a bow-tie becomes its two
//! triangles, overlapping outers merge, holes stay holes. A valid outline is never touched,
//! so that its coordinates stay exactly as mapped. What the repair cannot make valid (an
//! outline with no area left, or still invalid after the union) is reported as such and left
//! to the caller.

use geo::algorithm::bool_ops::FillRule;
use geo::algorithm::coordinate_position::{CoordPos, coord_pos_relative_to_ring};
use geo::algorithm::line_intersection::line_intersection;
use geo::algorithm::sweep::{Cross, Intersections};
use geo::orient::{Direction, Orient};
use geo::{BooleanOps, Coord, Line, LineIntersection, LineString, MultiPolygon, Validation};

/// What the validity check made of one outline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outline {
    /// Valid as mapped.
    Valid,
    /// Invalid as mapped (the reason, as geo states it), and replaced by its repair.
    Repaired(String),
    /// Invalid as mapped and not repairable (the reason); left as mapped.
    Unrepairable(String),
}

/// Checks `polygon` and replaces it by its repair when invalid; see the module doc.
///
/// # Examples
/// ```
/// use fifteen::osm::repair::{Outline, repair_outline};
/// use geo::{Area, MultiPolygon, polygon};
///
/// // A bow-tie: the ring crosses itself at (1, 1).
/// let bow_tie = MultiPolygon(vec![polygon![
///     (x: 0.0, y: 0.0), (x: 2.0, y: 2.0), (x: 2.0, y: 0.0), (x: 0.0, y: 2.0),
/// ]]);
/// let mut fixed = bow_tie.clone();
/// assert!(matches!(repair_outline(&mut fixed), Outline::Repaired(_)));
/// assert_eq!(fixed.0.len(), 2); // two triangles touching at (1, 1)
/// assert!((fixed.unsigned_area() - 2.0).abs() < 1e-9);
/// ```
pub fn repair_outline(polygon: &mut MultiPolygon<f64>) -> Outline {
    let invalid = match surely_valid(polygon) {
        true => None,
        false => polygon.check_validation().err().map(|why| why.to_string()),
    };
    let why = match invalid {
        Some(why) => why,
        None => match spike(polygon) {
            Some(at) => format!("ring turns back on itself at ({}, {})", at.x, at.y),
            None => return Outline::Valid,
        },
    };
    let oriented = polygon.orient(Direction::Default);
    let repaired = oriented.union_with_fill_rule(&MultiPolygon::new(vec![]), FillRule::NonZero);
    if repaired.0.is_empty() {
        return Outline::Unrepairable(format!("{why}; no area left once repaired"));
    }
    if let Err(still) = repaired.check_validation() {
        return Outline::Unrepairable(format!("{why}; still invalid once repaired: {still}"));
    }
    *polygon = repaired;
    Outline::Repaired(why)
}

/// A vertex where a ring turns back on itself (a spike, or a ring with no area), which GEOS
/// calls a self-intersection and geo's validation lets pass.
fn spike(polygon: &MultiPolygon<f64>) -> Option<Coord<f64>> {
    let rings = polygon
        .0
        .iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()));
    for ring in rings {
        let mut points: Vec<Coord<f64>> = ring.0.clone();
        points.dedup();
        if points.len() > 1 && points.first() == points.last() {
            points.pop();
        }
        let n = points.len();
        for i in 0..n {
            let (a, b, c) = (points[(i + n - 1) % n], points[i], points[(i + 1) % n]);
            let (ab, bc) = (b - a, c - b);
            if ab.x * bc.y - ab.y * bc.x == 0.0 && ab.x * bc.x + ab.y * bc.y < 0.0 {
                return Some(b);
            }
        }
    }
    None
}

/// Outlines with at most this many segments are checked pair by pair rather than by a sweep.
const SMALL_RING_SEGMENTS: usize = 32;

/// One segment of a ring, for the sweep: which ring, where in it, and how many it has.
struct Segment {
    ring: usize,
    index: usize,
    count: usize,
    line: Line<f64>,
}

impl Cross for Segment {
    type Scalar = f64;
    fn line(&self) -> Line<f64> {
        self.line
    }
}

/// Whether `polygon` is certainly valid, decided fast: no two segments of any of its rings
/// meet except neighbours at their shared vertex (a sweep, O((n + k) log n)), every hole
/// lies inside its own exterior, and no ring lies inside another it should not. `false`
/// means "not shown": the caller runs geo's full check. Written by hand because that check
/// compares every pair of a ring's segments (O(n²)): on 16× tiled liechtenstein-2015 its
/// admin boundaries took the `units` stage from 0.10 to 0.33 s.
fn surely_valid(polygon: &MultiPolygon<f64>) -> bool {
    let rings: Vec<&LineString<f64>> = (polygon.0.iter())
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .collect();
    let mut segments = Vec::new();
    for (ring, line_string) in rings.iter().enumerate() {
        let count = line_string.0.len().saturating_sub(1);
        if count < 3 || !line_string.is_closed() {
            return false;
        }
        for (index, line) in line_string.lines().enumerate() {
            let finite = [line.start, line.end]
                .iter()
                .all(|c| c.x.is_finite() && c.y.is_finite());
            if !finite || line.start == line.end {
                return false;
            }
            segments.push(Segment {
                ring,
                index,
                count,
                line,
            });
        }
    }
    let neighbours_at_their_vertex = |a: &Segment, b: &Segment, at: Coord<f64>| {
        let (first, second) = if (a.index + 1) % a.count == b.index {
            (a, b)
        } else if (b.index + 1) % b.count == a.index {
            (b, a)
        } else {
            return false;
        };
        a.ring == b.ring && first.line.end == at && second.line.start == at
    };
    let crosses = |a: &Segment, b: &Segment, meet: LineIntersection<f64>| match meet {
        LineIntersection::SinglePoint { intersection, .. } => {
            !neighbours_at_their_vertex(a, b, intersection)
        }
        LineIntersection::Collinear { .. } => true,
    };
    // A building's few segments are compared pair by pair, cheaper than setting up a sweep.
    let crossing = if segments.len() <= SMALL_RING_SEGMENTS {
        (segments.iter().enumerate()).any(|(i, a)| {
            segments[i + 1..]
                .iter()
                .any(|b| line_intersection(a.line, b.line).is_some_and(|meet| crosses(a, b, meet)))
        })
    } else {
        Intersections::from_iter(segments.iter()).any(|(a, b, meet)| crosses(a, b, meet))
    };
    if crossing {
        return false;
    }
    // No two rings meet, so each lies wholly inside or outside another: one vertex tells.
    let inside = |ring: &LineString<f64>, of: &LineString<f64>| {
        coord_pos_relative_to_ring(ring.0[0], of) == CoordPos::Inside
    };
    polygon.0.iter().enumerate().all(|(i, p)| {
        let holes: Vec<&LineString<f64>> = p.interiors().iter().collect();
        let holes_inside = holes.iter().all(|h| inside(h, p.exterior()));
        let holes_apart = (holes.iter().enumerate()).all(|(j, h)| {
            holes
                .iter()
                .skip(j + 1)
                .all(|g| !inside(g, h) && !inside(h, g))
        });
        let polygons_apart = (polygon.0.iter().enumerate())
            .filter(|&(k, _)| k != i)
            .all(|(_, q)| !inside(q.exterior(), p.exterior()));
        holes_inside && holes_apart && polygons_apart
    })
}

/// How many outlines of one kind were repaired, and how many could not be.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct RepairCounts {
    /// Invalid as mapped, repaired.
    pub repaired: usize,
    /// Invalid as mapped and not repairable: left out of the polygon layers.
    pub unrepairable: usize,
}

impl RepairCounts {
    /// Counts one outline's check.
    pub fn count(&mut self, outline: &Outline) {
        match outline {
            Outline::Valid => {}
            Outline::Repaired(_) => self.repaired += 1,
            Outline::Unrepairable(_) => self.unrepairable += 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Area, polygon};

    #[test]
    fn valid_outline_is_untouched() {
        let square = MultiPolygon(vec![polygon![
            (x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0), (x: 0.0, y: 1.0),
        ]]);
        let mut same = square.clone();
        assert_eq!(repair_outline(&mut same), Outline::Valid);
        assert_eq!(same, square);
    }

    #[test]
    fn overlapping_outers_merge() {
        // Two 2×2 squares overlapping in a 1×2 strip: 4 + 4 - 2 = 6.
        let a = polygon![(x: 0.0, y: 0.0), (x: 2.0, y: 0.0), (x: 2.0, y: 2.0), (x: 0.0, y: 2.0)];
        let b = polygon![(x: 1.0, y: 0.0), (x: 3.0, y: 0.0), (x: 3.0, y: 2.0), (x: 1.0, y: 2.0)];
        let mut fixed = MultiPolygon(vec![a, b]);
        let outline = repair_outline(&mut fixed);
        assert!(matches!(outline, Outline::Repaired(_)), "{outline:?}");
        assert_eq!(fixed.0.len(), 1);
        assert!((fixed.unsigned_area() - 6.0).abs() < 1e-9);
    }

    #[test]
    fn hole_stays_a_hole_whatever_its_winding() {
        // A 4×4 square with a 1×1 hole wound like its exterior, overlapping a 3×4 square in a
        // 1×4 strip: 16 + 12 - 4 - 1 = 23.
        let a = geo::Polygon::new(
            geo::LineString::from(vec![(0.0, 0.0), (4.0, 0.0), (4.0, 4.0), (0.0, 4.0)]),
            vec![geo::LineString::from(vec![
                (1.0, 1.0),
                (2.0, 1.0),
                (2.0, 2.0),
                (1.0, 2.0),
            ])],
        );
        let b = polygon![(x: 3.0, y: 0.0), (x: 6.0, y: 0.0), (x: 6.0, y: 4.0), (x: 3.0, y: 4.0)];
        let mut fixed = MultiPolygon(vec![a, b]);
        let outline = repair_outline(&mut fixed);
        assert!(matches!(outline, Outline::Repaired(_)), "{outline:?}");
        assert!(fixed.is_valid());
        assert!((fixed.unsigned_area() - 23.0).abs() < 1e-9, "{fixed:?}");
    }

    #[test]
    fn spike_is_cut_off() {
        // A unit square with a spike out to (3, 0.5) and back: GEOS says self-intersection.
        let mut fixed = MultiPolygon(vec![polygon![
            (x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 0.5), (x: 3.0, y: 0.5),
            (x: 1.0, y: 0.5), (x: 1.0, y: 1.0), (x: 0.0, y: 1.0),
        ]]);
        let outline = repair_outline(&mut fixed);
        assert!(matches!(outline, Outline::Repaired(_)), "{outline:?}");
        assert!((fixed.unsigned_area() - 1.0).abs() < 1e-9, "{fixed:?}");
        assert!(spike(&fixed).is_none(), "{fixed:?}");
    }

    #[test]
    fn zero_area_outline_is_unrepairable() {
        let line = MultiPolygon(vec![polygon![
            (x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 2.0, y: 0.0),
        ]]);
        let mut same = line.clone();
        let got = repair_outline(&mut same);
        assert!(matches!(got, Outline::Unrepairable(_)), "{got:?}");
        assert_eq!(same, line);
    }

    fn square(x: f64, y: f64, side: f64) -> geo::Polygon<f64> {
        polygon![
            (x: x, y: y), (x: x + side, y: y), (x: x + side, y: y + side), (x: x, y: y + side),
        ]
    }

    #[test]
    fn the_fast_check_shows_what_is_plainly_valid_and_nothing_invalid() {
        let with_hole = geo::Polygon::new(
            square(0.0, 0.0, 4.0).exterior().clone(),
            vec![square(1.0, 1.0, 1.0).exterior().clone()],
        );
        let hole_outside = geo::Polygon::new(
            square(0.0, 0.0, 4.0).exterior().clone(),
            vec![square(5.0, 5.0, 1.0).exterior().clone()],
        );
        let bow_tie =
            polygon![(x: 0.0, y: 0.0), (x: 2.0, y: 2.0), (x: 2.0, y: 0.0), (x: 0.0, y: 2.0)];
        let cases = [
            (MultiPolygon(vec![square(0.0, 0.0, 1.0)]), true),
            (MultiPolygon(vec![with_hole]), true),
            (
                MultiPolygon(vec![square(0.0, 0.0, 1.0), square(3.0, 0.0, 1.0)]),
                true,
            ),
            (MultiPolygon(vec![hole_outside]), false),
            (MultiPolygon(vec![bow_tie]), false),
            (
                MultiPolygon(vec![square(0.0, 0.0, 2.0), square(1.0, 0.0, 2.0)]),
                false,
            ),
            (
                MultiPolygon(vec![square(0.0, 0.0, 4.0), square(1.0, 1.0, 1.0)]),
                false,
            ),
        ];
        for (polygon, fast) in cases {
            assert_eq!(surely_valid(&polygon), fast, "{polygon:?}");
            assert_eq!(polygon.check_validation().is_ok(), fast, "{polygon:?}");
        }
    }

    proptest::proptest! {
        /// The fast check never calls valid what geo's full check rejects (random rings on a
        /// small grid, so that crossings, touches and overlaps are common).
        #[test]
        fn fast_check_agrees_with_geo_when_it_says_valid(
            rings in proptest::collection::vec(
                proptest::collection::vec((0i32..6, 0i32..6), 3..7), 1..4)
        ) {
            let polygons: Vec<geo::Polygon<f64>> = rings
                .iter()
                .map(|r| geo::Polygon::new(
                    LineString::from(r.iter().map(|&(x, y)| (f64::from(x), f64::from(y))).collect::<Vec<_>>()),
                    vec![],
                ))
                .collect();
            let as_one = MultiPolygon(polygons.clone());
            let with_holes = MultiPolygon(vec![geo::Polygon::new(
                polygons[0].exterior().clone(),
                polygons[1..].iter().map(|p| p.exterior().clone()).collect(),
            )]);
            for polygon in [as_one, with_holes] {
                if surely_valid(&polygon) {
                    proptest::prop_assert!(polygon.check_validation().is_ok(), "{:?}", polygon);
                }
            }
        }
    }
}

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
use geo::orient::{Direction, Orient};
use geo::{BooleanOps, Coord, MultiPolygon, Validation};

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
    let why = match polygon.check_validation() {
        Err(why) => why.to_string(),
        Ok(()) => match spike(polygon) {
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
}

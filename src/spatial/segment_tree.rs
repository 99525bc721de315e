//! A static R-tree of line segments, packed in Hilbert order, searched nearest first.
//!
//! Written by hand rather than taken from rstar, which the snapping used before: rstar's bulk
//! load runs on one core and was the longest serial stage of a big run (the `index` stage,
//! beside the homes on the other core: 0.4 s for 0.9 M segments of 16× tiled Liechtenstein,
//! 1.4–2.2 s for 3.6 M at 64×). Here the segments are sorted by the Hilbert index of their
//! centres in parallel and the levels are packed bottom-up (the layout of the flatbush
//! library): `index` 0.2 s and 0.75–0.9 s, while `snap` went from 0.82–0.90 s to 0.84–1.08 s
//! at 64× (single runs). The nearest-first search breaks ties between equally distant
//! segments by their ids, so which segment a point meets never depends on how the tree was
//! packed.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use geo::Coord;
use rayon::prelude::*;

/// Children per node (8 and 16 measured alike at 64×, 8 slightly ahead).
const NODE_SIZE: usize = 8;

/// One segment: its ends and its id (edge, segment index along the edge).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Segment {
    /// First end, frame metres.
    pub a: Coord<f64>,
    /// Second end, frame metres.
    pub b: Coord<f64>,
    /// Edge id and the segment's index along the edge; unique per segment.
    pub id: (u32, u32),
}

impl Segment {
    fn bbox(&self) -> BBox {
        BBox {
            min: Coord {
                x: self.a.x.min(self.b.x),
                y: self.a.y.min(self.b.y),
            },
            max: Coord {
                x: self.a.x.max(self.b.x),
                y: self.a.y.max(self.b.y),
            },
        }
    }

    /// The nearest point of the segment to `p`: how far along it (0 at `a`, 1 at `b`), and
    /// where.
    pub fn closest(&self, p: Coord<f64>) -> (f64, Coord<f64>) {
        let d = self.b - self.a;
        let len2 = d.x * d.x + d.y * d.y;
        let t = if len2 > 0.0 {
            (((p.x - self.a.x) * d.x + (p.y - self.a.y) * d.y) / len2).clamp(0.0, 1.0)
        } else {
            0.0
        };
        (t, self.a + d * t)
    }

    /// Squared distance from `p` to the nearest point of the segment.
    pub fn distance_2(&self, p: Coord<f64>) -> f64 {
        let e = p - self.closest(p).1;
        e.x * e.x + e.y * e.y
    }
}

/// An axis-aligned box.
#[derive(Debug, Clone, Copy, PartialEq)]
struct BBox {
    min: Coord<f64>,
    max: Coord<f64>,
}

impl BBox {
    const EMPTY: BBox = BBox {
        min: Coord {
            x: f64::INFINITY,
            y: f64::INFINITY,
        },
        max: Coord {
            x: f64::NEG_INFINITY,
            y: f64::NEG_INFINITY,
        },
    };

    fn union(self, other: BBox) -> BBox {
        BBox {
            min: Coord {
                x: self.min.x.min(other.min.x),
                y: self.min.y.min(other.min.y),
            },
            max: Coord {
                x: self.max.x.max(other.max.x),
                y: self.max.y.max(other.max.y),
            },
        }
    }

    /// Squared distance from `p` to the box (0 inside).
    fn distance_2(&self, p: Coord<f64>) -> f64 {
        let dx = (self.min.x - p.x).max(0.0).max(p.x - self.max.x);
        let dy = (self.min.y - p.y).max(0.0).max(p.y - self.max.y);
        dx * dx + dy * dy
    }
}

/// The packed tree: segments in Hilbert order, then the boxes of each level of nodes above
/// them, the root last.
pub struct SegmentTree {
    segments: Vec<Segment>,
    /// Node boxes, level after level (level 0 holds the parents of the segments).
    boxes: Vec<BBox>,
    /// Where each level of `boxes` ends; the last level is the root alone.
    level_ends: Vec<usize>,
}

impl SegmentTree {
    /// Packs `segments` (any order; ids unique).
    pub fn new(segments: Vec<Segment>) -> Self {
        let extent = segments
            .par_iter()
            .map(Segment::bbox)
            .reduce(|| BBox::EMPTY, BBox::union);
        let scale = |v: f64, lo: f64, hi: f64| {
            if hi > lo {
                (((v - lo) / (hi - lo)) * f64::from(u16::MAX)) as u32
            } else {
                0
            }
        };
        let mut order: Vec<(u32, (u32, u32), u32)> = segments
            .par_iter()
            .enumerate()
            .map(|(i, s)| {
                let b = s.bbox();
                let x = scale((b.min.x + b.max.x) / 2.0, extent.min.x, extent.max.x);
                let y = scale((b.min.y + b.max.y) / 2.0, extent.min.y, extent.max.y);
                (hilbert(x, y), s.id, i as u32)
            })
            .collect();
        order.par_sort_unstable();
        let sorted: Vec<Segment> = order
            .par_iter()
            .map(|&(_, _, i)| segments[i as usize])
            .collect();
        drop((order, segments));
        let segments = sorted;
        let mut boxes: Vec<BBox> = segments
            .par_chunks(NODE_SIZE)
            .map(|chunk| {
                chunk
                    .iter()
                    .map(Segment::bbox)
                    .fold(BBox::EMPTY, BBox::union)
            })
            .collect();
        let mut level_ends = vec![boxes.len()];
        let mut start = 0;
        while boxes.len() - start > 1 {
            let end = boxes.len();
            let parents: Vec<BBox> = boxes[start..end]
                .chunks(NODE_SIZE)
                .map(|chunk| chunk.iter().copied().fold(BBox::EMPTY, BBox::union))
                .collect();
            boxes.extend(parents);
            level_ends.push(boxes.len());
            start = end;
        }
        SegmentTree {
            segments,
            boxes,
            level_ends,
        }
    }

    /// Yields (segment, squared distance from `p`) for the segments within squared distance
    /// `max_distance_2`, by nondecreasing distance; equally distant ones by increasing id.
    pub fn nearest(&self, p: Coord<f64>, max_distance_2: f64) -> Nearest<'_> {
        let mut nearest = Nearest {
            tree: self,
            p,
            max_distance_2,
            queue: BinaryHeap::with_capacity(4 * NODE_SIZE),
        };
        if let Some(&root) = self.boxes.last() {
            let level = (self.level_ends.len() - 1) as u32;
            nearest.push(root.distance_2(p), What::Node { level, index: 0 });
        }
        nearest
    }

    /// The first index of `level` in `boxes`.
    fn level_start(&self, level: usize) -> usize {
        if level == 0 {
            0
        } else {
            self.level_ends[level - 1]
        }
    }
}

/// What a queue entry stands for. Nodes sort before segments at the same distance, so every
/// segment at a distance is queued before the first of them is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum What {
    /// A node: its level (0 = parents of segments) and index within the level.
    Node { level: u32, index: u32 },
    /// A segment: its id, then its place in the tree.
    Segment { id: (u32, u32), index: u32 },
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    distance_2: f64,
    what: What,
}

impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        self.distance_2
            .total_cmp(&other.distance_2)
            .then(self.what.cmp(&other.what))
    }
}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Entry {}

/// The nearest-first walk of [`SegmentTree::nearest`].
pub struct Nearest<'a> {
    tree: &'a SegmentTree,
    p: Coord<f64>,
    max_distance_2: f64,
    queue: BinaryHeap<Reverse<Entry>>,
}

impl Nearest<'_> {
    /// Queues `what` unless it lies beyond the search radius.
    fn push(&mut self, distance_2: f64, what: What) {
        if distance_2 <= self.max_distance_2 {
            self.queue.push(Reverse(Entry { distance_2, what }));
        }
    }
}

impl<'a> Iterator for Nearest<'a> {
    type Item = (&'a Segment, f64);

    fn next(&mut self) -> Option<Self::Item> {
        let tree = self.tree;
        while let Some(Reverse(entry)) = self.queue.pop() {
            match entry.what {
                What::Segment { index, .. } => {
                    return Some((&tree.segments[index as usize], entry.distance_2));
                }
                What::Node { level, index } => {
                    let (level, first) = (level as usize, index as usize * NODE_SIZE);
                    if level == 0 {
                        let end = (first + NODE_SIZE).min(tree.segments.len());
                        for (i, s) in tree.segments[first..end].iter().enumerate() {
                            let what = What::Segment {
                                id: s.id,
                                index: (first + i) as u32,
                            };
                            self.push(s.distance_2(self.p), what);
                        }
                    } else {
                        let (start, end) =
                            (tree.level_start(level - 1), tree.level_ends[level - 1]);
                        let children =
                            &tree.boxes[start + first..(start + first + NODE_SIZE).min(end)];
                        for (i, b) in children.iter().enumerate() {
                            let what = What::Node {
                                level: (level - 1) as u32,
                                index: (first + i) as u32,
                            };
                            self.push(b.distance_2(self.p), what);
                        }
                    }
                }
            }
        }
        None
    }
}

/// The index of `(x, y)` on the Hilbert curve through a 2¹⁶ × 2¹⁶ grid (the bit-twiddling
/// of "Fast Hilbert curve generation", as flatbush uses it).
fn hilbert(x: u32, y: u32) -> u32 {
    let mut a = x ^ y;
    let mut b = 0xFFFF ^ a;
    let mut c = 0xFFFF ^ (x | y);
    let mut d = x & (y ^ 0xFFFF);

    let mut aa = a | (b >> 1);
    let mut bb = (a >> 1) ^ a;
    let mut cc = ((c >> 1) ^ (b & (d >> 1))) ^ c;
    let mut dd = ((a & (c >> 1)) ^ (d >> 1)) ^ d;

    a = aa;
    b = bb;
    c = cc;
    d = dd;
    aa = (a & (a >> 2)) ^ (b & (b >> 2));
    bb = (a & (b >> 2)) ^ (b & ((a ^ b) >> 2));
    cc ^= (a & (c >> 2)) ^ (b & (d >> 2));
    dd ^= (b & (c >> 2)) ^ ((a ^ b) & (d >> 2));

    a = aa;
    b = bb;
    c = cc;
    d = dd;
    aa = (a & (a >> 4)) ^ (b & (b >> 4));
    bb = (a & (b >> 4)) ^ (b & ((a ^ b) >> 4));
    cc ^= (a & (c >> 4)) ^ (b & (d >> 4));
    dd ^= (b & (c >> 4)) ^ ((a ^ b) & (d >> 4));

    a = aa;
    b = bb;
    c = cc;
    d = dd;
    cc ^= (a & (c >> 8)) ^ (b & (d >> 8));
    dd ^= (b & (c >> 8)) ^ ((a ^ b) & (d >> 8));

    a = cc ^ (cc >> 1);
    b = dd ^ (dd >> 1);

    let mut i0 = x ^ y;
    let mut i1 = b | (0xFFFF ^ (i0 | a));

    i0 = (i0 | (i0 << 8)) & 0x00FF00FF;
    i0 = (i0 | (i0 << 4)) & 0x0F0F0F0F;
    i0 = (i0 | (i0 << 2)) & 0x33333333;
    i0 = (i0 | (i0 << 1)) & 0x55555555;

    i1 = (i1 | (i1 << 8)) & 0x00FF00FF;
    i1 = (i1 | (i1 << 4)) & 0x0F0F0F0F;
    i1 = (i1 | (i1 << 2)) & 0x33333333;
    i1 = (i1 | (i1 << 1)) & 0x55555555;

    (i1 << 1) | i0
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Sorts the cells of a 256 × 256 grid by `key` and checks they come out as a walk from
    /// neighbour to neighbour, numbered 0, 1, 2, ….
    fn check_walk(key: impl Fn(u32, u32) -> u32) {
        let mut cells: Vec<(u32, u32, u32)> = (0..256u32)
            .flat_map(|x| (0..256u32).map(move |y| (x, y)))
            .map(|(x, y)| (key(x, y), x, y))
            .collect();
        cells.sort_unstable();
        for (i, w) in cells.windows(2).enumerate() {
            assert_eq!(w[0].0, i as u32);
            let step = w[0].1.abs_diff(w[1].1) + w[0].2.abs_diff(w[1].2);
            assert_eq!(step, 1, "{w:?}");
        }
    }

    #[test]
    fn hilbert_walks_from_neighbour_to_neighbour() {
        // The low 8 bits of each coordinate, then the high 8: together every stage of the
        // bit-twiddling is used.
        check_walk(hilbert);
        check_walk(|x, y| hilbert(x << 8, y << 8) >> 16);
    }

    #[test]
    fn empty_tree_finds_nothing() {
        let tree = SegmentTree::new(Vec::new());
        assert_eq!(
            tree.nearest(Coord { x: 0.0, y: 0.0 }, f64::INFINITY)
                .count(),
            0
        );
    }

    proptest! {
        /// The walk yields every segment within the radius, in the order of a sort of all
        /// of them by (distance, id): the linear scan.
        #[test]
        fn nearest_matches_a_sorted_linear_scan(
            ends in proptest::collection::vec(
                ((0..40u8, 0..40u8), (0..40u8, 0..40u8)), 1..1200),
            (qx, qy) in (-5.0..45.0f64, -5.0..45.0f64),
            // Whole radii too: segments exactly at the radius are kept.
            radius in prop_oneof![
                Just(f64::INFINITY),
                0.0..30.0f64,
                (0..30u8).prop_map(f64::from),
            ],
        ) {
            // Whole-metre ends on a small grid, so that equal distances are common.
            let segments: Vec<Segment> = ends
                .iter()
                .enumerate()
                .map(|(i, &((ax, ay), (bx, by)))| Segment {
                    a: Coord { x: f64::from(ax), y: f64::from(ay) },
                    b: Coord { x: f64::from(bx), y: f64::from(by) },
                    id: (i as u32 / 3, i as u32 % 3),
                })
                .collect();
            let p = Coord { x: qx.round(), y: qy.round() };
            let mut scan: Vec<(f64, (u32, u32))> =
                segments.iter().map(|s| (s.distance_2(p), s.id)).collect();
            scan.retain(|&(d2, _)| d2 <= radius * radius);
            scan.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            let tree = SegmentTree::new(segments);
            let walked: Vec<(f64, (u32, u32))> =
                tree.nearest(p, radius * radius).map(|(s, d2)| (d2, s.id)).collect();
            prop_assert_eq!(walked, scan);
        }
    }
}

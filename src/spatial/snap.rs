//! Snapping points onto the nearest point of a walkable edge, through an R-tree of edge
//! segments, within a maximum distance.

use geo::Coord;
use rayon::prelude::*;

use super::LocalFrame;
use super::segment_tree::{Segment, SegmentTree};
use crate::graph::{EdgeAccess, WalkGraph};

/// Where a point meets the network.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Snap {
    /// The edge it lands on.
    pub edge: u32,
    /// Distance along the edge from its first end to the landing point, metres.
    pub offset_m: f32,
    /// Straight distance from the point to the landing point, metres.
    pub distance_m: f32,
}

/// An R-tree over every segment of every edge above ground but compounds' gate edges,
/// which have no length (packed once, in parallel).
pub struct EdgeIndex {
    tree: SegmentTree,
}

impl EdgeIndex {
    /// Indexes every segment of `graph`'s edges, leaving out gate edges and those below
    /// ground ([`crate::graph::profile::EdgeKind::underground`]): a home above a tunnel cannot
    /// step down into it (Helsinki's centre has parking ramps at layer −3 under its blocks,
    /// reached only from streets hundreds of metres away).
    pub fn new(graph: &WalkGraph) -> Self {
        let segments = (0..graph.edge_count() as u32)
            .into_par_iter()
            .filter(|&e| {
                !graph.edge_kind(e).underground
                    && !matches!(graph.edge_access(e), EdgeAccess::Gate(_))
            })
            .flat_map_iter(|e| {
                graph
                    .edge_geometry(e)
                    .windows(2)
                    .enumerate()
                    .map(move |(i, w)| Segment {
                        a: w[0],
                        b: w[1],
                        id: (e, i as u32),
                    })
            })
            .collect();
        EdgeIndex {
            tree: SegmentTree::new(segments),
        }
    }

    /// Snaps `p` (frame metres) to the nearest point on any edge, or `None` when the nearest
    /// edge is farther than `max_distance_m` (or there is none).
    pub fn snap(
        &self,
        graph: &WalkGraph,
        frame: &LocalFrame,
        p: Coord<f64>,
        max_distance_m: f64,
    ) -> Option<Snap> {
        self.snap_ranked(graph, frame, p, max_distance_m, |_| Some(0))
    }

    /// Like [`Self::snap`], but among the edges within `max_distance_m` that `rank` accepts
    /// (`Some`), takes the nearest of the lowest rank; edges ranked `None` are never taken.
    /// Of equally near landings, the one nearer in the frame is taken, then the one of the
    /// lowest (edge, segment) id.
    ///
    /// Distances are true ones ([`LocalFrame::distance_m`]). The frame stretches east–west
    /// distances away from its centre's latitude (by 2.3 % at the north edge of 64× tiled
    /// Liechtenstein, 128 km from the centre), so the search reaches that much farther in the
    /// frame and goes on until no farther segment can be truly nearer.
    pub fn snap_ranked(
        &self,
        graph: &WalkGraph,
        frame: &LocalFrame,
        p: Coord<f64>,
        max_distance_m: f64,
        rank: impl Fn(u32) -> Option<u8>,
    ) -> Option<Snap> {
        // At most this many frame metres per true metre around `p` (the latitude hardly
        // changes within a snap distance: 0.1 % covers it to 85°).
        let stretch = frame.east_west_stretch(p).max(1.0) * 1.001;
        let reach_m = max_distance_m * stretch;
        let mut best: Option<(u8, Snap)> = None;
        for (segment, d2) in self.tree.nearest(p, reach_m * reach_m) {
            if let Some((0, nearest)) = best
                && d2.sqrt() / stretch > f64::from(nearest.distance_m)
            {
                break; // this and every later segment are truly farther than the nearest
            }
            let Some(r) = rank(segment.id.0) else {
                continue;
            };
            if best.is_some_and(|(b, _)| b < r) {
                continue; // an edge of a better rank is already found
            }
            let Some(snap) = landing(graph, frame, p, segment, max_distance_m) else {
                continue;
            };
            let nearer = match best {
                None => true,
                Some((b, nearest)) => r < b || snap.distance_m < nearest.distance_m,
            };
            if nearer {
                best = Some((r, snap));
            }
        }
        best.map(|(_, snap)| snap)
    }
}

/// The closest point to `p` on `segment`, if within `max_distance_m`.
fn landing(
    graph: &WalkGraph,
    frame: &LocalFrame,
    p: Coord<f64>,
    segment: &Segment,
    max_distance_m: f64,
) -> Option<Snap> {
    let (edge, seg) = segment.id;
    let (t, landing) = segment.closest(p);
    let distance_m = frame.distance_m(p, landing);
    if distance_m > max_distance_m {
        return None;
    }
    let cum = graph.edge_cumulative_m(edge);
    let (a, b) = (cum[seg as usize], cum[seg as usize + 1]);
    Some(Snap {
        edge,
        offset_m: a + (t as f32) * (b - a),
        distance_m: distance_m as f32,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Distance from p to segment ab, by brute force.
    fn point_segment(p: Coord<f64>, a: Coord<f64>, b: Coord<f64>) -> f64 {
        let (dx, dy) = (b.x - a.x, b.y - a.y);
        let l2 = dx * dx + dy * dy;
        let t = if l2 == 0.0 {
            0.0
        } else {
            (((p.x - a.x) * dx + (p.y - a.y) * dy) / l2).clamp(0.0, 1.0)
        };
        (p.x - a.x - t * dx).hypot(p.y - a.y - t * dy)
    }

    proptest! {
        #[test]
        fn snap_matches_linear_scan(
            pts in proptest::collection::vec((0.0..2000.0f64, 0.0..2000.0f64), 2..30),
            edges in proptest::collection::vec((0u32..30, 0u32..30), 1..40),
            queries in proptest::collection::vec((-200.0..2200.0f64, -200.0..2200.0f64), 1..20),
            max_m in 10.0..500.0f64,
        ) {
            let n = pts.len() as u32;
            let pts: Vec<Coord<f64>> = pts.into_iter().map(|(x, y)| Coord { x, y }).collect();
            let edges: Vec<(u32, u32)> = edges.into_iter().map(|(a, b)| (a % n, b % n)).filter(|(a, b)| a != b).collect();
            let g = WalkGraph::from_edges(pts.clone(), &edges);
            prop_assume!(g.edge_count() > 0);
            let frame = LocalFrame::new(0.0, 0.0);
            let index = EdgeIndex::new(&g);
            for (x, y) in queries {
                let p = Coord { x, y };
                let scan = (0..g.edge_count() as u32)
                    .map(|e| { let [a, b] = g.edge_ends(e); point_segment(p, g.vertex_xy(a), g.vertex_xy(b)) })
                    .fold(f64::INFINITY, f64::min);
                match index.snap(&g, &frame, p, max_m) {
                    Some(s) => {
                        prop_assert!((f64::from(s.distance_m) - scan).abs() < 1e-3 * scan.max(1.0), "{} vs {scan}", s.distance_m);
                        prop_assert!(s.offset_m >= 0.0 && s.offset_m <= g.edge_length_m(s.edge) + 1e-3);
                    }
                    None => prop_assert!(scan > max_m * (1.0 - 1e-6), "missed a snap at {scan} m"),
                }
            }
        }
    }

    #[test]
    fn far_from_the_frame_centre_distances_are_true_ones() {
        // A frame centred at 45° N; streets 278 km north of it (47.5° N), where the frame
        // stretches east–west distances by cos 45° / cos 47.5° = 1.0466.
        let frame = LocalFrame::new(10.0, 45.0);
        let y = 278_000.0;
        let stretch = frame.east_west_stretch(Coord { x: 0.0, y });
        assert!((stretch - 1.0466).abs() < 1e-3, "{stretch}");
        let north_south = |x: f64| [Coord { x, y: y - 1000.0 }, Coord { x, y: y + 1000.0 }];
        // A home 256 frame metres east of a north–south street: 244.6 m truly, within 250 m.
        let g = WalkGraph::from_edges(north_south(0.0).to_vec(), &[(0, 1)]);
        let s = EdgeIndex::new(&g)
            .snap(&g, &frame, Coord { x: 256.0, y }, 250.0)
            .expect("244.6 m away");
        assert!(
            (f64::from(s.distance_m) - 256.0 / stretch).abs() < 0.05,
            "{s:?}"
        );
        // Streets 235 m north (true = frame) and 240 frame metres east (229.3 m truly) of a
        // home: the nearer in the frame is the farther on the ground.
        let [a, b] = north_south(240.0);
        let points = vec![
            Coord {
                x: -1000.0,
                y: y + 235.0,
            },
            Coord {
                x: 1000.0,
                y: y + 235.0,
            },
            a,
            b,
        ];
        let g = WalkGraph::from_edges(points, &[(0, 1), (2, 3)]);
        let s = EdgeIndex::new(&g)
            .snap(&g, &frame, Coord { x: 0.0, y }, 250.0)
            .expect("two streets in reach");
        assert_eq!(g.edge_ends(s.edge), [2, 3], "{s:?}");
        assert!(
            (f64::from(s.distance_m) - 240.0 / stretch).abs() < 0.05,
            "{s:?}"
        );
    }

    #[test]
    fn offset_along_a_bent_edge() {
        // an L-shaped way: (0,0) -> (100,0) -> (100,100), one edge of 200 m
        let g = WalkGraph::from_edges(
            vec![
                Coord { x: 0.0, y: 0.0 },
                Coord { x: 100.0, y: 0.0 },
                Coord { x: 100.0, y: 100.0 },
            ],
            &[(0, 1), (1, 2)],
        );
        let index = EdgeIndex::new(&g);
        let s = index
            .snap(
                &g,
                &LocalFrame::new(0.0, 0.0),
                Coord { x: 110.0, y: 40.0 },
                50.0,
            )
            .unwrap();
        assert_eq!(s.edge, 1);
        assert!((s.offset_m - 40.0).abs() < 1e-4);
        assert!((s.distance_m - 10.0).abs() < 1e-4);
        assert!(
            index
                .snap(
                    &g,
                    &LocalFrame::new(0.0, 0.0),
                    Coord { x: 300.0, y: 40.0 },
                    50.0
                )
                .is_none()
        );
    }
}

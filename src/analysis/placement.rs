//! Where points meet the walking network, and how a search starts from or ends at them: the
//! layer below both the nearest-facility search ([`super::coverage`]) and the per-facility
//! searches ([`super::service_area`]), which share it.
//!
//! A point sits *along* an edge (A/B Street's model): its time to a vertex is the straight
//! leg to the edge plus the walk along the edge to that end. A search seeds a point's edge's
//! two ends with those times ([`facility_seeds`]) and reads a point's time back through them
//! (`via_ends`), or directly along the edge when both points share it (`along_same_edge`).

use geo::Coord;
use rayon::prelude::*;

use crate::graph::{EdgeAccess, SearchSpace, Seed, WalkCosts, WalkGraph};
use crate::spatial::{EdgeIndex, LocalFrame, Snap};

/// A point's place on the network.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Placement {
    /// Where it meets the network; `None` when farther than the maximum snap distance.
    pub snap: Option<Snap>,
    /// Whether the edge belongs to a small component (an island).
    pub on_island: bool,
}

/// Snaps every point (frame metres) to the public network, in parallel, keeping input
/// order: facilities and candidate sites, which never stand on a compound's private path.
///
/// A component shorter than `island_max_m` in total is an island. A point goes to the nearest
/// edge off islands when one lies within `max_snap_m` (a home beside a stray, unconnected
/// footway can still walk to the street), else to the nearest island edge, flagged.
pub fn place_points(
    graph: &WalkGraph,
    index: &EdgeIndex,
    frame: &LocalFrame,
    points: &[Coord<f64>],
    max_snap_m: f64,
    island_max_m: f64,
) -> Vec<Placement> {
    place(
        graph,
        index,
        frame,
        points,
        |_| None,
        max_snap_m,
        island_max_m,
    )
}

/// Snaps homes as [`place_points`] does, but a home inside compound `compound_of[i]` goes
/// to its compound's private paths when one lies within `max_snap_m` (off islands first),
/// else to the public network; no home lands on another compound's paths.
pub fn place_homes(
    graph: &WalkGraph,
    index: &EdgeIndex,
    frame: &LocalFrame,
    points: &[Coord<f64>],
    compound_of: &[Option<u32>],
    max_snap_m: f64,
    island_max_m: f64,
) -> Vec<Placement> {
    place(
        graph,
        index,
        frame,
        points,
        |i| compound_of[i],
        max_snap_m,
        island_max_m,
    )
}

fn place(
    graph: &WalkGraph,
    index: &EdgeIndex,
    frame: &LocalFrame,
    points: &[Coord<f64>],
    compound_of: impl Fn(usize) -> Option<u32> + Sync,
    max_snap_m: f64,
    island_max_m: f64,
) -> Vec<Placement> {
    let on_island = |edge: u32| {
        let c = graph.component(graph.edge_ends(edge)[0]);
        graph.component_length_m(c) < island_max_m
    };
    points
        .par_iter()
        .enumerate()
        .map(|(i, &p)| {
            let own = compound_of(i);
            // own compound's paths first, then public edges; off islands before either
            let rank = |e: u32| {
                let private = match graph.edge_access(e) {
                    EdgeAccess::Public => false,
                    EdgeAccess::Private(c) if Some(c) == own => true,
                    _ => return None,
                };
                Some(2 * u8::from(on_island(e)) + u8::from(!private && own.is_some()))
            };
            let snap = index.snap_ranked(graph, frame, p, max_snap_m, rank);
            Placement {
                snap,
                on_island: snap.is_some_and(|s| on_island(s.edge)),
            }
        })
        .collect()
}

/// Points grouped by the edge they snapped to (compressed rows over edge ids).
#[derive(Debug, Clone)]
pub struct PointsByEdge {
    start: Vec<u32>,
    points: Vec<u32>,
}

impl PointsByEdge {
    /// Groups the snapped placements by edge.
    pub fn new(graph: &WalkGraph, placements: &[Placement]) -> Self {
        let mut start = vec![0u32; graph.edge_count() + 1];
        for s in placements.iter().filter_map(|p| p.snap) {
            start[s.edge as usize + 1] += 1;
        }
        for e in 0..graph.edge_count() {
            start[e + 1] += start[e];
        }
        let mut next = start.clone();
        let mut points = vec![0u32; start[graph.edge_count()] as usize];
        for (i, p) in placements.iter().enumerate() {
            if let Some(s) = p.snap {
                points[next[s.edge as usize] as usize] = i as u32;
                next[s.edge as usize] += 1;
            }
        }
        PointsByEdge { start, points }
    }

    /// Indices of the points on edge `e`, ascending.
    pub fn on_edge(&self, e: u32) -> &[u32] {
        &self.points[self.start[e as usize] as usize..self.start[e as usize + 1] as usize]
    }
}

/// The two seeds of a facility placed at `snap`: its edge's ends, each with the time of the
/// walk from that end along the edge to the landing point and the leg to the facility.
pub fn facility_seeds(graph: &WalkGraph, snap: &Snap, costs: &WalkCosts, label: u32) -> [Seed; 2] {
    let len = graph.edge_length_m(snap.edge);
    let leg = costs.leg_s(snap.distance_m);
    let [a, b] = graph.edge_ends(snap.edge);
    [
        Seed {
            vertex: a,
            cost_s: (leg + costs.along_s(snap.edge, 0.0, snap.offset_m)) as f32,
            label,
        },
        Seed {
            vertex: b,
            cost_s: (leg + costs.along_s(snap.edge, len, snap.offset_m)) as f32,
            label,
        },
    ]
}

/// Seconds from a point placed at `snap` to the last search's seeds through its edge's ends,
/// with the label of the seed reached; ties go to the lower label.
pub(crate) fn via_ends(
    space: &SearchSpace,
    graph: &WalkGraph,
    snap: &Snap,
    costs: &WalkCosts,
) -> Option<(f64, u32)> {
    let [a, b] = graph.edge_ends(snap.edge);
    let len = graph.edge_length_m(snap.edge);
    let leg = costs.leg_s(snap.distance_m);
    let end = |v: u32, to_m: f32| {
        let along = costs.along_s(snap.edge, snap.offset_m, to_m);
        Some((f64::from(space.cost(v)?) + leg + along, space.label(v)?))
    };
    [end(a, 0.0), end(b, len)]
        .into_iter()
        .flatten()
        .filter(|(t, _)| t.is_finite())
        .min_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)))
}

/// Seconds of the direct walk from point `p` to point `q`, both snapped to the same edge.
pub(crate) fn along_same_edge(p: &Snap, q: &Snap, costs: &WalkCosts) -> f64 {
    costs.leg_s(p.distance_m)
        + costs.along_s(p.edge, p.offset_m, q.offset_m)
        + costs.leg_s(q.distance_m)
}

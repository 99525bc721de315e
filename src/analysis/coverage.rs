//! Walking times from homes to facilities: snapping, the multi-source search for the
//! nearest facility, and the outcome of a category.
//!
//! A point sits *along* an edge (A/B Street's model): its time to a vertex is the straight
//! leg to the edge plus the walk along the edge to that end. A home's time to its nearest
//! facility is the minimum over its edge's two ends, or the direct walk along the edge when a
//! facility shares it.

use geo::Coord;
use rayon::prelude::*;

use crate::graph::{SearchSpace, Seed, WalkCosts, WalkGraph};
use crate::spatial::{EdgeIndex, LocalFrame, Snap};

/// Time limits of a run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Routing {
    /// Threshold for "covered", seconds.
    pub threshold_s: f64,
    /// How far the nearest-facility search looks, seconds; homes beyond it get no time.
    pub search_limit_s: f64,
}

/// A point's place on the network.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Placement {
    /// Where it meets the network; `None` when farther than the maximum snap distance.
    pub snap: Option<Snap>,
    /// Whether the edge belongs to a small component (an island).
    pub on_island: bool,
}

/// Snaps every point (frame metres) to the network, in parallel, keeping input order.
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
    let on_island = |edge: u32| {
        let c = graph.component(graph.edge_ends(edge)[0]);
        graph.component_length_m(c) < island_max_m
    };
    points
        .par_iter()
        .map(|&p| {
            let snap = index.snap_preferring(graph, frame, p, max_snap_m, |e| !on_island(e));
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

/// For every home: seconds to the nearest facility (within the search limit) and that
/// facility's index. One multi-source search seeded from all facilities.
pub fn nearest_facility(
    graph: &WalkGraph,
    costs: &WalkCosts,
    routing: &Routing,
    facilities: &[Placement],
    homes: &[Placement],
) -> Vec<Option<(f64, u32)>> {
    let seeds: Vec<Seed> = facilities
        .iter()
        .enumerate()
        .filter_map(|(i, p)| Some(facility_seeds(graph, p.snap.as_ref()?, costs, i as u32)))
        .flatten()
        .collect();
    let mut space = SearchSpace::new(graph.vertex_count());
    space.run(
        graph,
        costs.toward_arc_costs_s(),
        &seeds,
        routing.search_limit_s as f32,
    );
    let facilities_by_edge = PointsByEdge::new(graph, facilities);
    homes
        .par_iter()
        .map(|home| {
            let snap = home.snap.as_ref()?;
            let direct = facilities_by_edge.on_edge(snap.edge).iter().map(|&f| {
                let fs = facilities[f as usize]
                    .snap
                    .as_ref()
                    .expect("grouped facilities are snapped");
                (along_same_edge(snap, fs, costs), f)
            });
            via_ends(&space, graph, snap, costs)
                .into_iter()
                .chain(direct)
                .min_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)))
                .filter(|(t, _)| t.is_finite() && *t <= routing.search_limit_s)
        })
        .collect()
}

/// Everything computed for one category.
#[derive(Debug, Clone)]
pub struct CategoryOutcome {
    /// Category name.
    pub name: String,
    /// Its facilities, in source order.
    pub facilities: Vec<crate::facilities::Facility>,
    /// Where each facility meets the network.
    pub placements: Vec<Placement>,
    /// Per home: seconds to the nearest facility and its index, `None` when unsnapped,
    /// unreachable or beyond the search limit.
    pub home_times: Vec<Option<(f64, u32)>>,
    /// Per facility: the homes it reaches and its service areas.
    pub reach: Vec<super::service_area::FacilityReach>,
    /// Per facility: places (stated, or the category default).
    pub places: Vec<f64>,
    /// Per facility: 2SFCA ratio, places per weighted resident in reach.
    pub ratios: Vec<Option<f64>>,
    /// Per home: 2SFCA access, places per resident.
    pub access: Vec<f64>,
    /// Per facility: residents within the threshold for whom it is the nearest.
    pub nearest_population: Vec<f64>,
    /// The earliest time any facility reaches each cell of the city grid (served areas).
    pub served_grid: crate::spatial::raster::TimeGrid,
}

impl CategoryOutcome {
    /// Minutes from home `h` to its nearest facility.
    pub fn minutes(&self, h: usize) -> Option<f64> {
        self.home_times[h].map(|(t, _)| t / 60.0)
    }

    /// Index of the tightest band (of `bands_min`) home `h` reaches, if any.
    pub fn band(&self, h: usize, bands_min: &[f64]) -> Option<usize> {
        let m = self.minutes(h)?;
        bands_min.iter().position(|&b| m <= b)
    }
}

/// Population-weighted median and maximum of minutes; `None` stands for "no time" and sorts
/// above every time, so a median or maximum that lands on it is `None`.
pub fn weighted_median_and_max(mut items: Vec<(Option<f64>, f64)>) -> (Option<f64>, Option<f64>) {
    let key = |m: &Option<f64>| m.unwrap_or(f64::INFINITY);
    items.sort_by(|a, b| key(&a.0).total_cmp(&key(&b.0)));
    let total: f64 = items.iter().map(|i| i.1).sum();
    let mut acc = 0.0;
    let median = items.iter().find(|i| {
        acc += i.1;
        acc >= total / 2.0
    });
    (median.and_then(|i| i.0), items.last().and_then(|i| i.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weighted_median() {
        let (m, x) =
            weighted_median_and_max(vec![(Some(10.0), 1.0), (Some(2.0), 5.0), (Some(30.0), 1.0)]);
        assert_eq!((m, x), (Some(2.0), Some(30.0)));
        let (m, x) = weighted_median_and_max(vec![(None, 3.0), (Some(2.0), 1.0)]);
        assert_eq!((m, x), (None, None));
    }

    /// A straight street 0–1000 m with a facility at 100 m, 10 m off, and homes along it.
    #[test]
    fn times_along_one_street_by_hand() {
        let g = WalkGraph::from_edges(
            vec![
                Coord { x: 0.0, y: 0.0 },
                Coord { x: 500.0, y: 0.0 },
                Coord { x: 1000.0, y: 0.0 },
            ],
            &[(0, 1), (1, 2)],
        );
        let frame = LocalFrame::new(0.0, 0.0);
        let index = EdgeIndex::new(&g);
        let place = |pts: &[Coord<f64>]| place_points(&g, &index, &frame, pts, 250.0, 0.0);
        let facilities = place(&[Coord { x: 100.0, y: 10.0 }]);
        let homes = place(&[
            Coord { x: 300.0, y: -20.0 }, // same edge: 10 + 200 + 20 = 230 m
            Coord { x: 900.0, y: 5.0 },   // via vertex 1: 10 + 400 + 400 + 5 = 815 m
            Coord { x: 900.0, y: 400.0 }, // beyond 250 m: unsnapped
        ]);
        let speed = 1.25;
        let routing = Routing {
            threshold_s: 700.0 / speed,
            search_limit_s: 7200.0,
        };
        let profile = crate::graph::WalkProfile {
            profile: crate::graph::Profile::Adult,
            speed_kmh: speed * 3.6,
        };
        let costs = WalkCosts::new(&g, &profile, None);
        let t = nearest_facility(&g, &costs, &routing, &facilities, &homes);
        assert!((t[0].unwrap().0 * speed - 230.0).abs() < 1e-3, "{:?}", t[0]);
        assert!((t[1].unwrap().0 * speed - 815.0).abs() < 1e-3, "{:?}", t[1]);
        assert_eq!(t[2], None);
        let by_edge = PointsByEdge::new(&g, &homes);
        let inputs = crate::analysis::service_area::ReachInputs {
            graph: &g,
            costs: &costs,
            bands_s: &[routing.threshold_s],
            homes: &homes,
            homes_by_edge: &by_edge,
            areas: None,
        };
        let facility_xy = [Coord { x: 100.0, y: 10.0 }];
        let reach =
            crate::analysis::service_area::facility_reach(&inputs, &facilities, &facility_xy);
        // only the first home is within 700 m, at 230 m
        assert_eq!(reach[0].homes.len(), 1);
        assert!((f64::from(reach[0].homes[0].1) * speed - 230.0).abs() < 1e-2);
        assert_eq!(
            reach[0].population_within(routing.threshold_s, &[1.0, 10.0, 100.0]),
            1.0
        );
    }
}

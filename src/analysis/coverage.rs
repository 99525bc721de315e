//! Walking times from homes to their nearest facility: one multi-source search per category,
//! seeded from every facility at once (the question is "how far is the nearest", not "which
//! homes does each reach": that is [`super::service_area`]).
//!
//! A home's time is the minimum over its edge's two ends, or the direct walk along the edge
//! when a facility shares it (see [`super::placement`] for how points sit along edges).

use rayon::prelude::*;

use super::placement::{Placement, PointsByEdge, along_same_edge, facility_seeds, via_ends};
use crate::graph::{SearchSpace, Seed, WalkCosts, WalkGraph};

/// Time limits of a run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Routing {
    /// Threshold for "covered", seconds.
    pub threshold_s: f64,
    /// How far the nearest-facility search looks, seconds; homes beyond it get no time.
    pub search_limit_s: f64,
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
    use crate::analysis::placement::place_points;
    use crate::analysis::service_area::{ReachInputs, facility_reach};
    use crate::spatial::{EdgeIndex, LocalFrame};
    use geo::Coord;

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
        let inputs = ReachInputs {
            graph: &g,
            costs: &costs,
            bands_s: &[routing.threshold_s],
            homes: &homes,
            homes_by_edge: &by_edge,
            areas: None,
        };
        let facility_xy = [Coord { x: 100.0, y: 10.0 }];
        let reach = facility_reach(&inputs, &facilities, &facility_xy);
        // only the first home is within 700 m, at 230 m
        assert_eq!(reach[0].homes.len(), 1);
        assert!((f64::from(reach[0].homes[0].1) * speed - 230.0).abs() < 1e-2);
        assert_eq!(
            reach[0].population_within(routing.threshold_s, &[1.0, 10.0, 100.0]),
            1.0
        );
    }
}

//! Per-facility searches: which homes each facility reaches and in how many seconds, and its
//! service-area polygons per time band.
//!
//! # What a service-area polygon means
//! The streets a person can walk from the facility within the band (edges cut where the time
//! runs out, the walk from the facility to its street included), widened by a buffer on each
//! side, drawn on a grid (see [`crate::spatial::raster`]). It is the area *along reachable
//! streets*: no convex hull, nothing across a river or a motorway that no path crosses. A
//! home can be covered (its own walk fits the time) and still stand outside the polygon when
//! it lies farther than the buffer from its street.

use std::sync::Mutex;

use geo::{Coord, MultiPolygon, Rect};
use rayon::prelude::*;

use super::placement::{Placement, PointsByEdge, along_same_edge, facility_seeds, via_ends};
use crate::graph::{SearchSpace, WalkCosts, WalkGraph};
use crate::spatial::Snap;
use crate::spatial::raster::{TimeGrid, TimedSegment, snap_extent};

/// Default half-width of the strip drawn along reachable streets, metres.
pub const DEFAULT_AREA_BUFFER_M: f64 = 50.0;
/// Default grid cell of service-area polygons, metres (1 mm on a 1:10,000 map).
pub const DEFAULT_AREA_CELL_M: f64 = 10.0;

/// What one facility reaches.
#[derive(Debug, Clone, Default)]
pub struct FacilityReach {
    /// Homes within the largest band: `(home index, seconds)`, by home index.
    pub homes: Vec<(u32, f32)>,
    /// Service area per band (frame metres), when polygons were asked for.
    pub areas: Vec<MultiPolygon<f64>>,
}

impl FacilityReach {
    /// Residents within `limit_s`, given every home's population.
    pub fn population_within(&self, limit_s: f64, population: &[f64]) -> f64 {
        self.homes
            .iter()
            .filter(|(_, t)| f64::from(*t) <= limit_s)
            .map(|(h, _)| population[*h as usize])
            .sum()
    }
}

/// Inputs shared by every facility's search.
pub struct ReachInputs<'a> {
    /// The walking graph.
    pub graph: &'a WalkGraph,
    /// The profile's walking costs.
    pub costs: &'a WalkCosts,
    /// Band limits, seconds, ascending; the last bounds the search.
    pub bands_s: &'a [f64],
    /// Where the homes meet the network.
    pub homes: &'a [Placement],
    /// Homes grouped by edge.
    pub homes_by_edge: &'a PointsByEdge,
    /// How to draw service areas; `None` draws none.
    pub areas: Option<AreaInputs>,
}

/// How service areas are drawn.
pub struct AreaInputs {
    /// Distance from a reachable street within which a place counts as served, metres.
    pub buffer_m: f64,
    /// Grid cell side, metres.
    pub cell_m: f64,
    /// A city-wide grid every facility's times are merged into (the served area), if wanted.
    pub served: Option<Mutex<TimeGrid>>,
}

/// One bounded search per facility, in parallel with a workspace per thread; results in
/// facility order. `facility_xy` gives each facility's own position (frame metres).
pub fn facility_reach(
    inputs: &ReachInputs<'_>,
    facilities: &[Placement],
    facility_xy: &[Coord<f64>],
) -> Vec<FacilityReach> {
    searches(inputs, facilities, facility_xy, false)
        .into_iter()
        .map(|(reach, _)| reach)
        .collect()
}

/// [`facility_reach`], with each reached home's time also in full precision (beside
/// `homes`, in the same order): the very sums [`super::coverage::nearest_facility`] takes
/// the least of, so the least over facilities equals its time for every home within the
/// largest band (float addition is monotone, so a multi-source search's label is the least
/// of the single-source labels). A what-if edit uses it to agree with a whole run.
pub fn facility_reach_exact(
    inputs: &ReachInputs<'_>,
    facilities: &[Placement],
    facility_xy: &[Coord<f64>],
) -> Vec<(FacilityReach, Vec<f64>)> {
    searches(inputs, facilities, facility_xy, true)
}

/// The searches of [`facility_reach`]; full-precision times kept when `exact`.
fn searches(
    inputs: &ReachInputs<'_>,
    facilities: &[Placement],
    facility_xy: &[Coord<f64>],
    exact: bool,
) -> Vec<(FacilityReach, Vec<f64>)> {
    let graph = inputs.graph;
    let limit_s = *inputs.bands_s.last().expect("at least one band");
    facilities
        .par_iter()
        .zip(facility_xy)
        .map_init(
            || {
                let space = SearchSpace::new(graph.vertex_count());
                (space, vec![0u32; inputs.homes.len()], 0u32)
            },
            |(space, seen, generation), (facility, &xy)| {
                let Some(fs) = facility.snap.as_ref() else {
                    let bands = if inputs.areas.is_some() {
                        inputs.bands_s.len()
                    } else {
                        0
                    };
                    let areas = vec![MultiPolygon(vec![]); bands];
                    let reach = FacilityReach {
                        homes: vec![],
                        areas,
                    };
                    return (reach, Vec::new());
                };
                *generation += 1;
                let seeds = facility_seeds(graph, fs, inputs.costs, 0);
                space.run(
                    graph,
                    inputs.costs.toward_arc_costs_s(),
                    &seeds,
                    limit_s as f32,
                );
                let mut homes = Vec::new();
                let mut visit = |h: u32| {
                    if std::mem::replace(&mut seen[h as usize], *generation) == *generation {
                        return;
                    }
                    let hs = inputs.homes[h as usize]
                        .snap
                        .as_ref()
                        .expect("grouped homes are snapped");
                    let mut t =
                        via_ends(space, graph, hs, inputs.costs).map_or(f64::INFINITY, |x| x.0);
                    if hs.edge == fs.edge {
                        t = t.min(along_same_edge(hs, fs, inputs.costs));
                    }
                    if t <= limit_s {
                        homes.push((h, t));
                    }
                };
                for &h in inputs.homes_by_edge.on_edge(fs.edge) {
                    visit(h);
                }
                for &v in space.settled() {
                    for (_, e) in graph.arcs(v) {
                        for &h in inputs.homes_by_edge.on_edge(e) {
                            visit(h);
                        }
                    }
                }
                homes.sort_unstable_by_key(|(h, _)| *h);
                let exact_s = match exact {
                    true => homes.iter().map(|(_, t)| *t).collect(),
                    false => Vec::new(),
                };
                let homes = homes.into_iter().map(|(h, t)| (h, t as f32)).collect();
                let areas = match &inputs.areas {
                    Some(areas) => {
                        let grid = burn_reach(space, inputs, areas, fs, xy, limit_s);
                        if let Some(served) = &areas.served {
                            served
                                .lock()
                                .expect("no panic while merging")
                                .merge_min(&grid);
                        }
                        inputs
                            .bands_s
                            .iter()
                            .map(|&band_s| grid.polygons(band_s as f32, None))
                            .collect()
                    }
                    None => Vec::new(),
                };
                (FacilityReach { homes, areas }, exact_s)
            },
        )
        .collect()
}

/// Burns everything reachable within `limit_s` of the last search from facility `fs` at
/// `xy` into a grid: the walk to the street, the facility's own edge both ways, and every
/// edge out of a settled vertex as far as time allows (an edge reached from both ends is
/// burnt once, with both ends' times).
fn burn_reach(
    space: &SearchSpace,
    inputs: &ReachInputs<'_>,
    areas: &AreaInputs,
    fs: &Snap,
    xy: Coord<f64>,
    limit_s: f64,
) -> TimeGrid {
    let graph = inputs.graph;
    let costs = inputs.costs;
    // Times are those of the walk from each point to the facility. On an edge, a point
    // farther from the segment's start walks back towards it: moving along the edge's own
    // direction adds its backward pace, moving against it its forward pace.
    let mut segments: Vec<TimedSegment> = Vec::new();
    let leg_s = costs.leg_s(fs.distance_m) as f32;
    let leg_per_m = costs.leg_s(1.0) as f32;
    let landing = point_along(graph, fs.edge, fs.offset_m);
    segments.push(TimedSegment {
        start: xy,
        end: landing,
        from_start_s: 0.0,
        from_end_s: f32::INFINITY,
        per_m_forward: leg_per_m,
        per_m_backward: leg_per_m,
    });
    if costs.passable(fs.edge) {
        let [fwd, bwd] = costs.pace_s_per_m(fs.edge);
        let geom = graph.edge_geometry(fs.edge);
        let cum = graph.edge_cumulative_m(fs.edge);
        for (w, c) in geom.windows(2).zip(cum.windows(2)) {
            let (s0, s1) = (c[0], c[1]);
            let segment = |start, end, from_start_s, from_end_s, per_m_forward, per_m_backward| {
                TimedSegment {
                    start,
                    end,
                    from_start_s,
                    from_end_s,
                    per_m_forward,
                    per_m_backward,
                }
            };
            if s1 <= fs.offset_m {
                // before the landing point: walked forward to it, time grows towards the start
                segments.push(segment(
                    w[0],
                    w[1],
                    f32::INFINITY,
                    leg_s + (fs.offset_m - s1) * fwd,
                    bwd,
                    fwd,
                ));
            } else if s0 >= fs.offset_m {
                segments.push(segment(
                    w[0],
                    w[1],
                    leg_s + (s0 - fs.offset_m) * bwd,
                    f32::INFINITY,
                    bwd,
                    fwd,
                ));
            } else {
                segments.push(segment(landing, w[0], leg_s, f32::INFINITY, fwd, bwd));
                segments.push(segment(landing, w[1], leg_s, f32::INFINITY, bwd, fwd));
            }
        }
    }
    let arc_edges = graph.arc_edges();
    for &v in space.settled() {
        let cost_v = space.cost(v).expect("settled");
        if f64::from(cost_v) > limit_s {
            break; // settled in cost order
        }
        for arc in graph.arc_range(v) {
            let e = arc_edges[arc];
            if !costs.passable(e) {
                continue;
            }
            let [a, b] = graph.edge_ends(e);
            let (cost_a, cost_b) = (space.cost(a), space.cost(b));
            if v == b && cost_a.is_some_and(|c| f64::from(c) <= limit_s) {
                continue; // burnt from its first end
            }
            let len = graph.edge_length_m(e);
            let [fwd, bwd] = costs.pace_s_per_m(e);
            let (from_a, from_b) = (
                cost_a.unwrap_or(f32::INFINITY),
                cost_b.unwrap_or(f32::INFINITY),
            );
            let geom = graph.edge_geometry(e);
            let cum = graph.edge_cumulative_m(e);
            for (w, c) in geom.windows(2).zip(cum.windows(2)) {
                segments.push(TimedSegment {
                    start: w[0],
                    end: w[1],
                    from_start_s: from_a + c[0] * bwd,
                    from_end_s: from_b + (len - c[1]) * fwd,
                    per_m_forward: bwd,
                    per_m_backward: fwd,
                });
            }
        }
    }
    let extent = segments
        .iter()
        .flat_map(|s| [s.start, s.end])
        .fold(Rect::new(xy, xy), |r, p| {
            Rect::new(
                Coord {
                    x: r.min().x.min(p.x),
                    y: r.min().y.min(p.y),
                },
                Coord {
                    x: r.max().x.max(p.x),
                    y: r.max().y.max(p.y),
                },
            )
        });
    let pad = Coord {
        x: areas.buffer_m + areas.cell_m,
        y: areas.buffer_m + areas.cell_m,
    };
    let extent = snap_extent(
        Rect::new(extent.min() - pad, extent.max() + pad),
        areas.cell_m,
    );
    let mut grid = TimeGrid::covering(extent, areas.cell_m);
    for seg in &segments {
        grid.burn(seg, areas.buffer_m);
    }
    grid
}

/// The point `at_m` metres along edge `e` from its first end (clamped to the edge).
pub fn point_along(graph: &WalkGraph, e: u32, at_m: f32) -> Coord<f64> {
    let geom = graph.edge_geometry(e);
    let cum = graph.edge_cumulative_m(e);
    let d = at_m.clamp(0.0, *cum.last().expect("edges have geometry"));
    let i = cum.partition_point(|&c| c < d).clamp(1, cum.len() - 1);
    let (c0, c1) = (cum[i - 1], cum[i]);
    let t = if c1 > c0 {
        f64::from((d - c0) / (c1 - c0))
    } else {
        0.0
    };
    let (p, q) = (geom[i - 1], geom[i]);
    Coord {
        x: p.x + t * (q.x - p.x),
        y: p.y + t * (q.y - p.y),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::placement::place_points;
    use crate::spatial::{EdgeIndex, LocalFrame};
    use geo::{Area, Validation};

    /// A straight 2,000 m street, a facility beside its middle (10 m off), walking 1 m/s,
    /// a 50 m buffer on 5 m cells.
    ///
    /// By hand: within 300 s the walker covers the 10 m leg and 290 m each way along the
    /// street: a 580 m piece, buffered 50 m each side with round ends =
    /// 580 × 100 + π × 50² = 65,854 m² (the leg lies inside that strip). Within 1,500 s the
    /// reach (1,490 m each way) passes both ends: the whole street, 2,000 × 100 + π × 50² =
    /// 207,854 m².
    #[test]
    fn service_area_by_hand_with_partial_edges() {
        let g = WalkGraph::from_edges(
            vec![
                Coord { x: 0.0, y: 0.0 },
                Coord { x: 1000.0, y: 0.0 },
                Coord { x: 2000.0, y: 0.0 },
            ],
            &[(0, 1), (1, 2)],
        );
        let frame = LocalFrame::new(0.0, 0.0);
        let index = EdgeIndex::new(&g);
        let xy = Coord { x: 1000.0, y: 10.0 };
        let facilities = place_points(&g, &index, &frame, &[xy], 250.0, 0.0);
        let homes = place_points(
            &g,
            &index,
            &frame,
            &[Coord { x: 1200.0, y: -5.0 }],
            250.0,
            0.0,
        );
        let by_edge = PointsByEdge::new(&g, &homes);
        let profile = crate::graph::WalkProfile {
            profile: crate::graph::Profile::Adult,
            speed_kmh: 3.6,
        };
        let costs = WalkCosts::new(&g, &profile, None);
        let inputs = ReachInputs {
            graph: &g,
            costs: &costs,
            bands_s: &[300.0, 1500.0],
            homes: &homes,
            homes_by_edge: &by_edge,
            areas: Some(AreaInputs {
                buffer_m: 50.0,
                cell_m: 5.0,
                served: None,
            }),
        };
        let reach = facility_reach(&inputs, &facilities, &[xy]);
        let r = &reach[0];
        // the home: 10 + 200 + 5 = 215 s
        assert_eq!(r.homes.len(), 1);
        assert!((r.homes[0].1 - 215.0).abs() < 1e-3);
        let disc = std::f64::consts::PI * 2500.0;
        for (area, want) in r.areas.iter().zip([58_000.0 + disc, 200_000.0 + disc]) {
            let got = area.unsigned_area();
            assert!((got - want).abs() / want < 0.02, "{got} vs {want}");
            assert!(area.is_valid());
        }
    }
}

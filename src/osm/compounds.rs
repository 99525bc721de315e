//! Gated residential compounds: which residential areas are walled or gated, which private
//! paths belong to each, and which locked gates cut the network.
//!
//! # The model
//! A *compound* is a `landuse=residential` area that is enclosed — tagged `barrier=wall|fence`
//! itself, or with a `barrier=wall|fence` way running along its outline (two or more of the
//! way's nodes within [`OUTLINE_TOLERANCE_M`] of it) — or mapped with gates (a `barrier=gate`
//! node, or an `entrance=*` node on a walkable or private way, within that distance of its
//! outline). A private way ([`rules::is_private_walkable`]) belongs to the compound holding
//! most of its nodes (the smallest, where compounds nest); private ways in no compound are not
//! walked, as before. A locked gate ([`rules::Gate::Locked`]) inside a compound or on its
//! outline cuts the network there (see [`crate::graph::WalkGraph::build`]). What the graph
//! makes of this — private paths as a way out for residents only — is in
//! [`crate::graph::EdgeAccess`].

use geo::{Area as _, BoundingRect, Contains, Coord, Line, MapCoords, MultiPolygon, Point};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

use super::ElementId;
use super::areas::build_areas;
use super::read::OsmExtract;
use super::rules::{self, Gate, LanduseClass};
use crate::frame::LocalFrame;

/// How close to a residential area's outline a gate or a wall's node must lie to belong to
/// it, metres (mappers draw walls beside, not on, the landuse line).
pub const OUTLINE_TOLERANCE_M: f64 = 5.0;

/// Nodes of one wall or fence way that must lie along an outline for it to enclose the area.
pub const WALL_NODES_ALONG_OUTLINE: usize = 2;

/// One compound.
#[derive(Debug, Clone)]
pub struct Compound {
    /// The `landuse=residential` way or relation.
    pub id: ElementId,
    /// Its outline in the local frame, metres.
    pub polygon_xy: MultiPolygon<f64>,
    /// Its area, m².
    pub area_m2: f64,
}

/// What was found, for `summary.json`.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct CompoundCounts {
    /// Residential areas that are compounds.
    pub compounds: usize,
    /// Of those, enclosed by a wall or fence (tagged on the area or drawn along it).
    pub walled: usize,
    /// Of those, with a gate or entrance on the outline.
    pub gated: usize,
    /// Private ways kept as some compound's paths.
    pub private_ways_kept: usize,
    /// Private ways in no compound, not walked.
    pub private_ways_dropped: usize,
    /// Locked gates in or on a compound, where the network is cut.
    pub gates_locked: usize,
    /// Homes inside a compound (counted when homes are snapped; 0 until then).
    pub homes: usize,
}

type Outline = GeomWithData<Line<f64>, u32>;
type Bounds = GeomWithData<Rectangle<Point<f64>>, u32>;

/// The compounds of an extract, and what belongs to them.
#[derive(Debug, Default)]
pub struct Compounds {
    list: Vec<Compound>,
    bounds: RTree<Bounds>,
    private_way_compound: Vec<Option<u32>>,
    locked_gates: Vec<i64>,
    /// What was found.
    pub counts: CompoundCounts,
}

impl Compounds {
    /// Finds the compounds of `extract` (outlines projected through `frame`), assigns its
    /// private ways to them and lists the locked gates that cut the network.
    pub fn find(extract: &OsmExtract, frame: &LocalFrame) -> Compounds {
        let (areas, _broken) = build_areas(extract, |t| {
            rules::landuse_class(t) == Some(LanduseClass::Residential)
        });
        let polygons: Vec<MultiPolygon<f64>> = areas
            .iter()
            .map(|a| a.polygon.map_coords(|c| frame.to_xy(c.x, c.y)))
            .collect();
        let outlines: RTree<Outline> = RTree::bulk_load(
            polygons
                .iter()
                .enumerate()
                .flat_map(|(i, mp)| {
                    mp.0.iter()
                        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
                        .flat_map(|ring| ring.lines())
                        .map(move |l| Outline::new(l, i as u32))
                })
                .collect(),
        );
        let xy = |id: i64| {
            extract
                .nodes
                .get(id)
                .map(|(lon, lat)| frame.to_xy(lon, lat))
        };
        let tolerance2 = OUTLINE_TOLERANCE_M * OUTLINE_TOLERANCE_M;
        let near = |p: Coord<f64>| {
            let mut hits: Vec<u32> = outlines
                .locate_within_distance(Point::from(p), tolerance2)
                .map(|o| o.data)
                .collect();
            hits.sort_unstable();
            hits.dedup();
            hits
        };

        let mut walled: Vec<bool> = areas
            .iter()
            .map(|a| rules::is_enclosing_barrier(&a.tags))
            .collect();
        for way in &extract.barrier_ways {
            // a closed way repeats its first node last: count that node once
            let refs = match way.refs.as_slice() {
                [first, rest @ .., last] if first == last && !rest.is_empty() => {
                    &way.refs[..way.refs.len() - 1]
                }
                refs => refs,
            };
            let mut along: Vec<u32> = refs.iter().filter_map(|&r| xy(r)).flat_map(&near).collect();
            along.sort_unstable();
            for run in along.chunk_by(|a, b| a == b) {
                if run.len() >= WALL_NODES_ALONG_OUTLINE {
                    walled[run[0] as usize] = true;
                }
            }
        }
        let mut on_ways: Vec<i64> = extract
            .walk_ways
            .iter()
            .chain(&extract.private_ways)
            .flat_map(|w| w.refs.iter().copied())
            .collect();
        on_ways.sort_unstable();
        on_ways.dedup();
        let gate_nodes = extract.gates.iter().map(|g| g.0).chain(
            extract
                .entrances
                .iter()
                .copied()
                .filter(|id| on_ways.binary_search(id).is_ok()),
        );
        let mut gated = vec![false; areas.len()];
        for p in gate_nodes.filter_map(xy) {
            for i in near(p) {
                gated[i as usize] = true;
            }
        }

        let mut out = Compounds::default();
        let mut compound_of_area = vec![None; areas.len()];
        for (i, (area, polygon)) in areas.iter().zip(polygons).enumerate() {
            if !(walled[i] || gated[i]) {
                continue;
            }
            out.counts.walled += usize::from(walled[i]);
            out.counts.gated += usize::from(gated[i]);
            compound_of_area[i] = Some(out.list.len() as u32);
            out.list.push(Compound {
                id: area.id,
                area_m2: polygon.unsigned_area(),
                polygon_xy: polygon,
            });
        }
        out.counts.compounds = out.list.len();
        out.bounds = RTree::bulk_load(
            out.list
                .iter()
                .enumerate()
                .filter_map(|(c, compound)| {
                    let r = compound.polygon_xy.bounding_rect()?;
                    Some(Bounds::new(
                        Rectangle::from_corners(r.min().into(), r.max().into()),
                        c as u32,
                    ))
                })
                .collect(),
        );

        out.private_way_compound = extract
            .private_ways
            .iter()
            .map(|way| {
                let mut votes: Vec<u32> = way
                    .refs
                    .iter()
                    .filter_map(|&r| out.containing(xy(r)?))
                    .collect();
                votes.sort_unstable();
                // the most votes; ties to the lower compound
                votes
                    .chunk_by(|a, b| a == b)
                    .max_by(|a, b| a.len().cmp(&b.len()).then(b[0].cmp(&a[0])))
                    .map(|run| run[0])
            })
            .collect();
        out.counts.private_ways_kept = out.private_way_compound.iter().flatten().count();
        out.counts.private_ways_dropped =
            out.private_way_compound.len() - out.counts.private_ways_kept;

        out.locked_gates = extract
            .gates
            .iter()
            .filter(|g| g.1 == Gate::Locked)
            .filter_map(|&(id, _)| {
                let p = xy(id)?;
                let on_outline = near(p)
                    .into_iter()
                    .any(|a| compound_of_area[a as usize].is_some());
                (on_outline || out.containing(p).is_some()).then_some(id)
            })
            .collect();
        out.counts.gates_locked = out.locked_gates.len();
        out
    }

    /// Number of compounds.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Compound `c`.
    pub fn compound(&self, c: u32) -> &Compound {
        &self.list[c as usize]
    }

    /// The smallest compound holding `p` (frame metres), ties to the lower index.
    pub fn containing(&self, p: Coord<f64>) -> Option<u32> {
        let at = AABB::from_point(Point::from(p));
        self.bounds
            .locate_in_envelope_intersecting(&at)
            .map(|b| b.data)
            .filter(|&c| self.list[c as usize].polygon_xy.contains(&Point::from(p)))
            .min_by(|&a, &b| {
                let area = |c: u32| self.list[c as usize].area_m2;
                area(a).total_cmp(&area(b)).then(a.cmp(&b))
            })
    }

    /// The compound whose path `extract.private_ways[i]` is, if any.
    pub fn private_way_compound(&self, i: usize) -> Option<u32> {
        self.private_way_compound.get(i).copied().flatten()
    }

    /// Whether node `id` is a locked gate of a compound.
    pub fn is_locked_gate(&self, id: i64) -> bool {
        self.locked_gates.binary_search(&id).is_ok()
    }
}

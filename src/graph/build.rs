//! Builds the undirected walking graph: ways split where they share nodes, geometry kept per
//! edge, lengths in metres, adjacency as compressed sparse rows, connected components; gated
//! compounds' private paths joined to the rest through one-way gate edges.

use geo::Coord;
use petgraph::unionfind::UnionFind;
use rayon::prelude::*;

use super::profile::EdgeKind;
use crate::frame::LocalFrame;
use crate::osm::compounds::Compounds;
use crate::osm::read::{OsmExtract, RawWay};
use crate::osm::rules::{self, FootDefaults};

/// Consecutive nodes of one way that are all present: `(OSM id, frame position)`.
type Run = Vec<(i64, Coord<f64>)>;

/// An edge cut from a run, before it is added to the graph.
struct RunEdge {
    ends: [u32; 2],
    geom: Vec<Coord<f64>>,
    cum: Vec<f64>,
}

/// Who may walk an edge: how gated compounds enter the graph.
///
/// A compound's private paths hang off the public network at *open gates*: wherever they
/// meet a public way, the meeting node is split in two — a copy that the private edges end at
/// and the public node — joined by a zero-length gate edge that can be walked only outwards
/// (from its first end, inside, to its second, outside). A resident's walk from home to a
/// facility leaves through a gate; nobody walks in, so no walk passes through a compound,
/// and homes outside compounds never land on private edges (see
/// [`crate::analysis::placement::place_homes`]). The searches start at the facilities and run
/// backwards, so for them a gate is where they *enter* a compound and never leave it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EdgeAccess {
    /// Anyone may walk it.
    #[default]
    Public,
    /// A private path of compound `.0`: walked only by its residents.
    Private(u32),
    /// An open gate of compound `.0`: walked only outwards, from its first end to its second.
    Gate(u32),
}

/// An undirected walking graph over dense `u32` vertex and edge ids.
///
/// Vertices are OSM nodes where ways meet or end; an edge is the piece of one way between two
/// vertices, with its full geometry. Adjacency is stored once per direction (two arcs per edge).
#[derive(Debug, Clone, Default)]
pub struct WalkGraph {
    vertex_osm_id: Vec<i64>,
    vertex_xy: Vec<Coord<f64>>,
    edge_ends: Vec<[u32; 2]>,
    edge_length_m: Vec<f32>,
    edge_way_id: Vec<i64>,
    edge_kind: Vec<EdgeKind>,
    edge_access: Vec<EdgeAccess>,
    geom_start: Vec<u32>,
    geom_xy: Vec<Coord<f64>>,
    geom_cum_m: Vec<f32>,
    arc_start: Vec<u32>,
    arc_head: Vec<u32>,
    arc_edge: Vec<u32>,
    vertex_component: Vec<u32>,
    component_length_m: Vec<f64>,
}

/// Counts from building the graph, for `summary.json`.
#[derive(Debug, Default, Clone, Copy, serde::Serialize)]
pub struct BuildCounts {
    /// Walkable ways read, under the country's foot defaults.
    pub walkable_ways: usize,
    /// The row of the foot defaults applied: an ISO 3166-1 alpha-2 code or `worldwide` (see
    /// [`rules::foot_defaults`]).
    pub foot_defaults: &'static str,
    /// Ways read as walkable somewhere that the country's foot defaults close (trunk roads
    /// or bridleways).
    pub ways_closed_by_country: usize,
    /// References from walkable ways to nodes missing from the extract (the way is split
    /// there and the segments touching the missing node are dropped).
    pub way_nodes_missing: usize,
    /// Vertices of the graph.
    pub vertices: usize,
    /// Edges of the graph.
    pub edges: usize,
    /// Connected components.
    pub components: usize,
    /// Total walkable length, km.
    pub length_km: f64,
    /// Edges of compounds' private paths.
    pub private_edges: usize,
    /// Open gates: nodes where a compound's private paths meet a public way (one gate edge
    /// each).
    pub gates_open: usize,
    /// Locked gates the network passes through, cut there.
    pub gates_locked_cut: usize,
}

impl WalkGraph {
    /// Builds the graph from the extract's ways that `foot` (the country's defaults) walks and
    /// the private paths of `compounds`, projecting through `frame`. Private paths meet public
    /// ways at gate edges (see [`EdgeAccess`]); at a compound's locked gate no walk passes:
    /// where it stands on a private path joining a public way only the private path is cut,
    /// elsewhere every way through it.
    pub fn build(
        extract: &OsmExtract,
        frame: &LocalFrame,
        compounds: &Compounds,
        foot: &FootDefaults,
    ) -> (WalkGraph, BuildCounts) {
        let public: Vec<&RawWay> = extract
            .walk_ways
            .iter()
            .filter(|w| rules::is_walkable(&w.tags, foot))
            .collect();
        let mut counts = BuildCounts {
            walkable_ways: public.len(),
            foot_defaults: foot.country,
            ways_closed_by_country: extract.walk_ways.len() - public.len(),
            ..BuildCounts::default()
        };
        let ways = public.into_iter().map(|w| (w, EdgeAccess::Public)).chain(
            extract
                .private_ways
                .iter()
                .enumerate()
                .filter_map(|(i, w)| {
                    Some((w, EdgeAccess::Private(compounds.private_way_compound(i)?)))
                }),
        );
        // Runs of consecutive nodes present in the extract, per way (ways in parallel, in
        // order), with the number of way nodes missing from the extract.
        let ways: Vec<(&RawWay, EdgeAccess)> = ways.collect();
        let per_way: Vec<(Vec<Run>, usize)> = ways
            .par_iter()
            .map(|&(way, _)| {
                let (mut runs, mut missing, mut run) = (Vec::new(), 0, Vec::new());
                for &r in &way.refs {
                    match extract.nodes.get(r) {
                        Some((lon, lat)) => run.push((r, frame.to_xy(lon, lat))),
                        None => {
                            missing += 1;
                            if run.len() >= 2 {
                                runs.push(std::mem::take(&mut run));
                            }
                            run.clear();
                        }
                    }
                }
                if run.len() >= 2 {
                    runs.push(run);
                }
                (runs, missing)
            })
            .collect();
        let mut runs: Vec<(&RawWay, EdgeAccess, Run)> = Vec::new();
        for (&(way, access), (way_runs, missing)) in ways.iter().zip(per_way) {
            counts.way_nodes_missing += missing;
            runs.extend(way_runs.into_iter().map(|run| (way, access, run)));
        }

        // A node is a vertex where a run ends, where it is used more than once, or where a
        // locked gate stands.
        let mut uses: Vec<i64> = Vec::new();
        for (_, _, run) in &runs {
            uses.extend(run.iter().map(|(id, _)| *id));
            uses.push(run[0].0);
            uses.push(run[run.len() - 1].0);
            uses.extend(
                run.iter()
                    .map(|(id, _)| *id)
                    .filter(|&id| compounds.is_locked_gate(id)),
            );
        }
        uses.par_sort_unstable();
        let mut vertex_osm_id: Vec<i64> = uses
            .chunk_by(|a, b| a == b)
            .filter(|c| c.len() >= 2)
            .map(|c| c[0])
            .collect();
        vertex_osm_id.dedup();
        let vertex_xy: Vec<Coord<f64>> = vertex_osm_id
            .par_iter()
            .map(|&id| {
                let (lon, lat) = extract.nodes.get(id).expect("vertices are nodes of runs");
                frame.to_xy(lon, lat)
            })
            .collect();
        let vertex_of = |id: i64| vertex_osm_id.binary_search(&id).ok();

        // Each run cut at its vertices into edges (runs in parallel), then added in order.
        let run_edges: Vec<(EdgeKind, Vec<RunEdge>)> = runs
            .par_iter()
            .map(|(way, _, run)| {
                let mut edges = Vec::new();
                let mut from = vertex_of(run[0].0).expect("run ends are vertices");
                let mut geom = vec![run[0].1];
                let mut cum = vec![0.0f64];
                for &(id, xy) in &run[1..] {
                    let step = frame.distance_m(*geom.last().expect("non-empty"), xy);
                    if step == 0.0 {
                        // a repeated node: no length, no new geometry point
                    } else {
                        geom.push(xy);
                        cum.push(cum.last().expect("non-empty") + step);
                    }
                    if let Some(to) = vertex_of(id) {
                        if *cum.last().expect("non-empty") > 0.0 {
                            edges.push(RunEdge {
                                ends: [from as u32, to as u32],
                                geom: std::mem::replace(&mut geom, vec![xy]),
                                cum: std::mem::replace(&mut cum, vec![0.0]),
                            });
                        } else {
                            geom = vec![xy];
                            cum = vec![0.0];
                        }
                        from = to;
                    }
                }
                (EdgeKind::of_way(&way.tags), edges)
            })
            .collect();
        let mut g = WalkGraph::empty();
        for ((way, access, _), (kind, edges)) in runs.iter().zip(run_edges) {
            for e in edges {
                g.push_edge(e.ends, way.id, kind, *access, &e.geom, &e.cum);
            }
        }
        g.vertex_osm_id = vertex_osm_id;
        g.vertex_xy = vertex_xy;
        g.split_at_gates(compounds, &mut counts);
        g.index_arcs();
        g.find_components();
        counts.vertices = g.vertex_count();
        counts.edges = g.edge_count();
        counts.components = g.component_length_m.len();
        counts.length_km = g.edge_length_m.iter().map(|&l| f64::from(l)).sum::<f64>() / 1000.0;
        (g, counts)
    }

    fn empty() -> WalkGraph {
        WalkGraph {
            geom_start: vec![0],
            ..WalkGraph::default()
        }
    }

    fn push_edge(
        &mut self,
        ends: [u32; 2],
        way_id: i64,
        kind: EdgeKind,
        access: EdgeAccess,
        geom: &[Coord<f64>],
        cum: &[f64],
    ) {
        self.edge_ends.push(ends);
        self.edge_length_m
            .push(*cum.last().expect("non-empty") as f32);
        self.edge_way_id.push(way_id);
        self.edge_kind.push(kind);
        self.edge_access.push(access);
        self.geom_xy.extend_from_slice(geom);
        self.geom_cum_m.extend(cum.iter().map(|&c| c as f32));
        self.geom_start.push(self.geom_xy.len() as u32);
    }

    /// A new vertex at the place of `v`, with its node id.
    fn copy_vertex(&mut self, v: u32) -> u32 {
        self.vertex_osm_id.push(self.vertex_osm_id[v as usize]);
        self.vertex_xy.push(self.vertex_xy[v as usize]);
        (self.vertex_osm_id.len() - 1) as u32
    }

    /// Splits vertices where private paths meet other ways: each compound's edges move to a
    /// copy of the vertex joined to it by a gate edge (an open gate), or, at a locked gate,
    /// to copies of their own (nothing passes). Runs before the arcs are indexed.
    fn split_at_gates(&mut self, compounds: &Compounds, counts: &mut BuildCounts) {
        // (vertex, class: 0 public, c + 1 compound c, edge, end)
        let class = |a: EdgeAccess| match a {
            EdgeAccess::Private(c) => c + 1,
            _ => 0,
        };
        let mut ends: Vec<(u32, u32, u32, usize)> = self
            .edge_ends
            .iter()
            .enumerate()
            .flat_map(|(e, &[a, b])| {
                let k = class(self.edge_access[e]);
                [(a, k, e as u32, 0), (b, k, e as u32, 1)]
            })
            .filter(|&(v, k, _, _)| {
                k > 0 || compounds.is_locked_gate(self.vertex_osm_id[v as usize])
            })
            .collect();
        ends.sort_unstable();
        // classes present at each vertex with a private or locked end: also public ones
        let mut public_at = vec![false; self.vertex_osm_id.len()];
        for (e, &[a, b]) in self.edge_ends.iter().enumerate() {
            if self.edge_access[e] == EdgeAccess::Public {
                public_at[a as usize] = true;
                public_at[b as usize] = true;
            }
        }
        for at_vertex in ends.chunk_by(|x, y| x.0 == y.0) {
            let v = at_vertex[0].0;
            let has_public = public_at[v as usize];
            if compounds.is_locked_gate(self.vertex_osm_id[v as usize]) {
                // cut: every private end on its own; public ends too unless private ones
                // meet them here (the gate stands across the private path)
                let private: Vec<_> = at_vertex.iter().filter(|x| x.1 > 0).collect();
                let cut: Vec<_> = if has_public && !private.is_empty() {
                    private
                } else {
                    at_vertex.iter().skip(1).collect()
                };
                if !cut.is_empty() {
                    counts.gates_locked_cut += 1;
                }
                for &&(_, _, e, end) in &cut {
                    let copy = self.copy_vertex(v);
                    self.edge_ends[e as usize][end] = copy;
                }
                continue;
            }
            let classes: Vec<&[(u32, u32, u32, usize)]> =
                at_vertex.chunk_by(|x, y| x.1 == y.1).collect();
            if !has_public && classes.len() == 1 {
                continue; // inside one compound
            }
            for class_ends in classes {
                let compound = class_ends[0].1 - 1;
                let copy = self.copy_vertex(v);
                for &(_, _, e, end) in class_ends {
                    self.edge_ends[e as usize][end] = copy;
                }
                let xy = self.vertex_xy[v as usize];
                let way_id = self.edge_way_id[class_ends[0].2 as usize];
                self.push_edge(
                    [copy, v],
                    way_id,
                    EdgeKind::default(),
                    EdgeAccess::Gate(compound),
                    &[xy, xy],
                    &[0.0, 0.0],
                );
                counts.gates_open += 1;
            }
        }
        counts.private_edges = self
            .edge_access
            .iter()
            .filter(|a| matches!(a, EdgeAccess::Private(_)))
            .count();
    }

    /// Fills the compressed sparse rows: for vertex `v`, its arcs are
    /// `arc_start[v]..arc_start[v + 1]`, ordered by edge id.
    fn index_arcs(&mut self) {
        let n = self.vertex_osm_id.len();
        let mut degree = vec![0u32; n + 1];
        for &[a, b] in &self.edge_ends {
            degree[a as usize + 1] += 1;
            degree[b as usize + 1] += 1;
        }
        for v in 0..n {
            degree[v + 1] += degree[v];
        }
        self.arc_start = degree.clone();
        let mut next = degree;
        let arcs = 2 * self.edge_ends.len();
        self.arc_head = vec![0; arcs];
        self.arc_edge = vec![0; arcs];
        for (e, &[a, b]) in self.edge_ends.iter().enumerate() {
            for (tail, head) in [(a, b), (b, a)] {
                let slot = next[tail as usize] as usize;
                self.arc_head[slot] = head;
                self.arc_edge[slot] = e as u32;
                next[tail as usize] += 1;
            }
        }
    }

    fn find_components(&mut self) {
        let n = self.vertex_osm_id.len();
        let mut uf = UnionFind::<u32>::new(n);
        for &[a, b] in &self.edge_ends {
            uf.union(a, b);
        }
        // Number components densely in order of their lowest vertex id: deterministic.
        let mut label_of_root = vec![u32::MAX; n];
        self.vertex_component = (0..n as u32)
            .map(|v| {
                let root = uf.find(v) as usize;
                if label_of_root[root] == u32::MAX {
                    label_of_root[root] = self.component_length_m.len() as u32;
                    self.component_length_m.push(0.0);
                }
                label_of_root[root]
            })
            .collect();
        for (e, &[a, _]) in self.edge_ends.iter().enumerate() {
            let c = self.vertex_component[a as usize] as usize;
            self.component_length_m[c] += f64::from(self.edge_length_m[e]);
        }
    }

    /// Number of vertices.
    pub fn vertex_count(&self) -> usize {
        self.vertex_osm_id.len()
    }

    /// Number of edges.
    pub fn edge_count(&self) -> usize {
        self.edge_ends.len()
    }

    /// The OSM node id of vertex `v` (a gate's copies share their node's id).
    pub fn vertex_osm_id(&self, v: u32) -> i64 {
        self.vertex_osm_id[v as usize]
    }

    /// Position of vertex `v` in the local frame, metres.
    pub fn vertex_xy(&self, v: u32) -> Coord<f64> {
        self.vertex_xy[v as usize]
    }

    /// The two end vertices of edge `e`, in the direction of its geometry.
    pub fn edge_ends(&self, e: u32) -> [u32; 2] {
        self.edge_ends[e as usize]
    }

    /// Length of edge `e`, metres.
    pub fn edge_length_m(&self, e: u32) -> f32 {
        self.edge_length_m[e as usize]
    }

    /// The OSM way edge `e` is part of.
    pub fn edge_way_id(&self, e: u32) -> i64 {
        self.edge_way_id[e as usize]
    }

    /// What edge `e` is for walking profiles (steps, ramps).
    pub fn edge_kind(&self, e: u32) -> EdgeKind {
        self.edge_kind[e as usize]
    }

    /// Who may walk edge `e`.
    pub fn edge_access(&self, e: u32) -> EdgeAccess {
        self.edge_access[e as usize]
    }

    /// Geometry of edge `e` in the local frame, from its first end to its second.
    pub fn edge_geometry(&self, e: u32) -> &[Coord<f64>] {
        let (s, t) = (self.geom_start[e as usize], self.geom_start[e as usize + 1]);
        &self.geom_xy[s as usize..t as usize]
    }

    /// Distance in metres along edge `e` from its first end to each geometry point.
    pub fn edge_cumulative_m(&self, e: u32) -> &[f32] {
        let (s, t) = (self.geom_start[e as usize], self.geom_start[e as usize + 1]);
        &self.geom_cum_m[s as usize..t as usize]
    }

    /// Arcs leaving vertex `v`: `(head vertex, edge id)`.
    pub fn arcs(&self, v: u32) -> impl Iterator<Item = (u32, u32)> + '_ {
        let range = self.arc_range(v);
        self.arc_head[range.clone()]
            .iter()
            .copied()
            .zip(self.arc_edge[range].iter().copied())
    }

    /// Index range of the arcs leaving `v`, into per-arc arrays such as [`Self::arc_costs_s`].
    pub fn arc_range(&self, v: u32) -> std::ops::Range<usize> {
        self.arc_start[v as usize] as usize..self.arc_start[v as usize + 1] as usize
    }

    /// Head vertex of every arc (see [`Self::arc_range`]).
    pub fn arc_heads(&self) -> &[u32] {
        &self.arc_head
    }

    /// Edge of every arc (see [`Self::arc_range`]).
    pub fn arc_edges(&self) -> &[u32] {
        &self.arc_edge
    }

    /// Walking time of every arc, seconds, at `speed_m_s` on every edge, flat and the same
    /// both ways (the search's oracle tests; runs use [`super::WalkCosts`]).
    pub fn arc_costs_s(&self, speed_m_s: f64) -> Vec<f32> {
        self.arc_edge
            .iter()
            .map(|&e| (f64::from(self.edge_length_m[e as usize]) / speed_m_s) as f32)
            .collect()
    }

    /// Connected component of vertex `v`.
    pub fn component(&self, v: u32) -> u32 {
        self.vertex_component[v as usize]
    }

    /// Total edge length of component `c`, metres.
    pub fn component_length_m(&self, c: u32) -> f64 {
        self.component_length_m[c as usize]
    }

    /// Number of components.
    pub fn component_count(&self) -> usize {
        self.component_length_m.len()
    }

    /// A graph of straight edges between planar points (metres), for tests and fixtures.
    pub fn from_edges(vertex_xy: Vec<Coord<f64>>, edges: &[(u32, u32)]) -> WalkGraph {
        let mut g = WalkGraph {
            vertex_osm_id: (0..vertex_xy.len() as i64).collect(),
            vertex_xy,
            ..WalkGraph::empty()
        };
        for (i, &(a, b)) in edges.iter().enumerate() {
            let (pa, pb) = (g.vertex_xy[a as usize], g.vertex_xy[b as usize]);
            let length = (pb.x - pa.x).hypot(pb.y - pa.y);
            g.push_edge(
                [a, b],
                i as i64,
                EdgeKind::default(),
                EdgeAccess::Public,
                &[pa, pb],
                &[0.0, length],
            );
        }
        g.index_arcs();
        g.find_components();
        g
    }
}

//! Builds the undirected walking graph: ways split where they share nodes, geometry kept per
//! edge, lengths in metres, adjacency as compressed sparse rows, connected components.

use geo::Coord;
use petgraph::unionfind::UnionFind;

use super::profile::EdgeKind;
use crate::osm::read::{OsmExtract, RawWay};
use crate::spatial::LocalFrame;

/// Consecutive nodes of one way that are all present: `(OSM id, frame position)`.
type Run = Vec<(i64, Coord<f64>)>;

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
    /// Walkable ways read.
    pub walkable_ways: usize,
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
}

impl WalkGraph {
    /// Builds the graph from the extract's walkable ways, projecting through `frame`.
    pub fn build(extract: &OsmExtract, frame: &LocalFrame) -> (WalkGraph, BuildCounts) {
        let mut counts = BuildCounts {
            walkable_ways: extract.walk_ways.len(),
            ..BuildCounts::default()
        };
        // Runs of consecutive nodes present in the extract, per way.
        let mut runs: Vec<(&RawWay, Run)> = Vec::new();
        for way in &extract.walk_ways {
            let mut run = Vec::new();
            for &r in &way.refs {
                match extract.nodes.get(r) {
                    Some((lon, lat)) => run.push((r, frame.to_xy(lon, lat))),
                    None => {
                        counts.way_nodes_missing += 1;
                        if run.len() >= 2 {
                            runs.push((way, std::mem::take(&mut run)));
                        }
                        run.clear();
                    }
                }
            }
            if run.len() >= 2 {
                runs.push((way, run));
            }
        }

        // A node is a vertex where a run ends or where it is used more than once.
        let mut uses: Vec<i64> = Vec::new();
        for (_, run) in &runs {
            uses.extend(run.iter().map(|(id, _)| *id));
            uses.push(run[0].0);
            uses.push(run[run.len() - 1].0);
        }
        uses.sort_unstable();
        let mut vertex_osm_id: Vec<i64> = uses
            .chunk_by(|a, b| a == b)
            .filter(|c| c.len() >= 2)
            .map(|c| c[0])
            .collect();
        vertex_osm_id.dedup();
        let mut vertex_xy = vec![Coord::zero(); vertex_osm_id.len()];
        let vertex_of = |id: i64| vertex_osm_id.binary_search(&id).ok();

        let mut g = WalkGraph::empty();
        for (way, run) in &runs {
            let kind = EdgeKind::of_way(&way.tags);
            let mut from = vertex_of(run[0].0).expect("run ends are vertices");
            vertex_xy[from] = run[0].1;
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
                    vertex_xy[to] = xy;
                    let length = *cum.last().expect("non-empty");
                    if length > 0.0 {
                        g.push_edge([from as u32, to as u32], way.id, kind, &geom, &cum);
                    }
                    from = to;
                    geom = vec![xy];
                    cum = vec![0.0];
                }
            }
        }
        g.vertex_osm_id = vertex_osm_id;
        g.vertex_xy = vertex_xy;
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
        geom: &[Coord<f64>],
        cum: &[f64],
    ) {
        self.edge_ends.push(ends);
        self.edge_length_m
            .push(*cum.last().expect("non-empty") as f32);
        self.edge_way_id.push(way_id);
        self.edge_kind.push(kind);
        self.geom_xy.extend_from_slice(geom);
        self.geom_cum_m.extend(cum.iter().map(|&c| c as f32));
        self.geom_start.push(self.geom_xy.len() as u32);
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

    /// The OSM node id of vertex `v`.
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
                &[pa, pb],
                &[0.0, length],
            );
        }
        g.index_arcs();
        g.find_components();
        g
    }
}

//! Walking profiles (who walks, how fast, what stops them) and the direction-aware walking
//! costs of one profile over the graph.
//!
//! # Directions
//! An edge can cost more one way than the other (uphill and downhill differ, see
//! [`crate::spatial::elevation`]). Times in this tool are always those of the walk *from a
//! home to a facility*. The searches start at the facilities, so every arc `u → v` they
//! relax must cost what walking `v → u` costs: [`WalkCosts::toward_arc_costs_s`] gives each
//! arc the cost of its edge walked in the opposite direction. Walks along part of an edge
//! (a home's or facility's landing point to an end) use [`WalkCosts::along_s`] with the
//! direction of the walk. A compound's gate edge ([`EdgeAccess::Gate`]) is walked outwards
//! only: in the searches from facilities its arc into the compound costs nothing and the
//! arc out of it is impassable.

use super::{EdgeAccess, WalkGraph};

/// A named walking preset: flat speed and what steps mean for it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase", try_from = "String")]
pub enum Profile {
    /// An adult walking alone (the default).
    Adult,
    /// A caregiver pushing a stroller.
    Stroller,
    /// An older adult.
    Older,
    /// A manual wheelchair user.
    Wheelchair,
}

impl TryFrom<String> for Profile {
    type Error = String;
    fn try_from(name: String) -> Result<Self, String> {
        Profile::from_name(&name)
    }
}

/// Every profile, in the order of the table in docs/method.md (Walking profiles).
pub const PROFILES: [Profile; 4] = [
    Profile::Adult,
    Profile::Stroller,
    Profile::Older,
    Profile::Wheelchair,
];

/// Share of the flat speed kept on `highway=steps` by profiles that can climb them.
pub const STEPS_SPEED_FACTOR: f64 = 0.5;

impl Profile {
    /// The profile's name, as `--profile` takes it and outputs show it.
    pub fn name(self) -> &'static str {
        match self {
            Profile::Adult => "adult",
            Profile::Stroller => "stroller",
            Profile::Older => "older",
            Profile::Wheelchair => "wheelchair",
        }
    }

    /// Parses a profile name, as `--profile` and a manifest's `profiles` take it.
    ///
    /// # Errors
    /// A message naming the profiles when `name` is none of them.
    pub fn from_name(name: &str) -> Result<Profile, String> {
        PROFILES
            .into_iter()
            .find(|p| p.name() == name)
            .ok_or_else(|| format!("{name:?} is not one of adult, stroller, older, wheelchair"))
    }

    /// Speed on flat ground, km/h (sources in docs/method.md, Walking profiles).
    pub fn speed_kmh(self) -> f64 {
        match self {
            Profile::Adult => 4.5,
            Profile::Stroller => 4.0,
            Profile::Older => 3.6,
            Profile::Wheelchair => 2.7,
        }
    }

    /// Whether this profile can use an edge of this kind (steps only with a ramp it can
    /// roll on).
    pub fn can_use(self, kind: EdgeKind) -> bool {
        if !kind.steps {
            return true;
        }
        match self {
            Profile::Adult | Profile::Older => true,
            Profile::Stroller => kind.stroller_ramp,
            Profile::Wheelchair => kind.wheelchair_ramp,
        }
    }

    /// Speed factor on an edge of this kind it can use: [`STEPS_SPEED_FACTOR`] on steps
    /// climbed on foot, 1 elsewhere (a stroller or wheelchair on steps uses the ramp at its
    /// flat speed).
    pub fn speed_factor(self, kind: EdgeKind) -> f64 {
        match self {
            Profile::Adult | Profile::Older if kind.steps => STEPS_SPEED_FACTOR,
            _ => 1.0,
        }
    }
}

/// What an edge is, as far as profiles care.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EdgeKind {
    /// `highway=steps`.
    pub steps: bool,
    /// Steps with `ramp=yes` or `ramp:stroller=yes`.
    pub stroller_ramp: bool,
    /// Steps with `ramp=yes` or `ramp:wheelchair=yes`.
    pub wheelchair_ramp: bool,
    /// Below ground (see `is_underground` in this module): walked, but no home or facility steps onto
    /// it from above.
    pub underground: bool,
}

impl EdgeKind {
    /// The kind of an edge of a way with these tags.
    pub fn of_way(tags: &[(String, String)]) -> EdgeKind {
        let yes = |k: &str| crate::osm::tag(tags, k) == Some("yes");
        EdgeKind {
            steps: crate::osm::tag(tags, "highway") == Some("steps"),
            stroller_ramp: yes("ramp") || yes("ramp:stroller"),
            wheelchair_ramp: yes("ramp") || yes("ramp:wheelchair"),
            underground: is_underground(tags),
        }
    }
}

/// Whether a way runs below ground: `location=underground`, or a tunnel (`tunnel=*` other
/// than `no` and `building_passage`) with a negative `layer` or `level`. A tunnel without
/// either is taken to be at street level: in Helsinki's centre most of them (58 of 98
/// footway tunnels) are passages through buildings that a home beside them does open onto.
fn is_underground(tags: &[(String, String)]) -> bool {
    let tag = |k| crate::osm::tag(tags, k);
    let below = |k| {
        tag(k).is_some_and(|v| {
            v.split(';')
                .all(|part| part.trim().parse::<f64>().is_ok_and(|n| n < 0.0))
        })
    };
    let tunnel = !matches!(tag("tunnel"), None | Some("no" | "building_passage"));
    tag("location") == Some("underground") || (tunnel && (below("layer") || below("level")))
}

/// A profile resolved for a run: its flat speed (the preset's, or `--speed-kmh`).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct WalkProfile {
    /// The preset.
    pub profile: Profile,
    /// Speed on flat ground, km/h.
    pub speed_kmh: f64,
}

impl WalkProfile {
    /// The preset at its own speed.
    pub fn preset(profile: Profile) -> Self {
        WalkProfile {
            profile,
            speed_kmh: profile.speed_kmh(),
        }
    }

    /// Flat speed, m/s.
    pub fn speed_m_s(&self) -> f64 {
        self.speed_kmh / 3.6
    }
}

/// Seconds per metre of one profile on every edge, in both directions, and the arc costs of
/// searches that start at facilities.
#[derive(Debug, Clone)]
pub struct WalkCosts {
    /// Per edge: seconds per metre walking it from its first end to its second, and back
    /// (`INFINITY` where the profile cannot pass).
    pace_s_per_m: Vec<[f32; 2]>,
    /// Per arc: seconds to walk the arc's edge from its head to its tail.
    toward_arc_s: Vec<f32>,
    /// Seconds per metre of the straight legs between a point and the network.
    leg_s_per_m: f64,
    /// Edges this profile cannot pass.
    impassable_edges: usize,
}

impl WalkCosts {
    /// Costs of `profile` over `graph`; `hill_factors` (per edge, forward and backward: time
    /// on the hill ÷ time on the flat, see [`crate::spatial::elevation`]) when heights are known.
    /// Steps keep the steps rule only: their climb is in [`STEPS_SPEED_FACTOR`].
    pub fn new(
        graph: &WalkGraph,
        profile: &WalkProfile,
        hill_factors: Option<&[[f32; 2]]>,
    ) -> Self {
        let flat_s_per_m = 1.0 / profile.speed_m_s();
        WalkCosts::from_paces(graph, profile.profile, flat_s_per_m, |e, kind| {
            let pace = flat_s_per_m / profile.profile.speed_factor(kind);
            let hills = match hill_factors {
                Some(f) if !kind.steps => f[e as usize],
                _ => [1.0, 1.0],
            };
            [
                (pace * f64::from(hills[0])) as f32,
                (pace * f64::from(hills[1])) as f32,
            ]
        })
    }

    /// Costs of a distance run (`--meters`): 1 s/m on every edge `profile` may pass, both
    /// ways and on steps alike, so that a cost in seconds is the distance walked in metres.
    /// The profile still decides which edges are walkable (steps without its ramp).
    pub fn distance(graph: &WalkGraph, profile: Profile) -> Self {
        WalkCosts::from_paces(graph, profile, 1.0, |_, _| [1.0, 1.0])
    }

    /// Costs from each passable edge's pace (`pace_of(edge, kind)`, s/m forward and
    /// backward) and the legs' pace.
    fn from_paces(
        graph: &WalkGraph,
        profile: Profile,
        leg_s_per_m: f64,
        pace_of: impl Fn(u32, EdgeKind) -> [f32; 2],
    ) -> Self {
        let mut impassable_edges = 0;
        let pace_s_per_m: Vec<[f32; 2]> = (0..graph.edge_count() as u32)
            .map(|e| {
                let kind = graph.edge_kind(e);
                if !profile.can_use(kind) {
                    impassable_edges += 1;
                    return [f32::INFINITY; 2];
                }
                pace_of(e, kind)
            })
            .collect();
        let toward_arc_s = (0..graph.vertex_count() as u32)
            .flat_map(|v| graph.arcs(v).map(move |(head, e)| (v, head, e)))
            .map(|(tail, _, e)| {
                let length = graph.edge_length_m(e);
                // walking head → tail: forward when the edge runs from head to tail
                let forward = graph.edge_ends(e)[1] == tail;
                if !forward && matches!(graph.edge_access(e), EdgeAccess::Gate(_)) {
                    return f32::INFINITY; // nobody walks into a compound
                }
                let pace = pace_s_per_m[e as usize][usize::from(!forward)];
                length * pace
            })
            .collect();
        WalkCosts {
            pace_s_per_m,
            toward_arc_s,
            leg_s_per_m,
            impassable_edges,
        }
    }

    /// Per arc (see [`WalkGraph::arc_range`]): seconds of walking the arc's edge from its
    /// head to its tail, what a search from facilities adds (`INFINITY` = impassable).
    pub fn toward_arc_costs_s(&self) -> &[f32] {
        &self.toward_arc_s
    }

    /// Seconds to walk along edge `e` from `from_m` to `to_m` metres past its first end.
    pub fn along_s(&self, e: u32, from_m: f32, to_m: f32) -> f64 {
        let [forward, backward] = self.pace_s_per_m[e as usize];
        if to_m == from_m {
            0.0 // even on an edge the profile cannot pass: the point is where it is
        } else if to_m > from_m {
            f64::from(to_m - from_m) * f64::from(forward)
        } else {
            f64::from(from_m - to_m) * f64::from(backward)
        }
    }

    /// Seconds per metre along edge `e`, forward and backward.
    pub fn pace_s_per_m(&self, e: u32) -> [f32; 2] {
        self.pace_s_per_m[e as usize]
    }

    /// Seconds of a straight leg of `distance_m` between a point and the network (flat).
    pub fn leg_s(&self, distance_m: f32) -> f64 {
        f64::from(distance_m) * self.leg_s_per_m
    }

    /// Flat speed, m/s.
    pub fn speed_m_s(&self) -> f64 {
        1.0 / self.leg_s_per_m
    }

    /// Whether the profile can walk edge `e` at all.
    pub fn passable(&self, e: u32) -> bool {
        self.pace_s_per_m[e as usize][0].is_finite()
    }

    /// Edges the profile cannot pass (steps without a ramp for it).
    pub fn impassable_edges(&self) -> usize {
        self.impassable_edges
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Coord;

    #[test]
    fn names_round_trip() {
        for p in PROFILES {
            assert_eq!(Profile::from_name(p.name()), Ok(p));
        }
        assert!(Profile::from_name("runner").is_err());
    }

    #[test]
    fn steps_rules_by_profile() {
        let steps = EdgeKind {
            steps: true,
            ..EdgeKind::default()
        };
        let ramp = |s, w| EdgeKind {
            steps: true,
            stroller_ramp: s,
            wheelchair_ramp: w,
            underground: false,
        };
        assert!(Profile::Adult.can_use(steps) && Profile::Older.can_use(steps));
        assert!(!Profile::Stroller.can_use(steps) && !Profile::Wheelchair.can_use(steps));
        assert!(Profile::Stroller.can_use(ramp(true, false)));
        assert!(!Profile::Wheelchair.can_use(ramp(true, false)));
        assert!(Profile::Wheelchair.can_use(ramp(false, true)));
        assert_eq!(Profile::Adult.speed_factor(steps), 0.5);
        assert_eq!(Profile::Stroller.speed_factor(ramp(true, true)), 1.0);
        let tags = |kv: &[(&str, &str)]| -> Vec<(String, String)> {
            kv.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        assert_eq!(
            EdgeKind::of_way(&tags(&[("highway", "steps"), ("ramp", "yes")])),
            ramp(true, true)
        );
        assert_eq!(
            EdgeKind::of_way(&tags(&[("highway", "steps"), ("ramp:wheelchair", "yes")])),
            ramp(false, true)
        );
        assert_eq!(
            EdgeKind::of_way(&tags(&[("highway", "footway"), ("ramp", "yes")])),
            EdgeKind {
                steps: false,
                stroller_ramp: true,
                wheelchair_ramp: true,
                underground: false,
            }
        );
        assert!(Profile::Wheelchair.can_use(EdgeKind::default()));
        let underground = |kv| EdgeKind::of_way(&tags(kv)).underground;
        assert!(underground(&[("tunnel", "yes"), ("layer", "-1")]));
        assert!(underground(&[("tunnel", "culvert"), ("layer", "-2")]));
        assert!(underground(&[("tunnel", "yes"), ("level", "-3;-2")]));
        assert!(underground(&[("location", "underground")]));
        assert!(!underground(&[("tunnel", "yes"), ("level", "-1;0")]));
        assert!(!underground(&[("tunnel", "yes")]));
        assert!(!underground(&[
            ("tunnel", "building_passage"),
            ("layer", "-1")
        ]));
        assert!(!underground(&[("tunnel", "no"), ("layer", "-1")]));
        assert!(!underground(&[("highway", "footway"), ("layer", "-1")]));
    }

    /// Arcs from facilities carry the cost of the opposite walk.
    #[test]
    fn toward_costs_are_the_reverse_walk() {
        let g = WalkGraph::from_edges(
            vec![Coord { x: 0.0, y: 0.0 }, Coord { x: 100.0, y: 0.0 }],
            &[(0, 1)],
        );
        let profile = WalkProfile {
            profile: Profile::Adult,
            speed_kmh: 3.6,
        };
        // forward (0 → 1) twice as slow as flat, backward flat
        let costs = WalkCosts::new(&g, &profile, Some(&[[2.0, 1.0]]));
        let arc_from_0 = g.arc_range(0).start;
        let arc_from_1 = g.arc_range(1).start;
        // the search relaxing 0 → 1 adds the walk 1 → 0 (backward): 100 s
        assert!((costs.toward_arc_costs_s()[arc_from_0] - 100.0).abs() < 1e-4);
        assert!((costs.toward_arc_costs_s()[arc_from_1] - 200.0).abs() < 1e-4);
        assert!((costs.along_s(0, 20.0, 70.0) - 100.0).abs() < 1e-4);
        assert!((costs.along_s(0, 70.0, 20.0) - 50.0).abs() < 1e-4);
        assert!((costs.leg_s(10.0) - 10.0).abs() < 1e-9);
    }
}

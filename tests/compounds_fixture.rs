//! Gated compounds on a map worked out by hand (`docs/method.md`, *Gated compounds*): a
//! compound's private path is a way out for its residents only, through its open gates; a
//! locked gate is no way out; nobody else walks through.
//!
//! The map, in metres east (x) and north (y) of 10°E 45°N; minutes = metres ÷ 75:
//!
//! ```text
//!    y (m)
//!   320                   Hn                  Hn: a house outside, north of the street
//!   300  C-----------------Jn----------------D    north street C-Jn-D (D a dead end)
//!        |                 |                      Jn-Gn-M-Gs-Js: footway, access=private
//!   250  |        +--------Gn-------+             Gn: barrier=gate
//!        |        |        |        |
//!   150  |        |        M  Hin   |             Hin: a house inside the compound
//!        |        |        |        |
//!    50  |        +--------Gs-------+             Gs: barrier=gate (locked or open)
//!    35  |                 |  Hs                  Hs: a house outside, by the path
//!     0  A-----------------Js-K------------B      south street; K: kindergarten
//!        0       200      300      400     600  x (m)
//! ```
//!
//! The compound is the `landuse=residential` rectangle [200, 400] × [50, 250]. The
//! kindergarten K at (310, −10) snaps to (310, 0): a 10 m leg, 10 m east of Js.

mod common;

use common::map::Map;
use common::{properties_of, read_features, read_json};
use serde_json::Value;

/// How the compound is told apart from a plain residential area.
#[derive(Clone, Copy)]
enum Enclosure {
    /// `barrier=wall` on the landuse area itself.
    WallTag,
    /// A `barrier=fence` way drawn 1 m outside the landuse outline.
    FenceWay,
    /// Nothing but the `barrier=gate` nodes on its outline.
    GatesOnly,
}

/// What lies south of the middle of the private path.
#[derive(Clone, Copy, PartialEq)]
enum South {
    /// The path ends at M: the north gate is the only way out.
    NoPath,
    /// The path runs on to the south street through Gs, `barrier=gate` + `access=private`.
    LockedGate,
    /// The same, with Gs a plain `barrier=gate`.
    OpenGate,
}

/// One run of the map: the summary and `(snap_m, minutes)` of Hin, Hn and Hs.
fn run(enclosure: Enclosure, south: South) -> (Value, [(f64, f64); 3]) {
    let mut map = Map::default();
    let a = map.node(0.0, 0.0, &[]);
    let js = map.node(300.0, 0.0, &[]);
    let b = map.node(600.0, 0.0, &[]);
    let c = map.node(0.0, 300.0, &[]);
    let jn = map.node(300.0, 300.0, &[]);
    let d = map.node(600.0, 300.0, &[]);
    let street = &[("highway", "residential")];
    map.way(vec![a, js, b], street);
    map.way(vec![a, c], street);
    map.way(vec![c, jn, d], street);
    map.node(310.0, -10.0, &[("amenity", "kindergarten")]);

    let gn = map.node(300.0, 250.0, &[("barrier", "gate")]);
    let m = map.node(300.0, 150.0, &[]);
    let private = &[("highway", "footway"), ("access", "private")];
    if south == South::NoPath {
        map.way(vec![jn, gn, m], private);
    } else {
        let gate: common::map::Tags = if south == South::LockedGate {
            &[("barrier", "gate"), ("access", "private")]
        } else {
            &[("barrier", "gate")]
        };
        let gs = map.node(300.0, 50.0, gate);
        map.way(vec![jn, gn, m, gs, js], private);
    }
    match enclosure {
        Enclosure::WallTag => {
            map.rectangle(
                200.0,
                50.0,
                400.0,
                250.0,
                &[("landuse", "residential"), ("barrier", "wall")],
            );
        }
        Enclosure::FenceWay => {
            map.rectangle(200.0, 50.0, 400.0, 250.0, &[("landuse", "residential")]);
            map.rectangle(199.0, 49.0, 401.0, 251.0, &[("barrier", "fence")]);
        }
        Enclosure::GatesOnly => {
            map.rectangle(200.0, 50.0, 400.0, 250.0, &[("landuse", "residential")]);
        }
    }
    let houses = [(320.0, 150.0), (310.0, 320.0), (310.0, 35.0)].map(|(x, y)| {
        let id = map.rectangle(x - 5.0, y - 5.0, x + 5.0, y + 5.0, &[("building", "house")]);
        format!("way/{id}")
    });

    let (_dir, out) = map.run_coverage("compound", &["--category", "childcare"]);
    let buildings = read_features(&out.join("buildings.geojson"));
    let found = houses.map(|house| {
        let p = properties_of(&buildings, &house);
        (
            p["snap_m"].as_f64().expect("snapped"),
            p["childcare_minutes"].as_f64().expect("reachable"),
        )
    });
    (read_json(&out.join("summary.json")), found)
}

/// Hin walks 20 m to M, the path north to Jn (150 m), round by C and A to Js (300 + 300 +
/// 300 m), 10 m to K's landing and its 10 m leg: 1,090 m = 14.53 min. Through an open south
/// gate it would be 20 + 150 + 10 + 10 = 190 m = 2.53 min.
const HIN_ROUND_MIN: f64 = 1090.0 / 75.0;
/// Hin through the open south gate.
const HIN_SOUTH_MIN: f64 = 190.0 / 75.0;
/// Hn, outside: 20 m to the north street at (310, 300), 10 m to Jn, round by C and A (900 m),
/// 10 m and the 10 m leg: 950 m = 12.67 min, whatever the gates — through the compound it
/// would be 20 + 10 + 300 + 10 + 10 = 350 m.
const HN_MIN: f64 = 950.0 / 75.0;
/// Hs, outside, 10 m from the private path but 35 m from the street: it snaps to the street
/// at (310, 0), K's own landing: 35 + 10 = 45 m = 0.6 min.
const HS: (f64, f64) = (35.0, 45.0 / 75.0);

fn assert_times(case: &str, got: [(f64, f64); 3], hin_min: f64) {
    let want = [(20.0, hin_min), (20.0, HN_MIN), HS];
    for (name, (g, w)) in ["Hin", "Hn", "Hs"].iter().zip(got.iter().zip(want)) {
        assert!(
            (g.0 - w.0).abs() <= 0.1,
            "{case} {name} snap_m {} vs {}",
            g.0,
            w.0
        );
        assert!(
            (g.1 - w.1).abs() <= 0.01,
            "{case} {name}: {} min, by hand {:.4}",
            g.1,
            w.1
        );
    }
}

#[test]
fn the_only_open_gate_faces_away_so_residents_walk_round() {
    let (summary, times) = run(Enclosure::WallTag, South::NoPath);
    assert_times("walled, north gate only", times, HIN_ROUND_MIN);
    let compounds = &summary["counts"]["compounds"];
    assert_eq!(compounds["compounds"], 1, "{compounds}");
    assert_eq!(compounds["walled"], 1, "{compounds}");
    assert_eq!(compounds["private_ways_kept"], 1, "{compounds}");
    assert_eq!(compounds["homes"], 1, "{compounds}");
    let graph = &summary["counts"]["graph"];
    assert_eq!(graph["private_edges"], 1, "{graph}");
    assert_eq!(graph["gates_open"], 1, "{graph}");
}

#[test]
fn a_locked_gate_is_no_way_out_and_unlocking_it_opens_the_short_route() {
    let (locked, times) = run(Enclosure::FenceWay, South::LockedGate);
    assert_times("fenced, south gate locked", times, HIN_ROUND_MIN);
    assert_eq!(locked["counts"]["compounds"]["walled"], 1);
    assert_eq!(locked["counts"]["compounds"]["gates_locked"], 1);
    assert_eq!(locked["counts"]["graph"]["gates_locked_cut"], 1);
    // Jn and Js both join the path to a street; the path is cut in two at Gs
    assert_eq!(locked["counts"]["graph"]["gates_open"], 2);
    assert_eq!(locked["counts"]["graph"]["private_edges"], 2);

    let (open, times) = run(Enclosure::FenceWay, South::OpenGate);
    // Hin goes out south; Hn still cannot pass through the compound
    assert_times("fenced, south gate open", times, HIN_SOUTH_MIN);
    assert_eq!(open["counts"]["compounds"]["gates_locked"], 0);
    assert_eq!(open["counts"]["graph"]["gates_open"], 2);
}

#[test]
fn gates_on_the_outline_alone_make_a_compound() {
    let (gated, times) = run(Enclosure::GatesOnly, South::OpenGate);
    assert_times("gates only", times, HIN_SOUTH_MIN);
    assert_eq!(gated["counts"]["compounds"]["gated"], 1);
    assert_eq!(gated["counts"]["compounds"]["walled"], 0);
}

/// A fenced playground drawn as a closed way whose first (and so also last) node lies on the
/// residential area's outline touches the outline at one node only: the area is no compound.
#[test]
fn a_closed_fence_touching_the_outline_once_does_not_wall_an_area() {
    let mut map = Map::default();
    let a = map.node(0.0, 0.0, &[]);
    let b = map.node(1200.0, 0.0, &[]);
    map.way(vec![a, b], &[("highway", "residential")]);
    map.node(300.0, -10.0, &[("amenity", "kindergarten")]);
    map.rectangle(100.0, 20.0, 500.0, 220.0, &[("landuse", "residential")]);
    let fence = [(300.0, 20.0), (350.0, 80.0), (300.0, 120.0), (250.0, 80.0)]
        .map(|(x, y)| map.node(x, y, &[]));
    map.way(
        vec![fence[0], fence[1], fence[2], fence[3], fence[0]],
        &[("barrier", "fence"), ("leisure", "playground")],
    );
    map.rectangle(145.0, 95.0, 155.0, 105.0, &[("building", "house")]);
    let (_dir, out) = map.run_coverage("playground", &["--category", "childcare"]);
    let compounds = &read_json(&out.join("summary.json"))["counts"]["compounds"];
    assert_eq!(compounds["compounds"], 0, "{compounds}");
    assert_eq!(compounds["walled"], 0, "{compounds}");
}

//! Generates a synthetic sample town whose answers are known by construction.
//!
//! ```text
//! cargo run --release --example make_sample_town -- data
//! ```
//!
//! writes `sample-town.osm.pbf`, `sample-town.expected.csv` and `README.md` into the given folder.
//! The town is laid out in planar metres east (x) and north (y) of 10°E 45°N. Every expected
//! answer is computed here, on this file's own geometry and its own Dijkstra over its own
//! construction graph, independently of the library's pipeline. Node positions are rounded to
//! the PBF's 1e-7° grid first and converted back, so the metres used here are exactly the
//! metres the file holds. Everything is deterministic: the only "randomness" is a fixed-seed LCG.

use std::collections::{BinaryHeap, HashMap, HashSet};
use std::error::Error;
use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use fifteen::osm::write::{Member, MemberType, PbfWriter};

const ORIGIN_LON: f64 = 10.0;
const ORIGIN_LAT: f64 = 45.0;
const METRES_PER_DEGREE_LAT: f64 = 111_195.08;
/// Street spacing of the grid.
const SPACING_M: f64 = 100.0;
/// Intersections west to east.
const COLUMNS: usize = 25;
/// Intersections south to north.
const ROWS: usize = 13;
/// The grid row the motorway replaces.
const MOTORWAY_ROW: usize = 6;
/// Walking speed, 4.5 km/h.
const WALK_M_PER_MIN: f64 = 75.0;
/// Threshold for "covered", minutes.
const THRESHOLD_MIN: f64 = 15.0;
/// Time bands a test may ask for (`--minutes 5,10,15`); answers keep clear of each.
const BANDS_MIN: [f64; 3] = [5.0, 10.0, THRESHOLD_MIN];
/// A connected part of the network shorter than this in total is an island (the pipeline's
/// fixed `ISLAND_MAX_M`).
const ISLAND_MAX_M: f64 = 1000.0;
/// Origins farther than this from every walkable way are unsnapped.
const SNAP_LIMIT_M: f64 = 250.0;
/// A snap is unambiguous when every other candidate point is at least this much farther.
const MIN_SNAP_MARGIN_M: f64 = 2.0;
/// Least distance from a building outline to any highway.
const MIN_CLEARANCE_M: f64 = 5.0;
/// Answers that differ by more than this fraction count as changed.
const CHANGE_TOLERANCE: f64 = 0.003;

const RESIDENTIAL_BUILDINGS: [&str; 8] = [
    "residential",
    "apartments",
    "house",
    "detached",
    "semidetached_house",
    "terrace",
    "dormitory",
    "bungalow",
];
const NON_RESIDENTIAL_KEYS: [&str; 6] =
    ["amenity", "shop", "office", "craft", "tourism", "leisure"];
/// `building` values of generated buildings and their weights (per cent).
const BUILDING_MIX: [(&str, u32); 9] = [
    ("house", 34),
    ("yes", 30),
    ("residential", 12),
    ("detached", 6),
    ("terrace", 6),
    ("semidetached_house", 5),
    ("bungalow", 3),
    ("dormitory", 2),
    ("apartments", 2),
];

/// Block ranges `[first column, end column) × [first row, end row)` of the landuse areas.
const RESIDENTIAL_WEST: [usize; 4] = [0, 8, 0, 5];
const RESIDENTIAL_CENTRE: [usize; 4] = [8, 16, 7, 12];
const RESIDENTIAL_NORTH_WEST: [usize; 4] = [0, 8, 7, 12];
const RESIDENTIAL_HOLE: [usize; 4] = [3, 5, 9, 11];
const INDUSTRIAL: [usize; 4] = [20, 24, 0, 2];

type Tags = Vec<(String, String)>;
/// Tags as written in the tables below.
type KeyValues = &'static [(&'static str, &'static str)];

fn tags(pairs: &[(&str, &str)]) -> Tags {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn pairs(tags: &Tags) -> Vec<(&str, &str)> {
    tags.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

fn tag<'a>(tags: &'a Tags, key: &str) -> Option<&'a str> {
    tags.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Point {
    x_m: f64,
    y_m: f64,
}

const fn pt(x_m: f64, y_m: f64) -> Point {
    Point { x_m, y_m }
}

impl Point {
    fn distance_m(self, other: Point) -> f64 {
        (self.x_m - other.x_m).hypot(self.y_m - other.y_m)
    }

    /// The point a fraction `t` of the way from `self` to `other`.
    fn lerp(self, other: Point, t: f64) -> Point {
        pt(
            self.x_m + t * (other.x_m - self.x_m),
            self.y_m + t * (other.y_m - self.y_m),
        )
    }
}

/// The nearest point of segment `a`–`b` to `p`, as the fraction along the segment.
fn project(p: Point, a: Point, b: Point) -> f64 {
    let (dx, dy) = (b.x_m - a.x_m, b.y_m - a.y_m);
    let t = ((p.x_m - a.x_m) * dx + (p.y_m - a.y_m) * dy) / (dx * dx + dy * dy);
    t.clamp(0.0, 1.0)
}

/// Signed shoelace area (counter-clockwise positive) and area centroid of a closed ring.
fn area_and_centroid(ring: &[Point]) -> (f64, Point) {
    let (mut twice_area, mut cx, mut cy) = (0.0, 0.0, 0.0);
    for pair in ring.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        let cross = a.x_m * b.y_m - b.x_m * a.y_m;
        twice_area += cross;
        cx += (a.x_m + b.x_m) * cross;
        cy += (a.y_m + b.y_m) * cross;
    }
    let area = twice_area / 2.0;
    (area, pt(cx / (6.0 * area), cy / (6.0 * area)))
}

/// Axis-aligned rectangle.
#[derive(Debug, Clone, Copy)]
struct Rect {
    min: Point,
    max: Point,
}

fn rect(x0_m: f64, y0_m: f64, x1_m: f64, y1_m: f64) -> Rect {
    Rect {
        min: pt(x0_m.min(x1_m), y0_m.min(y1_m)),
        max: pt(x0_m.max(x1_m), y0_m.max(y1_m)),
    }
}

impl Rect {
    /// Corners counter-clockwise from the south-west one.
    fn corners(self) -> [Point; 4] {
        [
            self.min,
            pt(self.max.x_m, self.min.y_m),
            self.max,
            pt(self.min.x_m, self.max.y_m),
        ]
    }

    fn centre(self) -> Point {
        self.min.lerp(self.max, 0.5)
    }

    /// The rectangle around a block range `[c0, c1) × [r0, r1)`, `inset_m` inside its streets.
    fn of_blocks([c0, c1, r0, r1]: [usize; 4], inset_m: f64) -> Rect {
        let s = SPACING_M;
        rect(
            c0 as f64 * s + inset_m,
            r0 as f64 * s + inset_m,
            c1 as f64 * s - inset_m,
            r1 as f64 * s - inset_m,
        )
    }
}

fn in_blocks([c0, c1, r0, r1]: [usize; 4], column: usize, row: usize) -> bool {
    (c0..c1).contains(&column) && (r0..r1).contains(&row)
}

/// Fixed-seed linear congruential generator (Knuth's MMIX constants).
struct Lcg(u64);

impl Lcg {
    /// A number in `0..n`.
    fn below(&mut self, n: u32) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % u64::from(n)) as u32
    }

    /// A multiple of 0.5 m in `lo_m..=hi_m`.
    fn half_metres(&mut self, lo_m: f64, hi_m: f64) -> f64 {
        lo_m + 0.5 * f64::from(self.below(((hi_m - lo_m) * 2.0) as u32 + 1))
    }

    fn pick_building(&mut self) -> &'static str {
        let mut roll = self.below(100);
        for (value, weight) in BUILDING_MIX {
            if roll < weight {
                return value;
            }
            roll -= weight;
        }
        unreachable!("weights add up to 100")
    }
}

struct Node {
    id: i64,
    lon_e7: i64,
    lat_e7: i64,
    at: Point,
    tags: Tags,
}

struct Way {
    id: i64,
    refs: Vec<i64>,
    tags: Tags,
    walkable: bool,
}

struct Relation {
    id: i64,
    members: Vec<(MemberType, i64, &'static str)>,
    tags: Tags,
}

/// Which block of way ids a way takes.
#[derive(Clone, Copy)]
enum WayClass {
    Street,
    Special,
    Area,
    Building,
}

const FIRST_WAY_IDS: [i64; 4] = [1001, 2001, 3001, 10001];

/// A building as the expected answers see it.
struct Building {
    /// `way` or `relation`.
    osm_type: &'static str,
    id: i64,
    tags: Tags,
    outer: Vec<Point>,
    inner: Option<Vec<Point>>,
    entrance: Option<Point>,
    in_industrial: bool,
}

impl Building {
    fn element(&self) -> String {
        format!("{}/{}", self.osm_type, self.id)
    }

    fn building(&self) -> &str {
        tag(&self.tags, "building").expect("every building has a building tag")
    }

    fn footprint_m2(&self) -> f64 {
        let hole_m2 = self.inner.as_ref().map_or(0.0, |r| area_and_centroid(r).0);
        area_and_centroid(&self.outer).0 - hole_m2
    }

    /// The snap origin: the entrance, else the centre of the outer rectangle (inside the
    /// footprint: `Town::check` makes sure buildings with a hole have an entrance).
    fn origin(&self) -> Point {
        self.entrance
            .unwrap_or_else(|| area_and_centroid(&self.outer).1)
    }

    /// `tagged`, `assumed`, or `None` when not residential.
    fn judged(&self) -> Option<&'static str> {
        let building = self.building();
        if RESIDENTIAL_BUILDINGS.contains(&building) {
            return Some("tagged");
        }
        let non_residential_tag = self
            .tags
            .iter()
            .any(|(k, _)| NON_RESIDENTIAL_KEYS.contains(&k.as_str()));
        (building == "yes" && !self.in_industrial && !non_residential_tag).then_some("assumed")
    }

    fn levels(&self) -> f64 {
        if let Some(levels) = tag(&self.tags, "building:levels") {
            return levels.parse().expect("generated levels are numbers");
        }
        match self.building() {
            "terrace" => 2.0,
            "residential" | "dormitory" => 3.0,
            "apartments" => 4.0,
            _ => 1.0,
        }
    }

    fn population(&self) -> f64 {
        match self.judged() {
            Some(_) => self.footprint_m2() * self.levels() / 30.0,
            None => 0.0,
        }
    }
}

/// A facility's point and element.
struct Facility {
    element: String,
    at: Point,
}

/// Which side of a block a building faces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Side {
    /// Faces the street along the block's south edge.
    South,
    /// Faces the street along the block's north edge.
    North,
}

/// One side of block `(column, row)`, the block east of column `column` and north of row `row`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Frontage {
    column: usize,
    row: usize,
    side: Side,
}

impl Frontage {
    /// A `width_m` × `depth_m` rectangle centred `along_m` east of the block's west street,
    /// `setback_m` back from the street, and the midpoint of its street-facing side.
    fn plot(self, along_m: f64, width_m: f64, depth_m: f64, setback_m: f64) -> (Rect, Point) {
        let x_m = self.column as f64 * SPACING_M + along_m;
        let (street_m, inward) = match self.side {
            Side::South => (self.row as f64 * SPACING_M, 1.0),
            Side::North => ((self.row + 1) as f64 * SPACING_M, -1.0),
        };
        let front_m = street_m + inward * setback_m;
        let plot = rect(
            x_m - width_m / 2.0,
            front_m,
            x_m + width_m / 2.0,
            front_m + inward * depth_m,
        );
        (plot, pt(x_m, front_m))
    }

    /// Whether a street runs along this side (the motorway row has none).
    fn has_street(self) -> bool {
        match self.side {
            Side::South => self.row != MOTORWAY_ROW,
            Side::North => self.row + 1 != MOTORWAY_ROW,
        }
    }
}

fn frontage(column: usize, row: usize, side: Side) -> Frontage {
    Frontage { column, row, side }
}

/// Everything the town holds, and what the answers need to know about it.
struct Town {
    nodes: Vec<Node>,
    street_nodes: HashMap<(i64, i64), i64>,
    ways: Vec<Way>,
    next_way_ids: [i64; 4],
    relations: Vec<Relation>,
    buildings: Vec<Building>,
    childcare: Vec<Facility>,
    /// Facilities other than childcare, which only need to lie near a street.
    other_facilities: Vec<Facility>,
    /// `(description, element)` for the README.
    features: Vec<(String, String)>,
    /// Ways whose walkability the README's sensitivity table flips.
    special_ways: Vec<(String, i64)>,
    /// Block sides already taken by a facility or special building.
    reserved: HashSet<Frontage>,
}

impl Town {
    fn new() -> Self {
        Town {
            nodes: Vec::new(),
            street_nodes: HashMap::new(),
            ways: Vec::new(),
            next_way_ids: FIRST_WAY_IDS,
            relations: Vec::new(),
            buildings: Vec::new(),
            childcare: Vec::new(),
            other_facilities: Vec::new(),
            features: Vec::new(),
            special_ways: Vec::new(),
            reserved: HashSet::new(),
        }
    }

    fn feature(&mut self, description: &str, element: &str) {
        self.features
            .push((description.to_owned(), element.to_owned()));
    }

    /// A new node at the 1e-7° grid point nearest to `(x_m, y_m)`.
    fn node(&mut self, x_m: f64, y_m: f64, tags: Tags) -> i64 {
        let metres_per_degree_lon = METRES_PER_DEGREE_LAT * 45f64.to_radians().cos();
        let lon_e7 = ((ORIGIN_LON + x_m / metres_per_degree_lon) * 1e7).round() as i64;
        let lat_e7 = ((ORIGIN_LAT + y_m / METRES_PER_DEGREE_LAT) * 1e7).round() as i64;
        let at = pt(
            (lon_e7 as f64 / 1e7 - ORIGIN_LON) * metres_per_degree_lon,
            (lat_e7 as f64 / 1e7 - ORIGIN_LAT) * METRES_PER_DEGREE_LAT,
        );
        let id = self.nodes.len() as i64 + 1;
        self.nodes.push(Node {
            id,
            lon_e7,
            lat_e7,
            at,
            tags,
        });
        id
    }

    /// The street node at `(x_m, y_m)`, shared by every street way through it.
    fn street_node(&mut self, x_m: f64, y_m: f64) -> i64 {
        let key = ((x_m * 100.0).round() as i64, (y_m * 100.0).round() as i64);
        if let Some(&id) = self.street_nodes.get(&key) {
            return id;
        }
        let id = self.node(x_m, y_m, Tags::new());
        self.street_nodes.insert(key, id);
        id
    }

    fn at(&self, node: i64) -> Point {
        self.nodes[node as usize - 1].at
    }

    fn way(&mut self, class: WayClass, refs: Vec<i64>, tags: Tags, walkable: bool) -> i64 {
        let id = self.next_way_ids[class as usize];
        self.next_way_ids[class as usize] += 1;
        self.ways.push(Way {
            id,
            refs,
            tags,
            walkable,
        });
        id
    }

    /// A closed way through new nodes at `corners`; its id and its ring as stored.
    fn ring(&mut self, class: WayClass, corners: &[Point], tags: Tags) -> (i64, Vec<Point>) {
        let mut refs: Vec<i64> = corners
            .iter()
            .map(|c| self.node(c.x_m, c.y_m, Tags::new()))
            .collect();
        refs.push(refs[0]);
        let ring = refs.iter().map(|&n| self.at(n)).collect();
        let walkable = tag(&tags, "highway").is_some();
        (self.way(class, refs, tags, walkable), ring)
    }

    /// A special way through street nodes at `points` (shared with streets at the ends).
    fn special(&mut self, description: &str, points: &[Point], tags: Tags, walkable: bool) {
        let refs = points
            .iter()
            .map(|p| self.street_node(p.x_m, p.y_m))
            .collect();
        let id = self.way(WayClass::Special, refs, tags, walkable);
        self.feature(description, &format!("way/{id}"));
        self.special_ways.push((description.to_owned(), id));
    }

    /// Every highway segment, walkable or not.
    fn highway_segments(&self) -> Vec<(Point, Point)> {
        self.ways
            .iter()
            .filter(|w| tag(&w.tags, "highway").is_some())
            .flat_map(|w| w.refs.windows(2).map(|p| (self.at(p[0]), self.at(p[1]))))
            .collect()
    }
}

/// Ways over the motorway: `(x_m, [(from y_m, to y_m, description, tags, walkable)])`.
type Crossing = (f64, &'static [(f64, f64, &'static str, KeyValues, bool)]);

const CROSSINGS: [Crossing; 4] = [
    (
        300.0,
        &[(
            500.0,
            700.0,
            "cycle bridge over the motorway with foot=no (not walkable), x = 300 m",
            &[
                ("highway", "cycleway"),
                ("foot", "no"),
                ("bridge", "yes"),
                ("layer", "1"),
            ],
            false,
        )],
    ),
    (
        600.0,
        &[
            (
                500.0,
                560.0,
                "steps up to the footbridge at x = 600 m",
                &[("highway", "steps")],
                true,
            ),
            (
                560.0,
                700.0,
                "footbridge over the motorway, x = 600 m",
                &[("highway", "footway"), ("bridge", "yes"), ("layer", "1")],
                true,
            ),
        ],
    ),
    (
        1600.0,
        &[(
            500.0,
            700.0,
            "service bridge over the motorway with access=private (not walkable), x = 1600 m",
            &[
                ("highway", "service"),
                ("access", "private"),
                ("bridge", "yes"),
                ("layer", "1"),
            ],
            false,
        )],
    ),
    (
        1800.0,
        &[(
            500.0,
            700.0,
            "footbridge over the motorway, x = 1800 m",
            &[("highway", "footway"), ("bridge", "yes"), ("layer", "1")],
            true,
        )],
    ),
];

/// The footway island's loop, south of the grid: more than `SNAP_LIMIT_M` from every other
/// walkable way, so the house inside it can only snap onto it.
const ISLAND: Rect = Rect {
    min: pt(1430.0, -370.0),
    max: pt(1470.0, -330.0),
};

/// The residential grid: rows (but the motorway's) and columns (cut by the motorway).
fn build_streets(town: &mut Town) {
    let street = || tags(&[("highway", "residential")]);
    for row in (0..ROWS).filter(|&r| r != MOTORWAY_ROW) {
        let y_m = row as f64 * SPACING_M;
        let breaks: &[usize] = if row % 2 == 0 {
            &[0, 8, 16, 24]
        } else {
            &[0, 4, 12, 20, 24]
        };
        for span in breaks.windows(2) {
            let refs = (span[0]..=span[1])
                .map(|c| town.street_node(c as f64 * SPACING_M, y_m))
                .collect();
            town.way(WayClass::Street, refs, street(), true);
        }
    }
    for column in 0..COLUMNS {
        let x_m = column as f64 * SPACING_M;
        for (first, last) in [(0, MOTORWAY_ROW - 1), (MOTORWAY_ROW + 1, ROWS - 1)] {
            let refs = (first..=last)
                .map(|r| town.street_node(x_m, r as f64 * SPACING_M))
                .collect();
            town.way(WayClass::Street, refs, street(), true);
        }
    }
}

/// Motorway, crossings, the hamlet's track, the diagonal footway and the footway island.
fn build_special_ways(town: &mut Town) {
    let y_m = MOTORWAY_ROW as f64 * SPACING_M;
    let refs = (-2..=26)
        .map(|c| town.node(f64::from(c) * SPACING_M, y_m, Tags::new()))
        .collect();
    let id = town.way(
        WayClass::Special,
        refs,
        tags(&[("highway", "motorway"), ("ref", "A 15")]),
        false,
    );
    let motorway = "motorway along row 6 (y = 600 m), replacing the street; shares no node";
    town.feature(motorway, &format!("way/{id}"));
    town.special_ways.push((
        "motorway, were it walkable (joins nothing: it shares no node)".into(),
        id,
    ));

    for (x_m, ways) in CROSSINGS {
        for &(from_m, to_m, description, kv, walkable) in ways {
            // Nodes 40 m either side of the motorway, none on it.
            let ys_m = [500.0, 560.0, 640.0, 700.0].into_iter();
            let points: Vec<Point> = ys_m
                .filter(|y| (from_m..=to_m).contains(y))
                .map(|y| pt(x_m, y))
                .collect();
            town.special(description, &points, tags(kv), walkable);
        }
    }
    let hamlet_track = [pt(0.0, 900.0), pt(-150.0, 900.0), pt(-380.0, 900.0)];
    let track = tags(&[("highway", "track"), ("foot", "yes")]);
    let description = "track with foot=yes (walkable), the hamlet's only link, west from (0, 900)";
    town.special(description, &hamlet_track, track, true);
    town.special(
        "footway shortcut, diagonal through the park block",
        &[pt(1600.0, 1000.0), pt(1700.0, 900.0)],
        tags(&[("highway", "footway")]),
        true,
    );

    let (id, _) = town.ring(
        WayClass::Special,
        &ISLAND.corners(),
        tags(&[("highway", "footway")]),
    );
    town.feature(
        "footway island: a 160 m closed loop joined to nothing, 330 m south of the grid",
        &format!("way/{id}"),
    );
    town.special_ways.push(("footway island loop".into(), id));
}

/// Facilities, each 5–20 m off a street.
fn build_facilities(town: &mut Town) {
    let point_facilities: [(f64, f64, Frontage, &str, KeyValues); 4] = [
        (
            420.0,
            212.0,
            frontage(4, 2, Side::South),
            "childcare: kindergarten node",
            &[
                ("amenity", "kindergarten"),
                ("name", "Kindergarten Sonnenschein"),
            ],
        ),
        (
            1230.0,
            812.0,
            frontage(12, 8, Side::South),
            "school node",
            &[("amenity", "school"), ("name", "Scuola Quindici")],
        ),
        (
            730.0,
            388.0,
            frontage(7, 3, Side::North),
            "pharmacy node",
            &[("amenity", "pharmacy"), ("name", "Farmacia Centrale")],
        ),
        (
            1560.0,
            1010.0,
            frontage(15, 10, Side::South),
            "supermarket node",
            &[("shop", "supermarket"), ("name", "Mercato")],
        ),
    ];
    for (x_m, y_m, side, description, kv) in point_facilities {
        let id = town.node(x_m, y_m, tags(kv));
        let facility = Facility {
            element: format!("node/{id}"),
            at: town.at(id),
        };
        town.feature(description, &facility.element);
        town.reserved.insert(side);
        if kv.contains(&("amenity", "kindergarten")) {
            town.childcare.push(facility);
        } else {
            town.other_facilities.push(facility);
        }
    }

    let areas: [(Rect, Frontage, &str, KeyValues); 2] = [
        (
            rect(1715.0, 905.0, 1745.0, 925.0),
            frontage(17, 9, Side::South),
            "childcare: closed way, point = centroid",
            &[
                ("amenity", "childcare"),
                ("capacity", "40"),
                ("name", "Nido Girasole"),
            ],
        ),
        (
            rect(1620.0, 905.0, 1680.0, 930.0),
            frontage(16, 9, Side::South),
            "park: closed way, point = centroid",
            &[("leisure", "park"), ("name", "Parco Diagonale")],
        ),
    ];
    for (area, side, description, kv) in areas {
        let (id, ring) = town.ring(WayClass::Area, &area.corners(), tags(kv));
        let facility = Facility {
            element: format!("way/{id}"),
            at: area_and_centroid(&ring).1,
        };
        town.feature(description, &facility.element);
        town.reserved.insert(side);
        if kv.contains(&("amenity", "childcare")) {
            town.childcare.push(facility);
        } else {
            town.other_facilities.push(facility);
        }
    }
    // The diagonal footway crosses the park block: no buildings there.
    town.reserved.insert(frontage(16, 9, Side::North));
}

/// Landuse areas: two closed ways, a multipolygon with a hole, and an industrial estate.
fn build_landuse(town: &mut Town) {
    let residential = || tags(&[("landuse", "residential")]);
    for (blocks, description) in [
        (
            RESIDENTIAL_WEST,
            "landuse=residential closed way, south-west",
        ),
        (
            RESIDENTIAL_CENTRE,
            "landuse=residential closed way, north-centre",
        ),
    ] {
        let corners = Rect::of_blocks(blocks, 3.0).corners();
        let (id, _) = town.ring(WayClass::Area, &corners, residential());
        town.feature(description, &format!("way/{id}"));
    }
    let outer = Rect::of_blocks(RESIDENTIAL_NORTH_WEST, 3.0).corners();
    let (outer_id, _) = town.ring(WayClass::Area, &outer, Tags::new());
    let hole = Rect::of_blocks(RESIDENTIAL_HOLE, 3.0).corners();
    let (inner_id, _) = town.ring(WayClass::Area, &hole, Tags::new());
    let id = town.relations.len() as i64 + 1;
    town.relations.push(Relation {
        id,
        members: vec![
            (MemberType::Way, outer_id, "outer"),
            (MemberType::Way, inner_id, "inner"),
        ],
        tags: tags(&[("type", "multipolygon"), ("landuse", "residential")]),
    });
    let description = format!(
        "landuse=residential multipolygon, north-west (outer way/{outer_id}, \
         inner way/{inner_id}: buildings in the hole lie outside any landuse)"
    );
    town.feature(&description, &format!("relation/{id}"));
    let corners = Rect::of_blocks(INDUSTRIAL, 3.0).corners();
    let (id, _) = town.ring(WayClass::Area, &corners, tags(&[("landuse", "industrial")]));
    town.feature(
        "landuse=industrial closed way (its building=yes are not homes)",
        &format!("way/{id}"),
    );
}

/// Walkable ways as a graph: segments between nodes, and each node's neighbours.
struct Network {
    /// `(node index, node index, from, to)`.
    segments: Vec<(usize, usize, Point, Point)>,
    /// Whether each segment lies on an island (a connected part shorter than `ISLAND_MAX_M`).
    on_island: Vec<bool>,
    /// Walking cost per metre of each segment, in flat metres: 2 on steps (the adult climbs
    /// them at half speed), else 1.
    cost_per_m: Vec<f64>,
    neighbours: Vec<Vec<(usize, f64)>>,
}

/// Where a point meets the network.
#[derive(Debug, Clone, Copy)]
struct Snap {
    segment: usize,
    /// Fraction along the segment.
    t: f64,
    distance_m: f64,
    on_island: bool,
}

impl Network {
    /// The walkable ways, with the walkability of way `flipped` inverted.
    fn new(town: &Town, flipped: Option<i64>) -> Self {
        let mut network = Network {
            segments: Vec::new(),
            on_island: Vec::new(),
            cost_per_m: Vec::new(),
            neighbours: vec![Vec::new(); town.nodes.len()],
        };
        for way in &town.ways {
            let walkable = way.walkable != (flipped == Some(way.id));
            if !walkable {
                continue;
            }
            let steps = way.tags.iter().any(|(k, v)| k == "highway" && v == "steps");
            let cost_per_m = if steps { 2.0 } else { 1.0 };
            for pair in way.refs.windows(2) {
                let (a, b) = (pair[0] as usize - 1, pair[1] as usize - 1);
                let (from, to) = (town.at(pair[0]), town.at(pair[1]));
                let cost_m = cost_per_m * from.distance_m(to);
                network.segments.push((a, b, from, to));
                network.cost_per_m.push(cost_per_m);
                network.neighbours[a].push((b, cost_m));
                network.neighbours[b].push((a, cost_m));
            }
        }
        network.mark_islands();
        network
    }

    /// Labels connected parts by flooding from each unlabelled node, sums each part's segment
    /// lengths, and flags the segments of parts shorter than `ISLAND_MAX_M`.
    fn mark_islands(&mut self) {
        let mut part = vec![usize::MAX; self.neighbours.len()];
        let mut parts = 0;
        for start in 0..self.neighbours.len() {
            if part[start] != usize::MAX {
                continue;
            }
            part[start] = parts;
            let mut stack = vec![start];
            while let Some(node) = stack.pop() {
                for &(next, _) in &self.neighbours[node] {
                    if part[next] == usize::MAX {
                        part[next] = parts;
                        stack.push(next);
                    }
                }
            }
            parts += 1;
        }
        let mut length_m = vec![0.0; parts];
        for &(a, _, from, to) in &self.segments {
            length_m[part[a]] += from.distance_m(to);
        }
        self.on_island = self
            .segments
            .iter()
            .map(|&(a, ..)| length_m[part[a]] < ISLAND_MAX_M)
            .collect();
    }

    fn snap_point(&self, snap: Snap) -> Point {
        let (_, _, from, to) = self.segments[snap.segment];
        from.lerp(to, snap.t)
    }

    /// The nearest point off islands when one lies within `SNAP_LIMIT_M`, else the nearest
    /// point of all (on an island, or farther than the limit: unsnapped).
    fn snap(&self, p: Point) -> Snap {
        let nearest = |island_too: bool| {
            let mut best = Snap {
                segment: usize::MAX,
                t: 0.0,
                distance_m: f64::INFINITY,
                on_island: false,
            };
            for (segment, &(_, _, from, to)) in self.segments.iter().enumerate() {
                let on_island = self.on_island[segment];
                if on_island && !island_too {
                    continue;
                }
                let t = project(p, from, to);
                let distance_m = p.distance_m(from.lerp(to, t));
                if distance_m < best.distance_m {
                    best = Snap {
                        segment,
                        t,
                        distance_m,
                        on_island,
                    };
                }
            }
            best
        };
        let connected = nearest(false);
        if connected.distance_m <= SNAP_LIMIT_M {
            connected
        } else {
            nearest(true)
        }
    }

    /// How much farther than the snap the nearest point at least 0.5 m away from it lies.
    fn snap_margin_m(&self, p: Point) -> f64 {
        let snapped = self.snap_point(self.snap(p));
        let second_m = self
            .segments
            .iter()
            .map(|&(_, _, from, to)| from.lerp(to, project(p, from, to)))
            .filter(|q| q.distance_m(snapped) > 0.5)
            .map(|q| q.distance_m(p))
            .fold(f64::INFINITY, f64::min);
        second_m - p.distance_m(snapped)
    }

    /// Network distances from a snapped point to every node (Dijkstra).
    fn distances_m(&self, source: Snap) -> Vec<f64> {
        let mut distances_m = vec![f64::INFINITY; self.neighbours.len()];
        // Non-negative f64s order like their bit patterns, so the heap keys are `to_bits()`.
        let mut heap = BinaryHeap::new();
        let (a, b, from, to) = self.segments[source.segment];
        let length_m = self.cost_per_m[source.segment] * from.distance_m(to);
        for (node, d_m) in [(a, source.t * length_m), (b, (1.0 - source.t) * length_m)] {
            distances_m[node] = distances_m[node].min(d_m);
            heap.push(std::cmp::Reverse((d_m.to_bits(), node)));
        }
        while let Some(std::cmp::Reverse((bits, node))) = heap.pop() {
            let d_m = f64::from_bits(bits);
            if d_m > distances_m[node] {
                continue;
            }
            for &(next, length_m) in &self.neighbours[node] {
                let candidate_m = d_m + length_m;
                if candidate_m < distances_m[next] {
                    distances_m[next] = candidate_m;
                    heap.push(std::cmp::Reverse((candidate_m.to_bits(), next)));
                }
            }
        }
        distances_m
    }

    /// Network distance between two snapped points, given `distances_m` from `source`.
    fn route_m(&self, source: Snap, distances_m: &[f64], target: Snap) -> f64 {
        let (a, b, from, to) = self.segments[target.segment];
        let length_m = self.cost_per_m[target.segment] * from.distance_m(to);
        let via_nodes_m = (distances_m[a] + target.t * length_m)
            .min(distances_m[b] + (1.0 - target.t) * length_m);
        if source.segment == target.segment {
            via_nodes_m.min((source.t - target.t).abs() * length_m)
        } else {
            via_nodes_m
        }
    }
}

/// Whether a building at `outline` keeps clear of every highway segment.
fn keeps_clear(outline: &[Point], highways: &[(Point, Point)]) -> bool {
    outline.windows(2).all(|edge| {
        let steps = (edge[0].distance_m(edge[1]).ceil() as usize).max(1);
        (0..=steps).all(|k| {
            let p = edge[0].lerp(edge[1], k as f64 / steps as f64);
            highways
                .iter()
                .all(|&(a, b)| p.distance_m(a.lerp(b, project(p, a, b))) >= MIN_CLEARANCE_M)
        })
    })
}

/// New nodes around `plot`, closed, with an `entrance=main` node at `entrance` (on the south
/// or north edge) when given; the refs and the entrance as stored.
fn outline(town: &mut Town, plot: Rect, entrance: Option<Point>) -> (Vec<i64>, Option<Point>) {
    let mut refs: Vec<i64> = plot
        .corners()
        .iter()
        .map(|c| town.node(c.x_m, c.y_m, Tags::new()))
        .collect();
    let entrance = entrance.map(|e| {
        let node = town.node(e.x_m, e.y_m, tags(&[("entrance", "main")]));
        // The entrance lies on the south (first) or north (third) edge.
        let after = if e.y_m == plot.min.y_m { 1 } else { 3 };
        refs.insert(after, node);
        town.at(node)
    });
    refs.push(refs[0]);
    (refs, entrance)
}

/// Adds a rectangular building way, with an `entrance=main` node at `entrance` when given;
/// returns its element (`way/ID`).
fn add_building(
    town: &mut Town,
    plot: Rect,
    entrance: Option<Point>,
    building_tags: Tags,
    in_industrial: bool,
) -> String {
    let (refs, entrance) = outline(town, plot, entrance);
    let outer = refs.iter().map(|&n| town.at(n)).collect();
    let id = town.way(WayClass::Building, refs, building_tags.clone(), false);
    town.buildings.push(Building {
        osm_type: "way",
        id,
        tags: building_tags,
        outer,
        inner: None,
        entrance,
        in_industrial,
    });
    format!("way/{id}")
}

/// Special buildings: the bakery, the tall apartments, the courtyard multipolygon, the
/// island house, the remote house and the hamlet.
fn build_special_buildings(town: &mut Town) {
    let side = frontage(6, 1, Side::South);
    let (plot, _) = side.plot(28.0, 14.0, 12.0, 10.0);
    let element = add_building(
        town,
        plot,
        None,
        tags(&[
            ("building", "yes"),
            ("shop", "bakery"),
            ("name", "Panificio"),
        ]),
        false,
    );
    town.feature("building=yes with shop=bakery (not a home)", &element);
    town.reserved.insert(side);

    let side = frontage(9, 8, Side::North);
    let (plot, entrance) = side.plot(28.0, 20.0, 16.0, 10.0);
    let element = add_building(
        town,
        plot,
        Some(entrance),
        tags(&[("building", "apartments"), ("building:levels", "5")]),
        false,
    );
    town.feature(
        "building=apartments, building:levels=5, with an entrance",
        &element,
    );
    town.reserved.insert(side);

    // The courtyard holds the centroid, so the building gets an entrance on its street side.
    let side = frontage(2, 8, Side::South);
    let (plot, entrance) = side.plot(28.0, 20.0, 20.0, 10.0);
    let (refs, entrance) = outline(town, plot, Some(entrance));
    let outer = refs.iter().map(|&n| town.at(n)).collect();
    let outer_id = town.way(WayClass::Building, refs, Tags::new(), false);
    let centre = plot.centre();
    let yard = rect(
        centre.x_m - 4.0,
        centre.y_m - 4.0,
        centre.x_m + 4.0,
        centre.y_m + 4.0,
    );
    let (inner_id, inner) = town.ring(WayClass::Building, &yard.corners(), Tags::new());
    let id = town.relations.len() as i64 + 1;
    let relation_tags = tags(&[("type", "multipolygon"), ("building", "apartments")]);
    town.relations.push(Relation {
        id,
        members: vec![
            (MemberType::Way, outer_id, "outer"),
            (MemberType::Way, inner_id, "inner"),
        ],
        tags: relation_tags.clone(),
    });
    town.buildings.push(Building {
        osm_type: "relation",
        id,
        tags: relation_tags,
        outer,
        inner: Some(inner),
        entrance,
        in_industrial: false,
    });
    let description = format!(
        "building multipolygon (apartments, 20 × 20 m with an 8 × 8 m courtyard; \
         outer way/{outer_id} with an entrance=main node, as the centroid lies in the \
         courtyard; inner way/{inner_id})"
    );
    town.feature(&description, &format!("relation/{id}"));
    town.reserved.insert(side);

    let house = || tags(&[("building", "house")]);
    // 16 m from the loop's south side, 354 m from the grid.
    let (x_m, y_m) = (ISLAND.min.x_m + 15.0, ISLAND.min.y_m + 11.0);
    let element = add_building(
        town,
        rect(x_m, y_m, x_m + 10.0, y_m + 10.0),
        None,
        house(),
        false,
    );
    town.feature(
        "house inside the footway island (snapped onto it: `on_island`, unreachable)",
        &element,
    );
    let element = add_building(
        town,
        rect(2714.0, 994.0, 2726.0, 1006.0),
        None,
        house(),
        false,
    );
    town.feature(
        "house 320 m east of the grid (unsnapped, > 250 m from any walkable way)",
        &element,
    );

    // The hamlet, 300–370 m west of the grid: reachable only along the track.
    let hamlet = [
        (rect(-326.0, 910.0, -314.0, 922.0), "house"),
        (rect(-367.0, 909.0, -353.0, 921.0), "bungalow"),
        (rect(-328.0, 878.0, -312.0, 890.0), "house"),
        (rect(-370.0, 874.0, -352.0, 889.0), "yes"),
    ];
    let mut elements = Vec::new();
    for (plot, building) in hamlet {
        let building_tags = tags(&[("building", building)]);
        elements.push(add_building(town, plot, None, building_tags, false));
    }
    town.feature(
        "hamlet: four buildings along the track, > 250 m from any other walkable way",
        &elements.join("`, `"),
    );
}

/// One generated building on every free block side where a street runs.
fn build_buildings(town: &mut Town, rng: &mut Lcg) {
    let network = Network::new(town, None);
    let router = Router::new(town, &network);
    let highways = town.highway_segments();
    for row in 0..ROWS - 1 {
        for column in 0..COLUMNS - 1 {
            for side in [Side::South, Side::North] {
                let frontage = frontage(column, row, side);
                if !frontage.has_street() || town.reserved.contains(&frontage) {
                    continue;
                }
                let in_industrial = in_blocks(INDUSTRIAL, column, row);
                let building = if in_industrial {
                    "yes"
                } else {
                    rng.pick_building()
                };
                let mut building_tags = tags(&[("building", building)]);
                if rng.below(16) == 0 {
                    let levels = (2 + rng.below(2)).to_string();
                    building_tags.push(("building:levels".into(), levels));
                }
                let with_entrance = rng.below(10) == 0;
                // A few tries for a plot whose snap is unambiguous, whose answer is not borderline,
                // and that keeps off highways.
                for _ in 0..8 {
                    let along_m = if rng.below(2) == 0 { 28.0 } else { 72.0 };
                    let width_m = rng.half_metres(10.0, 20.0);
                    let depth_m = rng.half_metres(10.0, 20.0);
                    let setback_m = rng.half_metres(8.0, 15.0);
                    let (plot, entrance) = frontage.plot(along_m, width_m, depth_m, setback_m);
                    let origin = if with_entrance {
                        entrance
                    } else {
                        plot.centre()
                    };
                    let mut outline = plot.corners().to_vec();
                    outline.push(outline[0]);
                    if network.snap_margin_m(origin) >= MIN_SNAP_MARGIN_M
                        && !router.answer(origin).is_borderline()
                        && keeps_clear(&outline, &highways)
                    {
                        let entrance = with_entrance.then_some(entrance);
                        add_building(town, plot, entrance, building_tags, in_industrial);
                        break;
                    }
                }
            }
        }
    }
}

impl Town {
    fn build() -> Self {
        let mut town = Town::new();
        build_streets(&mut town);
        build_special_ways(&mut town);
        build_facilities(&mut town);
        build_landuse(&mut town);
        build_special_buildings(&mut town);
        build_buildings(&mut town, &mut Lcg(15));
        town
    }

    /// Checks what the construction promises: facilities 5–20 m off a street with an
    /// unambiguous snap; buildings clear of every highway, with an entrance when they have a
    /// hole; exactly one building on an island and one unsnapped.
    fn check(&self) {
        let network = Network::new(self, None);
        for facility in self.childcare.iter().chain(&self.other_facilities) {
            let snap_m = network.snap(facility.at).distance_m;
            assert!(
                (5.0..=20.0).contains(&snap_m),
                "{} snaps {snap_m} m",
                facility.element
            );
            assert!(network.snap_margin_m(facility.at) >= MIN_SNAP_MARGIN_M);
        }
        let highways = self.highway_segments();
        for b in &self.buildings {
            assert!(
                keeps_clear(&b.outer, &highways),
                "{} on a highway",
                b.element()
            );
            assert!(
                b.inner.is_none() || b.entrance.is_some(),
                "{} has a hole but no entrance",
                b.element()
            );
        }
        let snaps: Vec<Snap> = self
            .buildings
            .iter()
            .map(|b| network.snap(b.origin()))
            .collect();
        let on_island = snaps
            .iter()
            .filter(|s| s.on_island && s.distance_m <= SNAP_LIMIT_M)
            .count();
        let unsnapped = snaps.iter().filter(|s| s.distance_m > SNAP_LIMIT_M).count();
        assert_eq!((on_island, unsnapped), (1, 1), "(on an island, unsnapped)");
    }
}

/// A building's expected answer.
#[derive(Debug, Clone, PartialEq)]
struct Answer {
    snap_m: f64,
    /// Whether the snap lands on an island (within `SNAP_LIMIT_M`: no off-island way is).
    on_island: bool,
    /// Minutes and facility index of the nearest childcare, when snapped and reachable.
    childcare: Option<(f64, usize)>,
    /// Minutes to the other childcare facility, when reachable too.
    runner_up_minutes: Option<f64>,
}

impl Answer {
    /// Whether the answer lies within the tolerance of a band (5, 10 or 15 minutes) or of a tie
    /// between facilities.
    fn is_borderline(&self) -> bool {
        let Some((minutes, _)) = self.childcare else {
            return false;
        };
        let tie = self
            .runner_up_minutes
            .is_some_and(|r| r - minutes <= CHANGE_TOLERANCE * r);
        tie || BANDS_MIN
            .iter()
            .any(|&band| (minutes - band).abs() <= CHANGE_TOLERANCE * band)
    }
}

/// Routes from every childcare facility over one network.
struct Router<'a> {
    network: &'a Network,
    /// Each facility's snap and the network distances from it.
    sources: Vec<(Snap, Vec<f64>)>,
}

impl<'a> Router<'a> {
    fn new(town: &Town, network: &'a Network) -> Self {
        let sources = town
            .childcare
            .iter()
            .map(|f| {
                let snap = network.snap(f.at);
                (snap, network.distances_m(snap))
            })
            .collect();
        Router { network, sources }
    }

    fn answer(&self, origin: Point) -> Answer {
        let snap = self.network.snap(origin);
        let mut reachable: Vec<(f64, usize)> = self
            .sources
            .iter()
            .enumerate()
            .map(|(i, (source, distances_m))| {
                let route_m = self.network.route_m(*source, distances_m, snap);
                let total_m = snap.distance_m + route_m + source.distance_m;
                (total_m / WALK_M_PER_MIN, i)
            })
            .filter(|(minutes, _)| minutes.is_finite() && snap.distance_m <= SNAP_LIMIT_M)
            .collect();
        reachable.sort_by(|a, b| a.0.total_cmp(&b.0));
        Answer {
            snap_m: snap.distance_m,
            on_island: snap.on_island && snap.distance_m <= SNAP_LIMIT_M,
            childcare: reachable.first().copied(),
            runner_up_minutes: reachable.get(1).map(|&(minutes, _)| minutes),
        }
    }
}

fn answers(town: &Town, network: &Network) -> Vec<Answer> {
    let router = Router::new(town, network);
    town.buildings
        .iter()
        .map(|b| router.answer(b.origin()))
        .collect()
}

/// Whether two answers differ by more than the pipeline's tolerance, or one is snapped (or on
/// an island) and the other not.
fn differs(a: &Answer, b: &Answer) -> bool {
    let snapped = |answer: &Answer| answer.snap_m <= SNAP_LIMIT_M;
    if snapped(a) != snapped(b) || a.on_island != b.on_island {
        return true;
    }
    match (a.childcare, b.childcare) {
        (Some((x, _)), Some((y, _))) => (x - y).abs() > CHANGE_TOLERANCE * x.max(y),
        (None, None) => false,
        _ => true,
    }
}

fn write_pbf(town: &Town, path: &Path) -> std::io::Result<()> {
    let lons = town.nodes.iter().map(|n| n.lon_e7);
    let lats = town.nodes.iter().map(|n| n.lat_e7);
    let degrees = |e7: Option<i64>| e7.expect("the town has nodes") as f64 / 1e7;
    let mut writer = PbfWriter::with_bbox(
        std::io::BufWriter::new(fs::File::create(path)?),
        degrees(lons.clone().min()),
        degrees(lats.clone().min()),
        degrees(lons.max()),
        degrees(lats.max()),
    )?;
    for node in &town.nodes {
        let (lon, lat) = (node.lon_e7 as f64 / 1e7, node.lat_e7 as f64 / 1e7);
        writer.write_node(node.id, lon, lat, &pairs(&node.tags))?;
    }
    let mut ways: Vec<&Way> = town.ways.iter().collect();
    ways.sort_by_key(|w| w.id);
    for way in ways {
        writer.write_way(way.id, &way.refs, &pairs(&way.tags))?;
    }
    for relation in &town.relations {
        let members: Vec<Member> = relation
            .members
            .iter()
            .map(|&(kind, id, role)| Member { kind, id, role })
            .collect();
        writer.write_relation(relation.id, &members, &pairs(&relation.tags))?;
    }
    writer.finish()?;
    Ok(())
}

fn write_csv(town: &Town, answers: &[Answer], path: &Path) -> std::io::Result<()> {
    let mut csv = String::from(
        "osm_id,osm_type,building,residential,judged,levels,footprint_m2,population,snap_m,\
         on_island,childcare_minutes,nearest_childcare\n",
    );
    let mut rows: Vec<(&Building, &Answer)> = town.buildings.iter().zip(answers).collect();
    rows.sort_by_key(|(b, _)| (b.osm_type == "relation", b.id));
    for (b, answer) in rows {
        let (minutes, nearest) = match answer.childcare {
            Some((minutes, i)) => (format!("{minutes:.3}"), town.childcare[i].element.clone()),
            None => (String::new(), String::new()),
        };
        writeln!(
            csv,
            "{},{},{},{},{},{},{:.2},{:.2},{:.2},{},{minutes},{nearest}",
            b.id,
            b.osm_type,
            b.building(),
            u8::from(b.judged().is_some()),
            b.judged().unwrap_or(""),
            b.levels(),
            b.footprint_m2(),
            b.population(),
            answer.snap_m,
            u8::from(answer.on_island),
        )
        .expect("writing to a String cannot fail");
    }
    fs::write(path, csv)
}

/// Counts for the README's summary table.
fn summary(town: &Town, answers: &[Answer]) -> Vec<(String, usize)> {
    let homes: Vec<bool> = town
        .buildings
        .iter()
        .map(|b| b.judged().is_some())
        .collect();
    let count = |f: &dyn Fn(usize) -> bool| (0..town.buildings.len()).filter(|&i| f(i)).count();
    let minutes = |i: usize| answers[i].childcare.map(|(m, _)| m);
    let mut rows = vec![
        ("buildings".to_owned(), town.buildings.len()),
        ("residential".to_owned(), count(&|i| homes[i])),
        (
            "… judged `tagged`".to_owned(),
            count(&|i| town.buildings[i].judged() == Some("tagged")),
        ),
        (
            "… judged `assumed`".to_owned(),
            count(&|i| town.buildings[i].judged() == Some("assumed")),
        ),
        ("non-residential".to_owned(), count(&|i| !homes[i])),
        (
            "with an entrance node".to_owned(),
            count(&|i| town.buildings[i].entrance.is_some()),
        ),
        (
            "childcare ≤ 15 min (all buildings)".to_owned(),
            count(&|i| minutes(i).is_some_and(|m| m <= THRESHOLD_MIN)),
        ),
        (
            "childcare ≤ 15 min (residential)".to_owned(),
            count(&|i| homes[i] && minutes(i).is_some_and(|m| m <= THRESHOLD_MIN)),
        ),
        (
            "childcare > 15 min (all buildings)".to_owned(),
            count(&|i| minutes(i).is_some_and(|m| m > THRESHOLD_MIN)),
        ),
        (
            "unsnapped (snap_m > 250)".to_owned(),
            count(&|i| answers[i].snap_m > SNAP_LIMIT_M),
        ),
        (
            "snapped but unreachable".to_owned(),
            count(&|i| answers[i].snap_m <= SNAP_LIMIT_M && answers[i].childcare.is_none()),
        ),
        (
            "… on an island (`on_island`)".to_owned(),
            count(&|i| answers[i].on_island),
        ),
        (
            "borderline: within 0.3 % of 5, 10 or 15 min or of a tie".to_owned(),
            count(&|i| answers[i].is_borderline()),
        ),
    ];
    for (value, _) in BUILDING_MIX {
        rows.push((
            format!("building={value}"),
            count(&|i| town.buildings[i].building() == value),
        ));
    }
    rows
}

/// Buildings whose answer changes when each special way's walkability is flipped.
fn sensitivity(town: &Town, baseline: &[Answer]) -> Vec<(String, String, usize)> {
    town.special_ways
        .iter()
        .map(|(description, id)| {
            let flipped = answers(town, &Network::new(town, Some(*id)));
            let changed = baseline
                .iter()
                .zip(&flipped)
                .filter(|(a, b)| differs(a, b))
                .count();
            (description.clone(), format!("way/{id}"), changed)
        })
        .collect()
}

/// The README's fixed prose; `{pbf_bytes}` is filled in.
const README_HEAD: &str = "# Sample town

A synthetic town whose answers are known by construction. Regenerate all three files with

```sh
cargo run --release --example make_sample_town -- data
```

Generated by `examples/make_sample_town.rs` (deterministic: a fixed-seed LCG, no clock, no
randomness); this README is written by the same run.

- `sample-town.osm.pbf`: the extract, written with `fifteen::osm::write::PbfWriter`
  ({pbf_bytes} bytes; nodes, then ways, then relations, each sorted by id).
- `sample-town.expected.csv`: one row per building way or relation, with the answers the
  pipeline must reproduce (within ~0.3 %).

## Layout

Positions are planar metres, x east and y north of 10°E 45°N, converted with
`lat = 45 + y / 111195.08` and `lon = 10 + x / (111195.08 · cos 45°)`. Every node is rounded
to the PBF's 1e-7° grid and converted back *before* any answer is computed, so the expected
answers use exactly the coordinates the file holds.

- A street grid, `highway=residential`, 100 m apart: 25 columns (x = 0…2400 m) by 13 rows
  (y = 0…1200 m). Row ways span 4 or 8 blocks and column ways 5 blocks, so ways cross
  each other at shared interior nodes (a graph must split them there).
- Row 6 (y = 600 m) is a `highway=motorway` on nodes of its own (x = −200…2600 m); the row
  street is gone and column streets stop at rows 5 and 7. Four bridges cross it on nodes
  40 m either side (none on the motorway): walkable footbridges at x = 600 m (steps up from
  the south) and x = 1800 m, and two that are not walkable, a cycle bridge with `foot=no` at
  x = 300 m and a private service bridge at x = 1600 m. So the two halves meet only at
  x = 600 m and x = 1800 m; the two childcare facilities lie one in each half.
- A hamlet of four buildings 300–370 m west of the grid, reached only by a `highway=track`
  with `foot=yes` from the row-9 street's west end; a diagonal footway across the park
  block; a house 320 m east of the grid, farther than 250 m from any walkable way.
- A footway island: a 40 × 40 m loop joined to nothing, 330 m south of the grid
  (x = 1430…1470 m, y = −370…−330 m), with a house inside it, 16 m from the loop and more
  than 250 m from any other walkable way. The loop is a connected part of the network
  shorter than 1,000 m of walkable way, so it is an island: the house snaps onto it
  (`on_island`) and reaches no facility.
- The courtyard building, a multipolygon whose centroid falls in its courtyard (the hole),
  has an `entrance=main` node on its outer ring. The pipeline starts a walk at a building's
  entrance, else at its centroid when that lies inside the footprint, else at an interior
  point; with the entrance, both it and this generator start from the same node.
- A block is the square east of column `c` and north of row `r`, written `(c,r)`. Each side
  of a block that faces a street holds one generated building (10–20 m a side, set back
  8–15 m, centred 28 m or 72 m along the street), unless a facility or special building
  takes it. A plot is kept only when its snap origin's nearest walkable point is at least
  2 m nearer than any other candidate point, its childcare answer is not within 0.3 % of
  5, 10 or 15 minutes (so bands of `--minutes 5,10,15` are unambiguous) or of a tie between
  the two facilities, and its outline stays 5 m clear of every highway.
- Landuse: `landuse=residential` closed ways over blocks (0–7, 0–4) and (8–15, 7–11); a
  `landuse=residential` multipolygon over (0–7, 7–11) with a hole over (3–4, 9–10); a
  `landuse=industrial` closed way over (20–23, 0–1). Area edges run 3 m inside the streets,
  so every building lies wholly inside or wholly outside each area. Blocks elsewhere (the
  east, the motorway band, the hole) and the hamlet lie outside any landuse.

## Features

| feature | element |
| --- | --- |
";

/// The README's column definitions.
const README_COLUMNS: &str = "## Expected answers

`sample-town.expected.csv` columns:

- `osm_id`, `osm_type`: the building way or relation; `building`: its tag.
- `residential` (1/0) and `judged`: `tagged` when `building` is residential, apartments,
  house, detached, semidetached_house, terrace, dormitory or bungalow; `assumed` for
  `building=yes` outside non-residential landuse without amenity, shop, office, craft,
  tourism or leisure tags; empty when not a home.
- `levels`: `building:levels`, else house/detached/semidetached_house/bungalow/yes 1,
  terrace 2, residential/dormitory 3, apartments 4.
- `footprint_m2`: planar area (outer minus inner ring); `population`:
  `footprint_m2 × levels / 30` for homes, 0 otherwise.
- `snap_m`: straight distance from the snap origin (the `entrance=main` node, else the
  building's centre) to its snap point: the nearest point of a walkable way off islands
  when one lies within 250 m, else the nearest point of any walkable way (an island's, or
  farther than 250 m: unsnapped). An island is a connected part of the walkable network
  shorter in total than 1,000 m (the pipeline's fixed island size).
- `on_island` (1/0): the snap point lies on an island (within 250 m).
- `childcare_minutes`: `(snap_m + network distance between the snap points + the
  facility's snap distance) / 75 m/min` (4.5 km/h; a metre of steps counts twice, the adult
  climbs them at half speed), the least over the two childcare
  facilities (the kindergarten node; the childcare way's centroid); empty when unsnapped
  (snap_m > 250) or unreachable. `nearest_childcare`: the facility that gives it.

Walkable here: the residential streets, the footbridges, the steps, the footways (diagonal
and island) and the track with `foot=yes`. Not walkable: the motorway, the private service
bridge and the cycle bridge with `foot=no`.

## Summary

| what | count |
| --- | ---: |
";

fn write_readme(
    town: &Town,
    summary: &[(String, usize)],
    sensitivity: &[(String, String, usize)],
    pbf_bytes: u64,
    path: &Path,
) -> std::io::Result<()> {
    let mut md = README_HEAD.replace("{pbf_bytes}", &pbf_bytes.to_string());
    let mut line = |text: String| {
        md.push_str(&text);
        md.push('\n');
    };
    for (description, element) in &town.features {
        line(format!("| {description} | `{element}` |"));
    }
    line(String::new());
    line(format!(
        "Street ways are `way/{}`…`way/{}`, special ways from `way/{}`, areas from `way/{}`,\n\
         buildings (and the building multipolygon's member ways) from `way/{}`.\n",
        FIRST_WAY_IDS[0],
        town.next_way_ids[WayClass::Street as usize] - 1,
        FIRST_WAY_IDS[1],
        FIRST_WAY_IDS[2],
        FIRST_WAY_IDS[3],
    ));
    line(README_COLUMNS.trim_end().to_owned());
    for (what, count) in summary {
        line(format!("| {what} | {count} |"));
    }
    line(String::new());
    line("## What each special way decides\n".to_owned());
    line(
        "Buildings whose childcare answer changes by more than 0.3 % (or appears or disappears),"
            .to_owned(),
    );
    line(
        "or that become unsnapped or move on or off an island, if the way's walkability were"
            .to_owned(),
    );
    line("flipped: a pipeline that misjudges the way fails on them.\n".to_owned());
    line("| way | element | buildings changed |".to_owned());
    line("| --- | --- | ---: |".to_owned());
    for (description, element, changed) in sensitivity {
        line(format!("| {description} | `{element}` | {changed} |"));
    }
    fs::write(path, md)
}

fn main() -> Result<(), Box<dyn Error>> {
    let dir = std::env::args().nth(1).unwrap_or_else(|| "data".to_owned());
    let dir = Path::new(&dir);
    fs::create_dir_all(dir)?;
    let town = Town::build();
    town.check();
    let answers = answers(&town, &Network::new(&town, None));

    let pbf = dir.join("sample-town.osm.pbf");
    write_pbf(&town, &pbf)?;
    write_csv(&town, &answers, &dir.join("sample-town.expected.csv"))?;
    let summary = summary(&town, &answers);
    let sensitivity = sensitivity(&town, &answers);
    let pbf_bytes = fs::metadata(&pbf)?.len();
    write_readme(
        &town,
        &summary,
        &sensitivity,
        pbf_bytes,
        &dir.join("README.md"),
    )?;

    println!("wrote {} ({pbf_bytes} bytes)", pbf.display());
    for (what, count) in &summary {
        println!("{what:>40}: {count}");
    }
    for (description, element, changed) in &sensitivity {
        println!("{changed:>5} changed by flipping {element} ({description})");
    }
    Ok(())
}

//! The tag rules, in one place: which ways a person may walk (and which only a gated
//! compound's residents may), which buildings house people, which landuse areas are
//! residential blocks or rule residents out, and how much floor area a resident takes in
//! each country.
//!
//! Every rule is a table lookup so the manual (docs/method.md) can quote the tables and the tests can walk them.

use super::tag;

/// `highway` values a person may walk unless foot/access tags forbid it.
pub const WALKABLE_HIGHWAYS: &[&str] = &[
    "footway",
    "path",
    "pedestrian",
    "steps",
    "living_street",
    "residential",
    "service",
    "unclassified",
    "track",
    "road",
    "tertiary",
    "tertiary_link",
    "secondary",
    "secondary_link",
    "primary",
    "primary_link",
    "corridor",
    "bridleway",
    "elevator",
];

/// `highway` values walkable only with an explicit foot permission (`foot=yes|designated|permissive`).
pub const PERMISSION_ONLY_HIGHWAYS: &[&str] = &["trunk", "trunk_link"];

/// `highway` values walkable unless `foot=no` (or another foot prohibition) says otherwise.
/// Listed apart from [`WALKABLE_HIGHWAYS`] because many countries' defaults differ for them.
pub const SHARED_HIGHWAYS: &[&str] = &["cycleway"];

/// `foot` values that allow walking whatever `highway` and `access` say.
pub const FOOT_PERMISSIONS: &[&str] = &["yes", "designated", "permissive"];

/// `foot` or `access` values that forbid walking (unless a foot permission overrides `access`).
pub const PROHIBITIONS: &[&str] = &["no", "private"];

/// Whether a way with these tags belongs in the walking graph.
///
/// `highway=motorway`, `motorway_link`, `construction`, `proposed` and every value not listed
/// above are never walked; `trunk` needs `foot=yes|designated|permissive`.
pub fn is_walkable(tags: &[(String, String)]) -> bool {
    let Some(highway) = tag(tags, "highway") else {
        return false;
    };
    let foot = tag(tags, "foot");
    let foot_allows = foot.is_some_and(|v| FOOT_PERMISSIONS.contains(&v));
    if foot.is_some_and(|v| PROHIBITIONS.contains(&v)) {
        return false;
    }
    if PERMISSION_ONLY_HIGHWAYS.contains(&highway) {
        return foot_allows;
    }
    if !WALKABLE_HIGHWAYS.contains(&highway) && !SHARED_HIGHWAYS.contains(&highway) {
        return false;
    }
    let access_forbids = tag(tags, "access").is_some_and(|v| PROHIBITIONS.contains(&v));
    !access_forbids || foot_allows
}

/// Whether a way is walkable but private (`access=private` or `foot=private`, on a highway
/// [`is_walkable`] would otherwise take): a gated compound's own path, walked only by its
/// residents on their way out (see `crate::osm::compounds`). `foot=no` or `access=no` is
/// nobody's path.
pub fn is_private_walkable(tags: &[(String, String)]) -> bool {
    if is_walkable(tags) {
        return false;
    }
    let Some(highway) = tag(tags, "highway") else {
        return false;
    };
    if !WALKABLE_HIGHWAYS.contains(&highway) && !SHARED_HIGHWAYS.contains(&highway) {
        return false;
    }
    match tag(tags, "foot") {
        Some("private") => true,
        Some("no") => false,
        _ => tag(tags, "access") == Some("private"),
    }
}

/// `barrier` values of a way that enclose a residential compound.
pub const ENCLOSING_BARRIERS: &[&str] = &["wall", "fence"];

/// Whether a way or area is tagged as an enclosing wall or fence.
pub fn is_enclosing_barrier(tags: &[(String, String)]) -> bool {
    tag(tags, "barrier").is_some_and(|v| ENCLOSING_BARRIERS.contains(&v))
}

/// What a `barrier=gate` node lets through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// Anyone may pass.
    Open,
    /// Locked or private: `locked=yes`, or `access=no|private` without a foot permission,
    /// or `foot=no|private`. No way out of a compound.
    Locked,
}

/// The gate a node is, or `None` when it is not tagged `barrier=gate`.
pub fn gate(tags: &[(String, String)]) -> Option<Gate> {
    if tag(tags, "barrier") != Some("gate") {
        return None;
    }
    let foot = tag(tags, "foot");
    let foot_allows = foot.is_some_and(|v| FOOT_PERMISSIONS.contains(&v));
    let locked = tag(tags, "locked") == Some("yes")
        || foot.is_some_and(|v| PROHIBITIONS.contains(&v))
        || (!foot_allows && tag(tags, "access").is_some_and(|v| PROHIBITIONS.contains(&v)));
    Some(if locked { Gate::Locked } else { Gate::Open })
}

/// `building` values that mark a home.
pub const RESIDENTIAL_BUILDINGS: &[&str] = &[
    "residential",
    "apartments",
    "house",
    "detached",
    "semidetached_house",
    "terrace",
    "dormitory",
    "bungalow",
];

/// Keys whose presence on a `building=yes` makes it non-residential (a shop, an office…).
pub const NON_RESIDENTIAL_KEYS: &[&str] = &[
    "amenity",
    "shop",
    "office",
    "craft",
    "tourism",
    "industrial",
    "healthcare",
    "leisure",
    "public_transport",
    "railway",
    "aeroway",
    "power",
    "man_made",
    "military",
    "emergency",
    "government",
];

/// `landuse` values in which a `building=yes` is taken as non-residential.
pub const NON_RESIDENTIAL_LANDUSE: &[&str] = &[
    "industrial",
    "commercial",
    "retail",
    "railway",
    "military",
    "garages",
    "religious",
    "cemetery",
    "education",
    "port",
    "quarry",
    "landfill",
    "farmyard",
    "farmland",
    "meadow",
    "orchard",
    "vineyard",
    "allotments",
    "greenhouse_horticulture",
    "plant_nursery",
    "animal_keeping",
];

/// Smallest footprint of a plain `building=yes` taken as a home, m². Below it the building is
/// a garage, shed, kiosk or substation: a one-car garage is about 15–20 m², a garden shed under
/// 15 m², while the smallest detached dwellings (tiny houses, cottages) start at 25–40 m² and
/// a studio flat's own floor is about 30 m². Buildings tagged as homes are kept at any size.
pub const MIN_ASSUMED_HOME_FOOTPRINT_M2: f64 = 30.0;

/// Gross floor area (footprint × levels, walls, stairs and shafts included) per m² of
/// dwelling floor area as national statistics count it: dwelling floor area is taken as
/// 80 % of gross, the usual share for housing (walls ≈ 10–15 %, stairs, shafts and corridors
/// the rest).
pub const GROSS_PER_DWELLING_FLOOR_AREA: f64 = 1.25;

/// What a country's published floor area per resident counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FloorAreaBasis {
    /// Dwelling (living) floor area inside the flats: converted to gross by
    /// [`GROSS_PER_DWELLING_FLOOR_AREA`].
    Dwelling,
    /// Gross (construction) floor area, as the estimate measures it: taken as is.
    Gross,
}

/// A country's published floor area per resident (source in docs/method.md#residents-and-blocks).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CountryFloorArea {
    /// ISO 3166-1 alpha-2 code.
    pub country: &'static str,
    /// Floor area per resident as published, m².
    pub published_m2: f64,
    /// What the published figure counts.
    pub basis: FloorAreaBasis,
    /// Year of the figure.
    pub year: u16,
}

impl CountryFloorArea {
    /// Gross floor area per resident, m²: what the footprint estimate divides by.
    pub fn gross_m2(&self) -> f64 {
        match self.basis {
            FloorAreaBasis::Dwelling => self.published_m2 * GROSS_PER_DWELLING_FLOOR_AREA,
            FloorAreaBasis::Gross => self.published_m2,
        }
    }
}

/// Floor area per resident by country, from national statistics. A country not listed gets
/// the estimate's default.
pub const COUNTRY_FLOOR_AREA: &[CountryFloorArea] = &[
    // China, 2020 census: urban households' housing construction area per person.
    CountryFloorArea {
        country: "CN",
        published_m2: 36.52,
        basis: FloorAreaBasis::Gross,
        year: 2020,
    },
    // Switzerland, BFS building and dwelling statistics.
    CountryFloorArea {
        country: "CH",
        published_m2: 46.0,
        basis: FloorAreaBasis::Dwelling,
        year: 2018,
    },
    // Finland, Statistics Finland, dwellings and housing conditions.
    CountryFloorArea {
        country: "FI",
        published_m2: 41.3,
        basis: FloorAreaBasis::Dwelling,
        year: 2020,
    },
    // Liechtenstein, Amt für Statistik, census 2015 vol. 5.
    CountryFloorArea {
        country: "LI",
        published_m2: 53.0,
        basis: FloorAreaBasis::Dwelling,
        year: 2015,
    },
];

/// The [`COUNTRY_FLOOR_AREA`] row of an ISO 3166-1 alpha-2 code (any case), if listed.
pub fn country_floor_area(country: &str) -> Option<&'static CountryFloorArea> {
    COUNTRY_FLOOR_AREA
        .iter()
        .find(|c| c.country.eq_ignore_ascii_case(country))
}

/// The ISO 3166-1 alpha-2 code of a country boundary (`admin_level=2`): `ISO3166-1:alpha2`,
/// else `ISO3166-1`; `None` for any other relation or a code that is not two letters.
pub fn country_code(tags: &[(String, String)]) -> Option<String> {
    if tag(tags, "boundary") != Some("administrative") || tag(tags, "admin_level") != Some("2") {
        return None;
    }
    let code = tag(tags, "ISO3166-1:alpha2").or_else(|| tag(tags, "ISO3166-1"))?;
    (code.len() == 2 && code.bytes().all(|b| b.is_ascii_alphabetic()))
        .then(|| code.to_ascii_uppercase())
}

/// How a building came to count as a home.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Judged {
    /// Its `building` tag says so (see [`RESIDENTIAL_BUILDINGS`]).
    Tagged,
    /// `building=yes` with nothing that says otherwise.
    Assumed,
}

/// Whether a building with these tags is a home judged by its own tags alone:
/// `Some(Tagged)`, `Some(Assumed)` for a plain `building=yes` (still subject to the landuse
/// test), or `None` when it is not residential.
pub fn residential_by_tags(tags: &[(String, String)]) -> Option<Judged> {
    let building = tag(tags, "building")?;
    if RESIDENTIAL_BUILDINGS.contains(&building) {
        return Some(Judged::Tagged);
    }
    if building == "yes"
        && !tags
            .iter()
            .any(|(k, _)| NON_RESIDENTIAL_KEYS.contains(&k.as_str()))
    {
        return Some(Judged::Assumed);
    }
    None
}

/// Floors assumed when `building:levels` is missing, per `building` value.
pub fn default_levels(building: &str) -> f64 {
    match building {
        "apartments" => 4.0,
        "residential" | "dormitory" => 3.0,
        "terrace" => 2.0,
        _ => 1.0,
    }
}

/// Floors of a building: `building:levels` when it parses to a number in 1..=200
/// (the first of `2;3`, fractions kept), else [`default_levels`].
pub fn levels(tags: &[(String, String)]) -> f64 {
    let parsed = tag(tags, "building:levels").and_then(|v| {
        v.split([';', ','])
            .next()
            .and_then(|s| s.trim().parse::<f64>().ok())
            .filter(|l| (1.0..=200.0).contains(l))
    });
    parsed.unwrap_or_else(|| default_levels(tag(tags, "building").unwrap_or("yes")))
}

/// What a landuse area means to the residents model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LanduseClass {
    /// `landuse=residential`: a residential block.
    Residential,
    /// One of [`NON_RESIDENTIAL_LANDUSE`]: `building=yes` inside is not a home.
    NonResidential,
}

/// The class of a landuse area, or `None` when it plays no part.
pub fn landuse_class(tags: &[(String, String)]) -> Option<LanduseClass> {
    match tag(tags, "landuse")? {
        "residential" => Some(LanduseClass::Residential),
        v if NON_RESIDENTIAL_LANDUSE.contains(&v) => Some(LanduseClass::NonResidential),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::osm::tags_from as tags;

    #[test]
    fn walkable_table() {
        type Case<'a> = (&'a [(&'a str, &'a str)], bool);
        let cases: &[Case] = &[
            (&[("highway", "footway")], true),
            (&[("highway", "residential")], true),
            (&[("highway", "steps")], true),
            (&[("highway", "primary")], true),
            (&[("highway", "corridor")], true),
            (&[("highway", "cycleway")], true),
            (&[("highway", "cycleway"), ("foot", "no")], false),
            (&[("highway", "motorway")], false),
            (&[("highway", "motorway_link"), ("foot", "yes")], false),
            (&[("highway", "trunk")], false),
            (&[("highway", "trunk"), ("foot", "yes")], true),
            (&[("highway", "trunk_link"), ("foot", "designated")], true),
            (&[("highway", "construction")], false),
            (&[("highway", "proposed")], false),
            (&[("highway", "service"), ("access", "private")], false),
            (&[("highway", "service"), ("access", "no")], false),
            (
                &[
                    ("highway", "service"),
                    ("access", "private"),
                    ("foot", "yes"),
                ],
                true,
            ),
            (
                &[
                    ("highway", "track"),
                    ("access", "no"),
                    ("foot", "permissive"),
                ],
                true,
            ),
            (&[("highway", "footway"), ("foot", "private")], false),
            (&[("highway", "footway"), ("access", "yes")], true),
            (&[("highway", "made_up_value")], false),
            (&[("building", "yes")], false),
        ];
        for (t, want) in cases {
            assert_eq!(is_walkable(&tags(t)), *want, "{t:?}");
        }
    }

    #[test]
    fn private_and_gate_tables() {
        type Case<'a> = (&'a [(&'a str, &'a str)], bool);
        let private: &[Case] = &[
            (&[("highway", "footway"), ("access", "private")], true),
            (&[("highway", "service"), ("foot", "private")], true),
            (&[("highway", "cycleway"), ("access", "private")], true),
            (&[("highway", "footway"), ("access", "no")], false),
            (
                &[
                    ("highway", "footway"),
                    ("access", "private"),
                    ("foot", "no"),
                ],
                false,
            ),
            (
                &[
                    ("highway", "footway"),
                    ("access", "private"),
                    ("foot", "yes"),
                ],
                false, // public: walkable
            ),
            (&[("highway", "footway")], false),
            (&[("highway", "motorway"), ("access", "private")], false),
            (&[("highway", "trunk"), ("access", "private")], false),
        ];
        for (t, want) in private {
            assert_eq!(is_private_walkable(&tags(t)), *want, "{t:?}");
        }
        type GateCase<'a> = (&'a [(&'a str, &'a str)], Option<Gate>);
        let gates: &[GateCase] = &[
            (&[("barrier", "gate")], Some(Gate::Open)),
            (&[("barrier", "gate"), ("access", "yes")], Some(Gate::Open)),
            (
                &[("barrier", "gate"), ("access", "private")],
                Some(Gate::Locked),
            ),
            (&[("barrier", "gate"), ("access", "no")], Some(Gate::Locked)),
            (
                &[("barrier", "gate"), ("locked", "yes")],
                Some(Gate::Locked),
            ),
            (
                &[("barrier", "gate"), ("foot", "private")],
                Some(Gate::Locked),
            ),
            (
                &[("barrier", "gate"), ("access", "private"), ("foot", "yes")],
                Some(Gate::Open),
            ),
            (&[("barrier", "bollard")], None),
            (&[("entrance", "yes")], None),
        ];
        for (t, want) in gates {
            assert_eq!(gate(&tags(t)), *want, "{t:?}");
        }
        assert!(is_enclosing_barrier(&tags(&[("barrier", "wall")])));
        assert!(is_enclosing_barrier(&tags(&[("barrier", "fence")])));
        assert!(!is_enclosing_barrier(&tags(&[("barrier", "hedge")])));
    }

    #[test]
    fn residential_table() {
        use Judged::*;
        type Case<'a> = (&'a [(&'a str, &'a str)], Option<Judged>);
        let cases: &[Case] = &[
            (&[("building", "house")], Some(Tagged)),
            (&[("building", "apartments")], Some(Tagged)),
            (&[("building", "bungalow")], Some(Tagged)),
            (&[("building", "yes")], Some(Assumed)),
            (&[("building", "yes"), ("shop", "bakery")], None),
            (&[("building", "yes"), ("amenity", "school")], None),
            (&[("building", "yes"), ("name", "Villa")], Some(Assumed)),
            (&[("building", "garage")], None),
            (&[("building", "commercial")], None),
            (&[("landuse", "residential")], None),
        ];
        for (t, want) in cases {
            assert_eq!(residential_by_tags(&tags(t)), *want, "{t:?}");
        }
    }

    #[test]
    fn levels_table() {
        assert_eq!(levels(&tags(&[("building", "apartments")])), 4.0);
        assert_eq!(levels(&tags(&[("building", "house")])), 1.0);
        assert_eq!(levels(&tags(&[("building", "terrace")])), 2.0);
        assert_eq!(
            levels(&tags(&[("building", "house"), ("building:levels", "3")])),
            3.0
        );
        assert_eq!(
            levels(&tags(&[("building", "yes"), ("building:levels", "2;3")])),
            2.0
        );
        assert_eq!(
            levels(&tags(&[("building", "yes"), ("building:levels", "abc")])),
            1.0
        );
        assert_eq!(
            levels(&tags(&[
                ("building", "residential"),
                ("building:levels", "0")
            ])),
            3.0
        );
    }

    #[test]
    fn landuse_table() {
        assert_eq!(
            landuse_class(&tags(&[("landuse", "residential")])),
            Some(LanduseClass::Residential)
        );
        assert_eq!(
            landuse_class(&tags(&[("landuse", "industrial")])),
            Some(LanduseClass::NonResidential)
        );
        assert_eq!(
            landuse_class(&tags(&[("landuse", "allotments")])),
            Some(LanduseClass::NonResidential)
        );
        assert_eq!(
            landuse_class(&tags(&[("landuse", "meadow")])),
            Some(LanduseClass::NonResidential)
        );
        // Houses stand in forest clearings mapped without holes (rural Finland): not ruled out.
        assert_eq!(landuse_class(&tags(&[("landuse", "forest")])), None);
    }

    #[test]
    fn country_tables() {
        let li = country_floor_area("li").expect("listed");
        assert!((li.gross_m2() - 66.25).abs() < 1e-9);
        assert_eq!(country_floor_area("CN").map(|c| c.gross_m2()), Some(36.52));
        assert_eq!(country_floor_area("AD"), None);
        let boundary = |extra: &[(&'static str, &'static str)]| {
            let mut t = vec![("boundary", "administrative"), ("admin_level", "2")];
            t.extend_from_slice(extra);
            tags(&t)
        };
        assert_eq!(
            country_code(&boundary(&[("ISO3166-1:alpha2", "LI")])),
            Some("LI".to_string())
        );
        assert_eq!(
            country_code(&boundary(&[("ISO3166-1", "ad")])),
            Some("AD".to_string())
        );
        assert_eq!(country_code(&boundary(&[("ISO3166-1", "AND")])), None);
        assert_eq!(country_code(&boundary(&[])), None);
        assert_eq!(
            country_code(&tags(&[
                ("boundary", "administrative"),
                ("admin_level", "4"),
                ("ISO3166-1", "LI")
            ])),
            None
        );
    }
}

//! The tag rules, in one place: which ways a person may walk (and which only a gated
//! compound's residents may), which buildings house people, which landuse areas are
//! residential blocks or rule residents out, and how much floor area a resident takes in
//! each country.
//!
//! Every rule is a table lookup so the manual (docs/method.md) can quote the tables and the tests can walk them.

use super::tag;

/// `highway` values a person may walk in every country unless foot/access tags forbid it
/// (wiki: OSM tags for routing/Access restrictions, every row; Tag:highway=platform).
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
    "elevator",
    "platform",
];

/// `highway` values walked in every country unless a foot or access tag forbids it, although
/// the wiki's worldwide row gives them `foot=no`: a deliberate difference (docs/method.md,
/// "Walking network").
pub const SHARED_HIGHWAYS: &[&str] = &["cycleway"];

/// `highway` values whose foot default differs by country: see [`FootDefaults`].
pub const COUNTRY_HIGHWAYS: &[&str] = &["trunk", "trunk_link", "bridleway"];

/// `highway` values walked only with an explicit foot permission (`foot=yes|designated|permissive`):
/// no country's default lets pedestrians on a motorway.
pub const PERMISSION_ONLY_HIGHWAYS: &[&str] = &["motorway", "motorway_link"];

/// `foot` values that allow walking whatever `highway`, `motorroad` and `access` say (Key:foot).
pub const FOOT_PERMISSIONS: &[&str] = &["yes", "designated", "permissive"];

/// `foot` or `access` values that forbid walking: nobody (`no`), the owner (`private`), or
/// only the users named (Key:access: `agricultural`, `forestry`, `delivery`). A foot
/// permission overrides them on `access`.
pub const PROHIBITIONS: &[&str] = &["no", "private", "agricultural", "forestry", "delivery"];

/// `foot` values that forbid walking this way only: `use_sidepath`, a parallel path mapped on
/// its own must be used (Key:foot).
pub const FOOT_ONLY_PROHIBITIONS: &[&str] = &["use_sidepath"];

/// `sidewalk` values (also on `sidewalk:both|left|right=yes`) saying the road's own way
/// carries a sidewalk (Key:sidewalk); `separate` and `no` do not.
pub const SIDEWALK_PRESENT: &[&str] = &["yes", "both", "left", "right"];

/// A country's default foot access on the [`COUNTRY_HIGHWAYS`], from its row of the wiki's
/// default access-restrictions table (OSM tags for routing/Access restrictions; which
/// revision and transcription each row was checked against: docs/method.md, "By country").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FootDefaults {
    /// ISO 3166-1 alpha-2 code, or `"worldwide"` for the wiki's default row.
    pub country: &'static str,
    /// Pedestrians may walk `highway=trunk|trunk_link` by default.
    pub trunk: bool,
    /// Pedestrians may walk `highway=bridleway` by default.
    pub bridleway: bool,
}

/// The wiki's "Worldwide" row: trunk roads open to pedestrians, bridleways not. Countries
/// without a row of their own (LI, AD) get it.
pub const WORLDWIDE_FOOT: FootDefaults = FootDefaults {
    country: "worldwide",
    trunk: true,
    bridleway: false,
};

/// The countries with a row of their own on the wiki that the graph applies by name. A row
/// may repeat the worldwide values (CN, FI: their wiki rows differ from the worldwide one only
/// on cycleways, which are walked everywhere), so `summary.json` names the country's row.
/// China's urban trunk roads carry pedestrians beside them and its expressways are tagged
/// `motorroad=yes` (never walked).
pub const COUNTRY_FOOT_DEFAULTS: &[FootDefaults] = &[
    // Wiki (2024 transcription): trunk yes, bridleway no, cycleway no: the worldwide row.
    FootDefaults {
        country: "CN",
        trunk: true,
        bridleway: false,
    },
    // Wiki (2024 transcription): trunk yes, bridleway no, cycleway yes.
    FootDefaults {
        country: "FI",
        trunk: true,
        bridleway: false,
    },
    // Wiki (2024 transcription): trunk yes, bridleway yes, cycleway yes.
    FootDefaults {
        country: "US",
        trunk: true,
        bridleway: true,
    },
    // Wiki (2024 transcription): trunk yes, bridleway yes, cycleway no (and motorway yes,
    // not followed: motorways need a foot permission everywhere).
    FootDefaults {
        country: "BR",
        trunk: true,
        bridleway: true,
    },
    // Germany: a trunk road is taken as a Kraftfahrstraße, closed to pedestrians. A
    // deliberate difference: the 2024 transcription of the wiki's German row opens trunk
    // roads (its early revision 164643 closed them); see docs/method.md, "By country".
    FootDefaults {
        country: "DE",
        trunk: false,
        bridleway: false,
    },
];

/// What the reader keeps: every way some country's row walks, so the rules of the country,
/// known only once the extract is read, can be applied when building the graph.
pub const ANY_COUNTRY_FOOT: FootDefaults = FootDefaults {
    country: "any",
    trunk: true,
    bridleway: true,
};

/// The foot defaults of a country (ISO 3166-1 alpha-2, any case): its row of
/// [`COUNTRY_FOOT_DEFAULTS`], else [`WORLDWIDE_FOOT`] (also for an unknown country).
pub fn foot_defaults(country: Option<&str>) -> &'static FootDefaults {
    country
        .and_then(|c| {
            COUNTRY_FOOT_DEFAULTS
                .iter()
                .find(|row| row.country.eq_ignore_ascii_case(c))
        })
        .unwrap_or(&WORLDWIDE_FOOT)
}

impl FootDefaults {
    /// Whether pedestrians may walk `highway` when no tag says otherwise; `None` for a value
    /// that is no road or path.
    pub fn allows(&self, highway: &str) -> Option<bool> {
        match highway {
            "trunk" | "trunk_link" => Some(self.trunk),
            "bridleway" => Some(self.bridleway),
            h if WALKABLE_HIGHWAYS.contains(&h) || SHARED_HIGHWAYS.contains(&h) => Some(true),
            h if PERMISSION_ONLY_HIGHWAYS.contains(&h) => Some(false),
            _ => None,
        }
    }
}

/// Whether the way's own carriageway carries a sidewalk (see [`SIDEWALK_PRESENT`]).
pub fn has_sidewalk(tags: &[(String, String)]) -> bool {
    tag(tags, "sidewalk").is_some_and(|v| SIDEWALK_PRESENT.contains(&v))
        || ["sidewalk:both", "sidewalk:left", "sidewalk:right"]
            .iter()
            .any(|k| tag(tags, k) == Some("yes"))
}

/// Whether a way with these tags belongs in the walking graph under a country's `defaults`.
///
/// In order: a `foot` prohibition ([`PROHIBITIONS`], [`FOOT_ONLY_PROHIBITIONS`]) closes it; a
/// foot permission opens any road or path, a motorway too; an `access` prohibition or
/// `motorroad=yes` closes it; else the country's default, where a trunk road that carries
/// its own sidewalk is walked even if the country closes trunk roads. `construction`,
/// `proposed` and every value not listed are never walked.
pub fn is_walkable(tags: &[(String, String)], defaults: &FootDefaults) -> bool {
    let Some(default) = tag(tags, "highway").and_then(|h| defaults.allows(h)) else {
        return false;
    };
    let foot = tag(tags, "foot");
    if foot.is_some_and(|v| PROHIBITIONS.contains(&v) || FOOT_ONLY_PROHIBITIONS.contains(&v)) {
        return false;
    }
    if foot.is_some_and(|v| FOOT_PERMISSIONS.contains(&v)) {
        return true;
    }
    if tag(tags, "access").is_some_and(|v| PROHIBITIONS.contains(&v))
        || tag(tags, "motorroad") == Some("yes")
    {
        return false;
    }
    let trunk = matches!(tag(tags, "highway"), Some("trunk" | "trunk_link"));
    default || (trunk && has_sidewalk(tags))
}

/// Whether the reader keeps a way for the walking graph: [`is_walkable`] under
/// [`ANY_COUNTRY_FOOT`].
pub fn is_walk_candidate(tags: &[(String, String)]) -> bool {
    is_walkable(tags, &ANY_COUNTRY_FOOT)
}

/// Whether a way is walkable but private (`access=private` or `foot=private`, on a highway
/// walked in every country): a gated compound's own path, walked only by its residents on
/// their way out (see `crate::osm::compounds`). `foot=no` or `access=no` is nobody's path.
pub fn is_private_walkable(tags: &[(String, String)]) -> bool {
    if is_walk_candidate(tags) {
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
        Some(v) if PROHIBITIONS.contains(&v) || FOOT_ONLY_PROHIBITIONS.contains(&v) => false,
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
    /// Locked or private: `locked=yes`, or an `access` value of [`PROHIBITIONS`] without a
    /// foot permission, or a `foot` value of them. No way out of a compound.
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

    type Case<'a> = (&'a [(&'a str, &'a str)], bool);

    /// Rules that hold in every country, one row per tag combination.
    const EVERYWHERE: &[Case] = &[
        (&[("highway", "footway")], true),
        (&[("highway", "residential")], true),
        (&[("highway", "steps")], true),
        (&[("highway", "primary")], true),
        (&[("highway", "corridor")], true),
        (&[("highway", "platform")], true),
        (&[("highway", "cycleway")], true),
        (&[("highway", "cycleway"), ("foot", "no")], false),
        (&[("highway", "motorway")], false),
        (&[("highway", "motorway"), ("foot", "yes")], true),
        (
            &[("highway", "motorway_link"), ("foot", "designated")],
            true,
        ),
        (&[("highway", "motorway"), ("sidewalk", "both")], false),
        (&[("highway", "trunk"), ("foot", "yes")], true),
        (&[("highway", "trunk_link"), ("foot", "designated")], true),
        (&[("highway", "trunk"), ("motorroad", "yes")], false),
        (&[("highway", "primary"), ("motorroad", "yes")], false),
        (
            &[
                ("highway", "trunk"),
                ("motorroad", "yes"),
                ("sidewalk", "both"),
            ],
            false,
        ),
        (
            &[("highway", "trunk"), ("motorroad", "yes"), ("foot", "yes")],
            true,
        ),
        (
            &[("highway", "trunk"), ("foot", "no"), ("sidewalk", "both")],
            false,
        ),
        (&[("highway", "construction")], false),
        (&[("highway", "proposed")], false),
        (&[("highway", "service"), ("access", "private")], false),
        (&[("highway", "service"), ("access", "no")], false),
        (&[("highway", "track"), ("access", "agricultural")], false),
        (&[("highway", "track"), ("access", "forestry")], false),
        (&[("highway", "service"), ("access", "delivery")], false),
        (&[("highway", "track"), ("foot", "agricultural")], false),
        (&[("highway", "track"), ("foot", "forestry")], false),
        (&[("highway", "service"), ("foot", "delivery")], false),
        (
            &[
                ("highway", "track"),
                ("access", "forestry"),
                ("foot", "yes"),
            ],
            true,
        ),
        (&[("highway", "service"), ("access", "destination")], true),
        (&[("highway", "secondary"), ("foot", "use_sidepath")], false),
        (&[("highway", "cycleway"), ("foot", "use_sidepath")], false),
        (
            &[("highway", "residential"), ("sidewalk", "separate")],
            true,
        ),
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
        (&[("highway", "made_up_value"), ("foot", "yes")], false),
        (&[("building", "yes")], false),
    ];

    type CountryCase<'a> = (&'a [(&'a str, &'a str)], bool, bool, bool, bool);

    /// Rules that follow the country's row: (tags, worldwide, CN, US, DE).
    const BY_COUNTRY: &[CountryCase] = &[
        (&[("highway", "trunk")], true, true, true, false),
        (&[("highway", "trunk_link")], true, true, true, false),
        (
            &[("highway", "trunk"), ("sidewalk", "both")],
            true,
            true,
            true,
            true,
        ),
        (
            &[("highway", "trunk"), ("sidewalk:right", "yes")],
            true,
            true,
            true,
            true,
        ),
        (
            &[("highway", "trunk"), ("sidewalk", "separate")],
            true,
            true,
            true,
            false,
        ),
        (
            &[("highway", "trunk"), ("sidewalk", "no")],
            true,
            true,
            true,
            false,
        ),
        (&[("highway", "bridleway")], false, false, true, false),
        (
            &[("highway", "bridleway"), ("foot", "yes")],
            true,
            true,
            true,
            true,
        ),
        (
            &[("highway", "bridleway"), ("foot", "no")],
            false,
            false,
            false,
            false,
        ),
    ];

    #[test]
    fn walkable_table() {
        for row in [&WORLDWIDE_FOOT, &ANY_COUNTRY_FOOT]
            .into_iter()
            .chain(COUNTRY_FOOT_DEFAULTS)
        {
            for (t, want) in EVERYWHERE {
                assert_eq!(is_walkable(&tags(t), row), *want, "{t:?} in {row:?}");
            }
        }
        for (t, worldwide, cn, us, de) in BY_COUNTRY {
            let t = tags(t);
            assert_eq!(is_walkable(&t, foot_defaults(None)), *worldwide, "{t:?}");
            assert_eq!(
                is_walkable(&t, foot_defaults(Some("LI"))),
                *worldwide,
                "{t:?}"
            );
            assert_eq!(is_walkable(&t, foot_defaults(Some("cn"))), *cn, "{t:?}");
            assert_eq!(is_walkable(&t, foot_defaults(Some("US"))), *us, "{t:?}");
            assert_eq!(is_walkable(&t, foot_defaults(Some("DE"))), *de, "{t:?}");
            // the reader keeps every way some row walks, and only those
            let some_row = std::iter::once(&WORLDWIDE_FOOT)
                .chain(COUNTRY_FOOT_DEFAULTS)
                .any(|row| is_walkable(&t, row));
            assert_eq!(is_walk_candidate(&t), some_row, "{t:?}");
        }
    }

    /// Every `highway` value a foot default covers.
    fn all_highways() -> impl Iterator<Item = &'static str> {
        WALKABLE_HIGHWAYS
            .iter()
            .chain(SHARED_HIGHWAYS)
            .chain(COUNTRY_HIGHWAYS)
            .chain(PERMISSION_ONLY_HIGHWAYS)
            .copied()
    }

    /// The wiki's country rows (OSM tags for routing/Access restrictions, as transcribed in
    /// 2024: docs/method.md, "By country") where they differ from its worldwide row, and
    /// where the code's row differs from the code's worldwide row: (country, highway, the
    /// wiki's foot value is yes, the code walks it untagged). Wiki and code differ only where
    /// docs/method.md says why (BR motorway, DE trunk). Every other highway value walks in
    /// every listed country as in the worldwide row.
    const COUNTRY_DIFFERENCES: &[(&str, &str, bool, bool)] = &[
        // CN: the wiki's row is the worldwide one for pedestrians.
        ("FI", "cycleway", true, true),
        ("US", "bridleway", true, true),
        ("US", "cycleway", true, true),
        ("BR", "bridleway", true, true),
        // deliberate: motorways need a foot permission in every country
        ("BR", "motorway", true, false),
        // deliberate: a German trunk road is taken as a Kraftfahrstraße
        ("DE", "trunk", true, false),
        ("DE", "trunk_link", true, false),
    ];

    #[test]
    fn foot_defaults_table() {
        assert_eq!(foot_defaults(Some("AD")), &WORLDWIDE_FOOT);
        assert_eq!(foot_defaults(Some("LI")), &WORLDWIDE_FOOT);
        assert_eq!(foot_defaults(Some("fi")).country, "FI");
        assert_eq!(foot_defaults(Some("cn")).country, "CN");
        // the wiki's worldwide row, as the code reads it (cycleway: a deliberate difference)
        for (highway, wiki) in [
            ("motorway", false),
            ("trunk", true),
            ("primary", true),
            ("path", true),
            ("bridleway", false),
            ("footway", true),
            ("pedestrian", true),
            ("steps", true),
        ] {
            assert_eq!(WORLDWIDE_FOOT.allows(highway), Some(wiki), "{highway}");
        }
        let deliberate = [("BR", "motorway"), ("DE", "trunk"), ("DE", "trunk_link")];
        for (country, highway, wiki, code) in COUNTRY_DIFFERENCES {
            let row = foot_defaults(Some(country));
            assert_eq!(row.country, *country);
            assert_eq!(row.allows(highway), Some(*code), "{country} {highway}");
            assert_eq!(
                is_walkable(&tags(&[("highway", highway)]), row),
                *code,
                "{country} {highway}"
            );
            assert_eq!(
                wiki == code,
                !deliberate.contains(&(*country, *highway)),
                "{country} {highway}: wiki and code differ without a reason in docs/method.md"
            );
        }
        for row in COUNTRY_FOOT_DEFAULTS {
            for highway in all_highways() {
                let listed = COUNTRY_DIFFERENCES
                    .iter()
                    .any(|(c, h, ..)| *c == row.country && *h == highway);
                if !listed {
                    assert_eq!(
                        row.allows(highway),
                        WORLDWIDE_FOOT.allows(highway),
                        "{} {highway} differs from the worldwide row but is not listed",
                        row.country
                    );
                }
            }
            // the reader keeps every way some country walks
            for (t, ..) in BY_COUNTRY {
                let t = tags(t);
                assert!(
                    !is_walkable(&t, row) || is_walk_candidate(&t),
                    "{t:?} {row:?}"
                );
            }
        }
    }

    #[test]
    fn private_and_gate_tables() {
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
            (&[("highway", "track"), ("access", "forestry")], false),
            (
                &[
                    ("highway", "service"),
                    ("access", "private"),
                    ("foot", "use_sidepath"),
                ],
                false,
            ),
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

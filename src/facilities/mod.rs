//! Facilities: the tag table of preset categories, and the planner's own register files.

pub mod categories;
pub mod crs;
pub mod osm;
pub mod register;

/// Where a facility came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FacilitySource {
    /// An OpenStreetMap node, way or relation.
    Osm,
    /// A row of the planner's register file.
    File,
}

/// One facility, as a WGS84 point, before snapping.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Facility {
    /// Stable identifier: `node/123`, `way/45`, `relation/6` for OSM, the register's `id`
    /// column (or `row/N`, 1-based data row, when it has none) for a file.
    pub id: String,
    /// Human-readable name, when known.
    pub name: Option<String>,
    /// Category name (`childcare`, `school`, … or the register's label).
    pub category: String,
    /// Longitude in degrees, WGS84.
    pub lon: f64,
    /// Latitude in degrees, WGS84.
    pub lat: f64,
    /// Origin of the record.
    pub source: FacilitySource,
    /// Places (e.g. childcare slots), when the source states them.
    pub capacity: Option<u32>,
    /// Whether it is in the affordable (public-interest, subsidised) tier, when known.
    pub affordable: Option<bool>,
    /// What kind of facility it is, as its source words it: the register's `type` value, or
    /// OSM's `amenity` (`kindergarten`, `childcare`, …); `None` when the source is silent.
    pub kind: Option<String>,
    /// Whether it offers toddler classes (children under 3), when known: the register's
    /// `toddler_classes` column, or OSM's `min_age` below 3 (see [`osm::toddler_proxy`]).
    pub toddler_classes: Option<bool>,
}

/// Words that make a facility's `kind` name a kindergarten, found anywhere in it (in lower
/// case, with spaces and hyphens read as `_`): `公办幼儿园` and `Kindergarten (public)` are
/// kindergartens.
pub const KINDERGARTEN_WORDS: &[&str] = &["kindergarten", "幼儿园"];
/// Words that make a `kind` name a district-level childcare guidance centre, found the same
/// way (`区托育服务指导中心`, `Childcare guidance centre`).
pub const GUIDANCE_CENTRE_WORDS: &[&str] = &["guidance_centre", "guidance_center", "指导中心"];

/// The `kind` of the sites `site` adds for its `after/` run: known not to be a kindergarten
/// or a guidance centre, so that the sites leave those two targets as decided as before.
pub const PROPOSED_SITE_KIND: &str = "proposed site";

/// Whether `kind` holds one of `words`, in lower case with spaces and hyphens read as `_`.
fn kind_names(kind: &str, words: &[&str]) -> bool {
    let normal: String = kind
        .trim()
        .chars()
        .map(|c| match c {
            ' ' | '-' => '_',
            c => c.to_ascii_lowercase(),
        })
        .collect();
    words.iter().any(|w| normal.contains(w))
}

impl Facility {
    /// A facility of `category` at `lon`, `lat` whose register row states nothing else (no
    /// name, capacity, affordability, type or toddler classes).
    pub fn at(id: String, category: String, lon: f64, lat: f64) -> Facility {
        Facility {
            id,
            name: None,
            category,
            lon,
            lat,
            source: FacilitySource::File,
            capacity: None,
            affordable: None,
            kind: None,
            toddler_classes: None,
        }
    }

    /// Whether its `kind` names a kindergarten (see [`KINDERGARTEN_WORDS`]).
    pub fn is_kindergarten(&self) -> bool {
        self.kind
            .as_deref()
            .is_some_and(|k| kind_names(k, KINDERGARTEN_WORDS))
    }

    /// Whether it is a guidance centre (see [`GUIDANCE_CENTRE_WORDS`]): known only from a
    /// register's `type` (OSM has no tag for one), so `None` for OSM facilities and register
    /// rows without a type. A kindergarten that hosts the centre says both
    /// (`kindergarten; guidance centre`).
    pub fn is_guidance_centre(&self) -> Option<bool> {
        match (self.source, self.kind.as_deref()) {
            (FacilitySource::File, Some(kind)) => Some(kind_names(kind, GUIDANCE_CENTRE_WORDS)),
            _ => None,
        }
    }

    /// Whether its type comes from a register row (not OSM, not a site `site` proposed).
    pub fn has_register_type(&self) -> bool {
        self.source == FacilitySource::File
            && self
                .kind
                .as_deref()
                .is_some_and(|k| k != PROPOSED_SITE_KIND)
    }
}

/// A childcare facility at 0° 0° with only its source and kind stated, for tests.
#[cfg(test)]
pub(crate) fn facility_of_kind(source: FacilitySource, kind: Option<&str>) -> Facility {
    Facility {
        id: kind.unwrap_or("f").into(),
        name: None,
        category: "childcare".into(),
        lon: 0.0,
        lat: 0.0,
        source,
        capacity: None,
        affordable: None,
        kind: kind.map(str::to_string),
        toddler_classes: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facility(source: FacilitySource, kind: Option<&str>) -> Facility {
        facility_of_kind(source, kind)
    }

    #[test]
    fn kinds_are_found_as_words_in_any_case() {
        let file = FacilitySource::File;
        for kind in ["kindergarten", " Kindergarten (public) ", "公办幼儿园"] {
            assert!(facility(file, Some(kind)).is_kindergarten(), "{kind}");
        }
        for kind in [
            "Guidance Centre",
            "childcare guidance-center",
            "区托育服务指导中心",
        ] {
            assert_eq!(
                facility(file, Some(kind)).is_guidance_centre(),
                Some(true),
                "{kind}"
            );
            assert!(!facility(file, Some(kind)).is_kindergarten(), "{kind}");
        }
        for kind in ["childcare", "nursery", "kinder garten", "公办", ""] {
            assert!(!facility(file, Some(kind)).is_kindergarten(), "{kind}");
            assert_eq!(
                facility(file, Some(kind)).is_guidance_centre(),
                Some(false),
                "{kind}"
            );
        }
        let both = facility(file, Some("Kindergarten; guidance centre"));
        assert!(both.is_kindergarten());
        assert_eq!(both.is_guidance_centre(), Some(true));
    }

    #[test]
    fn guidance_centres_are_known_from_a_register_type_only() {
        let file = FacilitySource::File;
        assert_eq!(
            facility(file, Some("guidance_centre")).is_guidance_centre(),
            Some(true)
        );
        assert_eq!(
            facility(file, Some("nursery")).is_guidance_centre(),
            Some(false)
        );
        assert_eq!(facility(file, None).is_guidance_centre(), None);
        let osm = facility(FacilitySource::Osm, Some("kindergarten"));
        assert_eq!(osm.is_guidance_centre(), None);
        assert!(osm.is_kindergarten());
    }
}

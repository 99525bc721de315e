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
#[derive(Debug, Clone, PartialEq)]
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

/// The kinds of facility the plan's targets count, recognised in a facility's `kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    /// A kindergarten: the toddler-class share counts these.
    Kindergarten,
    /// A district-level childcare guidance centre: every district should have one.
    GuidanceCentre,
}

/// `kind` values (compared in lower case, with spaces and hyphens read as `_`) naming a
/// kindergarten.
pub const KINDERGARTEN_KINDS: &[&str] = &["kindergarten", "幼儿园"];
/// `kind` values (compared the same way) naming a district-level guidance centre.
pub const GUIDANCE_CENTRE_KINDS: &[&str] = &[
    "guidance_centre",
    "guidance_center",
    "childcare_guidance_centre",
    "childcare_guidance_center",
    "托育指导中心",
];

impl TargetKind {
    /// The target kind a `kind` value names, if any.
    pub fn of(kind: &str) -> Option<TargetKind> {
        let normal: String = kind
            .trim()
            .chars()
            .map(|c| match c {
                ' ' | '-' => '_',
                c => c.to_ascii_lowercase(),
            })
            .collect();
        if KINDERGARTEN_KINDS.contains(&normal.as_str()) {
            Some(TargetKind::Kindergarten)
        } else if GUIDANCE_CENTRE_KINDS.contains(&normal.as_str()) {
            Some(TargetKind::GuidanceCentre)
        } else {
            None
        }
    }
}

impl Facility {
    /// Whether its `kind` names a kindergarten.
    pub fn is_kindergarten(&self) -> bool {
        self.kind.as_deref().and_then(TargetKind::of) == Some(TargetKind::Kindergarten)
    }

    /// Whether it is a guidance centre: known only from a register's `type` (OSM has no tag
    /// for one), so `None` for OSM facilities and register rows without a type.
    pub fn is_guidance_centre(&self) -> Option<bool> {
        match (self.source, self.kind.as_deref()) {
            (FacilitySource::File, Some(kind)) => {
                Some(TargetKind::of(kind) == Some(TargetKind::GuidanceCentre))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facility(source: FacilitySource, kind: Option<&str>) -> Facility {
        Facility {
            id: "f".into(),
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

    #[test]
    fn target_kinds_ignore_case_spaces_and_hyphens() {
        for kind in ["kindergarten", " Kindergarten ", "幼儿园"] {
            assert_eq!(
                TargetKind::of(kind),
                Some(TargetKind::Kindergarten),
                "{kind}"
            );
        }
        for kind in ["Guidance Centre", "guidance-center", "托育指导中心"] {
            assert_eq!(
                TargetKind::of(kind),
                Some(TargetKind::GuidanceCentre),
                "{kind}"
            );
        }
        for kind in ["childcare", "nursery", "kinder garten", ""] {
            assert_eq!(TargetKind::of(kind), None, "{kind}");
        }
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

//! Which facilities a run asks about: the planner's register (read first, so that a bad
//! one fails before the extract is read) or the extract's, per category; and the checks on
//! them that would otherwise make a run report nonsense.

use std::collections::BTreeSet;

use crate::config::{CoverageConfig, FacilityInput};
use crate::error::{Error, Result};
use crate::facilities::Facility;
use crate::facilities::crs::{FacilityCrs, outside_china};
use crate::facilities::osm::facilities_from_osm;
use crate::facilities::register::read_register;
use crate::osm::read::OsmExtract;
use crate::pipeline::Stages;

/// Reads the planner's register, when facilities come from one, converting Chinese map
/// coordinates to WGS84: stage `register`. It runs before the extract is read, so that a bad
/// register fails at once.
///
/// # Errors
/// As [`read_register`].
pub fn read_register_stage(
    config: &CoverageConfig,
    stages: &mut Stages,
    log: &dyn Fn(&str),
) -> Result<Option<Vec<Facility>>> {
    let FacilityInput::Register {
        path,
        default_category,
        ..
    } = &config.facilities
    else {
        return Ok(None);
    };
    stages.run("register", log, || {
        let mut rows = read_register(path, default_category)?;
        if config.facility_crs != FacilityCrs::Wgs84 {
            let outside = rows.iter().filter(|f| outside_china(f.lon, f.lat)).count();
            if outside > 0 {
                log(&format!(
                    "warning: {outside} of {} register points lie outside China, where \
                     map providers use WGS84 and no {:?} offset applies: kept as given",
                    rows.len(),
                    config.facility_crs
                ));
            }
            for f in rows.iter_mut().filter(|f| !outside_china(f.lon, f.lat)) {
                (f.lon, f.lat) = config.facility_crs.to_wgs84(f.lon, f.lat);
            }
        }
        Ok(Some(rows))
    })
}

/// Facilities of each category, from OSM or from the register: every category the
/// configuration names, empty ones included ([`check_no_empty_category`] decides on those).
pub(crate) fn gather_facilities(
    config: &CoverageConfig,
    register: Option<Vec<Facility>>,
    extract: &OsmExtract,
) -> Result<Vec<(String, Vec<Facility>)>> {
    match (&config.facilities, register) {
        (FacilityInput::Osm(categories), _) => {
            let found = facilities_from_osm(extract, categories);
            Ok(categories
                .iter()
                .map(|c| c.name.clone())
                .zip(found)
                .collect())
        }
        (FacilityInput::Register { categories, .. }, Some(rows)) => {
            let mut named: Vec<(String, Vec<Facility>)> = Vec::new();
            for c in categories {
                if !named.iter().any(|(n, _)| n == c) {
                    named.push((c.clone(), Vec::new()));
                }
            }
            for f in rows {
                if !categories.is_empty() && !categories.contains(&f.category) {
                    continue;
                }
                match named.iter_mut().find(|(n, _)| *n == f.category) {
                    Some((_, list)) => list.push(f),
                    None => named.push((f.category.clone(), vec![f])),
                }
            }
            Ok(named)
        }
        (FacilityInput::Register { .. }, None) => {
            unreachable!("the register is read before the extract")
        }
    }
}

/// Warns when a register states its facilities' types but none of a category's names a
/// kindergarten or a guidance centre: most often a `type` column meaning something else
/// (ownership, say), which would make the two kind-counting targets read every facility as
/// neither.
pub(crate) fn warn_of_unread_types(categories: &[(String, Vec<Facility>)], log: &dyn Fn(&str)) {
    for (name, facilities) in categories {
        let typed: BTreeSet<&str> = facilities
            .iter()
            .filter(|f| f.has_register_type())
            .filter_map(|f| f.kind.as_deref())
            .collect();
        let read = facilities
            .iter()
            .any(|f| f.is_kindergarten() || f.is_guidance_centre() == Some(true));
        if !typed.is_empty() && !read {
            let types: Vec<&str> = typed.into_iter().take(10).collect();
            log(&format!(
                "warning: no register type of category {name} names a kindergarten or a \
                 guidance centre (types: {}): the toddler-class and guidance-centre targets \
                 count none",
                types.join(", ")
            ));
        }
    }
}

/// A category with no facility is a data error (most often a mistyped tag or category),
/// unless the configuration allows it (siting the first facilities of a category).
pub(crate) fn check_no_empty_category(
    config: &CoverageConfig,
    categories: &[(String, Vec<Facility>)],
) -> Result<()> {
    let Some((name, _)) = categories.iter().find(|(_, f)| f.is_empty()) else {
        return Ok(());
    };
    Err(match &config.facilities {
        FacilityInput::Osm(osm) => {
            let tags: Vec<String> = osm
                .iter()
                .filter(|c| &c.name == name)
                .flat_map(|c| c.tags.iter().map(|(k, v)| format!("{k}={v}")))
                .collect();
            Error::data(
                &config.input,
                format!(
                    "no facility of category {name:?} ({}) in the extract",
                    tags.join(", ")
                ),
            )
        }
        FacilityInput::Register { path, .. } => Error::data(
            path,
            format!("no facility of category {name:?} in the register"),
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facilities::{FacilitySource, facility_of_kind};
    use std::cell::RefCell;

    fn typed(source: FacilitySource, kind: &str) -> Facility {
        facility_of_kind(source, Some(kind))
    }

    #[test]
    fn register_types_naming_neither_kind_are_warned_of() {
        let warnings = |facilities: Vec<Facility>| -> Vec<String> {
            let lines = RefCell::new(Vec::new());
            let log = |line: &str| lines.borrow_mut().push(line.to_string());
            warn_of_unread_types(&[("childcare".into(), facilities)], &log);
            lines.into_inner()
        };
        let file = FacilitySource::File;
        let ownership = warnings(vec![
            typed(file, "公办"),
            typed(file, "民办"),
            typed(file, "公办"),
        ]);
        assert_eq!(ownership.len(), 1, "{ownership:?}");
        assert!(ownership[0].starts_with("warning: no register type of category childcare"));
        assert!(
            ownership[0].contains("(types: 公办, 民办)"),
            "{ownership:?}"
        );
        assert!(warnings(vec![typed(file, "nursery"), typed(file, "kindergarten")]).is_empty());
        // OSM's amenity values are not a register's types.
        assert!(warnings(vec![typed(FacilitySource::Osm, "childcare")]).is_empty());
    }
}

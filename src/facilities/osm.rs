//! Facilities from OSM elements: nodes as they are, areas by a representative point inside.

use super::categories::Category;
use super::{Facility, FacilitySource};
use crate::analysis::residents::point_inside;
use crate::osm::areas::build_areas;
use crate::osm::read::OsmExtract;
use crate::osm::{ElementId, Tags, tag};

fn facility(
    id: ElementId,
    tags: &Tags,
    category: &Category,
    (lon, lat): (f64, f64),
) -> (ElementId, Facility) {
    let facility = Facility {
        id: id.to_string(),
        name: tag(tags, "name").map(str::to_string),
        category: category.name.clone(),
        lon,
        lat,
        source: FacilitySource::Osm,
        capacity: tag(tags, "capacity").and_then(|c| c.trim().parse().ok()),
        affordable: affordable_proxy(tags),
    };
    (id, facility)
}

/// `operator:type` values taken as the affordable (public, subsidised) tier.
pub const AFFORDABLE_OPERATOR_TYPES: &[&str] = &["public", "government", "community", "municipal"];
/// `operator:type` values taken as outside it.
pub const UNAFFORDABLE_OPERATOR_TYPES: &[&str] = &["private", "business", "commercial"];

/// The OSM proxy for affordability: `operator:type` (see the two tables above); `None`
/// (unknown) for anything else, never a guess.
pub fn affordable_proxy(tags: &Tags) -> Option<bool> {
    let value = tag(tags, "operator:type")?;
    if AFFORDABLE_OPERATOR_TYPES.contains(&value) {
        Some(true)
    } else if UNAFFORDABLE_OPERATOR_TYPES.contains(&value) {
        Some(false)
    } else {
        None
    }
}

/// The facilities of each category (same order as `categories`): tagged nodes; closed ways
/// and multipolygons at a point inside them; open ways at their middle node. Within a
/// category: nodes, then ways, then relations, each by id.
pub fn facilities_from_osm(extract: &OsmExtract, categories: &[Category]) -> Vec<Vec<Facility>> {
    let (areas, _) = build_areas(extract, |tags| categories.iter().any(|c| c.matches(tags)));
    categories
        .iter()
        .map(|category| {
            let nodes = extract
                .facility_nodes
                .iter()
                .filter(|n| category.matches(&n.tags))
                .map(|n| facility(ElementId::node(n.id), &n.tags, category, (n.lon, n.lat)));
            let open_ways = extract
                .area_ways
                .iter()
                .filter(|w| w.refs.first() != w.refs.last() && category.matches(&w.tags))
                .filter_map(|w| {
                    let middle = extract.nodes.get(w.refs[w.refs.len() / 2])?;
                    Some(facility(ElementId::way(w.id), &w.tags, category, middle))
                });
            let mut found: Vec<(ElementId, Facility)> = nodes.chain(open_ways).collect();
            found.extend(
                areas
                    .iter()
                    .filter(|a| category.matches(&a.tags))
                    .filter_map(|a| {
                        let p = point_inside(&a.polygon)?;
                        Some(facility(a.id, &a.tags, category, (p.x, p.y)))
                    }),
            );
            found.sort_by_key(|(id, _)| *id);
            found.into_iter().map(|(_, f)| f).collect()
        })
        .collect()
}

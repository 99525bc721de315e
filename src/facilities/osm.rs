//! Facilities from OSM elements: nodes as they are, areas by a representative point inside.

use super::categories::Category;
use super::{Facility, FacilitySource};
use crate::osm::areas::build_areas;
use crate::osm::read::OsmExtract;
use crate::osm::{ElementId, Tags, tag};
use crate::spatial::inside::point_inside;

fn facility(element: TaggedElement, category: &Category) -> Facility {
    let tags = &element.tags;
    Facility {
        id: element.id.to_string(),
        name: tag(tags, "name").map(str::to_string),
        category: category.name.clone(),
        lon: element.lon,
        lat: element.lat,
        source: FacilitySource::Osm,
        capacity: tag(tags, "capacity").and_then(|c| c.trim().parse().ok()),
        affordable: affordable_proxy(tags),
        kind: tag(tags, "amenity").map(str::to_string),
        toddler_classes: toddler_proxy(tags),
    }
}

/// The OSM proxy for toddler classes: `min_age` (years) below 3 says the facility takes
/// children under 3, 3 or more says it does not; `None` (unknown) without a numeric `min_age`.
pub fn toddler_proxy(tags: &Tags) -> Option<bool> {
    let years: f64 = tag(tags, "min_age")?.trim().parse().ok()?;
    (years >= 0.0).then_some(years < 3.0)
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

/// An OSM element carrying a category's tags, placed at one point.
#[derive(Debug, Clone, PartialEq)]
pub struct TaggedElement {
    /// `node/…`, `way/…` or `relation/…`.
    pub id: ElementId,
    /// Its tags.
    pub tags: Tags,
    /// Longitude of its point, degrees.
    pub lon: f64,
    /// Latitude of its point, degrees.
    pub lat: f64,
}

/// The elements of each category (same order as `categories`) the reader kept: tagged
/// nodes where they are; closed ways and multipolygons at a point inside them; open ways at
/// their middle node. Within a category: nodes, then ways, then relations, each by id.
/// The reader keeps only the elements of the categories it was given.
pub fn tagged_elements(extract: &OsmExtract, categories: &[Category]) -> Vec<Vec<TaggedElement>> {
    let (areas, _) = build_areas(extract, |tags| categories.iter().any(|c| c.matches(tags)));
    let element = |id, tags: &Tags, (lon, lat)| TaggedElement {
        id,
        tags: tags.clone(),
        lon,
        lat,
    };
    categories
        .iter()
        .map(|category| {
            let nodes = extract
                .facility_nodes
                .iter()
                .filter(|n| category.matches(&n.tags))
                .map(|n| element(ElementId::node(n.id), &n.tags, (n.lon, n.lat)));
            let open_ways = extract
                .area_ways
                .iter()
                .filter(|w| w.refs.first() != w.refs.last() && category.matches(&w.tags))
                .filter_map(|w| {
                    let middle = extract.nodes.get(w.refs[w.refs.len() / 2])?;
                    Some(element(ElementId::way(w.id), &w.tags, middle))
                });
            let mut found: Vec<TaggedElement> = nodes.chain(open_ways).collect();
            found.extend(
                areas
                    .iter()
                    .filter(|a| category.matches(&a.tags))
                    .filter_map(|a| {
                        let p = point_inside(&a.polygon)?;
                        Some(element(a.id, &a.tags, (p.x, p.y)))
                    }),
            );
            found.sort_by_key(|e| e.id);
            found
        })
        .collect()
}

/// The facilities of each category (same order as `categories`): its [`tagged_elements`].
pub fn facilities_from_osm(extract: &OsmExtract, categories: &[Category]) -> Vec<Vec<Facility>> {
    tagged_elements(extract, categories)
        .into_iter()
        .zip(categories)
        .map(|(elements, category)| {
            elements
                .into_iter()
                .map(|e| facility(e, category))
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toddler_proxy_reads_min_age() {
        let tags = |v: &str| -> Tags { vec![("min_age".into(), v.into())] };
        assert_eq!(toddler_proxy(&tags("0")), Some(true));
        assert_eq!(toddler_proxy(&tags("2.5")), Some(true));
        assert_eq!(toddler_proxy(&tags("3")), Some(false));
        assert_eq!(toddler_proxy(&tags("three")), None);
        assert_eq!(toddler_proxy(&tags("-1")), None);
        assert_eq!(toddler_proxy(&Tags::new()), None);
    }
}

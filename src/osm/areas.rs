//! Polygons from closed ways and multipolygon relations, in lon/lat degrees.

use geo::{Contains, Coord, LineString, MultiPolygon, Polygon};
use rayon::prelude::*;

use super::read::{OsmExtract, RawWay};
use super::repair::{Outline, repair_outline};
use super::{ElementId, ElementKind, Tags};

/// An area feature: its element, tags, polygon and any `entrance=*` node on its outline.
#[derive(Debug, Clone)]
pub struct Area {
    /// The way or relation it came from.
    pub id: ElementId,
    /// Its tags.
    pub tags: Tags,
    /// Outline in lon/lat degrees (outer rings with their holes).
    pub polygon: MultiPolygon<f64>,
    /// `(lon, lat)` of the first `entrance=main` node on its outline, else of the first
    /// `entrance=*` node, if any.
    pub entrance: Option<(f64, f64)>,
    /// Whether its outline was valid as mapped, repaired (then `polygon` is the repair), or
    /// invalid beyond repair (then `polygon` is as mapped, fit for an inside point but for no
    /// polygon layer).
    pub outline: Outline,
}

/// Areas that could not be built, with the reason, for the data-quality report.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct BrokenAreas {
    /// Element ids (`way/1`) and why each was skipped.
    pub skipped: Vec<String>,
    /// Element ids whose outline was invalid as mapped and was repaired, and why it was invalid.
    pub repaired: Vec<String>,
    /// Element ids whose outline was invalid as mapped and could not be repaired, and why.
    pub unrepairable: Vec<String>,
}

/// Builds every area of the extract whose tags pass `keep`: closed ways, and multipolygon
/// relations whose member ways join into closed rings. Areas with missing nodes or rings
/// that do not close are skipped and listed in the returned [`BrokenAreas`]. Each outline is
/// checked and repaired when invalid ([`repair_outline`]); [`Area::outline`] says how.
pub fn build_areas(
    extract: &OsmExtract,
    keep: impl Fn(&Tags) -> bool + Sync,
) -> (Vec<Area>, BrokenAreas) {
    let mut areas = Vec::new();
    let mut broken = BrokenAreas::default();
    let entrance_of = |refs: &[i64]| entrance_on(extract, refs);

    // Closed ways on every core, kept in file order.
    let closed: Vec<Result<Area, String>> = extract
        .area_ways
        .par_iter()
        .filter(|w| keep(&w.tags))
        // an open way is no area (facility points handle their own open ways)
        .filter(|w| w.refs.len() >= 4 && w.refs.first() == w.refs.last())
        .map(|way| {
            let id = ElementId::way(way.id);
            match ring(extract, &way.refs) {
                Some(exterior) => {
                    let mut polygon = MultiPolygon(vec![Polygon::new(exterior, vec![])]);
                    Ok(Area {
                        id,
                        tags: way.tags.clone(),
                        outline: repair_outline(&mut polygon),
                        polygon,
                        entrance: entrance_of(&way.refs),
                    })
                }
                None => Err(format!("{id}: a node is missing from the extract")),
            }
        })
        .collect();
    for area in closed {
        match area {
            Ok(area) => areas.push(area),
            Err(why) => broken.skipped.push(why),
        }
    }

    // Checked once: a scan per missing member way made this quadratic on large extracts.
    let sorted = |ways: &[RawWay]| ways.is_sorted_by_key(|w| w.id);
    let (areas_sorted, members_sorted, walks_sorted) = (
        sorted(&extract.area_ways),
        sorted(&extract.member_ways),
        sorted(&extract.walk_ways),
    );
    let ways_by_id = |id: i64| -> Option<&RawWay> {
        find_way(&extract.area_ways, id, areas_sorted)
            .or_else(|| find_way(&extract.member_ways, id, members_sorted))
            .or_else(|| find_way(&extract.walk_ways, id, walks_sorted))
    };
    for rel in extract.relations.iter().filter(|r| keep(&r.tags)) {
        let id = ElementId::relation(rel.id);
        let mut outers = Vec::new();
        let mut inners = Vec::new();
        let mut missing = None;
        for m in rel.members.iter().filter(|m| m.kind == ElementKind::Way) {
            match ways_by_id(m.id) {
                Some(w) if m.role == "inner" => inners.push(w.refs.as_slice()),
                Some(w) => outers.push(w.refs.as_slice()),
                None => missing = Some(m.id),
            }
        }
        if let Some(way_id) = missing {
            broken.skipped.push(format!(
                "{id}: member way/{way_id} is missing from the extract"
            ));
            continue;
        }
        let (Some(outer_rings), Some(inner_rings)) = (join_rings(&outers), join_rings(&inners))
        else {
            broken.skipped.push(format!(
                "{id}: its member ways do not join into closed rings"
            ));
            continue;
        };
        let to_coords = |rings: &[Vec<i64>]| -> Option<Vec<LineString<f64>>> {
            rings.iter().map(|r| ring(extract, r)).collect()
        };
        let (Some(outer_ls), Some(inner_ls)) = (to_coords(&outer_rings), to_coords(&inner_rings))
        else {
            broken
                .skipped
                .push(format!("{id}: a node is missing from the extract"));
            continue;
        };
        if outer_ls.is_empty() {
            broken.skipped.push(format!("{id}: no outer ring"));
            continue;
        }
        let mut polygons: Vec<Polygon<f64>> = outer_ls
            .into_iter()
            .map(|ls| Polygon::new(ls, vec![]))
            .collect();
        for hole in inner_ls {
            let probe = hole.0[0];
            if let Some(p) = polygons.iter_mut().find(|p| p.contains(&probe)) {
                p.interiors_push(hole);
            }
        }
        let entrance = outer_rings.iter().find_map(|r| entrance_of(r));
        let mut polygon = MultiPolygon(polygons);
        areas.push(Area {
            id,
            tags: rel.tags.clone(),
            outline: repair_outline(&mut polygon),
            polygon,
            entrance,
        });
    }
    for area in &areas {
        match &area.outline {
            Outline::Valid => {}
            Outline::Repaired(why) => broken.repaired.push(format!("{}: {why}", area.id)),
            Outline::Unrepairable(why) => broken.unrepairable.push(format!("{}: {why}", area.id)),
        }
    }
    (areas, broken)
}

fn find_way(ways: &[RawWay], id: i64, sorted: bool) -> Option<&RawWay> {
    // Ways are in file order, which PBF writers sort by id; fall back to a scan otherwise.
    if sorted {
        return ways
            .binary_search_by_key(&id, |w| w.id)
            .ok()
            .map(|i| &ways[i]);
    }
    ways.iter().find(|w| w.id == id)
}

fn ring(extract: &OsmExtract, refs: &[i64]) -> Option<LineString<f64>> {
    refs.iter()
        .map(|&r| extract.nodes.get(r).map(|(x, y)| Coord { x, y }))
        .collect::<Option<Vec<_>>>()
        .map(LineString)
}

fn entrance_on(extract: &OsmExtract, refs: &[i64]) -> Option<(f64, f64)> {
    let first = refs
        .iter()
        .find(|r| extract.entrances.binary_search(r).is_ok())?;
    extract.nodes.get(*first)
}

/// Joins way node lists end to end into closed rings; `None` when some cannot be closed.
fn join_rings(parts: &[&[i64]]) -> Option<Vec<Vec<i64>>> {
    let mut unused: Vec<&[i64]> = parts.iter().copied().filter(|p| p.len() >= 2).collect();
    let mut rings = Vec::new();
    while let Some(first) = unused.pop() {
        let mut ring = first.to_vec();
        while ring.first() != ring.last() {
            let end = *ring.last()?;
            let next = unused
                .iter()
                .position(|p| p.first() == Some(&end) || p.last() == Some(&end))?;
            let part = unused.swap_remove(next);
            if part.first() == Some(&end) {
                ring.extend_from_slice(&part[1..]);
            } else {
                ring.extend(part.iter().rev().skip(1));
            }
        }
        if ring.len() < 4 {
            return None;
        }
        rings.push(ring);
    }
    Some(rings)
}

#[cfg(test)]
mod tests {
    use super::join_rings;

    #[test]
    fn joins_reversed_and_split_ways() {
        let a: &[i64] = &[1, 2, 3];
        let b: &[i64] = &[5, 4, 3];
        let c: &[i64] = &[5, 1];
        let rings = join_rings(&[a, b, c]).unwrap();
        assert_eq!(rings.len(), 1);
        let r = &rings[0];
        assert_eq!(r.first(), r.last());
        assert_eq!(r.len(), 6);
    }

    #[test]
    fn open_ring_is_refused() {
        let a: &[i64] = &[1, 2, 3];
        let b: &[i64] = &[3, 4];
        assert!(join_rings(&[a, b]).is_none());
    }
}
